//! Ordered, windowed funnels over event streams, with the semantics of
//! ClickHouse's `windowFunnel`, time to convert, and a breakdown by entry
//! channel.
//!
//! A funnel is a list of steps (awareness, interest, decision, purchase, or
//! your own). Each [`FunnelEvent`] says that a user did step `k` (0-based) at
//! a time, through a channel. [`analyze`] finds, for every user, how far
//! along the funnel they got within the conversion window, and reports per
//! step how many users reached it, the conversion from the previous and the
//! first step, the drop-off, and the time it took ([`FunnelReport`]).
//!
//! # The level of a user: ClickHouse's rules
//!
//! revops reproduces `windowFunnel(window, mode...)(timestamp, cond1, ...)`
//! of ClickHouse as of 26.9 (`AggregateFunctionWindowFunnel.cpp`, after the
//! #37177 fix of `strict_deduplication`). A user's *level* is the number of
//! steps reached (ClickHouse's return value); `steps[k].users` counts users
//! with level `>= k + 1`.
//!
//! The user's events are sorted by timestamp; within one second, events
//! that match no step come first (ClickHouse numbers them condition 0), then
//! steps in order (a step-1 event in the same second as a step-2 event comes
//! first), then by channel name. Events whose step index is `>= steps` match
//! no step. One chain of
//! timestamps is kept per level; then each event, in order:
//!
//! 1. **matches no step**: ignored, except under `strict_order`, where it
//!    ends the scan if a step-1 event has been seen (and is skipped before).
//! 2. **step 1**: starts a new chain at level 1 with this timestamp. Chains
//!    already under way at higher levels are **kept**: a later step-1 event
//!    does not reset them, it only offers a newer starting point.
//! 3. otherwise (step `k > 1`), the first rule that applies:
//!    * `strict_deduplication` and level `k` is already reached: the scan
//!      stops and the level reached so far is the result (a repeated step
//!      ends the funnel);
//!    * `strict_order`, a step-1 event was seen, and level `k - 1` is not
//!      reached: the event skipped ahead of the order, so the scan stops
//!      (with `allow_reentry`, the event is ignored instead and the scan
//!      goes on);
//!    * level `k - 1` is reached: the event extends that level's chain if
//!      `timestamp <= chain start + window` (**inclusive**), and, under
//!      `strict_increase`, if its timestamp is strictly after the previous
//!      step's. It then becomes level `k`'s chain; reaching the last step
//!      ends the scan.
//! 4. The result is the highest level reached.
//!
//! **Ties.** Events in the same second are ordered by step, so `A` and `B`
//! at the same second count as `A` then `B` in the default mode (and are
//! refused by `strict_increase`); an event matching no step in the same
//! second as `B` comes before it, so under `strict_order` it stops the scan
//! before `B` is counted.
//!
//! **`strict_once`** switches to ClickHouse's second algorithm: every chain
//! at every level is kept (not only the latest), an event extends each chain
//! of the level below that it can, and chains out of the window are dropped
//! (one is always kept per level). ClickHouse additionally checks that one
//! row is not used twice in a chain, which matters when a row satisfies two
//! conditions; a revops event has exactly one step, so that check never
//! applies.
//!
//! **Duplicates are kept**: two identical events are two events, which is
//! what `strict_deduplication` reacts to.
//!
//! Mode combinations are those ClickHouse accepts: any subset of the five,
//! except that `allow_reentry` requires `strict_order`.
//!
//! # A wider window never lowers a count (default mode)
//!
//! Claim: with the default mode, a user's level under window `w' >= w` is
//! at least their level under `w`. Proof sketch: run both scans side by
//! side over the same sorted events. Level 1's chain is the same in both
//! (it does not depend on the window). Suppose that, before some event, every
//! level reached under `w` is also reached under `w'`, with a chain start at
//! least as late (starts only move forward: each level copies its start from
//! the level below, whose start never decreases). A step-`k` event that
//! extends level `k - 1` under `w` satisfies `ts <= start_w + w <= start_w' +
//! w'`, so it extends it under `w'` too, and both level-`k` starts become
//! their level `k - 1` starts, keeping the order; an event extending only
//! under `w'` moves that start forward, which keeps it too. So the invariant
//! holds to the end, and every count per step is at least as large. The
//! property test `wider_window_never_lowers_counts` checks it. Under
//! `strict_deduplication` the claim fails: with `A@0, B@15, A@16, B@17,
//! C@18`, a 10 s window completes the funnel through `A@16` (level 3) while a
//! 20 s window takes `B@15`, so `B@17` repeats a reached step and ends the
//! scan at level 2 (test `wider_window_can_lower_counts_under_strict_deduplication`).
//!
//! # The counted chain
//!
//! Time to convert and the entry channel come from one chain per user: the
//! chain as it stands when the user's highest level is **first** reached,
//! with its own per-step timestamps (for a user who only reached step 1:
//! their first step-1 event). Its entry channel is the channel of the
//! chain's step-1 event; step-1 events in the same second go to the channel
//! whose name sorts first, so the result never depends on input order.
//! Users who never did step 1 are not in the funnel (they are counted under
//! `ignored`).
//!
//! # Beyond ClickHouse
//!
//! * [`FunnelKind::AnyOrder`]: the level is the largest number of distinct
//!   steps done within one window `[t, t + window]` that starts at one of the
//!   user's step events, in any order (PostHog's and Mixpanel's unordered
//!   funnels). Time-to-convert figures are not reported for it.
//! * [`Exclusion`] steps: an event of a given kind strictly between the
//!   counted chain's `from` and `to` steps disqualifies the conversion: the
//!   user counts as having dropped off before `to` (Mixpanel's rule; the
//!   user stays in the funnel and is counted under `ignored` as
//!   `conversion_excluded`).
//!
//! # Partitions and merging
//!
//! [`FunnelState`] is the partial result over some users. Split users across
//! partitions with [`partition_of`] (every event of a user in one
//! partition), [`FunnelState::merge`] the partial states, and
//! [`FunnelState::finish`] into the report: the result equals the analysis
//! of the whole input.
//!
//! # How it runs, and what it costs
//!
//! Events arrive in any order. One read of them scatters 16-byte records
//! (a bijective hash of the user, and a key whose integer order is the
//! order of time, step and channel name) into a few hundred partitions by
//! the hash's top bits. Each partition, small enough for the L2 cache, is
//! then split by the next bits into about one bucket per two events, so
//! that most users have a bucket to themselves; a bucket of up to 8 events
//! is sorted by a sorting network without branches, and the user's keys
//! go straight to the scan (the default mode scans the keys without
//! decoding them). Users with no event past step 1 skip the scan. The
//! counted chains are kept per entry channel as rows of 32-bit times, and
//! the exact medians and 90th percentiles are found by histogram selection
//! rather than by sorting.
//!
//! The working memory is about 20 bytes per event. [`analyze`] allocates it
//! on every call, and fresh memory costs page faults; a
//! [`FunnelAnalyzer`] kept between calls reuses it. On the 2-core machine
//! this crate is developed on, 10.6 million events of 2 million users take
//! about 250 to 275 ms with a reused analyser and about 355 ms as a one-off
//! call, single threaded (`cargo bench --bench funnel`, which also runs a
//! straightforward `HashMap` implementation: about 4.5 s). On Linux with
//! glibc 2.35 or later, starting the process with
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` lets the allocator back large
//! buffers with transparent huge pages, which takes most of the page-fault
//! cost out of one-off calls (about 270 to 290 ms there).
//!
//! # Example
//!
//! ```
//! use chrono::TimeDelta;
//! use revops::funnel::{analyze, FunnelEvent, FunnelSpec};
//! use revops::journey::Channels;
//!
//! let mut ch = Channels::new();
//! let ads = ch.intern_str("ads")?;
//! let spec = FunnelSpec::new(3, TimeDelta::hours(1))?;
//! let events = [
//!     FunnelEvent::new(1, 0, 0, ads),     // user 1: step 1 at 0 s
//!     FunnelEvent::new(1, 600, 1, ads),   //         step 2 at 10 min
//!     FunnelEvent::new(1, 4000, 2, ads),  //         step 3 too late
//!     FunnelEvent::new(2, 100, 0, ads),   // user 2: step 1 only
//! ];
//! let report = analyze(&spec, &events, &ch)?;
//! let users: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
//! assert_eq!(users, [2, 1, 0]);
//! assert_eq!(report.steps[1].conversion_from_previous.unwrap().to_string(), "50%");
//! # Ok::<(), revops::Error>(())
//! ```

