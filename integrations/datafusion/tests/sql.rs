//! `window_funnel` and `retention` through SQL, over tables of several
//! partitions with each user's rows spread across them, equal to the
//! library's per-user computation and to a literal transcription of
//! ClickHouse (shared with the root crate's tests).

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BooleanArray, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, UInt8Type};
use datafusion::datasource::MemTable;
use proptest::prelude::*;
use revops::funnel::{FunnelSpec, Modes, Retention, RowLevels};
use revops::quantity::TimeUnit;
use revops::TimeDelta;

#[path = "../../../tests/reference/clickhouse.rs"]
mod clickhouse;
mod common;

use common::{context, context_with, per_user, query, rows_strategy, runtime, Clock, Plan, Row};

/// `user_id -> level` from a query's result.
fn levels_of(batches: &[RecordBatch]) -> BTreeMap<i64, u8> {
    let mut out = BTreeMap::new();
    for b in batches {
        let users = b
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let levels = b.column(1).as_primitive::<UInt8Type>();
        for i in 0..b.num_rows() {
            out.insert(users.value(i), levels.value(i));
        }
    }
    out
}

fn spec(n: usize, window: i64, clock: Clock, modes: &[&str]) -> FunnelSpec {
    let mut m = Modes::default();
    for x in modes {
        m.set(x).unwrap();
    }
    let s = FunnelSpec::new(n, TimeDelta::zero()).unwrap();
    let s = match clock {
        Clock::Seconds => s
            .with_unit(TimeUnit::Second)
            .unwrap()
            .with_window(TimeDelta::seconds(window)),
        Clock::Millis => s
            .with_unit(TimeUnit::Millisecond)
            .unwrap()
            .with_window(TimeDelta::seconds(window)),
        Clock::Integer => s
            .with_unit(TimeUnit::Nanosecond)
            .unwrap()
            .with_window(TimeDelta::nanoseconds(window)),
    };
    s.unwrap().with_modes(m).unwrap()
}

fn funnel_sql(n: usize, window: i64, modes: &[&str]) -> String {
    let conds: Vec<String> = (0..n).map(|k| format!("c{k}")).collect();
    let modes = if modes.is_empty() {
        String::new()
    } else {
        format!("'{}', ", modes.join(","))
    };
    format!(
        "SELECT user_id, window_funnel({window}, {modes}ts, {}) FROM events GROUP BY user_id",
        conds.join(", ")
    )
}

/// Checks one query against the library and the reference, for every user.
fn check(
    rows: &[Row],
    (clock, partitions, plan): (Clock, usize, Plan),
    n: usize,
    window: i64,
    modes: &[&str],
) {
    let rt = runtime();
    let ctx = context_with(rows, clock, partitions, plan);
    let got = levels_of(
        &rt.block_on(query(&ctx, &funnel_sql(n, window, modes)))
            .unwrap(),
    );
    let mut levels = RowLevels::new(spec(n, window, clock, modes));
    let ticks = match clock {
        Clock::Millis => window * 1000,
        _ => window,
    };
    let users = per_user(rows, n);
    assert_eq!(got.len(), users.len(), "one result per user");
    for (user, rs) in &users {
        // Rows reach the aggregate in no fixed order: the result is
        // ClickHouse's for the rows sorted by time, then conditions.
        let want = levels.level_any_order(rs);
        let mut pairs: Vec<(i64, u32)> = rs.iter().map(|r| (r.ts, r.conditions)).collect();
        pairs.sort_unstable();
        assert_eq!(
            want,
            clickhouse::reference_level_rows(&pairs, n, ticks, modes),
            "the library and the reference, user {user}"
        );
        assert_eq!(
            usize::from(got[user]),
            want,
            "user {user}, rows {rs:?}, modes {modes:?}"
        );
    }
}

