//! Funnels in the service's own terms: any user key, `DateTime<Utc>`
//! timestamps, events and breakdown values by name.

use crate::quantity::TimeUnit;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use chrono::{DateTime, Utc};
use foldhash::fast::RandomState;

use crate::error::Result;
use crate::journey::{ChannelId, Channels};

use super::entry::Options;
use super::report::FunnelReport;
use super::spec::{FunnelEvent, FunnelSpec};
use super::state::FunnelState;
#[cfg(feature = "csv")]
use super::users::KeyTable;
use super::users::Users;

/// Events collected in the caller's terms, for one [`FunnelSpec`]: users by
/// any key (`String`, a UUID, an integer: anything `Hash + Eq`), times as
/// `DateTime<Utc>` (or integer ticks of the spec's unit), events by name,
/// and a breakdown value per event (the channel, or any property: the
/// report's `by_channel` is keyed by the value of the counted chain's
/// step-1 event).
///
/// It maps each to the compact form ([`FunnelEvent`]: user keys numbered,
/// names to step codes, breakdown values
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
/// use revops::funnel::{FunnelInput, FunnelSpec, Options};
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
/// let report = input.analyze(Options::default())?;
/// assert_eq!(report.steps[1].name.as_deref(), Some("signup"));
/// assert_eq!(report.steps[1].users, 1);
/// // Time to convert is reported in seconds, exactly.
/// let t1 = report.steps[1].time_from_first.as_ref().unwrap();
/// assert_eq!(t1.mean_seconds.to_string(), "1.5");
/// assert_eq!(report.by_channel["email"][0].users, 1);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FunnelInput<K> {
    spec: FunnelSpec,
    users: Users<K>,
    codes: HashMap<String, u8, RandomState>,
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
            users: Users::new(),
            codes,
            registry: Channels::new(),
            events: Vec::new(),
        }
    }

    /// Adds an event: `user` did `event` at `at`, with breakdown value `by`
    /// (its channel, say). `event` is a step's name, or for a funnel of
    /// numbered steps ([`FunnelSpec::new`]) the step's number as text
    /// (`"0"`, `"1"`, ...); any other event matches no step.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a timestamp finer than the spec's unit
    /// or an invalid breakdown value; [`Error::Overflow`](crate::Error::Overflow) for a timestamp
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
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an invalid breakdown value.
    pub fn push_ticks<Q>(&mut self, user: &Q, ts: i64, event: &str, by: &str) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let channel = self.value(by)?;
        let step = match self.codes.get(event) {
            Some(&code) => code,
            // A numbered funnel's events are their step numbers.
            None if self.spec.names.is_empty() => event
                .parse::<u64>()
                .ok()
                .filter(|&k| k < u64::from(self.spec.steps))
                .map_or(u8::MAX, |k| k as u8),
            None => u8::MAX,
        };
        let user = self.users.id(user)?;
        self.events.push(FunnelEvent::new(user, ts, step, channel));
        Ok(())
    }

    /// Adds many events, as [`push`](FunnelInput::push) does one by one,
    /// and faster: the user keys are looked up 32 at a time, so that
    /// their memory accesses overlap instead of waiting on each other
    /// (on a log of millions of users, a look-up waits on main memory).
    ///
    /// # Errors
    ///
    /// As [`push`](FunnelInput::push); the events before the one refused
    /// are added.
    ///
    /// ```
    /// use revops::funnel::{Event, FunnelInput, FunnelSpec, Options};
    /// use revops::{TimeDelta, TimeZone, Utc};
    /// let spec = FunnelSpec::named(["visit", "buy"], TimeDelta::days(1))?;
    /// let log = [("u-1", 0, "visit"), ("u-2", 5, "visit"), ("u-1", 60, "buy")];
    /// let mut input = FunnelInput::<String>::new(&spec);
    /// input.extend(log.iter().map(|&(user, s, event)| Event {
    ///     user,
    ///     at: Utc.timestamp_opt(1_767_225_600 + s, 0).unwrap(),
    ///     event,
    ///     by: "web",
    /// }))?;
    /// assert_eq!(input.analyze(Options::default())?.steps[1].users, 1);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn extend<'a, Q, I>(&mut self, events: I) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized + 'a,
        I: IntoIterator<Item = Event<'a, Q>>,
    {
        const CHUNK: usize = 32;
        let mut it = events.into_iter();
        let mut chunk: Vec<Event<'a, Q>> = Vec::with_capacity(CHUNK);
        let mut keys: Vec<(u64, &Q)> = Vec::with_capacity(CHUNK);
        let mut ids = [0u64; CHUNK];
        loop {
            chunk.clear();
            chunk.extend(it.by_ref().take(CHUNK));
            if chunk.is_empty() {
                return Ok(());
            }
            // Every event's own fields first: a refused event adds
            // nothing (the events before it are added).
            let mut resolved = Vec::with_capacity(chunk.len());
            let mut refused = None;
            for e in &chunk {
                let r = self.spec.unit.ticks_at(e.at).and_then(|ts| {
                    let step = self.codes.get(e.event).copied().unwrap_or(u8::MAX);
                    Ok((ts, step, self.value(e.by)?))
                });
                match r {
                    Ok(x) => resolved.push(x),
                    Err(err) => {
                        refused = Some(err);
                        break;
                    }
                }
            }
            keys.clear();
            keys.extend(
                chunk[..resolved.len()]
                    .iter()
                    .map(|e| (self.users.hasher.hash_one(e.user), e.user)),
            );
            self.users.ids_hashed(&keys, &mut ids)?;
            for (&user, &(ts, step, channel)) in ids.iter().zip(&resolved) {
                self.events.push(FunnelEvent::new(user, ts, step, channel));
            }
            if let Some(err) = refused {
                return Err(err);
            }
        }
    }

    /// The hasher of the user table, for readers that hash user keys on
    /// their own threads ([`push_hashed_many`](Self::push_hashed_many)).
    #[cfg(feature = "csv")]
    pub(crate) fn user_hasher(&self) -> RandomState {
        self.users.hasher.clone()
    }

    /// Adds one event whose user key was hashed with
    /// [`user_hasher`](Self::user_hasher), whose time is in the spec's
    /// ticks and whose event code and breakdown value are resolved.
    #[cfg(feature = "csv")]
    pub(crate) fn push_hashed<Q>(
        &mut self,
        hash: u64,
        user: &Q,
        ts: i64,
        code: u8,
        channel: ChannelId,
    ) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let user = self.users.id_hashed(hash, user)?;
        self.events.push(FunnelEvent::new(user, ts, code, channel));
        Ok(())
    }

    /// The user table's shards (to number a batch's users on two
    /// threads) and the events (to add them once numbered).
    #[cfg(feature = "csv")]
    pub(crate) fn shards_and_events(
        &mut self,
    ) -> ((&mut KeyTable<K>, &mut KeyTable<K>), &mut Vec<FunnelEvent>) {
        (self.users.shards_mut(), &mut self.events)
    }

    /// The registry of breakdown values, to intern them.
    #[cfg(feature = "csv")]
    pub(crate) fn registry_mut(&mut self) -> &mut Channels {
        &mut self.registry
    }

    fn value(&mut self, by: &str) -> Result<ChannelId> {
        self.registry.intern_str(by)
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
    /// values (for [`analyze`](super::analyze)).
    pub fn compact(&self) -> (&[FunnelEvent], &Channels) {
        (&self.events, &self.registry)
    }

    /// The funnel report, run as `options` say ([`Options`]).
    ///
    /// # Errors
    ///
    /// None in practice (every event's value is registered); as
    /// [`analyze`](super::analyze).
    pub fn analyze(&self, options: Options<'_>) -> Result<FunnelReport> {
        super::analyze(&self.spec, &self.events, &self.registry, options)
    }

    /// Re-expresses the events in the coarsest time unit that holds every
    /// event's time and the window exactly: seconds for an export of
    /// whole-second times read in nanoseconds, say. The analysis groups
    /// events whose times span less than 2^35 ticks fastest (a year of
    /// milliseconds, 1,000 years of seconds), so a reader that keeps every
    /// time it might see (in nanoseconds) calls this once it has read
    /// them. The report does not change; the unit only ever gets coarser.
    ///
    /// ```
    /// use revops::funnel::{FunnelInput, FunnelSpec, Options};
    /// use revops::quantity::TimeUnit;
    /// use revops::{TimeDelta, TimeZone, Utc};
    /// let spec = FunnelSpec::named(["visit", "buy"], TimeDelta::days(1))?
    ///     .with_unit(TimeUnit::Nanosecond)?;
    /// let mut input = FunnelInput::<String>::new(&spec);
    /// let at = |ms: i64| Utc.timestamp_millis_opt(1_767_225_600_000 + ms).unwrap();
    /// input.push("u-1", at(0), "visit", "web")?;
    /// input.push("u-1", at(60_250), "buy", "web")?;
    /// let before = input.analyze(Options::default())?;
    /// assert_eq!(input.coarsen_unit(), TimeUnit::Millisecond);
    /// assert_eq!(input.analyze(Options::default())?, before);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn coarsen_unit(&mut self) -> TimeUnit {
        let unit = self.spec.unit;
        let Some(coarser) = TimeUnit::ALL.into_iter().find(|c| {
            if c.per_second() > unit.per_second() {
                return false;
            }
            let factor = unit.per_second() / c.per_second();
            self.spec.window % factor == 0 && all_divisible(&self.events, factor)
        }) else {
            return unit;
        };
        if coarser == unit {
            return unit;
        }
        let factor = unit.per_second() / coarser.per_second();
        divide(&mut self.events, factor);
        self.spec.window /= factor;
        self.spec.unit = coarser;
        coarser
    }

    /// The funnel report, as [`analyze`](FunnelInput::analyze) gives it,
    /// from the events in place: nothing is copied (on a log of millions
    /// of events, the copy costs more than the analysis), and the input
    /// is used up.
    ///
    /// ```
    /// use revops::funnel::{FunnelInput, FunnelSpec, Options};
    /// use revops::{TimeDelta, TimeZone, Utc};
    /// let spec = FunnelSpec::named(["visit", "buy"], TimeDelta::days(1))?;
    /// let mut input = FunnelInput::<String>::new(&spec);
    /// let at = |s: i64| Utc.timestamp_opt(1_767_225_600 + s, 0).unwrap();
    /// input.push("u-1", at(0), "visit", "web")?;
    /// input.push("u-1", at(60), "buy", "web")?;
    /// let same = input.analyze(Options::default())?;
    /// assert_eq!(input.into_report(Options::threads(2))?, same);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`analyze`](FunnelInput::analyze).
    pub fn into_report(mut self, options: Options<'_>) -> Result<FunnelReport> {
        super::analyze(&self.spec, &mut self.events, &self.registry, options)
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

/// One event for [`FunnelInput::extend`]: `user` did `event` at `at`, with
/// breakdown value `by`.
#[derive(Debug)]
pub struct Event<'a, Q: ?Sized> {
    /// The user's key.
    pub user: &'a Q,
    /// When.
    pub at: DateTime<Utc>,
    /// The event's name.
    pub event: &'a str,
    /// The breakdown value (the channel, say).
    pub by: &'a str,
}

