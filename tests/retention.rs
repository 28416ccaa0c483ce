//! Cohort retention and the lifecycle: hand-worked cases for both
//! definitions and every period kind, a brute-force oracle, the merge and
//! lifecycle laws.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use revops::journey::{ChannelId, Channels};
use revops::quantity::{parse_utc_offset, Calendar, PeriodLength, TimeUnit};
use revops::retention::{
    analyze, lifecycle, Definition, LifecycleSpec, LifecycleState, RetentionEvent, RetentionSpec,
    RetentionState, RETURN, START,
};

mod laws;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn ev(user: u64, t: DateTime<Utc>, kind: u8, by: ChannelId) -> RetentionEvent {
    RetentionEvent {
        user,
        ts: t.timestamp(),
        kind,
        by,
    }
}

fn registry() -> (Channels, ChannelId, ChannelId) {
    let mut ch = Channels::new();
    let de = ch.intern_str("DE").unwrap();
    let fr = ch.intern_str("FR").unwrap();
    (ch, de, fr)
}

fn spec(period: PeriodLength, n: usize, def: Definition) -> RetentionSpec {
    RetentionSpec::new(Calendar::utc(period), n, def).unwrap()
}

/// A user starting on Sunday night returns on Monday: the next ISO week.
#[test]
fn iso_weeks_turn_on_monday() {
    let (ch, de, _) = registry();
    let events = [
        ev(1, at(2026, 3, 1, 23, 0), START, de),
        ev(1, at(2026, 3, 2, 1, 0), RETURN, de),
        ev(2, at(2026, 3, 2, 0, 0), START, de),
        ev(2, at(2026, 3, 8, 23, 59), RETURN, de),
    ];
    let r = analyze(&spec(PeriodLength::Week, 3, Definition::On), &events, &ch).unwrap();
    assert_eq!(r.cohorts.len(), 2);
    assert_eq!(r.cohorts[0].cohort, day(2026, 2, 23));
    assert_eq!(
        (r.cohorts[0].users, &r.cohorts[0].retained),
        (1, &vec![0, 1])
    );
    assert_eq!(r.cohorts[1].cohort, day(2026, 3, 2));
    assert_eq!((r.cohorts[1].users, &r.cohorts[1].retained), (1, &vec![1]));
    // The as-of (the latest event, Sunday 23:59) is not the week's last
    // instant: the last cells are partial.
    assert!(r.cohorts[0].partial && r.cohorts[1].partial);
}

/// Months: a leap day's cohort, returns on the next month's first day and
/// in the month after; a 31st to a 1st.
#[test]
fn months_and_leap_days() {
    let (ch, de, _) = registry();
    let events = [
        ev(1, at(2024, 2, 29, 12, 0), START, de),
        ev(1, at(2024, 3, 1, 0, 0), RETURN, de),
        ev(1, at(2024, 4, 30, 23, 59), RETURN, de),
        ev(2, at(2024, 1, 31, 23, 59), START, de),
        ev(2, at(2024, 2, 1, 0, 0), RETURN, de),
    ];
    let on = analyze(&spec(PeriodLength::Month, 4, Definition::On), &events, &ch).unwrap();
    let jan = &on.cohorts[0];
    assert_eq!(
        (jan.cohort, jan.users, &jan.retained),
        (day(2024, 1, 1), 1, &vec![0, 1, 0, 0])
    );
    let feb = &on.cohorts[1];
    assert_eq!(
        (feb.cohort, feb.users, &feb.retained),
        (day(2024, 2, 1), 1, &vec![0, 1, 1])
    );
    let after = analyze(
        &spec(PeriodLength::Month, 4, Definition::OnOrAfter),
        &events,
        &ch,
    )
    .unwrap();
    assert_eq!(after.cohorts[0].retained, vec![1, 1, 0, 0]);
    assert_eq!(after.cohorts[1].retained, vec![1, 1, 1]);
    // The as-of is 23:59 on 30 April, not the month's last instant.
    assert!(after.cohorts[1].partial);
}

