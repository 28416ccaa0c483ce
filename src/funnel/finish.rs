//! From a state to its report: the steps of every group of users (all,
//! per entry channel, per period of entry, per period and channel), their
//! exact time statistics computed together, and the histograms.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::report::{
    FunnelReport, HistogramBin, Ignored, StepReport, TimeHistogram, TimeStats, TrendPeriod,
};
use super::select::{group_stats, Pass, Scratch};
use super::spec::FunnelKind;
use super::state::{present, FunnelState};
use super::stats::{step_reports, Acc};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::{BinIndex, TimeUnit};

/// The most periods a trend lists with the periods between its entries;
/// a wider trend lists only the periods with an entry.
pub(super) const MAX_SPAN: i64 = 100_000;

/// The accumulators a report is computed from (of one state, or of the
/// states of several threads, unmerged), and its groups of them.
struct Layout<'a> {
    accs: Vec<&'a Acc>,
    /// The groups, as indices into `accs`: one per channel (in slot
    /// order), all, then with a trend one per period and channel (in
    /// order) and one per period.
    groups: Vec<Vec<usize>>,
    /// The channel slots, in order (group `i` is channel `slots[i]`).
    slots: Vec<u32>,
    /// With a trend: `(period, channel slot)` of each group after all.
    cells: Vec<(i64, u32)>,
    /// With a trend: the periods with entries, in order.
    periods: Vec<i64>,
}

impl<'a> Layout<'a> {
    fn new(parts: &[&'a FunnelState]) -> Layout<'a> {
        let mut accs = Vec::new();
        // (period, slot) of each accumulator (period 0 without a trend).
        let mut keys: Vec<(i64, u32)> = Vec::new();
        let trend = parts.first().is_some_and(|s| s.entry.is_some());
        for st in parts {
            if trend {
                for (p, per) in &st.periods.slots {
                    for (c, a) in present(per) {
                        accs.push(a);
                        keys.push((*p, c));
                    }
                }
            } else {
                for (c, a) in present(&st.by_channel) {
                    accs.push(a);
                    keys.push((0, c));
                }
            }
        }
        let mut slots: Vec<u32> = keys.iter().map(|k| k.1).collect();
        slots.sort_unstable();
        slots.dedup();
        let mut cells = keys.clone();
        cells.sort_unstable();
        cells.dedup();
        let mut periods: Vec<i64> = cells.iter().map(|k| k.0).collect();
        periods.dedup();
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); slots.len() + 1];
        let all = slots.len();
        let (mut by_cell, mut by_period) = if trend {
            (
                vec![Vec::new(); cells.len()],
                vec![Vec::new(); periods.len()],
            )
        } else {
            (Vec::new(), Vec::new())
        };
        for (i, key) in keys.iter().enumerate() {
            if let Ok(g) = slots.binary_search(&key.1) {
                groups[g].push(i);
            }
            groups[all].push(i);
            if trend {
                if let Ok(g) = cells.binary_search(key) {
                    by_cell[g].push(i);
                }
                if let Ok(g) = periods.binary_search(&key.0) {
                    by_period[g].push(i);
                }
            }
        }
        groups.extend(by_cell);
        groups.extend(by_period);
        if !trend {
            cells.clear();
            periods.clear();
        }
        Layout {
            accs,
            groups,
            slots,
            cells,
            periods,
        }
    }

    fn all(&self) -> usize {
        self.slots.len()
    }

    /// The group of `cells[i]`.
    fn cell(&self, i: usize) -> usize {
        self.slots.len() + 1 + i
    }

    /// The group of `periods[i]`.
    fn period(&self, i: usize) -> usize {
        self.slots.len() + 1 + self.cells.len() + i
    }
}

impl FunnelState {
    /// The report, the time statistics from the previous step and from
    /// the first computed on two threads when `threads` is 2 or more (the
    /// same report).
    pub(super) fn report_on(&self, channels: &Channels, threads: usize) -> FunnelReport {
        self.report_with(&[self], channels, threads)
    }

    /// The report of the states `parts` of disjoint users computed with
    /// this state's spec and registry (the threads of one analysis), as
    /// if they were merged into this one (which is among them), without
    /// copying their accumulators together.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a count passes `u64::MAX`.
    pub(super) fn report_of_parts(
        parts: &[&FunnelState],
        channels: &Channels,
        threads: usize,
    ) -> Result<FunnelReport> {
        let Some(first) = parts.first() else {
            return Err(Error::invalid("funnel", "no state to report"));
        };
        let sum = |f: fn(&FunnelState) -> u64| {
            parts
                .iter()
                .try_fold(0u64, |a, s| a.checked_add(f(s)))
                .ok_or_else(|| Error::overflow("funnel merge"))
        };
        let mut r = first.report_with(parts, channels, threads);
        r.ignored
            .insert(Ignored::EventsMatchingNoStep, sum(|s| s.no_step_events)?);
        r.ignored
            .insert(Ignored::UsersWithoutFirstStep, sum(|s| s.without_first)?);
        r.ignored
            .insert(Ignored::ConversionExcluded, sum(|s| s.excluded)?);
        r.events = sum(|s| s.events)?;
        r.users_seen = sum(|s| s.users)?;
        Ok(r)
    }

