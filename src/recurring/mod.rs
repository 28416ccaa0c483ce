//! Recurring revenue over time: the monthly MRR bridge (new, expansion,
//! contraction, churn, reactivation), ARR, quick ratio, revenue churn,
//! and cohort net and gross revenue retention, exact to the cent.
//!
//! | you have | call |
//! |---|---|
//! | MRR per customer and month (a billing export, a data warehouse) | [`MrrState::add_month`] |
//! | subscription line items (start, end, amount, interval) | [`MrrState::add_subscription`] |
//! | partitions on several threads or machines | one [`MrrState`] each ([`Aggregate`](crate::Aggregate)), merged, finished |
//!
//! # The rules
//!
//! * A customer's MRR in a month is the sum of its rows for that month (a
//!   month without a row is 0; a row of 0 is valid, a negative one an
//!   error), or of the subscriptions **in force on the month's last day**:
//!   a subscription is in force from its `start` day to the day before its
//!   `end` (the first day it no longer bills; none while active), its
//!   amount normalized by [`BillingInterval::monthly`] (an annual 2,000
//!   plan is 166.67 a month, rounded half to even to the minor unit: the
//!   only rounding). ARR is 12 × MRR for monthly rows, and the annual
//!   contract amount for subscriptions ([`BillingInterval::annual`]: an
//!   annual 2,000 plan is 2,000 of ARR, not 12 × 166.67).
//! * Amounts in other currencies are converted into the report currency at
//!   the one rate per currency of the spec's [`FxRates`] (no FX movement
//!   line: a rate does not change over the months); a currency without a
//!   rate is an error for that input.
//! * Each month, between a customer's MRR the month before (`prev`) and
//!   in the month (`cur`), ChartMogul's five movements: **new** (`cur` of
//!   the customer's first month with MRR > 0), **expansion** (`cur −
//!   prev` when both are above 0 and it rose), **contraction** (`prev −
//!   cur` when both are above 0 and it fell), **churned** (`prev` when
//!   `cur` is 0), **reactivation** (`cur` when above 0 after at least one
//!   month at 0 that followed MRR above 0). A cancellation that leaves
//!   other subscriptions is a contraction; only the end of the last one
//!   is churn. So, for every month and every customer, exactly:
//!   `opening + new + expansion + reactivation − contraction − churned =
//!   closing` (a property test checks it on random histories).
//! * The months reported run from the first month with an input to the
//!   last one ([`MrrSpec::through`], or the latest month of a monthly row,
//!   a subscription's start or a subscription's end), at most 1,200; in
//!   the first month every customer is new (nothing came before).
//! * Rates per month: **logo churn** = churned customers / customers
//!   active the month before; **gross revenue churn** = (churned +
//!   contraction) / opening MRR; **net revenue churn** = (churned +
//!   contraction − expansion − reactivation) / opening MRR (negative when
//!   expansion outgrows losses); **quick ratio** = (new + expansion +
//!   reactivation) / (contraction + churned), `None` when nothing was lost.
//! * **Cohorts**: customers by the month of their first MRR above 0; for
//!   cohort month `c` and `n` months later, `NRR_n` = the cohort's MRR in
//!   `c + n` / its MRR in `c`, and `GRR_n` = Σ per customer min(MRR in `c +
//!   n`, MRR in `c`) / MRR in `c`. The catalogue's `net_revenue_retention`
//!   and `gross_revenue_retention` take a month's movements directly
//!   ([`MonthBridge::net_revenue_retention`]).
//!
//! # Example
//!
//! ```
//! use revops::recurring::{MrrSpec, MrrState};
//! use revops::quantity::Month;
//! use revops::{Currency, Money};
//! let usd = |a: &str| Money::parse(a, "USD").unwrap();
//! let m = |s: &str| s.parse::<Month>().unwrap();
//! let mut st = MrrState::new(MrrSpec::new(Currency::USD));
//! st.add_month("acme", m("2026-01"), usd("100"))?;
//! st.add_month("acme", m("2026-02"), usd("150"))?; // expansion 50
//! st.add_month("bolt", m("2026-01"), usd("80"))?;  // churns in February
//! let report = st.finish()?;
//! let feb = &report.months[1];
//! assert_eq!(feb.opening_mrr, usd("180"));
//! assert_eq!((feb.expansion, feb.churned, feb.mrr), (usd("50"), usd("80"), usd("150")));
//! assert_eq!(feb.customers.churned, 1);
//! // Gained 50, lost 80.
//! assert_eq!(feb.quick_ratio.unwrap().value(), revops::dec!(0.625));
//! # Ok::<(), revops::Error>(())
//! ```

