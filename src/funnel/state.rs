//! The mergeable, serializable partial result of a funnel analysis.

use super::group::{Partitioned, STEP_SHIFT, TS_SHIFT};
use super::report::FunnelReport;
use super::scan::{self, scan, Ev, Scratch};
use super::spec::{FunnelKind, FunnelSpec, Modes};
use super::stats::Acc;
use super::trend::{entry_period, Entry, Periods};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};

/// The partial result of a funnel analysis over some users: merge states
/// computed on partitions, then [`finish`](FunnelState::finish).
///
/// # Channel names and serialization
///
/// A state records the name of each entry channel it holds (from the
/// registry given to [`add_events`](FunnelState::add_events)), so states
/// built with different registries merge by channel name, and a state
/// serializes with its names: `{"spec": ..., "by_channel": [{"channel":
/// "ads", "at_level": [...], "times": [[...], ...]}], "events": ...,
/// "users": ..., "events_matching_no_step": ..., "users_without_first_step":
/// ..., "conversion_excluded": ...}`, where `at_level[k]` counts the users
/// whose level is `k + 1` and `times[L - 1]` holds, for each user at level
/// `L`, the `L - 1` times (in ticks of the spec's unit) from the counted
/// chain's first step to its later steps. Deserialization checks every
/// count and time against the spec (users add up, times rise within the
/// window), so a hostile state is an error, not a later panic or a wrong
/// report.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use revops::funnel::{analyze, FunnelEvent, FunnelSpec, FunnelState, Options};
/// use revops::journey::Channels;
/// use revops::TimeDelta;
/// let mut ch = Channels::new();
/// let ads = ch.intern_str("ads")?;
/// let spec = FunnelSpec::new(2, TimeDelta::seconds(60))?;
/// let all: Vec<FunnelEvent> = (0..10u64)
///     .flat_map(|u| [FunnelEvent::new(u, 0, 0, ads), FunnelEvent::new(u, u as i64 * 10, 1, ads)])
///     .collect();
/// // Two partitions (users 0-4, 5-9), each sent as JSON.
/// let mut parts = Vec::new();
/// for half in all.chunks(10) {
///     let mut st = FunnelState::new(&spec);
///     st.add_events(half, &ch)?;
///     parts.push(serde_json::to_string(&st).unwrap());
/// }
/// let mut total = FunnelState::new(&spec);
/// for json in &parts {
///     total.merge(&serde_json::from_str::<FunnelState>(json).unwrap())?;
/// }
/// assert_eq!(total.finish(&Channels::new()), analyze(&spec, &all, &ch, Options::default())?);
/// # }
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunnelState {
    pub(super) spec: FunnelSpec,
    /// An ordered funnel in the default mode without exclusions.
    pub(super) plain: bool,
    /// Per channel slot (the channel's id in the registry the events came
    /// with): the accumulators of the users who entered there.
    pub(super) by_channel: Vec<Option<Acc>>,
    /// Per slot: the channel's name, once known.
    pub(super) names: Vec<Option<String>>,
    pub(super) no_step_events: u64,
    pub(super) without_first: u64,
    pub(super) excluded: u64,
    pub(super) events: u64,
    pub(super) users: u64,
    /// With a trend: the calendar of entries, and the accumulators of
    /// each period (the whole ones above then hold the level counts only,
    /// for the slots' bookkeeping: the report merges the periods').
    pub(super) entry: Option<Entry>,
    pub(super) periods: Periods,
}

impl FunnelState {
    /// An empty state for `spec`.
    pub fn new(spec: &FunnelSpec) -> FunnelState {
        FunnelState {
            spec: spec.clone(),
            plain: spec.kind == FunnelKind::Ordered
                && spec.modes == Modes::default()
                && spec.exclusions.is_empty(),
            by_channel: Vec::new(),
            names: Vec::new(),
            no_step_events: 0,
            without_first: 0,
            excluded: 0,
            events: 0,
            users: 0,
            entry: spec.trend.map(|c| Entry::new(c, spec.unit)),
            periods: Periods::default(),
        }
    }

