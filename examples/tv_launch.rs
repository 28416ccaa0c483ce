//! An electronics company launches a new television with an online
//! campaign (marketing); the sales team answers inquiries in the store and
//! on the website, makes special offers and closes (sales).
//!
//! Run with `cargo run --example tv_launch`.

use revops::dec;
use revops::journey::{Channel, Journey, Ownership, Touchpoint, TouchpointKind as K};
use revops::metrics::{marketing, sales};
use revops::objective::*;
use revops::playbook::{investment_focus, Competition, MarketSituation};
use revops::{Currency, Money, Period};
use revops::{NaiveDate, TimeZone, Utc};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usd = |a| Money::new(a, Currency::USD);
    println!("New television launch, first two weeks of March\n");

    let plan = investment_focus(MarketSituation {
        new_to_market: false,
        launching_product: true,
        competition: Competition::Fierce,
    });
    println!("Playbook: invest first in {plan}\n");

    // One buyer's journey, as the CRM recorded it (out of order).
    let at = |d, h| {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0)
            .single()
            .ok_or("bad date")
    };
    let ch = Channel::new;
    let journey = Journey::new(vec![
        Touchpoint::new(at(4, 18)?, ch("store")?, K::Purchase),
        Touchpoint::new(at(1, 9)?, ch("video_ads")?, K::Impression),
        Touchpoint::new(at(2, 20)?, ch("website")?, K::Visit),
        Touchpoint::new(at(3, 12)?, ch("website")?, K::Inquiry),
        Touchpoint::new(at(4, 17)?, ch("store")?, K::Negotiation),
    ]);
    println!(
        "One buyer's journey ({} from first touch to purchase):",
        journey.duration().map_or(0, |d| d.num_hours()).to_string() + " h"
    );
    for t in journey.touches() {
        println!(
            "  {}  {:<12} {:<12} {:<9} {} ({})",
            t.at.format("%b %d %H:%M"),
            t.channel,
            t.kind,
            t.kind.stage(),
            t.kind.team(),
            t.kind.interaction()
        );
    }

    // Marketing: the online campaign.
    let spend = usd(dec!(60000));
    let impressions = 2_400_000;
    let reach = 800_000;
    let clicks = 36_000;
    let inquiries = 2_880;
    println!("\nMarketing: online campaign");
    println!(
        "  reach {reach}, frequency {}, CTR {}, CPM {}",
        marketing::average_frequency(impressions, reach)?,
        marketing::click_through_rate(clicks, impressions)?,
        marketing::cost_per_mille(spend, impressions)?
            .round(revops::RoundingStrategy::MidpointNearestEven)?
    );
    println!(
        "  inquiries {inquiries} ({} of clicks), cost per inquiry {}",
        marketing::visitor_to_lead_rate(inquiries, clicks)?,
        marketing::cost_per_lead(spend, inquiries)?
            .round(revops::RoundingStrategy::MidpointNearestEven)?
    );

    // Sales: answering inquiries and closing.
    let units = 648;
    let revenue = usd(dec!(1099)).checked_mul(dec!(648))?;
    println!("\nSales: inquiries to sales");
    println!(
        "  units sold {}, revenue {revenue}",
        sales::sales_volume(&[412, 236])?
    );
    println!(
        "  inquiry-to-sale rate {}",
        sales::lead_to_customer_rate(units, inquiries)?
    );

    // Quota pacing for the launch month, as of March 14.
    let march = Period::month_of(NaiveDate::from_ymd_opt(2026, 3, 1).ok_or("bad date")?);
    let quota = Goal::new(
        Objective::Sales(SalesObjective::Targets),
        revops::metrics::Metric::Revenue,
        Ownership::Sales,
        Target::Money(usd(dec!(1500000))),
        march,
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    )?;
    let a = quota.assess(
        Target::Money(revenue),
        NaiveDate::from_ymd_opt(2026, 3, 14).ok_or("bad date")?,
    )?;
    println!(
        "  quota {}: attainment {}, expected by now {}, {}, projected {}",
        quota.target(),
        a.attainment.map_or("-".into(), |m| {
            m.as_percent()
                .map_or("-".into(), |p| format!("{}%", p.round_dp(0)))
        }),
        a.expected_to_date
            .map_or("-".into(), |e| e.round_dp(2).to_string()),
        a.pace.ok_or("no pace")?,
        a.projected
            .map_or("-".into(), |p| p.round_dp(2).to_string())
    );
    println!(
        "\nTogether: ROAS {}, ROI {}",
        marketing::return_on_ad_spend(revenue, spend)?,
        marketing::marketing_roi(revenue, spend)?
    );
    Ok(())
}