mod scan;

use std::collections::BTreeMap;

use chrono::TimeDelta;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels, Journey};
use crate::quantity::{mean_from_sum, quantile_by_rank, sort_i64, Ratio};
use scan::{scan, Ev, Scratch};

/// The most steps a funnel can have (ClickHouse's limit).
pub const MAX_STEPS: usize = 32;

/// One event of a funnel: a user did step `step` (0-based) at `ts` (integer
/// seconds, for example Unix time) through `channel`. A step index at or
/// above the funnel's number of steps marks an event that matches no step
/// (it matters to `strict_order` and to exclusions).
///
/// 24 bytes, so 10 million events take 240 MB.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FunnelEvent {
    /// The user (prospect) id.
    pub user: u64,
    /// When, in integer seconds.
    pub ts: i64,
    /// The 0-based step index.
    pub step: u8,
    /// The channel, interned in a [`Channels`] registry.
    pub channel: ChannelId,
}

impl FunnelEvent {
    /// An event.
    pub fn new(user: u64, ts: i64, step: u8, channel: ChannelId) -> FunnelEvent {
        FunnelEvent {
            user,
            ts,
            step,
            channel,
        }
    }

    /// Funnel events for one user from a [`Journey`]: each touch becomes an
    /// event at its time (Unix seconds) with the step `step_of` assigns to
    /// it (return `None` to leave a touch out), and its channel interned in
    /// `channels`.
    ///
    /// # Errors
    ///
    /// As [`Channels::intern`].
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use revops::funnel::FunnelEvent;
    /// use revops::journey::{Channel, Channels, Journey, Stage, Touchpoint, TouchpointKind as K};
    /// let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    /// let j = Journey::new(vec![Touchpoint::new(t, Channel::new("ads")?, K::Impression)]);
    /// let mut reg = Channels::new();
    /// // Steps by journey stage: awareness = 0, interest = 1, ...
    /// let ev = FunnelEvent::from_journey(7, &j, &mut reg, |tp| Some(tp.kind.stage() as u8))?;
    /// assert_eq!(ev[0].step, 0);
    /// assert_eq!(ev[0].ts, t.timestamp());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_journey(
        user: u64,
        journey: &Journey,
        channels: &mut Channels,
        step_of: impl Fn(&crate::journey::Touchpoint) -> Option<u8>,
    ) -> Result<Vec<FunnelEvent>> {
        let mut out = Vec::with_capacity(journey.touches().len());
        for t in journey.touches() {
            if let Some(step) = step_of(t) {
                let channel = channels.intern(&t.channel)?;
                out.push(FunnelEvent::new(user, t.at.timestamp(), step, channel));
            }
        }
        Ok(out)
    }
}

/// The `windowFunnel` modes. Any combination is allowed, except
/// `allow_reentry` without `strict_order` (as in ClickHouse).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct Modes {
    /// A repeated step ends the funnel.
    pub strict_deduplication: bool,
    /// No other event may come between the steps.
    pub strict_order: bool,
    /// Steps must have strictly increasing timestamps.
    pub strict_increase: bool,
    /// ClickHouse's every-chain algorithm.
    pub strict_once: bool,
    /// With `strict_order`: ignore steps that come too early instead of
    /// stopping.
    pub allow_reentry: bool,
}

impl Modes {
    /// Parses a ClickHouse mode name into these modes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an unknown name (ClickHouse's old
    /// `strict` is refused, as ClickHouse refuses it).
    ///
    /// ```
    /// let mut m = revops::funnel::Modes::default();
    /// m.set("strict_order")?;
    /// assert!(m.strict_order);
    /// assert!(m.set("strict").is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn set(&mut self, name: &str) -> Result<()> {
        match name {
            "strict_deduplication" => self.strict_deduplication = true,
            "strict_order" => self.strict_order = true,
            "strict_increase" => self.strict_increase = true,
            "strict_once" => self.strict_once = true,
            "allow_reentry" => self.allow_reentry = true,
            "strict" => {
                return Err(Error::invalid(
                    "funnel mode",
                    "\"strict\" was replaced by \"strict_deduplication\"",
                ))
            }
            other => {
                return Err(Error::invalid(
                    "funnel mode",
                    format!("unknown mode {other:?}"),
                ))
            }
        }
        Ok(())
    }
}

/// Ordered (ClickHouse) or any-order funnels.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FunnelKind {
    /// Steps in order, ClickHouse's `windowFunnel`.
    #[default]
    Ordered,
    /// All steps within the window, in any order.
    AnyOrder,
}

/// An exclusion: an event with step code `event` (at or above the number of
/// steps) strictly between steps `from_step` and `to_step` of the counted
/// chain disqualifies the conversion to `to_step`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Exclusion {
    /// The excluded event's code (a step index `>= steps`).
    pub event: u8,
    /// The step after which the exclusion counts.
    pub from_step: usize,
    /// The step before which it counts.
    pub to_step: usize,
}

/// What to compute: the number of steps, the window, the modes.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FunnelSpec {
    steps: u8,
    window: i64,
    modes: Modes,
    kind: FunnelKind,
    exclusions: Vec<Exclusion>,
}

impl FunnelSpec {
    /// An ordered funnel of `steps` steps (1 to 32) with a conversion window
    /// (whole seconds; sub-second parts are dropped), default mode.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for 0 or more than 32 steps, or a negative
    /// window.
    pub fn new(steps: usize, window: TimeDelta) -> Result<FunnelSpec> {
        if steps == 0 || steps > MAX_STEPS {
            return Err(Error::invalid(
                "funnel",
                format!("a funnel has 1 to {MAX_STEPS} steps, not {steps}"),
            ));
        }
        if window < TimeDelta::zero() {
            return Err(Error::invalid("funnel", "the window is negative"));
        }
        Ok(FunnelSpec {
            steps: steps as u8,
            window: window.num_seconds(),
            modes: Modes::default(),
            kind: FunnelKind::Ordered,
            exclusions: Vec::new(),
        })
    }

    /// Sets the modes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `allow_reentry` without `strict_order`.
    pub fn with_modes(mut self, modes: Modes) -> Result<FunnelSpec> {
        if modes.allow_reentry && !modes.strict_order {
            return Err(Error::invalid(
                "funnel modes",
                "allow_reentry requires strict_order",
            ));
        }
        self.modes = modes;
        Ok(self)
    }

    /// Makes it an any-order funnel.
    pub fn any_order(mut self) -> FunnelSpec {
        self.kind = FunnelKind::AnyOrder;
        self
    }

    /// Adds an exclusion.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless `from_step < to_step < steps <= event`.
    pub fn exclude(mut self, x: Exclusion) -> Result<FunnelSpec> {
        let n = usize::from(self.steps);
        if !(x.from_step < x.to_step && x.to_step < n && usize::from(x.event) >= n) {
            return Err(Error::invalid(
                "funnel exclusion",
                "needs from_step < to_step < steps <= event code",
            ));
        }
        self.exclusions.push(x);
        Ok(self)
    }

    /// The number of steps.
    pub fn steps(&self) -> usize {
        usize::from(self.steps)
    }

    /// The window in seconds.
    pub fn window_seconds(&self) -> i64 {
        self.window
    }

    /// The modes.
    pub fn modes(&self) -> Modes {
        self.modes
    }

    /// The kind.
    pub fn kind(&self) -> FunnelKind {
        self.kind
    }
}

/// Which of `n` partitions a user belongs to: a fixed hash of the id, so
/// every event of a user lands in the same partition.
///
/// ```
/// let p = revops::funnel::partition_of(42, 4);
/// assert!(p < 4);
/// assert_eq!(p, revops::funnel::partition_of(42, 4));
/// ```
pub fn partition_of(user: u64, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    ((u128::from(mix(user)) * n as u128) >> 64) as usize
}

/// A 64-bit mixer: an xor-shift then a multiplication by an odd constant,
/// both invertible, so the mixer is a bijection on `u64` (equal hashes mean
/// equal users). Its high bits, which choose partitions and buckets, depend
/// on every bit of the id.
#[inline]
fn mix(x: u64) -> u64 {
    (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The counted chains of the users of one entry channel, by level: for a
/// user at level `L >= 2`, the `L - 1` times (seconds) from the chain's
/// first step to each later step, one row per user. A time from the
/// previous step is the difference of two neighbours in a row, so it is
/// not stored.
///
/// Rows are `u32` while every time fits (any window below 136 years: a
/// chain never spans more than its window); a time that does not fit turns
/// the whole accumulator to `i64` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rows {
    Narrow(Vec<Vec<u32>>),
    Wide(Vec<Vec<i64>>),
}

/// Per-step accumulators for the users of one entry channel.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Acc {
    /// `at_level[k]`: users whose level is `k + 1` exactly.
    at_level: Vec<u64>,
    /// Index `L - 1`: the rows of the users at level `L`.
    rows: Rows,
    /// The largest time in the rows (from the previous step or from the
    /// first: the latter bound the former).
    max: i64,
}

