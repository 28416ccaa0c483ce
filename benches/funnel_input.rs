//! The funnel in the caller's terms (`FunnelInput`: 16-byte string user
//! ids, `DateTime<Utc>`, event and channel names) beside the compact path
//! (`analyze` on `FunnelEvent`s mapped beforehand) on the same events, and
//! beside the conversion a caller would write by hand with the standard
//! library's `HashMap` (what `FunnelInput` replaces).
//!
//! Data (seeded, generated in code), shaped like a service's event log:
//! 2,000,000 users with 16-character hexadecimal ids, about 5 events each,
//! first events spread over 90 days, steps 0-4 and a page view that
//! matches no step, 12 channels (each event its own), rows in time order
//! with 3% of them late; repeats and same-second ties included.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use common::Rng;
use criterion::{criterion_group, criterion_main, Criterion};
use revops::funnel::{analyze, Event, FunnelEvent, FunnelInput, FunnelReport, FunnelSpec, Options};
use revops::journey::Channels;
use revops::{DateTime, TimeDelta, TimeZone, Utc};

const STEPS: [&str; 5] = ["visit", "signup", "activate", "trial", "purchase"];
const CHANNELS: [&str; 12] = [
    "search",
    "social",
    "email",
    "display",
    "referral",
    "direct",
    "video",
    "affiliate",
    "podcast",
    "partner",
    "events",
    "sms",
];

/// One row of the log, as a parser hands it over: the user's id (its
/// bytes in the row), a time, an event name, a channel name.
struct Row {
    id: [u8; 16],
    user: u32,
    at: DateTime<Utc>,
    event: &'static str,
    channel: &'static str,
}

struct Log {
    rows: Vec<Row>,
}

impl Row {
    fn id(&self) -> &str {
        std::str::from_utf8(&self.id).expect("ASCII id")
    }
}

fn generate(users: u32) -> Log {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let ids: Vec<[u8; 16]> = (0..users)
        .map(|_| {
            let mut id = [0u8; 16];
            id.copy_from_slice(format!("{:016x}", rng.next()).as_bytes());
            id
        })
        .collect();
    let start = 1_767_225_600i64;
    let reach = [100u64, 60, 45, 35, 25];
    let mut rows = Vec::with_capacity(users as usize * 5);
    for user in 0..users {
        let mut t = start + rng.below(90 * 86_400) as i64;
        let mut push = |t: i64, event: &'static str, rng: &mut Rng| {
            rows.push(Row {
                id: ids[user as usize],
                user,
                at: Utc.timestamp_opt(t, 0).single().expect("time"),
                event,
                channel: CHANNELS[rng.below(12) as usize],
            })
        };
        for (k, &p) in reach.iter().enumerate() {
            if k > 0 && rng.below(100) * reach[k - 1] >= p * 100 {
                break;
            }
            push(t, STEPS[k], &mut rng);
            // A same-second repeat now and then.
            if rng.below(100) < 10 {
                push(t, STEPS[k], &mut rng);
            }
            t += rng.below(3 * 86_400) as i64;
        }
        if rng.below(100) < 80 {
            push(t + 60, "page_view", &mut rng);
        }
    }
    rows.sort_by_key(|r| r.at);
    // 3% late: moved up to about 1,000 rows later.
    let n = rows.len();
    for _ in 0..n * 3 / 100 {
        let i = rng.below(n as u64) as usize;
        let j = (i + rng.below(1_000) as usize).min(n - 1);
        rows.swap(i, j);
    }
    Log { rows }
}

fn spec() -> FunnelSpec {
    FunnelSpec::named(STEPS, TimeDelta::days(7)).expect("spec")
}

/// The caller's layer, one `push` per row, then the analysis.
fn through_push(log: &Log, spec: &FunnelSpec) -> FunnelReport {
    let mut input = FunnelInput::<String>::new(spec);
    for r in &log.rows {
        input.push(r.id(), r.at, r.event, r.channel).expect("push");
    }
    input.analyze(Options::default()).expect("analyze")
}

