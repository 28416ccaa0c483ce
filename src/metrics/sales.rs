//! Sales metrics: volume, revenue, conversion, deal size, cycle, pipeline
//! and quota.
//!
//! | id | formula | unit | better |
//! |---|---|---|---|
//! | `sales_volume` | sum of units sold | count | higher |
//! | `revenue` | sum of sale amounts | money | higher |
//! | `closed_deal_count` | sum of deals closed-won | count | higher |
//! | `win_rate` | won / (won + lost), deals closed in the period | ratio | higher |
//! | `win_rate_over_opportunities` (= `close_rate`) | won / opportunities created in the period | ratio | higher |
//! | `close_rate` | won / opportunities created in the period | ratio | higher |
//! | `lead_to_customer_rate` | new customers / leads | ratio | higher |
//! | `average_deal_size` | won revenue / won deals | money | higher |
//! | `sales_cycle_length` | median of (closed − created) over won deals | duration | lower |
//! | `mean_sales_cycle_length` | mean of (closed − created) over won deals | duration | lower |
//! | `pipeline_velocity` | opportunities × win rate × average deal size / sales cycle in days | money per day | higher |
//! | `quota_attainment` | revenue / quota | multiple | higher |
//! | `pipeline_coverage` | open pipeline / remaining quota | multiple | higher |
//! | `weighted_pipeline` | sum of amount × win probability over open deals | money | higher |
//! | `average_order_value` | revenue / orders | money | higher |
//! | `attach_rate` | orders with an add-on / orders | ratio | higher |
//! | `revenue_growth` | (current revenue − previous revenue) / previous revenue | change | higher |
//!
//! **Two win rates.** The industry uses two definitions. [`win_rate`] counts
//! only deals *closed* in the period (won and lost), so open deals do not
//! dilute it: the usual sales-manager number. [`close_rate`] divides the
//! deals won by the opportunities *created* in the period, so it also
//! reflects deals still open or stalled.

use chrono::TimeDelta;
use rust_decimal::Decimal;

use super::checks::{checked_count_sum, money_per, non_negative};
use crate::error::{Error, Result};
use crate::quantity::{days_of_seconds, seconds_of, to_time_delta};
use crate::quantity::{Change, Currency, Distribution, Money, Multiple, Ratio};

/// `sales_volume`: units sold, summed over the given counts.
///
/// Formula: `sum of units sold`.
///
/// Unit: count. Higher is better.
///
/// # Errors
///
/// [`Error::Overflow`] past `u64::MAX`.
///
/// ```
/// use revops::metrics::sales::sales_volume;
/// // 40 televisions in the store and 25 online: 65 units.
/// assert_eq!(sales_volume(&[40, 25])?, 65);
/// # Ok::<(), revops::Error>(())
/// ```
pub fn sales_volume(units: &[u64]) -> Result<u64> {
    checked_count_sum(units, "sales volume")
}

/// `revenue`: the sum of sale amounts, all in `currency` (an empty list is
/// zero).
///
/// Formula: `sum of sale amounts`.
///
/// Unit: money. Higher is better.
///
/// # Errors
///
/// [`Error::CurrencyMismatch`] for an amount in another currency;
/// [`Error::Overflow`].
///
/// ```
/// use revops::metrics::sales::revenue;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let sales = [dec!(499.99), dec!(1299.00), dec!(89.50)].map(|a| Money::new(a, Currency::USD));
/// assert_eq!(revenue(&sales, Currency::USD)?.amount(), dec!(1888.49));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn revenue(amounts: &[Money], currency: Currency) -> Result<Money> {
    Money::checked_sum(amounts.iter().copied(), currency)
}

/// `closed_deal_count`: deals closed-won, summed over the given counts (per
/// rep, per week).
///
/// Formula: `sum of deals closed-won`.
///
/// Unit: count. Higher is better.
///
/// # Errors
///
/// [`Error::Overflow`] past `u64::MAX`.
///
/// ```
/// use revops::metrics::sales::closed_deal_count;
/// assert_eq!(closed_deal_count(&[3, 5, 4])?, 12);
/// # Ok::<(), revops::Error>(())
/// ```
pub fn closed_deal_count(won_deals: &[u64]) -> Result<u64> {
    checked_count_sum(won_deals, "closed deal count")
}