impl Acc {
    fn new(n: usize) -> Acc {
        Acc {
            at_level: vec![0; n],
            rows: Rows::Narrow(vec![Vec::new(); n]),
            max: 0,
        }
    }

    /// Empties the accumulator, keeping its memory.
    fn clear(&mut self) {
        self.at_level.fill(0);
        self.max = 0;
        match &mut self.rows {
            Rows::Narrow(v) => v.iter_mut().for_each(Vec::clear),
            Rows::Wide(_) => self.rows = Rows::Narrow(vec![Vec::new(); self.at_level.len()]),
        }
    }

    fn widen(&mut self) {
        if let Rows::Narrow(v) = &self.rows {
            let wide = v
                .iter()
                .map(|l| l.iter().map(|&x| i64::from(x)).collect())
                .collect();
            self.rows = Rows::Wide(wide);
        }
    }

    /// Adds a user at `level` whose counted chain has timestamps `ts`.
    #[inline]
    fn add(&mut self, level: usize, ts: &[i64], timed: bool) {
        self.at_level[level - 1] += 1;
        if !timed || level < 2 {
            return;
        }
        let chain = &ts[..level];
        let t0 = chain[0];
        self.max = self.max.max(chain[level - 1] - t0);
        if let Rows::Narrow(v) = &mut self.rows {
            let row = &mut v[level - 1];
            let before = row.len();
            for &t in &chain[1..] {
                match u32::try_from(t - t0) {
                    Ok(x) => row.push(x),
                    Err(_) => {
                        row.truncate(before);
                        break;
                    }
                }
            }
            if row.len() == before + level - 1 {
                return;
            }
            self.widen();
        }
        if let Rows::Wide(v) = &mut self.rows {
            v[level - 1].extend(chain[1..].iter().map(|&t| t - t0));
        }
    }

    fn merge(&mut self, o: &Acc) {
        for (a, b) in self.at_level.iter_mut().zip(&o.at_level) {
            *a += b;
        }
        self.max = self.max.max(o.max);
        if let Rows::Wide(_) = o.rows {
            self.widen();
        }
        match (&mut self.rows, &o.rows) {
            (Rows::Narrow(a), Rows::Narrow(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend_from_slice(y);
                }
            }
            (Rows::Wide(a), Rows::Narrow(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend(y.iter().map(|&v| i64::from(v)));
                }
            }
            (Rows::Wide(a), Rows::Wide(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend_from_slice(y);
                }
            }
            (Rows::Narrow(_), Rows::Wide(_)) => {}
        }
    }

    /// Calls `f` with every time to step `k >= 1` (from the previous step
    /// if `prev`, else from the first), for narrow rows.
    #[inline]
    fn for_each_narrow(&self, k: usize, prev: bool, mut f: impl FnMut(u32)) {
        let Rows::Narrow(v) = &self.rows else {
            return;
        };
        for (l, rows) in v.iter().enumerate().skip(k) {
            // Rows of users at level l + 1 > k hold l values each.
            for row in rows.chunks_exact(l) {
                let x = row[k - 1];
                f(if prev && k >= 2 { x - row[k - 2] } else { x });
            }
        }
    }

    /// The same as a list, for any rows.
    fn times(&self, k: usize, prev: bool) -> Vec<i64> {
        match &self.rows {
            Rows::Narrow(_) => {
                let mut out = Vec::new();
                self.for_each_narrow(k, prev, |x| out.push(i64::from(x)));
                out
            }
            Rows::Wide(v) => {
                let mut out = Vec::new();
                for (l, rows) in v.iter().enumerate().skip(k) {
                    for row in rows.chunks_exact(l) {
                        let x = row[k - 1];
                        out.push(if prev && k >= 2 { x - row[k - 2] } else { x });
                    }
                }
                out
            }
        }
    }
}

/// The step reports for one group, from its level counts and its
/// time-to-convert statistics per step (`None` for step 0).
fn step_reports(
    at_level: &[u64],
    from_prev: &[Option<TimeStats>],
    from_first: &[Option<TimeStats>],
) -> Vec<StepReport> {
    let n = at_level.len();
    // users[k] = users with level >= k + 1
    let mut users = vec![0u64; n];
    let mut acc = 0u64;
    for k in (0..n).rev() {
        acc += at_level[k];
        users[k] = acc;
    }
    (0..n)
        .map(|k| {
            let prev = if k == 0 { None } else { Some(users[k - 1]) };
            StepReport {
                step: k,
                users: users[k],
                conversion_from_previous: prev.and_then(|p| Ratio::from_counts(users[k], p).ok()),
                conversion_from_first: Ratio::from_counts(users[k], users[0]).ok(),
                drop_off: if k + 1 < n {
                    users[k] - users[k + 1]
                } else {
                    0
                },
                time_from_previous: from_prev.get(k).cloned().flatten(),
                time_from_first: from_first.get(k).cloned().flatten(),
            }
        })
        .collect()
}

/// The statistics of the times to step `k` for each accumulator and for
/// their union (last), computed together: one read for the sums and the
/// largest value, one to count values into buckets of their top bits (the
/// union's counts are the sum of the parts'), one to gather the values of
/// the buckets that hold the ranks the quantiles need, which alone are
/// sorted. Wide rows (windows of 136 years or more) are sorted instead.
fn step_stats(accs: &[&Acc], k: usize, prev: bool) -> Vec<Option<TimeStats>> {
    let g = accs.len();
    if accs.iter().any(|a| matches!(a.rows, Rows::Wide(_))) {
        let lists: Vec<Vec<i64>> = accs.iter().map(|a| a.times(k, prev)).collect();
        let mut out: Vec<Option<TimeStats>> = lists
            .iter()
            .map(|l| TimeStats::of_values(l.clone()))
            .collect();
        out.push(TimeStats::of_values(lists.concat()));
        return out;
    }
    // Narrow rows hold values below 2^32 only.
    let max = accs
        .iter()
        .map(|a| a.max)
        .max()
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX)) as u32;
    let shift = (u32::BITS - max.leading_zeros()).saturating_sub(SELECT_BITS);
    let buckets = (max >> shift) as usize + 1;
    // One read: counts, sums, and hist[i][b + 1], the values of group i in
    // bucket b (then prefix sums).
    let mut count = vec![0u64; g + 1];
    let mut sum = vec![0u128; g + 1];
    let mut hist = vec![vec![0u64; buckets + 1]; g + 1];
    for (i, a) in accs.iter().enumerate() {
        let h = &mut hist[i];
        let (mut c, mut s) = (0u64, 0u128);
        a.for_each_narrow(k, prev, |x| {
            h[(x >> shift) as usize + 1] += 1;
            c += 1;
            s += u128::from(x);
        });
        count[i] = c;
        sum[i] = s;
        count[g] += c;
        sum[g] += s;
    }
    if count[g] == 0 {
        return vec![None; g + 1];
    }
    let (parts, union) = hist.split_at_mut(g);
    for h in parts.iter() {
        for (u, x) in union[0].iter_mut().zip(h) {
            *u += x;
        }
    }
    for h in &mut hist {
        for b in 1..h.len() {
            h[b] += h[b - 1];
        }
    }
    let half = Ratio::from_counts(1, 2).ok();
    let p90 = Ratio::from_counts(9, 10).ok();
    let (Some(half), Some(p90)) = (half, p90) else {
        return vec![None; g + 1];
    };
    // The ranks the quantile rule asks for, found by asking it with a
    // recording lookup; then the buckets holding them, per group.
    let wanted_buckets: Vec<Vec<usize>> = (0..=g)
        .map(|i| {
            let asked = std::cell::RefCell::new(Vec::new());
            let record = |r: u64| {
                asked.borrow_mut().push(r);
                Some(0)
            };
            let _ = quantile_by_rank(count[i], half, record);
            let _ = quantile_by_rank(count[i], p90, record);
            let mut b: Vec<usize> = asked
                .into_inner()
                .iter()
                .map(|&r| hist[i].partition_point(|&c| c <= r) - 1)
                .collect();
            b.sort_unstable();
            b.dedup();
            b
        })
        .collect();
    // Per bucket, bit flags: bit 0 if its group wants it, bit 1 if the
    // union does.
    let mut gathered: Vec<Vec<Vec<u32>>> = wanted_buckets
        .iter()
        .map(|b| vec![Vec::new(); b.len()])
        .collect();
    let mut union_want = vec![u8::MAX; buckets];
    for (j, &b) in wanted_buckets[g].iter().enumerate() {
        union_want[b] = j as u8;
    }
    let mut want = vec![u8::MAX; buckets];
    for (i, a) in accs.iter().enumerate() {
        for (j, &b) in wanted_buckets[i].iter().enumerate() {
            want[b] = j as u8;
        }
        let (mine, rest) = gathered.split_at_mut(g);
        let (mine, union) = (&mut mine[i], &mut rest[0]);
        a.for_each_narrow(k, prev, |x| {
            let b = (x >> shift) as usize;
            if let Some(l) = mine.get_mut(usize::from(want[b])) {
                l.push(x);
            }
            if let Some(l) = union.get_mut(usize::from(union_want[b])) {
                l.push(x);
            }
        });
        for &b in &wanted_buckets[i] {
            want[b] = u8::MAX;
        }
    }
    (0..=g)
        .map(|i| {
            if count[i] == 0 {
                return None;
            }
            for l in &mut gathered[i] {
                l.sort_unstable();
            }
            let nth = |r: u64| -> Option<i64> {
                let b = hist[i].partition_point(|&c| c <= r) - 1;
                let j = wanted_buckets[i].binary_search(&b).ok()?;
                let off = usize::try_from(r - hist[i][b]).ok()?;
                gathered[i][j].get(off).map(|&v| i64::from(v))
            };
            Some(TimeStats {
                count: count[i],
                mean_seconds: mean_from_sum(i128::try_from(sum[i]).ok()?, count[i])?,
                median_seconds: quantile_by_rank(count[i], half, nth)?,
                p90_seconds: quantile_by_rank(count[i], p90, nth)?,
            })
        })
        .collect()
}

