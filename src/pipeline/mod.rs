//! Sales pipeline analytics from CRM records: deals, the forecast roll-up,
//! velocity, quota pacing, and the marketing-to-sales hand-off.
//!
//! | you have | call |
//! |---|---|
//! | deals (build one with [`Deal::builder`]) | [`report`]`(spec, &deals)` → [`PipelineReport`] |
//! | deals in partitions, or arriving over time | [`PipelineState`] per partition ([`Aggregate`](crate::Aggregate)), merged, finished |
//! | leads and their hand-off to sales | [`HandoffState`], finished with the pipeline report → [`HandoffReport`] |
//! | a deal's fields to check before building it | [`DealRule::first_broken`] |
//! | weekly snapshots of the CRM (close dates and amounts over time) | [`flow`]: the waterfall between two dates, slippage, stage durations, forecast accuracy |
//!
//! The metric functions of [`crate::metrics`] take totals; this module
//! computes those totals from records, in one pass, into a mergeable state
//! ([`PipelineState`], [`HandoffState`]) that is finished into a report. The
//! formulas are the catalogue's: win rate, close rate, average deal size,
//! pipeline velocity, coverage and quota attainment call its functions.
//!
//! # Counting rules of the [`PipelineReport`]
//!
//! * **Won and lost** figures count deals whose close date falls inside the
//!   period.
//! * **Open** figures count deals whose status is open and that were
//!   created on or before the as-of date.
//! * **Opportunities** (the base of the close rate) are deals created inside
//!   the period.
//! * Every other deal (closed outside the period, open but created after
//!   the as-of date) is counted under `ignored` with the reason, as are
//!   deals in a currency without an exchange rate.
//! * Amounts are converted to the report currency with the explicit
//!   [`FxRates`](crate::quantity::FxRates); the report lists the rates it used.
//! * Weighted pipeline: the sum of open amount × stage probability.
//! * Forecast roll-up, as Salesforce shows it: `closed` = won revenue in the
//!   period; `commit` = closed + open commit deals; `best_case` = commit +
//!   open best-case deals; `pipeline` = best case + open pipeline deals;
//!   omitted deals are left out.
//! * Stage conversion and time in stage come from the stage histories: a
//!   transition `A → B` is two consecutive history entries; time in stage is
//!   measured for stays that ended (a next entry, or the close).

mod deal;
pub mod flow;
mod handoff;
mod report;
mod spec;
mod state;

pub use deal::{Deal, DealBuilder, DealRule, DealStatus, ForecastCategory, StageEntry};
pub use handoff::{HandoffReport, HandoffState};
pub use report::{
    BySource, CycleDays, Forecast, HandoffIgnored, Ignored, PipelineReport, QuotaPacing,
    SourceReport, StageConversion, StageReport, StageTime,
};
pub use spec::PipelineSpec;
pub use state::PipelineState;

use crate::error::Result;

/// The report over `deals` in one call.
///
/// # Errors
///
/// As [`PipelineState::add`] and [`PipelineState::finish`].
///
/// ```
/// use revops::{NaiveDate, TimeZone, Utc};
/// use revops::journey::Team;
/// use revops::pipeline::{report, Deal, DealStatus, ForecastCategory, PipelineSpec};
/// use revops::{Currency, Money, Period, Ratio};
/// use revops::dec;
/// let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).unwrap();
/// let usd = |a| Money::new(a, Currency::USD);
/// let deals = [
///     Deal::new("a", t(1, 5), Some(t(1, 25)), DealStatus::Won, usd(dec!(10000)), "won", Ratio::ONE, ForecastCategory::Closed, Team::Marketing)?,
///     Deal::new("b", t(1, 6), Some(t(2, 1)), DealStatus::Lost, usd(dec!(5000)), "lost", Ratio::ZERO, ForecastCategory::Omitted, Team::Sales)?,
///     Deal::new("c", t(2, 1), None, DealStatus::Open, usd(dec!(8000)), "proposal", Ratio::new(dec!(0.5))?, ForecastCategory::Commit, Team::Sales)?,
/// ];
/// let q1 = Period::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())?;
/// let r = report(PipelineSpec::new(q1, NaiveDate::from_ymd_opt(2026, 2, 15).unwrap(), Currency::USD), &deals)?;
/// assert_eq!(r.win_rate.unwrap().to_string(), "50%");
/// assert_eq!(r.weighted_pipeline.map(|m| m.amount()), Some(dec!(4000)));
/// assert_eq!(r.forecast.commit.map(|m| m.amount()), Some(dec!(18000)));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn report(spec: PipelineSpec, deals: &[Deal]) -> Result<PipelineReport> {
    let mut s = PipelineState::new(spec);
    s.extend(deals)?;
    s.finish()
}