/// An offset moves an event across midnight, and so into another day,
/// week and month.
#[test]
fn an_offset_moves_events_across_midnight() {
    let (ch, de, _) = registry();
    // 23:30 UTC on Tuesday 31 March is 01:30 on Wednesday 1 April at +02:00.
    let events = [
        ev(1, at(2026, 3, 31, 23, 30), START | RETURN, de),
        ev(1, at(2026, 4, 1, 21, 0), RETURN, de),
    ];
    let plus2 = parse_utc_offset("+02:00").unwrap();
    let s = |p| RetentionSpec::new(Calendar::new(p, plus2), 2, Definition::On).unwrap();
    let d = analyze(&s(PeriodLength::Day), &events, &ch).unwrap();
    assert_eq!(d.cohorts[0].cohort, day(2026, 4, 1));
    // 21:00 UTC on 1 April is 23:00 at +02:00: the same day.
    assert_eq!(d.cohorts[0].retained, vec![1]);
    let m = analyze(&s(PeriodLength::Month), &events, &ch).unwrap();
    assert_eq!(m.cohorts[0].cohort, day(2026, 4, 1));
    // In UTC the same events are March's cohort, returning in April.
    let utc = analyze(&spec(PeriodLength::Month, 2, Definition::On), &events, &ch).unwrap();
    assert_eq!(utc.cohorts[0].cohort, day(2026, 3, 1));
    assert_eq!(utc.cohorts[0].retained, vec![1, 1]);
}

/// An as-of inside a period: later events left out and counted, cells
/// after it absent, the last one partial; an as-of at the end of a
/// period's last day is not partial.
#[test]
fn as_of_ends_observation() {
    let (ch, de, _) = registry();
    let events = [
        ev(1, at(2026, 3, 2, 9, 0), START, de),
        ev(1, at(2026, 3, 3, 9, 0), RETURN, de),
        ev(1, at(2026, 3, 12, 9, 0), RETURN, de),
        ev(2, at(2026, 3, 4, 9, 0), START, de),
        ev(2, at(2026, 3, 20, 9, 0), RETURN, de),
    ];
    let mid = spec(PeriodLength::Week, 4, Definition::On).with_as_of(at(2026, 3, 11, 0, 0));
    let r = analyze(&mid, &events, &ch).unwrap();
    assert_eq!(r.events_after_as_of, 2);
    let c = &r.cohorts[0];
    assert_eq!((c.users, &c.retained, c.partial), (2, &vec![1, 0], true));
    // The end of Sunday 15 March: the week is complete.
    let end = Utc.with_ymd_and_hms(2026, 3, 15, 23, 59, 59).unwrap();
    let r = analyze(
        &spec(PeriodLength::Week, 4, Definition::On).with_as_of(end),
        &events,
        &ch,
    )
    .unwrap();
    assert_eq!(
        (&r.cohorts[0].retained, r.cohorts[0].partial),
        (&vec![1, 1], false)
    );
}

/// A return in the same second as the start counts; one before it does
/// not; users without a start are counted apart.
#[test]
fn returns_from_the_start_on() {
    let (ch, de, _) = registry();
    let t = at(2026, 3, 2, 9, 0);
    let events = [
        ev(1, t, START, de),
        ev(1, t, RETURN, de),
        ev(2, at(2026, 3, 2, 8, 0), RETURN, de),
        ev(2, t, START, de),
        ev(3, t, RETURN, de),
    ];
    let r = analyze(&spec(PeriodLength::Day, 1, Definition::On), &events, &ch).unwrap();
    assert_eq!((r.cohorts[0].users, &r.cohorts[0].retained), (2, &vec![1]));
    assert_eq!(r.users_without_start, 1);
    // The return listed before the start at the same instant, in a file
    // in time order, counts too.
    let events = [ev(1, t, RETURN, de), ev(1, t, START, de)];
    let r = analyze(&spec(PeriodLength::Day, 1, Definition::On), &events, &ch).unwrap();
    assert_eq!(r.cohorts[0].retained, vec![1]);
}

