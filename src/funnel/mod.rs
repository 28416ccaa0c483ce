//! Ordered, windowed funnels over event streams, with the semantics of
//! ClickHouse's `windowFunnel`, time to convert, and a breakdown by entry
//! channel.
//!
//! | you have | call |
//! |---|---|
//! | a service's own events (string keys, times, step names) | [`FunnelInput`], then [`FunnelInput::analyze`] |
//! | compact events ([`FunnelEvent`], ids and ticks) | [`analyze`], with [`Options`] for threads and reused memory, and [`Events::InPlace`] to spare the copy |
//! | partitions on several threads or machines | [`FunnelState`] per partition ([`Aggregate`](crate::Aggregate)), merged, finished |
//! | one row per user of levels (ClickHouse's output) | [`RowLevels`] |
//! | whether (how often) a user's events follow a pattern, ClickHouse's `sequenceMatch` (`sequenceCount`) | [`SequencePattern`], then [`Sequence`] |
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
//! # Trends and time-to-convert histograms
//!
//! [`FunnelSpec::with_trend`] reports the funnel per calendar period (day,
//! ISO week, month at a fixed UTC offset: [`Calendar`](crate::quantity::Calendar),
//! the rule cohort retention follows too) of each user's entry, in
//! [`FunnelReport::trend`]. A user counts once, in one period:
//!
//! * in the default mode, the period of the **earliest step-1 event from
//!   which a chain reaches the user's level** within the window. A user
//!   whose step 1 on Monday led nowhere and whose step 1 on Wednesday
//!   converted enters on Wednesday; a user with step 1 at 23:59:50 and
//!   again at 00:00:05, converting at 00:00:20 within a minute, enters on
//!   the first day (ClickHouse's counted chain, whose times the report
//!   gives, starts at the later step 1: the two differ only in such
//!   cases). A chain from a start takes each later step's first event
//!   after the previous one, which is never worse, so the test is exact;
//!   it runs only for users whose first step-1 event and counted chain
//!   fall in different periods.
//! * under `strict_*` modes and exclusions, whose scans stop or cut
//!   chains by what came before, the period of the counted chain's step
//!   1 (the chain the scan counts the user by: the earliest of its chains
//!   that reach the level); for an [any-order](FunnelKind::AnyOrder)
//!   funnel, the start of the earliest window that reaches it.
//!
//! Every period from the first to the last with an entry is listed (those
//! between with zeros), up to 100,000 periods; a wider span lists only the
//! periods with entries. Per period there are the steps, the breakdown by
//! entry channel and the histograms, so per-period counts add up to the
//! whole report's (a property test checks it in every mode).
//!
//! [`FunnelSpec::with_time_to_convert`] adds, per pair of steps (each step
//! from the one before, and from the first), the users by time to convert
//! in bins given or log-spaced from the smallest to the largest time
//! ([`TimeBins`](crate::quantity::TimeBins)), beside the exact mean, median
//! and 90th percentile of each step; each period's histograms use the
//! whole report's bins, so they add up to it. Both options are part of the
//! spec: states built with them merge only with states of the same spec,
//! and carry their periods when serialized.
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
//! The working memory is about 20 bytes per event (16 for the records,
//! with a quarter of room; the per-channel times besides). [`analyze`] allocates it
//! on every call, and fresh memory costs page faults; a
//! [`FunnelAnalyzer`] kept between calls (in [`Options`]) reuses it. On Linux with glibc
//! 2.35 or later, starting the process with
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` lets the allocator back large
//! buffers with transparent huge pages, which takes most of the page-fault
//! cost out of one-off calls.
//!
//! A caller that owns its events and does not need their order afterwards
//! passes them in place ([`Events::InPlace`], from `&mut events`): pass
//! 1 then moves the events themselves into partitions instead of copying
//! them into records. Each thread reads its half of the events in order
//! and copies each one into its partition's block buffer (512 events); a
//! full buffer is written back over events already read, and a partition
//! becomes the list of its blocks. Its working memory does not grow with
//! the events: 6 MiB of block buffers per thread, a few bytes per block,
//! and the per-channel times (4 bytes per step of each user's counted
//! chain): the copy's 16 bytes an event are never allocated, so a fresh
//! process does not wait for the system to hand out that memory (the
//! measurements are in `benches/README.md`).
//!
//! Partitions are read ahead: while one partition is worked on, the next
//! one's bucket counts are taken a few records at a time, so its memory
//! arrives while the CPU is busy. With [`Options::threads`] of 2 or more
//! the analysis shares the partitions out between threads; from 2^16 events its pass 1
//! runs on two, each scattering half of the events into its own half of
//! every partition's room, and the report's time statistics (from the
//! previous step, from the first) are computed on two as well.
//!
//! Timings on the machine this crate is developed on (one-off call,
//! reused analyser, two threads, the straightforward `HashMap` baseline)
//! are in `benches/README.md`; `cargo bench -p revops-benches --bench
//! funnel` measures them on yours.
//!
//! # Example
//!
//! ```
//! use revops::TimeDelta;
//! use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
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
//! let report = analyze(&spec, &events, &ch, Options::default())?;
//! let users: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
//! assert_eq!(users, [2, 1, 0]);
//! assert_eq!(report.steps[1].conversion_from_previous.unwrap().to_string(), "50%");
//! # Ok::<(), revops::Error>(())
//! ```

mod aggregate;
mod analyze;
mod entry;
mod finish;
mod group;
mod input;
mod report;
mod rows;
mod scan;
mod select;
pub mod sequence;
mod spec;
mod state;
#[cfg(feature = "serde")]
mod state_serde;
mod stats;
mod trend;
pub(crate) mod users;

pub use analyze::FunnelAnalyzer;
pub use entry::{analyze, Events, Options};
pub use group::partition_of;
pub use input::{Event, FunnelInput};
pub use report::TimeStats;
pub use report::{FunnelReport, HistogramBin, Ignored, StepReport, TimeHistogram, TrendPeriod};
pub use rows::{FunnelRow, Retention, RowLevels};
pub use sequence::{Sequence, SequencePattern};
pub use spec::{Exclusion, FunnelEvent, FunnelKind, FunnelSpec, Modes, MAX_STEPS};
pub use state::FunnelState;
