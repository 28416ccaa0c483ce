//! Change over time in an event stream: cohort retention (do March's
//! sign-ups come back?) and the user lifecycle (how many of this week's
//! active users are new, returning, or back after a pause?), on calendar
//! periods at a fixed UTC offset ([`Calendar`]).
//!
//! # Cohort retention
//!
//! A user's **cohort** is the period holding the user's first *start*
//! event (a start time known per user, such as a sign-up date from the
//! CRM, is a [`START`] event at that time). With `N` periods asked for, `retained[n]` counts the cohort's
//! users with a *return* event at or after their start (a return in the
//! same second as the start counts) in the period `n` periods after the
//! cohort's own, by one of two [`Definition`]s, named as the analytics
//! tools name them:
//!
//! * [`Definition::On`] (Amplitude's "N-day"): a return in that period;
//! * [`Definition::OnOrAfter`] ("unbounded"): a return in that period or
//!   any later one up to the as-of time, beyond the `N` periods shown too.
//!
//! The **as-of** time ends observation (by default the latest event):
//! events after it are left out, a cohort's cells after it are absent
//! (its list is shorter: not observed is not zero), and a cohort whose last
//! cell is the as-of period, still in progress, is `partial`.
//!
//! ```
//! use revops::quantity::{Calendar, PeriodLength, TimeUnit};
//! use revops::retention::{analyze, Definition, RetentionEvent, RetentionSpec, START, RETURN};
//! use revops::journey::Channels;
//! use revops::{NaiveDate, TimeZone, Utc};
//!
//! let spec = RetentionSpec::new(Calendar::utc(PeriodLength::Week), 3, Definition::On)?;
//! let mut channels = Channels::new();
//! let web = channels.intern_str("web")?;
//! let t = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap().timestamp();
//! let ev = |user, ts, kind| RetentionEvent { user, ts, kind, by: web };
//! let events = [
//!     ev(1, t(2, 9), START),  // user 1 signs up on Monday 2 March
//!     ev(1, t(10, 9), RETURN), // and comes back the next week
//!     ev(2, t(4, 9), START),  // user 2 signs up on Wednesday
//!     ev(2, t(4, 9), RETURN), // and is active the same second
//!     ev(2, t(20, 9), RETURN), // then two weeks later
//! ];
//! let report = analyze(&spec, &events, &channels)?;
//! let week = &report.cohorts[0];
//! assert_eq!(week.cohort, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
//! assert_eq!(week.users, 2);
//! assert_eq!(week.retained, vec![1, 1, 1]);
//! assert!(week.partial); // the as-of (the latest event) is a Friday
//! # Ok::<(), revops::Error>(())
//! ```
//!
//! # Lifecycle
//!
//! PostHog's: in each period, the active users split into **new** (first
//! activity ever), **returning** (active in the previous period too) and
//! **resurrecting** (not active in the previous period, active some time
//! before); **dormant** users were active in the previous period and not
//! in this one, reported as a negative count. See [`lifecycle`].
//!
//! Both are partial states ([`RetentionState`], [`LifecycleState`]) under
//! the crate's protocol ([`Aggregate`](crate::Aggregate)): a batch of
//! events holding each of its users whole, merged by user partition, in
//! any order.

mod kernel;
mod lifecycle;
mod state;

pub use lifecycle::{lifecycle, LifecycleReport, LifecycleRow, LifecycleSpec, LifecycleState};
pub use state::{analyze, CohortRow, RetentionReport, RetentionState};

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::journey::ChannelId;
use crate::quantity::{Calendar, TimeUnit};

/// The kind bit of a start event ([`RetentionEvent::kind`]).
pub const START: u8 = 1;
/// The kind bit of a return event; an event may be both (`START | RETURN`,
/// when the start and return events are the same).
pub const RETURN: u8 = 2;

