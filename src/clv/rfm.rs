//! From transactions to the RFM summary the models read, with the rules
//! of `lifetimes`' `summary_data_from_transaction_data` and
//! `calibration_and_holdout_data`.

use std::collections::HashMap;
use std::hash::Hash;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use super::gamma_gamma::Spend;
use super::history::History;
use crate::error::{Error, Result};
use crate::quantity::{Currency, Money};

/// The periods purchases are counted in. Periods are calendar periods:
/// a day; a week from Monday to Sunday (pandas' `W`, that is `W-SUN`); a
/// calendar month.
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

/// One purchase: who, when, how much.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Transaction<K> {
    /// The customer.
    pub customer: K,
    /// The day of the purchase.
    pub date: NaiveDate,
    /// Its value.
    pub amount: Money,
}

/// One customer's RFM summary, in whole periods.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CustomerRfm<K> {
    /// The customer.
    pub customer: K,
    /// The number of periods with a purchase after the first period with
    /// one (x).
    pub frequency: u64,
    /// The last period with a purchase minus the first (t_x).
    pub recency: i64,
    /// The observation end's period minus the first purchase's (T).
    #[cfg_attr(feature = "serde", serde(rename = "T"))]
    pub age: i64,
    /// The mean value of the repeat periods (the purchases of one period
    /// are one purchase worth their sum; the first period is left out),
    /// exact; `None` without repeat purchases (`lifetimes` writes 0).
    pub monetary_value: Option<Money>,
}

impl<K> CustomerRfm<K> {
    /// The history the purchase models read.
    ///
    /// # Errors
    ///
    /// None for a summary made here; [`Error::InvalidInput`] for one built
    /// by hand that breaks [`History`]'s rules.
    pub fn history(&self) -> Result<History> {
        History::new(self.frequency, self.recency as f64, self.age as f64)
    }

    /// The spend record the Gamma-Gamma model reads: `None` without
    /// repeat purchases, or with a mean value not above zero (refunds), or
    /// one too large for an `f64`.
    pub fn spend(&self) -> Option<Spend> {
        let m = self.monetary_value?;
        let v: f64 = m.amount().to_string().parse().ok()?;
        Spend::new(self.frequency, v).ok()
    }
}

/// The RFM summary of a set of transactions.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary<K> {
    /// One entry per customer with a purchase by the observation end,
    /// sorted by customer.
    pub customers: Vec<CustomerRfm<K>>,
    /// Transactions after the observation end, left out.
    pub after_end: u64,
}

