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

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use datafusion::arrow::array::{Int64Array, Int8Array, RecordBatch, TimestampSecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

const USERS: u64 = 2_000_000;
const BATCH: usize = 8_192;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `(user, ts, step)` in time order, 3% of them late.
fn events() -> Vec<(i64, i64, i8)> {
    let mut r = Rng(0x5EED_F00D_1234_5678);
    let start = 1_767_225_600i64;
    let mut out = Vec::with_capacity(10_400_000);
    for u in 0..USERS {
        let user = 100_000_000_000_000 + (u * 7_919) as i64;
        let mut t = start + (r.next() % (90 * 86_400)) as i64;
        let n = 1 + r.next() % 9;
        for k in 0..n {
            let step = if r.next().is_multiple_of(4) {
                (r.next() % 5) as i8
            } else {
                k.min(4) as i8
            };
            out.push((user, t, step));
            t += (r.next() % (3 * 86_400)) as i64;
        }
    }
    out.sort_unstable_by_key(|e| e.1);
    // 3% late: swapped with a row up to 1,000 rows ahead.
    let len = out.len();
    for i in 0..len {
        if r.next() % 100 < 3 {
            let j = (i + 1 + (r.next() % 1_000) as usize).min(len - 1);
            out.swap(i, j);
        }
    }
    out
}

fn table(events: &[(i64, i64, i8)], partitions: usize) -> MemTable {
    let schema = Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Int64, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Second, None), false),
        Field::new("step", DataType::Int8, false),
    ]));
    let per = events.len().div_ceil(partitions);
    let parts = events
        .chunks(per)
        .map(|part| {
            part.chunks(BATCH)
                .map(|c| {
                    RecordBatch::try_new(
                        schema.clone(),
                        vec![
                            Arc::new(Int64Array::from_iter_values(c.iter().map(|e| e.0))),
                            Arc::new(TimestampSecondArray::from_iter_values(
                                c.iter().map(|e| e.1),
                            )),
                            Arc::new(Int8Array::from_iter_values(c.iter().map(|e| e.2))),
                        ],
                    )
                    .unwrap()
                })
                .collect()
        })
        .collect();
    MemTable::try_new(schema, parts).unwrap()
}

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
    ctx.register_table("events", Arc::new(table(&events, 2)))
        .unwrap();
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