/// One event, compact: the user, the time in ticks of the spec's unit,
/// what it is ([`START`], [`RETURN`], both, or `0` for neither) and the
/// breakdown value (a [`Channels`](crate::journey::Channels) id).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RetentionEvent {
    /// The user.
    pub user: u64,
    /// When, in ticks of the spec's [`TimeUnit`] (seconds by default).
    pub ts: i64,
    /// [`START`], [`RETURN`], both or neither.
    pub kind: u8,
    /// The breakdown value (of the user's first start event, it is the
    /// user's).
    pub by: ChannelId,
}

/// Which users a retention cell counts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Definition {
    /// A return in that very period (Amplitude's N-day retention).
    #[default]
    On,
    /// A return in that period or any later one ("unbounded").
    OnOrAfter,
}

impl Definition {
    /// The snake_case name: `on`, `on_or_after`.
    pub fn id(self) -> &'static str {
        match self {
            Definition::On => "on",
            Definition::OnOrAfter => "on_or_after",
        }
    }
}

impl fmt::Display for Definition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Definition::On => "returned in the period",
            Definition::OnOrAfter => "returned in the period or later",
        })
    }
}

impl FromStr for Definition {
    type Err = Error;

    /// `on` or `on_or_after` (any case; `unbounded` too).
    fn from_str(s: &str) -> Result<Definition> {
        match s.trim().to_ascii_lowercase().as_str() {
            "on" | "n_day" => Ok(Definition::On),
            "on_or_after" | "unbounded" => Ok(Definition::OnOrAfter),
            _ => Err(Error::invalid(
                "retention",
                format!("unknown definition {s:?}: on or on_or_after"),
            )),
        }
    }
}

/// What a retention table counts: the calendar, how many periods, the
/// definition, the as-of time and the events' time unit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SpecRepr"))]
pub struct RetentionSpec {
    calendar: Calendar,
    periods: usize,
    definition: Definition,
    as_of: Option<DateTime<Utc>>,
    unit: TimeUnit,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecRepr {
    calendar: Calendar,
    periods: usize,
    definition: Definition,
    as_of: Option<DateTime<Utc>>,
    unit: TimeUnit,
}

#[cfg(feature = "serde")]
impl TryFrom<SpecRepr> for RetentionSpec {
    type Error = Error;
    fn try_from(r: SpecRepr) -> Result<RetentionSpec> {
        let spec = RetentionSpec::new(r.calendar, r.periods, r.definition)?.with_unit(r.unit);
        Ok(match r.as_of {
            Some(t) => spec.with_as_of(t),
            None => spec,
        })
    }
}

impl RetentionSpec {
    /// The most periods a table has (a decade of weeks).
    pub const MAX_PERIODS: usize = 520;

    /// `periods` cells of `calendar`'s periods, counted by `definition`;
    /// events in seconds, observed up to the latest one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for 0 periods or more than
    /// [`MAX_PERIODS`](RetentionSpec::MAX_PERIODS).
    pub fn new(
        calendar: Calendar,
        periods: usize,
        definition: Definition,
    ) -> Result<RetentionSpec> {
        if periods == 0 || periods > Self::MAX_PERIODS {
            return Err(Error::invalid(
                "retention",
                format!(
                    "a table has 1 to {} periods, not {periods}",
                    Self::MAX_PERIODS
                ),
            ));
        }
        Ok(RetentionSpec {
            calendar,
            periods,
            definition,
            as_of: None,
            unit: TimeUnit::Second,
        })
    }

    /// Observation ends at `as_of` (inclusive): later events are left out.
    pub fn with_as_of(mut self, as_of: DateTime<Utc>) -> RetentionSpec {
        self.as_of = Some(as_of);
        self
    }

    /// The events' timestamps are ticks of `unit`.
    pub fn with_unit(mut self, unit: TimeUnit) -> RetentionSpec {
        self.unit = unit;
        self
    }

    /// The calendar.
    pub fn calendar(&self) -> Calendar {
        self.calendar
    }

    /// The number of periods.
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// The definition.
    pub fn definition(&self) -> Definition {
        self.definition
    }

    /// The as-of time, if given.
    pub fn as_of(&self) -> Option<DateTime<Utc>> {
        self.as_of
    }

    /// The events' time unit.
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }
}
