//! From a state to its report: the steps of every group of users (all,
//! per entry channel, per period of entry, per period and channel), their
//! exact time statistics computed together, and the histograms.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::report::{
    FunnelReport, HistogramBin, Ignored, StepReport, TimeHistogram, TimeStats, TrendPeriod,
};
use super::spec::FunnelKind;
use super::state::{present, FunnelState};
use super::stats::{bin_counts, group_stats, step_reports, time_ranges, Acc};
use crate::journey::{ChannelId, Channels};
use crate::quantity::{BinIndex, TimeUnit};

/// The most periods a trend lists with the periods between its entries;
/// a wider trend lists only the periods with an entry.
pub(super) const MAX_SPAN: i64 = 100_000;

/// The accumulators a report is computed from, and its groups of them.
struct Layout<'a> {
    accs: Vec<&'a Acc>,
    /// The channel slot of each accumulator.
    slot_of: Vec<u32>,
    /// The groups, as indices into `accs`: one per channel (in slot
    /// order), all, then with a trend one per accumulator (a period's
    /// channel) and one per period.
    groups: Vec<Vec<usize>>,
    /// The channel slots, in order (group `i` is channel `slots[i]`).
    slots: Vec<u32>,
    /// With a trend: per period with entries, its number and its members.
    periods: Vec<(i64, Vec<usize>)>,
}

impl Layout<'_> {
    fn all(&self) -> usize {
        self.slots.len()
    }

    /// The group of accumulator `i` alone (trend only).
    fn single(&self, i: usize) -> usize {
        self.slots.len() + 1 + i
    }

    /// The group of period `pi` (trend only).
    fn period(&self, pi: usize) -> usize {
        self.slots.len() + 1 + self.accs.len() + pi
    }
}