/// The breakdown is the value of the user's first start event; the whole
/// adds the values up.
#[test]
fn breakdown_by_the_first_start() {
    let (ch, de, fr) = registry();
    let events = [
        ev(1, at(2026, 3, 2, 9, 0), START, fr),
        ev(1, at(2026, 3, 1, 9, 0), START, de),
        ev(1, at(2026, 3, 2, 10, 0), RETURN, fr),
        ev(2, at(2026, 3, 2, 9, 0), START | RETURN, fr),
    ];
    let r = analyze(&spec(PeriodLength::Week, 2, Definition::On), &events, &ch).unwrap();
    assert_eq!(r.by_breakdown["DE"][0].users, 1);
    assert_eq!(r.by_breakdown["DE"][0].cohort, day(2026, 2, 23));
    assert_eq!(r.by_breakdown["FR"][0].users, 1);
    let whole: u64 = r.cohorts.iter().map(|c| c.users).sum();
    assert_eq!(whole, 2);
}

/// Long tables (64 periods and more) count their far cells.
#[test]
fn long_tables() {
    let (ch, de, _) = registry();
    let start = at(2026, 1, 1, 0, 0);
    let events = [
        ev(1, start, START, de),
        ev(1, start + chrono::TimeDelta::days(70), RETURN, de),
        ev(1, start + chrono::TimeDelta::days(99), RETURN, de),
    ];
    let r = analyze(&spec(PeriodLength::Day, 100, Definition::On), &events, &ch).unwrap();
    let c = &r.cohorts[0].retained;
    assert_eq!(c.len(), 100);
    assert_eq!((c[70], c[99], c.iter().sum::<u64>()), (1, 1, 2));
    let r = analyze(
        &spec(PeriodLength::Day, 100, Definition::OnOrAfter),
        &events,
        &ch,
    )
    .unwrap();
    assert_eq!(r.cohorts[0].retained, vec![1; 100]);
}

/// The oracle: each user's cohort and return periods from dates
/// (`Calendar::period_of` on `DateTime`s), counted directly.
fn oracle(spec: &RetentionSpec, events: &[RetentionEvent]) -> BTreeMap<i64, (u64, Vec<u64>)> {
    let cal = spec.calendar();
    let time = |ts: i64| DateTime::from_timestamp(ts, 0).unwrap();
    let mut starts: BTreeMap<u64, i64> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind & START != 0) {
        let s = starts.entry(e.user).or_insert(e.ts);
        *s = (*s).min(e.ts);
    }
    let mut out: BTreeMap<i64, (u64, Vec<u64>)> = BTreeMap::new();
    for (&user, &start) in &starts {
        let c = cal.period_of(time(start));
        let offsets: BTreeSet<i64> = events
            .iter()
            .filter(|e| e.user == user && e.kind & RETURN != 0 && e.ts >= start)
            .map(|e| cal.period_of(time(e.ts)) - c)
            .collect();
        let row = out.entry(c).or_insert((0, vec![0; spec.periods()]));
        row.0 += 1;
        for n in 0..spec.periods() {
            let hit = match spec.definition() {
                Definition::On => offsets.contains(&(n as i64)),
                Definition::OnOrAfter => offsets.iter().any(|&o| o >= n as i64),
            };
            row.1[n] += u64::from(hit);
        }
    }
    out
}

fn events_strategy() -> impl Strategy<Value = Vec<RetentionEvent>> {
    proptest::collection::vec((0u64..12, 0i64..120 * 86_400, 0u8..4, 0u32..2), 0..60).prop_map(
        |v| {
            v.into_iter()
                .map(|(user, dt, kind, by)| RetentionEvent {
                    user,
                    ts: 1_772_323_200 + dt,
                    kind,
                    by: ChannelId(by),
                })
                .collect()
        },
    )
}

