//! Alignment metrics: how well marketing and sales work together, measured
//! at the hand-off and in the shared outcome.
//!
//! | id | formula | unit | better |
//! |---|---|---|---|
//! | `mql_acceptance_rate` | SQLs accepted by sales / MQLs handed off | ratio | higher |
//! | `speed_to_lead` | median of (first sales contact − hand-off) | duration | lower |
//! | `sla_compliance_rate` | hand-offs followed up within the SLA / hand-offs | ratio | higher |
//! | `lead_leakage_rate` | MQLs never followed up / MQLs | ratio | lower |
//! | `marketing_sourced_pipeline_share` | marketing-sourced pipeline / all pipeline | ratio | higher |
//! | `marketing_sourced_revenue_share` | marketing-sourced revenue / all revenue | ratio | higher |
//! | `sales_cycle_change` | (current cycle − baseline cycle) / baseline cycle | change | lower |
//! | `average_deal_size_change` | (current average deal − baseline) / baseline | change | higher |

use chrono::TimeDelta;

use super::checks::non_negative;
use crate::error::{Error, Result};
use crate::metrics::sales::duration_distribution;
use crate::quantity::{seconds_of, to_time_delta};
use crate::quantity::{Change, Money, Ratio};

/// `mql_acceptance_rate`: `SQLs accepted by sales / MQLs handed off`.
///
/// Unit: ratio. Higher is better (a low rate says marketing's idea of a
/// qualified lead is not sales's).
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no hand-offs; [`Error::PartExceedsWhole`].
///
/// ```
/// use revops::metrics::alignment::mql_acceptance_rate;
/// // 80 MQLs handed over, 60 accepted: 75%.
/// assert_eq!(mql_acceptance_rate(60, 80)?.to_string(), "75%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn mql_acceptance_rate(accepted: u64, handed_off: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        accepted,
        handed_off,
        "MQL acceptance rate",
        "accepted",
        "MQLs handed off",
    )
}

/// `speed_to_lead`: the median time from hand-off to the first sales
/// contact (crate quantile rule; whole seconds).
///
/// Formula: `median of (first sales contact − hand-off)`.
///
/// Unit: duration. Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no delays; [`Error::OutOfRange`] for a
/// negative delay (contact before hand-off).
///
/// ```
/// use revops::TimeDelta;
/// use revops::metrics::alignment::speed_to_lead;
/// let delays = [5, 30, 45, 240].map(TimeDelta::minutes);
/// assert_eq!(speed_to_lead(&delays)?, TimeDelta::seconds(2250)); // (30 + 45) / 2 minutes
/// # Ok::<(), revops::Error>(())
/// ```
pub fn speed_to_lead(delays: &[TimeDelta]) -> Result<TimeDelta> {
    let d = duration_distribution(delays, "speed to lead")?;
    match d.median() {
        Some(m) => to_time_delta(m, "speed to lead"),
        None => Err(Error::zero("speed to lead", "hand-offs")),
    }
}

/// `sla_compliance_rate`: `hand-offs followed up within the SLA / hand-offs`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no hand-offs; [`Error::PartExceedsWhole`].
///
/// ```
/// use revops::metrics::alignment::sla_compliance_rate;
/// assert_eq!(sla_compliance_rate(72, 80)?.to_string(), "90%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn sla_compliance_rate(within_sla: u64, handoffs: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        within_sla,
        handoffs,
        "SLA compliance rate",
        "followed up in time",
        "hand-offs",
    )
}

/// `lead_leakage_rate`: `MQLs never followed up / MQLs`: leads that fell
/// between the teams.
///
/// Unit: ratio. Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no MQLs; [`Error::PartExceedsWhole`].
///
/// ```
/// use revops::metrics::alignment::lead_leakage_rate;
/// assert_eq!(lead_leakage_rate(6, 80)?.to_string(), "7.5%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn lead_leakage_rate(never_followed_up: u64, mqls: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        never_followed_up,
        mqls,
        "lead leakage rate",
        "never followed up",
        "MQLs",
    )
}

