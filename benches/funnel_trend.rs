//! Funnel trends with time-to-convert histograms against the plain funnel
//! on the same events and threads, in the same run: the end-to-end
//! issue's event log (`revops_benches::events_csv`: about 10.4 million
//! events of 2,000,000 users over 90 days, five steps, a 7-day window),
//! parsed once outside the timing.
//!
//! - `plain_2_threads`, `plain_1_thread`: `analyze` with the plain spec;
//! - `weekly_trend_histograms_2_threads`, `..._1_thread`: the same spec
//!   with a weekly trend (UTC) and automatic histograms
//!   (`TimeBins::CubeRoot`) for every pair of steps.
//!
//! The bar: the trend with histograms in at most 1.25x the plain
//! analysis's time. The run prints the ratio of the two medians measured
//! here (criterion's own estimates are in `target/criterion`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use revops::csv::{read_events, ReadOptions};
use revops::funnel::{analyze, FunnelSpec, Options};
use revops::quantity::{Calendar, PeriodLength, TimeBins};
use revops::TimeDelta;

fn bench(c: &mut Criterion) {
    let bytes = revops_benches::events_csv(revops_benches::USERS, revops_benches::SEED);
    let options = ReadOptions {
        steps: Some(5),
        size_hint: Some(bytes.len() as u64),
        ..ReadOptions::default()
    };
    let read = read_events(&bytes[..], &options).expect("read");
    drop(bytes);
    let (events, channels) = (read.events, read.channels);
    let plain = FunnelSpec::new(5, TimeDelta::days(7)).expect("spec");
    let trend = plain
        .clone()
        .with_trend(Calendar::utc(PeriodLength::Week))
        .with_time_to_convert(TimeBins::CubeRoot);
    let mut g = c.benchmark_group(format!("funnel_trend_{}_events", events.len()));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(8));
    for (name, spec) in [("plain", &plain), ("weekly_trend_histograms", &trend)] {
        for threads in [2usize, 1] {
            let label = if threads == 1 {
                format!("{name}_1_thread")
            } else {
                format!("{name}_{threads}_threads")
            };
            g.bench_function(label, |b| {
                b.iter(|| {
                    analyze(
                        black_box(spec),
                        black_box(&events),
                        &channels,
                        Options::threads(threads),
                    )
                    .expect("analyze")
                })
            });
        }
    }
    g.finish();
    // The trend adds up to the plain report (checked once, outside the
    // timing), and the ratio of medians of interleaved runs.
    let p = analyze(&plain, &events, &channels, Options::threads(2)).expect("analyze");
    let t = analyze(&trend, &events, &channels, Options::threads(2)).expect("analyze");
    assert_eq!(p.steps, t.steps);
    for k in 0..5 {
        let sum: u64 = t.trend.iter().map(|w| w.steps[k].users).sum();
        assert_eq!(sum, p.steps[k].users);
    }
    let time = |spec: &FunnelSpec| {
        let start = Instant::now();
        black_box(analyze(spec, &events, &channels, Options::threads(2)).expect("analyze"));
        start.elapsed().as_secs_f64()
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        a.push(time(&plain));
        b.push(time(&trend));
    }
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    eprintln!(
        "funnel_trend: {} weeks; plain {:.1} ms, weekly trend with histograms {:.1} ms (median of 9 interleaved, 2 threads): {:.3}x (bar 1.25x)",
        t.trend.len(),
        a[4] * 1e3,
        b[4] * 1e3,
        b[4] / a[4]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
