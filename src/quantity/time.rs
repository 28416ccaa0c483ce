//! The integer clocks of event data: Arrow's four timestamp units, and the
//! exact conversions between them, `DateTime<Utc>`, `TimeDelta` and
//! seconds.

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// The unit of an integer clock: seconds, milliseconds, microseconds or
/// nanoseconds since the Unix epoch (Arrow's four timestamp units;
/// ClickHouse's `DateTime` and `DateTime64(3)`, `(6)`, `(9)`).
///
/// Conversions into a unit are exact or an error: a timestamp or a
/// duration finer than the unit is refused, never truncated.
///
/// | unit | ticks per second | `i64` covers | text |
/// |---|---|---|---|
/// | [`Second`](TimeUnit::Second) | 1 | ±292 billion years | `second` |
/// | [`Millisecond`](TimeUnit::Millisecond) | 10^3 | ±292 million years | `millisecond` |
/// | [`Microsecond`](TimeUnit::Microsecond) | 10^6 | ±292,000 years | `microsecond` |
/// | [`Nanosecond`](TimeUnit::Nanosecond) | 10^9 | 1677-09-21 to 2262-04-11 | `nanosecond` |
///
/// ```
/// use revops::quantity::TimeUnit;
/// use revops::{TimeZone, Utc, TimeDelta};
/// let t = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
/// assert_eq!(TimeUnit::Millisecond.ticks_at(t)?, 1_700_000_000_123);
/// assert_eq!(TimeUnit::Microsecond.ticks_at(t)?, 1_700_000_000_123_000);
/// assert!(TimeUnit::Second.ticks_at(t).is_err()); // 123 ms would be lost
/// assert_eq!(TimeUnit::Millisecond.ticks_of(TimeDelta::seconds(2))?, 2_000);
/// assert_eq!("microsecond".parse::<TimeUnit>()?, TimeUnit::Microsecond);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TimeUnit {
    /// Whole seconds (the default).
    #[default]
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// Nanoseconds.
    Nanosecond,
}

impl TimeUnit {
    /// All four, coarsest first.
    pub const ALL: [TimeUnit; 4] = [
        TimeUnit::Second,
        TimeUnit::Millisecond,
        TimeUnit::Microsecond,
        TimeUnit::Nanosecond,
    ];

