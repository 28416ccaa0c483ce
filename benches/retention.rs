//! A weekly retention table over a year of events (10.8 million events of
//! 2,000,000 users: `revops_benches::year_events`, sign-ups over 52
//! weeks, logins in later weeks with a chance halving every four weeks),
//! against the plain funnel analysis (`signup` then `login` within 7
//! days) on the same events and threads, in the same run. The issue's
//! bar: the table in at most the funnel's time.
//!
//! - `funnel_2_threads`: `revops::funnel::analyze` on the events (two
//!   threads);
//! - `retention_weekly_2_threads`: a 12-week table, `on`
//!   (`RetentionState::add_parallel`, two threads), then `finish`;
//! - `retention_weekly_1_thread`: the same on one thread;
//! - `lifecycle_weekly`: the lifecycle of the logins (one thread).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
use revops::journey::{ChannelId, Channels};
use revops::quantity::{Calendar, PeriodLength};
use revops::retention::{
    Definition, LifecycleSpec, LifecycleState, RetentionEvent, RetentionSpec, RetentionState,
    RETURN, START,
};
use revops::TimeDelta;

fn bench(c: &mut Criterion) {
    let rows = revops_benches::year_events(revops_benches::USERS, revops_benches::SEED);
    let mut ch = Channels::new();
    let all = ch.intern_str("all").expect("a channel");
    let retention: Vec<RetentionEvent> = rows
        .iter()
        .map(|&(ts, user, kind)| RetentionEvent {
            user,
            ts,
            kind: if kind == 0 { START } else { RETURN },
            by: all,
        })
        .collect();
    let funnel: Vec<FunnelEvent> = rows
        .iter()
        .map(|&(ts, user, kind)| FunnelEvent::new(user, ts, kind, ChannelId(0)))
        .collect();
    let funnel_spec = FunnelSpec::new(2, TimeDelta::days(7)).expect("a spec");
    let spec =
        RetentionSpec::new(Calendar::utc(PeriodLength::Week), 12, Definition::On).expect("a spec");

    let mut g = c.benchmark_group("year_of_events");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("funnel_2_threads", |b| {
        b.iter(|| {
            analyze(&funnel_spec, black_box(&funnel), &ch, Options::threads(2)).expect("a report")
        })
    });
    for threads in [2, 1] {
        let name = format!(
            "retention_weekly_{threads}_thread{}",
            if threads > 1 { "s" } else { "" }
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut st = RetentionState::new(spec);
                st.add_parallel(black_box(&retention), &ch, threads)
                    .expect("counts");
                st.finish().expect("a table")
            })
        });
    }
    let logins: Vec<RetentionEvent> = retention
        .iter()
        .filter(|e| e.kind == RETURN)
        .copied()
        .collect();
    g.bench_function("lifecycle_weekly", |b| {
        b.iter(|| {
            let mut st = LifecycleState::new(LifecycleSpec::new(Calendar::utc(PeriodLength::Week)));
            st.add(black_box(&logins)).expect("counts");
            st.finish()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