/// Summarizes `transactions` (any order) per customer in periods of
/// `period`, the `lifetimes` way: transactions dated after
/// `observation_end` are left out first (even in the end's own period);
/// purchases in the same period are one purchase worth their sum;
/// frequency is the number of periods with a purchase after the first;
/// recency the last such period minus the first; T the observation end's
/// period minus the first; monetary value the mean of the repeat
/// periods' values.
///
/// ```
/// use revops::clv::{summarize, PeriodLength, Transaction};
/// use revops::{dec, Currency, Money, NaiveDate};
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let usd = |a| Money::new(a, Currency::USD);
/// let t = |c: &str, date, a| Transaction { customer: c.to_string(), date, amount: usd(a) };
/// let tx = [
///     t("ann", d(1, 1), dec!(10)),
///     t("ann", d(1, 1), dec!(5)),  // the same day: one purchase of 15
///     t("ann", d(1, 11), dec!(20)),
///     t("ann", d(1, 21), dec!(40)),
///     t("bob", d(1, 15), dec!(7)),
/// ];
/// let s = summarize(&tx, PeriodLength::Day, d(1, 31), Currency::USD)?;
/// let ann = &s.customers[0];
/// assert_eq!((ann.frequency, ann.recency, ann.age), (2, 20, 30));
/// assert_eq!(ann.monetary_value, Some(usd(dec!(30)))); // (20 + 40) / 2
/// assert_eq!(s.customers[1].monetary_value, None);
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::CurrencyMismatch`] for an amount in another currency;
/// [`Error::Overflow`] if a period's sum does not fit.
pub fn summarize<K: Hash + Eq + Ord + Clone>(
    transactions: &[Transaction<K>],
    period: PeriodLength,
    observation_end: NaiveDate,
    currency: Currency,
) -> Result<Summary<K>> {
    let end = period.index(observation_end);
    let (per_customer, after_end) =
        periods_by_customer(transactions, period, currency, |d| d <= observation_end)?;
    let mut customers: Vec<CustomerRfm<K>> = per_customer
        .into_iter()
        .map(|(k, periods)| rfm_of(k.clone(), &periods, end, currency))
        .collect::<Result<_>>()?;
    customers.sort_by(|a, b| a.customer.cmp(&b.customer));
    Ok(Summary {
        customers,
        after_end,
    })
}

/// One customer's calibration summary and what they did in the holdout.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CalibrationHoldout<K> {
    /// The summary of the calibration period (T up to its end).
    pub calibration: CustomerRfm<K>,
    /// Periods with a purchase in the holdout.
    pub holdout_frequency: u64,
    /// The mean value of those periods; `None` without any.
    pub holdout_monetary_value: Option<Money>,
    /// The holdout's length in periods.
    pub holdout_duration: i64,
}

/// Splits `transactions` at `calibration_end` (the calibration includes
/// it) and `observation_end`: the calibration summary of every customer
/// whose first purchase is in the calibration period, with the periods
/// and value of their purchases in `(calibration_end, observation_end]`
/// (`lifetimes`' `calibration_and_holdout_data`). Customers who first buy
/// in the holdout are not listed; transactions after the observation end
/// are counted in the second value.
///
/// # Errors
///
/// [`Error::InvalidInput`] if `calibration_end` is after
/// `observation_end`; as [`summarize`] otherwise.
pub fn calibration_and_holdout<K: Hash + Eq + Ord + Clone>(
    transactions: &[Transaction<K>],
    period: PeriodLength,
    calibration_end: NaiveDate,
    observation_end: NaiveDate,
    currency: Currency,
) -> Result<(Vec<CalibrationHoldout<K>>, u64)> {
    if calibration_end > observation_end {
        return Err(Error::invalid(
            "calibration and holdout",
            "the calibration ends after the observation",
        ));
    }
    let (cal, end) = (period.index(calibration_end), period.index(observation_end));
    let (calibration, after_calibration) =
        periods_by_customer(transactions, period, currency, |d| d <= calibration_end)?;
    let (mut holdout, outside) = periods_by_customer(transactions, period, currency, |d| {
        calibration_end < d && d <= observation_end
    })?;
    let mut out = Vec::with_capacity(calibration.len());
    for (k, before) in calibration {
        let after = holdout.remove(k).unwrap_or_default();
        out.push(CalibrationHoldout {
            calibration: rfm_of(k.clone(), &before, cal, currency)?,
            holdout_frequency: after.len() as u64,
            holdout_monetary_value: mean(after.iter().map(|x| x.1), currency)?,
            holdout_duration: end - cal,
        });
    }
    // Those outside the holdout, less those in the calibration.
    let after_end = outside - (transactions.len() as u64 - after_calibration);
    out.sort_by(|a, b| a.calibration.customer.cmp(&b.calibration.customer));
    Ok((out, after_end))
}

/// Per customer, the periods with a purchase (sorted) and each period's
/// total, over the transactions whose date `keep` accepts; the number
/// left out.
#[allow(clippy::type_complexity)]
fn periods_by_customer<K: Hash + Eq>(
    transactions: &[Transaction<K>],
    period: PeriodLength,
    currency: Currency,
    keep: impl Fn(NaiveDate) -> bool,
) -> Result<(HashMap<&K, Vec<(i64, Money)>>, u64)> {
    let mut raw: HashMap<&K, Vec<(i64, Money)>> = HashMap::new();
    let mut left_out = 0u64;
    for t in transactions {
        if t.amount.currency() != currency {
            return Err(Error::CurrencyMismatch {
                operation: "RFM summary".into(),
                left: currency,
                right: t.amount.currency(),
            });
        }
        if !keep(t.date) {
            left_out += 1;
            continue;
        }
        raw.entry(&t.customer)
            .or_default()
            .push((period.index(t.date), t.amount));
    }
    for v in raw.values_mut() {
        v.sort_by_key(|x| x.0);
        let mut merged: Vec<(i64, Money)> = Vec::with_capacity(v.len());
        for &(p, m) in v.iter() {
            match merged.last_mut() {
                Some(last) if last.0 == p => last.1 = last.1.checked_add(m)?,
                _ => merged.push((p, m)),
            }
        }
        *v = merged;
    }
    Ok((raw, left_out))
}

/// The summary of one customer's periods (sorted, merged, non-empty) with
/// the observation ending in period `end`.
fn rfm_of<K>(
    customer: K,
    periods: &[(i64, Money)],
    end: i64,
    currency: Currency,
) -> Result<CustomerRfm<K>> {
    let first = periods.first().map_or(end, |x| x.0);
    let last = periods.last().map_or(end, |x| x.0);
    Ok(CustomerRfm {
        customer,
        frequency: periods.len().saturating_sub(1) as u64,
        recency: last - first,
        age: end - first,
        monetary_value: mean(periods.iter().skip(1).map(|x| x.1), currency)?,
    })
}

/// The exact mean of some amounts; `None` for none.
fn mean(values: impl Iterator<Item = Money>, currency: Currency) -> Result<Option<Money>> {
    let (mut sum, mut n) = (Money::zero(currency), 0u64);
    for v in values {
        sum = sum.checked_add(v)?;
        n += 1;
    }
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(sum.checked_div(rust_decimal::Decimal::from(n))?))
}
