//! Growth on hostile shapes (hardening 2): each case at n and 10n, so the
//! growth is visible in one run. Linear cases should take about 10x at
//! 10n; before the fixes these were quadratic or worse.
//!
//! * `strict_once_one_user`: one user with alternating step 0/1 events
//!   under `strict_once` (2,000 events took over 5 minutes before).
//! * `pipeline_distinct_stages`: open deals with distinct stage names
//!   (100,000 took 28 s before).
//! * `scorecard_conflicts`: goals on shared metrics (1,200 took 14 s).
//! * `journey_one_instant`: touches at one instant, half of them duplicates.
//! * `markov_channels`: order 1 over 5,000 paths of 12 touches. The
//!   removal effects need one solve per channel; components of more than
//!   256 states are solved iteratively, so this grows about as channels ×
//!   edges × sweeps. Set `REVOPS_BENCH_SLOW=1` for 300 and 3,000 channels
//!   (minutes); the default is 30 and 300.
//! * `shapley_rate_journeys_channels`: conversion-rate Shapley over n
//!   journeys of 3 touches drawn from n channels (past its exact limit it
//!   samples coalitions, each valued over every journey): about 10x at
//!   10n here, and about a minute at 100,000 journeys over 100,000
//!   channels, the slowest case after Markov's. Set `REVOPS_BENCH_SLOW=1`
//!   for 3,000 and 30,000; the default is 300 and 3,000.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::Rng;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use revops::attribution::{attribute, Model, PathRow, Records};
use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Modes, Options};
use revops::journey::{
    Channel, ChannelId, Channels, Journey, Ownership, Team, Touchpoint, TouchpointKind,
};
use revops::metrics::{Metric, Unit};
use revops::objective::{Direction, Goal, GoalKind, Objective, SalesObjective, Scorecard, Target};
use revops::pipeline::{report, Deal, DealStatus, ForecastCategory, PipelineSpec};
use revops::{Currency, Decimal, Money, Period, Ratio};
use revops::{NaiveDate, TimeDelta, TimeZone, Utc};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));

    let mut channels = Channels::new();
    channels.intern_str("web").unwrap();
    let spec = FunnelSpec::new(3, TimeDelta::days(365))
        .unwrap()
        .with_modes(Modes {
            strict_once: true,
            ..Modes::default()
        })
        .unwrap();
    for n in [3_000i64, 30_000] {
        let events: Vec<FunnelEvent> = (0..n)
            .map(|i| FunnelEvent::new(1, i, (i % 2) as u8, ChannelId(0)))
            .collect();
        g.bench_with_input(
            BenchmarkId::new("strict_once_one_user", n),
            &events,
            |b, ev| {
                b.iter(|| analyze(&spec, black_box(ev), &channels, Options::default()).unwrap())
            },
        );
    }

    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
    let t0 = Utc.from_utc_datetime(&day(5).and_hms_opt(0, 0, 0).unwrap());
    let pspec = PipelineSpec::new(
        Period::new(day(1), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        Currency::USD,
    );
    for n in [10_000usize, 100_000] {
        let deals: Vec<Deal> = (0..n)
            .map(|i| {
                Deal::new(
                    format!("D{i}"),
                    t0,
                    None,
                    DealStatus::Open,
                    Money::new(Decimal::from(100), Currency::USD),
                    format!("stage {i}"),
                    Ratio::new(Decimal::new(5, 1)).unwrap(),
                    ForecastCategory::Pipeline,
                    Team::Sales,
                )
                .unwrap()
            })
            .collect();
        g.bench_with_input(
            BenchmarkId::new("pipeline_distinct_stages", n),
            &deals,
            |b, d| b.iter(|| report(pspec.clone(), black_box(d)).unwrap()),
        );
    }

    let june = Period::month_of(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    // Goals on the metrics counted in units (any metric works; one unit
    // keeps every target valid).
    let counted: Vec<Metric> = Metric::ALL
        .iter()
        .copied()
        .filter(|m| m.unit() == Unit::Count)
        .collect();
    for n in [1_200usize, 12_000] {
        let goals: Vec<Goal> = (0..n)
            .map(|i| {
                let (owner, dir) = match i % 3 {
                    0 => (Ownership::Marketing, Direction::HigherIsBetter),
                    1 => (Ownership::Sales, Direction::LowerIsBetter),
                    _ => (Ownership::Shared, Direction::HigherIsBetter),
                };
                Goal::new(
                    Objective::Sales(SalesObjective::Revenue),
                    counted[i % counted.len()],
                    owner,
                    Target::Count(10),
                    june,
                    dir,
                    GoalKind::Cumulative,
                )
                .unwrap()
            })
            .collect();
        let card = Scorecard::new(goals);
        g.bench_with_input(BenchmarkId::new("scorecard_conflicts", n), &card, |b, c| {
            b.iter(|| black_box(c).conflicts())
        });
    }

    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for n in [4_000usize, 40_000] {
        let touches: Vec<Touchpoint> = (0..n)
            .map(|i| {
                Touchpoint::new(
                    at,
                    Channel::new(format!("c{}", i % (n / 2))).unwrap(),
                    TouchpointKind::Click,
                )
            })
            .collect();
        g.bench_with_input(
            BenchmarkId::new("journey_one_instant", n),
            &touches,
            |b, t| b.iter(|| Journey::new(black_box(t.clone()))),
        );
    }

    let slow = std::env::var_os("REVOPS_BENCH_SLOW").is_some();
    let sizes: [u32; 2] = if slow { [300, 3_000] } else { [30, 300] };
    for channels in sizes {
        let mut rng = Rng(0x3a7c_0ffe_e000 + u64::from(channels));
        let rows = random_paths(&mut rng, 5_000, 12, channels, 3, 10);
        let reg = registry(channels);
        let model = Model::Markov { order: 1 };
        g.bench_with_input(
            BenchmarkId::new("markov_channels", channels),
            &rows,
            |b, r| b.iter(|| attribute(black_box(paths(r, &reg)), &model, Currency::USD).unwrap()),
        );
    }

    let sizes: [u32; 2] = if slow { [3_000, 30_000] } else { [300, 3_000] };
    for n in sizes {
        let mut rng = Rng(0x5a_91e7 + u64::from(n));
        let rows = random_paths(&mut rng, n, 3, n, 4, 25);
        let reg = registry(n);
        g.bench_with_input(
            BenchmarkId::new("shapley_rate_journeys_channels", n),
            &rows,
            |b, r| {
                b.iter(|| {
                    attribute(
                        black_box(paths(r, &reg)),
                        &Model::ShapleyRate,
                        Currency::USD,
                    )
                    .unwrap()
                })
            },
        );
    }
    g.finish();
}

/// `rows` path rows of `touches` channels drawn from `channels`, one in
/// `one_in` converted with value `value` USD.
/// The registry of [`random_paths`]' channels: `c0` to `c{n-1}`.
fn registry(n: u32) -> Channels {
    let mut ch = Channels::new();
    for i in 0..n {
        ch.intern_str(&format!("c{i}")).unwrap();
    }
    ch
}

fn paths<'a>(rows: &'a [PathRow], channels: &'a Channels) -> Records<'a> {
    Records::Paths { rows, channels }
}

fn random_paths(
    rng: &mut Rng,
    rows: u32,
    touches: usize,
    channels: u32,
    one_in: u64,
    value: i64,
) -> Vec<PathRow> {
    (0..rows)
        .map(|_| {
            let path = (0..touches)
                .map(|_| ChannelId(rng.below(u64::from(channels)) as u32))
                .collect();
            let converted = rng.below(one_in) == 0;
            let value = Decimal::from(if converted { value } else { 0 });
            PathRow::new(
                path,
                u64::from(converted),
                Money::new(value, Currency::USD),
                u64::from(!converted),
            )
        })
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
