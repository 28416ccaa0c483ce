//! What a pipeline report is computed over: the period, the date, the
//! currency, the rates and the quota.

use chrono::NaiveDate;

use crate::quantity::{Currency, FxRates, Money, Period};

/// What a pipeline report covers.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct PipelineSpec {
    /// The period for won, lost and created deals.
    pub period: Period,
    /// The as-of date for open deals and pacing.
    pub as_of: NaiveDate,
    /// Exchange rates into the report currency (its target).
    pub fx: FxRates,
    /// An optional quota for the period, in the report currency.
    pub quota: Option<Money>,
}

impl PipelineSpec {
    /// A spec with no quota and no exchange rates (every deal must be in
    /// `currency`).
    pub fn new(period: Period, as_of: NaiveDate, currency: Currency) -> PipelineSpec {
        PipelineSpec {
            period,
            as_of,
            fx: FxRates::new(currency),
            quota: None,
        }
    }

    /// The report currency.
    pub fn currency(&self) -> Currency {
        self.fx.target()
    }
}
