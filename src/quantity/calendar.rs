//! Calendar periods (day, ISO week, month) and the instants in them at a
//! fixed UTC offset: the one rule every analysis over time follows.

use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

use super::time::TimeUnit;
use crate::error::{Error, Result};

/// Calendar periods: a day; a week from Monday to Sunday (ISO 8601;
/// pandas' `W`, that is `W-SUN`); a calendar month. The periods purchases
/// are counted in ([`clv`](crate::clv)), cohorts and retention are counted
/// in ([`Calendar`] places instants in them at a fixed UTC offset).
///
/// ```
/// use revops::clv::PeriodLength;
/// use revops::NaiveDate;
/// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
/// // Sunday 2026-01-04 and Monday 2026-01-05 are in consecutive weeks.
/// let w = PeriodLength::Week;
/// assert_eq!(w.index(d(2026, 1, 5)) - w.index(d(2026, 1, 4)), 1);
/// assert_eq!(PeriodLength::Month.index(d(2026, 3, 31)) - PeriodLength::Month.index(d(2026, 1, 1)), 2);
/// assert_eq!("week".parse::<PeriodLength>()?, PeriodLength::Week);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum PeriodLength {
    /// A calendar day.
    Day,
    /// A week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl std::fmt::Display for PeriodLength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl PeriodLength {
    /// The number of the period holding `date`: consecutive periods have
    /// consecutive numbers, so differences count whole periods.
    pub fn index(self, date: NaiveDate) -> i64 {
        // Days since 0001-01-01 (a Monday).
        let days = i64::from(date.num_days_from_ce()) - 1;
        match self {
            PeriodLength::Day => days,
            PeriodLength::Week => days.div_euclid(7),
            PeriodLength::Month => i64::from(date.year()) * 12 + i64::from(date.month0()),
        }
    }

    /// The snake_case name (`day`, `week`, `month`).
    pub fn id(self) -> &'static str {
        match self {
            PeriodLength::Day => "day",
            PeriodLength::Week => "week",
            PeriodLength::Month => "month",
        }
    }
}

impl FromStr for PeriodLength {
    type Err = Error;

    /// `day`, `week` or `month` (any case; pandas' `D`, `W`, `M` too).
    fn from_str(s: &str) -> Result<PeriodLength> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "d" => Ok(PeriodLength::Day),
            "week" | "w" => Ok(PeriodLength::Week),
            "month" | "m" => Ok(PeriodLength::Month),
            _ => Err(Error::invalid("period", "expected day, week or month")),
        }
    }
}

/// Days from 0001-01-01 (day 0 of [`PeriodLength::Day`]'s numbering) to
/// 1970-01-01.
const CE_TO_EPOCH: i64 = 719_162;

impl PeriodLength {
    /// The first day of the period numbered `index` (the inverse of
    /// [`index`](PeriodLength::index)); `None` outside `NaiveDate`'s
    /// range.
    ///
    /// ```
    /// use revops::quantity::PeriodLength;
    /// use revops::NaiveDate;
    /// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    /// let w = PeriodLength::Week;
    /// assert_eq!(w.first_day(w.index(d(2026, 3, 5))), Some(d(2026, 3, 2)));
    /// let m = PeriodLength::Month;
    /// assert_eq!(m.first_day(m.index(d(2024, 2, 29))), Some(d(2024, 2, 1)));
    /// ```
    pub fn first_day(self, index: i64) -> Option<NaiveDate> {
        let from_ce = |days: i64| {
            i32::try_from(days.checked_add(1)?)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)
        };
        match self {
            PeriodLength::Day => from_ce(index),
            PeriodLength::Week => from_ce(index.checked_mul(7)?),
            PeriodLength::Month => {
                let year = i32::try_from(index.div_euclid(12)).ok()?;
                NaiveDate::from_ymd_opt(year, index.rem_euclid(12) as u32 + 1, 1)
            }
        }
    }
}