fn modes_strategy() -> impl Strategy<Value = Vec<&'static str>> {
    (any::<[bool; 5]>()).prop_map(|b| {
        let names = [
            "strict_deduplication",
            "strict_order",
            "strict_increase",
            "strict_once",
            "allow_reentry",
        ];
        names
            .iter()
            .zip(b)
            // allow_reentry only with strict_order.
            .filter(|(name, on)| *on && (**name != "allow_reentry" || b[1]))
            .map(|(name, _)| *name)
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every mode, every clock, 1 to 4 partitions, every plan: SQL equals
    /// the library.
    #[test]
    fn window_funnel_equals_the_library(
        rows in rows_strategy(12, 120),
        modes in modes_strategy(),
        n in 1usize..5,
        window in 0i64..12,
        partitions in 1usize..5,
        clock in prop_oneof![Just(Clock::Seconds), Just(Clock::Millis), Just(Clock::Integer)],
        plan in prop::sample::select(Plan::ALL.to_vec()),
    ) {
        check(&rows, (clock, partitions, plan), n, window, &modes);
    }

    /// retention(c0, ..., c3) equals the library's Retention per user.
    #[test]
    fn retention_equals_the_library(rows in rows_strategy(12, 120), partitions in 1usize..5, n in 1usize..5) {
        let rt = runtime();
        let ctx = context(&rows, Clock::Seconds, partitions);
        let conds: Vec<String> = (0..n).map(|k| format!("c{k}")).collect();
        let sql = format!("SELECT user_id, retention({}) FROM events GROUP BY user_id", conds.join(", "));
        let batches = rt.block_on(query(&ctx, &sql)).unwrap();
        let mut got = BTreeMap::new();
        for b in &batches {
            let users = b.column(0).as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            let lists = b.column(1).as_list::<i32>();
            for i in 0..b.num_rows() {
                let flags = lists.value(i);
                let flags: Vec<bool> = flags.as_primitive::<UInt8Type>().values().iter().map(|&x| x == 1).collect();
                got.insert(users.value(i), flags);
            }
        }
        let users: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.user).collect();
        prop_assert_eq!(got.len(), users.len());
        for user in users {
            let mut r = Retention::default();
            for row in rows.iter().filter(|x| x.user == user) {
                if row.conds[..n].iter().all(Option::is_some) {
                    r.add((0..n).fold(0u32, |m, k| m | (u32::from(row.conds[k] == Some(true)) << k)));
                }
            }
            prop_assert_eq!(&got[&user], &r.flags(n), "user {}", user);
        }
    }
}

fn row(user: i64, ts: i64, conds: [bool; 4]) -> Row {
    Row {
        user,
        ts: Some(ts),
        conds: conds.map(Some),
    }
}

/// The 17 rows on which ClickHouse's result depends on their order (4 in
/// this order, 3 in another: the library's test
/// `clickhouse_breaks_ties_by_row_order`): `window_funnel` gives one
/// result for every order and every number of partitions.
#[test]
fn one_result_whatever_the_rows_order() {
    let first = clickhouse::ORDER_SENSITIVE_ROWS;
    let modes = ["strict_deduplication", "strict_once"];
    let mut sorted = first.to_vec();
    sorted.sort_unstable();
    let want = clickhouse::reference_level_rows(&sorted, 4, 5, &modes);
    let rt = runtime();
    for reversed in [false, true] {
        let mut rows: Vec<Row> = first
            .iter()
            .map(|&(t, c)| row(0, t, [0, 1, 2, 3].map(|k| c & (1 << k) != 0)))
            .collect();
        if reversed {
            rows.reverse();
        }
        for partitions in 1..=4 {
            let ctx = context(&rows, Clock::Seconds, partitions);
            let got = levels_of(&rt.block_on(query(&ctx, &funnel_sql(4, 5, &modes))).unwrap());
            assert_eq!(
                usize::from(got[&0]),
                want,
                "{partitions} partitions, reversed {reversed}"
            );
        }
    }
}

#[test]
fn partial_and_final_aggregation_both_run() {
    let rows: Vec<Row> = (0..40)
        .map(|i| row(i % 7, i, [i % 2 == 0, i % 3 == 0, true, false]))
        .collect();
    let rt = runtime();
    let ctx = context(&rows, Clock::Seconds, 3);
    let plan = rt
        .block_on(query(
            &ctx,
            &format!("EXPLAIN {}", funnel_sql(3, 10, &["strict_once"])),
        ))
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&plan)
        .unwrap()
        .to_string();
    assert!(text.contains("mode=Partial"), "{text}");
    assert!(text.contains("mode=FinalPartitioned"), "{text}");
    for plan in Plan::ALL {
        check(&rows, (Clock::Seconds, 3, plan), 3, 10, &["strict_once"]);
    }
}

