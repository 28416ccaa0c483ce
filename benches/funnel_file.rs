//! The funnel tool's whole path, bytes to report, on the end-to-end
//! issue's event log (`revops_benches::events_csv`: about 10.4 million
//! rows of 2,000,000 users with 15-digit ids, 370 MB, in time order with
//! 3% late; the same generator `examples/gen_events.rs` writes to a file
//! for `revops funnel` and ClickHouse), held in memory so the disk is not timed:
//!
//! - `bytes_to_report`: `revops::csv::read_events` then `analyze_in_place`
//!   on two threads, what `revops funnel FILE --steps 5` does;
//! - `parse`, `analysis_in_place_2_threads`: its parts, the analysis from
//!   the parsed events in file order (the tool's `analyse_ms`; each
//!   iteration gets a fresh copy of the events, made outside the timing);
//! - `analysis_2_threads`, `analysis_1_thread`: `analyze_parallel` and
//!   `analyze` from borrowed events (records of their own);
//! - `baseline_lines_split_parse`: the parsing a caller writes without the
//!   reader (`str::lines`, `split(',')`, `str::parse`, a `HashMap` of
//!   channel names), then the same analysis.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use revops::csv::{read_events, ReadOptions};
use revops::funnel::{analyze, FunnelEvent, FunnelReport, FunnelSpec, Options};
use revops::journey::{ChannelId, Channels};
use revops::TimeDelta;

const STEPS: usize = 5;

fn options(bytes: &[u8]) -> ReadOptions {
    ReadOptions {
        steps: Some(STEPS),
        size_hint: Some(bytes.len() as u64),
        ..ReadOptions::default()
    }
}

fn bytes_to_report(spec: &FunnelSpec, bytes: &[u8]) -> FunnelReport {
    let mut read = read_events(bytes, &options(bytes)).expect("read");
    analyze(spec, &mut read.events, &read.channels, Options::threads(2)).expect("analyze")
}

/// Without the reader: a `String` per channel look-up miss, `str::parse`
/// per field, steps at or above [`STEPS`] kept as 255 (as the reader does).
fn baseline_parse(bytes: &[u8]) -> (Vec<FunnelEvent>, Channels) {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let mut channels = Channels::new();
    let mut ids: HashMap<String, ChannelId> = HashMap::new();
    let mut events = Vec::new();
    for line in text.lines().skip(1) {
        let mut f = line.split(',');
        let (Some(user), Some(ts), Some(step), Some(channel)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let (Ok(user), Ok(ts), Ok(step)) =
            (user.parse::<u64>(), ts.parse::<i64>(), step.parse::<u8>())
        else {
            continue;
        };
        let id = match ids.get(channel) {
            Some(&id) => id,
            None => {
                let id = channels.intern_str(channel).expect("channel");
                ids.insert(channel.to_owned(), id);
                id
            }
        };
        let step = if (step as usize) < STEPS {
            step
        } else {
            u8::MAX
        };
        events.push(FunnelEvent::new(user, ts, step, id));
    }
    (events, channels)
}

fn bench_file(c: &mut Criterion) {
    let bytes = revops_benches::events_csv(revops_benches::USERS, revops_benches::SEED);
    let spec = FunnelSpec::new(STEPS, TimeDelta::seconds(7 * 86_400)).expect("spec");
    let read = read_events(&bytes[..], &options(&bytes)).expect("read");
    assert!(
        read.rejects.listed.is_empty(),
        "the generated file has no bad row"
    );
    eprintln!(
        "{} rows, {} MB, {} channels",
        read.rows,
        bytes.len() / 1_000_000,
        read.channels.len()
    );
    let mut g = c.benchmark_group(format!("funnel_file_{}_rows", read.rows));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(12));
    g.bench_function("bytes_to_report", |b| {
        b.iter(|| bytes_to_report(black_box(&spec), black_box(&bytes)))
    });
    g.bench_function("parse", |b| {
        b.iter(|| read_events(black_box(&bytes[..]), &options(&bytes)).expect("read"))
    });
    g.bench_function("analysis_in_place_2_threads", |b| {
        b.iter_batched(
            || read.events.clone(),
            |mut events| {
                let report = analyze(
                    black_box(&spec),
                    &mut events,
                    &read.channels,
                    Options::threads(2),
                )
                .expect("analyze");
                // Freed outside the timing, as the borrowed paths' input is.
                (report, events)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("analysis_2_threads", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                &read.events,
                &read.channels,
                Options::threads(2),
            )
            .expect("analyze")
        })
    });
    g.bench_function("analysis_1_thread", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                &read.events,
                &read.channels,
                Options::default(),
            )
            .expect("analyze")
        })
    });
    g.bench_function("baseline_lines_split_parse", |b| {
        b.iter(|| {
            let (events, channels) = baseline_parse(black_box(&bytes));
            analyze(&spec, &events, &channels, Options::threads(2)).expect("analyze")
        })
    });
    g.finish();
    // Every path gives the same report (checked once, outside the timing).
    let whole = bytes_to_report(&spec, &bytes);
    assert_eq!(
        whole,
        analyze(&spec, &read.events, &read.channels, Options::default()).expect("analyze")
    );
    let (events, channels) = baseline_parse(&bytes);
    let key = |e: &FunnelEvent| (e.user, e.ts, e.step);
    assert!(events.iter().map(key).eq(read.events.iter().map(key)));
    assert_eq!(
        whole.steps,
        analyze(&spec, &events, &channels, Options::threads(2))
            .expect("analyze")
            .steps
    );
    let counts: Vec<u64> = whole.steps.iter().map(|s| s.users).collect();
    eprintln!("funnel users per step: {counts:?}");
}

criterion_group!(benches, bench_file);
criterion_main!(benches);