fn calendar_strategy() -> impl Strategy<Value = Calendar> {
    (0usize..3, -12i32..13).prop_map(|(p, h)| {
        let period = [PeriodLength::Day, PeriodLength::Week, PeriodLength::Month][p];
        Calendar::new(period, chrono::FixedOffset::east_opt(h * 3600).unwrap())
    })
}

/// Each user's events, whole: the inputs the merge law cuts between.
fn by_user(events: &[RetentionEvent]) -> Vec<Vec<RetentionEvent>> {
    let mut m: BTreeMap<u64, Vec<RetentionEvent>> = BTreeMap::new();
    for e in events {
        m.entry(e.user).or_default().push(*e);
    }
    m.into_values().collect()
}

fn tied_events_strategy() -> impl Strategy<Value = Vec<RetentionEvent>> {
    proptest::collection::vec((0u64..6, 0i64..6, 0u8..4, 0u32..2), 0..40).prop_map(|v| {
        let mut events: Vec<RetentionEvent> = v
            .into_iter()
            .map(|(user, dt, kind, by)| RetentionEvent {
                user,
                ts: 1_772_323_200 + dt * 43_200,
                kind,
                by: ChannelId(by),
            })
            .collect();
        // In time order, ties in any order: the kernel's one-pass case.
        events.sort_by_key(|e| e.ts);
        events
    })
}

