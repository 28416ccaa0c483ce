//! The RFM summary as a partial state: transactions added in any order
//! and any partition (by customer or not), merged, finished into the
//! [`Summary`] that [`summarize`](super::summarize) gives.

use std::collections::BTreeMap;
use std::hash::Hash;

use chrono::NaiveDate;

use super::rfm::{rfm_of, CustomerRfm, PeriodLength, Summary, Transaction};
use crate::error::{Error, Result};
use crate::quantity::exact::WideSum;
use crate::quantity::{Currency, Money};

/// The partial RFM summary: per customer, the exact total of each period
/// with a purchase, and the count of transactions after the observation
/// end. [`add`](RfmState::add) transactions, [`merge`](RfmState::merge)
/// the states of other partitions (any split of the transactions, not
/// only by customer: period totals add exactly), [`finish`](RfmState::finish).
/// It is the [`Aggregate`](crate::Aggregate) behind
/// [`summarize`](super::summarize).
///
/// ```
/// use revops::clv::{summarize, PeriodLength, RfmState, Transaction};
/// use revops::{Currency, Money, NaiveDate};
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let t = |c: &str, date, a: &str| Transaction {
///     customer: c.to_string(),
///     date,
///     amount: Money::parse(a, "USD").unwrap(),
/// };
/// let tx = [t("ann", d(1, 1), "15"), t("ann", d(1, 11), "20"), t("bob", d(1, 15), "7")];
/// // Two shards, each summarized where its rows live, merged.
/// let mut left = RfmState::new(PeriodLength::Day, d(1, 31), Currency::USD);
/// let mut right = left.clone();
/// left.add(&tx[0])?;
/// right.add(&tx[1])?;
/// right.add(&tx[2])?;
/// left.merge(&right)?;
/// let whole = summarize(&tx, PeriodLength::Day, d(1, 31), Currency::USD)?;
/// assert_eq!(left.finish()?, whole);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "RfmStateRepr<K>",
        into = "RfmStateRepr<K>",
        bound(
            serialize = "K: serde::Serialize + Clone",
            deserialize = "K: serde::Deserialize<'de> + Ord"
        )
    )
)]
pub struct RfmState<K> {
    period: PeriodLength,
    observation_end: NaiveDate,
    currency: Currency,
    customers: BTreeMap<K, BTreeMap<i64, WideSum>>,
    after_end: u64,
}

/// The JSON form: the spec, and per customer its periods with their
/// exact totals, as lists (a customer key need not be a string).
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RfmStateRepr<K> {
    period: PeriodLength,
    observation_end: NaiveDate,
    currency: Currency,
    customers: Vec<(K, Vec<(i64, WideSum)>)>,
    after_end: u64,
}

#[cfg(feature = "serde")]
impl<K: Clone> From<RfmState<K>> for RfmStateRepr<K> {
    fn from(s: RfmState<K>) -> RfmStateRepr<K> {
        RfmStateRepr {
            period: s.period,
            observation_end: s.observation_end,
            currency: s.currency,
            customers: s
                .customers
                .into_iter()
                .map(|(k, p)| (k, p.into_iter().collect()))
                .collect(),
            after_end: s.after_end,
        }
    }
}

#[cfg(feature = "serde")]
impl<K: Ord> TryFrom<RfmStateRepr<K>> for RfmState<K> {
    type Error = Error;
    fn try_from(r: RfmStateRepr<K>) -> Result<RfmState<K>> {
        let bad = |why: &str| Err(Error::invalid("RFM state", why.to_string()));
        let end = r.period.index(r.observation_end);
        let mut customers = BTreeMap::new();
        for (k, periods) in r.customers {
            if periods.is_empty() {
                return bad("a customer without a period");
            }
            if periods.windows(2).any(|w| w[0].0 >= w[1].0) {
                return bad("a customer's periods are not in order, or repeat");
            }
            if periods.iter().any(|p| p.0 > end) {
                return bad("a period after the observation end");
            }
            if customers.insert(k, periods.into_iter().collect()).is_some() {
                return bad("a customer is listed twice");
            }
        }
        Ok(RfmState {
            period: r.period,
            observation_end: r.observation_end,
            currency: r.currency,
            customers,
            after_end: r.after_end,
        })
    }
}

