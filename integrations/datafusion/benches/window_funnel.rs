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
//! in time order (3% late), in two partitions, on two target partitions;
//! then the same queries over the same events written to a Parquet file
//! (`from_parquet/`), as the ClickHouse comparison and the SQL shell read
//! them. Seeded: every run sees the same input.

mod events;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use events::{events, partitions, schema, write_parquet, USERS};
use revops_datafusion::OnePhaseRowAggregates;

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
    let table = Arc::new(MemTable::try_new(schema(), partitions(&events, 2)).unwrap());
    // The same events as one Parquet file, as the ClickHouse comparison
    // and the SQL shell read them.
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("events.parquet");
    write_parquet(&events, &parquet).unwrap();
    drop(events);
    // With the one-phase rule and its own grouping (as the README's program
    // and the SQL shell plan it), with the rule alone (DataFusion's
    // aggregation in one phase), and DataFusion's default two-phase plan.
    let context = |one_phase: bool, own_grouping: bool| {
        let config = SessionConfig::new().with_target_partitions(2);
        let mut builder = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features();
        if one_phase {
            let rule = OnePhaseRowAggregates::new().with_own_grouping(own_grouping);
            builder = builder.with_physical_optimizer_rule(Arc::new(rule));
        }
        let mut ctx = SessionContext::new_with_state(builder.build());
        revops_datafusion::register_all(&mut ctx).unwrap();
        ctx.register_table("events", table.clone()).unwrap();
        let file = parquet.to_str().unwrap();
        rt.block_on(ctx.register_parquet("events_file", file, ParquetReadOptions::default()))
            .unwrap();
        ctx
    };
    let (own, one, two) = (
        context(true, true),
        context(true, false),
        context(false, false),
    );
    let run = |ctx: &SessionContext, sql: &str| {
        rt.block_on(async { ctx.sql(sql).await.unwrap().collect().await.unwrap() })
    };
    let out = run(&one, FUNNEL);
    assert_eq!(
        out,
        run(&two, FUNNEL),
        "one phase and two give the same levels"
    );
    assert_eq!(out, run(&own, FUNNEL), "so does the own grouping");
    eprintln!(
        "{}",
        datafusion::arrow::util::pretty::pretty_format_batches(&out).unwrap()
    );
    let mut g = c.benchmark_group("sql_10m_events_2m_users");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("window_funnel_own_grouping", |b| {
        b.iter(|| run(&own, FUNNEL))
    });
    g.bench_function("window_funnel", |b| b.iter(|| run(&one, FUNNEL)));
    g.bench_function("window_funnel_two_phases", |b| b.iter(|| run(&two, FUNNEL)));
    g.bench_function("baseline_max_group_by", |b| b.iter(|| run(&two, BASELINE)));
    // From the Parquet file (read in each iteration, from the page cache).
    let from_file = FUNNEL.replace("FROM events", "FROM events_file");
    assert_eq!(out, run(&own, &from_file), "the file holds the same events");
    g.bench_function("from_parquet/window_funnel_own_grouping", |b| {
        b.iter(|| run(&own, &from_file))
    });
    g.bench_function("from_parquet/window_funnel", |b| {
        b.iter(|| run(&one, &from_file))
    });
    let baseline_file = BASELINE.replace("FROM events", "FROM events_file");
    g.bench_function("from_parquet/baseline_max_group_by", |b| {
        b.iter(|| run(&two, &baseline_file))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
