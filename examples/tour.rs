//! A tour of revops: run with `cargo run --example tour`.
//!
//! Each section shows one capability on a small, made-up business.

use chrono::NaiveDate;
use revops::{Change, Currency, Money, Multiple, Period, Ratio};
use rust_decimal_macros::dec;

fn main() -> Result<(), revops::Error> {
    println!("revops tour: marketing creates demand, sales turns it into revenue\n");
    quantities()?;
    Ok(())
}

/// Typed quantities: money that never mixes currencies, rates that stay in range.
fn quantities() -> Result<(), revops::Error> {
    println!("== 1. Typed quantities");
    let usd = Currency::USD;
    let spend = Money::new(dec!(4800), usd);
    let revenue = Money::new(dec!(19250), usd);

    let visitors = 12_000;
    let leads = 300;
    let customers = 42;
    let visit_to_lead = Ratio::from_counts(leads, visitors)?;
    let lead_to_customer = Ratio::from_counts(customers, leads)?;
    println!("  marketing: {visitors} visitors -> {leads} leads ({visit_to_lead})");
    println!("  sales:     {leads} leads -> {customers} customers ({lead_to_customer})");
    println!(
        "  end to end: {} of visitors bought",
        visit_to_lead.and_then(lead_to_customer)
    );

    let roas = Multiple::new(revenue.ratio_to(spend)?)?;
    let roi = Change::between(spend.amount(), revenue.amount())?;
    println!("  spend {spend}, revenue {revenue}: ROAS {roas}, ROI {roi}");

    match Ratio::from_counts_named(12, 10, "conversion rate", "conversions", "visitors") {
        Ok(_) => println!("  (unexpected)"),
        Err(e) => println!("  a rate above 100% is refused: {e}"),
    }
    match spend.checked_add(Money::new(dec!(100), Currency::EUR)) {
        Ok(_) => println!("  (unexpected)"),
        Err(e) => println!("  currencies never mix silently: {e}"),
    }

    // Credit one sale across three touches, 40/20/40, exactly to the cent.
    let sale = Money::new(dec!(999.99), usd);
    let credit = sale.allocate(&[dec!(0.4), dec!(0.2), dec!(0.4)])?;
    let shown: Vec<String> = credit.iter().map(ToString::to_string).collect();
    println!(
        "  {sale} split 40/20/40: {} (sum {})",
        shown.join(" + "),
        Money::checked_sum(credit, usd)?
    );

    // Pacing: how much of the month has passed.
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
    let november = Period::month_of(d(11, 1));
    println!(
        "  on {} the month {november} is {} elapsed ({} days left)\n",
        d(11, 26),
        november.elapsed_fraction(d(11, 26)),
        november.remaining_days(d(11, 26))
    );
    Ok(())
}
