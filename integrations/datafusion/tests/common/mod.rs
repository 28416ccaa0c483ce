//! What the SQL tests share: generated rows of users with a time and four
//! conditions, as a table spread over partitions, and the rows each user
//! counts with.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, TimestampMillisecondArray,
    TimestampSecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit as ArrowUnit};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use revops::funnel::FunnelRow;

/// One generated row: user, time, and conditions c0..c3 (`None`: NULL).
#[derive(Clone, Debug)]
pub struct Row {
    pub user: i64,
    pub ts: Option<i64>,
    pub conds: [Option<bool>; 4],
}

/// How the time column is typed.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    Seconds,
    Millis,
    Integer,
}

pub fn batch(rows: &[Row], clock: Clock) -> RecordBatch {
    let ts_type = match clock {
        Clock::Seconds => DataType::Timestamp(ArrowUnit::Second, None),
        Clock::Millis => DataType::Timestamp(ArrowUnit::Millisecond, Some("UTC".into())),
        Clock::Integer => DataType::Int64,
    };
    let mut fields = vec![
        Field::new("user_id", DataType::Int64, false),
        Field::new("ts", ts_type, true),
    ];
    for k in 0..4 {
        fields.push(Field::new(format!("c{k}"), DataType::Boolean, true));
    }
    let users: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.user)));
    let ts_values: Vec<Option<i64>> = rows.iter().map(|r| r.ts).collect();
    let ts: ArrayRef = match clock {
        Clock::Seconds => Arc::new(TimestampSecondArray::from(ts_values)),
        Clock::Millis => Arc::new(TimestampMillisecondArray::from(ts_values).with_timezone("UTC")),
        Clock::Integer => Arc::new(Int64Array::from(ts_values)),
    };
    let mut cols = vec![users, ts];
    for k in 0..4 {
        let c: BooleanArray = rows.iter().map(|r| r.conds[k]).collect();
        cols.push(Arc::new(c));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
}

/// How the row-keeping aggregates are planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// DataFusion's own two-phase plan.
    TwoPhases,
    /// With the `OnePhaseRowAggregates` rule.
    OnePhase,
    /// With the rule and its own grouping (`RowGroupsExec`).
    OwnGrouping,
}

impl Plan {
    /// Every plan.
    pub const ALL: [Plan; 3] = [Plan::TwoPhases, Plan::OnePhase, Plan::OwnGrouping];
}

/// A context with the functions and `partitions` target partitions, and
/// the rows as table `events`, dealt round-robin over `partitions`
/// partitions (so each user's rows are spread across them), in batches of
/// 16 rows.
pub fn context(rows: &[Row], clock: Clock, partitions: usize) -> SessionContext {
    context_with(rows, clock, partitions, Plan::TwoPhases)
}

/// A session of `partitions` target partitions with the functions,
/// planned as `plan` says.
pub fn session(partitions: usize, plan: Plan) -> SessionContext {
    let config = SessionConfig::new().with_target_partitions(partitions);
    let mut builder = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features();
    if plan != Plan::TwoPhases {
        let rule = revops_datafusion::OnePhaseRowAggregates::new()
            .with_own_grouping(plan == Plan::OwnGrouping);
        builder = builder.with_physical_optimizer_rule(Arc::new(rule));
    }
    let mut ctx = SessionContext::new_with_state(builder.build());
    revops_datafusion::register_all(&mut ctx).unwrap();
    ctx
}

/// Rows of users `0..users` (up to `max_rows`), times 0 to 39, a NULL
/// time or condition now and then.
pub fn rows_strategy(users: i64, max_rows: usize) -> impl Strategy<Value = Vec<Row>> {
    let cond = prop_oneof![8 => any::<bool>().prop_map(Some), 1 => Just(None)];
    let ts = prop_oneof![12 => (0i64..40).prop_map(Some), 1 => Just(None)];
    prop::collection::vec(
        (
            0..users,
            ts,
            [cond.clone(), cond.clone(), cond.clone(), cond],
        ),
        0..max_rows,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(user, ts, conds)| Row { user, ts, conds })
            .collect()
    })
}

/// As [`context`], planned as `plan` says.
pub fn context_with(rows: &[Row], clock: Clock, partitions: usize, plan: Plan) -> SessionContext {
    let ctx = session(partitions, plan);
    let mut parts: Vec<Vec<Row>> = vec![Vec::new(); partitions];
    for (i, r) in rows.iter().enumerate() {
        parts[i % partitions].push(r.clone());
    }
    let schema = batch(&[], clock).schema();
    // Small batches, so that a partition's rows arrive in several.
    let parts: Vec<Vec<RecordBatch>> = parts
        .iter()
        .map(|p| p.chunks(16).map(|c| batch(c, clock)).collect())
        .collect();
    let table = MemTable::try_new(schema, parts).unwrap();
    ctx.register_table("events", Arc::new(table)).unwrap();
    ctx
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub async fn query(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<RecordBatch>> {
    ctx.sql(sql).await?.collect().await
}

/// The rows of each user that count (no NULL), as the library takes them.
pub fn per_user(rows: &[Row], n: usize) -> BTreeMap<i64, Vec<FunnelRow>> {
    let mut out: BTreeMap<i64, Vec<FunnelRow>> = BTreeMap::new();
    for r in rows {
        let entry = out.entry(r.user).or_default();
        let (Some(ts), true) = (r.ts, r.conds[..n].iter().all(Option::is_some)) else {
            continue;
        };
        let mask = (0..n).fold(0u32, |m, k| m | (u32::from(r.conds[k] == Some(true)) << k));
        entry.push(FunnelRow::new(ts, mask));
    }
    out
}
