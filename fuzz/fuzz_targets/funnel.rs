//! The funnel in every mode against the literal transcription of
//! ClickHouse's `windowFunnel` (`tests/reference/clickhouse.rs`, shared
//! with the tests): per-step user counts equal, counts never rise from one
//! step to the next, and the partitioned, parallel and merged paths agree.

#![no_main]

#[path = "common.rs"]
mod common;
#[path = "../../tests/reference/clickhouse.rs"]
mod clickhouse;

use chrono::TimeDelta;
use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::funnel::{
    analyze, FunnelEvent, FunnelSpec, FunnelState, Modes, Options,
};
use revops::journey::{ChannelId, Channels};

const MODES: [&str; 5] = [
    "strict_deduplication",
    "strict_order",
    "strict_increase",
    "strict_once",
    "allow_reentry",
];

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let steps = 1 + usize::from(b.u8() % 5);
    let window = i64::from(b.u8() % 64);
    let bits = b.u8();
    let mut names: Vec<&str> = MODES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, m)| *m)
        .collect();
    if !names.contains(&"strict_order") {
        names.retain(|m| *m != "allow_reentry");
    }
    let mut modes = Modes::default();
    for m in &names {
        modes.set(m).unwrap();
    }
    let spec = FunnelSpec::new(steps, TimeDelta::seconds(window))
        .unwrap()
        .with_modes(modes)
        .unwrap();
    let mut channels = Channels::new();
    for name in ["a", "b", "c"] {
        channels.intern_str(name).unwrap();
    }
    let mut events = Vec::new();
    while !b.is_empty() && events.len() < 2000 {
        let user = u64::from(b.u8() % 8);
        let ts = i64::from(b.u8() % 100);
        let step = b.u8() % 7; // 5 and 6 match no step when steps <= 5
        let ch = ChannelId(u32::from(b.u8() % 3));
        events.push(FunnelEvent::new(user, ts, step, ch));
    }
    let report = analyze(&spec, &events, &channels, Options::default()).unwrap();
    let counts: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
    for w in counts.windows(2) {
        assert!(w[0] >= w[1], "counts rise: {counts:?}");
    }
    // The reference, user by user.
    let mut expect = vec![0u64; steps];
    for u in 0..8u64 {
        let mut mine: Vec<(i64, u8)> = events
            .iter()
            .filter(|e| e.user == u)
            .map(|e| (e.ts, e.step))
            .collect();
        if mine.is_empty() {
            continue;
        }
        clickhouse::clickhouse_order(&mut mine, steps);
        let level = clickhouse::level(&mine, steps, window, &names);
        for c in expect.iter_mut().take(level) {
            *c += 1;
        }
    }
    assert_eq!(counts, expect, "modes {names:?}, window {window}");
    // Parallel and merged partial states equal the whole.
    assert_eq!(analyze(&spec, &events, &channels, Options::threads(3)).unwrap(), report);
    // In place: the same report, on a permutation of the events.
    let mut moved = events.clone();
    assert_eq!(analyze(&spec, &mut moved, &channels, Options::threads(2)).unwrap(), report);
    let mut before = events.clone();
    before.sort_unstable();
    moved.sort_unstable();
    assert_eq!(moved, before);
    let cut = events.len() / 2;
    let mut a = FunnelState::new(&spec);
    let mut bst = FunnelState::new(&spec);
    // A user's events must not be split across states: split by user.
    let (left, right): (Vec<FunnelEvent>, Vec<FunnelEvent>) =
        events.iter().partition(|e| e.user < (cut as u64 % 8));
    a.add_events(&left, &channels).unwrap();
    bst.add_events(&right, &channels).unwrap();
    a.merge(&bst).unwrap();
    assert_eq!(a.finish(&channels), report);
});
