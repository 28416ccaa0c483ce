//! The pipeline flow waterfall over two CRM snapshots of 1,000,000 deals
//! (`revops_benches::snapshot_rows`: about 1.9 million rows, 18-character
//! ids), against a naive baseline, in the same run:
//!
//! - `revops_state`: every row into a `FlowState`, then `report` (the
//!   waterfall, slippage, close-date changes, stage durations and the
//!   forecast calls);
//! - `baseline_hash_join`: what a caller writes without it: the rows of
//!   each snapshot in a `HashMap` by deal id, joined, each deal's movement
//!   summed in `Money` (converted at the rates, checked sums); the
//!   waterfall only.
//!
//! The bar: the state at least 5x faster than the baseline. The run checks
//! that both give the same waterfall and prints the ratio of their medians.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use revops::pipeline::flow::{FlowSpec, FlowState, Movement, SnapshotRow};
use revops::pipeline::{DealStatus, ForecastCategory};
use revops::quantity::FxRates;
use revops::{Currency, Decimal, Money, NaiveDate, Period, TimeDelta};

struct Row {
    snap: NaiveDate,
    deal: String,
    amount: Money,
    stage: &'static str,
    close: NaiveDate,
    status: DealStatus,
    category: ForecastCategory,
}

fn rows() -> Vec<Row> {
    let snaps = [date(2026, 1, 5), date(2026, 2, 2)];
    let base = date(2025, 12, 1);
    let categories = [
        ForecastCategory::Pipeline,
        ForecastCategory::BestCase,
        ForecastCategory::Commit,
        ForecastCategory::Closed,
        ForecastCategory::Omitted,
    ];
    let statuses = [DealStatus::Open, DealStatus::Won, DealStatus::Lost];
    revops_benches::snapshot_rows(1_000_000, revops_benches::SEED)
        .into_iter()
        .map(|(d, snap, cents, stage, close, status, cat)| Row {
            snap: snaps[snap as usize],
            deal: revops_benches::deal_id(d, revops_benches::SEED),
            amount: Money::new(Decimal::new(cents, 2), Currency::USD),
            stage: revops_benches::STAGES[stage as usize],
            close: base + TimeDelta::days(i64::from(close)),
            status: statuses[status as usize],
            category: categories[cat as usize],
        })
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn spec() -> FlowSpec {
    let q1 = Period::new(date(2026, 1, 1), date(2026, 4, 1)).expect("period");
    FlowSpec::new(date(2026, 1, 5), date(2026, 2, 2), q1, Currency::USD)
}

fn revops_state(rows: &[Row], spec: &FlowSpec) -> Vec<Money> {
    let mut st = FlowState::new();
    for r in rows {
        st.add(&SnapshotRow {
            snapshot_date: r.snap,
            deal_id: &r.deal,
            amount: r.amount,
            stage: r.stage,
            close_date: r.close,
            status: r.status,
            forecast_category: r.category,
        })
        .expect("row");
    }
    let r = st.report(spec).expect("report");
    Movement::ALL.iter().map(|&m| r.amount(m)).collect()
}

/// The two snapshots in hash maps by deal id, joined; each deal's movement
/// in `Money`.
fn baseline(rows: &[Row], spec: &FlowSpec) -> Vec<Money> {
    let fx: &FxRates = &spec.fx;
    let mut at_a: HashMap<&str, &Row> = HashMap::new();
    let mut at_b: HashMap<&str, &Row> = HashMap::new();
    for r in rows {
        if r.snap == spec.from {
            at_a.insert(&r.deal, r);
        } else if r.snap == spec.to {
            at_b.insert(&r.deal, r);
        }
    }
    let c = fx.target();
    let mut sums = vec![Money::zero(c); 10];
    let conv = |m: Money| fx.convert(m).expect("rate");
    let mut add = |m: Movement, v: Money| {
        let k = m as usize;
        sums[k] = sums[k].checked_add(v).expect("sum");
    };
    let in_period = |r: &Row| spec.period.contains(r.close);
    let out = |r: &Row| match r.status {
        DealStatus::Won => Movement::Won,
        DealStatus::Lost => Movement::Lost,
        DealStatus::Open => Movement::End,
    };
    for (id, x) in &at_a {
        if x.status != DealStatus::Open || !in_period(x) {
            continue;
        }
        add(Movement::Start, conv(x.amount));
        match at_b.get(id) {
            None => add(Movement::Removed, conv(x.amount)),
            Some(y) => {
                let delta = conv(y.amount).checked_sub(conv(x.amount)).expect("delta");
                if delta.is_negative() {
                    add(Movement::Decreased, delta.negated());
                } else if !delta.is_zero() {
                    add(Movement::Increased, delta);
                }
                let m = if in_period(y) {
                    out(y)
                } else {
                    Movement::PushedOut
                };
                add(m, conv(y.amount));
            }
        }
    }
    for (id, y) in &at_b {
        if !in_period(y) {
            continue;
        }
        let x = at_a.get(id);
        if x.is_some_and(|x| x.status == DealStatus::Open && in_period(x)) {
            continue;
        }
        if x.is_some_and(|x| x.status != DealStatus::Open) && y.status != DealStatus::Open {
            continue;
        }
        let m = if x.is_some() {
            Movement::PulledIn
        } else {
            Movement::Created
        };
        add(m, conv(y.amount));
        add(out(y), conv(y.amount));
    }
    sums
}

fn bench(c: &mut Criterion) {
    let rows = rows();
    let spec = spec();
    let mut g = c.benchmark_group(format!("pipeline_flow_{}_rows", rows.len()));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("revops_state", |b| {
        b.iter(|| revops_state(black_box(&rows), &spec))
    });
    g.bench_function("baseline_hash_join", |b| {
        b.iter(|| baseline(black_box(&rows), &spec))
    });
    g.finish();
    let norm =
        |v: Vec<Money>| -> Vec<Decimal> { v.iter().map(|m| m.amount().normalize()).collect() };
    assert_eq!(
        norm(revops_state(&rows, &spec)),
        norm(baseline(&rows, &spec)),
        "the waterfall differs from the baseline's"
    );
    let median = |f: &dyn Fn()| {
        let mut t: Vec<f64> = (0..5)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed().as_secs_f64()
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[2]
    };
    let a = median(&|| {
        black_box(revops_state(&rows, &spec));
    });
    let b = median(&|| {
        black_box(baseline(&rows, &spec));
    });
    eprintln!(
        "pipeline flow: revops {:.0} ms, baseline {:.0} ms (medians of 5 each): {:.2}x faster (bar 5x)",
        a * 1e3,
        b * 1e3,
        b / a
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
