//! Calendar months as numbers, and billing intervals normalized to a
//! month: the rules recurring revenue is counted by.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::Money;
use crate::error::{Error, Result};

/// A calendar month (years 1 to 9999), ordered, with consecutive months
/// one apart: `year × 12 + month − 1`. Written `YYYY-MM`.
///
/// ```
/// use revops::quantity::Month;
/// let m: Month = "2026-03".parse()?;
/// assert_eq!(m.to_string(), "2026-03");
/// assert_eq!(m.next().unwrap().to_string(), "2026-04");
/// assert_eq!("2026-12".parse::<Month>()?.next().unwrap().to_string(), "2027-01");
/// assert_eq!(Month::of(revops::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()), m);
/// assert!("2026-13".parse::<Month>().is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Month(i32);

impl Month {
    /// The first month, January of year 1.
    pub const MIN: Month = Month(12);
    /// The last month, December 9999.
    pub const MAX: Month = Month(9999 * 12 + 11);

    /// Month `month` (1 to 12) of `year` (1 to 9999).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] outside those ranges.
    pub fn new(year: i32, month: u32) -> Result<Month> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(Error::invalid(
                "month",
                format!("{year:04}-{month:02} is not a month of the years 1 to 9999"),
            ));
        }
        Ok(Month(year * 12 + month as i32 - 1))
    }

    /// The month holding `date` (years before 1 or after 9999 are clamped
    /// to the first or last month).
    pub fn of(date: NaiveDate) -> Month {
        Month((date.year() * 12 + date.month0() as i32).clamp(Month::MIN.0, Month::MAX.0))
    }

    /// The month's number: `year × 12 + month − 1`.
    pub fn index(self) -> i32 {
        self.0
    }

    /// The month of number `index`, if within years 1 to 9999.
    pub fn from_index(index: i32) -> Option<Month> {
        (Month::MIN.0..=Month::MAX.0)
            .contains(&index)
            .then_some(Month(index))
    }

    /// The next month, if any.
    pub fn next(self) -> Option<Month> {
        Month::from_index(self.0 + 1)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// The month of the year, 1 to 12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month's first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or(NaiveDate::MIN)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = Error;

    /// `YYYY-MM` (a date `YYYY-MM-DD` is refused: say which month).
    fn from_str(s: &str) -> Result<Month> {
        let bad = || Error::invalid("month", format!("{s:?} is not a month YYYY-MM"));
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let (y, m) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Month::new(y, m).map_err(|_| bad())
    }
}

impl TryFrom<String> for Month {
    type Error = Error;
    fn try_from(s: String) -> Result<Month> {
        s.parse()
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

/// How often a subscription bills, and the rules that turn its amount
/// into monthly and annual recurring revenue (as ChartMogul normalizes):
///
/// | interval | monthly (MRR) | annual (ARR) |
/// |---|---|---|
/// | `week` | amount × 52 / 12 | amount × 52 |
/// | `month` | amount | amount × 12 |
/// | `quarter` | amount / 3 | amount × 4 |
/// | `year` | amount / 12 | amount |
///
/// The monthly amount is rounded half to even to the currency's minor
/// unit (an annual 2,000.00 plan is 166.67 a month; a currency without a
/// minor unit keeps the exact quotient); the annual amount is exact, taken
/// from the contract (2,000, not 12 × 166.67).
///
/// ```
/// use revops::quantity::BillingInterval;
/// use revops::Money;
/// let plan = Money::parse("2000", "USD")?;
/// assert_eq!(BillingInterval::Year.monthly(plan)?, Money::parse("166.67", "USD")?);
/// assert_eq!(BillingInterval::Year.annual(plan)?, plan);
/// assert_eq!(BillingInterval::Week.monthly(Money::parse("10", "USD")?)?, Money::parse("43.33", "USD")?);
/// assert_eq!("quarter".parse::<BillingInterval>()?, BillingInterval::Quarter);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum BillingInterval {
    /// Every week.
    Week,
    /// Every month.
    Month,
    /// Every three months.
    Quarter,
    /// Every year.
    Year,
}

impl BillingInterval {
    /// `(multiplier, divisor)` of the monthly amount.
    fn per_month(self) -> (i64, i64) {
        match self {
            BillingInterval::Week => (52, 12),
            BillingInterval::Month => (1, 1),
            BillingInterval::Quarter => (1, 3),
            BillingInterval::Year => (1, 12),
        }
    }

    /// The monthly recurring revenue of an `amount` billed at this
    /// interval, rounded half to even to the currency's minor unit (a
    /// monthly amount is kept exactly as given).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] past `Decimal`'s range.
    pub fn monthly(self, amount: Money) -> Result<Money> {
        let (mul, div) = self.per_month();
        if (mul, div) == (1, 1) {
            return Ok(amount);
        }
        let v = amount
            .amount()
            .checked_mul(Decimal::from(mul))
            .and_then(|v| v.checked_div(Decimal::from(div)))
            .ok_or_else(|| Error::overflow("monthly recurring revenue"))?;
        // A currency without a minor unit (XDR, gold) keeps the quotient.
        let v = match amount.currency().exponent() {
            Some(dp) => v.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven),
            None => v,
        };
        Ok(Money::new(v, amount.currency()))
    }

    /// The annual recurring revenue of an `amount` billed at this
    /// interval, exact.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] past `Decimal`'s range.
    pub fn annual(self, amount: Money) -> Result<Money> {
        let times = match self {
            BillingInterval::Week => 52,
            BillingInterval::Month => 12,
            BillingInterval::Quarter => 4,
            BillingInterval::Year => 1,
        };
        amount.checked_mul(Decimal::from(times))
    }

    /// The snake_case name.
    pub fn id(self) -> &'static str {
        match self {
            BillingInterval::Week => "week",
            BillingInterval::Month => "month",
            BillingInterval::Quarter => "quarter",
            BillingInterval::Year => "year",
        }
    }
}

impl FromStr for BillingInterval {
    type Err = Error;
    fn from_str(s: &str) -> Result<BillingInterval> {
        match s.trim() {
            "week" => Ok(BillingInterval::Week),
            "month" => Ok(BillingInterval::Month),
            "quarter" => Ok(BillingInterval::Quarter),
            "year" => Ok(BillingInterval::Year),
            other => Err(Error::invalid(
                "billing interval",
                format!("{other:?} is not one of week, month, quarter, year"),
            )),
        }
    }
}

impl std::fmt::Display for BillingInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
