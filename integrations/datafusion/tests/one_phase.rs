//! `OnePhaseRowAggregates`: the plan it makes (one `SinglePartitioned`
//! aggregation over the raw rows repartitioned by the group keys), and the
//! same results as the two-phase plan on every clock and partitioning,
//! for every row-keeping function, with and without other aggregates.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::displayable;
use proptest::prelude::*;

mod common;

use common::{context_with, rows_strategy, runtime, Clock, Row};

const QUERIES: [&str; 4] = [
    "SELECT user_id, window_funnel(5, ts, c0, c1, c2) AS l FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT user_id, window_funnel(9, 'strict_order', ts, c0, c1) AS l, \
     sequence_match('(?1).*(?2)', ts, c0, c1) AS m, sequence_count('(?1)(?t<=5)(?2)', ts, c0, c1) AS n \
     FROM events GROUP BY user_id ORDER BY user_id",
    // Another aggregate beside: the rule leaves the plan as it is.
    "SELECT user_id, window_funnel(5, ts, c0, c1) AS l, count(*) AS k FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT l, count(*) FROM (SELECT user_id, window_funnel(7, ts, c0, c1, c2, c3) AS l \
     FROM events GROUP BY user_id) GROUP BY l ORDER BY l",
];

fn run(
    rows: &[Row],
    clock: Clock,
    partitions: usize,
    one_phase: bool,
    q: &str,
) -> (String, String) {
    let rt = runtime();
    let ctx = context_with(rows, clock, partitions, one_phase);
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
            let (_, two) = run(&rows, clock, partitions, false, q);
            let (_, one) = run(&rows, clock, partitions, true, q);
            prop_assert_eq!(one, two, "{}", q);
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
    let (plan, _) = run(&rows, Clock::Seconds, 3, true, QUERIES[1]);
    assert!(plan.contains("mode=SinglePartitioned"), "{plan}");
    assert!(!plan.contains("mode=Partial, gby=[user_id"), "{plan}");
    let (plan, _) = run(&rows, Clock::Seconds, 3, true, QUERIES[2]);
    assert!(!plan.contains("SinglePartitioned"), "{plan}");
    let (plan, _) = run(&rows, Clock::Seconds, 3, false, QUERIES[1]);
    assert!(!plan.contains("SinglePartitioned"), "{plan}");
}
