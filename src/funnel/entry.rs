//! The funnel's one entry point over compact events, with the value that
//! says how to run it.

use super::analyze::FunnelAnalyzer;
use super::report::FunnelReport;
use super::spec::{FunnelEvent, FunnelSpec};
use crate::error::Result;
use crate::journey::Channels;

/// The events of one analysis: borrowed and left as they are, or the
/// caller's own, reordered in place (no copy: the leanest path, for a
/// caller with no further use for their order). Made from `&events` or
/// `&mut events` by `From`.
#[derive(Debug)]
pub enum Events<'a> {
    /// Read only.
    Borrowed(&'a [FunnelEvent]),
    /// Moved into partitions in place, and left in an unspecified order.
    InPlace(&'a mut [FunnelEvent]),
}

impl<'a> From<&'a [FunnelEvent]> for Events<'a> {
    fn from(e: &'a [FunnelEvent]) -> Events<'a> {
        Events::Borrowed(e)
    }
}

impl<'a> From<&'a Vec<FunnelEvent>> for Events<'a> {
    fn from(e: &'a Vec<FunnelEvent>) -> Events<'a> {
        Events::Borrowed(e)
    }
}

impl<'a, const N: usize> From<&'a [FunnelEvent; N]> for Events<'a> {
    fn from(e: &'a [FunnelEvent; N]) -> Events<'a> {
        Events::Borrowed(e)
    }
}

impl<'a> From<&'a mut [FunnelEvent]> for Events<'a> {
    fn from(e: &'a mut [FunnelEvent]) -> Events<'a> {
        Events::InPlace(e)
    }
}

impl<'a> From<&'a mut Vec<FunnelEvent>> for Events<'a> {
    fn from(e: &'a mut Vec<FunnelEvent>) -> Events<'a> {
        Events::InPlace(e)
    }
}

/// How to run an analysis: on how many threads, and with whose working
/// memory. The default is the calling thread and fresh memory. Every
/// choice gives the same report.
///
/// ```
/// use revops::funnel::{analyze, FunnelAnalyzer, FunnelEvent, FunnelSpec, Options};
/// use revops::journey::Channels;
/// use revops::TimeDelta;
/// let mut ch = Channels::new();
/// let web = ch.intern_str("web")?;
/// let spec = FunnelSpec::new(2, TimeDelta::seconds(60))?;
/// let mut events: Vec<FunnelEvent> = (0..1_000u64)
///     .flat_map(|u| [FunnelEvent::new(u, 0, 0, web), FunnelEvent::new(u, (u % 90) as i64, 1, web)])
///     .collect();
/// let plain = analyze(&spec, &events, &ch, Options::default())?;
/// // Two threads, and memory kept for the next batch.
/// let mut analyzer = FunnelAnalyzer::new();
/// let options = Options::threads(2).with_analyzer(&mut analyzer);
/// assert_eq!(analyze(&spec, &events, &ch, options)?, plain);
/// // The caller's own events, reordered in place: no copy.
/// assert_eq!(analyze(&spec, &mut events, &ch, Options::threads(2))?, plain);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Threads to analyse on: 0 or 1 is the calling thread alone; 2 or
    /// more also uses that many minus one scoped threads.
    pub threads: usize,
    /// Working memory kept between calls ([`FunnelAnalyzer`]); `None`
    /// allocates afresh.
    pub analyzer: Option<&'a mut FunnelAnalyzer>,
}

impl<'a> Options<'a> {
    /// On `threads` threads, with fresh memory.
    pub fn threads(threads: usize) -> Options<'a> {
        Options {
            threads,
            analyzer: None,
        }
    }

    /// With `analyzer`'s working memory.
    pub fn with_analyzer(mut self, analyzer: &'a mut FunnelAnalyzer) -> Options<'a> {
        self.analyzer = Some(analyzer);
        self
    }
}

/// Analyses `events` (any order; borrowed, or the caller's own to reorder
/// in place: [`Events`]) with `spec`; channel names come from `channels`.
/// See the [module docs](super) for the rules, and [`Options`] for
/// threads and reusable memory.
///
/// ```
/// use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
/// use revops::journey::Channels;
/// use revops::TimeDelta;
/// let mut ch = Channels::new();
/// let web = ch.intern_str("web")?;
/// let spec = FunnelSpec::new(2, TimeDelta::seconds(60))?;
/// let events = [FunnelEvent::new(7, 30, 1, web), FunnelEvent::new(7, 0, 0, web)];
/// let report = analyze(&spec, &events, &ch, Options::default())?;
/// assert_eq!(report.steps[1].users, 1);
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`](crate::Error::InvalidInput) for an event
/// whose channel is not in `channels`.
pub fn analyze<'e>(
    spec: &FunnelSpec,
    events: impl Into<Events<'e>>,
    channels: &Channels,
    options: Options<'_>,
) -> Result<FunnelReport> {
    let mut fresh = None;
    let analyzer = match options.analyzer {
        Some(a) => a,
        None => fresh.insert(FunnelAnalyzer::new()),
    };
    match events.into() {
        Events::Borrowed(ev) if options.threads <= 1 => analyzer.analyze(spec, ev, channels),
        Events::Borrowed(ev) => analyzer.analyze_parallel(spec, ev, channels, options.threads),
        Events::InPlace(ev) => {
            analyzer.analyze_in_place(spec, ev, channels, options.threads.max(1))
        }
    }
}
