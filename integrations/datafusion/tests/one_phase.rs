//! `OnePhaseRowAggregates`: the plan it makes (one `SinglePartitioned`
//! aggregation over the raw rows repartitioned by the group keys, in
//! `RowGroupsExec` with its own grouping), and the same results as the
//! two-phase plan on every clock and partitioning, for every row-keeping
//! function, with and without other aggregates, grouped by keys of every
//! integer type, NULL keys, and filtered aggregates.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::displayable;
use proptest::prelude::*;

mod common;

use common::{context_with, rows_strategy, runtime, Clock, Plan, Row};

const QUERIES: [&str; 9] = [
    "SELECT user_id, window_funnel(5, ts, c0, c1, c2) AS l FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT user_id, window_funnel(9, 'strict_order', ts, c0, c1) AS l, \
     sequence_match('(?1).*(?2)', ts, c0, c1) AS m, sequence_count('(?1)(?t<=5)(?2)', ts, c0, c1) AS n \
     FROM events GROUP BY user_id ORDER BY user_id",
    // Another aggregate beside: the rule leaves the plan as it is.
    "SELECT user_id, window_funnel(5, ts, c0, c1) AS l, count(*) AS k FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT l, count(*) FROM (SELECT user_id, window_funnel(7, ts, c0, c1, c2, c3) AS l \
     FROM events GROUP BY user_id) GROUP BY l ORDER BY l",
    // Keys of other integer types, signed and unsigned, and NULL keys.
    "SELECT CAST(user_id - 15 AS TINYINT) AS k, window_funnel(5, ts, c0, c1, c2) AS l \
     FROM events GROUP BY k ORDER BY k",
    "SELECT CAST(user_id * 1000 AS INT UNSIGNED) AS k, sequence_count('(?1)(?2)', ts, c0, c1) AS n \
     FROM events GROUP BY k ORDER BY k",
    "SELECT CASE WHEN user_id % 4 = 0 THEN NULL ELSE user_id - 20 END AS k, \
     window_funnel(6, ts, c0, c1, c2) AS l, sequence_match('(?1).(?2)', ts, c2, c3) AS m \
     FROM events GROUP BY k ORDER BY k",
    // A filtered aggregate: its groups still have every key.
    "SELECT user_id, window_funnel(5, ts, c0, c1) FILTER (WHERE user_id % 3 = 0) AS l, \
     window_funnel(5, ts, c1, c2) AS m FROM events GROUP BY user_id ORDER BY user_id",
    // A key of another type: the rule keeps DataFusion's grouping.
    "SELECT CAST(user_id AS VARCHAR) AS k, window_funnel(5, ts, c0, c1) AS l \
     FROM events GROUP BY k ORDER BY k",
];

fn run(rows: &[Row], clock: Clock, partitions: usize, plan: Plan, q: &str) -> (String, String) {
    let rt = runtime();
    let ctx = context_with(rows, clock, partitions, plan);
    rt.block_on(async {
        let df = ctx.sql(q).await.unwrap();
        let plan = df.clone().create_physical_plan().await.unwrap();
        let shown = displayable(plan.as_ref()).indent(true).to_string();
        let out = pretty_format_batches(&df.collect().await.unwrap())
            .unwrap()
            .to_string();
        (shown, out)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn same_results_as_two_phases(
        rows in rows_strategy(30, 200),
        partitions in 1usize..5,
        clock in prop_oneof![Just(Clock::Seconds), Just(Clock::Millis), Just(Clock::Integer)],
    ) {
        for q in QUERIES {
            let (_, two) = run(&rows, clock, partitions, Plan::TwoPhases, q);
            let (_, one) = run(&rows, clock, partitions, Plan::OnePhase, q);
            prop_assert_eq!(&one, &two, "{}", q);
            let (_, own) = run(&rows, clock, partitions, Plan::OwnGrouping, q);
            prop_assert_eq!(&own, &two, "{}", q);
        }
    }
}

#[test]
fn the_plan_has_one_phase_for_row_keeping_aggregates_only() {
    let rows: Vec<Row> = (0..50)
        .map(|i| Row {
            user: i % 9,
            ts: Some(i),
            conds: [Some(i % 2 == 0), Some(i % 3 == 0), Some(true), Some(false)],
        })
        .collect();
    let (plan, _) = run(&rows, Clock::Seconds, 3, Plan::OnePhase, QUERIES[1]);
    assert!(plan.contains("mode=SinglePartitioned"), "{plan}");
    assert!(!plan.contains("mode=Partial, gby=[user_id"), "{plan}");
    assert!(!plan.contains("RowGroupsExec"), "{plan}");
    let (plan, _) = run(&rows, Clock::Seconds, 3, Plan::OnePhase, QUERIES[2]);
    assert!(!plan.contains("SinglePartitioned"), "{plan}");
    let (plan, _) = run(&rows, Clock::Seconds, 3, Plan::TwoPhases, QUERIES[1]);
    assert!(!plan.contains("SinglePartitioned"), "{plan}");
    // Its own grouping, for integer keys and row-keeping aggregates only.
    let cases = [
        (1, true),
        (2, false),
        (3, true),
        (5, true),
        (6, true),
        (7, true),
        (8, false),
    ];
    for (q, own) in cases {
        let (plan, _) = run(&rows, Clock::Seconds, 3, Plan::OwnGrouping, QUERIES[q]);
        assert_eq!(plan.contains("RowGroupsExec: gby=["), own, "{plan}");
        assert!(
            !own || !plan.contains("AggregateExec: mode=Single"),
            "{plan}"
        );
    }
}

/// Past the operator's small cases: a bucket of more than one chunk of
/// records (a user with 12,000 rows), tables that grow, 6,000 users.
#[test]
fn many_rows_and_users_equal_two_phases() {
    let mut x: u64 = 7;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let rows: Vec<Row> = (0..40_000)
        .map(|i| {
            let r = next();
            Row {
                user: if i % 3 == 0 { 42 } else { (r % 6000) as i64 },
                ts: Some((r >> 13) as i64 % 40),
                conds: [r & 1 == 1, r & 2 == 2, r & 4 == 4, r & 24 == 8].map(Some),
            }
        })
        .collect();
    for q in [QUERIES[1], QUERIES[3], QUERIES[7]] {
        let (_, two) = run(&rows, Clock::Seconds, 2, Plan::TwoPhases, q);
        let (plan, own) = run(&rows, Clock::Seconds, 2, Plan::OwnGrouping, q);
        assert!(plan.contains("RowGroupsExec"), "{plan}");
        assert_eq!(own, two, "{q}");
    }
}