/// `win_rate`: `won / (won + lost), deals closed in the period` over deals
/// **closed** in the period.
/// The main definition; see [`close_rate`] for the one over all
/// opportunities created.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] if no deal closed; [`Error::Overflow`].
///
/// ```
/// use revops::metrics::sales::win_rate;
/// // 12 won, 28 lost: 12 / 40 = 30%.
/// assert_eq!(win_rate(12, 28)?.to_string(), "30%");
/// assert!(win_rate(0, 0).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn win_rate(won: u64, lost: u64) -> Result<Ratio> {
    let closed = won
        .checked_add(lost)
        .ok_or_else(|| Error::overflow("win rate"))?;
    Ratio::from_counts_named(won, closed, "win rate", "won", "closed deals")
}

/// `close_rate`: `won / opportunities created in the period` in the period, the
/// second
/// definition of a win rate (open and stalled deals count against it).
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no opportunities;
/// [`Error::PartExceedsWhole`] for more wins than opportunities.
///
/// ```
/// use revops::metrics::sales::close_rate;
/// // 50 opportunities opened, 12 won so far: 24%.
/// assert_eq!(close_rate(12, 50)?.to_string(), "24%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn close_rate(won: u64, opportunities: u64) -> Result<Ratio> {
    Ratio::from_counts_named(won, opportunities, "close rate", "won", "opportunities")
}

/// `win_rate_over_opportunities`: another name for [`close_rate`], for
/// readers who look for "win rate" with all opportunities as the base.
///
/// # Errors
///
/// As [`close_rate`].
///
/// ```
/// use revops::metrics::sales::{close_rate, win_rate_over_opportunities};
/// assert_eq!(win_rate_over_opportunities(3, 10)?, close_rate(3, 10)?);
/// # Ok::<(), revops::Error>(())
/// ```
pub fn win_rate_over_opportunities(won: u64, opportunities: u64) -> Result<Ratio> {
    close_rate(won, opportunities)
}

/// `lead_to_customer_rate`: `new customers / leads`, the lead-to-sales
/// conversion rate. It measures both teams at once (lead quality and
/// closing), which makes it the headline alignment metric.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no leads; [`Error::PartExceedsWhole`] for
/// more customers than leads.
///
/// ```
/// use revops::metrics::sales::lead_to_customer_rate;
/// // 300 leads, 42 became customers: 14%.
/// assert_eq!(lead_to_customer_rate(42, 300)?.to_string(), "14%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn lead_to_customer_rate(new_customers: u64, leads: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        new_customers,
        leads,
        "lead-to-customer rate",
        "new customers",
        "leads",
    )
}

/// `average_deal_size`: `won revenue / won deals`.
///
/// Unit: money (not rounded). Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no won deals; [`Error::OutOfRange`] for
/// negative revenue.
///
/// ```
/// use revops::metrics::sales::average_deal_size;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 12 deals for 96,000 USD: 8,000 USD each.
/// assert_eq!(average_deal_size(Money::new(dec!(96000), Currency::USD), 12)?.amount(), dec!(8000));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn average_deal_size(won_revenue: Money, won_deals: u64) -> Result<Money> {
    money_per(won_revenue, won_deals, "average deal size", "won deals")
}

/// The length of a sales cycle: its median (the headline number) and mean.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CycleLength {
    /// The median, by the crate's quantile rule (JSON: decimal seconds).
    #[cfg_attr(
        feature = "serde",
        serde(with = "crate::quantity::serde_forms::seconds")
    )]
    pub median: TimeDelta,
    /// The arithmetic mean (JSON: decimal seconds).
    #[cfg_attr(
        feature = "serde",
        serde(with = "crate::quantity::serde_forms::seconds")
    )]
    pub mean: TimeDelta,
}

