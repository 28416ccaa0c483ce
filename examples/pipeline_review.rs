//! A sales leader's Monday pipeline review, from the CRM's weekly exports:
//! what moved in the quarter's pipeline since the first week (created,
//! pulled in, grown, shrunk, pushed out, won, lost, removed), which deals
//! slipped, how long deals sit in each stage, and how good each week's
//! commit call was against what the quarter closed.
//!
//! Run with `cargo run --example pipeline_review`.

use revops::pipeline::flow::{FlowSpec, FlowState, ForecastAccuracy, Movement, SnapshotRow};
use revops::pipeline::{DealStatus, ForecastCategory};
use revops::quantity::FxRates;
use revops::{dec, Currency, Money, NaiveDate, Period, RoundingStrategy, TimeDelta};

/// One deal's life, week by week: (week, amount, stage, close date, status).
type Life = Vec<(i64, &'static str, &'static str, NaiveDate, DealStatus)>;

fn main() -> Result<(), revops::Error> {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    let monday = |w: i64| day(1, 5) + TimeDelta::weeks(w);
    let q1 = Period::new(day(1, 1), day(4, 1))?;
    use DealStatus::{Lost, Open, Won};
    // Thirteen Mondays of exports (January 5 to March 30) and one after the
    // quarter (April 6), for eight deals.
    let deals: [(&str, &str, Life); 8] = [
        (
            "Acme renewal",
            "USD",
            vec![
                (0, "40000", "proposal", day(2, 27), Open),
                (3, "40000", "negotiation", day(2, 27), Open),
                (7, "42000", "closed won", day(2, 20), Won),
            ],
        ),
        (
            "Bolt expansion",
            "USD",
            vec![
                (0, "25000", "discovery", day(3, 20), Open),
                (2, "25000", "proposal", day(3, 27), Open),
                (5, "30000", "proposal", day(4, 24), Open), // pushed out of Q1
            ],
        ),
        (
            "Cedar new logo",
            "EUR",
            vec![
                (1, "18000", "discovery", day(3, 31), Open), // created in week 1
                (4, "18000", "proposal", day(3, 15), Open),
                (9, "18000", "closed won", day(3, 10), Won),
            ],
        ),
        (
            "Delta pilot",
            "USD",
            vec![
                (0, "12000", "proposal", day(3, 6), Open),
                (6, "12000", "closed lost", day(2, 12), Lost),
            ],
        ),
        (
            "Echo upsell",
            "USD",
            vec![
                (0, "9000", "negotiation", day(5, 15), Open), // Q2 at first...
                (4, "9000", "negotiation", day(3, 20), Open), // ...pulled into Q1
                (11, "9000", "closed won", day(3, 19), Won),
            ],
        ),
        (
            "Fjord trial",
            "USD",
            vec![
                (0, "6000", "discovery", day(3, 31), Open),
                (3, "6000", "discovery", day(3, 31), Open), // gone after week 3
            ],
        ),
        (
            "Gale migration",
            "USD",
            vec![
                (0, "30000", "proposal", day(2, 13), Open),
                (2, "30000", "proposal", day(2, 27), Open), // pushed...
                (5, "24000", "negotiation", day(3, 27), Open), // ...and again, smaller
            ],
        ),
        (
            "Harbor services",
            "USD",
            vec![
                (0, "15000", "negotiation", day(3, 13), Open),
                (8, "15000", "closed won", day(3, 2), Won),
            ],
        ),
    ];
    let commit = |stage: &str, status| match (stage, status) {
        (_, Won) | (_, Lost) => ForecastCategory::Closed,
        ("negotiation", _) => ForecastCategory::Commit,
        ("proposal", _) => ForecastCategory::BestCase,
        _ => ForecastCategory::Pipeline,
    };
    // Each life holds the weeks a deal changed; the export repeats its last
    // state every Monday (closed deals stay in the CRM) unless it left.
    let mut state = FlowState::new();
    for (id, currency, life) in &deals {
        let removed = id.starts_with("Fjord");
        for (k, &(from, amount, stage, close, status)) in life.iter().enumerate() {
            let last = match life.get(k + 1) {
                Some(next) => next.0 - 1,
                None if removed => from,
                None => 13,
            };
            for w in from..=last {
                state.add(&SnapshotRow {
                    snapshot_date: monday(w),
                    deal_id: id,
                    amount: Money::parse(amount, currency)?,
                    stage,
                    close_date: close,
                    status,
                    forecast_category: commit(stage, status),
                })?;
            }
        }
    }
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, dec!(1.08))?;
    let cents = |m: Money| m.round(RoundingStrategy::MidpointNearestEven);

    // Week 0 to week 8 (January 5 to March 2).
    let spec = FlowSpec::new(monday(0), monday(8), q1, Currency::USD)
        .with_fx(fx.clone())
        .listing_deals();
    let r = state.report(&spec)?;
    println!("Q1 pipeline, {} to {}:", r.from, r.to);
    // Listed: the spec asked for them.
    let Some(listed) = r.deals.as_ref() else {
        return Ok(());
    };
    for m in Movement::ALL {
        let sign = match m {
            Movement::Start | Movement::End => "=",
            _ if m.adds() => "+",
            _ => "-",
        };
        println!(
            "  {sign} {:<10} {:>14}  {}",
            m.name(),
            cents(r.amount(m))?.to_string(),
            listed.movements.get(m).join(", ")
        );
    }
    println!(
        "  {} deals slipped ({}); {} close-date pushes of {} days in all; pushed more than once: {}",
        r.slipped_deals,
        listed.slipped.join(", "),
        r.close_date_changes.pushes,
        r.close_date_changes.days_pushed,
        listed.pushed_more_than_once.join(", ")
    );

    println!(
        "\nDays in stage (weekly exports: to within {} days):",
        r.stage_durations.resolution_days.unwrap_or(0)
    );
    for s in &r.stage_durations.stages {
        let median = s
            .median_days
            .map_or("-".into(), |d| d.round_dp(1).to_string());
        println!(
            "  {:<12} median {:>5} days over {} stays ({} still open in it)",
            s.stage, median, s.measured, s.censored
        );
    }

    let quarter = state.forecasts(&[q1], &fx)?;
    let q = &quarter[0];
    println!(
        "\nCommit calls against {} won by {}:",
        cents(q.actual_won)?,
        q.final_snapshot.map_or("-".into(), |d| d.to_string())
    );
    for c in q.calls.iter().step_by(2) {
        let ape = c
            .commit_ape
            .map_or("-".into(), |a| format!("{:.1}%", a.value() * dec!(100)));
        println!(
            "  {}  commit {:>14}  off by {ape}",
            c.snapshot,
            cents(c.commit)?.to_string()
        );
    }
    let acc = ForecastAccuracy::over(&quarter, None)?;
    let pct =
        |d: Option<revops::Decimal>| d.map_or("-".into(), |d| format!("{:.1}%", d * dec!(100)));
    println!(
        "  over the quarter: MAPE {}, bias {} (below zero: the calls were low)",
        pct(acc.commit_mape.map(|m| m.value())),
        pct(acc.commit_bias.map(|b| b.value()))
    );
    Ok(())
}
