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
//! [`FunnelAnalyzer`] kept between calls reuses it. On Linux with glibc
//! 2.35 or later, starting the process with
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` lets the allocator back large
//! buffers with transparent huge pages, which takes most of the page-fault
//! cost out of one-off calls.
//!
//! Partitions are read ahead: while one partition is worked on, the next
//! one's bucket counts are taken a few records at a time, so its memory
//! arrives while the CPU is busy. [`FunnelAnalyzer::analyze_parallel`]
//! shares the partitions out between threads (pass 1 stays on the calling
//! thread).
//!
//! Timings on the machine this crate is developed on (one-off call,
//! reused analyser, two threads, the straightforward `HashMap` baseline)
//! are in `benches/README.md`; `cargo bench -p revops-benches --bench
//! funnel` measures them on yours.
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

mod group;
mod input;
mod report;
mod scan;
mod stats;

pub use input::{Event, FunnelInput};

use std::collections::BTreeMap;

use chrono::TimeDelta;

use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels, Journey};
use crate::quantity::TimeUnit;
use group::{channel_ranks, group_by_sorting, Partitioned, PassTwo, STEP_SHIFT, TS_SHIFT};
pub use report::{FunnelReport, StepReport};
use scan::{scan, Ev, Scratch};
pub use stats::TimeStats;
use stats::{step_reports, step_stats, Acc};

/// The most steps a funnel can have (ClickHouse's limit).
pub const MAX_STEPS: usize = 32;

/// One event of a funnel: a user did step `step` (0-based) at `ts` (an
/// integer count of the spec's [`TimeUnit`], seconds by default; for
/// example Unix time) through `channel`. A step index at or
/// above the funnel's number of steps marks an event that matches no step
/// (it matters to `strict_order` and to exclusions).
///
/// 24 bytes, so 10 million events take 240 MB.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FunnelEvent {
    /// The user (prospect) id.
    pub user: u64,
    /// When, in ticks of the spec's [`TimeUnit`] (seconds by default).
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

/// What to compute: the number of steps (and, optionally, their names),
/// the window and the clock's unit, the modes.
///
/// # The clock
///
/// [`FunnelEvent::ts`] is an integer count of the spec's [`TimeUnit`]
/// (seconds unless [`with_unit`](FunnelSpec::with_unit) says otherwise),
/// and the window is compared in that unit, exactly: a millisecond clock
/// needs no truncation to seconds. The window is kept as whole units,
/// rounded down, which changes nothing: timestamps are whole units, so
/// `ts <= start + 1.5 s` and `ts <= start + 1 s` hold for the same
/// second-stamped events. Time-to-convert figures are reported in seconds
/// whatever the unit.
///
/// # Step names
///
/// [`named`](FunnelSpec::named) (or [`from_funnel`](FunnelSpec::from_funnel))
/// gives each step a name: the report's steps carry them, and
/// [`FunnelInput`] takes events by name.
///
/// # JSON form
///
/// `{"steps": 3, "window": 604800, "unit": "second", "modes": {...},
/// "kind": "ordered", "exclusions": [], "names": ["visit", "signup",
/// "buy"], "event_names": []}`, the window in ticks of `unit`; every key
/// but `steps` and `window` may be left out. Deserialization goes through
/// the constructors, so an invalid spec is refused.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "FunnelSpecRepr"))]
pub struct FunnelSpec {
    steps: u8,
    /// In ticks of `unit`.
    window: i64,
    unit: TimeUnit,
    modes: Modes,
    kind: FunnelKind,
    exclusions: Vec<Exclusion>,
    /// The steps' names: empty, or one per step.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    names: Vec<String>,
    /// The names of event codes `steps`, `steps + 1`, ... (named
    /// exclusions).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    event_names: Vec<String>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FunnelSpecRepr {
    steps: usize,
    window: i64,
    #[serde(default)]
    unit: TimeUnit,
    #[serde(default)]
    modes: Modes,
    #[serde(default)]
    kind: FunnelKind,
    #[serde(default)]
    exclusions: Vec<Exclusion>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    event_names: Vec<String>,
}

