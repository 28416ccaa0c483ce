//! Customer metrics: acquisition cost, lifetime value, retention, loyalty
//! and satisfaction.
//!
//! | id | formula | unit | better |
//! |---|---|---|---|
//! | `customer_acquisition_cost` | (marketing spend + sales spend) / new customers | money | lower |
//! | `cac_payback_months` | CAC / (monthly revenue per customer × gross margin) | decimal (months) | lower |
//! | `customer_lifetime_value` | revenue per account per period × gross margin / churn rate per period | money | higher |
//! | `customer_lifetime_value_from_orders` | average order value × purchases per period × lifespan in periods | money | higher |
//! | `ltv_to_cac` | customer lifetime value / customer acquisition cost | multiple | higher |
//! | `churn_rate` | customers lost / customers at start | ratio | lower |
//! | `customer_retention_rate` | (customers at end − new customers) / customers at start | ratio | higher |
//! | `repeat_purchase_rate` | customers with more than one purchase / customers | ratio | higher |
//! | `purchase_frequency` | orders / customers | multiple | higher |
//! | `net_promoter_score` | % answers 9–10 − % answers 0–6 | score | higher |
//! | `net_promoter_score_from_counts` | (promoters − detractors) / (promoters + passives + detractors) × 100 | score | higher |
//! | `customer_satisfaction_score` | answers of 4 or 5 / answers, on a 1–5 scale | ratio | higher |
//! | `net_revenue_retention` | (starting revenue + expansion − contraction − churn) / starting revenue | multiple | higher |
//! | `gross_revenue_retention` | (starting revenue − contraction − churn) / starting revenue | ratio | higher |
//! | `magic_number` | (revenue this quarter − revenue last quarter) × 4 / sales and marketing spend last quarter | change | higher |
//!
//! **Two retention rates.** [`customer_retention_rate`] leaves out the
//! customers won during the period (the usual definition:
//! `(end − new) / start`); [`customer_retention_rate_with_new`] is the
//! simpler `end / start` share, which new customers inflate and which can
//! exceed 1, so it returns a [`Multiple`].

use rust_decimal::Decimal;

use super::checks::{money_per, non_negative};
use crate::error::{Error, Result};
use crate::quantity::{Change, Money, Multiple, Nps, Ratio};

/// `customer_acquisition_cost` (CAC): `(marketing spend + sales spend) / new
/// customers`.
///
/// Unit: money (not rounded). Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no new customers;
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for negative spend.
///
/// ```
/// use revops::metrics::customer::customer_acquisition_cost;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // 30,000 of marketing and 20,000 of sales for 100 customers: 500 each.
/// assert_eq!(customer_acquisition_cost(usd(dec!(30000)), usd(dec!(20000)), 100)?.amount(), dec!(500));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn customer_acquisition_cost(
    marketing_spend: Money,
    sales_spend: Money,
    new_customers: u64,
) -> Result<Money> {
    const M: &str = "customer acquisition cost";
    non_negative(marketing_spend, M, "marketing spend")?;
    non_negative(sales_spend, M, "sales spend")?;
    money_per(
        marketing_spend.checked_add(sales_spend)?,
        new_customers,
        M,
        "new customers",
    )
}

/// `cac_payback_months`: months of gross profit needed to earn back the
/// acquisition cost, `CAC / (monthly revenue per customer × gross margin)`.
///
/// Unit: decimal number of months. Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] when the monthly gross profit is zero;
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for negative amounts.
///
/// ```
/// use revops::metrics::customer::cac_payback_months;
/// use revops::{Currency, Money, Ratio};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // CAC 1,200; 100 a month at an 80% margin is 80 a month: 15 months.
/// assert_eq!(cac_payback_months(usd(dec!(1200)), usd(dec!(100)), Ratio::new(dec!(0.8))?)?, dec!(15));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn cac_payback_months(
    cac: Money,
    monthly_revenue_per_customer: Money,
    gross_margin: Ratio,
) -> Result<Decimal> {
    const M: &str = "CAC payback";
    non_negative(cac, M, "acquisition cost")?;
    non_negative(monthly_revenue_per_customer, M, "monthly revenue")?;
    let profit = monthly_revenue_per_customer.checked_mul(gross_margin.value())?;
    if profit.is_zero() {
        return Err(Error::zero(M, "monthly gross profit per customer"));
    }
    Ok(cac.ratio_to(profit)?.normalize())
}

