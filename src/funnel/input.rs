//! Funnels in the service's own terms: any user key, `DateTime<Utc>`
//! timestamps, events and breakdown values by name.

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
/// assert_eq!(t1.mean_seconds.to_string(), "1.500");
/// assert_eq!(report.by_channel["email"][0].users, 1);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FunnelInput<K> {
    spec: FunnelSpec,
    users: KeyTable<K>,
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
            users: KeyTable::new(),
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
        self.events
            .push(FunnelEvent::new(u64::from(user), ts, step, channel));
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
        let mut known = [u32::MAX; CHUNK];
        loop {
            chunk.clear();
            chunk.extend(it.by_ref().take(CHUNK));
            if chunk.is_empty() {
                return Ok(());
            }
            self.users.known(&chunk, &mut known);
            for (e, &n) in chunk.iter().zip(&known) {
                let ts = self.spec.unit.ticks_at(e.at)?;
                let channel = self.value(e.by)?;
                let step = self.codes.get(e.event).copied().unwrap_or(u8::MAX);
                let user = if n == u32::MAX {
                    self.users.id(e.user)?
                } else {
                    n
                };
                self.events
                    .push(FunnelEvent::new(u64::from(user), ts, step, channel));
            }
        }
    }

    fn value(&mut self, by: &str) -> Result<ChannelId> {
        self.registry.intern_str(by)
    }

    /// Distinct users pushed so far.
    pub fn users(&self) -> usize {
        self.users.keys.len()
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

/// The user keys, numbered in order of first appearance.
///
/// An open-addressing table of 8-byte slots (the top 32 bits of the key's
/// hash, and the key's number plus one) over the keys kept in order of
/// arrival. A look-up costs one random memory access (the slot); the key
/// it is checked against was most often seen recently, so it is still in
/// the cache (an event log in time order has its active users near the
/// end of the list). A `HashMap<String, u64>` costs three: its control
/// bytes, its bucket, the string's heap memory.
#[derive(Clone, Debug)]
struct KeyTable<K> {
    /// 0 for an empty slot, else `tag << 32 | (number + 1)`.
    slots: Vec<u64>,
    keys: Vec<K>,
    hasher: RandomState,
}

impl<K: Hash + Eq> KeyTable<K> {
    fn new() -> KeyTable<K> {
        KeyTable {
            slots: vec![0; 1024],
            keys: Vec::new(),
            hasher: RandomState::default(),
        }
    }

    /// The number of `key`, adding it if new.
    #[inline]
    fn id<Q>(&mut self, key: &Q) -> Result<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let tag = (self.hasher.hash_one(key) >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                break;
            }
            if (s >> 32) as u32 == tag {
                let n = (s as u32).wrapping_sub(1);
                if self.keys.get(n as usize).is_some_and(|k| k.borrow() == key) {
                    return Ok(n);
                }
            }
            i = (i + 1) & mask;
        }
        // New: numbers stay below u32::MAX (the slot keeps number + 1).
        let n = u32::try_from(self.keys.len())
            .ok()
            .filter(|&n| n < u32::MAX)
            .ok_or_else(|| crate::error::Error::overflow("funnel users"))?;
        self.slots[i] = (u64::from(tag) << 32) | u64::from(n + 1);
        self.keys.push(key.to_owned());
        // At most half full.
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        Ok(n)
    }

    /// For each event of `chunk`, the number of its user if the user's
    /// first slot holds it (`u32::MAX` otherwise: new, or further along
    /// the probe). The reads of the chunk are independent of each other,
    /// so the processor overlaps their waits on memory: first the slots,
    /// then the keys they point to.
    fn known<Q>(&self, chunk: &[Event<'_, Q>], out: &mut [u32])
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mask = self.slots.len() - 1;
        let mut slot = [0u64; 32];
        let mut tags = [0u32; 32];
        for ((e, s), t) in chunk.iter().zip(&mut slot).zip(&mut tags) {
            *t = (self.hasher.hash_one(e.user) >> 32) as u32;
            *s = self.slots[*t as usize & mask];
        }
        for (((e, &s), &t), o) in chunk.iter().zip(&slot).zip(&tags).zip(out.iter_mut()) {
            let n = (s as u32).wrapping_sub(1);
            *o = if s != 0
                && (s >> 32) as u32 == t
                && self
                    .keys
                    .get(n as usize)
                    .is_some_and(|k| k.borrow() == e.user)
            {
                n
            } else {
                u32::MAX
            };
        }
    }

    /// Doubles the slots; the tags place them again without hashing.
    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for &s in self.slots.iter().filter(|&&s| s != 0) {
            let mut i = (s >> 32) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = s;
        }
        self.slots = slots;
    }
}
