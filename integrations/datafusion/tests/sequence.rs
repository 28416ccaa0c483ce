//! `sequence_match` and `sequence_count` through SQL, over tables of
//! several partitions with each user's rows spread across them, equal to
//! the library (`revops::funnel::Sequence`) per user and to the
//! transcription of ClickHouse shared with the root crate's tests.

use std::collections::BTreeMap;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Int64Type, UInt64Type};
use proptest::prelude::*;
use revops::funnel::{Sequence, SequencePattern};
use revops::quantity::TimeUnit;

mod common;
#[path = "../../../tests/reference/sequence.rs"]
mod reference;

use common::{context, per_user, query, rows_strategy, runtime, Clock, Row};

/// `user_id -> (matched, count)` of a query's result.
fn results(batches: &[RecordBatch]) -> BTreeMap<i64, (bool, u64)> {
    let mut out = BTreeMap::new();
    for b in batches {
        let users = b.column(0).as_primitive::<Int64Type>();
        let m = b.column(1).as_boolean();
        let c = b.column(2).as_primitive::<UInt64Type>();
        for i in 0..b.num_rows() {
            out.insert(users.value(i), (m.value(i), c.value(i)));
        }
    }
    out
}

fn sql(pattern: &str, n: usize) -> String {
    let conds: Vec<String> = (0..n).map(|k| format!("c{k}")).collect();
    let conds = conds.join(", ");
    format!(
        "SELECT user_id, sequence_match('{pattern}', ts, {conds}), \
         sequence_count('{pattern}', ts, {conds}) FROM events GROUP BY user_id"
    )
}

fn check(rows: &[Row], clock: Clock, partitions: usize, n: usize, pattern: &str) {
    let rt = runtime();
    let ctx = context(rows, clock, partitions);
    let got = results(&rt.block_on(query(&ctx, &sql(pattern, n))).unwrap());
    let compiled = SequencePattern::parse(pattern, n).unwrap();
    let (mut seq, per_unit) = match clock {
        Clock::Millis => (
            Sequence::new(compiled).with_unit(TimeUnit::Millisecond),
            1000,
        ),
        Clock::Seconds => (Sequence::new(compiled).with_unit(TimeUnit::Second), 1),
        Clock::Integer => (Sequence::new(compiled), 1),
    };
    let users = per_user(rows, n);
    assert_eq!(got.len(), users.len(), "one result per user");
    for (user, rs) in &users {
        let want = (seq.matches(rs).unwrap(), seq.count(rs).unwrap());
        let pairs: Vec<(i64, u32)> = rs.iter().map(|r| (r.ts, r.conditions)).collect();
        assert_eq!(
            (
                reference::sequence_match(pattern, n, &pairs, per_unit),
                reference::sequence_count(pattern, n, &pairs, per_unit)
            ),
            (Ok(want.0), Ok(want.1)),
            "the library and the reference, user {user}"
        );
        assert_eq!(
            got[user], want,
            "user {user}, rows {rs:?}, pattern {pattern}"
        );
    }
}

fn pattern_strategy(n: usize) -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        4 => (1..=n).prop_map(|k| format!("(?{k})")),
        2 => Just(".".to_string()),
        2 => Just(".*".to_string()),
        2 => (0usize..5, 0u64..8).prop_map(|(o, s)| format!("(?t{}{s})", ["<", "<=", ">", ">=", "=="][o])),
    ];
    prop::collection::vec(tok, 1..6)
        .prop_map(|t| t.concat())
        .prop_filter("a valid pattern", move |p| {
            SequencePattern::parse(p, n).is_ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every clock, 1 to 4 partitions, 1 to 4 conditions: SQL equals the
    /// library and the transcription.
    #[test]
    fn equals_the_library(
        (n, pattern) in (1usize..5).prop_flat_map(|n| (Just(n), pattern_strategy(n))),
        rows in rows_strategy(12, 120),
        partitions in 1usize..5,
        clock in prop_oneof![Just(Clock::Seconds), Just(Clock::Millis), Just(Clock::Integer)],
    ) {
        check(&rows, clock, partitions, n, &pattern);
    }
}

#[test]
fn hostile_arguments_are_errors_not_panics() {
    let rt = runtime();
    let rows = vec![Row {
        user: 1,
        ts: Some(0),
        conds: [Some(true), Some(false), Some(true), None],
    }];
    let ctx = context(&rows, Clock::Seconds, 2);
    for (q, says) in [
        (
            "sequence_match('(?1)(?3)', ts, c0, c1)",
            "condition 3 is not one of the 2",
        ),
        (
            "sequence_match('(?1', ts, c0, c1)",
            "expected ')' at position 3",
        ),
        (
            "sequence_count('(?1)(?t<1)(?t<2)', ts, c0)",
            "must follow an event",
        ),
        ("sequence_match(NULL, ts, c0)", "the pattern is NULL"),
        (
            "sequence_match(CAST(user_id AS VARCHAR), ts, c0)",
            "must be a constant",
        ),
        ("sequence_match(1, ts, c0)", "the pattern must be a string"),
        ("sequence_match('(?1)', c0, c0)", "TIMESTAMP or an integer"),
        ("sequence_match('(?1)', ts, user_id)", "must be a boolean"),
        ("sequence_match('(?1)', ts)", "at least one condition"),
    ] {
        let sql = format!("SELECT user_id, {q} FROM events GROUP BY user_id");
        let err = rt.block_on(query(&ctx, &sql)).unwrap_err().to_string();
        assert!(err.contains(says), "{q}: {err}");
    }
}

/// ClickHouse's step limit is an execution error: 333,335 rows of
/// condition 1 and one of condition 2 take 1,000,002 steps to count.
#[test]
fn the_step_limit_is_an_error() {
    let rt = runtime();
    let mk = |n: i64| -> Vec<Row> {
        (0..n)
            .map(|t| Row {
                user: 1,
                ts: Some(t),
                conds: [Some(t < n - 1), Some(t == n - 1), Some(false), Some(false)],
            })
            .collect()
    };
    let q =
        "SELECT user_id, sequence_count('(?1)(?2)', ts, c0, c1) AS n FROM events GROUP BY user_id";
    let ok = rt
        .block_on(query(&context(&mk(333_334), Clock::Integer, 2), q))
        .unwrap();
    assert_eq!(ok[0].column(1).as_primitive::<UInt64Type>().value(0), 1);
    let err = rt
        .block_on(query(&context(&mk(333_335), Clock::Integer, 2), q))
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 1000000 steps"), "{err}");
}
