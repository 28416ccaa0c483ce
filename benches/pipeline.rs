//! The pipeline report over 1,000,000 deals, without and with four-entry
//! stage histories, against a straightforward baseline (collect per group
//! into `Vec`s, then compute), in the same run.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use common::Rng;
use criterion::{criterion_group, criterion_main, Criterion};
use revops::journey::Team;
use revops::pipeline::{report, Deal, DealStatus, ForecastCategory, PipelineSpec, StageEntry};
use revops::{Currency, Decimal, Money, Period, Ratio};
use revops::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};

const STAGES: [&str; 5] = ["discovery", "qualify", "proposal", "negotiation", "closing"];

fn generate(n: usize, histories: bool) -> Vec<Deal> {
    let mut rng = Rng(0x0009_19e1_17e5);
    let base: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 10, 1, 0, 0, 0)
        .single()
        .expect("date");
    (0..n)
        .map(|i| {
            let created = base + TimeDelta::hours(rng.below(24 * 180) as i64);
            let s = rng.below(10);
            let (status, closed) = match s {
                0..=3 => (DealStatus::Open, None),
                4..=6 => (
                    DealStatus::Won,
                    Some(created + TimeDelta::hours(24 + rng.below(24 * 90) as i64)),
                ),
                _ => (
                    DealStatus::Lost,
                    Some(created + TimeDelta::hours(24 + rng.below(24 * 90) as i64)),
                ),
            };
            let stage = STAGES[rng.below(5) as usize];
            let amount = Money::new(
                Decimal::new(100_000 + rng.below(10_000_000) as i64, 2),
                Currency::USD,
            );
            let p = Ratio::from_counts(rng.below(101), 100).expect("ratio");
            let f = [
                ForecastCategory::Pipeline,
                ForecastCategory::BestCase,
                ForecastCategory::Commit,
                ForecastCategory::Omitted,
            ][rng.below(4) as usize];
            let src = if rng.below(2) == 0 {
                Team::Marketing
            } else {
                Team::Sales
            };
            let d = Deal::new(
                format!("D{i}"),
                created,
                closed,
                status,
                amount,
                stage,
                p,
                f,
                src,
            )
            .expect("deal");
            if histories {
                let mut at = created;
                let h = (0..4)
                    .map(|k| {
                        let e = StageEntry {
                            stage: STAGES[k].to_string(),
                            entered_at: at,
                        };
                        at += TimeDelta::hours(1 + rng.below(100) as i64);
                        e
                    })
                    .collect();
                d.with_history(h).expect("history")
            } else {
                d
            }
        })
        .collect()
}

/// The baseline: filter into per-group `Vec`s, then compute each figure.
fn baseline(
    deals: &[Deal],
    period: Period,
    as_of: NaiveDate,
) -> (usize, usize, Decimal, Decimal, HashMap<String, Vec<i64>>) {
    let won: Vec<&Deal> = deals
        .iter()
        .filter(|d| {
            d.status() == DealStatus::Won
                && d.closed().is_some_and(|c| period.contains(c.date_naive()))
        })
        .collect();
    let lost: Vec<&Deal> = deals
        .iter()
        .filter(|d| {
            d.status() == DealStatus::Lost
                && d.closed().is_some_and(|c| period.contains(c.date_naive()))
        })
        .collect();
    let open: Vec<&Deal> = deals
        .iter()
        .filter(|d| d.status() == DealStatus::Open && d.created().date_naive() <= as_of)
        .collect();
    let revenue: Decimal = won.iter().map(|d| d.amount().amount()).sum();
    let weighted: Decimal = open
        .iter()
        .map(|d| d.amount().amount() * d.probability().value())
        .sum();
    let mut cycles: Vec<i64> = won
        .iter()
        .filter_map(|d| d.cycle())
        .map(|c| c.num_seconds())
        .collect();
    cycles.sort_unstable();
    let mut by_stage: HashMap<String, Vec<i64>> = HashMap::new();
    for d in deals {
        for w in d.history().windows(2) {
            by_stage
                .entry(w[0].stage.clone())
                .or_default()
                .push((w[1].entered_at - w[0].entered_at).num_seconds());
        }
    }
    for v in by_stage.values_mut() {
        v.sort_unstable();
    }
    (
        won.len(),
        lost.len() + open.len(),
        revenue,
        weighted,
        by_stage,
    )
}

fn bench(c: &mut Criterion) {
    let period = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"),
    )
    .expect("period");
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
    for histories in [false, true] {
        let deals = generate(1_000_000, histories);
        let name = if histories {
            "pipeline_1m_deals_4_entry_histories"
        } else {
            "pipeline_1m_deals"
        };
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(5));
        g.bench_function("revops_report", |b| {
            b.iter(|| {
                report(
                    PipelineSpec::new(period, as_of, Currency::USD),
                    black_box(&deals),
                )
                .expect("report")
            })
        });
        g.bench_function("baseline_vecs", |b| {
            b.iter(|| baseline(black_box(&deals), period, as_of))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