#[test]
fn skipping_partial_aggregation_converts_rows_to_states() {
    // With the probe thresholds at their lowest, the partial aggregation
    // gives up at once and passes each row on as a state of its own
    // (`convert_to_state`); the results must not change.
    let rows: Vec<Row> = (0..3000)
        .map(|i| {
            row(
                i % 1000,
                (i * 7) % 50,
                [i % 2 == 0, i % 3 == 0, i % 5 == 0, i % 7 == 0],
            )
        })
        .collect();
    let rt = runtime();
    let ctx = context(&rows, Clock::Seconds, 2);
    for set in [
        "SET datafusion.execution.skip_partial_aggregation_probe_rows_threshold = 1",
        "SET datafusion.execution.skip_partial_aggregation_probe_ratio_threshold = 0.0",
    ] {
        rt.block_on(query(&ctx, set)).unwrap();
    }
    for (name, modes) in [
        ("funnel", &["strict_order"][..]),
        ("funnel", &["strict_once"][..]),
    ] {
        let sql = format!("EXPLAIN ANALYZE {}", funnel_sql(4, 20, modes));
        let out = rt.block_on(query(&ctx, &sql)).unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&out)
            .unwrap()
            .to_string();
        let skipped = text
            .split("skipped_aggregation_rows=")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse::<u64>().ok());
        assert!(
            skipped.is_some_and(|s| s > 0),
            "{name}: no rows skipped: {text}"
        );
        let got = levels_of(&rt.block_on(query(&ctx, &funnel_sql(4, 20, modes))).unwrap());
        let mut levels = RowLevels::new(spec(4, 20, Clock::Seconds, modes));
        for (user, rs) in per_user(&rows, 4) {
            assert_eq!(
                usize::from(got[&user]),
                levels.level_any_order(&rs),
                "user {user}"
            );
        }
    }
    let got = rt
        .block_on(query(
            &ctx,
            "SELECT user_id, retention(c0, c1) FROM events GROUP BY user_id",
        ))
        .unwrap();
    let n: usize = got.iter().map(|b| b.num_rows()).sum();
    assert_eq!(n, 1000);
}

#[test]
fn without_group_by_the_whole_table_is_one_group() {
    let rows = vec![
        row(1, 10, [true, false, false, false]),
        row(2, 12, [false, true, true, false]),
        row(3, 30, [false, false, false, true]),
    ];
    let rt = runtime();
    let ctx = context(&rows, Clock::Seconds, 2);
    let out = rt
        .block_on(query(
            &ctx,
            "SELECT window_funnel(100, ts, c0, c1, c2, c3), retention(c0, c3) FROM events",
        ))
        .unwrap();
    assert_eq!(out[0].column(0).as_primitive::<UInt8Type>().value(0), 4);
    let r = out[0].column(1).as_list::<i32>().value(0);
    assert_eq!(r.as_primitive::<UInt8Type>().values().to_vec(), vec![1, 1]);
    // An empty input: level 0.
    let out = rt
        .block_on(query(
            &ctx,
            "SELECT window_funnel(100, ts, c0, c1) FROM events WHERE user_id > 99",
        ))
        .unwrap();
    assert_eq!(out[0].column(0).as_primitive::<UInt8Type>().value(0), 0);
}

#[test]
fn nulls_empty_groups_and_single_rows() {
    let rows = vec![
        // User 1: step 1, then a step-2 row with a NULL time (skipped).
        row(1, 10, [true, false, false, false]),
        Row {
            user: 1,
            ts: None,
            conds: [Some(false), Some(true), Some(false), Some(false)],
        },
        // User 2: a NULL condition skips the row: level 1, not 2.
        row(2, 10, [true, false, false, false]),
        Row {
            user: 2,
            ts: Some(11),
            conds: [Some(false), Some(true), None, Some(false)],
        },
        // User 3: one row.
        row(3, 5, [true, true, false, false]),
        // User 4: only NULL rows: an empty group.
        Row {
            user: 4,
            ts: None,
            conds: [Some(true); 4],
        },
    ];
    let rt = runtime();
    let ctx = context(&rows, Clock::Seconds, 2);
    let got = levels_of(&rt.block_on(query(&ctx, &funnel_sql(3, 100, &[]))).unwrap());
    assert_eq!(got, BTreeMap::from([(1, 1), (2, 1), (3, 2), (4, 0)]));
    // A filter that leaves a group with no row: level 0.
    let sql = "SELECT user_id, window_funnel(100, ts, c0, c1) FILTER (WHERE user_id <> 3) \
               FROM events GROUP BY user_id";
    let got = levels_of(&rt.block_on(query(&ctx, sql)).unwrap());
    assert_eq!(got[&3], 0);
    for plan in Plan::ALL {
        check(&rows, (Clock::Seconds, 2, plan), 3, 100, &["strict_once"]);
    }
}

