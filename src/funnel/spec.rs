//! What a funnel is: its events, modes, kind, exclusions and spec.

use chrono::TimeDelta;

use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels, Journey};
use crate::quantity::{Calendar, TimeBins, TimeUnit};

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
    /// use revops::{TimeZone, Utc};
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

impl std::fmt::Display for FunnelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FunnelKind::Ordered => "ordered",
            FunnelKind::AnyOrder => "any order",
        })
    }
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
/// [`FunnelInput`](super::FunnelInput) takes events by name.
///
/// # JSON form
///
/// `{"steps": 3, "window": 604800, "unit": "second", "modes": {...},
/// "kind": "ordered", "exclusions": [], "names": ["visit", "signup",
/// "buy"], "event_names": []}`, the window in ticks of `unit`; every key
/// but `steps` and `window` may be left out. Deserialization goes through
/// the constructors, so an invalid spec is refused.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "FunnelSpecRepr"))]
pub struct FunnelSpec {
    pub(super) steps: u8,
    /// In ticks of `unit`.
    pub(super) window: i64,
    /// The window as given, exactly, so that a later change of unit
    /// keeps what a coarser unit had to round (two specs that analyse
    /// alike are equal whatever this holds).
    #[cfg_attr(feature = "serde", serde(skip_serializing))]
    pub(super) window_given: TimeDelta,
    pub(super) unit: TimeUnit,
    pub(super) modes: Modes,
    pub(super) kind: FunnelKind,
    pub(super) exclusions: Vec<Exclusion>,
    /// The steps' names: empty, or one per step.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub(super) names: Vec<String>,
    /// The names of event codes `steps`, `steps + 1`, ... (named
    /// exclusions).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub(super) event_names: Vec<String>,
    /// Report per calendar period of each user's entry, too.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub(super) trend: Option<Calendar>,
    /// Report histograms of the times to convert, too.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "time_to_convert", skip_serializing_if = "Option::is_none")
    )]
    pub(super) time_bins: Option<TimeBins>,
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
    #[serde(default)]
    trend: Option<Calendar>,
    #[serde(default)]
    time_to_convert: Option<TimeBins>,
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
        spec.trend = r.trend;
        spec.time_bins = r.time_to_convert;
        Ok(spec)
    }
}

/// Equal when they analyse alike: the window as the analysis uses it (in
/// ticks of the unit), not as it was given.
impl PartialEq for FunnelSpec {
    fn eq(&self, o: &FunnelSpec) -> bool {
        (self.steps, self.window, self.unit, self.modes, self.kind)
            == (o.steps, o.window, o.unit, o.modes, o.kind)
            && self.exclusions == o.exclusions
            && self.names == o.names
            && self.event_names == o.event_names
            && self.trend == o.trend
            && self.time_bins == o.time_bins
    }
}

impl Eq for FunnelSpec {}

impl FunnelSpec {
    /// An ordered funnel of `steps` steps (1 to 32) with a conversion window
    /// (compared in whole seconds, rounded down: exact for second
    /// timestamps; a finer unit set later with
    /// [`with_unit`](FunnelSpec::with_unit) gets the window as given),
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
            window_given: TimeDelta::zero(),
            unit: TimeUnit::Second,
            modes: Modes::default(),
            kind: FunnelKind::Ordered,
            exclusions: Vec::new(),
            names: Vec::new(),
            event_names: Vec::new(),
            trend: None,
            time_bins: None,
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