proptest! {
    /// Events in time order with many ties (the one-pass path) equal the
    /// oracle and the same events in reverse order (the two-pass path).
    #[test]
    fn time_order_and_ties(events in tied_events_strategy(), n in 1usize..5) {
        let (ch, _, _) = registry();
        for def in [Definition::On, Definition::OnOrAfter] {
            let s = RetentionSpec::new(Calendar::utc(PeriodLength::Day), n, def).unwrap();
            let r = analyze(&s, &events, &ch).unwrap();
            let want = oracle(&s, &events);
            prop_assert_eq!(r.cohorts.len(), want.len());
            for (row, (_, (users, cells))) in r.cohorts.iter().zip(&want) {
                prop_assert_eq!(row.users, *users);
                prop_assert_eq!(&row.retained[..], &cells[..row.retained.len()]);
            }
            let mut reversed = events.clone();
            reversed.reverse();
            prop_assert_eq!(analyze(&s, &reversed, &ch).unwrap(), r);
        }
    }

    /// The table equals the oracle (cut to the as-of period), for both
    /// definitions, every period kind and offset; counts never exceed the
    /// cohort, `on` never exceeds `on_or_after`, which never rises;
    /// rates are the counts over the users.
    #[test]
    fn tables_equal_the_oracle(events in events_strategy(), cal in calendar_strategy(), n in 1usize..8) {
        let (ch, _, _) = registry();
        let latest = events.iter().map(|e| e.ts).max();
        for def in [Definition::On, Definition::OnOrAfter] {
            let s = RetentionSpec::new(cal, n, def).unwrap();
            let r = analyze(&s, &events, &ch).unwrap();
            let want = oracle(&s, &events);
            prop_assert_eq!(r.cohorts.len(), want.len());
            let last = latest.map(|t| cal.period_of(DateTime::from_timestamp(t, 0).unwrap()));
            for (row, (&c, (users, cells))) in r.cohorts.iter().zip(&want) {
                prop_assert_eq!(row.cohort, cal.first_day(c).unwrap());
                prop_assert_eq!(row.users, *users);
                let shown = ((last.unwrap() - c + 1) as usize).min(n);
                prop_assert_eq!(&row.retained[..], &cells[..shown]);
                for (k, &x) in row.retained.iter().enumerate() {
                    prop_assert!(x <= row.users);
                    prop_assert_eq!(row.rates[k], revops::Ratio::from_counts(x, row.users).unwrap());
                }
            }
        }
        let on = analyze(&RetentionSpec::new(cal, n, Definition::On).unwrap(), &events, &ch).unwrap();
        let after = analyze(&RetentionSpec::new(cal, n, Definition::OnOrAfter).unwrap(), &events, &ch).unwrap();
        for (a, b) in on.cohorts.iter().zip(&after.cohorts) {
            for k in 0..a.retained.len() {
                prop_assert!(a.retained[k] <= b.retained[k]);
                if k > 0 {
                    prop_assert!(b.retained[k] <= b.retained[k - 1]);
                }
            }
        }
    }

    /// Merged states of any user partition (each through JSON) finish into
    /// the whole's table; the order of events does not matter.
    #[test]
    fn retention_merge_law(events in events_strategy(), cal in calendar_strategy(), cuts in proptest::collection::vec(0usize..13, 0..4), def in 0usize..2) {
        let (ch, _, _) = registry();
        let def = [Definition::On, Definition::OnOrAfter][def];
        let s = RetentionSpec::new(cal, 5, def).unwrap();
        let users = by_user(&events);
        laws::merge_law(
            &users,
            &cuts,
            || RetentionState::new(s),
            |st, part| {
                let flat: Vec<RetentionEvent> = part.iter().flatten().copied().collect();
                st.add(&flat, &ch).unwrap();
            },
            |st| st.finish().unwrap(),
        );
        let mut reversed = events.clone();
        reversed.reverse();
        prop_assert_eq!(analyze(&s, &reversed, &ch).unwrap(), analyze(&s, &events, &ch).unwrap());
    }

    /// The lifecycle laws: new + returning + resurrecting = the period's
    /// active users; returning + |dormant| = the previous period's active
    /// users; merged states finish into the whole's lifecycle.
    #[test]
    fn lifecycle_laws(events in events_strategy(), cal in calendar_strategy(), cuts in proptest::collection::vec(0usize..13, 0..4)) {
        let s = LifecycleSpec::new(cal);
        let r = lifecycle(&s, &events).unwrap();
        let time = |ts: i64| DateTime::from_timestamp(ts, 0).unwrap();
        let mut active: BTreeMap<i64, BTreeSet<u64>> = BTreeMap::new();
        for e in events.iter().filter(|e| e.kind != 0) {
            active.entry(cal.period_of(time(e.ts))).or_default().insert(e.user);
        }
        let count = |p: i64| active.get(&p).map_or(0, |u| u.len() as u64);
        for row in &r.rows {
            let p = cal.period.index(row.period);
            prop_assert_eq!(row.new + row.returning + row.resurrecting, count(p));
            prop_assert_eq!(row.returning + row.dormant.unsigned_abs(), count(p - 1));
        }
        if let (Some(first), Some(last)) = (active.keys().next(), events.iter().map(|e| e.ts).max()) {
            prop_assert_eq!(r.rows.first().map(|x| cal.period.index(x.period)), Some(*first));
            prop_assert_eq!(r.rows.last().map(|x| cal.period.index(x.period)), Some(cal.period_of(time(last))));
        }
        laws::merge_law(
            &by_user(&events),
            &cuts,
            || LifecycleState::new(s),
            |st, part| {
                let flat: Vec<RetentionEvent> = part.iter().flatten().copied().collect();
                st.add(&flat).unwrap();
            },
            |st| st.finish(),
        );
    }
}

