//! A clothing store: seasonal ads and emails with discount coupons promote
//! the winter sale (marketing); in the store, staff help customers choose
//! and suggest accessories to complete the outfit (sales). Both teams'
//! goals sit on one scorecard, checked for the classic mistakes.
//!
//! Run with `cargo run --example clothing_store`.

use revops::dec;
use revops::journey::Ownership;
use revops::metrics::{customer, marketing, sales, Metric};
use revops::objective::*;
use revops::playbook::detect_mistakes;
use revops::NaiveDate;
use revops::{Currency, Money, Period, Ratio};

fn main() -> Result<(), revops::Error> {
    let eur = |a| Money::new(a, Currency::EUR);
    println!("Clothing store: winter sale, January\n");

    // Marketing: seasonal emails with coupons.
    let sent = 20_000;
    let opened = 7_400;
    let clicked = 1_110;
    let coupons_redeemed = 444;
    let email_cost = eur(dec!(800));
    println!("Marketing: email campaign");
    println!(
        "  open rate {}   click rate {}",
        Ratio::from_counts(opened, sent)?,
        marketing::click_through_rate(clicked, opened)?
    );
    println!(
        "  coupon redemptions {coupons_redeemed} ({} of clicks)",
        Ratio::from_counts(coupons_redeemed, clicked)?
    );
    println!(
        "  cost per redemption {}",
        marketing::cost_per_acquisition(email_cost, coupons_redeemed)?
            .round(revops::RoundingStrategy::MidpointNearestEven)?
    );

    // Sales: staff suggest accessories.
    let orders = 1_850;
    let with_accessory = 592;
    let revenue = eur(dec!(138750));
    println!("\nSales: in the store");
    println!(
        "  accessory attach rate {}",
        sales::attach_rate(with_accessory, orders)?
    );
    println!(
        "  average basket        {}",
        sales::average_order_value(revenue, orders)?
    );
    println!(
        "  repeat customers      {}",
        customer::repeat_purchase_rate(310, 1_420)?
    );

    // One scorecard for both teams, assessed on January 20.
    let january = Period::month_of(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default());
    let on = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap_or_default();
    let goal = |obj, metric: Metric, owner, target, kind| {
        Goal::new(
            obj,
            metric,
            owner,
            target,
            january,
            Direction::HigherIsBetter,
            kind,
        )
    };
    let redemptions = goal(
        Objective::Marketing(MarketingObjective::Demand),
        Metric::LeadCount,
        Ownership::Marketing,
        Target::Count(600),
        GoalKind::Cumulative,
    )?;
    let attach = goal(
        Objective::Sales(SalesObjective::Revenue),
        Metric::AttachRate,
        Ownership::Sales,
        Target::Ratio(Ratio::new(dec!(0.3))?),
        GoalKind::Level,
    )?;
    let shared_revenue = goal(
        Objective::Sales(SalesObjective::Revenue),
        Metric::Revenue,
        Ownership::Shared,
        Target::Money(eur(dec!(200000))),
        GoalKind::Cumulative,
    )?;

    println!("\nScorecard on {on}");
    for (g, actual) in [
        (&redemptions, Target::Count(coupons_redeemed)),
        (
            &attach,
            Target::Ratio(sales::attach_rate(with_accessory, orders)?),
        ),
        (&shared_revenue, Target::Money(revenue)),
    ] {
        let a = g.assess(actual, on)?;
        println!(
            "  {:<12} ({:<9}) target {:<14} attainment {:<7} pace {:<8} projected {}",
            g.metric(),
            g.owner().id(),
            g.target().to_string(),
            a.attainment.map_or("-".into(), percent),
            a.pace.map_or("-".into(), |p| p.to_string()),
            a.projected
                .map_or("-".into(), |p| p.round_dp(0).to_string()),
        );
    }
    let card = Scorecard::new(vec![redemptions, attach, shared_revenue]);
    let mistakes = detect_mistakes(&card);
    println!(
        "  mistakes found: {}",
        if mistakes.is_empty() {
            "none (a shared revenue goal ties the teams together)".to_string()
        } else {
            mistakes
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        }
    );
    Ok(())
}

/// An attainment as people read it: `74%`.
fn percent(m: revops::Multiple) -> String {
    m.as_percent()
        .map_or("-".into(), |p| format!("{}%", p.round_dp(0)))
}
