//! `revops::funnel::Sequence` (ClickHouse's `sequenceMatch` and
//! `sequenceCount`) against ClickHouse's own results (recorded from chdb
//! 4.4.0, ClickHouse 26.9: `tests/data/sequence_clickhouse.csv`, and
//! cases by hand below) and against the transcription in
//! `tests/reference/sequence.rs` on random patterns and rows.

use proptest::prelude::*;
use revops::funnel::sequence::MAX_ITERATIONS;
use revops::funnel::sequence::{SequenceRow, SequenceState};
use revops::funnel::{FunnelRow, Sequence, SequencePattern};
use revops::quantity::TimeUnit;
use revops::Aggregate;
use revops::Error;

#[path = "reference/sequence.rs"]
mod reference;

fn rows(pairs: &[(i64, u32)]) -> Vec<FunnelRow> {
    pairs.iter().map(|&(t, c)| FunnelRow::new(t, c)).collect()
}

fn run(pattern: &str, n: usize, pairs: &[(i64, u32)]) -> (Result<bool, Error>, Result<u64, Error>) {
    let mut s = Sequence::new(SequencePattern::parse(pattern, n).unwrap());
    let r = rows(pairs);
    (s.matches(&r), s.count(&r))
}

#[test]
fn equals_clickhouse_on_the_recorded_cases() {
    let text = include_str!("data/sequence_clickhouse.csv");
    let mut n = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let pairs: Vec<(i64, u32)> = f[1]
            .split(' ')
            .map(|rc| {
                let (t, c) = rc.split_once(':').unwrap();
                (t.parse().unwrap(), c.parse().unwrap())
            })
            .collect();
        let (m, c) = run(f[0], 3, &pairs);
        let want_m: u8 = f[2].parse().unwrap();
        let want_c: u64 = f[3].parse().unwrap();
        assert_eq!(
            m.unwrap(),
            want_m == 1,
            "sequenceMatch('{}') over {}",
            f[0],
            f[1]
        );
        assert_eq!(
            c.unwrap(),
            want_c,
            "sequenceCount('{}') over {}",
            f[0],
            f[1]
        );
        // And the transcription agrees.
        assert_eq!(
            reference::sequence_match(f[0], 3, &pairs, 1),
            Ok(want_m == 1)
        );
        assert_eq!(reference::sequence_count(f[0], 3, &pairs, 1), Ok(want_c));
        n += 1;
    }
    assert_eq!(n, 400);
}

/// Cases run by hand in chdb 4.4.0 (`SELECT f('p')(toDateTime(t), c = 1,
/// c = 2, c = 3) FROM ...`), results as ClickHouse gave them.
#[test]
fn equals_clickhouse_by_hand() {
    // An empty pattern matches; sequenceCount counts every event.
    assert_eq!(run("", 3, &[(1, 1), (2, 2)]), (Ok(true), Ok(2)));
    assert_eq!(run("", 3, &[(1, 0), (2, 0)]), (Ok(true), Ok(0)));
    // Trailing `.*` and time conditions an empty gap meets.
    let ones = [(1, 1), (2, 1), (3, 1)];
    assert_eq!(run("(?1).*", 3, &ones), (Ok(true), Ok(3)));
    assert_eq!(run("(?1)(?t<5)", 3, &ones).1, Ok(3));
    assert_eq!(run("(?1)(?t>=0)", 3, &ones).1, Ok(3));
    assert_eq!(run("(?1)(?t>0)", 3, &ones).1, Ok(2));
    // A time condition right after the implicit `.*`, and after `.`.
    assert_eq!(run("(?t<1)", 3, &[(1, 1), (2, 2)]).0, Ok(true));
    assert_eq!(run(".(?t<1)", 3, &[(1, 1), (2, 2)]).0, Ok(true));
    // Leading zeros are a number.
    assert_eq!(run("(?01)", 3, &[(1, 1), (2, 2)]).0, Ok(true));
    // Rows at one time, ordered by conditions: 1 then 2 (ClickHouse gives
    // 1 for this arrival order, 0 for the other).
    assert_eq!(run("(?1)(?2)", 2, &[(1, 2), (1, 1)]), (Ok(true), Ok(1)));
    assert_eq!(run("(?1)(?2)", 2, &[(1, 1), (1, 2)]), (Ok(true), Ok(1)));
}

#[test]
fn bad_patterns_are_errors_that_say_where() {
    for (p, position) in [
        ("(?1)(?x)", 6),
        ("(?1", 3),
        ("(?1)(?t<)(?2)", 8),
        ("(?1)(?t!=1)", 7),
        ("x", 0),
        ("(?1) (?2)", 4),
        ("(?1)(?t<1)(?t<2)", 10),
        ("(?1)(?t<-1)", 8),
        ("(?0)", 2),
        ("(?4)", 2),
        ("(?99999999999999999999)", 2),
    ] {
        let e = SequencePattern::parse(p, 3).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{p}: {e}");
        assert!(
            e.to_string().ends_with(&format!("at position {position}")),
            "{p}: {e}"
        );
        assert_eq!(reference::parse(p, 3), Err(()), "{p}");
    }
    assert!(matches!(
        SequencePattern::parse("(?1)", 0),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        SequencePattern::parse("(?1)", 33),
        Err(Error::OutOfRange { .. })
    ));
    assert!(SequencePattern::parse("(?32)", 32).is_ok());
}