/// Exact time-to-convert statistics, in seconds, by the crate's quantile
/// rule.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimeStats {
    /// How many users the figures cover.
    pub count: u64,
    /// The mean, in seconds.
    pub mean_seconds: Decimal,
    /// The median, in seconds.
    pub median_seconds: Decimal,
    /// The 90th percentile, in seconds.
    pub p90_seconds: Decimal,
}

/// The buckets of the histogram selection: at most 2^12 (32 KiB of
/// counts per group, which stay in the cache).
const SELECT_BITS: u32 = 12;

impl TimeStats {
    /// The statistics of a list, by sorting it.
    fn of_values(mut all: Vec<i64>) -> Option<TimeStats> {
        let n = all.len() as u64;
        if n == 0 {
            return None;
        }
        sort_i64(&mut all);
        let sum: i128 = all.iter().map(|&v| i128::from(v)).sum();
        let nth = |k: u64| usize::try_from(k).ok().and_then(|k| all.get(k)).copied();
        Some(TimeStats {
            count: n,
            mean_seconds: mean_from_sum(sum, n)?,
            median_seconds: quantile_by_rank(n, Ratio::from_counts(1, 2).ok()?, nth)?,
            p90_seconds: quantile_by_rank(n, Ratio::from_counts(9, 10).ok()?, nth)?,
        })
    }
}

/// One step of a [`FunnelReport`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StepReport {
    /// The 0-based step index.
    pub step: usize,
    /// Users who reached this step (level `>= step + 1`).
    pub users: u64,
    /// `users / users of the previous step`; `None` for the first step or
    /// when the previous step has no users.
    pub conversion_from_previous: Option<Ratio>,
    /// `users / users of the first step`; `None` when the funnel is empty.
    pub conversion_from_first: Option<Ratio>,
    /// Users who reached this step but not the next (0 for the last step).
    pub drop_off: u64,
    /// Time from the previous step, over users who reached this step.
    pub time_from_previous: Option<TimeStats>,
    /// Time from the first step, over users who reached this step.
    pub time_from_first: Option<TimeStats>,
}

/// The result of a funnel analysis.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FunnelReport {
    /// One entry per step.
    pub steps: Vec<StepReport>,
    /// The same per entry channel (the channel of the counted chain's
    /// step-1 event), keyed by channel name.
    pub by_channel: BTreeMap<String, Vec<StepReport>>,
    /// What was not counted, and why: `events_matching_no_step` (events
    /// with a step index `>= steps`, which only `strict_order` and
    /// exclusions look at), `users_without_first_step` (users with events
    /// but never step 1: not in the funnel), `conversion_excluded` (users
    /// whose chain an exclusion cut short).
    pub ignored: BTreeMap<String, u64>,
    /// Events read.
    pub events: u64,
    /// Distinct users seen (in the funnel or not).
    pub users_seen: u64,
}

/// The partial result of a funnel analysis over some users: merge states
/// computed on partitions, then [`finish`](FunnelState::finish).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunnelState {
    spec: FunnelSpec,
    /// An ordered funnel in the default mode without exclusions.
    plain: bool,
    /// Per channel id: the accumulators of the users who entered there.
    by_channel: Vec<Option<Acc>>,
    no_step_events: u64,
    without_first: u64,
    excluded: u64,
    events: u64,
    users: u64,
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
            no_step_events: 0,
            without_first: 0,
            excluded: 0,
            events: 0,
            users: 0,
        }
    }

    /// Adds events, in any order. Every event of a user must be in the
    /// same call (or the same partition): a user's events split across
    /// calls count as two users.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an event whose channel is not in
    /// `channels`.
    pub fn add_events(&mut self, events: &[FunnelEvent], channels: &Channels) -> Result<()> {
        FunnelAnalyzer::new().add_events(self, events, channels)
    }

    /// Adds one user given as sorted keys of `parted`: the default-mode
    /// scan runs on the keys themselves; any other spec decodes them.
    fn add_keys(&mut self, keys: &[u64], parted: &Partitioned, scratch: &mut Scratch) {
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
        let (mut no_step, mut later) = (0u64, 0u64);
        for &k in keys {
            let order = (k >> STEP_SHIFT) & 0x1FF;
            no_step += u64::from(order < 0x100);
            later |= u64::from(order > 0x100);
        }
        self.no_step_events += no_step;
        let c = if later == 0 {
            // Only step-1 events: the first one is the counted chain.
            match keys.iter().find(|&&k| (k >> STEP_SHIFT) & 0x1FF == 0x100) {
                Some(&k) => {
                    scratch.counted[0] = (k >> TS_SHIFT) as i64;
                    scan::Counted {
                        level: 1,
                        channel: (k & ((1 << STEP_SHIFT) - 1)) as u32,
                        disqualified: false,
                    }
                }
                None => {
                    self.without_first += 1;
                    return;
                }
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
        self.acc_for(channel, n)
            .add(c.level, &scratch.counted, true);
    }

    fn acc_for(&mut self, channel: u32, n: usize) -> &mut Acc {
        let i = channel as usize;
        if self.by_channel.len() <= i {
            self.by_channel.resize(i + 1, None);
        }
        self.by_channel[i].get_or_insert_with(|| Acc::new(n))
    }

    fn add_user(&mut self, evs: &[Ev], n: usize, scratch: &mut Scratch) {
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
        self.acc_for(c.channel, n)
            .add(c.level, &scratch.counted, timed);
    }

    /// Adds another partition's state.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the two states are for different specs.
    pub fn merge(&mut self, other: &FunnelState) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::invalid(
                "funnel merge",
                "the states were computed for different funnel specs",
            ));
        }
        if self.by_channel.len() < other.by_channel.len() {
            self.by_channel.resize(other.by_channel.len(), None);
        }
        let n = self.spec.steps();
        for (mine, theirs) in self.by_channel.iter_mut().zip(&other.by_channel) {
            if let Some(acc) = theirs {
                mine.get_or_insert_with(|| Acc::new(n)).merge(acc);
            }
        }
        self.no_step_events += other.no_step_events;
        self.without_first += other.without_first;
        self.excluded += other.excluded;
        self.events += other.events;
        self.users += other.users;
        Ok(())
    }

    /// The report, with channel names from `channels`.
    pub fn finish(self, channels: &Channels) -> FunnelReport {
        self.report(channels)
    }

    fn report(&self, channels: &Channels) -> FunnelReport {
        let n = self.spec.steps();
        let timed = self.spec.kind == FunnelKind::Ordered;
        let mut ignored = BTreeMap::new();
        ignored.insert("events_matching_no_step".to_string(), self.no_step_events);
        ignored.insert("users_without_first_step".to_string(), self.without_first);
        ignored.insert("conversion_excluded".to_string(), self.excluded);
        let present: Vec<(u32, &Acc)> = self
            .by_channel
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.as_ref().map(|a| (i as u32, a)))
            // Accumulators recycled by a `FunnelAnalyzer` may be empty.
            .filter(|(_, a)| a.at_level.iter().any(|&c| c > 0))
            .collect();
        let all: Vec<&Acc> = present.iter().map(|(_, a)| *a).collect();
        let g = all.len();
        // stats[kind][k][group]: kind 0 from the previous step, 1 from the
        // first; group g is the whole funnel.
        let stats: Vec<Vec<Vec<Option<TimeStats>>>> = [true, false]
            .iter()
            .map(|&prev| {
                (0..n)
                    .map(|k| {
                        if timed && k > 0 {
                            step_stats(&all, k, prev)
                        } else {
                            vec![None; g + 1]
                        }
                    })
                    .collect()
            })
            .collect();
        let report = |i: usize, at_level: &[u64]| {
            let pick = |kind: usize| -> Vec<Option<TimeStats>> {
                stats[kind].iter().map(|per| per[i].clone()).collect()
            };
            step_reports(at_level, &pick(0), &pick(1))
        };
        let mut total = vec![0u64; n];
        for a in &all {
            for (x, y) in total.iter_mut().zip(&a.at_level) {
                *x += y;
            }
        }
        FunnelReport {
            steps: report(g, &total),
            by_channel: present
                .iter()
                .enumerate()
                .map(|(i, (ch, acc))| {
                    let name = channels
                        .name(ChannelId(*ch))
                        .map_or_else(|| format!("#{ch}"), str::to_string);
                    (name, report(i, &acc.at_level))
                })
                .collect(),
            ignored,
            events: self.events,
            users_seen: self.users,
        }
    }
}