/// The caller's layer, every row through `extend`, then the analysis.
fn through_extend(log: &Log, spec: &FunnelSpec) -> FunnelReport {
    let mut input = FunnelInput::<String>::new(spec);
    input
        .extend(log.rows.iter().map(|r| Event {
            user: r.id(),
            at: r.at,
            event: r.event,
            by: r.channel,
        }))
        .expect("extend");
    input.analyze(Options::default()).expect("analyze")
}

/// What a caller writes without it: a `HashMap<String, u64>` of ids, a
/// step table, a channel interner, seconds by hand.
fn by_hand(log: &Log, spec: &FunnelSpec) -> FunnelReport {
    let mut ids: HashMap<String, u64> = HashMap::new();
    let steps: HashMap<&str, u8> = STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i as u8))
        .collect();
    let mut reg = Channels::new();
    let mut chan = HashMap::new();
    let mut events = Vec::with_capacity(log.rows.len());
    for r in &log.rows {
        let n = ids.len() as u64;
        let user = *ids.entry(r.id().to_string()).or_insert(n);
        let c = *chan
            .entry(r.channel)
            .or_insert_with(|| reg.intern_str(r.channel).expect("channel"));
        let step = steps.get(r.event).copied().unwrap_or(u8::MAX);
        events.push(FunnelEvent::new(user, r.at.timestamp(), step, c));
    }
    analyze(spec, &events, &reg, Options::default()).expect("analyze")
}

fn bench_input(c: &mut Criterion) {
    let log = generate(2_000_000);
    let spec = spec();
    // The compact events, mapped once beforehand.
    let mut reg = Channels::new();
    for ch in CHANNELS {
        reg.intern_str(ch).expect("channel");
    }
    let events: Vec<FunnelEvent> = log
        .rows
        .iter()
        .map(|r| {
            let step = STEPS
                .iter()
                .position(|s| *s == r.event)
                .map_or(u8::MAX, |k| k as u8);
            let ch = reg.get(r.channel).expect("channel");
            FunnelEvent::new(u64::from(r.user), r.at.timestamp(), step, ch)
        })
        .collect();
    let mut group = c.benchmark_group(format!("funnel_input_{}_events", events.len()));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("compact_analyze", |b| {
        b.iter(|| {
            analyze(
                black_box(&spec),
                black_box(&events),
                &reg,
                Options::default(),
            )
            .expect("analyze")
        })
    });
    group.bench_function("funnel_input_extend_and_analyze", |b| {
        b.iter(|| through_extend(black_box(&log), &spec))
    });
    group.bench_function("funnel_input_push_and_analyze", |b| {
        b.iter(|| through_push(black_box(&log), &spec))
    });
    group.bench_function("floor_ids_only_foldhash", |b| {
        b.iter(|| {
            let mut m: HashMap<String, u64, foldhash::fast::RandomState> = HashMap::default();
            let mut s = 0u64;
            for r in &log.rows {
                let id = r.id();
                let n = m.len() as u64;
                s += match m.get(id) {
                    Some(&u) => u,
                    None => {
                        m.insert(id.to_string(), n);
                        n
                    }
                };
            }
            s
        })
    });
    group.bench_function("by_hand_std_hashmap", |b| {
        b.iter(|| by_hand(black_box(&log), &spec))
    });
    group.finish();
    // All three give the same report (checked once, outside the timing).
    let r = analyze(&spec, &events, &reg, Options::default()).expect("analyze");
    assert_eq!(through_extend(&log, &spec), r);
    assert_eq!(through_push(&log, &spec), r);
    assert_eq!(by_hand(&log, &spec), r);
    let counts: Vec<u64> = r.steps.iter().map(|s| s.users).collect();
    eprintln!("funnel users per step: {counts:?}");
}

criterion_group!(benches, bench_input);
criterion_main!(benches);