/// `customer_lifetime_value` (simple form): `revenue per account per period ×
/// gross margin / churn rate per period`. The periods must match
/// (monthly revenue with monthly churn).
///
/// Unit: money (not rounded). Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for zero churn (an infinite lifetime);
/// [`Error::OutOfRange`] for negative revenue.
///
/// ```
/// use revops::metrics::customer::customer_lifetime_value;
/// use revops::{Currency, Money, Ratio};
/// use revops::dec;
/// // 100 a month, 80% margin, 2% monthly churn: 100 x 0.8 / 0.02 = 4,000.
/// let ltv = customer_lifetime_value(Money::new(dec!(100), Currency::USD), Ratio::new(dec!(0.8))?, Ratio::new(dec!(0.02))?)?;
/// assert_eq!(ltv.amount(), dec!(4000));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn customer_lifetime_value(
    revenue_per_account: Money,
    gross_margin: Ratio,
    churn_rate: Ratio,
) -> Result<Money> {
    const M: &str = "customer lifetime value";
    non_negative(revenue_per_account, M, "revenue per account")?;
    if churn_rate == Ratio::ZERO {
        return Err(Error::zero(M, "churn rate"));
    }
    revenue_per_account
        .checked_mul(gross_margin.value())?
        .checked_div(churn_rate.value())
}

/// `customer_lifetime_value_from_orders`: `average order value × purchases per
/// period × lifespan in periods` (revenue-based, before margin).
///
/// Unit: money. Higher is better.
///
/// # Errors
///
/// [`Error::OutOfRange`] for a negative input; [`Error::Overflow`].
///
/// ```
/// use revops::metrics::customer::customer_lifetime_value_from_orders;
/// use revops::{Currency, Money};
/// use revops::dec;
/// // 60 a visit, 4 visits a year, 3 years: 720.
/// let ltv = customer_lifetime_value_from_orders(Money::new(dec!(60), Currency::EUR), dec!(4), dec!(3))?;
/// assert_eq!(ltv.amount(), dec!(720));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn customer_lifetime_value_from_orders(
    average_order_value: Money,
    purchases_per_period: Decimal,
    lifespan_periods: Decimal,
) -> Result<Money> {
    const M: &str = "customer lifetime value";
    non_negative(average_order_value, M, "average order value")?;
    for (v, what) in [
        (purchases_per_period, "purchase frequency"),
        (lifespan_periods, "lifespan"),
    ] {
        if v < Decimal::ZERO {
            return Err(Error::out_of_range(what, v, "[0, ∞)"));
        }
    }
    average_order_value
        .checked_mul(purchases_per_period)?
        .checked_mul(lifespan_periods)
}

/// `ltv_to_cac`: `customer lifetime value / customer acquisition cost` (3x is a
/// common
/// healthy mark).
///
/// Unit: multiple. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for a zero CAC; [`Error::CurrencyMismatch`];
/// [`Error::OutOfRange`] for negative amounts.
///
/// ```
/// use revops::metrics::customer::ltv_to_cac;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// assert_eq!(ltv_to_cac(usd(dec!(4000)), usd(dec!(1250)))?.value(), dec!(3.2));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn ltv_to_cac(ltv: Money, cac: Money) -> Result<Multiple> {
    non_negative(ltv, "LTV to CAC", "lifetime value")?;
    non_negative(cac, "LTV to CAC", "acquisition cost")?;
    if cac.is_zero() {
        return Err(Error::zero("LTV to CAC", "acquisition cost"));
    }
    Multiple::new(ltv.ratio_to(cac)?)
}

/// `churn_rate`: `customers lost / customers at start` of the period.
///
/// Unit: ratio. Lower is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no customers at the start;
/// [`Error::PartExceedsWhole`] for losing more than there were.
///
/// ```
/// use revops::metrics::customer::churn_rate;
/// // 500 customers, 15 left: 3%.
/// assert_eq!(churn_rate(15, 500)?.to_string(), "3%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn churn_rate(lost: u64, customers_at_start: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        lost,
        customers_at_start,
        "churn rate",
        "lost customers",
        "customers at start",
    )
}

/// `customer_retention_rate`: `(customers at end − new customers) / customers
/// at start`: the share of the starting customers still there,
/// without counting those won during the period.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no customers at the start;
/// [`Error::InvalidInput`] when more customers were won than are there at
/// the end; [`Error::PartExceedsWhole`] when the retained exceed the start.
///
/// ```
/// use revops::metrics::customer::customer_retention_rate;
/// // Started with 200, won 30, ended with 210: (210 - 30) / 200 = 90%.
/// assert_eq!(customer_retention_rate(200, 210, 30)?.to_string(), "90%");
/// assert!(customer_retention_rate(200, 20, 30).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn customer_retention_rate(start: u64, end: u64, new: u64) -> Result<Ratio> {
    let retained = end.checked_sub(new).ok_or_else(|| {
        Error::invalid(
            "customer retention rate",
            format!("{new} new customers cannot be more than the {end} customers at the end"),
        )
    })?;
    Ratio::from_counts_named(
        retained,
        start,
        "customer retention rate",
        "retained customers",
        "customers at start",
    )
}

