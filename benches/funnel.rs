//! Funnel analysis over 10,000,000 events of 2,000,000 users, against a
//! straightforward baseline (`HashMap<user, Vec<event>>`, sort each user's
//! events, scan), in the same run.
//!
//! Data (seeded, generated in code): random 64-bit user ids, about 5
//! events per user in random order; every user does step 1, 52% reach step
//! 2, 45% step 3, 38% step 4, 32% step 5; repeated step-1 events,
//! same-second duplicates and events matching no step are mixed in.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use common::Rng;
use criterion::{criterion_group, criterion_main, Criterion};
use revops::funnel::{analyze, FunnelAnalyzer, FunnelEvent, FunnelSpec, Options};
use revops::journey::{ChannelId, Channels};
use revops::TimeDelta;

fn generate(users: usize) -> (Vec<FunnelEvent>, Channels) {
    let mut ch = Channels::new();
    for name in ["search", "social", "email", "display", "referral", "direct"] {
        ch.intern_str(name).expect("channel");
    }
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let reach = [100u64, 52, 45, 38, 32]; // percent of users reaching each step
    let mut events = Vec::with_capacity(users * 5);
    for _ in 0..users {
        let user = rng.next();
        let chan = ChannelId(rng.below(6) as u32);
        let mut t = 1_700_000_000 + rng.below(30 * 86_400) as i64;
        let mut last = 0;
        for (k, &p) in reach.iter().enumerate() {
            if k > 0 && rng.below(100) * reach[k - 1] >= p * 100 {
                break;
            }
            // Conditional probability: reach[k] / reach[k - 1].
            events.push(FunnelEvent::new(user, t, k as u8, chan));
            last = k;
            t += rng.below(2 * 86_400) as i64;
        }
        // Extras, about 2.3 per user: a repeated step 1, a same-second
        // duplicate, an event matching no step.
        if rng.below(100) < 80 {
            events.push(FunnelEvent::new(
                user,
                t + 60,
                0,
                ChannelId(rng.below(6) as u32),
            ));
        }
        if rng.below(100) < 70 {
            let e = *events.last().expect("an event");
            events.push(e);
        }
        let noise = rng.below(2) + if last > 2 { 0 } else { 1 };
        for _ in 0..noise {
            events.push(FunnelEvent::new(
                user,
                t - rng.below(86_400) as i64,
                7,
                chan,
            ));
        }
    }
    // Arbitrary order.
    for i in (1..events.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        events.swap(i, j);
    }
    (events, ch)
}

/// The straightforward implementation: group into a HashMap of Vecs, sort
/// each user's events, scan with the same default-mode rules, count levels.
fn baseline(events: &[FunnelEvent], steps: usize, window: i64) -> Vec<u64> {
    let mut by_user: HashMap<u64, Vec<(i64, u8)>> = HashMap::new();
    for e in events {
        by_user.entry(e.user).or_default().push((e.ts, e.step));
    }
    let mut reached = vec![0u64; steps];
    for evs in by_user.values_mut() {
        evs.sort_unstable();
        let mut chain: Vec<Option<i64>> = vec![None; steps];
        let mut level = 0;
        for &(ts, step) in evs.iter() {
            let k = step as usize;
            if k >= steps {
                continue;
            }
            if k == 0 {
                chain[0] = Some(ts);
            } else if let Some(first) = chain[k - 1] {
                if ts <= first + window {
                    chain[k] = Some(first);
                }
            }
            if chain[k].is_some() {
                level = level.max(k + 1);
            }
        }
        for r in reached.iter_mut().take(level) {
            *r += 1;
        }
    }
    reached
}

fn bench_funnel(c: &mut Criterion) {
    let (events, channels) = generate(2_000_000);
    let window = 7 * 86_400;
    let spec = FunnelSpec::new(5, TimeDelta::seconds(window)).expect("spec");
    let mut group = c.benchmark_group(format!("funnel_{}_events", events.len()));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    // One call on its own: the working memory (16 bytes per event) is
    // allocated afresh, and the system hands it out one page fault at a
    // time.
    group.bench_function("revops_analyze", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                black_box(&events),
                &channels,
                Options::default(),
            )
            .expect("analyze")
        })
    });
    // A service's steady state: one analyser kept across calls, so its
    // working memory is already mapped.
    let mut analyzer = FunnelAnalyzer::new();
    group.bench_function("revops_analyzer_reused", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                black_box(&events),
                &channels,
                Options::default().with_analyzer(&mut analyzer),
            )
            .expect("analyze")
        })
    });
    group.bench_function("revops_analyze_parallel_2_threads", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                black_box(&events),
                &channels,
                Options::threads(2),
            )
            .expect("analyze")
        })
    });
    group.bench_function("revops_analyzer_reused_parallel_2_threads", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                black_box(&events),
                &channels,
                Options::threads(2).with_analyzer(&mut analyzer),
            )
            .expect("analyze")
        })
    });
    group.bench_function("baseline_hashmap_sort_scan", |b| {
        b.iter(|| baseline(black_box(&events), 5, window))
    });
    group.finish();
    // The two agree on the counts (checked once, outside the timing).
    let r = analyze(&spec, &events, &channels, Options::default()).expect("analyze");
    assert_eq!(
        r,
        analyze(
            &spec,
            &events,
            &channels,
            Options::default().with_analyzer(&mut FunnelAnalyzer::new())
        )
        .expect("analyze")
    );
    let counts: Vec<u64> = r.steps.iter().map(|s| s.users).collect();
    assert_eq!(counts, baseline(&events, 5, window));
    eprintln!("funnel users per step: {counts:?}");
}

criterion_group!(benches, bench_funnel);
criterion_main!(benches);
