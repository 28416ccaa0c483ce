//! What a flow report is computed over, and what it reads.

use chrono::NaiveDate;

use crate::pipeline::{DealStatus, ForecastCategory};
use crate::quantity::{Currency, FxRates, Money, Period};

/// One deal at one snapshot of the CRM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotRow<'a> {
    /// The date of the snapshot.
    pub snapshot_date: NaiveDate,
    /// The deal.
    pub deal_id: &'a str,
    /// Its amount then (not negative).
    pub amount: Money,
    /// Its stage then.
    pub stage: &'a str,
    /// Its expected (or actual) close date then.
    pub close_date: NaiveDate,
    /// Open, won or lost then.
    pub status: DealStatus,
    /// Its forecast category then.
    pub forecast_category: ForecastCategory,
}

/// What a flow report covers: snapshot dates A (`from`) and B (`to`), the
/// period of close dates, the report currency with its rates.
///
/// ```
/// use revops::pipeline::flow::FlowSpec;
/// use revops::{Currency, NaiveDate, Period};
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let spec = FlowSpec::new(d(1, 5), d(2, 2), Period::new(d(1, 1), d(4, 1))?, Currency::EUR)
///     .listing_deals();
/// assert!(spec.list_deals);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct FlowSpec {
    /// Snapshot date A.
    pub from: NaiveDate,
    /// Snapshot date B, after A.
    pub to: NaiveDate,
    /// The period of close dates.
    pub period: Period,
    /// Exchange rates into the report currency (its target).
    pub fx: FxRates,
    /// Whether the report lists the deals behind each figure
    /// ([`FlowReport::deals`](super::FlowReport::deals)).
    #[cfg_attr(feature = "serde", serde(default))]
    pub list_deals: bool,
}

impl FlowSpec {
    /// Amounts in `currency` only, deals not listed.
    pub fn new(from: NaiveDate, to: NaiveDate, period: Period, currency: Currency) -> FlowSpec {
        FlowSpec {
            from,
            to,
            period,
            fx: FxRates::new(currency),
            list_deals: false,
        }
    }

    /// Converts other currencies at `fx`'s rates into its target.
    pub fn with_fx(mut self, fx: FxRates) -> FlowSpec {
        self.fx = fx;
        self
    }

    /// Lists the deals behind each figure.
    pub fn listing_deals(mut self) -> FlowSpec {
        self.list_deals = true;
        self
    }
}
