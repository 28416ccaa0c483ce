//! A software company: educational webinars about its CRM attract small
//! businesses (marketing); the sales team contacts interested companies and
//! gives tailored demos to convert them to subscriptions (sales).
//!
//! Run with `cargo run --example software_company`.

use revops::dec;
use revops::journey::{Channel, Lead, LeadSource, LifecycleStage as L, Team};
use revops::metrics::{alignment, customer, marketing, sales};
use revops::playbook::{strategy_for, Complexity, DealValue};
use revops::{Currency, Money, Ratio};
use revops::{TimeDelta, TimeZone, Utc};

fn main() -> Result<(), revops::Error> {
    let usd = |a| Money::new(a, Currency::USD);
    println!("CRM software company, one quarter\n");

    // Marketing: webinars.
    let registrations = 1_200;
    let attendees = 540; // leads
    let mqls = 180;
    let webinar_spend = usd(dec!(18000));
    println!("Marketing: webinars");
    println!(
        "  registrations {registrations}, attendees {attendees} ({} showed up)",
        Ratio::from_counts(attendees, registrations)?
    );
    println!(
        "  lead-to-MQL rate {}",
        marketing::lead_to_mql_rate(mqls, attendees)?
    );
    println!(
        "  cost per lead    {}",
        marketing::cost_per_lead(webinar_spend, attendees)?
            .round(revops::RoundingStrategy::MidpointNearestEven)?
    );

    // The hand-off, on one lead: marketing passes its interests along.
    let t = |h| {
        Utc.with_ymd_and_hms(2026, 2, 3, 9, 0, 0)
            .single()
            .map(|x| x + TimeDelta::hours(h))
            .unwrap_or_default()
    };
    let source = LeadSource {
        channel: Channel::new("webinar")?,
        sourced_by: Team::Marketing,
    };
    let mut lead = Lead::new("acme-bakery", t(0), L::Lead, source);
    lead.add_interest("pipeline view for 6 sales reps");
    lead.advance(L::MarketingQualifiedLead, t(20))?;
    lead.hand_off(t(21))?;
    lead.record_first_contact(t(23))?;
    lead.accept(t(24))?;
    lead.advance(L::Opportunity, t(72))?;
    println!(
        "\nHand-off of lead {}: interests {}",
        lead.id(),
        lead.interests().join(", ")
    );
    println!(
        "  now {} (owned by {}), speed to lead {} h",
        lead.stage(),
        lead.stage().owner(),
        lead.speed_to_lead().map_or(0, |d| d.num_hours())
    );

    // Sales: demos and subscriptions.
    let accepted = 150;
    let demos = 120;
    let won = 36;
    let lost = 60;
    let new_mrr = usd(dec!(21600)); // monthly recurring revenue won
    println!("\nSales: demos");
    println!(
        "  MQLs accepted    {}",
        alignment::mql_acceptance_rate(accepted, mqls)?
    );
    println!(
        "  win rate         {} (closed deals), close rate {} (all demos)",
        sales::win_rate(won, lost)?,
        sales::close_rate(won, demos)?
    );
    let mrr_per_customer = sales::average_deal_size(new_mrr, won)?;
    println!("  average new MRR  {mrr_per_customer}");
    let cycles: Vec<TimeDelta> = [18, 25, 31, 40, 22, 35].map(TimeDelta::days).to_vec();
    let cycle = sales::sales_cycle_length(&cycles)?;
    println!(
        "  sales cycle      median {} days, mean {} days",
        cycle.median.num_days(),
        cycle.mean.num_days()
    );

    // Together: unit economics.
    let sales_spend = usd(dec!(45000));
    let cac = customer::customer_acquisition_cost(webinar_spend, sales_spend, won)?;
    let ltv = customer::customer_lifetime_value(
        mrr_per_customer,
        Ratio::new(dec!(0.8))?,
        Ratio::new(dec!(0.025))?,
    )?;
    println!("\nTogether");
    println!(
        "  lead-to-customer {}",
        sales::lead_to_customer_rate(won, attendees)?
    );
    println!(
        "  CAC {}  LTV {}  LTV:CAC {}",
        cac.round(revops::RoundingStrategy::MidpointNearestEven)?,
        ltv.round(revops::RoundingStrategy::MidpointNearestEven)?,
        customer::ltv_to_cac(ltv, cac)?
    );
    println!(
        "  CAC payback {} months",
        customer::cac_payback_months(cac, mrr_per_customer, Ratio::new(dec!(0.8))?)?.round_dp(1)
    );
    let s = strategy_for(Complexity::Complex, DealValue::High).decision;
    println!("  playbook for complex, high-value software: {s}");
    Ok(())
}
