//! The pipeline report and its parts.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use rust_decimal::Decimal;

use crate::objective::Pace;
use crate::quantity::{seconds_of_days, Currency, Money, Multiple, Period, Ratio};

/// Sales cycle of won deals, in days (exact decimals).
///
/// # JSON form
///
/// `{"mean_cycle_days": "2.5", "median_cycle_days": "2.5",
/// "p90_cycle_days": "3.3"}` (inside a [`PipelineReport`], at its top
/// level).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CycleDays {
    /// The mean.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    #[cfg_attr(feature = "serde", serde(rename = "mean_cycle_days"))]
    pub mean_days: Option<Decimal>,
    /// The median (crate quantile rule).
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    #[cfg_attr(feature = "serde", serde(rename = "median_cycle_days"))]
    pub median_days: Option<Decimal>,
    /// The 90th percentile.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    #[cfg_attr(feature = "serde", serde(rename = "p90_cycle_days"))]
    pub p90_days: Option<Decimal>,
}

/// The forecast roll-up.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Forecast {
    /// Won revenue in the period.
    pub closed: Option<Money>,
    /// Closed plus open commit deals.
    pub commit: Option<Money>,
    /// Commit plus open best-case deals.
    pub best_case: Option<Money>,
    /// Best case plus open pipeline deals.
    pub pipeline: Option<Money>,
}

/// Quota pacing.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct QuotaPacing {
    /// The quota.
    pub quota: Money,
    /// Against the straight line (see [`Goal::assess`](crate::objective::Goal::assess)).
    pub pace: Option<Pace>,
    /// Where the straight line is at the end of the as-of day.
    pub expected_to_date: Option<Money>,
    /// Run-rate projection to the period's end.
    pub projected: Option<Money>,
    /// What is left to sell (zero once the quota is met).
    pub remaining_quota: Money,
    /// Remaining quota per remaining day; `None` on the last day and after.
    pub gap_per_remaining_day: Option<Money>,
    /// Open pipeline / remaining quota; `None` once the quota is met.
    pub coverage: Option<Multiple>,
}

/// One team's deals.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SourceReport {
    /// Won in the period.
    pub won_count: u64,
    /// Lost in the period.
    pub lost_count: u64,
    /// Open as of the date.
    pub open_count: u64,
    /// Won / (won + lost).
    pub win_rate: Option<Ratio>,
    /// Won revenue.
    pub revenue: Option<Money>,
    /// Open pipeline.
    pub open_pipeline: Option<Money>,
}

/// Deals by the team that sourced them.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BySource {
    /// Marketing-sourced deals.
    pub marketing: SourceReport,
    /// Sales-sourced deals.
    pub sales: SourceReport,
}

/// Counts and amounts of one current stage.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StageReport {
    /// The stage.
    pub stage: String,
    /// Open deals in it.
    pub open_count: u64,
    /// Won deals (closed in the period) whose last stage it is.
    pub won_count: u64,
    /// Lost deals (closed in the period) whose last stage it is.
    pub lost_count: u64,
    /// Open amount.
    pub open_amount: Option<Money>,
    /// Won amount.
    pub won_amount: Option<Money>,
    /// Lost amount.
    pub lost_amount: Option<Money>,
}

/// Stage-to-stage conversion from the histories.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StageConversion {
    /// The stage left.
    pub from: String,
    /// The stage entered next.
    pub to: String,
    /// How many times.
    pub deals: u64,
    /// `deals / entries into from`.
    pub rate: Option<Ratio>,
}

/// Time spent in a stage, over stays that ended.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StageTime {
    /// The stage.
    pub stage: String,
    /// Ended stays measured.
    pub stays: u64,
    /// Mean days.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub mean_days: Option<Decimal>,
    /// Median days.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub median_days: Option<Decimal>,
}