/// Calendar periods at a fixed offset from UTC: which period an instant
/// falls in, as people at that offset read their calendar (no time-zone
/// database: a fixed offset, `+00:00` by default).
///
/// ```
/// use revops::quantity::{parse_utc_offset, Calendar, PeriodLength};
/// use revops::{NaiveDate, TimeZone, Utc};
/// let berlin_winter = Calendar::new(PeriodLength::Day, parse_utc_offset("+01:00")?);
/// // 23:30 UTC on Sunday 1 March is already Monday 2 March at +01:00.
/// let late = Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap();
/// let p = berlin_winter.period_of(late);
/// assert_eq!(berlin_winter.first_day(p), NaiveDate::from_ymd_opt(2026, 3, 2));
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Calendar {
    /// The length of a period.
    pub period: PeriodLength,
    /// Seconds east of UTC (`3600` for `+01:00`), within a day.
    #[cfg_attr(feature = "serde", serde(with = "offset_seconds"))]
    pub offset: FixedOffset,
}

impl Calendar {
    /// Periods of `period` at `offset`.
    pub fn new(period: PeriodLength, offset: FixedOffset) -> Calendar {
        Calendar { period, offset }
    }

    /// Periods of `period` in UTC.
    pub fn utc(period: PeriodLength) -> Calendar {
        Calendar::new(period, chrono::Offset::fix(&Utc))
    }

    /// The number of the period holding `at` (consecutive periods have
    /// consecutive numbers).
    pub fn period_of(&self, at: DateTime<Utc>) -> i64 {
        self.period
            .index(at.with_timezone(&self.offset).date_naive())
    }

    /// The number of the period holding the instant `ticks` of `unit`
    /// after the Unix epoch: [`period_of`](Calendar::period_of) in integer
    /// arithmetic, for event logs.
    #[inline]
    pub fn period_of_ticks(&self, ticks: i64, unit: TimeUnit) -> i64 {
        // (Saturating: instants at the ends of `i64` stay at the ends, in
        // order.)
        // (Each unit's divisor a constant: the division is a multiplication.)
        let whole = match unit {
            TimeUnit::Second => ticks,
            TimeUnit::Millisecond => ticks.div_euclid(1_000),
            TimeUnit::Microsecond => ticks.div_euclid(1_000_000),
            TimeUnit::Nanosecond => ticks.div_euclid(1_000_000_000),
        };
        let seconds = whole.saturating_add(i64::from(self.offset.local_minus_utc()));
        let day = seconds.div_euclid(86_400) + CE_TO_EPOCH;
        match self.period {
            PeriodLength::Day => day,
            PeriodLength::Week => day.div_euclid(7),
            PeriodLength::Month => {
                let (y, m) = year_month(day - CE_TO_EPOCH);
                y * 12 + (m - 1)
            }
        }
    }

    /// The first day of period `index`, as [`PeriodLength::first_day`].
    pub fn first_day(&self, index: i64) -> Option<NaiveDate> {
        self.period.first_day(index)
    }
}

/// The year and month (1 to 12) of a day counted from 1970-01-01 (the
/// proleptic Gregorian calendar; Howard Hinnant's `civil_from_days`).
fn year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m)
}

/// Reads a UTC offset: `+01:00`, `-05:30`, `+0100`, `Z` or `UTC`.
///
/// ```
/// use revops::quantity::parse_utc_offset;
/// assert_eq!(parse_utc_offset("+05:30")?.local_minus_utc(), 19_800);
/// assert_eq!(parse_utc_offset("Z")?.local_minus_utc(), 0);
/// assert!(parse_utc_offset("+25:00").is_err());
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for anything else, or an offset of a day or
/// more.
pub fn parse_utc_offset(text: &str) -> Result<FixedOffset> {
    let t = text.trim();
    let bad = || {
        Error::invalid(
            "UTC offset",
            format!("cannot read {t:?}: write +01:00, -05:30 or Z"),
        )
    };
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0).ok_or_else(bad);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|&c| c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 5 {
        return Err(bad());
    }
    let h: i32 = digits[..2].parse().map_err(|_| bad())?;
    let m: i32 = digits[2..].parse().map_err(|_| bad())?;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

impl FromStr for Calendar {
    type Err = Error;

    /// `week`, `month+01:00`, `day-05:30`: a period, then an optional
    /// offset.
    fn from_str(s: &str) -> Result<Calendar> {
        let s = s.trim();
        let at = s.find(['+', '-']).unwrap_or(s.len());
        let period: PeriodLength = s[..at].parse()?;
        let offset = if at < s.len() {
            parse_utc_offset(&s[at..])?
        } else {
            Calendar::utc(period).offset
        };
        Ok(Calendar::new(period, offset))
    }
}