    /// Ticks per second: 1, 10^3, 10^6 or 10^9.
    pub const fn per_second(self) -> i64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Millisecond => 1_000,
            TimeUnit::Microsecond => 1_000_000,
            TimeUnit::Nanosecond => 1_000_000_000,
        }
    }

    /// The number of decimal places a tick adds to a second: 0, 3, 6, 9.
    pub const fn decimals(self) -> u32 {
        match self {
            TimeUnit::Second => 0,
            TimeUnit::Millisecond => 3,
            TimeUnit::Microsecond => 6,
            TimeUnit::Nanosecond => 9,
        }
    }

    /// The unit's name, as [`FromStr`](std::str::FromStr) reads it.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Millisecond => "millisecond",
            TimeUnit::Microsecond => "microsecond",
            TimeUnit::Nanosecond => "nanosecond",
        }
    }

    /// Ticks of this unit in a count of nanoseconds, exactly.
    fn exact_ticks(self, nanos: i128, what: &'static str) -> Result<i64> {
        let per_tick = i128::from(1_000_000_000 / self.per_second());
        if nanos % per_tick != 0 {
            return Err(Error::invalid(
                what,
                format!(
                    "it is finer than a {}: it would be truncated",
                    self.as_str()
                ),
            ));
        }
        i64::try_from(nanos / per_tick).map_err(|_| Error::overflow(what))
    }

    /// The instant `at` as ticks of this unit since the Unix epoch.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if `at` has a part finer than the unit;
    /// [`Error::Overflow`] if the count does not fit an `i64` (nanoseconds
    /// outside 1677–2262).
    pub fn ticks_at(self, at: DateTime<Utc>) -> Result<i64> {
        let nanos =
            i128::from(at.timestamp()) * 1_000_000_000 + i128::from(at.timestamp_subsec_nanos());
        self.exact_ticks(nanos, "timestamp")
    }

    /// The duration `d` as ticks of this unit.
    ///
    /// # Errors
    ///
    /// As [`ticks_at`](TimeUnit::ticks_at), for a duration.
    pub fn ticks_of(self, d: TimeDelta) -> Result<i64> {
        // chrono: num_seconds() * 10^9 + subsec_nanos() is the total, the
        // two parts carrying the same sign.
        let nanos = i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos());
        self.exact_ticks(nanos, "duration")
    }

    /// The whole ticks of this unit in a non-negative duration `d`,
    /// rounded down (a window: with integer timestamps, `t <= start + d`
    /// and `t <= start + floor(d)` agree).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative duration;
    /// [`Error::Overflow`] if the count does not fit an `i64`.
    pub fn floor_ticks_of(self, d: TimeDelta) -> Result<i64> {
        if d < TimeDelta::zero() {
            return Err(Error::invalid("duration", "it is negative"));
        }
        let nanos = i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos());
        let per_tick = i128::from(1_000_000_000 / self.per_second());
        i64::try_from(nanos / per_tick).map_err(|_| Error::overflow("duration"))
    }

    /// The whole ticks of this unit in `d`, rounded up, saturating at
    /// `i64`'s ends: the first tick count at or beyond a bound (with
    /// integer ticks, `t >= d` and `t >= ceil(d)` agree).
    ///
    /// ```
    /// use revops::quantity::TimeUnit;
    /// use revops::TimeDelta;
    /// assert_eq!(TimeUnit::Second.ceil_ticks_of(TimeDelta::milliseconds(1_500)), 2);
    /// assert_eq!(TimeUnit::Millisecond.ceil_ticks_of(TimeDelta::milliseconds(1_500)), 1_500);
    /// assert_eq!(TimeUnit::Second.ceil_ticks_of(TimeDelta::milliseconds(-1_500)), -1);
    /// ```
    pub fn ceil_ticks_of(self, d: TimeDelta) -> i64 {
        let nanos = i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos());
        let per_tick = i128::from(1_000_000_000 / self.per_second());
        let ticks = -(-nanos).div_euclid(per_tick);
        i64::try_from(ticks).unwrap_or(if ticks < 0 { i64::MIN } else { i64::MAX })
    }

    /// The ticks of this unit at `at`, rounded down to a whole tick (the
    /// last tick at or before `at`), saturating at `i64`'s ends: where an
    /// inclusive end of observation falls on a clock of this unit.
    ///
    /// ```
    /// use revops::quantity::TimeUnit;
    /// use revops::{TimeZone, Utc};
    /// let t = Utc.timestamp_opt(10, 999_999_999).unwrap();
    /// assert_eq!(TimeUnit::Second.floor_ticks_at(t), 10);
    /// assert_eq!(TimeUnit::Millisecond.floor_ticks_at(t), 10_999);
    /// let before = Utc.timestamp_opt(-1, 500_000_000).unwrap(); // -0.5 s
    /// assert_eq!(TimeUnit::Second.floor_ticks_at(before), -1);
    /// ```
    pub fn floor_ticks_at(self, at: DateTime<Utc>) -> i64 {
        let nanos =
            i128::from(at.timestamp()) * 1_000_000_000 + i128::from(at.timestamp_subsec_nanos());
        let per_tick = i128::from(1_000_000_000 / self.per_second());
        let ticks = nanos.div_euclid(per_tick);
        i64::try_from(ticks).unwrap_or(if ticks < 0 { i64::MIN } else { i64::MAX })
    }

    /// `ticks` of this unit as a duration.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] past `TimeDelta`'s range.
    pub fn duration(self, ticks: i64) -> Result<TimeDelta> {
        let p = self.per_second();
        let secs = ticks.div_euclid(p);
        let nanos = ticks.rem_euclid(p) * (1_000_000_000 / p);
        TimeDelta::try_seconds(secs)
            .and_then(|s| s.checked_add(&TimeDelta::nanoseconds(nanos)))
            .ok_or_else(|| Error::overflow("duration"))
    }

    /// A quantity of ticks (an integer, or a mean or quantile of them) in
    /// seconds: `ticks / per_second`, exact while the result fits
    /// `Decimal`'s 28 digits, rounded half to even beyond. The result
    /// keeps the decimals the ticks had, not the zeros the unit adds:
    /// 265,000 ms is `265` seconds, as 265 s is, so a report's text does
    /// not depend on the unit its events were counted in.
    ///
    /// ```
    /// use revops::quantity::TimeUnit;
    /// use revops::dec;
    /// assert_eq!(TimeUnit::Millisecond.seconds(dec!(265000)).to_string(), "265");
    /// assert_eq!(TimeUnit::Millisecond.seconds(dec!(265001)).to_string(), "265.001");
    /// assert_eq!(TimeUnit::Second.seconds(dec!(265.50)).to_string(), "265.50");
    /// ```
    pub fn seconds(self, ticks: Decimal) -> Decimal {
        let moved = self.move_point(ticks);
        let trimmed = moved.normalize();
        if trimmed.scale() >= ticks.scale() {
            trimmed
        } else {
            let mut d = trimmed;
            d.rescale(ticks.scale());
            d
        }
    }

    /// `ticks / per_second` by moving the decimal point.
    fn move_point(self, ticks: Decimal) -> Decimal {
        let mut d = ticks;
        let want = d.scale() + self.decimals();
        if want <= 28 {
            // Moving the decimal point is exact.
            d.set_scale(want).map_or(ticks, |()| d)
        } else {
            // Round to the places left, then move the point.
            let keep = 28 - self.decimals();
            let mut r = ticks
                .round_dp_with_strategy(keep, rust_decimal::RoundingStrategy::MidpointNearestEven);
            let s = r.scale() + self.decimals();
            r.set_scale(s).map_or(ticks, |()| r)
        }
    }
}