impl<Q: ?Sized> Clone for Event<'_, Q> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Q: ?Sized> Copy for Event<'_, Q> {}

impl<K> FunnelInput<K> {
    /// The spec.
    pub fn spec(&self) -> &FunnelSpec {
        &self.spec
    }
}

/// Whether every event's time is a multiple of `factor` (a ratio of two
/// units' ticks per second: a power of ten). The divisor is a constant
/// in each arm, so the remainder is a multiplication, not a division
/// (a division per event cost more than the rest of the pass).
fn all_divisible(events: &[FunnelEvent], factor: i64) -> bool {
    fn all<const F: i64>(events: &[FunnelEvent]) -> bool {
        events.iter().all(|e| e.ts % F == 0)
    }
    match factor {
        1_000 => all::<1_000>(events),
        1_000_000 => all::<1_000_000>(events),
        1_000_000_000 => all::<1_000_000_000>(events),
        f => events.iter().all(|e| e.ts % f == 0),
    }
}

/// Divides every event's time by `factor` (exactly: a multiple of it),
/// with a constant divisor in each arm as [`all_divisible`] has.
fn divide(events: &mut [FunnelEvent], factor: i64) {
    fn by<const F: i64>(events: &mut [FunnelEvent]) {
        for e in events {
            e.ts /= F;
        }
    }
    match factor {
        1_000 => by::<1_000>(events),
        1_000_000 => by::<1_000_000>(events),
        1_000_000_000 => by::<1_000_000_000>(events),
        f => events.iter_mut().for_each(|e| e.ts /= f),
    }
}