#[cfg(feature = "serde")]
mod offset_seconds {
    use chrono::FixedOffset;

    pub fn serialize<S: serde::Serializer>(o: &FixedOffset, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(o.local_minus_utc())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<FixedOffset, D::Error> {
        let secs = <i32 as serde::Deserialize>::deserialize(d)?;
        FixedOffset::east_opt(secs)
            .ok_or_else(|| serde::de::Error::custom("a UTC offset of less than a day, in seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The integer path equals the calendar's, at every offset, for
    /// instants around ISO week, month and year boundaries and leap days,
    /// in every unit.
    #[test]
    fn ticks_place_instants_as_dates_do() {
        let mut at = Utc.with_ymd_and_hms(1969, 12, 20, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2101, 3, 10, 0, 0, 0).unwrap();
        let offsets = [0, 3600, -18_000, 19_800, 86_399, -86_399];
        while at < end {
            for secs in offsets {
                let off = FixedOffset::east_opt(secs).unwrap();
                for period in [PeriodLength::Day, PeriodLength::Week, PeriodLength::Month] {
                    let c = Calendar::new(period, off);
                    for unit in TimeUnit::ALL {
                        if let Ok(t) = unit.ticks_at(at) {
                            assert_eq!(
                                c.period_of_ticks(t, unit),
                                c.period_of(at),
                                "{at} {secs} {period} {unit}"
                            );
                        }
                    }
                    let p = c.period_of(at);
                    let first = c.first_day(p).unwrap();
                    assert_eq!(period.index(first), p);
                    assert!(first <= at.with_timezone(&off).date_naive());
                }
            }
            at += chrono::TimeDelta::seconds(86_400 * 3 + 3_600 * 7 + 59);
        }
    }

    /// The ends of `i64` in every unit and offset: no overflow, periods
    /// in order.
    #[test]
    fn extreme_ticks_stay_in_order() {
        for unit in TimeUnit::ALL {
            for secs in [-86_399, 0, 86_399] {
                for period in [PeriodLength::Day, PeriodLength::Week, PeriodLength::Month] {
                    let c = Calendar::new(period, FixedOffset::east_opt(secs).unwrap());
                    let ps: Vec<i64> = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX]
                        .iter()
                        .map(|&t| c.period_of_ticks(t, unit))
                        .collect();
                    assert!(
                        ps.windows(2).all(|w| w[0] <= w[1]),
                        "{unit} {secs} {period}: {ps:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn iso_weeks_start_on_monday() {
        let c = Calendar::utc(PeriodLength::Week);
        let d = |y, m, dd, h| Utc.with_ymd_and_hms(y, m, dd, h, 0, 0).unwrap();
        // Sunday 2026-03-01 23:00 and Monday 2026-03-02 00:00.
        assert_eq!(
            c.period_of(d(2026, 3, 2, 0)) - c.period_of(d(2026, 3, 1, 23)),
            1
        );
        assert_eq!(
            c.first_day(c.period_of(d(2026, 3, 8, 12))),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        // 2020-12-31 (Thursday) is in the week of Monday 2020-12-28.
        assert_eq!(
            c.first_day(c.period_of(d(2020, 12, 31, 1))),
            NaiveDate::from_ymd_opt(2020, 12, 28)
        );
    }

    #[test]
    fn offsets_read_and_refused() {
        for (t, s) in [
            ("+01:00", 3600),
            ("-05:30", -19_800),
            ("+0100", 3600),
            ("Z", 0),
            ("utc", 0),
        ] {
            assert_eq!(parse_utc_offset(t).unwrap().local_minus_utc(), s, "{t}");
        }
        for bad in [
            "",
            "01:00",
            "+1:00",
            "+24:00",
            "+01:60",
            "+01:00:00",
            "+ab:cd",
        ] {
            assert!(parse_utc_offset(bad).is_err(), "{bad}");
        }
        assert_eq!(
            "month+02:00"
                .parse::<Calendar>()
                .unwrap()
                .offset
                .local_minus_utc(),
            7200
        );
        assert_eq!(
            "week".parse::<Calendar>().unwrap().period,
            PeriodLength::Week
        );
    }
}