/// ClickHouse's step limit, where chdb 4.4.0 shows it:
/// `sequenceCount('(?1)(?2)')` over `n` rows of condition 1 and a last
/// row of condition 2 takes 3(n - 1) steps: 333,334 rows count 1,
/// 333,335 are an error; `sequenceMatch` of the same pattern has no
/// limit (an automaton), with a time condition it has.
#[test]
fn the_step_limit_is_clickhouses() {
    let ones = |n: i64| -> Vec<FunnelRow> {
        (0..n)
            .map(|t| FunnelRow::new(t, if t == n - 1 { 2 } else { 1 }))
            .collect()
    };
    let mut s = Sequence::new(SequencePattern::parse("(?1)(?2)", 2).unwrap());
    assert_eq!(s.count(&ones(333_334)), Ok(1));
    assert_eq!(
        s.count(&ones(333_335)),
        Err(Error::IterationLimit {
            operation: "sequence match".into(),
            limit: MAX_ITERATIONS
        })
    );
    assert_eq!(s.matches(&ones(1_200_000)), Ok(true));
    let mut timed = Sequence::new(SequencePattern::parse("(?1)(?t<5)(?2)", 2).unwrap());
    assert!(matches!(
        timed.matches(&ones(300_000)),
        Err(Error::IterationLimit { .. })
    ));
    // A condition the pattern names that no row meets: 0 and false at
    // once, with no search and so no limit (chdb 4.4.0: 0 and 0 over
    // 600,000 rows of condition 1 alone).
    let only_ones: Vec<FunnelRow> = (0..600_000).map(|t| FunnelRow::new(t, 1)).collect();
    assert_eq!(s.count(&only_ones), Ok(0));
    assert_eq!(timed.matches(&only_ones), Ok(false));
    // A run that never occurs ((?2)(?3): the one 3 comes first) is no
    // quick refusal: the search runs into the limit, as in chdb 4.4.0
    // (0 over 40,001 rows, an error over 400,001).
    let alternating = |n: i64| -> Vec<FunnelRow> {
        std::iter::once(FunnelRow::new(0, 4))
            .chain((0..n).map(|i| FunnelRow::new(i + 1, if i % 2 == 0 { 1 } else { 2 })))
            .collect()
    };
    let mut runs = Sequence::new(SequencePattern::parse("(?1)(?t<5)(?2)(?3)", 3).unwrap());
    assert_eq!(runs.count(&alternating(40_000)), Ok(0));
    assert!(matches!(
        runs.count(&alternating(400_000)),
        Err(Error::IterationLimit { .. })
    ));
}

#[test]
fn seconds_at_any_precision() {
    // Milliseconds: (?t<2) is two seconds, 2,000 ticks.
    let p = SequencePattern::parse("(?1)(?t<2)(?2)", 2).unwrap();
    let mut s = Sequence::new(p).with_unit(TimeUnit::Millisecond);
    assert_eq!(s.matches(&rows(&[(0, 1), (1_999, 2)])), Ok(true));
    assert_eq!(s.matches(&rows(&[(0, 1), (2_000, 2)])), Ok(false));
    // Extreme times do not overflow.
    let p = SequencePattern::parse("(?1)(?t>=18446744073709551615)(?2)", 2).unwrap();
    let mut s = Sequence::new(p).with_unit(TimeUnit::Nanosecond);
    assert_eq!(s.matches(&rows(&[(i64::MIN, 1), (i64::MAX, 2)])), Ok(false));
}

fn pattern() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        4 => (1u32..=3).prop_map(|k| format!("(?{k})")),
        2 => Just(".".to_string()),
        2 => Just(".*".to_string()),
        2 => (0usize..5, 0u64..6).prop_map(|(o, n)| format!("(?t{}{n})", ["<", "<=", ">", ">=", "=="][o])),
    ];
    prop::collection::vec(tok, 0..7).prop_map(|t| t.concat())
}