    /// Adds one user given as sorted keys of `parted`: the default-mode
    /// scan runs on the keys themselves; any other spec decodes them.
    pub(super) fn add_keys(&mut self, keys: &[u64], parted: &Partitioned, scratch: &mut Scratch) {
        let n = self.spec.steps();
        if !self.plain {
            let mut evs = std::mem::take(&mut scratch.evs);
            evs.clear();
            evs.extend(keys.iter().map(|&k| parted.decode(k)));
            self.add_user(&evs, n, scratch);
            scratch.evs = evs;
            return;
        }
        self.events += keys.len() as u64;
        self.users += 1;
        // Keys by kind: events matching no step (order below 0x100), step-1
        // events (0x100) and later steps (above).
        let (mut no_step, mut later, mut first) = (0u64, 0u64, u64::MAX);
        for &k in keys {
            let order = (k >> STEP_SHIFT) & 0x1FF;
            no_step += u64::from(order < 0x100);
            later |= u64::from(order > 0x100);
            first = first.min(if order == 0x100 { k } else { u64::MAX });
        }
        self.no_step_events += no_step;
        let c = if later == 0 {
            // Only step-1 events: the first one (the smallest key) is the
            // counted chain.
            if first == u64::MAX {
                self.without_first += 1;
                return;
            }
            scratch.counted[0] = (first >> TS_SHIFT) as i64;
            scan::Counted {
                level: 1,
                channel: (first & ((1 << STEP_SHIFT) - 1)) as u32,
                disqualified: false,
            }
        } else {
            scan::plain_on_keys(&self.spec, keys, TS_SHIFT, STEP_SHIFT, scratch)
        };
        if c.level == 0 {
            self.without_first += 1;
            return;
        }
        let channel = parted
            .channel_of_rank
            .get(c.channel as usize)
            .copied()
            .unwrap_or(0);
        if let Some(entry) = self.entry {
            // The counted chain's times are relative to the keys' origin.
            let origin = parted.origin();
            let start = origin.saturating_add(scratch.counted[0]);
            let first = origin.saturating_add((first >> TS_SHIFT) as i64);
            let at = entry.period(start);
            let p = if c.level < 2 || first == start || entry.period(first) == at {
                at
            } else {
                let mut evs = std::mem::take(&mut scratch.evs);
                evs.clear();
                evs.extend(keys.iter().map(|&k| parted.decode(k)));
                let p = entry_period(&entry, &evs, n, self.spec.window, c.level, start);
                scratch.evs = evs;
                p
            };
            self.periods
                .acc(p, channel, n)
                .add(c.level, &scratch.counted, true);
        }
        // With a trend the times are kept per period only.
        let timed = self.entry.is_none();
        self.acc_for(channel, n)
            .add(c.level, &scratch.counted, timed);
    }

    fn acc_for(&mut self, channel: u32, n: usize) -> &mut Acc {
        let i = channel as usize;
        if self.by_channel.len() <= i {
            self.by_channel.resize(i + 1, None);
        }
        self.by_channel[i].get_or_insert_with(|| Acc::new(n))
    }

    pub(super) fn add_user(&mut self, evs: &[Ev], n: usize, scratch: &mut Scratch) {
        self.events += evs.len() as u64;
        self.users += 1;
        self.no_step_events += evs.iter().filter(|e| usize::from(e.step) >= n).count() as u64;
        let c = scan(&self.spec, evs, scratch);
        if c.disqualified {
            self.excluded += 1;
        }
        if c.level == 0 {
            self.without_first += 1;
            return;
        }
        let timed = self.spec.kind == FunnelKind::Ordered;
        if let Some(entry) = self.entry {
            let start = scratch.counted[0];
            let p = if self.plain {
                entry_period(&entry, evs, n, self.spec.window, c.level, start)
            } else {
                entry.period(start)
            };
            self.periods
                .acc(p, c.channel, n)
                .add(c.level, &scratch.counted, timed);
        }
        // With a trend the times are kept per period only.
        let timed = timed && self.entry.is_none();
        self.acc_for(c.channel, n)
            .add(c.level, &scratch.counted, timed);
    }