#[cfg(feature = "serde")]
impl TryFrom<FunnelSpecRepr> for FunnelSpec {
    type Error = Error;
    fn try_from(r: FunnelSpecRepr) -> Result<FunnelSpec> {
        let window = r.unit.duration(r.window)?;
        let mut spec = if r.names.is_empty() {
            FunnelSpec::new(r.steps, TimeDelta::zero())?
        } else {
            if r.names.len() != r.steps {
                return Err(Error::invalid(
                    "funnel",
                    format!("{} step names for {} steps", r.names.len(), r.steps),
                ));
            }
            FunnelSpec::named(r.names, TimeDelta::zero())?
        };
        spec = spec
            .with_unit(r.unit)?
            .with_window(window)?
            .with_modes(r.modes)?;
        if r.kind == FunnelKind::AnyOrder {
            spec = spec.any_order();
        }
        for name in r.event_names {
            spec.name_event(name)?;
        }
        for x in r.exclusions {
            spec = spec.exclude(x)?;
        }
        Ok(spec)
    }
}

impl FunnelSpec {
    /// An ordered funnel of `steps` steps (1 to 32) with a conversion window
    /// (kept in whole seconds, rounded down: exact for second timestamps),
    /// default mode, timestamps in seconds.
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
        FunnelSpec {
            steps: steps as u8,
            window: 0,
            unit: TimeUnit::Second,
            modes: Modes::default(),
            kind: FunnelKind::Ordered,
            exclusions: Vec::new(),
            names: Vec::new(),
            event_names: Vec::new(),
        }
        .with_window(window)
    }

    /// A funnel whose steps have names, in order (1 to 32 distinct,
    /// non-empty names), timestamps in seconds.
    ///
    /// # Errors
    ///
    /// As [`new`](FunnelSpec::new); [`Error::InvalidInput`] for an empty or
    /// repeated name.
    ///
    /// ```
    /// use revops::funnel::FunnelSpec;
    /// use revops::TimeDelta;
    /// let spec = FunnelSpec::named(["visit", "signup", "buy"], TimeDelta::days(7))?;
    /// assert_eq!(spec.steps(), 3);
    /// assert_eq!(spec.step_of("signup"), Some(1));
    /// assert!(FunnelSpec::named(["visit", "visit"], TimeDelta::days(7)).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn named<S: AsRef<str>>(
        names: impl IntoIterator<Item = S>,
        window: TimeDelta,
    ) -> Result<FunnelSpec> {
        let names: Vec<String> = names.into_iter().map(|s| s.as_ref().to_string()).collect();
        let mut spec = FunnelSpec::new(names.len(), window)?;
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                return Err(Error::invalid(
                    "funnel",
                    format!("step {i} has an empty name"),
                ));
            }
            if names[..i].contains(n) {
                return Err(Error::invalid(
                    "funnel",
                    format!("step name {n:?} is used twice"),
                ));
            }
        }
        spec.names = names;
        Ok(spec)
    }

    /// A funnel over the stages of a [`journey::Funnel`](crate::journey::Funnel),
    /// steps named after them.
    ///
    /// # Errors
    ///
    /// As [`named`](FunnelSpec::named).
    pub fn from_funnel(funnel: &crate::journey::Funnel, window: TimeDelta) -> Result<FunnelSpec> {
        FunnelSpec::named(funnel.stages().iter().map(|s| s.name()), window)
    }

    /// Sets the unit of the events' timestamps, keeping the window (as
    /// whole units of the new unit, rounded down).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the window does not fit an `i64` of the new
    /// unit (more than 292 years in nanoseconds).
    pub fn with_unit(mut self, unit: TimeUnit) -> Result<FunnelSpec> {
        let window = self.unit.duration(self.window)?;
        self.window = unit.floor_ticks_of(window)?;
        self.unit = unit;
        Ok(self)
    }

    /// Sets the window, kept as whole units of the spec's unit, rounded
    /// down (exact: the timestamps are whole units too).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative window; [`Error::Overflow`]
    /// if it does not fit an `i64` of the unit.
    ///
    /// ```
    /// use revops::funnel::FunnelSpec;
    /// use revops::quantity::TimeUnit;
    /// use revops::TimeDelta;
    /// let spec = FunnelSpec::new(2, TimeDelta::zero())?
    ///     .with_unit(TimeUnit::Millisecond)?
    ///     .with_window(TimeDelta::milliseconds(1_500))?;
    /// assert_eq!(spec.window_ticks(), 1_500);
    /// // In seconds, 1.5 s is 1 s: the same events are within it.
    /// assert_eq!(FunnelSpec::new(2, TimeDelta::milliseconds(1_500))?.window_ticks(), 1);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn with_window(mut self, window: TimeDelta) -> Result<FunnelSpec> {
        if window < TimeDelta::zero() {
            return Err(Error::invalid("funnel", "the window is negative"));
        }
        self.window = self.unit.floor_ticks_of(window)?;
        Ok(self)
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

    /// Adds an exclusion by names: an event named `event` strictly between
    /// the steps named `from` and `to` disqualifies the conversion. The
    /// event gets the next free code at or above the number of steps.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a step name the spec does not have, an
    /// event name that is a step's, steps out of order, or more than 255
    /// codes in all.
    ///
    /// ```
    /// use revops::funnel::FunnelSpec;
    /// use revops::TimeDelta;
    /// let spec = FunnelSpec::named(["cart", "checkout", "paid"], TimeDelta::hours(1))?
    ///     .exclude_named("coupon_error", "cart", "paid")?;
    /// assert_eq!(spec.code_of("coupon_error"), Some(3));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn exclude_named(self, event: &str, from: &str, to: &str) -> Result<FunnelSpec> {
        let step = |name: &str| {
            self.step_of(name).ok_or_else(|| {
                Error::invalid("funnel exclusion", format!("no step is named {name:?}"))
            })
        };
        let (from_step, to_step) = (step(from)?, step(to)?);
        let mut spec = self;
        let event = spec.name_event(event.to_string())?;
        spec.exclude(Exclusion {
            event,
            from_step,
            to_step,
        })
    }

    /// Names the next free event code (or finds the name's code).
    fn name_event(&mut self, name: String) -> Result<u8> {
        if self.step_of(&name).is_some() {
            return Err(Error::invalid(
                "funnel exclusion",
                format!("{name:?} is a step, not an excluded event"),
            ));
        }
        if let Some(i) = self.event_names.iter().position(|n| *n == name) {
            return Ok(self.steps + i as u8);
        }
        let code = usize::from(self.steps) + self.event_names.len();
        let code = u8::try_from(code)
            .ok()
            .filter(|&c| c < u8::MAX)
            .ok_or_else(|| Error::invalid("funnel exclusion", "more than 254 event codes"))?;
        if name.is_empty() {
            return Err(Error::invalid("funnel exclusion", "an event name is empty"));
        }
        self.event_names.push(name);
        Ok(code)
    }

    /// The number of steps.
    pub fn steps(&self) -> usize {
        usize::from(self.steps)
    }

    /// The steps' names (empty for an unnamed funnel).
    pub fn step_names(&self) -> &[String] {
        &self.names
    }

    /// The index of the step named `name`.
    pub fn step_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The event code of a name: a step's index, a named excluded event's
    /// code, or `None` (an event that matches no step).
    pub fn code_of(&self, name: &str) -> Option<u8> {
        self.step_of(name).map(|i| i as u8).or_else(|| {
            self.event_names
                .iter()
                .position(|n| n == name)
                .map(|i| self.steps + i as u8)
        })
    }

    /// The window in ticks of [`unit`](FunnelSpec::unit).
    pub fn window_ticks(&self) -> i64 {
        self.window
    }

    /// The window as a duration.
    pub fn window(&self) -> TimeDelta {
        self.unit.duration(self.window).unwrap_or(TimeDelta::MAX)
    }

    /// The window in whole seconds (rounded down for a finer unit).
    pub fn window_seconds(&self) -> i64 {
        self.window.div_euclid(self.unit.per_second())
    }

    /// The unit of the events' timestamps.
    pub fn unit(&self) -> TimeUnit {
        self.unit
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
/// use revops::funnel::{analyze, FunnelEvent, FunnelSpec, FunnelState};
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
/// assert_eq!(total.finish(&Channels::new()), analyze(&spec, &all, &ch)?);
/// # }
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunnelState {
    spec: FunnelSpec,
    /// An ordered funnel in the default mode without exclusions.
    plain: bool,
    /// Per channel slot (the channel's id in the registry the events came
    /// with): the accumulators of the users who entered there.
    by_channel: Vec<Option<Acc>>,
    /// Per slot: the channel's name, once known.
    names: Vec<Option<String>>,
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
            names: Vec::new(),
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

    /// Checks that `channels` names this state's slots as the state does
    /// (before events named by it are added).
    fn check_names(&self, channels: &Channels) -> Result<()> {
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
    fn record_names(&mut self, channels: &Channels) {
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
        for (j, theirs) in other.by_channel.iter().enumerate() {
            if let Some(acc) = theirs {
                let i = self.slot_for(other, j);
                self.by_channel[i]
                    .get_or_insert_with(|| Acc::new(n))
                    .merge(acc);
            }
        }
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
        let unit = self.spec.unit;
        let report = |i: usize, at_level: &[u64]| {
            let pick = |kind: usize| -> Vec<Option<TimeStats>> {
                stats[kind]
                    .iter()
                    .map(|per| per[i].clone().map(|t| t.in_seconds(unit)))
                    .collect()
            };
            let mut steps = step_reports(at_level, &pick(0), &pick(1));
            for (s, name) in steps.iter_mut().zip(&self.spec.names) {
                s.name = Some(name.clone());
            }
            steps
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
                    let known = self.names.get(*ch as usize).cloned().flatten();
                    let name = known.unwrap_or_else(|| {
                        channels
                            .name(ChannelId(*ch))
                            .map_or_else(|| format!("#{ch}"), str::to_string)
                    });
                    (name, report(i, &acc.at_level))
                })
                .collect(),
            ignored,
            events: self.events,
            users_seen: self.users,
        }
    }
}

