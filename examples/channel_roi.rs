//! Which channels pay? Campaign costs per channel, customer journeys and
//! their revenue, attribution, and the ROI table per channel.
//!
//! Run with `cargo run --example channel_roi`.

use revops::attribution::roi::roi_report;
use revops::attribution::{attribute, Model, Records};
use revops::dec;
use revops::journey::{Channel, Conversion, Journey, Touchpoint, TouchpointKind as K};
use revops::quantity::FxRates;
use revops::{Currency, Money};
use revops::{TimeDelta, TimeZone, Utc};

/// One journey to build: its touches and the sale, if any.
type Plan = (&'static [(&'static str, K)], Option<revops::Decimal>);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sar = |a| Money::new(a, Currency::SAR);
    let start = Utc
        .with_ymd_and_hms(2026, 4, 1, 9, 0, 0)
        .single()
        .ok_or("bad date")?;
    let at = |h: i64| start + TimeDelta::hours(h);
    let ch = |n: &str| Channel::new(n);
    println!("A quarter of campaigns for an online shop (amounts in SAR; one EUR invoice)\n");

    // Journeys: touches and, for those who bought, the sale.
    let mut journeys = Vec::new();
    let plans: [Plan; 6] = [
        (
            &[
                ("social", K::Impression),
                ("search", K::Click),
                ("email", K::EmailOpen),
            ],
            Some(dec!(1200)),
        ),
        (
            &[("search", K::Click), ("search", K::Visit)],
            Some(dec!(800)),
        ),
        (&[("social", K::Impression), ("social", K::Click)], None),
        (
            &[("email", K::EmailOpen), ("search", K::Click)],
            Some(dec!(450)),
        ),
        (
            &[
                ("influencer", K::ContentView),
                ("social", K::Click),
                ("search", K::Click),
            ],
            Some(dec!(2100)),
        ),
        (&[("influencer", K::ContentView)], None),
    ];
    for (i, (touches, sale)) in plans.iter().enumerate() {
        let base = i as i64 * 24;
        let tps = touches
            .iter()
            .enumerate()
            .map(|(k, (c, kind))| Ok(Touchpoint::new(at(base + k as i64 * 5), ch(c)?, *kind)))
            .collect::<Result<Vec<_>, revops::Error>>()?;
        let j = Journey::new(tps);
        journeys.push(match sale {
            Some(v) => j.with_conversion(Conversion {
                at: at(base + 20),
                value: sar(*v),
            })?,
            None => j,
        });
    }

    let credit = attribute(
        Records::Journeys(&journeys),
        &Model::position_based(),
        Currency::SAR,
    )?;

    // Campaign costs per channel; the influencer invoiced in EUR.
    let mut fx = FxRates::new(Currency::SAR);
    fx.set(Currency::EUR, dec!(4.05))?;
    let spend = [
        (ch("search")?, sar(dec!(900))),
        (ch("social")?, sar(dec!(700))),
        (ch("email")?, sar(dec!(150))),
        (ch("influencer")?, Money::new(dec!(300), Currency::EUR)),
        (ch("tv")?, sar(dec!(1500))),
    ];
    let report = roi_report(&credit, &spend, Currency::SAR, &fx)?;

    println!("Position-based attribution (40/20/40), ROI per channel:");
    println!(
        "  {:<11} {:>12} {:>6} {:>12} {:>9} {:>7} {:>10} {:>7}",
        "channel", "spend", "conv", "revenue", "ROI", "ROAS", "CPA", "share"
    );
    for r in &report.rows {
        println!(
            "  {:<11} {:>12} {:>6} {:>12} {:>9} {:>7} {:>10} {:>7}",
            r.channel,
            amount(r.spend)?,
            r.conversions.round_dp(2).to_string(),
            amount(r.revenue)?,
            r.roi.map_or("-".into(), |x| x.to_string()),
            r.roas.map_or("-".into(), |x| x.to_string()),
            r.cost_per_acquisition.map_or(Ok("-".into()), amount)?,
            r.revenue_share.map_or("-".into(), |x| x.to_string()),
        );
    }
    println!(
        "  {:<11} {:>12} {:>6} {:>12} {:>9}",
        "total",
        amount(report.total_spend)?,
        "",
        amount(report.total_revenue)?,
        report.total_roi.map_or("-".into(), |x| x.to_string())
    );
    println!("\nTV had spend and no attributed sales: it is shown, not dropped.");
    Ok(())
}

/// An amount rounded to the minor unit, without its currency code.
fn amount(m: Money) -> Result<String, revops::Error> {
    let r = m.round(revops::RoundingStrategy::MidpointNearestEven)?;
    Ok(r.to_string()
        .trim_end_matches(m.currency().code())
        .trim()
        .to_string())
}