impl FunnelState {
    fn layout(&self) -> Layout<'_> {
        let mut accs = Vec::new();
        let mut slot_of = Vec::new();
        let mut periods = Vec::new();
        match self.entry {
            None => {
                for (c, a) in present(&self.by_channel) {
                    accs.push(a);
                    slot_of.push(c);
                }
            }
            Some(_) => {
                for (p, per) in self.periods.sorted() {
                    let mut members = Vec::new();
                    for (c, a) in present(per) {
                        members.push(accs.len());
                        accs.push(a);
                        slot_of.push(c);
                    }
                    if !members.is_empty() {
                        periods.push((*p, members));
                    }
                }
            }
        }
        let mut slots = slot_of.clone();
        slots.sort_unstable();
        slots.dedup();
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
        for (i, c) in slot_of.iter().enumerate() {
            if let Ok(g) = slots.binary_search(c) {
                groups[g].push(i);
            }
        }
        groups.push((0..accs.len()).collect());
        if self.entry.is_some() {
            groups.extend((0..accs.len()).map(|i| vec![i]));
            groups.extend(periods.iter().map(|(_, m)| m.clone()));
        }
        Layout {
            accs,
            slot_of,
            groups,
            slots,
            periods,
        }
    }

    /// The report, the time statistics from the previous step and from
    /// the first computed on two threads when `threads` is 2 or more (the
    /// same report).
    pub(super) fn report_on(&self, channels: &Channels, threads: usize) -> FunnelReport {
        let mut ignored = BTreeMap::new();
        ignored.insert(Ignored::EventsMatchingNoStep, self.no_step_events);
        ignored.insert(Ignored::UsersWithoutFirstStep, self.without_first);
        ignored.insert(Ignored::ConversionExcluded, self.excluded);
        let l = self.layout();
        let stats = self.group_times(&l, threads);
        let steps_of = |g: usize| self.steps_of(&l, &stats, g);
        let by_channel_of = |members: &mut dyn Iterator<Item = (u32, usize)>| {
            members
                .map(|(c, g)| (self.channel_name(c, channels), steps_of(g)))
                .collect::<BTreeMap<_, _>>()
        };
        let edges = self.histogram_edges(&l.accs);
        let unit = self.spec.unit;
        let mut trend = Vec::new();
        if let (Some(entry), Some(first), Some(last)) =
            (self.entry, l.periods.first(), l.periods.last())
        {
            let listed: Vec<i64> = if last.0.saturating_sub(first.0) < MAX_SPAN {
                (first.0..=last.0).collect()
            } else {
                l.periods.iter().map(|(p, _)| *p).collect()
            };
            let mut at = l.periods.iter().enumerate().peekable();
            for p in listed {
                let here = match at.peek() {
                    Some((_, (q, _))) if *q == p => at.next(),
                    _ => None,
                };
                trend.push(match here {
                    Some((pi, (_, members))) => {
                        let accs: Vec<&Acc> = members.iter().map(|&i| l.accs[i]).collect();
                        TrendPeriod {
                            period: entry.first_day(p),
                            steps: steps_of(l.period(pi)),
                            by_channel: by_channel_of(
                                &mut members.iter().map(|&i| (l.slot_of[i], l.single(i))),
                            ),
                            time_to_convert: histograms(&accs, &edges, unit),
                        }
                    }
                    None => TrendPeriod {
                        period: entry.first_day(p),
                        steps: self.named(step_reports(&vec![0; self.spec.steps()], &[], &[])),
                        by_channel: BTreeMap::new(),
                        time_to_convert: histograms(&[], &edges, unit),
                    },
                });
            }
        }
        // With a trend, the whole histograms are the sums of the periods'
        // (every user is in one period); without, counted here.
        let time_to_convert = if trend.is_empty() {
            histograms(&l.accs, &edges, unit)
        } else {
            let mut whole = histograms(&[], &edges, unit);
            for p in &trend {
                for (h, ph) in whole.iter_mut().zip(&p.time_to_convert) {
                    for (b, pb) in h.bins.iter_mut().zip(&ph.bins) {
                        b.users += pb.users;
                    }
                }
            }
            whole
        };
        FunnelReport {
            steps: steps_of(l.all()),
            by_channel: by_channel_of(&mut l.slots.iter().enumerate().map(|(g, &c)| (c, g))),
            ignored,
            events: self.events,
            users_seen: self.users,
            time_to_convert,
            trend,
        }
    }

    /// `[kind][k][group]`: the time statistics of every group, kind 0 from
    /// the previous step, 1 from the first (`None` for step 0 and for an
    /// untimed funnel).
    fn group_times(&self, l: &Layout<'_>, threads: usize) -> [Vec<Vec<Option<TimeStats>>>; 2] {
        let n = self.spec.steps();
        let timed = self.spec.kind == FunnelKind::Ordered;
        let ng = l.groups.len();
        let kind = |prev: bool| -> Vec<Vec<Option<TimeStats>>> {
            (0..n)
                .map(|k| {
                    if timed && k > 0 {
                        group_stats(&l.accs, &l.groups, k, prev)
                    } else {
                        vec![None; ng]
                    }
                })
                .collect()
        };
        if threads >= 2 && timed {
            std::thread::scope(|scope| {
                let other = std::thread::Builder::new().spawn_scoped(scope, || kind(false));
                let from_previous = kind(true);
                // Computed here if the system would not start the thread.
                let from_first = match other.map(|h| h.join()) {
                    Ok(Ok(v)) => v,
                    _ => kind(false),
                };
                [from_previous, from_first]
            })
        } else {
            [kind(true), kind(false)]
        }
    }

    /// The steps of group `g`.
    fn steps_of(
        &self,
        l: &Layout<'_>,
        stats: &[Vec<Vec<Option<TimeStats>>>; 2],
        g: usize,
    ) -> Vec<StepReport> {
        let n = self.spec.steps();
        let mut at_level = vec![0u64; n];
        for &i in &l.groups[g] {
            for (x, y) in at_level.iter_mut().zip(&l.accs[i].at_level) {
                *x += y;
            }
        }
        let unit = self.spec.unit;
        let pick = |kind: usize| -> Vec<Option<TimeStats>> {
            stats[kind]
                .iter()
                .map(|per| per[g].clone().map(|t| t.in_seconds(unit)))
                .collect()
        };
        self.named(step_reports(&at_level, &pick(0), &pick(1)))
    }

    /// `steps` with the spec's step names.
    fn named(&self, mut steps: Vec<StepReport>) -> Vec<StepReport> {
        for (s, name) in steps.iter_mut().zip(&self.spec.names) {
            s.name = Some(name.clone());
        }
        steps
    }

    /// The name of channel slot `ch`: as recorded, else from `channels`.
    fn channel_name(&self, ch: u32, channels: &Channels) -> String {
        let known = self.names.get(ch as usize).cloned().flatten();
        known.unwrap_or_else(|| {
            channels
                .name(ChannelId(ch))
                .map_or_else(|| format!("#{ch}"), str::to_string)
        })
    }

    /// The bins of each pair of steps a histogram is reported for, from
    /// the times in `all` (none without histograms or times).
    fn histogram_edges(&self, all: &[&Acc]) -> Vec<(usize, usize, BinIndex)> {
        let Some(bins) = &self.spec.time_bins else {
            return Vec::new();
        };
        if self.spec.kind != FunnelKind::Ordered {
            return Vec::new();
        }
        // Every time is at most the largest from the first step.
        let max = all.iter().map(|a| a.max).max().unwrap_or(0);
        let pairs = pairs(self.spec.steps());
        pairs
            .iter()
            .zip(time_ranges(all, &pairs))
            .filter_map(|(&(from, to), range)| {
                let (lo, hi, count) = range?;
                let edges = bins.edges(self.spec.unit, lo, hi, count);
                Some((from, to, BinIndex::new(&edges, max)))
            })
            .collect()
    }
}

/// The pairs of steps with histograms: each step from the one before, and
/// each step from the first, in order of `(from, to)`.
fn pairs(n: usize) -> Vec<(usize, usize)> {
    let mut v: Vec<(usize, usize)> = (1..n).map(|k| (k - 1, k)).collect();
    v.extend((2..n).map(|k| (0, k)));
    v.sort_unstable();
    v
}

/// The histograms of `accs` on `edges`.
fn histograms(
    accs: &[&Acc],
    edges: &[(usize, usize, BinIndex)],
    unit: TimeUnit,
) -> Vec<TimeHistogram> {
    let pairs: Vec<(usize, usize)> = edges.iter().map(|(f, t, _)| (*f, *t)).collect();
    let index: Vec<&BinIndex> = edges.iter().map(|(_, _, x)| x).collect();
    let all_counts = bin_counts(accs, &pairs, &index);
    edges
        .iter()
        .zip(all_counts)
        .map(|((from, to, index), counts)| {
            let seconds = |t: i64| unit.seconds(Decimal::from(t));
            TimeHistogram {
                from: *from,
                to: *to,
                bins: index
                    .edges()
                    .edges()
                    .windows(2)
                    .zip(counts)
                    .map(|(w, users)| HistogramBin {
                        from_seconds: seconds(w[0]),
                        to_seconds: (w[1] < i64::MAX).then(|| seconds(w[1])),
                        users,
                    })
                    .collect(),
            }
        })
        .collect()
}