mod bridge;
mod report;
mod state;
#[cfg(feature = "serde")]
mod state_serde;

pub use report::{CustomerCounts, MonthBridge, MrrCohort, MrrReport};
pub use state::{MrrInput, MrrState};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::quantity::{BillingInterval, Currency, FxRates, Money, Month};

/// The most months a report spans (100 years).
pub const MAX_MONTHS: i32 = 1_200;

/// How to count recurring revenue: the report currency with the rates of
/// other currencies, and optionally the last month to report.
///
/// ```
/// use revops::recurring::MrrSpec;
/// use revops::quantity::{FxRates, Month};
/// use revops::{dec, Currency};
/// let mut fx = FxRates::new(Currency::USD);
/// fx.set(Currency::EUR, dec!(1.08))?;
/// let spec = MrrSpec::with_fx(fx).through("2026-06".parse::<Month>()?);
/// assert_eq!(spec.currency(), Currency::USD);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct MrrSpec {
    fx: FxRates,
    #[cfg_attr(feature = "serde", serde(default))]
    through: Option<Month>,
}

impl MrrSpec {
    /// Amounts in `currency` only.
    pub fn new(currency: Currency) -> MrrSpec {
        MrrSpec::with_fx(FxRates::new(currency))
    }

    /// Amounts in `fx`'s target currency, others converted at its rates.
    pub fn with_fx(fx: FxRates) -> MrrSpec {
        MrrSpec { fx, through: None }
    }

    /// Reports the months up to `month` (inputs after it are left out;
    /// subscriptions still active run to it).
    pub fn through(mut self, month: Month) -> MrrSpec {
        self.through = Some(month);
        self
    }

    /// The report currency.
    pub fn currency(&self) -> Currency {
        self.fx.target()
    }

    /// The last month to report, if set.
    pub fn last_month(&self) -> Option<Month> {
        self.through
    }

    /// The exchange rates.
    pub fn fx(&self) -> &FxRates {
        &self.fx
    }
}

/// A subscription line item: `amount` billed every `interval` from
/// `start` to the day before `end` (`None` while active).
///
/// ```
/// use revops::recurring::Subscription;
/// use revops::quantity::BillingInterval;
/// use revops::{Money, NaiveDate};
/// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
/// let s = Subscription::new("acme", d(2026, 1, 15), Some(d(2027, 1, 15)), Money::parse("2000", "EUR")?, BillingInterval::Year)?;
/// assert!(Subscription::new("acme", d(2026, 1, 15), Some(d(2026, 1, 1)), Money::parse("1", "EUR")?, BillingInterval::Month).is_err());
/// # let _ = s;
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The customer.
    pub customer: String,
    /// The first day in force.
    pub start: NaiveDate,
    /// The first day no longer in force; `None` while active.
    pub end: Option<NaiveDate>,
    /// The amount billed each interval.
    pub amount: Money,
    /// How often it bills.
    pub interval: BillingInterval,
}

impl Subscription {
    /// A subscription, checked.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty
    /// customer, a negative amount, or an end before the start.
    pub fn new(
        customer: &str,
        start: NaiveDate,
        end: Option<NaiveDate>,
        amount: Money,
        interval: BillingInterval,
    ) -> Result<Subscription> {
        if customer.trim().is_empty() {
            return Err(Error::invalid("subscription", "the customer is empty"));
        }
        if amount.is_negative() {
            return Err(Error::invalid("subscription", "the amount is negative"));
        }
        if end.is_some_and(|e| e < start) {
            return Err(Error::invalid("subscription", "it ends before it starts"));
        }
        Ok(Subscription {
            customer: customer.to_string(),
            start,
            end,
            amount,
            interval,
        })
    }
}