/// Analyses `events` (any order) with `spec`; channel names come from
/// `channels`. See the [module docs](self) for the rules.
///
/// # Errors
///
/// [`Error::InvalidInput`] for an event whose channel is not in `channels`.
pub fn analyze(
    spec: &FunnelSpec,
    events: &[FunnelEvent],
    channels: &Channels,
) -> Result<FunnelReport> {
    FunnelAnalyzer::new().analyze(spec, events, channels)
}

/// A funnel analyser that keeps its working memory between calls.
///
/// [`analyze`] and [`FunnelState::add_events`] allocate their working
/// memory (about 16 bytes per event) afresh on every call, and the
/// operating system hands out fresh memory one page fault at a time: on
/// 10 million events that is a fifth of the run time. A service that
/// analyses event batches again and again keeps one `FunnelAnalyzer` per
/// thread instead; it holds on to the memory of the largest batch it has
/// seen until it is dropped. The results are identical.
///
/// ```
/// use chrono::TimeDelta;
/// use revops::funnel::{analyze, FunnelAnalyzer, FunnelEvent, FunnelSpec};
/// use revops::journey::Channels;
/// let mut ch = Channels::new();
/// let web = ch.intern_str("web")?;
/// let spec = FunnelSpec::new(2, TimeDelta::seconds(60))?;
/// let mut analyzer = FunnelAnalyzer::new();
/// for day in 0..3i64 {
///     let start = day * 86_400;
///     let events: Vec<FunnelEvent> = (0..1_000u64)
///         .flat_map(|u| [
///             FunnelEvent::new(u, start, 0, web),
///             FunnelEvent::new(u, start + (u % 90) as i64, 1, web),
///         ])
///         .collect();
///     let report = analyzer.analyze(&spec, &events, &ch)?;
///     assert_eq!(report, analyze(&spec, &events, &ch)?);
///     // Converted: the users whose second event is within 60 seconds.
///     assert_eq!(report.steps[1].users, (0..1_000u64).filter(|u| u % 90 <= 60).count() as u64);
/// }
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Default)]
pub struct FunnelAnalyzer {
    parted: Partitioned,
    pass2: PassTwo,
    /// The accumulators of the last analysis, emptied, for the next one.
    spare: Vec<Option<Acc>>,
}

impl std::fmt::Debug for FunnelAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunnelAnalyzer")
            .field("kept_records", &self.parted.recs.len())
            .finish()
    }
}

impl FunnelAnalyzer {
    /// An analyser with no memory yet.
    pub fn new() -> FunnelAnalyzer {
        FunnelAnalyzer::default()
    }

    /// As [`analyze`].
    ///
    /// # Errors
    ///
    /// As [`analyze`].
    pub fn analyze(
        &mut self,
        spec: &FunnelSpec,
        events: &[FunnelEvent],
        channels: &Channels,
    ) -> Result<FunnelReport> {
        let mut state = FunnelState::new(spec);
        // The last analysis's accumulators, if they have the same shape:
        // their memory is already mapped.
        let mut spare = std::mem::take(&mut self.spare);
        if spare
            .iter()
            .flatten()
            .all(|a| a.at_level.len() == spec.steps())
        {
            spare.iter_mut().flatten().for_each(Acc::clear);
            state.by_channel = spare;
        }
        self.add_events(&mut state, events, channels)?;
        let report = state.report(channels);
        self.spare = state.by_channel;
        Ok(report)
    }

    /// As [`FunnelState::add_events`].
    ///
    /// # Errors
    ///
    /// As [`FunnelState::add_events`].
    pub fn add_events(
        &mut self,
        state: &mut FunnelState,
        events: &[FunnelEvent],
        channels: &Channels,
    ) -> Result<()> {
        let ranks = channel_ranks(channels);
        let n = state.spec.steps();
        let mut scratch = Scratch::new();
        if self.parted.fill(events, &ranks, n)? {
            let parts = self.parted.parts();
            let parted = &self.parted;
            parted.scan(0..parts, &mut self.pass2, &mut |keys| {
                state.add_keys(keys, parted, &mut scratch)
            });
        } else {
            group_by_sorting(events, &ranks, n, |evs| {
                state.add_user(evs, n, &mut scratch)
            });
        }
        Ok(())
    }
}

