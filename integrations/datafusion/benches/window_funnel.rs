//! `window_funnel` over 10 million in-memory events of 2 million users,
//! beside a plain `GROUP BY` of the same shape in the same run:
//!
//! ```sql
//! SELECT level, count(*) FROM (
//!   SELECT user_id, window_funnel(604800, ts, step = 0, step = 1, step = 2, step = 3) AS level
//!   FROM events GROUP BY user_id)
//! GROUP BY level
//! ```
//!
//! The events have the shape of the end-to-end issue's file: 15-digit user
//! ids, about 5 events per user, first events over 90 days, steps 0 to 4,
//! in time order (3% late), in two partitions, on two target partitions.
//! Seeded: every run sees the same input.

mod events;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use events::{events, partitions, schema, USERS};

const FUNNEL: &str = "SELECT level, count(*) AS users FROM (SELECT user_id, \
    window_funnel(604800, ts, step = 0, step = 1, step = 2, step = 3) AS level \
    FROM events GROUP BY user_id) GROUP BY level ORDER BY level";

/// The baseline: the same two-level grouping with a built-in aggregate.
const BASELINE: &str = "SELECT level, count(*) AS users FROM (SELECT user_id, \
    max(step) AS level FROM events GROUP BY user_id) GROUP BY level ORDER BY level";

fn bench(c: &mut Criterion) {
    let events = events();
    eprintln!("{} events of {USERS} users", events.len());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = SessionConfig::new().with_target_partitions(2);
    let mut ctx = SessionContext::new_with_config(config);
    revops_datafusion::register_all(&mut ctx).unwrap();
    let table = MemTable::try_new(schema(), partitions(&events, 2)).unwrap();
    ctx.register_table("events", Arc::new(table)).unwrap();
    drop(events);
    let run =
        |sql: &str| rt.block_on(async { ctx.sql(sql).await.unwrap().collect().await.unwrap() });
    let out = run(FUNNEL);
    eprintln!(
        "{}",
        datafusion::arrow::util::pretty::pretty_format_batches(&out).unwrap()
    );
    let mut g = c.benchmark_group("sql_10m_events_2m_users");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("window_funnel", |b| b.iter(|| run(FUNNEL)));
    g.bench_function("baseline_max_group_by", |b| b.iter(|| run(BASELINE)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
