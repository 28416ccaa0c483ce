//! A local restaurant: a social-media campaign with a "free meal on your
//! first booking" offer brings new guests (marketing); at the table, staff
//! recommend desserts and specials to raise the bill (sales).
//!
//! Run with `cargo run --example restaurant`.

use revops::dec;
use revops::journey::{Stage, TouchpointKind};
use revops::metrics::{marketing, sales};
use revops::playbook::{strategy_for, Complexity, DealValue};
use revops::{Currency, Money, Ratio};

fn main() -> Result<(), revops::Error> {
    let aed = |a| Money::new(a, Currency::AED);
    println!("Local restaurant: new menu launch, one month\n");

    // Marketing: the campaign.
    let spend = aed(dec!(3600));
    let impressions = 90_000;
    let reach = 30_000;
    let clicks = 1_350;
    let first_bookings = 162; // bookings that used the free-meal offer
    let offer_cost = aed(dec!(35)).checked_mul(dec!(162))?; // one free meal each

    println!(
        "Marketing (awareness and interest: {} / {})",
        Stage::Awareness,
        Stage::Interest
    );
    println!(
        "  impressions {impressions}, reach {reach}, frequency {}",
        marketing::average_frequency(impressions, reach)?
    );
    println!(
        "  click-through rate   {}",
        marketing::click_through_rate(clicks, impressions)?
    );
    println!(
        "  clicks to bookings   {}",
        Ratio::from_counts(first_bookings, clicks)?
    );
    let acquisition_cost = spend.checked_add(offer_cost)?;
    println!(
        "  cost per new guest   {} (ads {spend} + free meals {offer_cost})",
        marketing::cost_per_acquisition(acquisition_cost, first_bookings)?
            .round(revops::RoundingStrategy::MidpointNearestEven)?
    );

    // Sales: at the table.
    let tables = 640; // all tables served in the month, campaign guests included
    let tables_with_dessert = 224;
    let food_revenue = aed(dec!(41600));
    let dessert_revenue = aed(dec!(6720));
    let revenue = food_revenue.checked_add(dessert_revenue)?;
    println!(
        "\nSales (decision and purchase: the {} touch is {}'s work)",
        TouchpointKind::Upsell,
        TouchpointKind::Upsell.team()
    );
    println!("  tables served        {tables}");
    println!(
        "  dessert attach rate  {}",
        sales::attach_rate(tables_with_dessert, tables)?
    );
    println!(
        "  average bill         {} (without desserts {})",
        sales::average_order_value(revenue, tables)?,
        sales::average_order_value(food_revenue, tables)?
    );

    // How they connect: revenue from the campaign's guests against its cost.
    let guests_share = Ratio::from_counts(first_bookings, tables)?;
    let campaign_revenue = revenue
        .checked_mul(guests_share.value())?
        .checked_sub(offer_cost)?
        .round(revops::RoundingStrategy::MidpointNearestEven)?;
    println!("\nTogether");
    println!("  campaign guests were {guests_share} of tables and paid {campaign_revenue} after the free meals");
    println!(
        "  ROAS {}   ROI {}",
        marketing::return_on_ad_spend(campaign_revenue, spend)?,
        marketing::marketing_roi(campaign_revenue, spend)?
    );
    let s = strategy_for(Complexity::Simple, DealValue::Low).decision;
    println!("  playbook for a simple, everyday product: {s}");
    Ok(())
}