/// [`analyze`] on `threads` threads (scoped, joined before returning).
/// The events are partitioned once, on the calling thread; the partitions
/// are then shared out between the threads, each with its own partial
/// state, and the states are merged. The result is identical to
/// [`analyze`]'s. `threads` of 0 or 1 runs on the calling thread.
///
/// # Errors
///
/// As [`analyze`].
///
/// ```
/// use chrono::TimeDelta;
/// use revops::funnel::{analyze, analyze_parallel, FunnelEvent, FunnelSpec};
/// use revops::journey::Channels;
/// let mut ch = Channels::new();
/// let web = ch.intern_str("web")?;
/// let events: Vec<FunnelEvent> = (0..100_000u64)
///     .flat_map(|u| [FunnelEvent::new(u, 0, 0, web), FunnelEvent::new(u, (u % 7) as i64, (u % 3) as u8, web)])
///     .collect();
/// let spec = FunnelSpec::new(3, TimeDelta::seconds(5))?;
/// assert_eq!(analyze_parallel(&spec, &events, &ch, 2)?, analyze(&spec, &events, &ch)?);
/// # Ok::<(), revops::Error>(())
/// ```
pub fn analyze_parallel(
    spec: &FunnelSpec,
    events: &[FunnelEvent],
    channels: &Channels,
    threads: usize,
) -> Result<FunnelReport> {
    let ranks = channel_ranks(channels);
    let mut grouped = Partitioned::default();
    if threads < 2 || !grouped.fill(events, &ranks, spec.steps())? || grouped.parts() < 2 {
        return analyze(spec, events, channels);
    }
    let parts = grouped.parts();
    let per = parts.div_ceil(threads);
    let states: Vec<FunnelState> = std::thread::scope(|scope| {
        let grouped = &grouped;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut st = FunnelState::new(spec);
                    let mut scratch = Scratch::new();
                    let range = (t * per).min(parts)..((t + 1) * per).min(parts);
                    let mut buf = PassTwo::default();
                    grouped.scan(range, &mut buf, &mut |keys| {
                        st.add_keys(keys, grouped, &mut scratch)
                    });
                    st
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| Error::invalid("funnel", "a worker thread stopped"))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut total = FunnelState::new(spec);
    for st in &states {
        total.merge(st)?;
    }
    Ok(total.finish(channels))
}

/// The rank of each channel's name in sorted order, by channel id.
fn channel_ranks(channels: &Channels) -> Vec<u32> {
    let mut ids: Vec<(&str, u32)> = channels.iter().map(|(id, c)| (c.as_str(), id.0)).collect();
    ids.sort_unstable();
    let mut ranks = vec![0u32; ids.len()];
    for (rank, (_, id)) in ids.iter().enumerate() {
        ranks[*id as usize] = rank as u32;
    }
    ranks
}

const TS_SHIFT: u32 = 28;
const STEP_SHIFT: u32 = 19;

/// Partitions hold about 2^13 events or more (with their working copy
/// and bucket counts, within the L2 cache up to about 2^15)...
const PART_SHIFT: u32 = 13;
/// ...and there are at most 2^9 of them (few enough write streams for the
/// scatter of pass 1; measured best on 10 million events, where 2^8 and
/// 2^10 are slower).
const MAX_PART_BITS: u32 = 9;

/// Events scattered by pass 1 into partitions by the top bits of a hash of
/// the user, as 16-byte records `[hash, key]`: the hash stands for the user
/// (the mixer is a bijection on u64, so equal hashes mean equal users), and
/// the key's integer order is the order of `(ts, step order, rank)`.
#[derive(Default)]
struct Partitioned {
    /// The records, in the partitions' ranges (anything else is memory
    /// kept from an earlier input).
    recs: Vec<[u64; 2]>,
    /// Partition `p` is `recs[starts[p]..ends[p]]`.
    starts: Vec<usize>,
    ends: Vec<usize>,
    parts_bits: u32,
    min_ts: i64,
    channel_of_rank: Vec<u32>,
}

/// The working memory of pass 2 (one per thread).
#[derive(Default)]
struct PassTwo {
    local: Vec<[u64; 2]>,
    sub_counts: Vec<usize>,
    next_counts: Vec<usize>,
    bounds: Vec<usize>,
    /// The keys of a user with more than 8 events.
    more: Vec<u64>,
}

impl Partitioned {
    /// The event a key stands for.
    #[inline]
    fn decode(&self, key: u64) -> Ev {
        let rank = (key & ((1 << STEP_SHIFT) - 1)) as u32;
        Ev {
            ts: self.min_ts + (key >> TS_SHIFT) as i64,
            step: ((key >> STEP_SHIFT) & 0xFF) as u8,
            rank,
            channel: self
                .channel_of_rank
                .get(rank as usize)
                .copied()
                .unwrap_or(0),
        }
    }

    fn parts(&self) -> usize {
        self.starts.len()
    }

    /// Pass 1: one read of the events, scattering `[hash, key]` records
    /// into partitions of fixed capacity (a quarter more than the average
    /// partition, plus some room), while finding the time span and the
    /// largest channel id. Keys hold the time relative to the first
    /// event's. If a partition overflows (a user with a great many events,
    /// say), the partitions are sized exactly by a counting read and the
    /// scatter is done again. Returns `false` (nothing partitioned) for
    /// inputs whose timestamps span 2^35 seconds (about 1,000 years) or
    /// more or with 2^19 channels or more: they are sorted instead.
    fn fill(&mut self, events: &[FunnelEvent], ranks: &[u32], steps: usize) -> Result<bool> {
        let n = events.len();
        let parts_bits = (usize::BITS - (n >> PART_SHIFT).leading_zeros()).min(MAX_PART_BITS);
        let parts = 1usize << parts_bits;
        let part_of = |h: u64| (h.checked_shr(64 - parts_bits).unwrap_or(0)) as usize;
        if ranks.len() >= 1 << STEP_SHIFT {
            check_channels(events, ranks)?;
            return Ok(false);
        }
        let Some(first) = events.first() else {
            self.starts.clear();
            self.ends.clear();
            return Ok(true);
        };
        // Keys count seconds from `origin`, 2^35 s before the first event.
        let Some(origin) = first.ts.checked_sub(1 << 35) else {
            check_channels(events, ranks)?;
            return Ok(false);
        };
        let mut step_bits = [0u64; 256];
        for (code, b) in step_bits.iter_mut().enumerate() {
            *b = step_order(code as u8, steps) << STEP_SHIFT;
        }
        let rank_bits: Vec<u64> = ranks.iter().map(|&r| u64::from(r)).collect();
        let Some(last_channel) = ranks.len().checked_sub(1) else {
            return Err(unknown_channel(first.channel));
        };
        // The key, and a non-zero flag if the event's time is out of the
        // key's range (the exact test: a negative difference wraps to 2^63
        // or more) or its channel is not registered.
        let key_of = |e: &FunnelEvent| -> (u64, u64) {
            let off = e.ts.wrapping_sub(origin) as u64;
            let ci = e.channel.index();
            let key = (off << TS_SHIFT)
                | step_bits[usize::from(e.step)]
                | rank_bits[ci.min(last_channel)];
            (key, (off >> 36) | u64::from(ci > last_channel))
        };
        let average = n / parts;
        let cap = average + average / 4 + 64;
        let total = cap * parts;
        // Memory kept from an earlier call is written over, not cleared;
        // fresh memory comes zeroed from the system, and pages that no
        // record lands on are never touched.
        if self.recs.len() < total {
            self.recs.resize(total, [0u64; 2]);
        }
        self.starts.clear();
        self.starts.extend((0..parts).map(|p| p * cap));
        self.ends.clear();
        self.ends.extend_from_slice(&self.starts);
        let mut bad = 0u64;
        let mut overflow = false;
        {
            let recs = &mut self.recs[..total];
            // Per partition: the next free slot and the end of its room.
            let mut cursor: Vec<[usize; 2]> =
                (0..parts).map(|p| [p * cap, (p + 1) * cap]).collect();
            let top = |h: u64| ((h >> 1) >> (63 - parts_bits)) as usize;
            for e in events {
                let h = mix(e.user);
                let (key, flag) = key_of(e);
                bad |= flag;
                let c = &mut cursor[top(h)];
                if c[0] < c[1] {
                    recs[c[0]] = [h, key];
                    c[0] += 1;
                } else {
                    overflow = true;
                }
            }
            for (end, c) in self.ends.iter_mut().zip(&cursor) {
                *end = c[0];
            }
        }
        if bad != 0 {
            check_channels(events, ranks)?;
            // A time out of the keys' range.
            return Ok(false);
        }
        if overflow {
            // Exact sizes: count, then scatter again.
            let mut counts = vec![0usize; parts + 1];
            for e in events {
                counts[part_of(mix(e.user)) + 1] += 1;
            }
            for i in 0..parts {
                counts[i + 1] += counts[i];
            }
            if self.recs.len() < n {
                self.recs.resize(n, [0u64; 2]);
            }
            self.starts.clear();
            self.starts.extend_from_slice(&counts[..parts]);
            self.ends.clear();
            self.ends.extend_from_slice(&self.starts);
            let recs = &mut self.recs[..n];
            for e in events {
                let h = mix(e.user);
                let p = part_of(h);
                recs[self.ends[p]] = [h, key_of(e).0];
                self.ends[p] += 1;
            }
        }
        self.channel_of_rank.clear();
        self.channel_of_rank.resize(ranks.len(), 0);
        for (id, &r) in ranks.iter().enumerate() {
            self.channel_of_rank[r as usize] = id as u32;
        }
        self.parts_bits = parts_bits;
        self.min_ts = origin;
        Ok(true)
    }

    /// Pass 2 over the partitions in `range`. Each partition, small enough
    /// for the cache, is split by the next hash bits into about one bucket
    /// per event, so that most users have a bucket to themselves. A bucket
    /// of one user with up to 8 events (the usual case) is sorted by key
    /// with a branch-free network on 64-bit keys; any other bucket is
    /// sorted as `[hash, key]` records and split into users. `f` gets each
    /// user's keys in order (see [`Partitioned::decode`]).
    fn scan(&self, range: std::ops::Range<usize>, buf: &mut PassTwo, f: &mut impl FnMut(&[u64])) {
        let PassTwo {
            local,
            sub_counts,
            next_counts,
            bounds,
            more,
        } = buf;
        // About one bucket per two events: most users (five events on
        // average) still have a bucket to themselves.
        let shift = self.parts_bits;
        let sub_bits_of = |len: usize| (usize::BITS - (len >> 1).leading_zeros()).clamp(1, 24);
        let part_of = |p: usize| &self.recs[self.starts[p]..self.ends[p]];
        // The bucket counts of a partition, `counts[b + 1]` for bucket `b`.
        let count_into = |counts: &mut Vec<usize>, part: &[[u64; 2]]| {
            let bits = sub_bits_of(part.len());
            counts.clear();
            counts.resize((1 << bits) + 1, 0);
        };
        if let Some(first) = range.clone().next() {
            let part = part_of(first);
            count_into(sub_counts, part);
            let bits = sub_bits_of(part.len());
            for r in part {
                sub_counts[((r[0] << shift) >> (64 - bits)) as usize + 1] += 1;
            }
        }
        let last = range.end;
        for p in range {
            let part = part_of(p);
            let len = part.len();
            // The next partition's buckets are counted a few records at a
            // time during this partition's walk: its memory is read while
            // the CPU works on this one.
            let next: &[[u64; 2]] = if p + 1 < last { part_of(p + 1) } else { &[] };
            let next_bits = sub_bits_of(next.len());
            count_into(next_counts, next);
            let mut ahead = next.iter();
            if len == 0 {
                std::mem::swap(sub_counts, next_counts);
                for r in ahead {
                    sub_counts[((r[0] << shift) >> (64 - next_bits)) as usize + 1] += 1;
                }
                continue;
            }
            let sub_bits = sub_bits_of(len);
            let subs = 1usize << sub_bits;
            let sub_of = |h: u64| ((h << shift) >> (64 - sub_bits)) as usize;
            // Exclusive prefix sums in place, and the bounds of the
            // non-empty buckets gathered without branches: the walk below
            // then reads them in sequence instead of looking each bucket's
            // end up from its first record. (Kept at their largest size:
            // every entry read is written first.)
            if bounds.len() < subs + 1 {
                bounds.resize(subs + 1, 0);
            }
            let (mut at, mut m) = (0usize, 0usize);
            for s in 0..subs {
                let c = sub_counts[s + 1];
                sub_counts[s] = at;
                bounds[m] = at;
                m += usize::from(c != 0);
                at += c;
            }
            bounds[m] = len;
            // Eight records of padding: the fast path reads eight at a time.
            if local.len() < len + 8 {
                local.resize(len + 8, [0; 2]);
            }
            local[len..len + 8].fill([u64::MAX; 2]);
            for r in part {
                let s = sub_of(r[0]);
                local[sub_counts[s]] = *r;
                sub_counts[s] += 1;
            }
            let per_bucket = next.len().div_ceil(m.max(1));
            for w in bounds[..=m].windows(2) {
                for r in ahead.by_ref().take(per_bucket) {
                    next_counts[((r[0] << shift) >> (64 - next_bits)) as usize + 1] += 1;
                }
                let (i, end) = (w[0], w[1]);
                let h0 = local[i][0];
                let count = end - i;
                let mut keys = [u64::MAX; 8];
                let mut other = 0u64;
                for (j, k) in keys.iter_mut().enumerate() {
                    let r = local[i + j];
                    let mask = if j < count { u64::MAX } else { 0 };
                    other |= (r[0] ^ h0) & mask;
                    *k = r[1] | !mask;
                }
                if other == 0 && count <= 4 {
                    let mut four = [keys[0], keys[1], keys[2], keys[3]];
                    sort4(&mut four);
                    f(&four[..count]);
                } else if other == 0 && count <= 8 {
                    sort8(&mut keys);
                    f(&keys[..count]);
                } else if count <= 8 {
                    // Users sharing a bucket: the same network on
                    // `[hash, key]` as 128-bit keys.
                    let mut wide = [u128::MAX; 8];
                    for (w, r) in wide.iter_mut().zip(&local[i..end]) {
                        *w = (u128::from(r[0]) << 64) | u128::from(r[1]);
                    }
                    sort8(&mut wide);
                    let mut j = 0;
                    while j < count {
                        let user = (wide[j] >> 64) as u64;
                        let mut len = 0;
                        while j < count && (wide[j] >> 64) as u64 == user {
                            keys[len] = wide[j] as u64;
                            len += 1;
                            j += 1;
                        }
                        f(&keys[..len]);
                    }
                } else {
                    let bucket = &mut local[i..end];
                    bucket.sort_unstable();
                    let mut j = 0;
                    while j < bucket.len() {
                        let user = bucket[j][0];
                        more.clear();
                        while j < bucket.len() && bucket[j][0] == user {
                            more.push(bucket[j][1]);
                            j += 1;
                        }
                        f(more);
                    }
                }
            }
            for r in ahead {
                next_counts[((r[0] << shift) >> (64 - next_bits)) as usize + 1] += 1;
            }
            std::mem::swap(sub_counts, next_counts);
        }
    }
}

/// The error for an event whose channel is not in the registry.
fn unknown_channel(c: ChannelId) -> Error {
    Error::invalid(
        "funnel",
        format!("channel id {} is not in the registry", c.0),
    )
}

/// An error for the first event whose channel is not in the registry.
fn check_channels(events: &[FunnelEvent], ranks: &[u32]) -> Result<()> {
    match events.iter().find(|e| e.channel.index() >= ranks.len()) {
        Some(e) => Err(unknown_channel(e.channel)),
        None => Ok(()),
    }
}

/// A compare-exchange of two variables: the smaller goes to the first.
macro_rules! cx {
    ($x:ident, $y:ident) => {{
        let (lo, hi) = ($x.min($y), $x.max($y));
        $x = lo;
        $y = hi;
    }};
}

/// Sorts four keys with a sorting network of 5 compare-exchanges.
#[inline]
fn sort4<T: Ord + Copy>(k: &mut [T; 4]) {
    let [mut a0, mut a1, mut a2, mut a3] = *k;
    cx!(a0, a2);
    cx!(a1, a3);
    cx!(a0, a1);
    cx!(a2, a3);
    cx!(a1, a2);
    *k = [a0, a1, a2, a3];
}

/// Sorts eight keys with a sorting network of 19 compare-exchanges (Knuth's
/// optimal-size network for 8 inputs), written out so that the keys stay in
/// registers, without branches (so random input costs no mispredictions).
/// Checked on every 0/1 input by the tests.
#[inline]
fn sort8<T: Ord + Copy>(k: &mut [T; 8]) {
    let [mut a0, mut a1, mut a2, mut a3, mut a4, mut a5, mut a6, mut a7] = *k;
    cx!(a0, a2);
    cx!(a1, a3);
    cx!(a4, a6);
    cx!(a5, a7);
    cx!(a0, a4);
    cx!(a1, a5);
    cx!(a2, a6);
    cx!(a3, a7);
    cx!(a0, a1);
    cx!(a2, a3);
    cx!(a4, a5);
    cx!(a6, a7);
    cx!(a2, a4);
    cx!(a3, a5);
    cx!(a1, a4);
    cx!(a3, a6);
    cx!(a1, a2);
    cx!(a3, a4);
    cx!(a5, a6);
    *k = [a0, a1, a2, a3, a4, a5, a6, a7];
}

/// The order of events within one second: events matching no step first
/// (ClickHouse gives them condition 0), then steps in order; the raw code is
/// kept in the low 8 bits.
fn step_order(step: u8, steps: usize) -> u64 {
    if usize::from(step) < steps {
        256 | u64::from(step)
    } else {
        u64::from(step)
    }
}

/// The general grouping: sort everything by `(user, ts, step order, rank)`.
fn group_by_sorting(events: &[FunnelEvent], ranks: &[u32], steps: usize, mut f: impl FnMut(&[Ev])) {
    let mut all: Vec<(u64, Ev)> = events
        .iter()
        .map(|e| {
            (
                e.user,
                Ev {
                    ts: e.ts,
                    step: e.step,
                    rank: ranks[e.channel.index()],
                    channel: e.channel.0,
                },
            )
        })
        .collect();
    all.sort_unstable_by_key(|(u, e)| (*u, e.ts, step_order(e.step, steps), e.rank));
    let mut evs = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let user = all[i].0;
        evs.clear();
        while i < all.len() && all[i].0 == user {
            evs.push(all[i].1);
            i += 1;
        }
        f(&evs);
    }
}