    /// Checks that `channels` names this state's slots as the state does
    /// (before events named by it are added).
    pub(super) fn check_names(&self, channels: &Channels) -> Result<()> {
        for (i, n) in self.names.iter().enumerate() {
            if let Some(n) = n {
                if channels.name(ChannelId(i as u32)) != Some(n.as_str()) {
                    return Err(Error::invalid(
                        "funnel state",
                        format!(
                            "channel {i} is {n:?} in this state but not in the registry given: \
                             add events named by another registry to a new state and merge"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Records the names of the slots in use from `channels`.
    pub(super) fn record_names(&mut self, channels: &Channels) {
        self.names.resize(self.by_channel.len(), None);
        for (i, (acc, name)) in self.by_channel.iter().zip(&mut self.names).enumerate() {
            if acc.is_some() && name.is_none() {
                *name = channels.name(ChannelId(i as u32)).map(str::to_string);
            }
        }
    }

    /// The slot of `other`'s slot `j` in this state: the slot of the same
    /// name, else the same slot if it is free, else a new one.
    fn slot_for(&mut self, other: &FunnelState, j: usize) -> usize {
        let name = other.names.get(j).cloned().flatten();
        self.names.resize(self.by_channel.len(), None);
        if let Some(name) = name {
            if let Some(i) = self.names.iter().position(|n| n.as_deref() == Some(&name)) {
                return i;
            }
            let free = |i: usize| -> bool {
                self.by_channel.get(i).map_or(true, Option::is_none)
                    && self.names.get(i).map_or(true, Option::is_none)
            };
            let i = if free(j) {
                j
            } else {
                self.by_channel.len().max(other.by_channel.len())
            };
            if self.by_channel.len() <= i {
                self.by_channel.resize(i + 1, None);
                self.names.resize(i + 1, None);
            }
            self.names[i] = Some(name);
            i
        } else {
            if self.by_channel.len() <= j {
                self.by_channel.resize(j + 1, None);
                self.names.resize(j + 1, None);
            }
            j
        }
    }

    /// Adds another partition's state. Channels are matched by name where
    /// both states know them (states built with different registries
    /// merge correctly), by id otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the two states are for different specs;
    /// [`Error::Overflow`] if a count would pass `u64::MAX` (the state is
    /// then unchanged).
    pub fn merge(&mut self, other: &FunnelState) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::invalid(
                "funnel merge",
                "the states were computed for different funnel specs",
            ));
        }
        let add = |a: u64, b: u64| {
            a.checked_add(b)
                .ok_or_else(|| Error::overflow("funnel merge"))
        };
        // Every per-channel count is bounded by `users`, so checking the
        // totals first keeps the state unchanged on overflow.
        let users = add(self.users, other.users)?;
        let events = add(self.events, other.events)?;
        let no_step = add(self.no_step_events, other.no_step_events)?;
        let without = add(self.without_first, other.without_first)?;
        let excluded = add(self.excluded, other.excluded)?;
        let n = self.spec.steps();
        // map[j]: this state's slot of the other's slot j.
        let mut map = vec![usize::MAX; other.by_channel.len()];
        for (j, theirs) in other.by_channel.iter().enumerate() {
            if let Some(acc) = theirs {
                let i = self.slot_for(other, j);
                map[j] = i;
                self.by_channel[i]
                    .get_or_insert_with(|| Acc::new(n))
                    .merge(acc);
            }
        }
        self.periods.merge(&other.periods, &map, n);
        self.users = users;
        self.events = events;
        self.no_step_events = no_step;
        self.without_first = without;
        self.excluded = excluded;
        Ok(())
    }

    /// The report, with channel names from `channels`.
    pub fn finish(self, channels: &Channels) -> FunnelReport {
        self.report(channels)
    }

    pub(super) fn report(&self, channels: &Channels) -> FunnelReport {
        self.report_on(channels, 1)
    }
}

/// The accumulators in use, with their channel slots.
pub(super) fn present(by_channel: &[Option<Acc>]) -> Vec<(u32, &Acc)> {
    by_channel
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().map(|a| (i as u32, a)))
        // Accumulators recycled by a `FunnelAnalyzer` may be empty.
        .filter(|(_, a)| a.at_level.iter().any(|&c| c > 0))
        .collect()
}
