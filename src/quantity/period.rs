//! Periods of whole days.

use std::fmt;

use chrono::NaiveDate;

use super::Ratio;
use crate::error::{Error, Result};

/// A half-open range of whole days `[start, end)`: a month, a quarter, a
/// campaign's flight. `end` is the first day *after* the period, so January
/// 2026 is `Period::new(2026-01-01, 2026-02-01)` and has 31 days; adjacent
/// periods share a boundary without overlapping.
///
/// # JSON form
///
/// `{"start": "2026-01-01", "end": "2026-02-01"}`. A period whose end is not
/// after its start is rejected.
///
/// # Example
///
/// ```
/// use revops::NaiveDate;
/// use revops::Period;
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let q1 = Period::new(d(1, 1), d(4, 1))?;
/// assert_eq!(q1.days(), 90);
/// assert!(q1.contains(d(3, 31)));
/// assert!(!q1.contains(d(4, 1)));
/// assert!(Period::new(d(4, 1), d(4, 1)).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PeriodRepr", into = "PeriodRepr"))]
pub struct Period {
    start: NaiveDate,
    end: NaiveDate,
}

/// The serde shape of a [`Period`], validated on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodRepr {
    start: NaiveDate,
    end: NaiveDate,
}

#[cfg(feature = "serde")]
impl TryFrom<PeriodRepr> for Period {
    type Error = Error;
    fn try_from(r: PeriodRepr) -> Result<Period> {
        Period::new(r.start, r.end)
    }
}

#[cfg(feature = "serde")]
impl From<Period> for PeriodRepr {
    fn from(p: Period) -> PeriodRepr {
        PeriodRepr {
            start: p.start,
            end: p.end,
        }
    }
}

impl Period {
    /// The period `[start, end)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPeriod`] unless `end > start`.
    ///
    /// ```
    /// use revops::NaiveDate;
    /// use revops::Period;
    /// let a = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    /// let b = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    /// assert!(Period::new(a, b).is_err());
    /// ```
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Period> {
        if end <= start {
            return Err(Error::InvalidPeriod { start, end });
        }
        Ok(Period { start, end })
    }

    /// The calendar month that contains `date`.
    ///
    /// ```
    /// use revops::NaiveDate;
    /// use revops::Period;
    /// let feb = Period::month_of(NaiveDate::from_ymd_opt(2028, 2, 10).unwrap());
    /// assert_eq!(feb.days(), 29);
    /// ```
    pub fn month_of(date: NaiveDate) -> Period {
        use chrono::Datelike;
        let start = date.with_day(1).unwrap_or(date);
        // Only the last month chrono can represent has no next month; that
        // one period ends on `NaiveDate::MAX`, still after its start.
        let end = start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        Period { start, end }
    }

    /// The first day of the period.
    pub const fn start(&self) -> NaiveDate {
        self.start
    }

    /// The first day after the period.
    pub const fn end(&self) -> NaiveDate {
        self.end
    }

    /// The number of days (at least 1).
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// Whether `date` is in `[start, end)`.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date < self.end
    }

    /// How many days of the period have passed by the **end** of `on`,
    /// counting `on` itself: 0 before the period, 1 on its first day,
    /// [`days`](Period::days) on its last day and after.
    ///
    /// ```
    /// use revops::NaiveDate;
    /// use revops::Period;
    /// let d = |day| NaiveDate::from_ymd_opt(2026, 6, day).unwrap();
    /// let june = Period::month_of(d(1));
    /// assert_eq!(june.elapsed_days(d(1)), 1);
    /// assert_eq!(june.elapsed_days(d(15)), 15);
    /// ```
    pub fn elapsed_days(&self, on: NaiveDate) -> i64 {
        ((on - self.start).num_days() + 1).clamp(0, self.days())
    }

    /// The days left after `on` (0 on the last day and after).
    ///
    /// ```
    /// use revops::NaiveDate;
    /// use revops::Period;
    /// let d = |day| NaiveDate::from_ymd_opt(2026, 6, day).unwrap();
    /// assert_eq!(Period::month_of(d(1)).remaining_days(d(10)), 20);
    /// ```
    pub fn remaining_days(&self, on: NaiveDate) -> i64 {
        self.days() - self.elapsed_days(on)
    }

    /// The elapsed fraction of the period at the end of `on`, clamped to
    /// [0, 1]: `elapsed_days(on) / days()`. Used for pacing: on the 15th of
    /// a 30-day month, half the month has passed.
    ///
    /// ```
    /// use revops::NaiveDate;
    /// use revops::{Period, Ratio};
    /// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    /// let june = Period::new(d(6, 1), d(7, 1))?;
    /// assert_eq!(june.elapsed_fraction(d(6, 15)), Ratio::from_counts(1, 2)?);
    /// assert_eq!(june.elapsed_fraction(d(5, 20)), Ratio::ZERO);
    /// assert_eq!(june.elapsed_fraction(d(8, 1)), Ratio::ONE);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn elapsed_fraction(&self, on: NaiveDate) -> Ratio {
        let elapsed = self.elapsed_days(on).unsigned_abs();
        let days = self.days().unsigned_abs();
        // 0 <= elapsed <= days and days >= 1 by construction.
        Ratio::from_counts(elapsed, days).unwrap_or(Ratio::ZERO)
    }
}

impl fmt::Display for Period {
    /// `[2026-01-01, 2026-02-01)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period{self}")
    }
}