#[test]
fn hostile_arguments_are_errors_not_panics() {
    let rows = vec![row(1, 10, [true, false, false, false])];
    let rt = runtime();
    let ctx = context(&rows, Clock::Seconds, 2);
    let forty: Vec<String> = (0..40).map(|_| "c0".to_string()).collect();
    let thirty_three: Vec<String> = (0..33).map(|_| "c0".to_string()).collect();
    let bad = [
        "SELECT window_funnel(-1, ts, c0, c1) FROM events".to_string(),
        "SELECT window_funnel(NULL, ts, c0, c1) FROM events".to_string(),
        "SELECT window_funnel(user_id, ts, c0, c1) FROM events".to_string(),
        "SELECT window_funnel(1.5, ts, c0, c1) FROM events".to_string(),
        "SELECT window_funnel(18446744073709551615, ts, c0) FROM events".to_string(),
        format!(
            "SELECT window_funnel(10, ts, {}) FROM events",
            forty.join(", ")
        ),
        "SELECT window_funnel(10, ts, user_id, c1) FROM events".to_string(),
        "SELECT window_funnel(10, ts, 'yes') FROM events".to_string(),
        "SELECT window_funnel(10, ts) FROM events".to_string(),
        "SELECT window_funnel(10) FROM events".to_string(),
        "SELECT window_funnel(10, c0, c0, c1) FROM events".to_string(),
        "SELECT window_funnel(10, 'strict', ts, c0) FROM events".to_string(),
        "SELECT window_funnel(10, 'allow_reentry', ts, c0) FROM events".to_string(),
        "SELECT window_funnel(10, 'nonsense', ts, c0) FROM events".to_string(),
        "SELECT window_funnel(9223372036854775807, ts, c0, c1) FROM events".to_string(),
        "SELECT retention() FROM events".to_string(),
        "SELECT retention(user_id) FROM events".to_string(),
        format!("SELECT retention({}) FROM events", thirty_three.join(", ")),
    ];
    for sql in &bad {
        let r = rt.block_on(query(&ctx, sql));
        assert!(r.is_err(), "{sql} should fail, gave {r:?}");
        // The message names the function (or the funnel modes) at fault.
        let message = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("funnel") || message.contains("retention"),
            "{sql}: {message}"
        );
    }
    // An unsigned clock beyond i64::MAX is an execution error.
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::UInt64, false),
        Field::new("c", DataType::Boolean, false),
    ]));
    let b = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(UInt64Array::from(vec![1, u64::MAX])),
            Arc::new(BooleanArray::from(vec![true, true])),
        ],
    )
    .unwrap();
    ctx.register_table(
        "huge",
        Arc::new(MemTable::try_new(schema, vec![vec![b]]).unwrap()),
    )
    .unwrap();
    let r = rt.block_on(query(&ctx, "SELECT window_funnel(10, ts, c) FROM huge"));
    assert!(r.is_err(), "{r:?}");
    // 32 conditions are fine.
    let conds: Vec<String> = (0..32).map(|k| format!("c{}", k % 4)).collect();
    let ok = rt.block_on(query(
        &ctx,
        &format!(
            "SELECT window_funnel(10, ts, {}) FROM events",
            conds.join(", ")
        ),
    ));
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn millisecond_timestamps_need_no_truncation() {
    // 1.5 s apart: within a 2 s window, not within 1 s (a truncation to
    // seconds would put 10.9 s and 12.4 s 2 s apart).
    let rows = vec![
        row(1, 10_900, [true, false, false, false]),
        row(1, 12_400, [false, true, false, false]),
    ];
    let rt = runtime();
    let ctx = context(&rows, Clock::Millis, 1);
    let one = levels_of(&rt.block_on(query(&ctx, &funnel_sql(2, 1, &[]))).unwrap());
    let two = levels_of(&rt.block_on(query(&ctx, &funnel_sql(2, 2, &[]))).unwrap());
    assert_eq!((one[&1], two[&1]), (1, 2));
}