impl std::fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TimeUnit {
    type Err = Error;
    /// Reads `second`, `millisecond`, `microsecond`, `nanosecond` (and
    /// Arrow's `s`, `ms`, `us`, `ns`).
    fn from_str(s: &str) -> Result<TimeUnit> {
        Ok(match s {
            "second" | "s" => TimeUnit::Second,
            "millisecond" | "ms" => TimeUnit::Millisecond,
            "microsecond" | "us" => TimeUnit::Microsecond,
            "nanosecond" | "ns" => TimeUnit::Nanosecond,
            other => {
                return Err(Error::invalid(
                    "time unit",
                    format!(
                        "unknown unit {other:?}: second, millisecond, microsecond or nanosecond"
                    ),
                ))
            }
        })
    }
}

/// Seconds in a day: the one seconds/days conversion of the crate.
const SECONDS_PER_DAY: Decimal = Decimal::from_parts(86_400, 0, 0, false, 0);

/// Decimal seconds in days (`None` only if the division overflows, which
/// it cannot for a divisor above one; kept checked all the same).
pub(crate) fn days_of_seconds(seconds: Decimal) -> Option<Decimal> {
    seconds.checked_div(SECONDS_PER_DAY)
}

/// Decimal days in seconds (`None` on overflow).
pub(crate) fn seconds_of_days(days: Decimal) -> Option<Decimal> {
    days.checked_mul(SECONDS_PER_DAY)
}

/// A duration as exact decimal seconds.
pub(crate) fn seconds_of(d: TimeDelta) -> Decimal {
    Decimal::from(d.num_seconds()) + Decimal::new(i64::from(d.subsec_nanos()), 9)
}