/// `customer_retention_rate_with_new`: `customers at end / customers at
/// start`, new customers included: the second, looser definition. It can
/// exceed 1, so it is a [`Multiple`].
///
/// Unit: multiple. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no customers at the start.
///
/// ```
/// use revops::metrics::customer::customer_retention_rate_with_new;
/// use revops::dec;
/// assert_eq!(customer_retention_rate_with_new(200, 210)?.value(), dec!(1.05));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn customer_retention_rate_with_new(start: u64, end: u64) -> Result<Multiple> {
    Multiple::from_quotient(
        Decimal::from(end),
        Decimal::from(start),
        "customer retention rate",
        "customers at start",
    )
}

/// `repeat_purchase_rate`: the share of customers who bought more than
/// once, a measure of brand loyalty.
///
/// Formula: `customers with more than one purchase / customers`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no customers; [`Error::PartExceedsWhole`].
///
/// ```
/// use revops::metrics::customer::repeat_purchase_rate;
/// // 90 of 400 shoppers came back: 22.5%.
/// assert_eq!(repeat_purchase_rate(90, 400)?.to_string(), "22.5%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn repeat_purchase_rate(repeat_customers: u64, customers: u64) -> Result<Ratio> {
    Ratio::from_counts_named(
        repeat_customers,
        customers,
        "repeat purchase rate",
        "repeat customers",
        "customers",
    )
}

/// `purchase_frequency`: `orders / customers` in the period.
///
/// Unit: multiple (at least 1 when there are customers). Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no customers; [`Error::InvalidInput`] for
/// fewer orders than customers (every customer ordered at least once).
///
/// ```
/// use revops::metrics::customer::purchase_frequency;
/// use revops::dec;
/// assert_eq!(purchase_frequency(520, 400)?.value(), dec!(1.3));
/// assert!(purchase_frequency(10, 20).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn purchase_frequency(orders: u64, customers: u64) -> Result<Multiple> {
    if customers == 0 {
        return Err(Error::zero("purchase frequency", "customers"));
    }
    if orders < customers {
        return Err(Error::invalid(
            "purchase frequency",
            format!("{orders} orders cannot come from {customers} customers"),
        ));
    }
    Multiple::from_quotient(
        Decimal::from(orders),
        Decimal::from(customers),
        "purchase frequency",
        "customers",
    )
}

/// `net_promoter_score` (NPS) from 0–10 answers: the percent of promoters
/// (9–10) minus the percent of detractors (0–6). Passives (7–8) count in
/// the total only. Exact, not rounded.
///
/// Formula: `% answers 9–10 − % answers 0–6`.
///
/// Unit: score in [-100, 100]. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no answers; [`Error::OutOfRange`] for an
/// answer above 10.
///
/// ```
/// use revops::metrics::customer::net_promoter_score;
/// // 10, 9, 9, 8, 3: 3 promoters, 1 detractor of 5: 60% - 20% = 40.
/// assert_eq!(net_promoter_score(&[10, 9, 9, 8, 3])?.to_string(), "40.0");
/// assert!(net_promoter_score(&[11]).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn net_promoter_score(answers: &[u8]) -> Result<Nps> {
    let (mut promoters, mut passives, mut detractors) = (0u64, 0u64, 0u64);
    for &a in answers {
        match a {
            0..=6 => detractors += 1,
            7..=8 => passives += 1,
            9..=10 => promoters += 1,
            _ => return Err(Error::out_of_range("NPS answer", a, "0..=10")),
        }
    }
    Nps::from_counts(promoters, passives, detractors)
}

/// `customer_satisfaction_score` (CSAT) from 1–5 answers: the share of
/// satisfied answers (4 or 5).
///
/// Formula: `answers of 4 or 5 / answers, on a 1–5 scale`.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for no answers; [`Error::OutOfRange`] for an
/// answer outside 1–5.
///
/// ```
/// use revops::metrics::customer::customer_satisfaction_score;
/// // 5, 4, 4, 3, 1: 3 of 5 satisfied: 60%.
/// assert_eq!(customer_satisfaction_score(&[5, 4, 4, 3, 1])?.to_string(), "60%");
/// assert!(customer_satisfaction_score(&[0]).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn customer_satisfaction_score(answers: &[u8]) -> Result<Ratio> {
    let mut satisfied = 0u64;
    for &a in answers {
        match a {
            4..=5 => satisfied += 1,
            1..=3 => {}
            _ => return Err(Error::out_of_range("CSAT answer", a, "1..=5")),
        }
    }
    Ratio::from_counts_named(
        satisfied,
        answers.len() as u64,
        "customer satisfaction score",
        "satisfied answers",
        "answers",
    )
}

