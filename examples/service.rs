//! A service's revenue endpoint, written against revops the way a backend
//! would: its own data in its own shapes (UUID-like string ids,
//! `DateTime<Utc>`, event, step and channel names, EUR amounts), one JSON
//! document out. No id maps, step tables or channel interners are kept by
//! hand: revops takes the data as it comes.
//!
//! ```sh
//! cargo run --example service
//! ```
//!
//! The data is made up in code (seeded), standing in for what the service
//! would read from its database.

use std::collections::BTreeMap;

use revops::attribution::{attribute, Model, Records};
use revops::funnel::{Event, FunnelInput, FunnelSpec, Options};
use revops::journey::{Channel, Conversion, Journey, Team, Touchpoint, TouchpointKind};
use revops::metrics::{Arg, Metric};
use revops::pipeline::{report, Deal, DealStatus, PipelineSpec};
use revops::quantity::{Period, TimeUnit};
use revops::{dec, Currency, DateTime, Money, NaiveDate, TimeDelta, TimeZone, Utc};

/// A row of the service's event table.
struct EventRow {
    user_id: String,
    at: DateTime<Utc>,
    name: &'static str,
    utm_source: &'static str,
}

/// A tiny seeded generator (xorshift), so every run sees the same data.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn uuid(rng: &mut Rng) -> String {
    let mut hex = || format!("{:08x}", rng.below(1 << 32));
    format!("{}-{}-4{}", hex(), &hex()[..4], &hex()[..3])
}

fn events(rng: &mut Rng, start: DateTime<Utc>) -> Vec<EventRow> {
    let sources = ["google", "newsletter", "linkedin", "partner"];
    let steps = ["landing_view", "signup", "activation", "subscription"];
    let mut rows = Vec::new();
    for _ in 0..400 {
        let user_id = uuid(rng);
        let source = sources[rng.below(4) as usize];
        // Milliseconds, as the service's clickstream records them.
        let mut at = start + TimeDelta::milliseconds(rng.below(30 * 86_400_000) as i64);
        for (k, step) in steps.iter().enumerate() {
            if k > 0 && rng.below(100) < 40 {
                break;
            }
            rows.push(EventRow {
                user_id: user_id.clone(),
                at,
                name: step,
                utm_source: source,
            });
            if rng.below(100) < 30 {
                // Noise: page views that are no step of the funnel.
                let later = at + TimeDelta::milliseconds(1_250);
                rows.push(EventRow {
                    user_id: user_id.clone(),
                    at: later,
                    name: "page_view",
                    utm_source: source,
                });
            }
            at += TimeDelta::milliseconds(rng.below(3 * 86_400_000) as i64);
        }
    }
    rows
}

fn journeys(rng: &mut Rng, start: DateTime<Utc>) -> revops::Result<Vec<Journey>> {
    let channels = ["google", "newsletter", "linkedin", "partner"];
    let mut out = Vec::new();
    for _ in 0..60 {
        let touches: Vec<Touchpoint> = (0..1 + rng.below(4))
            .map(|i| {
                let at = start + TimeDelta::hours((i * 30 + rng.below(24)) as i64);
                let ch = Channel::new(channels[rng.below(4) as usize])?;
                Ok(Touchpoint::new(at, ch, TouchpointKind::Click))
            })
            .collect::<revops::Result<_>>()?;
        let mut j = Journey::new(touches);
        if rng.below(3) == 0 {
            let value = Money::new(
                dec!(49.90) * revops::Decimal::from(1 + rng.below(5)),
                Currency::EUR,
            );
            j = j.with_conversion(Conversion {
                at: start + TimeDelta::days(10),
                value,
            })?;
        }
        out.push(j);
    }
    Ok(out)
}