/// `sales_cycle_length`: the time from a deal's creation to its close,
/// over won deals: the median (crate quantile rule: the mean of the two
/// middle values for an even count) and the mean. Durations are counted in
/// whole seconds (sub-second parts are dropped).
///
/// Formula: `mean of (closed − created) over won deals`.
///
/// Formula: `median of (closed − created) over won deals`.
///
/// Unit: duration. Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no cycles; [`Error::OutOfRange`] for a
/// negative cycle.
///
/// ```
/// use revops::TimeDelta;
/// use revops::metrics::sales::sales_cycle_length;
/// let days = [10, 20, 30, 100].map(TimeDelta::days);
/// let c = sales_cycle_length(&days)?;
/// assert_eq!(c.median, TimeDelta::days(25)); // (20 + 30) / 2
/// assert_eq!(c.mean, TimeDelta::days(40));   // 160 / 4
/// assert!(sales_cycle_length(&[]).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn sales_cycle_length(cycles: &[TimeDelta]) -> Result<CycleLength> {
    let d = duration_distribution(cycles, "sales cycle length")?;
    let (median, mean) = (d.median(), d.mean());
    match (median, mean) {
        (Some(median), Some(mean)) => Ok(CycleLength {
            median: to_time_delta(median, "sales cycle length")?,
            mean: to_time_delta(mean, "sales cycle length")?,
        }),
        _ => Err(Error::zero("sales cycle length", "won deals")),
    }
}

/// The distribution of non-negative durations in whole seconds.
pub(crate) fn duration_distribution(
    durations: &[TimeDelta],
    metric: &'static str,
) -> Result<Distribution> {
    let mut d = Distribution::new();
    for x in durations {
        if *x < TimeDelta::zero() {
            return Err(Error::out_of_range(metric, x, "[0, ∞)"));
        }
        d.add(x.num_seconds())?;
    }
    Ok(d)
}

/// `pipeline_velocity`: how much revenue the pipeline produces per day,
/// `opportunities × win rate × average deal size / sales cycle in days`.
///
/// Unit: money per day (not rounded). Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for a zero-length cycle; [`Error::OutOfRange`]
/// for a negative cycle or deal size; [`Error::Overflow`].
///
/// ```
/// use revops::TimeDelta;
/// use revops::metrics::sales::pipeline_velocity;
/// use revops::{Currency, Money, Ratio};
/// use revops::dec;
/// // 40 open deals x 25% x 10,000 USD / 50 days = 2,000 USD a day.
/// let v = pipeline_velocity(40, Ratio::new(dec!(0.25))?, Money::new(dec!(10000), Currency::USD), TimeDelta::days(50))?;
/// assert_eq!(v.amount(), dec!(2000));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn pipeline_velocity(
    opportunities: u64,
    win_rate: Ratio,
    average_deal_size: Money,
    cycle: TimeDelta,
) -> Result<Money> {
    const METRIC: &str = "pipeline velocity";
    non_negative(average_deal_size, METRIC, "average deal size")?;
    if cycle < TimeDelta::zero() {
        return Err(Error::out_of_range(METRIC, cycle, "(0, ∞)"));
    }
    let days = days_of_seconds(seconds_of(cycle)).ok_or_else(|| Error::overflow(METRIC))?;
    if days.is_zero() {
        return Err(Error::zero(METRIC, "sales cycle"));
    }
    average_deal_size
        .checked_mul(Decimal::from(opportunities))?
        .checked_mul(win_rate.value())?
        .checked_div(days)
}

/// `quota_attainment`: `revenue / quota`. Above 1 when the quota is beaten.
///
/// Unit: multiple. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for a zero quota; [`Error::CurrencyMismatch`];
/// [`Error::OutOfRange`] for negative values.
///
/// ```
/// use revops::metrics::sales::quota_attainment;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // 115,000 closed against a 100,000 quota: 1.15.
/// assert_eq!(quota_attainment(usd(dec!(115000)), usd(dec!(100000)))?.value(), dec!(1.15));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn quota_attainment(revenue: Money, quota: Money) -> Result<Multiple> {
    money_multiple(revenue, quota, "quota attainment", "quota")
}

