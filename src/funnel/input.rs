//! Funnels in the service's own terms: any user key, `DateTime<Utc>`
//! timestamps, events and breakdown values by name.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use foldhash::fast::RandomState;

use crate::error::Result;
use crate::journey::{ChannelId, Channels};

use super::{FunnelAnalyzer, FunnelEvent, FunnelReport, FunnelSpec, FunnelState};

/// Events collected in the caller's terms, for one [`FunnelSpec`]: users by
/// any key (`String`, a UUID, an integer: anything `Hash + Eq`), times as
/// `DateTime<Utc>` (or integer ticks of the spec's unit), events by name,
/// and a breakdown value per event (the channel, or any property: the
/// report's `by_channel` is keyed by the value of the counted chain's
/// step-1 event).
///
/// It maps each to the compact form ([`FunnelEvent`]: user keys numbered
/// in order of first appearance, names to step codes, breakdown values
/// interned in a [`Channels`] registry) as events are pushed, so analysing
/// costs what the compact path costs, plus one hash look-up per event.
///
/// * An event name that is neither a step of the spec nor a [named
///   exclusion](FunnelSpec::exclude_named) matches no step: it counts
///   under `events_matching_no_step`, and matters to `strict_order`.
/// * A timestamp finer than the spec's [`TimeUnit`](crate::quantity::TimeUnit)
///   is an error, never truncated.
/// * A breakdown value follows the rules of a [`Channel`](crate::journey::Channel)
///   name (1 to 200 bytes, no control characters).
///
/// Results do not depend on the order in which events are pushed.
///
/// ```
/// use revops::funnel::{FunnelInput, FunnelSpec};
/// use revops::quantity::TimeUnit;
/// use revops::{TimeDelta, TimeZone, Utc};
///
/// let spec = FunnelSpec::named(["visit", "signup", "purchase"], TimeDelta::days(7))?
///     .with_unit(TimeUnit::Millisecond)?;
/// let t = |ms: i64| Utc.timestamp_millis_opt(1_767_225_600_000 + ms).unwrap();
/// let mut input = FunnelInput::new(&spec);
/// input.push("9b2e-ana", t(0), "visit", "ads")?;
/// input.push("9b2e-ana", t(1_500), "signup", "ads")?;
/// input.push("41c7-bob", t(20), "visit", "email")?;
/// input.push("41c7-bob", t(30), "newsletter_open", "email")?; // no step
/// let report = input.analyze()?;
/// assert_eq!(report.steps[1].name.as_deref(), Some("signup"));
/// assert_eq!(report.steps[1].users, 1);
/// // Time to convert is reported in seconds, exactly.
/// let t1 = report.steps[1].time_from_first.as_ref().unwrap();
/// assert_eq!(t1.mean_seconds.to_string(), "1.500");
/// assert_eq!(report.by_channel["email"][0].users, 1);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FunnelInput<K> {
    spec: FunnelSpec,
    users: HashMap<K, u64, RandomState>,
    codes: HashMap<String, u8, RandomState>,
    values: HashMap<String, ChannelId, RandomState>,
    registry: Channels,
    events: Vec<FunnelEvent>,
}

impl<K: Hash + Eq> FunnelInput<K> {
    /// No events yet, for `spec`.
    pub fn new(spec: &FunnelSpec) -> FunnelInput<K> {
        let mut codes = HashMap::with_hasher(RandomState::default());
        for (i, n) in spec.names.iter().enumerate() {
            codes.insert(n.clone(), i as u8);
        }
        for (i, n) in spec.event_names.iter().enumerate() {
            codes.insert(n.clone(), spec.steps + i as u8);
        }
        FunnelInput {
            spec: spec.clone(),
            users: HashMap::with_hasher(RandomState::default()),
            codes,
            values: HashMap::with_hasher(RandomState::default()),
            registry: Channels::new(),
            events: Vec::new(),
        }
    }

    /// Adds an event: `user` did `event` at `at`, with breakdown value `by`
    /// (its channel, say).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a timestamp finer than the spec's unit
    /// or an invalid breakdown value; [`Error::Overflow`] for a timestamp
    /// that the unit cannot count (nanoseconds outside 1677–2262).
    pub fn push<Q>(&mut self, user: &Q, at: DateTime<Utc>, event: &str, by: &str) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let ts = self.spec.unit.ticks_at(at)?;
        self.push_ticks(user, ts, event, by)
    }

    /// As [`push`](FunnelInput::push), with the time already an integer
    /// count of the spec's unit (for example a Unix timestamp in
    /// milliseconds from an Arrow or ClickHouse `DateTime64(3)` column).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an invalid breakdown value.
    pub fn push_ticks<Q>(&mut self, user: &Q, ts: i64, event: &str, by: &str) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let channel = match self.values.get(by) {
            Some(&c) => c,
            None => {
                let c = self.registry.intern_str(by)?;
                self.values.insert(by.to_string(), c);
                c
            }
        };
        let step = self.codes.get(event).copied().unwrap_or(u8::MAX);
        let user = match self.users.get(user) {
            Some(&u) => u,
            None => {
                let u = self.users.len() as u64;
                self.users.insert(user.to_owned(), u);
                u
            }
        };
        self.events.push(FunnelEvent::new(user, ts, step, channel));
        Ok(())
    }

    /// Distinct users pushed so far.
    pub fn users(&self) -> usize {
        self.users.len()
    }

    /// Events pushed so far.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event was pushed.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The compact events, with the registry that names their breakdown
    /// values (for [`analyze`](super::analyze) and its relatives).
    pub fn compact(&self) -> (&[FunnelEvent], &Channels) {
        (&self.events, &self.registry)
    }

    /// The funnel report.
    ///
    /// # Errors
    ///
    /// None in practice (every event's value is registered); as
    /// [`analyze`](super::analyze).
    pub fn analyze(&self) -> Result<FunnelReport> {
        FunnelAnalyzer::new().analyze(&self.spec, &self.events, &self.registry)
    }

    /// As [`analyze`](FunnelInput::analyze), reusing `analyzer`'s memory.
    ///
    /// # Errors
    ///
    /// As [`analyze`](FunnelInput::analyze).
    pub fn analyze_with(&self, analyzer: &mut FunnelAnalyzer) -> Result<FunnelReport> {
        analyzer.analyze(&self.spec, &self.events, &self.registry)
    }

    /// The partial state of these events, to merge with other
    /// partitions' states (every event of a user must be in one
    /// partition; states merge by breakdown value, whatever registry
    /// each input used) and to [`finish`](FunnelState::finish).
    ///
    /// # Errors
    ///
    /// As [`analyze`](FunnelInput::analyze).
    pub fn state(&self) -> Result<FunnelState> {
        let mut st = FunnelState::new(&self.spec);
        st.add_events(&self.events, &self.registry)?;
        Ok(st)
    }
}

impl<K> FunnelInput<K> {
    /// The spec.
    pub fn spec(&self) -> &FunnelSpec {
        &self.spec
    }
}