/// Decimal seconds as a duration, rounded to the nanosecond.
pub(crate) fn to_time_delta(seconds: Decimal, metric: &'static str) -> Result<TimeDelta> {
    let whole = seconds.trunc();
    let nanos = ((seconds - whole) * Decimal::from(1_000_000_000)).round();
    let secs = i64::try_from(whole).map_err(|_| Error::overflow(metric))?;
    let nanos = i32::try_from(nanos).map_err(|_| Error::overflow(metric))?;
    TimeDelta::try_seconds(secs)
        .and_then(|s| s.checked_add(&TimeDelta::nanoseconds(i64::from(nanos))))
        .ok_or_else(|| Error::overflow(metric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_seconds() {
        assert_eq!(
            days_of_seconds(Decimal::from(129_600)),
            Some(Decimal::new(15, 1))
        );
        assert_eq!(
            seconds_of_days(Decimal::new(15, 1)),
            Some(Decimal::from(129_600))
        );
        assert_eq!(seconds_of_days(Decimal::MAX), None);
    }
    use chrono::TimeZone;
    use proptest::prelude::*;

    proptest! {
        /// Every unit round-trips every instant it can hold: ticks back to
        /// an instant give the same instant; one unit coarser refuses it
        /// exactly when its sub-unit part is not zero.
        #[test]
        fn ticks_round_trip(secs in -9_000_000_000i64..9_000_000_000, nanos in 0u32..1_000_000_000) {
            let at = Utc.timestamp_opt(secs, nanos).unwrap();
            for u in TimeUnit::ALL {
                let p = u.per_second();
                let per_tick = 1_000_000_000 / p as u32;
                match u.ticks_at(at) {
                    Ok(t) => {
                        prop_assert_eq!(nanos % per_tick, 0);
                        let back = Utc.timestamp_opt(t.div_euclid(p), (t.rem_euclid(p) as u32) * per_tick).unwrap();
                        prop_assert_eq!(back, at);
                        prop_assert_eq!(u.duration(t).unwrap(), at - DateTime::UNIX_EPOCH);
                    }
                    Err(Error::InvalidInput { .. }) => prop_assert_ne!(nanos % per_tick, 0),
                    Err(Error::Overflow { .. }) => prop_assert_eq!(u, TimeUnit::Nanosecond),
                    Err(e) => prop_assert!(false, "{e}"),
                }
            }
        }

        /// Durations of either sign convert exactly, and back.
        #[test]
        fn durations_round_trip(ns in -(1i64 << 62)..(1i64 << 62), unit in 0usize..4) {
            let u = TimeUnit::ALL[unit];
            let d = TimeDelta::nanoseconds(ns);
            let per_tick = 1_000_000_000 / u.per_second();
            match u.ticks_of(d) {
                Ok(t) => {
                    prop_assert_eq!(ns % per_tick, 0);
                    prop_assert_eq!(t, ns / per_tick);
                    prop_assert_eq!(u.duration(t).unwrap(), d);
                }
                Err(_) => prop_assert_ne!(ns % per_tick, 0),
            }
        }

        /// Seconds are ticks divided by the unit, exactly.
        #[test]
        fn seconds_divide_exactly(t in any::<i64>(), unit in 0usize..4) {
            let u = TimeUnit::ALL[unit];
            let s = u.seconds(Decimal::from(t));
            prop_assert_eq!(s * Decimal::from(u.per_second()), Decimal::from(t));
        }
    }

    proptest! {
        /// Durations to exact decimal seconds and back, to the nanosecond,
        /// for either sign.
        #[test]
        fn decimal_seconds_round_trip(ns in any::<i64>()) {
            let d = TimeDelta::nanoseconds(ns);
            let s = seconds_of(d);
            prop_assert_eq!(s, Decimal::from_i128_with_scale(i128::from(ns), 9));
            prop_assert_eq!(to_time_delta(s, "test").unwrap(), d);
        }
    }

    #[test]
    fn decimal_seconds_round_to_the_nanosecond() {
        let d = to_time_delta(Decimal::new(15_000_000_005, 10), "test").unwrap();
        assert_eq!(d, TimeDelta::nanoseconds(1_500_000_000));
        assert!(to_time_delta(Decimal::MAX, "test").is_err());
    }

    #[test]
    fn nanoseconds_outside_their_range_overflow() {
        let at = Utc.with_ymd_and_hms(2300, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(
            TimeUnit::Nanosecond.ticks_at(at),
            Err(Error::Overflow { .. })
        ));
        assert_eq!(
            TimeUnit::Microsecond.ticks_at(at).unwrap(),
            at.timestamp() * 1_000_000
        );
    }

    #[test]
    fn names_round_trip() {
        for u in TimeUnit::ALL {
            assert_eq!(u.to_string().parse::<TimeUnit>().unwrap(), u);
        }
        assert!("minute".parse::<TimeUnit>().is_err());
    }
}