fn pairs() -> impl Strategy<Value = Vec<(i64, u32)>> {
    prop::collection::vec((0i64..12, 0u32..16), 0..16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Equal to the transcription (a bad pattern: an error in both), and
    /// the same for every order of the rows.
    #[test]
    fn equals_the_transcription(p in pattern(), mut r in pairs(), seed in any::<u64>()) {
        let want_m = reference::sequence_match(&p, 3, &r, 1);
        let want_c = reference::sequence_count(&p, 3, &r, 1);
        match SequencePattern::parse(&p, 3) {
            Err(_) => prop_assert_eq!(reference::parse(&p, 3), Err(())),
            Ok(compiled) => {
                let mut s = Sequence::new(compiled);
                prop_assert_eq!(s.matches(&rows(&r)).map_err(|_| ()), want_m);
                prop_assert_eq!(s.count(&rows(&r)).map_err(|_| ()), want_c);
                // Another order of the same rows.
                let mut x = seed;
                for i in (1..r.len()).rev() {
                    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                    r.swap(i, (x % (i as u64 + 1)) as usize);
                }
                prop_assert_eq!(s.matches(&rows(&r)).map_err(|_| ()), want_m);
                prop_assert_eq!(s.count(&rows(&r)).map_err(|_| ()), want_c);
            }
        }
    }

    /// Without a time condition, and with at least one event to match, a
    /// count above zero is a match; a match of `P` is a match of `.*P`
    /// and of `P.*`. (A pattern of `.*`s alone matches no events at all,
    /// and counts 0 of them.)
    #[test]
    fn time_free_laws(
        p in pattern().prop_filter("time-free, an event", |p| !p.contains("(?t") && !p.replace(".*", "").is_empty()),
        r in pairs(),
    ) {
        let (m, c) = run(&p, 3, &r);
        let (m, c) = (m.unwrap(), c.unwrap());
        prop_assert_eq!(c > 0, m);
        prop_assert_eq!(run(&format!(".*{p}"), 3, &r).0.unwrap(), m);
        prop_assert_eq!(run(&format!("{p}.*"), 3, &r).0.unwrap(), m);
    }
}

fn users_rows() -> impl Strategy<Value = Vec<SequenceRow>> {
    prop::collection::vec((0u64..6, 0i64..12, 0u32..8), 0..60).prop_map(|v| {
        v.into_iter()
            .map(|(user, ts, conditions)| SequenceRow {
                user,
                ts,
                conditions,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A state split anywhere and merged (one part through JSON) gives the
    /// whole's report; the report is each user's answers added up.
    #[test]
    fn merged_states_equal_the_whole(p in pattern(), rows in users_rows(), cut in any::<prop::sample::Index>()) {
        let Ok(compiled) = SequencePattern::parse(&p, 3) else { return Ok(()) };
        let mut seq = Sequence::new(compiled);
        let mut whole = SequenceState::default();
        whole.add(&rows).unwrap();
        let at = cut.index(rows.len() + 1);
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        a.add(&rows[..at]).unwrap();
        b.add(&rows[at..]).unwrap();
        let b: SequenceState = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        // Under the common protocol.
        Aggregate::merge(&mut a, &b).unwrap();
        let want = whole.finish(&mut seq).unwrap();
        prop_assert_eq!(Aggregate::finish(a, &mut seq).unwrap(), want.clone());
        // Each user by hand.
        let mut users: std::collections::BTreeMap<u64, Vec<FunnelRow>> = Default::default();
        for r in &rows {
            users.entry(r.user).or_default().push(FunnelRow::new(r.ts, r.conditions));
        }
        let (mut matched, mut matches) = (0u64, 0u64);
        let mut by: std::collections::BTreeMap<u64, u64> = Default::default();
        for rs in users.values() {
            matched += u64::from(seq.matches(rs).unwrap());
            let n = seq.count(rs).unwrap();
            matches += n;
            *by.entry(n).or_default() += 1;
        }
        prop_assert_eq!(want.users, users.len() as u64);
        prop_assert_eq!(want.matched, matched);
        prop_assert_eq!(want.matches, matches);
        prop_assert_eq!(want.users_by_matches, by.into_iter().collect::<Vec<_>>());
        if let Some(r) = want.match_rate {
            prop_assert!(r.value() >= revops::Decimal::ZERO && r.value() <= revops::Decimal::ONE);
        }
    }
}

/// A user over the step limit is counted as ignored; the others are
/// reported.
#[test]
fn a_user_over_the_step_limit_is_ignored_and_counted() {
    let mut rows: Vec<SequenceRow> = (0..333_335)
        .map(|t| SequenceRow {
            user: 7,
            ts: t,
            conditions: if t == 333_334 { 2 } else { 1 },
        })
        .collect();
    rows.push(SequenceRow {
        user: 1,
        ts: 0,
        conditions: 1,
    });
    rows.push(SequenceRow {
        user: 1,
        ts: 1,
        conditions: 2,
    });
    let mut state = SequenceState::default();
    state.add(&rows).unwrap();
    let mut seq = Sequence::new(SequencePattern::parse("(?1)(?2)", 2).unwrap());
    let r = state.finish(&mut seq).unwrap();
    assert_eq!((r.users, r.matched, r.matches), (2, 1, 1));
    assert_eq!(r.ignored.over_step_limit, 1);
    assert_eq!(r.users_by_matches, vec![(1, 1)]);
}