/// `marketing_sourced_pipeline_share`: `marketing-sourced pipeline / all
/// pipeline`.
///
/// Unit: ratio. Higher is better for marketing's contribution.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no pipeline; [`Error::CurrencyMismatch`];
/// [`Error::OutOfRange`] for negative amounts or a part above the whole.
///
/// ```
/// use revops::metrics::alignment::marketing_sourced_pipeline_share;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// assert_eq!(marketing_sourced_pipeline_share(usd(dec!(360000)), usd(dec!(600000)))?.to_string(), "60%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn marketing_sourced_pipeline_share(marketing_sourced: Money, total: Money) -> Result<Ratio> {
    money_share(marketing_sourced, total, "marketing-sourced pipeline share")
}

/// `marketing_sourced_revenue_share`: `marketing-sourced revenue / all
/// revenue`.
///
/// Unit: ratio. Higher is better for marketing's contribution.
///
/// # Errors
///
/// As [`marketing_sourced_pipeline_share`].
///
/// ```
/// use revops::metrics::alignment::marketing_sourced_revenue_share;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// assert_eq!(marketing_sourced_revenue_share(usd(dec!(45000)), usd(dec!(100000)))?.to_string(), "45%");
/// assert!(marketing_sourced_revenue_share(usd(dec!(1)), usd(dec!(0))).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn marketing_sourced_revenue_share(marketing_sourced: Money, total: Money) -> Result<Ratio> {
    money_share(marketing_sourced, total, "marketing-sourced revenue share")
}

fn money_share(part: Money, whole: Money, metric: &'static str) -> Result<Ratio> {
    non_negative(part, metric, "marketing-sourced amount")?;
    non_negative(whole, metric, "total")?;
    if whole.is_zero() {
        return Err(Error::zero(metric, "total"));
    }
    let q = part.ratio_to(whole)?;
    Ratio::new(q).map_err(|_| Error::invalid(metric, format!("{part} is more than {whole}")))
}

/// `sales_cycle_change`: `(current cycle − baseline cycle) / baseline cycle`,
/// the "reduced time to close" of good alignment.
///
/// Unit: change. Lower (more negative) is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for a zero baseline; [`Error::OutOfRange`]
/// for negative durations.
///
/// ```
/// use revops::TimeDelta;
/// use revops::metrics::alignment::sales_cycle_change;
/// // From 40 days to 30 days: -25%.
/// assert_eq!(sales_cycle_change(TimeDelta::days(40), TimeDelta::days(30))?.to_string(), "-25%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn sales_cycle_change(baseline: TimeDelta, current: TimeDelta) -> Result<Change> {
    for d in [baseline, current] {
        if d < TimeDelta::zero() {
            return Err(Error::out_of_range("sales cycle change", d, "[0, ∞)"));
        }
    }
    if baseline.is_zero() {
        return Err(Error::zero("sales cycle change", "baseline cycle"));
    }
    Change::between(seconds_of(baseline), seconds_of(current))
}

/// `average_deal_size_change`: `(current average deal − baseline) / baseline`,
/// the "increased deal value" of good alignment.
///
/// Unit: change. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for a zero baseline;
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for negative amounts.
///
/// ```
/// use revops::metrics::alignment::average_deal_size_change;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// assert_eq!(average_deal_size_change(usd(dec!(8000)), usd(dec!(9000)))?.to_string(), "+12.5%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn average_deal_size_change(baseline: Money, current: Money) -> Result<Change> {
    non_negative(baseline, "average deal size change", "baseline")?;
    non_negative(current, "average deal size change", "current")?;
    if baseline.is_zero() {
        return Err(Error::zero("average deal size change", "baseline"));
    }
    let diff = current.checked_sub(baseline)?;
    Change::new(diff.ratio_to(baseline)?)
}
