//! From transactions to the RFM summary the models read, with the rules
//! of `lifetimes`' `summary_data_from_transaction_data` and
//! `calibration_and_holdout_data`.

use std::collections::HashMap;
use std::hash::Hash;

use chrono::NaiveDate;

use super::gamma_gamma::Spend;
use super::history::History;
use crate::error::{Error, Result};
pub use crate::quantity::PeriodLength;
use crate::quantity::{Currency, Money};

/// One purchase: who, when, how much.
///
/// ```
/// use revops::clv::Transaction;
/// let t: Transaction<String> = serde_json::from_str(
///     r#"{"customer": "ann", "date": "2026-03-01", "amount": {"amount": "19.90", "currency": "EUR"}}"#,
/// )?;
/// assert_eq!(t.amount.to_string(), "19.90 EUR");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Transaction<K> {
    /// The customer.
    pub customer: K,
    /// The day of the purchase.
    pub date: NaiveDate,
    /// Its value.
    pub amount: Money,
}

/// One customer's RFM summary, in whole periods. Deserialization checks
/// what a summary always holds: `0 ≤ recency ≤ T`, no recency or value
/// without repeat purchases, a value with them.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "CustomerRfmRepr<K>",
        bound(deserialize = "K: serde::Deserialize<'de>")
    )
)]
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

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRfmRepr<K> {
    customer: K,
    frequency: u64,
    recency: i64,
    #[serde(rename = "T")]
    age: i64,
    monetary_value: Option<Money>,
}

#[cfg(feature = "serde")]
impl<K> TryFrom<CustomerRfmRepr<K>> for CustomerRfm<K> {
    type Error = Error;
    fn try_from(r: CustomerRfmRepr<K>) -> Result<CustomerRfm<K>> {
        let ok = 0 <= r.recency
            && r.recency <= r.age
            && (r.frequency > 0 || r.recency == 0)
            && (r.frequency > 0) == r.monetary_value.is_some();
        if !ok {
            return Err(Error::invalid(
                "RFM summary",
                "recency must lie in [0, T], be 0 without repeat purchases, and a value must come with them",
            ));
        }
        Ok(CustomerRfm {
            customer: r.customer,
            frequency: r.frequency,
            recency: r.recency,
            age: r.age,
            monetary_value: r.monetary_value,
        })
    }
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Summary<K> {
    /// One entry per customer with a purchase by the observation end,
    /// sorted by customer.
    pub customers: Vec<CustomerRfm<K>>,
    /// Transactions after the observation end, left out.
    pub after_end: u64,
}

/// One customer's calibration summary and what they did in the holdout.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
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
/// `observation_end`; as [`summarize`](super::summarize) otherwise.
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
                left: currency.code(),
                right: t.amount.currency().code(),
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
pub(super) fn rfm_of<K>(
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