#[cfg(test)]
mod network_tests {
    /// The 0-1 principle: a network sorts every input if it sorts every
    /// sequence of zeros and ones.
    #[test]
    fn networks_sort_every_binary_input() {
        for bits in 0u32..(1 << 8) {
            let mut k = [0u64; 8];
            for (i, x) in k.iter_mut().enumerate() {
                *x = u64::from((bits >> i) & 1);
            }
            let mut four = [k[0], k[1], k[2], k[3]];
            super::sort8(&mut k);
            assert!(k.windows(2).all(|w| w[0] <= w[1]), "8: bits={bits:b}");
            super::sort4(&mut four);
            assert!(four.windows(2).all(|w| w[0] <= w[1]), "4: bits={bits:b}");
        }
    }
}

#[cfg(test)]
mod time_stats_tests {
    use super::{step_stats, Acc};
    use crate::quantity::Distribution;
    use proptest::prelude::*;

    proptest! {
        /// The joint histogram selection over several accumulators gives,
        /// per accumulator and for their union, the statistics of
        /// `Distribution` over the times computed directly from the
        /// chains, for narrow and wide values, ties and spreads alike.
        #[test]
        fn selection_equals_the_distribution(
            scale in prop_oneof![Just(3u64), Just(5_000_000), Just(1 << 40)],
            raw in prop::collection::vec(
                prop::collection::vec((1usize..=4, prop::collection::vec(any::<u64>(), 4)), 0..120),
                1..4,
            ),
        ) {
            let n = 4;
            // chains[i]: (level, timestamps) of accumulator i's users.
            let chains: Vec<Vec<(usize, Vec<i64>)>> = raw
                .iter()
                .map(|users| {
                    users
                        .iter()
                        .map(|(level, steps)| {
                            let mut t = 1_000i64;
                            let ts = steps.iter().map(|&x| { t += (x % scale) as i64; t }).collect();
                            (*level, ts)
                        })
                        .collect()
                })
                .collect();
            let accs: Vec<Acc> = chains
                .iter()
                .map(|users| {
                    let mut a = Acc::new(n);
                    for (level, ts) in users {
                        a.add(*level, ts, true);
                    }
                    a
                })
                .collect();
            let refs: Vec<&Acc> = accs.iter().collect();
            for k in 1..n {
                for prev in [true, false] {
                    let got = step_stats(&refs, k, prev);
                    let mut union = Distribution::new();
                    let mut expect = Vec::new();
                    for users in &chains {
                        let mut d = Distribution::new();
                        for (level, ts) in users {
                            if *level > k {
                                let v = ts[k] - if prev { ts[k - 1] } else { ts[0] };
                                d.add(v);
                                union.add(v);
                            }
                        }
                        expect.push(d);
                    }
                    expect.push(union);
                    prop_assert_eq!(got.len(), expect.len());
                    for (g, d) in got.iter().zip(&expect) {
                        match g {
                            None => prop_assert!(d.is_empty()),
                            Some(s) => {
                                prop_assert_eq!(s.count, d.count());
                                prop_assert_eq!(Some(s.mean_seconds), d.mean());
                                prop_assert_eq!(Some(s.median_seconds), d.median());
                                prop_assert_eq!(Some(s.p90_seconds), d.p90());
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod path_tests {
    use super::*;
    use proptest::prelude::*;

    /// The report through the general path: events sorted per user and
    /// scanned as decoded events, as the fallback for very wide time spans
    /// does.
    fn through_sorting(spec: &FunnelSpec, events: &[FunnelEvent], ch: &Channels) -> FunnelReport {
        let mut state = FunnelState::new(spec);
        let ranks = channel_ranks(ch);
        let n = spec.steps();
        let mut scratch = Scratch::new();
        group_by_sorting(events, &ranks, n, |evs| {
            state.add_user(evs, n, &mut scratch)
        });
        state.finish(ch)
    }

    /// The partitioned path and the general path agree in the default
    /// mode (scanned on keys), with `strict_order` and with `strict_once`.
    fn assert_paths_agree(steps: usize, window: i64, events: &[FunnelEvent], ch: &Channels) {
        for modes in [
            Modes::default(),
            Modes {
                strict_order: true,
                ..Modes::default()
            },
            Modes {
                strict_once: true,
                ..Modes::default()
            },
        ] {
            let spec = FunnelSpec::new(steps, TimeDelta::seconds(window))
                .unwrap()
                .with_modes(modes)
                .unwrap();
            assert_eq!(
                analyze(&spec, events, ch).unwrap(),
                through_sorting(&spec, events, ch)
            );
        }
    }

    /// Users with tens of thousands of events overflow their partition's
    /// fixed capacity: the exact re-partitioning gives the same report.
    #[test]
    fn overflowing_partitions_are_redone_exactly() {
        let mut ch = Channels::new();
        let web = ch.intern_str("web").unwrap();
        let mut events = Vec::new();
        for i in 0..60_000u64 {
            // Two heavy users and many light ones.
            let user = if i % 3 == 0 { i } else { i % 2 };
            events.push(FunnelEvent::new(user, (i % 500) as i64, (i % 4) as u8, web));
        }
        let mut parted = Partitioned::default();
        let ranks = channel_ranks(&ch);
        assert!(parted.fill(&events, &ranks, 3).unwrap());
        let stored: usize = (0..parted.parts())
            .map(|p| parted.ends[p] - parted.starts[p])
            .sum();
        assert_eq!(stored, events.len());
        assert_paths_agree(3, 100, &events, &ch);
    }

    /// Many partitions, some of them empty (few users), and many users:
    /// the same reports as the general path.
    #[test]
    fn many_partitions_full_and_empty() {
        let mut ch = Channels::new();
        for name in ["web", "ads"] {
            ch.intern_str(name).unwrap();
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for users in [3u64, 30_000] {
            let events: Vec<FunnelEvent> = (0..200_000)
                .map(|_| {
                    let r = next();
                    FunnelEvent::new(
                        r % users * 0x1_0000_0001,
                        (r >> 20) as i64 % 5_000,
                        (r >> 40) as u8 % 5,
                        ChannelId(((r >> 50) % 2) as u32),
                    )
                })
                .collect();
            assert_paths_agree(4, 900, &events, &ch);
        }
    }

    proptest! {
        /// One analyser reused across inputs and specs (its memory and
        /// accumulators recycled) gives what fresh calls give.
        #[test]
        fn reused_analyzer_equals_fresh_calls(
            batches in prop::collection::vec(
                (
                    prop::collection::vec((0u64..20, 0i64..300, 0u8..6, 0u32..2), 0..120),
                    1usize..6,
                    prop_oneof![Just(30i64), Just(1 << 33)],
                ),
                1..5,
            ),
        ) {
            let mut ch = Channels::new();
            for name in ["web", "ads"] {
                ch.intern_str(name).unwrap();
            }
            let mut analyzer = FunnelAnalyzer::new();
            for (raw, steps, w) in batches {
                let events: Vec<FunnelEvent> = raw
                    .iter()
                    .map(|&(u, ts, step, c)| FunnelEvent::new(u, ts * (w / 30), step, ChannelId(c)))
                    .collect();
                let spec = FunnelSpec::new(steps, TimeDelta::seconds(w)).unwrap();
                prop_assert_eq!(analyzer.analyze(&spec, &events, &ch).unwrap(), analyze(&spec, &events, &ch).unwrap());
            }
        }

        /// The partitioned grouping, with the default mode's scan on keys,
        /// gives the same report (levels, channels, times to convert) as
        /// the general path, for every mode.
        #[test]
        fn partitioned_equals_sorted(
            raw in prop::collection::vec((0u64..40, 0i64..300, 0u8..6, 0u32..3), 0..200),
            steps in 1usize..6,
            w in 0i64..120,
            strict_order in any::<bool>(),
            strict_once in any::<bool>(),
        ) {
            let mut ch = Channels::new();
            for name in ["web", "ads", "email"] {
                ch.intern_str(name).unwrap();
            }
            let events: Vec<FunnelEvent> = raw
                .iter()
                .map(|&(u, ts, step, c)| FunnelEvent::new(u, ts, step, ChannelId(c)))
                .collect();
            let modes = Modes { strict_order, strict_once, ..Modes::default() };
            let spec = FunnelSpec::new(steps, TimeDelta::seconds(w)).unwrap().with_modes(modes).unwrap();
            prop_assert_eq!(analyze(&spec, &events, &ch).unwrap(), through_sorting(&spec, &events, &ch));
            // More than 8 events per user take the bucket sort.
            let many: Vec<FunnelEvent> = events.iter().map(|e| FunnelEvent { user: e.user % 3, ..*e }).collect();
            prop_assert_eq!(analyze(&spec, &many, &ch).unwrap(), through_sorting(&spec, &many, &ch));
        }
    }
}