#[cfg(feature = "serde")]
mod state_serde {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Acc, FunnelKind, FunnelSpec, FunnelState};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ChannelRepr {
        channel: String,
        at_level: Vec<u64>,
        #[serde(default)]
        times: Vec<Vec<i64>>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StateRepr {
        spec: FunnelSpec,
        by_channel: Vec<ChannelRepr>,
        events: u64,
        users: u64,
        events_matching_no_step: u64,
        users_without_first_step: u64,
        conversion_excluded: u64,
    }

    impl Serialize for FunnelState {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut by_channel = Vec::new();
            for (i, acc) in self.by_channel.iter().enumerate() {
                let Some(acc) = acc else { continue };
                if acc.at_level.iter().all(|&c| c == 0) {
                    continue;
                }
                let channel = self.names.get(i).cloned().flatten().ok_or_else(|| {
                    S::Error::custom(format!("channel slot {i} has no recorded name"))
                })?;
                let (at_level, times) = acc.to_parts();
                let times = if times.iter().all(Vec::is_empty) {
                    Vec::new()
                } else {
                    times
                };
                by_channel.push(ChannelRepr {
                    channel,
                    at_level,
                    times,
                });
            }
            StateRepr {
                spec: self.spec.clone(),
                by_channel,
                events: self.events,
                users: self.users,
                events_matching_no_step: self.no_step_events,
                users_without_first_step: self.without_first,
                conversion_excluded: self.excluded,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for FunnelState {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FunnelState, D::Error> {
            let r = StateRepr::deserialize(d)?;
            let bad = |m: String| D::Error::custom(format!("invalid funnel state: {m}"));
            let mut st = FunnelState::new(&r.spec);
            let n = r.spec.steps();
            let timed = r.spec.kind() == FunnelKind::Ordered;
            let mut counted = r.users_without_first_step;
            for c in r.by_channel {
                crate::journey::Channel::new(&c.channel).map_err(|e| bad(e.to_string()))?;
                if st
                    .names
                    .iter()
                    .any(|x| x.as_deref() == Some(c.channel.as_str()))
                {
                    return Err(bad(format!("channel {:?} is listed twice", c.channel)));
                }
                let acc = Acc::from_parts(n, c.at_level, c.times, timed, r.spec.window_ticks())
                    .map_err(|m| bad(format!("channel {:?}: {m}", c.channel)))?;
                counted = acc
                    .users()
                    .and_then(|u| counted.checked_add(u))
                    .ok_or_else(|| bad("the user counts overflow".into()))?;
                st.by_channel.push(Some(acc));
                st.names.push(Some(c.channel));
            }
            if counted != r.users {
                return Err(bad(format!(
                    "{} users, but the channels and users_without_first_step count {counted}",
                    r.users
                )));
            }
            // Far below u64::MAX, so that adding events to a state read
            // from outside never overflows a counter (merges are checked).
            if r.events > 1 << 62 {
                return Err(bad("more than 2^62 events".into()));
            }
            if r.conversion_excluded > r.users
                || r.users > r.events
                || r.events_matching_no_step > r.events
            {
                return Err(bad(
                    "needs conversion_excluded <= users <= events and events_matching_no_step <= events"
                        .into(),
                ));
            }
            st.users = r.users;
            st.events = r.events;
            st.no_step_events = r.events_matching_no_step;
            st.without_first = r.users_without_first_step;
            st.excluded = r.conversion_excluded;
            Ok(st)
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
/// memory (about 20 bytes per event) afresh on every call, and the
/// operating system hands out fresh memory one page fault at a time: on
/// 10 million events that is about a quarter of the run time. A service
/// that analyses event batches again and again keeps one `FunnelAnalyzer`
/// per thread instead; it holds on to the memory of the largest batch it
/// has seen (and to the accumulators of the last analysis) until it is
/// dropped. The results are identical.
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
    /// The pass-2 memory of the threads of `analyze_parallel`.
    pass2_threads: Vec<PassTwo>,
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

    /// As [`analyze_parallel`], keeping the working memory (the threads'
    /// too) for the next call.
    ///
    /// # Errors
    ///
    /// As [`analyze`].
    pub fn analyze_parallel(
        &mut self,
        spec: &FunnelSpec,
        events: &[FunnelEvent],
        channels: &Channels,
        threads: usize,
    ) -> Result<FunnelReport> {
        let ranks = channel_ranks(channels);
        if threads < 2
            || !self.parted.fill(events, &ranks, spec.steps())?
            || self.parted.parts() < 2
        {
            return self.analyze(spec, events, channels);
        }
        let grouped = &self.parted;
        let parts = grouped.parts();
        // Never more threads than partitions to share out.
        let threads = threads.min(parts);
        let per = parts.div_ceil(threads);
        self.pass2_threads.resize_with(threads, PassTwo::default);
        let work = |range: std::ops::Range<usize>, buf: &mut PassTwo| {
            let mut st = FunnelState::new(spec);
            let mut scratch = Scratch::new();
            grouped.scan(range, buf, &mut |keys| {
                st.add_keys(keys, grouped, &mut scratch)
            });
            st
        };
        let states: Vec<FunnelState> = std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(threads);
            let mut done = Vec::new();
            for (t, buf) in self.pass2_threads.iter_mut().enumerate() {
                let range = (t * per).min(parts)..((t + 1) * per).min(parts);
                let r = range.clone();
                match std::thread::Builder::new().spawn_scoped(scope, move || work(r, buf)) {
                    Ok(h) => handles.push(h),
                    // The system would not start another thread: this
                    // share runs on the calling thread instead.
                    Err(_) => done.push(work(range, &mut PassTwo::default())),
                }
            }
            for h in handles {
                done.push(
                    h.join()
                        .map_err(|_| Error::invalid("funnel", "a worker thread stopped"))?,
                );
            }
            Ok::<_, Error>(done)
        })?;
        let mut total = FunnelState::new(spec);
        for st in &states {
            total.merge(st)?;
        }
        Ok(total.finish(channels))
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
        state.check_names(channels)?;
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
        state.record_names(channels);
        Ok(())
    }
}

/// [`analyze`] on `threads` threads (scoped, joined before returning).
/// The events are partitioned once, on the calling thread; the partitions
/// are then shared out between the threads (never more threads than
/// partitions; a thread the system will not start runs its share on the
/// calling thread), each with its own partial
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
    FunnelAnalyzer::new().analyze_parallel(spec, events, channels, threads)
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
                let fresh = analyze(&spec, &events, &ch).unwrap();
                prop_assert_eq!(&analyzer.analyze(&spec, &events, &ch).unwrap(), &fresh);
                prop_assert_eq!(&analyzer.analyze_parallel(&spec, &events, &ch, 2).unwrap(), &fresh);
            }
        }

        /// Timestamps near the ends of `i64` and long windows: the fast
        /// path (keys relative to the first event) or its fallback gives
        /// what the general path gives.
        #[test]
        fn extreme_times_agree(
            raw in prop::collection::vec((0u64..10, 0i64..1_000, 0u8..5, 0u32..3), 1..80),
            base in prop_oneof![
                Just(i64::MIN),
                Just(i64::MIN + (1 << 35) + 5),
                Just(-7i64),
                Just(i64::MAX - 2_000),
            ],
            w in prop_oneof![
                Just(TimeDelta::seconds(10)),
                Just(TimeDelta::seconds(1 << 40)),
                Just(TimeDelta::MAX),
            ],
        ) {
            let mut ch = Channels::new();
            for name in ["web", "ads", "email"] {
                ch.intern_str(name).unwrap();
            }
            let events: Vec<FunnelEvent> = raw
                .iter()
                .map(|&(u, t, step, c)| FunnelEvent::new(u, base.saturating_add(t), step, ChannelId(c)))
                .collect();
            let spec = FunnelSpec::new(4, w).unwrap();
            prop_assert_eq!(analyze(&spec, &events, &ch).unwrap(), through_sorting(&spec, &events, &ch));
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