/// The sales manager's view of a set of deals (see the module docs for the
/// counting rules).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PipelineReport {
    /// The report currency.
    pub currency: Currency,
    /// The period.
    pub period: Period,
    /// The as-of date.
    pub as_of: NaiveDate,
    /// Deals won in the period.
    pub won_count: u64,
    /// Deals lost in the period.
    pub lost_count: u64,
    /// Open deals created on or before the as-of date.
    pub open_count: u64,
    /// Deals created in the period.
    pub opportunities_created: u64,
    /// Won revenue in the period.
    pub won_revenue: Option<Money>,
    /// Lost amount in the period.
    pub lost_amount: Option<Money>,
    /// Won / (won + lost) ([`sales::win_rate`](crate::metrics::sales::win_rate)).
    pub win_rate: Option<Ratio>,
    /// Deals created in the period and won in it / deals created in the
    /// period ([`sales::close_rate`](crate::metrics::sales::close_rate)).
    pub close_rate: Option<Ratio>,
    /// Won revenue / won deals.
    pub average_deal_size: Option<Money>,
    /// Median won deal.
    pub median_deal_size: Option<Money>,
    /// Sales cycle of won deals. In JSON its fields sit at the top level:
    /// `mean_cycle_days`, `median_cycle_days`, `p90_cycle_days`.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub cycle: CycleDays,
    /// Sum of open amounts.
    pub open_pipeline: Option<Money>,
    /// Sum of open amount × probability.
    pub weighted_pipeline: Option<Money>,
    /// [`sales::pipeline_velocity`](crate::metrics::sales::pipeline_velocity) with the open count, win rate, average
    /// deal size and mean cycle.
    pub pipeline_velocity_per_day: Option<Money>,
    /// The forecast roll-up.
    pub forecast: Forecast,
    /// Won revenue / quota, when a quota was given (above 1 when it is
    /// beaten).
    pub quota_attainment: Option<Multiple>,
    /// Quota pacing, when a quota was given.
    pub quota: Option<QuotaPacing>,
    /// Marketing-sourced open pipeline / open pipeline.
    pub marketing_sourced_pipeline_share: Option<Ratio>,
    /// Marketing-sourced won revenue / won revenue.
    pub marketing_sourced_revenue_share: Option<Ratio>,
    /// Deals by source.
    pub by_source: BySource,
    /// Deals by current stage, by name.
    pub by_stage: Vec<StageReport>,
    /// Transitions between stages from the histories.
    pub stage_conversion: Vec<StageConversion>,
    /// Time in stage from the histories.
    pub time_in_stage: Vec<StageTime>,
    /// The exchange rates used, by currency (JSON: `{"EUR": "1.08"}`).
    #[cfg_attr(
        feature = "serde",
        serde(with = "crate::quantity::serde_forms::currency_decimal_pairs")
    )]
    #[cfg_attr(
        feature = "schemars",
        schemars(
            with = "std::collections::BTreeMap<crate::quantity::Currency, rust_decimal::Decimal>"
        )
    )]
    pub fx_rates_used: Vec<(Currency, Decimal)>,
    /// Deals not counted, by reason ([`Ignored`]; reasons seen only).
    pub ignored: BTreeMap<Ignored, u64>,
    /// Figures that could not be computed because an exact sum of amounts
    /// left `Decimal`'s range (`won_revenue`, `forecast.commit`,
    /// `by_source.marketing.revenue`, `by_stage.NAME.open_amount`, ...):
    /// each is `None` in this report, and so is every figure computed
    /// from it.
    pub overflowed: Vec<String>,
}

impl PipelineReport {
    /// The mean cycle as a duration, if any won deal closed.
    pub fn mean_cycle(&self) -> Option<TimeDelta> {
        self.cycle
            .mean_days
            .and_then(seconds_of_days)
            .and_then(|s| crate::quantity::to_time_delta(s, "cycle").ok())
    }
}

/// Why a deal was not counted in a pipeline report.
///
/// Serialized as its `snake_case` code (the keys of `ignored` in JSON);
/// displayed in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Ignored {
    /// Its amount, converted, does not fit a decimal.
    AmountOverflowsInReportCurrency,
    /// Won or lost outside the report's period.
    ClosedOutsidePeriod,
    /// Won or lost without a close time.
    ClosedWithoutCloseTime,
    /// Its currency has no rate in the spec's `FxRates`.
    NoExchangeRate,
    /// Open, and created after the as-of date.
    OpenCreatedAfterAsOf,
}

impl Ignored {
    /// The `snake_case` code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Ignored::AmountOverflowsInReportCurrency => "amount_overflows_in_report_currency",
            Ignored::ClosedOutsidePeriod => "closed_outside_period",
            Ignored::ClosedWithoutCloseTime => "closed_without_close_time",
            Ignored::NoExchangeRate => "no_exchange_rate",
            Ignored::OpenCreatedAfterAsOf => "open_created_after_as_of",
        }
    }
}

impl std::fmt::Display for Ignored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ignored::AmountOverflowsInReportCurrency => {
                "amount too large once converted to the report currency"
            }
            Ignored::ClosedOutsidePeriod => "closed outside the period",
            Ignored::ClosedWithoutCloseTime => "closed without a close time",
            Ignored::NoExchangeRate => "no exchange rate for its currency",
            Ignored::OpenCreatedAfterAsOf => "open, created after the as-of date",
        })
    }
}

/// Why a lead was not counted in the hand-off report.
///
/// Serialized as its `snake_case` code (the keys of `ignored` in JSON);
/// displayed in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum HandoffIgnored {
    /// First contacted before it was handed off (no speed-to-lead).
    ContactBeforeHandoff,
}

impl HandoffIgnored {
    /// The `snake_case` code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            HandoffIgnored::ContactBeforeHandoff => "contact_before_handoff",
        }
    }
}

impl std::fmt::Display for HandoffIgnored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HandoffIgnored::ContactBeforeHandoff => "first contact before the hand-off",
        })
    }
}