/// Deserialized states are checked: cells longer than the spec's
/// periods, a cell above its cohort, `on_or_after` rising, and more
/// returning and dormant users than were active are refused.
#[test]
fn hostile_states_are_refused() {
    let (ch, de, _) = registry();
    let s = spec(PeriodLength::Day, 2, Definition::On);
    let mut st = RetentionState::new(s);
    st.add(
        &[
            ev(1, at(2026, 3, 2, 9, 0), START | RETURN, de),
            ev(1, at(2026, 3, 3, 9, 0), RETURN, de),
        ],
        &ch,
    )
    .unwrap();
    let json = serde_json::to_string(&st).unwrap();
    assert!(serde_json::from_str::<RetentionState>(&json).is_ok());
    for (from, to) in [
        ("\"on\":[1,1]", "\"on\":[1,1,0]"),
        ("\"on\":[1,1]", "\"on\":[2,1]"),
        ("\"on_or_after\":[1,1]", "\"on_or_after\":[0,1]"),
        ("\"users\":1", "\"users\":0"),
    ] {
        assert!(json.contains(from), "{json}");
        let bad = json.replacen(from, to, 1);
        assert!(
            serde_json::from_str::<RetentionState>(&bad).is_err(),
            "{bad}"
        );
    }
    let mut life = LifecycleState::new(LifecycleSpec::new(Calendar::utc(PeriodLength::Day)));
    life.add(&[ev(1, at(2026, 3, 2, 9, 0), RETURN, de)])
        .unwrap();
    let json = serde_json::to_string(&life).unwrap();
    assert!(serde_json::from_str::<LifecycleState>(&json).is_ok());
    let bad = json.replacen("[0,0,0,1]", "[0,0,0,2]", 1);
    assert!(
        json != bad && serde_json::from_str::<LifecycleState>(&bad).is_err(),
        "{json}"
    );
}

/// The bucketed kernel on several threads equals one thread, on users
/// spread over many buckets (ids up to 200,000) and sparse ids (through a
/// map), for both definitions and long tables.
#[test]
fn threads_and_buckets_change_nothing() {
    let (ch, de, fr) = registry();
    let mut state: u64 = 17;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut events = Vec::new();
    for _ in 0..60_000 {
        let user = next() % 200_000;
        let ts = 1_772_323_200 + (next() % (400 * 86_400)) as i64;
        let kind = [START, RETURN, START | RETURN, 0][(next() % 4) as usize];
        let by = if next() % 2 == 0 { de } else { fr };
        events.push(RetentionEvent { user, ts, kind, by });
    }
    let sparse: Vec<RetentionEvent> = events
        .iter()
        .map(|e| RetentionEvent {
            user: e.user.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ..*e
        })
        .collect();
    for (period, n) in [(PeriodLength::Week, 12), (PeriodLength::Day, 100)] {
        for def in [Definition::On, Definition::OnOrAfter] {
            let s = spec(period, n, def);
            let one = analyze(&s, &events, &ch).unwrap();
            for threads in [2, 3, 8] {
                let mut st = RetentionState::new(s);
                st.add_parallel(&events, &ch, threads).unwrap();
                assert!(st.finish().unwrap() == one, "{period} {def:?} {threads}");
            }
            assert!(analyze(&s, &sparse, &ch).unwrap() == one, "sparse ids");
        }
    }
}

/// Times at the ends of `i64` (and every clock) neither panic nor hang:
/// the lifecycle lists only the periods with counts when they span more
/// than a report lists.
#[test]
fn extreme_times() {
    let (ch, de, _) = registry();
    let events: Vec<RetentionEvent> = [i64::MIN, -1, 0, 1, i64::MAX]
        .iter()
        .enumerate()
        .flat_map(|(i, &ts)| {
            [
                RetentionEvent {
                    user: i as u64,
                    ts,
                    kind: START,
                    by: de,
                },
                RetentionEvent {
                    user: 0,
                    ts,
                    kind: RETURN,
                    by: de,
                },
            ]
        })
        .collect();
    for unit in TimeUnit::ALL {
        for def in [Definition::On, Definition::OnOrAfter] {
            let s = spec(PeriodLength::Day, 520, def).with_unit(unit);
            let r = analyze(&s, &events, &ch).unwrap();
            assert!(r.cohorts.iter().all(|c| c.retained.len() <= 520));
            let s = s.with_as_of(DateTime::<Utc>::MIN_UTC);
            analyze(&s, &events, &ch).unwrap();
        }
        let life = LifecycleSpec {
            unit,
            ..LifecycleSpec::new(Calendar::utc(PeriodLength::Day))
        };
        let r = lifecycle(&life, &events).unwrap();
        assert!(r.rows.len() <= 12, "{}", r.rows.len());
    }
}
