//! Marketing metrics: awareness, reach, engagement, lead generation, cost
//! and return of campaigns.
//!
//! | id | formula | unit | better |
//! |---|---|---|---|
//! | `lead_count` | sum of new leads | count | higher |
//! | `brand_awareness` | aware respondents / surveyed | ratio | higher |
//! | `share_of_voice` | brand mentions / category mentions | ratio | higher |
//! | `average_frequency` | impressions / reach | multiple | — (higher) |
//! | `click_through_rate` | clicks / impressions | ratio | higher |
//! | `cost_per_mille` | spend / impressions × 1000 | money | lower |
//! | `cost_per_click` | spend / clicks | money | lower |
//! | `cost_per_lead` | spend / leads | money | lower |
//! | `cost_per_acquisition` | spend / acquisitions | money | lower |
//! | `engagement_rate` | engagements / impressions | multiple | higher |
//! | `visitor_to_lead_rate` | leads / visitors | ratio | higher |
//! | `lead_to_mql_rate` | MQLs / leads | ratio | higher |
//! | `return_on_ad_spend` | attributed revenue / ad spend | multiple | higher |
//! | `marketing_roi` | (attributed revenue − spend) / spend | change | higher |
//! | `marketing_roi_on_margin` | (attributed revenue × gross margin − spend) / spend | change | higher |

use rust_decimal::Decimal;

use super::checks::{checked_count_sum, money_per, non_negative};
use crate::error::{Error, Result};
use crate::quantity::{Change, Money, Multiple, Ratio};

/// `lead_count`: the number of new leads, summed over the given counts
/// (per day, per source, per campaign).
///
/// Formula: `sum of new leads`.
///
/// Unit: count. Higher is better.
///
/// # Errors
///
/// [`Error::Overflow`] if the sum passes `u64::MAX`.
///
/// ```
/// use revops::metrics::marketing::lead_count;
/// // Three campaigns brought 120, 45 and 35 leads: 200 in all.
/// assert_eq!(lead_count(&[120, 45, 35])?, 200);
/// assert_eq!(lead_count(&[])?, 0);
/// assert!(lead_count(&[u64::MAX, 1]).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn lead_count(counts: &[u64]) -> Result<u64> {
    checked_count_sum(counts, "lead count")
}

/// `brand_awareness`: the share of surveyed people who know the brand,
/// `aware respondents / surveyed`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] if nobody was surveyed;
/// [`Error::PartExceedsWhole`] if `aware > surveyed`.
///
/// ```
/// use revops::metrics::marketing::brand_awareness;
/// // 180 of 600 respondents recognised the brand: 30%.
/// assert_eq!(brand_awareness(180, 600)?.to_string(), "30%");
/// assert!(brand_awareness(1, 0).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn brand_awareness(aware: u64, surveyed: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        aware,
        surveyed,
        "brand awareness",
        "aware respondents",
        "surveyed",
    )
}

/// `share_of_voice`: the brand's share of all mentions (or ad impressions)
/// in its category, `brand mentions / category mentions`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no mentions at all;
/// [`Error::PartExceedsWhole`] if the brand has more than the total.
///
/// ```
/// use revops::metrics::marketing::share_of_voice;
/// // 250 of 1,000 category mentions are ours: 25%.
/// assert_eq!(share_of_voice(250, 1000)?.to_string(), "25%");
/// assert!(share_of_voice(1001, 1000).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn share_of_voice(brand_mentions: u64, category_mentions: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        brand_mentions,
        category_mentions,
        "share of voice",
        "brand mentions",
        "category mentions",
    )
}

/// `average_frequency`: how many times, on average, each reached person saw
/// the message, `impressions / reach`.
///
/// Unit: multiple (at least 1 when anyone was reached). Reported as higher
/// is better in the catalogue, though past a point more frequency is waste.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] if the reach is zero; [`Error::InvalidInput`]
/// if impressions are fewer than the reach (each reached person saw at least
/// one impression).
///
/// ```
/// use revops::metrics::marketing::average_frequency;
/// // 50,000 impressions reached 20,000 people: 2.5 each.
/// assert_eq!(average_frequency(50_000, 20_000)?.to_string(), "2.5x");
/// assert!(average_frequency(10, 20).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn average_frequency(impressions: u64, reach: u64) -> Result<Multiple> {
    if reach == 0 {
        return Err(Error::zero("average frequency", "reach"));
    }
    if impressions < reach {
        return Err(Error::invalid(
            "average frequency",
            format!("{impressions} impressions cannot reach {reach} people"),
        ));
    }
    Multiple::from_quotient(
        Decimal::from(impressions),
        Decimal::from(reach),
        "average frequency",
        "reach",
    )
}