fn deals(start: DateTime<Utc>) -> revops::Result<Vec<Deal>> {
    let eur = |v| Money::new(v, Currency::EUR);
    Ok(vec![
        Deal::builder("D-1001")
            .created(start)
            .won_at(start + TimeDelta::days(21))
            .amount(eur(dec!(12_000)))
            .stage("closed")
            .source(Team::Marketing)
            .build()?,
        Deal::builder("D-1002")
            .created(start + TimeDelta::days(3))
            .lost_at(start + TimeDelta::days(40))
            .amount(eur(dec!(8_500)))
            .stage("closed")
            .source(Team::Marketing)
            .build()?,
        Deal::builder("D-1003")
            .created(start + TimeDelta::days(9))
            .won_at(start + TimeDelta::days(50))
            .amount(eur(dec!(23_400)))
            .stage("closed")
            .source(Team::Marketing)
            .build()?,
        Deal::builder("D-1004")
            .created(start + TimeDelta::days(30))
            .amount(eur(dec!(15_000)))
            .stage("proposal")
            .source(Team::Sales)
            .probability(revops::Ratio::from_counts(3, 5)?)
            .build()?,
    ])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng(0x5eed);
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .ok_or("start")?;

    // 1. The signup funnel, straight from the event table: string user
    //    ids, millisecond timestamps, event names, broken down by source.
    let spec = FunnelSpec::named(
        ["landing_view", "signup", "activation", "subscription"],
        TimeDelta::days(14),
    )?
    .with_unit(TimeUnit::Millisecond)?;
    let rows = events(&mut rng, start);
    let mut input = FunnelInput::<String>::new(&spec);
    input.extend(rows.iter().map(|r| Event {
        user: r.user_id.as_str(),
        at: r.at,
        event: r.name,
        by: r.utm_source,
    }))?;
    let funnel = input.analyze(Options::default())?;

    // 2. Attribution of EUR revenue to channels, by name, every model the
    //    marketing team asked for, chosen by their names.
    let js = journeys(&mut rng, start)?;
    let mut attribution = BTreeMap::new();
    for name in ["last_touch", "position_based", "markov:1"] {
        let model: Model = name.parse()?;
        attribution.insert(
            name,
            attribute(Records::Journeys(&js), &model, Currency::EUR)?,
        );
    }

    // 3. The quarter's pipeline from the CRM's deals.
    let q1 = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?,
        NaiveDate::from_ymd_opt(2026, 4, 1).ok_or("date")?,
    )?;
    let ds = deals(start)?;
    let pipeline = report(
        PipelineSpec::new(
            q1,
            NaiveDate::from_ymd_opt(2026, 3, 15).ok_or("date")?,
            Currency::EUR,
        ),
        &ds,
    )?;

    // 4. Five catalogue metrics by id, inputs by name, from the figures above.
    let won = ds.iter().filter(|d| d.status() == DealStatus::Won).count() as u64;
    let lost = ds.iter().filter(|d| d.status() == DealStatus::Lost).count() as u64;
    let signups = funnel.steps[1].users;
    let subscribed = funnel.steps[3].users;
    let spend = Money::new(dec!(4_800), Currency::EUR);
    let mut metrics = BTreeMap::new();
    let asks: [(&str, Vec<(&str, Arg)>); 5] = [
        (
            "win_rate",
            vec![("lost", Arg::Count(lost)), ("won", Arg::Count(won))],
        ),
        (
            "lead_to_customer_rate",
            vec![
                ("leads", Arg::Count(signups)),
                ("new_customers", Arg::Count(subscribed)),
            ],
        ),
        (
            "cost_per_lead",
            vec![("spend", Arg::Money(spend)), ("leads", Arg::Count(signups))],
        ),
        (
            "cost_per_acquisition",
            vec![
                ("acquisitions", Arg::Count(subscribed)),
                ("spend", Arg::Money(spend)),
            ],
        ),
        (
            "average_deal_size",
            vec![
                ("won_deals", Arg::Count(pipeline.won_count)),
                (
                    "won_revenue",
                    Arg::Money(pipeline.won_revenue.ok_or("won revenue")?),
                ),
            ],
        ),
    ];
    for (id, args) in asks {
        let metric = Metric::from_id(id)?;
        metrics.insert(id, metric.evaluate_named(args)?);
    }

    // One JSON document, as the endpoint would send it.
    let body = serde_json::json!({
        "funnel": funnel,
        "attribution": attribution,
        "pipeline": pipeline,
        "metrics": metrics,
        "funnel_state": input.state()?,
    });
    println!("{}", serde_json::to_string_pretty(&body)?);
    // Checks, so that CI's run of the example fails if the service's
    // numbers stop adding up: credits add back to the revenue exactly.
    let revenue: revops::Decimal = js
        .iter()
        .filter_map(|j| j.conversion().map(|c| c.value.amount()))
        .sum();
    for (name, r) in &attribution {
        let credited: revops::Decimal = r.channels.iter().map(|c| c.value.amount()).sum();
        assert_eq!(credited, revenue, "{name}");
    }
    Ok(())
}
