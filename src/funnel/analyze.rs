//! The funnel analyses: one call, a reusable analyzer, and both cores.

use super::group::{channel_ranks, group_by_sorting, Partitioned, PassTwo};
use super::report::FunnelReport;
use super::scan::Scratch;
use super::spec::{FunnelEvent, FunnelSpec};
use super::state::FunnelState;
use super::stats::Acc;
use crate::error::{Error, Result};
use crate::journey::Channels;

// The state's entry point for events lives with the analyzer that does the
// work, so that the state's file does not import the analyzer's.
impl FunnelState {
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
}

/// The working memory of funnel analyses, kept between calls: passed to
/// [`analyze`](super::analyze) in its [`Options`](super::Options).
///
/// Without one, an analysis allocates its working memory (about 20 bytes
/// per event) afresh, and the operating system hands out fresh memory one
/// page fault at a time: on 10 million events that is about a quarter of
/// the run time. A service that analyses event batches again and again
/// keeps one `FunnelAnalyzer` per thread instead; it holds on to the
/// memory of the largest batch it has seen (and to the accumulators of
/// the last analysis) until it is dropped. The results are identical. A
/// caller that owns its events and has no further use for their order
/// needs no such memory at all: it passes them in place
/// ([`Events::InPlace`](super::Events::InPlace)).
///
/// ```
/// use revops::TimeDelta;
/// use revops::funnel::{analyze, FunnelAnalyzer, FunnelEvent, FunnelSpec, Options};
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
///     let report = analyze(&spec, &events, &ch, Options::default().with_analyzer(&mut analyzer))?;
///     assert_eq!(report, analyze(&spec, &events, &ch, Options::default())?);
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

    /// The sequential analysis, reusing this memory.
    ///
    /// # Errors
    ///
    /// As [`analyze`](super::analyze).
    pub(crate) fn analyze(
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

    /// The analysis on `threads` threads, keeping the working memory (the
    /// threads' too) for the next call.
    ///
    /// # Errors
    ///
    /// As [`analyze`](super::analyze).
    pub(crate) fn analyze_parallel(
        &mut self,
        spec: &FunnelSpec,
        events: &[FunnelEvent],
        channels: &Channels,
        threads: usize,
    ) -> Result<FunnelReport> {
        let ranks = channel_ranks(channels);
        if threads < 2
            || !self.parted.fill(events, &ranks, spec.steps(), threads)?
            || self.parted.parts() < 2
        {
            return self.analyze(spec, events, channels);
        }
        self.pass_two(spec, channels, threads, None)
    }

    /// As [`analyze_parallel`](Self::analyze_parallel), with no working memory in
    /// proportion to the events: instead of copying the events into
    /// records of its own (16 bytes an event, about 200 MB for 10 million
    /// events, which a fresh process gets from the system one page fault
    /// at a time), the analysis moves the events themselves into its
    /// partitions, a block of 512 at a time. `events` is left in an order
    /// that is not specified (on an error too); the report is
    /// [`analyze`](super::analyze)'s. `threads` of 0 or 1 runs on the calling thread. A
    /// caller that owns its events and has no further use for their order
    /// (a tool that has just read a file, say) saves the memory and the
    /// time: on 10 million events, see `benches/README.md`.
    ///
    /// Inputs that the partitioned grouping does not take (timestamps that
    /// span 2^35 ticks or more, 2^19 channels or more) are analysed as
    /// [`analyze`](Self::analyze) does.
    ///
    /// # Errors
    ///
    /// As [`analyze`](super::analyze).
    pub(crate) fn analyze_in_place(
        &mut self,
        spec: &FunnelSpec,
        events: &mut [FunnelEvent],
        channels: &Channels,
        threads: usize,
    ) -> Result<FunnelReport> {
        let ranks = channel_ranks(channels);
        if !self
            .parted
            .fill_in_place(events, &ranks, spec.steps(), threads)?
        {
            return self.analyze(spec, events, channels);
        }
        self.pass_two(spec, channels, threads, Some(events))
    }

    /// Pass 2 of [`FunnelAnalyzer::analyze_parallel`] and
    /// [`FunnelAnalyzer::analyze_in_place`](Self::analyze_in_place), once the events are
    /// partitioned: over the records of pass 1, or over `events` moved in
    /// place.
    fn pass_two(
        &mut self,
        spec: &FunnelSpec,
        channels: &Channels,
        threads: usize,
        events: Option<&[FunnelEvent]>,
    ) -> Result<FunnelReport> {
        let grouped = &self.parted;
        let parts = grouped.parts();
        // Never more threads than partitions to share out.
        let threads = threads.min(parts).max(1);
        // The partitions go out in runs of `run`, each to whichever thread
        // is free (a thread slowed by the system takes fewer): about eight
        // runs a thread. Which thread counts a partition does not change
        // the merged state.
        let run = parts.div_ceil(threads * 8).max(1);
        let next = std::sync::atomic::AtomicUsize::new(0);
        self.pass2_threads.resize_with(threads, PassTwo::default);
        let work = |buf: &mut PassTwo| {
            let mut st = FunnelState::new(spec);
            let mut scratch = Scratch::new();
            loop {
                let start = next.fetch_add(run, std::sync::atomic::Ordering::Relaxed);
                if start >= parts {
                    break;
                }
                let range = start..(start + run).min(parts);
                let mut f = |keys: &[u64]| st.add_keys(keys, grouped, &mut scratch);
                match events {
                    Some(events) => grouped.scan_events(events, range, buf, &mut f),
                    None => grouped.scan(range, buf, &mut f),
                }
            }
            st
        };
        let states: Vec<FunnelState> = std::thread::scope(|scope| {
            let (own, others) = self.pass2_threads.split_at_mut(1);
            let mut handles = Vec::with_capacity(others.len());
            for buf in others {
                // If the system would not start another thread, the
                // calling thread's loop below takes its runs.
                if let Ok(h) = std::thread::Builder::new().spawn_scoped(scope, || work(buf)) {
                    handles.push(h);
                }
            }
            let mut done = Vec::with_capacity(threads);
            if let Some(buf) = own.first_mut() {
                done.push(work(buf));
            }
            for h in handles {
                done.push(
                    h.join()
                        .map_err(|_| Error::invalid("funnel", "a worker thread stopped"))?,
                );
            }
            Ok::<_, Error>(done)
        })?;
        // The threads' states are reported together, unmerged: their
        // accumulators are not copied into one.
        let parts: Vec<&FunnelState> = states.iter().collect();
        if parts.is_empty() {
            return Ok(FunnelState::new(spec).report_on(channels, threads));
        }
        FunnelState::report_of_parts(&parts, channels, threads)
    }

    /// As [`FunnelState::add_events`].
    ///
    /// # Errors
    ///
    /// As [`FunnelState::add_events`].
    pub(crate) fn add_events(
        &mut self,
        state: &mut FunnelState,
        events: &[FunnelEvent],
        channels: &Channels,
    ) -> Result<()> {
        state.check_names(channels)?;
        let ranks = channel_ranks(channels);
        let n = state.spec.steps();
        let mut scratch = Scratch::new();
        if self.parted.fill(events, &ranks, n, 1)? {
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

#[cfg(test)]
mod path_tests {
    use super::super::spec::Modes;
    use super::*;
    use crate::funnel::{analyze, Options};
    use crate::journey::ChannelId;
    use chrono::TimeDelta;
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

    /// The modes with their own scans on the partitioned path: the
    /// default (on keys), `strict_order`, `strict_once`.
    fn partitioned_modes() -> [Modes; 3] {
        [
            Modes::default(),
            Modes {
                strict_order: true,
                ..Modes::default()
            },
            Modes {
                strict_once: true,
                ..Modes::default()
            },
        ]
    }

    /// The partitioned path and the general path agree in the default
    /// mode (scanned on keys), with `strict_order` and with `strict_once`.
    fn assert_paths_agree(steps: usize, window: i64, events: &[FunnelEvent], ch: &Channels) {
        for modes in partitioned_modes() {
            let spec = FunnelSpec::new(steps, TimeDelta::seconds(window))
                .unwrap()
                .with_modes(modes)
                .unwrap();
            assert_eq!(
                analyze(&spec, events, ch, Options::default()).unwrap(),
                through_sorting(&spec, events, ch)
            );
        }
    }

    /// `n` events of `users` users (ids spread over the bits), times in
    /// 5,000 seconds, steps 0 to 4, `channels` channels, from an xorshift
    /// generator whose state is `x`.
    fn random_events(x: &mut u64, n: usize, users: u64, channels: u64) -> Vec<FunnelEvent> {
        (0..n)
            .map(|_| {
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
                let r = *x;
                FunnelEvent::new(
                    r % users * 0x1_0000_0001,
                    (r >> 20) as i64 % 5_000,
                    (r >> 40) as u8 % 5,
                    ChannelId(((r >> 50) % channels) as u32),
                )
            })
            .collect()
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
        assert!(parted.fill(&events, &ranks, 3, 1).unwrap());
        let stored: usize = (0..parted.parts())
            .flat_map(|p| parted.part(p))
            .map(|r| r[1] - r[0])
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
        for users in [3u64, 30_000] {
            let events = random_events(&mut x, 200_000, users, 2);
            assert_paths_agree(4, 900, &events, &ch);
        }
    }

    /// `analyze_in_place` gives `analyze`'s report on every thread count
    /// (with a fresh analyser, and with `reused`, which has seen other
    /// inputs), leaves a permutation of the events, and, on inputs the
    /// partitioned path takes, really works in place: the analyser has
    /// no records.
    fn assert_in_place_agrees(
        spec: &FunnelSpec,
        events: &[FunnelEvent],
        ch: &Channels,
        reused: &mut FunnelAnalyzer,
    ) {
        let expected = analyze(spec, events, ch, Options::default()).unwrap();
        let mut sorted = events.to_vec();
        sorted.sort_unstable();
        for threads in [0, 1, 2, 3] {
            let mut moved = events.to_vec();
            let mut fresh = FunnelAnalyzer::new();
            let report = fresh
                .analyze_in_place(spec, &mut moved, ch, threads)
                .unwrap();
            assert_eq!(report, expected, "threads {threads}");
            assert!(
                fresh.parted.recs.is_empty(),
                "records made, threads {threads}"
            );
            let mut again = events.to_vec();
            let report = reused
                .analyze_in_place(spec, &mut again, ch, threads)
                .unwrap();
            assert_eq!(report, expected, "reused, threads {threads}");
            moved.sort_unstable();
            assert!(moved == sorted, "not a permutation, threads {threads}");
        }
    }

    /// Inputs around the in-place pass 1's thresholds: one partition and
    /// one half (no full block), several partitions with full blocks on
    /// one thread (below 2^16 events), two halves; few users with many
    /// events each (full blocks of one user), many users; every mode the
    /// partitioned path runs.
    #[test]
    fn in_place_equals_analyze_at_every_size() {
        let mut ch = Channels::new();
        for name in ["web", "ads", "email"] {
            ch.intern_str(name).unwrap();
        }
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        // One analyser through every size, its buffers growing.
        let mut reused = FunnelAnalyzer::new();
        for (n, users) in [
            (0usize, 1u64),
            (700, 50),
            (20_000, 7),
            (20_000, 5_000),
            (70_000, 3),
            (140_000, 40_000),
        ] {
            let events = random_events(&mut x, n, users, 3);
            for modes in partitioned_modes() {
                let spec = FunnelSpec::new(4, TimeDelta::seconds(900))
                    .unwrap()
                    .with_modes(modes)
                    .unwrap();
                assert_in_place_agrees(&spec, &events, &ch, &mut reused);
            }
        }
    }

    /// An event whose channel is not registered is an error in place too,
    /// wherever it is (either half, any partition), and the analyser
    /// still works afterwards.
    #[test]
    fn in_place_rejects_an_unknown_channel() {
        let mut ch = Channels::new();
        let web = ch.intern_str("web").unwrap();
        let spec = FunnelSpec::new(2, TimeDelta::seconds(60)).unwrap();
        let mut analyzer = FunnelAnalyzer::new();
        // Both halves at once too: each half's flag must survive the other's.
        for (n, at) in [
            (10usize, &[9usize][..]),
            (100_000, &[3]),
            (100_000, &[99_999]),
            (100_000, &[3, 99_999]),
        ] {
            let mut events: Vec<FunnelEvent> = (0..n as u64)
                .map(|u| FunnelEvent::new(u, 0, 0, web))
                .collect();
            for &i in at {
                events[i].channel = ChannelId(7);
            }
            let err = analyzer
                .analyze_in_place(&spec, &mut events.clone(), &ch, 2)
                .unwrap_err();
            assert!(err.to_string().contains("channel id 7"), "{err}");
            assert_eq!(
                analyze(&spec, &events, &ch, Options::default())
                    .unwrap_err()
                    .to_string(),
                err.to_string()
            );
            for &i in at {
                events[i].channel = web;
            }
            assert_eq!(
                analyzer
                    .analyze_in_place(&spec, &mut events.clone(), &ch, 2)
                    .unwrap(),
                analyze(&spec, &events, &ch, Options::default()).unwrap()
            );
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
                let fresh = analyze(&spec, &events, &ch, Options::default()).unwrap();
                prop_assert_eq!(&analyze(&spec, &events, &ch, Options::default().with_analyzer(&mut analyzer)).unwrap(), &fresh);
                prop_assert_eq!(&analyze(&spec, &events, &ch, Options::threads(2).with_analyzer(&mut analyzer)).unwrap(), &fresh);
                let mut moved = events.clone();
                prop_assert_eq!(&analyze(&spec, &mut moved, &ch, Options::threads(2).with_analyzer(&mut analyzer)).unwrap(), &fresh);
                prop_assert_eq!(&analyze(&spec, &events, &ch, Options::default().with_analyzer(&mut analyzer)).unwrap(), &fresh);
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
            let expected = through_sorting(&spec, &events, &ch);
            prop_assert_eq!(analyze(&spec, &events, &ch, Options::default()).unwrap(), expected.clone());
            let mut moved = events.clone();
            prop_assert_eq!(analyze(&spec, &mut moved, &ch, Options::threads(2)).unwrap(), expected);
        }

        /// The partitioned grouping, with the default mode's scan on keys,
        /// gives the same report (levels, channels, times to convert) as
        /// the general path, for every mode; in place too.
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
            prop_assert_eq!(analyze(&spec, &events, &ch, Options::default()).unwrap(), through_sorting(&spec, &events, &ch));
            // In place, on any thread count: the same, on a permutation.
            assert_in_place_agrees(&spec, &events, &ch, &mut FunnelAnalyzer::new());
            // More than 8 events per user take the bucket sort.
            let many: Vec<FunnelEvent> = events.iter().map(|e| FunnelEvent { user: e.user % 3, ..*e }).collect();
            prop_assert_eq!(analyze(&spec, &many, &ch, Options::default()).unwrap(), through_sorting(&spec, &many, &ch));
            assert_in_place_agrees(&spec, &many, &ch, &mut FunnelAnalyzer::new());
        }
    }
}