/// `click_through_rate`: `clicks / impressions`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no impressions; [`Error::PartExceedsWhole`]
/// for more clicks than impressions.
///
/// ```
/// use revops::metrics::marketing::click_through_rate;
/// // 120 clicks on 8,000 impressions: 1.5%.
/// assert_eq!(click_through_rate(120, 8000)?.to_string(), "1.5%");
/// assert!(click_through_rate(5, 0).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn click_through_rate(clicks: u64, impressions: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        clicks,
        impressions,
        "click-through rate",
        "clicks",
        "impressions",
    )
}

/// `cost_per_mille`: the cost of a thousand impressions,
/// `spend / impressions × 1000`.
///
/// Unit: money (not rounded). Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no impressions; [`Error::OutOfRange`] for
/// negative spend; [`Error::Overflow`].
///
/// ```
/// use revops::metrics::marketing::cost_per_mille;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 300 USD for 120,000 impressions: 300 / 120 = 2.50 USD per thousand.
/// let cpm = cost_per_mille(Money::new(dec!(300), Currency::USD), 120_000)?;
/// assert_eq!(cpm.amount(), dec!(2.5));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn cost_per_mille(spend: Money, impressions: u64) -> Result<Money> {
    money_per(spend, impressions, "cost per mille", "impressions")?
        .checked_mul(Decimal::ONE_THOUSAND)
}

/// `cost_per_click`: `spend / clicks`.
///
/// Unit: money (not rounded). Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no clicks; [`Error::OutOfRange`] for
/// negative spend.
///
/// ```
/// use revops::metrics::marketing::cost_per_click;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 450 SAR for 300 clicks: 1.50 SAR a click.
/// assert_eq!(cost_per_click(Money::new(dec!(450), Currency::SAR), 300)?.amount(), dec!(1.5));
/// assert!(cost_per_click(Money::new(dec!(450), Currency::SAR), 0).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn cost_per_click(spend: Money, clicks: u64) -> Result<Money> {
    money_per(spend, clicks, "cost per click", "clicks")
}

/// `cost_per_lead`: `spend / leads`.
///
/// Unit: money (not rounded). Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no leads; [`Error::OutOfRange`] for
/// negative spend.
///
/// ```
/// use revops::metrics::marketing::cost_per_lead;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 2,000 EUR of webinars brought 80 leads: 25 EUR a lead.
/// assert_eq!(cost_per_lead(Money::new(dec!(2000), Currency::EUR), 80)?.amount(), dec!(25));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn cost_per_lead(spend: Money, leads: u64) -> Result<Money> {
    money_per(spend, leads, "cost per lead", "leads")
}

/// `cost_per_acquisition`: `spend / acquisitions` (new customers or
/// conversions the spend brought).
///
/// Unit: money (not rounded). Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no acquisitions; [`Error::OutOfRange`] for
/// negative spend.
///
/// ```
/// use revops::metrics::marketing::cost_per_acquisition;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 3,000 USD brought 12 customers: 250 USD each.
/// assert_eq!(cost_per_acquisition(Money::new(dec!(3000), Currency::USD), 12)?.amount(), dec!(250));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn cost_per_acquisition(spend: Money, acquisitions: u64) -> Result<Money> {
    money_per(spend, acquisitions, "cost per acquisition", "acquisitions")
}

/// `engagement_rate`: engagements (likes, shares, comments, clicks) per
/// impression, `engagements / impressions`. A [`Multiple`], not a
/// [`Ratio`]: one impression can draw several engagements.
///
/// Unit: multiple. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no impressions.
///
/// ```
/// use revops::metrics::marketing::engagement_rate;
/// use revops::dec;
/// // 900 engagements on 20,000 impressions: 0.045 per impression.
/// assert_eq!(engagement_rate(900, 20_000)?.value(), dec!(0.045));
/// assert!(engagement_rate(900, 0).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn engagement_rate(engagements: u64, impressions: u64) -> Result<Multiple> {
    Multiple::from_quotient(
        Decimal::from(engagements),
        Decimal::from(impressions),
        "engagement rate",
        "impressions",
    )
}

/// `visitor_to_lead_rate`: `leads / visitors`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no visitors; [`Error::PartExceedsWhole`]
/// for more leads than visitors.
///
/// ```
/// use revops::metrics::marketing::visitor_to_lead_rate;
/// // 2,000 visitors, 80 leads: 4%.
/// assert_eq!(visitor_to_lead_rate(80, 2000)?.to_string(), "4%");
/// assert!(visitor_to_lead_rate(12, 10).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn visitor_to_lead_rate(leads: u64, visitors: u64) -> Result<Ratio> {
    Ratio::from_counts_named(leads, visitors, "visitor-to-lead rate", "leads", "visitors")
}