    fn report_with(
        &self,
        parts: &[&FunnelState],
        channels: &Channels,
        threads: usize,
    ) -> FunnelReport {
        let mut ignored = BTreeMap::new();
        ignored.insert(Ignored::EventsMatchingNoStep, self.no_step_events);
        ignored.insert(Ignored::UsersWithoutFirstStep, self.without_first);
        ignored.insert(Ignored::ConversionExcluded, self.excluded);
        let l = Layout::new(parts);
        let stats = self.group_times(&l, threads);
        let pairs = pairs_of(&stats);
        let steps_of = |g: usize| self.steps_of(&l, &stats, g);
        let by_channel_of = |members: &mut dyn Iterator<Item = (u32, usize)>| {
            members
                .map(|(c, g)| (self.channel_name(c, channels), steps_of(g)))
                .collect::<BTreeMap<_, _>>()
        };
        let unit = self.spec.unit;
        let mut trend = Vec::new();
        if let (Some(entry), Some(&first), Some(&last)) =
            (self.entry, l.periods.first(), l.periods.last())
        {
            let listed: Vec<i64> = if last.saturating_sub(first) < MAX_SPAN {
                (first..=last).collect()
            } else {
                l.periods.clone()
            };
            for p in listed {
                trend.push(match l.periods.binary_search(&p) {
                    Ok(pi) => {
                        let g = l.period(pi);
                        let from = l.cells.partition_point(|c| c.0 < p);
                        let to = l.cells.partition_point(|c| c.0 <= p);
                        TrendPeriod {
                            period: entry.first_day(p),
                            steps: steps_of(g),
                            by_channel: by_channel_of(
                                &mut (from..to).map(|i| (l.cells[i].1, l.cell(i))),
                            ),
                            time_to_convert: histograms(&pairs, &l.groups[g], unit),
                        }
                    }
                    Err(_) => TrendPeriod {
                        period: entry.first_day(p),
                        steps: self.named(step_reports(&vec![0; self.spec.steps()], &[], &[])),
                        by_channel: BTreeMap::new(),
                        time_to_convert: histograms(&pairs, &[], unit),
                    },
                });
            }
        }
        // With a trend, the whole histograms are the sums of the periods'
        // (every user is in one period); without, counted here.
        let time_to_convert = if trend.is_empty() {
            histograms(&pairs, &l.groups[l.all()], unit)
        } else {
            let mut whole = histograms(&pairs, &[], unit);
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

    /// `[kind][k]`: the time statistics of every group (and with
    /// histograms, each accumulator's users per bin), kind 0 from the
    /// previous step, 1 from the first (nothing for step 0 and for an
    /// untimed funnel; histograms from the first only from step 2, the
    /// pair of step 1 being counted from the previous).
    fn group_times(&self, l: &Layout<'_>, threads: usize) -> [Vec<Pass>; 2] {
        let n = self.spec.steps();
        let timed = self.spec.kind == FunnelKind::Ordered;
        let ng = l.groups.len();
        let unit = self.spec.unit;
        let kind = |prev: bool| -> Vec<Pass> {
            let mut scratch = Scratch::default();
            (0..n)
                .map(|k| {
                    if timed && k > 0 {
                        let bins = self
                            .spec
                            .time_bins
                            .as_ref()
                            .filter(|_| prev || k >= 2)
                            .map(|b| (b, unit));
                        group_stats(&l.accs, &l.groups, k, prev, bins, &mut scratch)
                    } else {
                        Pass {
                            stats: vec![None; ng],
                            hist: None,
                        }
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
    fn steps_of(&self, l: &Layout<'_>, stats: &[Vec<Pass>; 2], g: usize) -> Vec<StepReport> {
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
                .map(|per| per.stats[g].clone().map(|t| t.in_seconds(unit)))
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
}

/// The histogram of each pair of steps `(from, to)`, in order: its bins
/// and each accumulator's users per bin.
type Pairs<'a> = Vec<(usize, usize, &'a BinIndex, &'a [Vec<u64>])>;

/// The pairs of steps with histograms in `stats`: each step from the one
/// before, and each step from the first, in order of `(from, to)`.
fn pairs_of(stats: &[Vec<Pass>; 2]) -> Pairs<'_> {
    let mut v: Pairs<'_> = Vec::new();
    for (kind, passes) in stats.iter().enumerate() {
        for (k, pass) in passes.iter().enumerate() {
            if let Some((index, counts)) = &pass.hist {
                let from = if kind == 0 { k - 1 } else { 0 };
                v.push((from, k, index, counts));
            }
        }
    }
    v.sort_by_key(|p| (p.0, p.1));
    v
}

/// The histograms of the accumulators `members`.
fn histograms(pairs: &Pairs<'_>, members: &[usize], unit: TimeUnit) -> Vec<TimeHistogram> {
    pairs
        .iter()
        .map(|&(from, to, index, counts)| {
            let mut users = vec![0u64; index.edges().bins()];
            for &i in members {
                for (u, c) in users.iter_mut().zip(&counts[i]) {
                    *u += c;
                }
            }
            let seconds = |t: i64| unit.seconds(Decimal::from(t));
            TimeHistogram {
                from,
                to,
                bins: index
                    .edges()
                    .edges()
                    .windows(2)
                    .zip(users)
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
