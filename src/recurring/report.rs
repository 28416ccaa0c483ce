//! The recurring-revenue report: the bridge per month and the cohorts.

use crate::error::Result;
use crate::quantity::{Change, Currency, Money, Month, Multiple, Ratio};

/// Recurring revenue per month and per cohort ([`MrrState::finish`](super::MrrState::finish)).
///
/// # JSON form
///
/// `{"currency": "USD", "customers": 3, "months": [...], "cohorts":
/// [...]}`, a month in [`MonthBridge`]'s form, a cohort in
/// [`MrrCohort`]'s.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MrrReport {
    /// The report currency.
    pub currency: Currency,
    /// Customers with an input (any MRR, zero included).
    pub customers: u64,
    /// Every month from the first to the last, in order.
    pub months: Vec<MonthBridge>,
    /// The cohorts by month of first MRR, in order.
    pub cohorts: Vec<MrrCohort>,
}

/// One month of the MRR bridge: `opening_mrr + new + expansion +
/// reactivation − contraction − churned = mrr`, exactly.
///
/// # JSON form
///
/// `{"month": "2026-03", "opening_mrr": money, "mrr": money, "arr":
/// money, "new": money, "expansion": money, "contraction": money,
/// "churned": money, "reactivation": money, "customers": {"opening": N,
/// "active": N, "new": N, "churned": N, "reactivated": N}, "quick_ratio":
/// "1.5"|null, "gross_revenue_churn": "0.02"|null, "net_revenue_churn":
/// "-0.01"|null, "logo_churn": "0.05"|null}`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MonthBridge {
    /// The month.
    pub month: Month,
    /// MRR at the end of the month before.
    pub opening_mrr: Money,
    /// MRR at the end of the month (closing).
    pub mrr: Money,
    /// ARR at the end of the month: 12 × MRR for monthly rows, the annual
    /// contract amounts of subscriptions.
    pub arr: Money,
    /// MRR of customers in their first month with MRR.
    pub new: Money,
    /// Rises of customers with MRR in both months.
    pub expansion: Money,
    /// Falls of customers with MRR in both months.
    pub contraction: Money,
    /// The previous MRR of customers down to 0.
    pub churned: Money,
    /// MRR of customers back after months at 0.
    pub reactivation: Money,
    /// Customer counts.
    pub customers: CustomerCounts,
    /// `(new + expansion + reactivation) / (contraction + churned)`;
    /// `None` when nothing was lost.
    pub quick_ratio: Option<Multiple>,
    /// `(churned + contraction) / opening MRR`; `None` without opening MRR.
    pub gross_revenue_churn: Option<Ratio>,
    /// `(churned + contraction − expansion − reactivation) / opening MRR`
    /// (negative when gains outgrow losses); `None` without opening MRR.
    pub net_revenue_churn: Option<Change>,
    /// `customers.churned / customers.opening`; `None` without opening
    /// customers.
    pub logo_churn: Option<Ratio>,
}

/// Customers of a [`MonthBridge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CustomerCounts {
    /// With MRR at the end of the month before.
    pub opening: u64,
    /// With MRR at the end of the month.
    pub active: u64,
    /// In their first month with MRR.
    pub new: u64,
    /// Down to 0 this month.
    pub churned: u64,
    /// Back this month after months at 0.
    pub reactivated: u64,
}

/// The customers whose first month with MRR is `cohort`, month by month.
///
/// # JSON form
///
/// `{"cohort": "2026-01", "customers": 12, "mrr": [money, ...], "nrr":
/// ["1", "1.04", ...], "grr": ["1", "0.97", ...]}`: index `n` is `n`
/// months after the cohort month, up to the report's last month.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MrrCohort {
    /// The cohort month.
    pub cohort: Month,
    /// Customers in the cohort.
    pub customers: u64,
    /// The cohort's MRR `n` months after.
    pub mrr: Vec<Money>,
    /// Net revenue retention: `mrr[n] / mrr[0]`.
    pub nrr: Vec<Multiple>,
    /// Gross revenue retention: Σ min(MRR in month `n`, MRR in month 0)
    /// / `mrr[0]`, per customer.
    pub grr: Vec<Ratio>,
}

impl MonthBridge {
    /// The catalogue's net revenue retention of this month's movements:
    /// `(opening + expansion − contraction − churned) / opening`
    /// ([`metrics::customer::net_revenue_retention`](crate::metrics::customer::net_revenue_retention);
    /// new and reactivated revenue are not retention).
    ///
    /// # Errors
    ///
    /// As the catalogue's function (no opening MRR, say).
    ///
    /// ```
    /// use revops::recurring::{MrrSpec, MrrState};
    /// use revops::{Currency, Money};
    /// let usd = |a: &str| Money::parse(a, "USD").unwrap();
    /// let mut st = MrrState::new(MrrSpec::new(Currency::USD));
    /// st.add_month("a", "2026-01".parse()?, usd("100"))?;
    /// st.add_month("a", "2026-02".parse()?, usd("110"))?;
    /// st.add_month("b", "2026-01".parse()?, usd("100"))?;
    /// st.add_month("b", "2026-02".parse()?, usd("80"))?;
    /// let feb = &st.finish()?.months[1];
    /// assert_eq!(feb.net_revenue_retention()?.to_string(), "0.95x");
    /// assert_eq!(feb.gross_revenue_retention()?.to_string(), "90%");
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn net_revenue_retention(&self) -> Result<Multiple> {
        crate::metrics::customer::net_revenue_retention(
            self.opening_mrr,
            self.expansion,
            self.contraction,
            self.churned,
        )
    }

    /// The catalogue's gross revenue retention of this month's movements:
    /// `(opening − contraction − churned) / opening`.
    ///
    /// # Errors
    ///
    /// As the catalogue's function.
    pub fn gross_revenue_retention(&self) -> Result<Ratio> {
        crate::metrics::customer::gross_revenue_retention(
            self.opening_mrr,
            self.contraction,
            self.churned,
        )
    }
}