/// `net_revenue_retention` (NRR): `(starting revenue + expansion − contraction
/// − churn) / starting revenue`, for the customers
/// present at the start.
///
/// Unit: multiple (above 1 when expansion outweighs losses). Higher is
/// better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for zero starting revenue;
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for negative inputs;
/// [`Error::InvalidInput`] when losses exceed the starting revenue plus
/// expansion.
///
/// ```
/// use revops::metrics::customer::net_revenue_retention;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // 100k start, +15k expansion, -3k contraction, -7k churn: 105k / 100k.
/// let nrr = net_revenue_retention(usd(dec!(100000)), usd(dec!(15000)), usd(dec!(3000)), usd(dec!(7000)))?;
/// assert_eq!(nrr.value(), dec!(1.05));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn net_revenue_retention(
    start: Money,
    expansion: Money,
    contraction: Money,
    churned: Money,
) -> Result<Multiple> {
    const M: &str = "net revenue retention";
    for (m, what) in [
        (start, "starting revenue"),
        (expansion, "expansion"),
        (contraction, "contraction"),
        (churned, "churned revenue"),
    ] {
        non_negative(m, M, what)?;
    }
    if start.is_zero() {
        return Err(Error::zero(M, "starting revenue"));
    }
    let end = start
        .checked_add(expansion)?
        .checked_sub(contraction)?
        .checked_sub(churned)?;
    if end.is_negative() {
        return Err(Error::invalid(
            M,
            "contraction and churn exceed the starting revenue plus expansion",
        ));
    }
    Multiple::new(end.ratio_to(start)?)
}

/// `gross_revenue_retention` (GRR): `(starting revenue − contraction − churn) /
/// starting revenue`: losses only, so it
/// never exceeds 1.
///
/// Unit: ratio. Higher is better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for zero starting revenue;
/// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for negative inputs;
/// [`Error::InvalidInput`] when losses exceed the starting revenue.
///
/// ```
/// use revops::metrics::customer::gross_revenue_retention;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// let grr = gross_revenue_retention(usd(dec!(100000)), usd(dec!(3000)), usd(dec!(7000)))?;
/// assert_eq!(grr.to_string(), "90%");
/// # Ok::<(), revops::Error>(())
/// ```
pub fn gross_revenue_retention(start: Money, contraction: Money, churned: Money) -> Result<Ratio> {
    const M: &str = "gross revenue retention";
    for (m, what) in [
        (start, "starting revenue"),
        (contraction, "contraction"),
        (churned, "churned revenue"),
    ] {
        non_negative(m, M, what)?;
    }
    if start.is_zero() {
        return Err(Error::zero(M, "starting revenue"));
    }
    let kept = start.checked_sub(contraction)?.checked_sub(churned)?;
    if kept.is_negative() {
        return Err(Error::invalid(
            M,
            "contraction and churn exceed the starting revenue",
        ));
    }
    Ratio::new(kept.ratio_to(start)?)
}

/// `magic_number`: sales efficiency, `(revenue this quarter − revenue last
/// quarter) × 4 / sales and marketing spend last quarter`. A [`Change`]:
/// it is negative when revenue falls.
///
/// Unit: change (0.75 and above is usually read as efficient). Higher is
/// better.
///
/// # Errors
///
/// [`Error::ZeroDenominator`] for zero spend; [`Error::CurrencyMismatch`];
/// [`Error::OutOfRange`] for negative spend.
///
/// ```
/// use revops::metrics::customer::magic_number;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// // Quarterly revenue 500k -> 560k on 240k of spend: 60k x 4 / 240k = 1.
/// assert_eq!(magic_number(usd(dec!(560000)), usd(dec!(500000)), usd(dec!(240000)))?.value(), dec!(1));
/// assert!(magic_number(usd(dec!(450000)), usd(dec!(500000)), usd(dec!(240000)))?.is_negative());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn magic_number(
    revenue_this_quarter: Money,
    revenue_last_quarter: Money,
    spend_last_quarter: Money,
) -> Result<Change> {
    const M: &str = "magic number";
    non_negative(spend_last_quarter, M, "sales and marketing spend")?;
    if spend_last_quarter.is_zero() {
        return Err(Error::zero(M, "sales and marketing spend"));
    }
    let growth = revenue_this_quarter
        .checked_sub(revenue_last_quarter)?
        .checked_mul(Decimal::from(4))?;
    Change::new(growth.ratio_to(spend_last_quarter)?)
}