/// `lead_to_mql_rate`: the share of leads that marketing qualifies,
/// `MQLs / leads`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no leads; [`Error::PartExceedsWhole`] for
/// more MQLs than leads.
///
/// ```
/// use revops::metrics::marketing::lead_to_mql_rate;
/// // 200 leads, 50 qualified: 25%.
/// assert_eq!(lead_to_mql_rate(50, 200)?.to_string(), "25%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn lead_to_mql_rate(mqls: u64, leads: u64) -> Result<Ratio> {
    Ratio::from_counts_named(mqls, leads, "lead-to-MQL rate", "MQLs", "leads")
}

/// `return_on_ad_spend` (ROAS): `attributed revenue / ad spend`.
///
/// Unit: multiple (4.2x: every unit spent brought 4.2 back). Higher is
/// better; 1x is break-even on revenue (not on profit).
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for zero spend; [`Error::CurrencyMismatch`];
/// [`Error::OutOfRange`] for negative revenue or spend.
///
/// ```
/// use revops::metrics::marketing::return_on_ad_spend;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // 1,000 USD of ads, 4,200 USD of attributed sales: 4.2x.
/// assert_eq!(return_on_ad_spend(usd(dec!(4200)), usd(dec!(1000)))?.to_string(), "4.2x");
/// assert!(return_on_ad_spend(usd(dec!(4200)), usd(dec!(0))).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn return_on_ad_spend(attributed_revenue: Money, ad_spend: Money) -> Result<Multiple> {
    non_negative(attributed_revenue, "return on ad spend", "revenue")?;
    non_negative(ad_spend, "return on ad spend", "ad spend")?;
    if ad_spend.is_zero() {
        return Err(Error::zero("return on ad spend", "ad spend"));
    }
    Multiple::new(attributed_revenue.ratio_to(ad_spend)?)
}

/// `marketing_roi`: `(attributed revenue − spend) / spend`.
///
/// Unit: change (−0.25 is a 25% loss, +3 is 300% return). Higher is better.
/// Based on revenue; see [`marketing_roi_on_margin`] for the profit-based
/// variant, which is the stricter and usually the fairer one.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for zero spend; [`Error::CurrencyMismatch`];
/// [`Error::OutOfRange`] for negative spend.
///
/// ```
/// use revops::metrics::marketing::marketing_roi;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // Spent 1,000, brought 750: (750 - 1000) / 1000 = -25%.
/// assert_eq!(marketing_roi(usd(dec!(750)), usd(dec!(1000)))?.to_string(), "-25%");
/// // Spent 1,000, brought 4,000: +300%.
/// assert_eq!(marketing_roi(usd(dec!(4000)), usd(dec!(1000)))?.value(), dec!(3));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn marketing_roi(attributed_revenue: Money, spend: Money) -> Result<Change> {
    roi("marketing ROI", attributed_revenue, spend)
}

/// `marketing_roi_on_margin`: `(attributed revenue × gross margin − spend) /
/// spend`: the return on the profit the revenue carries.
///
/// Unit: change. Higher is better.
///
/// # Errors
///
/// As [`marketing_roi`].
///
/// ```
/// use revops::metrics::marketing::marketing_roi_on_margin;
/// use revops::{Currency, Money, Ratio};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // 4,000 of revenue at a 40% margin is 1,600 of gross profit for 1,000
/// // spent: (1600 - 1000) / 1000 = +60%.
/// let roi = marketing_roi_on_margin(usd(dec!(4000)), Ratio::new(dec!(0.4))?, usd(dec!(1000)))?;
/// assert_eq!(roi.value(), dec!(0.6));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn marketing_roi_on_margin(
    attributed_revenue: Money,
    gross_margin: Ratio,
    spend: Money,
) -> Result<Change> {
    let profit = attributed_revenue.checked_mul(gross_margin.value())?;
    roi("marketing ROI on margin", profit, spend)
}

/// `(gain − cost) / cost` for money, with checks.
pub(crate) fn roi(metric: &'static str, gain: Money, cost: Money) -> Result<Change> {
    non_negative(cost, metric, "spend")?;
    if cost.is_zero() {
        return Err(Error::zero(metric, "spend"));
    }
    let net = gain.checked_sub(cost)?;
    Change::new(net.ratio_to(cost)?)
}