/// `pipeline_coverage`: `open pipeline / remaining quota`: how many times
/// the open deals cover what is left to sell (3x is a common rule of thumb).
///
/// Unit: multiple. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] when nothing remains of the quota;
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for negative values.
///
/// ```
/// use revops::metrics::sales::pipeline_coverage;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// assert_eq!(pipeline_coverage(usd(dec!(240000)), usd(dec!(80000)))?.to_string(), "3x");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn pipeline_coverage(open_pipeline: Money, remaining_quota: Money) -> Result<Multiple> {
    money_multiple(
        open_pipeline,
        remaining_quota,
        "pipeline coverage",
        "remaining quota",
    )
}

fn money_multiple(
    num: Money,
    den: Money,
    metric: &'static str,
    den_label: &'static str,
) -> Result<Multiple> {
    non_negative(num, metric, "amount")?;
    non_negative(den, metric, den_label)?;
    if den.is_zero() {
        return Err(Error::zero(metric, den_label));
    }
    Multiple::new(num.ratio_to(den)?)
}

/// `weighted_pipeline`: `sum of amount × win probability over open deals` over
/// open deals.
/// Exact (not rounded).
///
/// Unit: money. Higher is better.
///
/// # Errors
///
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for a negative amount;
/// [`Error::Overflow`].
///
/// ```
/// use revops::metrics::sales::weighted_pipeline;
/// use revops::{Currency, Money, Ratio};
/// use revops::dec;
/// let deals = [
///     (Money::new(dec!(10000), Currency::USD), Ratio::new(dec!(0.2))?),
///     (Money::new(dec!(5000), Currency::USD), Ratio::new(dec!(0.8))?),
/// ];
/// // 10,000 x 0.2 + 5,000 x 0.8 = 6,000.
/// assert_eq!(weighted_pipeline(&deals, Currency::USD)?.amount(), dec!(6000));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn weighted_pipeline(deals: &[(Money, Ratio)], currency: Currency) -> Result<Money> {
    let mut total = Money::zero(currency);
    for (amount, p) in deals {
        non_negative(*amount, "weighted pipeline", "deal amount")?;
        total = total.checked_add(amount.checked_mul(p.value())?)?;
    }
    Ok(total)
}

/// `average_order_value`: `revenue / orders`.
///
/// Unit: money (not rounded). Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no orders; [`Error::OutOfRange`] for
/// negative revenue.
///
/// ```
/// use revops::metrics::sales::average_order_value;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 180 bills for 8,100 AED: 45 AED a bill.
/// assert_eq!(average_order_value(Money::new(dec!(8100), Currency::AED), 180)?.amount(), dec!(45));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn average_order_value(revenue: Money, orders: u64) -> Result<Money> {
    money_per(revenue, orders, "average order value", "orders")
}

/// `attach_rate`: `orders with an add-on / orders`: the desserts with the
/// meal, the scarf with the coat.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no orders; [`Error::PartExceedsWhole`].
///
/// ```
/// use revops::metrics::sales::attach_rate;
/// // 54 of 180 tables ordered dessert: 30%.
/// assert_eq!(attach_rate(54, 180)?.to_string(), "30%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn attach_rate(orders_with_addon: u64, orders: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        orders_with_addon,
        orders,
        "attach rate",
        "orders with an add-on",
        "orders",
    )
}

/// `revenue_growth`: `(current revenue − previous revenue) / previous revenue`.
///
/// Unit: change (negative when revenue fell). Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] when the previous revenue is zero;
/// [`Error::CurrencyMismatch`].
///
/// ```
/// use revops::metrics::sales::revenue_growth;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let eur = |a| Money::new(a, Currency::EUR);
/// assert_eq!(revenue_growth(eur(dec!(80000)), eur(dec!(92000)))?.to_string(), "+15%");
/// assert_eq!(revenue_growth(eur(dec!(80000)), eur(dec!(60000)))?.to_string(), "-25%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn revenue_growth(previous: Money, current: Money) -> Result<Change> {
    if previous.currency() != current.currency() {
        return Err(Error::CurrencyMismatch {
            operation: "revenue growth".into(),
            left: previous.currency().code(),
            right: current.currency().code(),
        });
    }
    if previous.is_zero() {
        return Err(Error::zero("revenue growth", "previous revenue"));
    }
    Change::between(previous.amount(), current.amount())
}