    /// Sets the unit of the events' timestamps, keeping the window as it
    /// was given (in whole units of the new unit, rounded down: a window
    /// of 1.5 s given to a spec in seconds is 1,500 ms once the unit is
    /// milliseconds).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the window does not fit an `i64` of the new
    /// unit (more than 292 years in nanoseconds).
    pub fn with_unit(mut self, unit: TimeUnit) -> Result<FunnelSpec> {
        self.window = unit.floor_ticks_of(self.window_given)?;
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
    /// assert_eq!(spec.window(), TimeDelta::milliseconds(1_500));
    /// // In seconds, 1.5 s is 1 s: the same events are within it; a finer
    /// // unit set later keeps the window as given.
    /// let seconds = FunnelSpec::new(2, TimeDelta::milliseconds(1_500))?;
    /// assert_eq!(seconds.window(), TimeDelta::seconds(1));
    /// let ms = seconds.with_unit(TimeUnit::Millisecond)?;
    /// assert_eq!(ms.window(), TimeDelta::milliseconds(1_500));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn with_window(mut self, window: TimeDelta) -> Result<FunnelSpec> {
        if window < TimeDelta::zero() {
            return Err(Error::invalid("funnel", "the window is negative"));
        }
        self.window = self.unit.floor_ticks_of(window)?;
        self.window_given = window;
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

    /// Reports the funnel per calendar period too: each user counts once,
    /// in the period of the entry of the user's level-reaching chain (see
    /// the [module docs](super#trends-and-time-to-convert-histograms));
    /// the report's [`trend`](super::FunnelReport::trend) lists the
    /// periods.
    ///
    /// ```
    /// use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
    /// use revops::journey::Channels;
    /// use revops::quantity::{Calendar, PeriodLength};
    /// use revops::{NaiveDate, TimeDelta};
    /// let mut ch = Channels::new();
    /// let web = ch.intern_str("web")?;
    /// let spec = FunnelSpec::new(2, TimeDelta::days(1))?
    ///     .with_trend(Calendar::utc(PeriodLength::Day));
    /// let day = 86_400;
    /// let events = [
    ///     FunnelEvent::new(1, 10, 0, web),
    ///     FunnelEvent::new(1, 20, 1, web),
    ///     FunnelEvent::new(2, day + 5, 0, web),
    /// ];
    /// let report = analyze(&spec, &events, &ch, Options::default())?;
    /// assert_eq!(report.trend.len(), 2);
    /// assert_eq!(report.trend[0].period, NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());
    /// assert_eq!(report.trend[0].steps[1].users, 1);
    /// assert_eq!(report.trend[1].steps[1].users, 0);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn with_trend(mut self, calendar: Calendar) -> FunnelSpec {
        self.trend = Some(calendar);
        self
    }

    /// Reports, per pair of steps, a histogram of the times to convert
    /// too (in the report's
    /// [`time_to_convert`](super::FunnelReport::time_to_convert), and per
    /// period with a [trend](FunnelSpec::with_trend)). Ignored by an
    /// any-order funnel, which has no times.
    ///
    /// ```
    /// use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
    /// use revops::journey::Channels;
    /// use revops::quantity::TimeBins;
    /// use revops::TimeDelta;
    /// let mut ch = Channels::new();
    /// let web = ch.intern_str("web")?;
    /// let spec = FunnelSpec::new(2, TimeDelta::hours(1))?
    ///     .with_time_to_convert(TimeBins::bounds(vec![TimeDelta::minutes(1)])?);
    /// let events: Vec<FunnelEvent> = (0..10u64)
    ///     .flat_map(|u| [FunnelEvent::new(u, 0, 0, web), FunnelEvent::new(u, 20 * u as i64, 1, web)])
    ///     .collect();
    /// let report = analyze(&spec, &events, &ch, Options::default())?;
    /// let h = &report.time_to_convert[0];
    /// assert_eq!((h.from, h.to), (0, 1));
    /// // 0, 20 and 40 seconds under a minute; 60 to 180 at or above it.
    /// assert_eq!(h.bins.iter().map(|b| b.users).collect::<Vec<_>>(), [3, 7]);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn with_time_to_convert(mut self, bins: TimeBins) -> FunnelSpec {
        self.time_bins = Some(bins);
        self
    }

    /// The trend's calendar, if any.
    pub fn trend(&self) -> Option<Calendar> {
        self.trend
    }

    /// The histogram bins, if any.
    pub fn time_bins(&self) -> Option<&TimeBins> {
        self.time_bins.as_ref()
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

    /// The window in ticks of the unit, as the analysis compares it (what
    /// a state read from JSON checks its times against).
    #[cfg(feature = "serde")]
    pub(crate) fn window_ticks(&self) -> i64 {
        self.window
    }

    /// The window as the analysis uses it: whole units of the spec's
    /// [`unit`](FunnelSpec::unit), as a duration.
    pub fn window(&self) -> TimeDelta {
        self.unit.duration(self.window).unwrap_or(TimeDelta::MAX)
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