impl<K: Ord + Clone> RfmState<K> {
    /// An empty state summarizing in periods of `period` up to
    /// `observation_end` (inclusive), in `currency`.
    pub fn new(period: PeriodLength, observation_end: NaiveDate, currency: Currency) -> Self {
        RfmState {
            period,
            observation_end,
            currency,
            customers: BTreeMap::new(),
            after_end: 0,
        }
    }

    /// Adds one transaction; one dated after the observation end is
    /// counted, not summarized.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] for an amount in another currency.
    pub fn add(&mut self, t: &Transaction<K>) -> Result<()> {
        if t.amount.currency() != self.currency {
            return Err(Error::CurrencyMismatch {
                operation: "RFM summary".into(),
                left: self.currency.code(),
                right: t.amount.currency().code(),
            });
        }
        if t.date > self.observation_end {
            self.after_end += 1;
            return Ok(());
        }
        let periods = match self.customers.get_mut(&t.customer) {
            Some(p) => p,
            None => self.customers.entry(t.customer.clone()).or_default(),
        };
        periods
            .entry(self.period.index(t.date))
            .or_default()
            .add(t.amount.amount());
        Ok(())
    }

    /// Adds another partition's state.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a state of another period length,
    /// observation end or currency.
    pub fn merge(&mut self, other: &RfmState<K>) -> Result<()> {
        if (self.period, self.observation_end, self.currency)
            != (other.period, other.observation_end, other.currency)
        {
            return Err(Error::invalid(
                "RFM merge",
                "the states summarize different periods, observation ends or currencies",
            ));
        }
        for (k, theirs) in &other.customers {
            let mine = self.customers.entry(k.clone()).or_default();
            for (p, s) in theirs {
                mine.entry(*p).or_default().merge(s);
            }
        }
        self.after_end = self.after_end.saturating_add(other.after_end);
        Ok(())
    }

    /// The summary, customers sorted.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] or [`Error::Inexact`] if a period's total or a
    /// mean does not fit a `Decimal` exactly.
    pub fn finish(self) -> Result<Summary<K>> {
        let end = self.period.index(self.observation_end);
        let currency = self.currency;
        let customers = self
            .customers
            .into_iter()
            .map(|(k, periods)| {
                let periods: Vec<(i64, Money)> = periods
                    .into_iter()
                    .map(|(p, s)| {
                        s.value()
                            .map(|v| (p, Money::new(v, currency)))
                            .ok_or_else(|| Error::overflow("RFM summary: a period's total"))
                    })
                    .collect::<Result<_>>()?;
                rfm_of(k, &periods, end, currency)
            })
            .collect::<Result<Vec<CustomerRfm<K>>>>()?;
        Ok(Summary {
            customers,
            after_end: self.after_end,
        })
    }
}

impl<K: Ord + Clone + crate::aggregate::Portable> crate::aggregate::Aggregate for RfmState<K>
where
    RfmState<K>: crate::aggregate::Portable,
{
    type Input<'a>
        = &'a Transaction<K>
    where
        Self: 'a;
    type Context<'a>
        = ()
    where
        Self: 'a;
    type Output = Summary<K>;

    fn add(&mut self, t: &Transaction<K>) -> Result<()> {
        RfmState::add(self, t)
    }

    fn merge(&mut self, other: &RfmState<K>) -> Result<()> {
        RfmState::merge(self, other)
    }

    fn finish(self, (): ()) -> Result<Summary<K>> {
        RfmState::finish(self)
    }
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
    let mut state = RfmState::new(period, observation_end, currency);
    for t in transactions {
        state.add(t)?;
    }
    state.finish()
}
