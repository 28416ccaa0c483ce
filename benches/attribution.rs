//! Attribution over 1,000,000 journeys of 1 to 8 touches over 12 channels,
//! held in memory in the compact form (one row per journey), against a
//! straightforward baseline (per-journey `HashMap` credit accumulation in
//! `f64`), in the same run.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use common::Rng;
use criterion::{criterion_group, criterion_main, Criterion};
use revops::attribution::{attribute, Model, PathRow, Records};
use revops::journey::{ChannelId, Channels};
use revops::{Currency, Decimal, Money};

fn generate(n: usize) -> Vec<PathRow> {
    let mut rng = Rng(0x0a77_0b07_10a5);
    (0..n)
        .map(|_| {
            let len = 1 + rng.below(8) as usize;
            let path: Vec<ChannelId> = (0..len)
                .map(|_| {
                    // Skewed channel popularity.
                    let r = rng.below(144);
                    ChannelId((r as f64).sqrt() as u32)
                })
                .collect();
            // Conversion more likely on longer paths and with channel 3.
            let p = 3 + 2 * len as u64 + if path.contains(&ChannelId(3)) { 6 } else { 0 };
            let converted = rng.below(100) < p;
            let value = if converted {
                Decimal::new(1000 + rng.below(50_000) as i64, 2)
            } else {
                Decimal::ZERO
            };
            PathRow::new(
                path,
                u64::from(converted),
                Money::new(value, Currency::USD),
                u64::from(!converted),
            )
        })
        .collect()
}

/// The baseline: first, last and linear credits accumulated per journey in
/// a `HashMap<channel, f64>` (no exactness guarantee).
fn baseline_heuristics(rows: &[PathRow]) -> [HashMap<u32, f64>; 3] {
    let mut out = [HashMap::new(), HashMap::new(), HashMap::new()];
    for r in rows {
        if r.conversions == 0 {
            continue;
        }
        let v = r.value.amount().to_string().parse::<f64>().unwrap_or(0.0);
        *out[0].entry(r.path[0].0).or_insert(0.0) += v;
        *out[1].entry(r.path[r.path.len() - 1].0).or_insert(0.0) += v;
        let share = v / r.path.len() as f64;
        for c in &r.path {
            *out[2].entry(c.0).or_insert(0.0) += share;
        }
    }
    out
}

/// The registry of the generated rows' channels: `c0` to `c11`.
fn registry() -> Channels {
    let mut ch = Channels::new();
    for i in 0..12 {
        ch.intern_str(&format!("c{i}")).unwrap();
    }
    ch
}

fn bench(c: &mut Criterion) {
    let rows = generate(1_000_000);
    let channels = registry();
    let input = Records::Paths {
        rows: &rows,
        channels: &channels,
    };
    let run = |model: &Model| attribute(black_box(input), model, Currency::USD);
    let mut g = c.benchmark_group("attribution_1m_journeys");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("heuristics_first_last_linear", |b| {
        b.iter(|| {
            let f = run(&Model::FirstTouch);
            let l = run(&Model::LastTouch);
            let n = run(&Model::Linear);
            (f, l, n)
        })
    });
    g.bench_function("baseline_hashmap_heuristics", |b| {
        b.iter(|| baseline_heuristics(black_box(&rows)))
    });
    g.bench_function("markov_order_1", |b| {
        b.iter(|| run(&Model::Markov { order: 1 }))
    });
    g.bench_function("markov_order_3", |b| {
        b.iter(|| run(&Model::Markov { order: 3 }))
    });
    g.bench_function("shapley_simplified", |b| b.iter(|| run(&Model::Shapley)));
    g.bench_function("shapley_conversion_rate", |b| {
        b.iter(|| run(&Model::ShapleyRate))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
