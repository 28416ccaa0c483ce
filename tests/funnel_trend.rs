//! Funnel trends and time-to-convert histograms: hand-worked cases, an
//! oracle of the entry period (the default mode), and the laws (periods
//! add up to the whole, states merge, every path agrees).

use std::collections::BTreeMap;

use chrono::TimeDelta;
use proptest::prelude::*;
use revops::funnel::*;
use revops::journey::{ChannelId, Channels};
use revops::quantity::{parse_utc_offset, Calendar, PeriodLength, TimeBins};
use revops::Aggregate;
use revops::NaiveDate;

mod laws;

const DAY: i64 = 86_400;

fn registry() -> Channels {
    let mut ch = Channels::new();
    for name in ["zeta", "alpha", "mid"] {
        ch.intern_str(name).unwrap();
    }
    ch
}

fn ev(user: u64, ts: i64, step: u8) -> FunnelEvent {
    FunnelEvent::new(user, ts, step, ChannelId(0))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn daily(steps: usize, window: i64) -> FunnelSpec {
    FunnelSpec::new(steps, TimeDelta::seconds(window))
        .unwrap()
        .with_trend(Calendar::utc(PeriodLength::Day))
}

/// Users per step of each listed period.
fn trend_users(r: &FunnelReport) -> Vec<(NaiveDate, Vec<u64>)> {
    r.trend
        .iter()
        .map(|p| (p.period, p.steps.iter().map(|s| s.users).collect()))
        .collect()
}

#[test]
fn a_later_chain_that_reaches_the_level_decides_the_period() {
    // Day 0: a first step alone (level 1). Day 2: a first step and the
    // second within the hour (level 2). The user enters on day 2.
    let events = [
        ev(1, 100, 0),
        ev(1, 2 * DAY + 10, 0),
        ev(1, 2 * DAY + 70, 1),
    ];
    let r = analyze(&daily(2, 3_600), &events, &registry(), Options::default()).unwrap();
    assert_eq!(trend_users(&r), vec![(date(1970, 1, 3), vec![1, 1])]);
    // A second user entering on day 0 lists day 1 between, with zeros.
    let mut more = events.to_vec();
    more.push(ev(2, 5, 0));
    let r2 = analyze(&daily(2, 3_600), &more, &registry(), Options::default()).unwrap();
    assert_eq!(
        trend_users(&r2),
        vec![
            (date(1970, 1, 1), vec![1, 0]),
            (date(1970, 1, 2), vec![0, 0]),
            (date(1970, 1, 3), vec![1, 1]),
        ]
    );
    // The time to convert is the day-2 chain's.
    let t = r.trend[0].steps[1].time_from_previous.clone().unwrap();
    assert_eq!(t.median_seconds, revops::dec!(60));
}

#[test]
fn the_earliest_start_that_reaches_the_level_decides_the_period() {
    // 23:59:50 on day 0, again at 00:00:05 on day 1, then the second step
    // at 00:00:20: both starts reach level 2 within the minute, and the
    // earlier one is on day 0 (ClickHouse's counted chain, and its time,
    // start at the later one).
    let events = [ev(1, DAY - 10, 0), ev(1, DAY + 5, 0), ev(1, DAY + 20, 1)];
    let r = analyze(&daily(2, 60), &events, &registry(), Options::default()).unwrap();
    assert_eq!(trend_users(&r), vec![(date(1970, 1, 1), vec![1, 1])]);
    assert_eq!(
        r.steps[1]
            .time_from_previous
            .clone()
            .unwrap()
            .median_seconds,
        revops::dec!(15)
    );
    // With a window of 25 s only the later start reaches the second step.
    let r = analyze(&daily(2, 25), &events, &registry(), Options::default()).unwrap();
    assert_eq!(trend_users(&r), vec![(date(1970, 1, 2), vec![1, 1])]);
}

#[test]
fn a_period_boundary_at_the_offset() {
    // Sunday 2026-03-01 23:30 UTC is Monday 2026-03-02 00:30 at +01:00.
    let sunday_late = 1_772_407_800;
    let events = [ev(1, sunday_late, 0), ev(2, sunday_late - 3_600, 0)];
    let at = |offset: &str| {
        let spec = FunnelSpec::new(1, TimeDelta::zero())
            .unwrap()
            .with_trend(Calendar::new(
                PeriodLength::Week,
                parse_utc_offset(offset).unwrap(),
            ));
        trend_users(&analyze(&spec, &events, &registry(), Options::default()).unwrap())
    };
    assert_eq!(at("+00:00"), vec![(date(2026, 2, 23), vec![2])]);
    assert_eq!(
        at("+01:00"),
        vec![(date(2026, 2, 23), vec![1]), (date(2026, 3, 2), vec![1])]
    );
    // Months at -05:00: 2026-03-01 03:00 UTC is still February.
    let march_first = 1_772_334_000; // 2026-03-01 03:00 UTC
    let spec = FunnelSpec::new(1, TimeDelta::zero())
        .unwrap()
        .with_trend(Calendar::new(
            PeriodLength::Month,
            parse_utc_offset("-05:00").unwrap(),
        ));
    let r = analyze(
        &spec,
        &[ev(1, march_first, 0)],
        &registry(),
        Options::default(),
    )
    .unwrap();
    assert_eq!(trend_users(&r), vec![(date(2026, 2, 1), vec![1])]);
}

#[test]
fn histograms_auto_and_given() {
    // Times 0, 1, 9, 99, 999 s from step 1 to step 2.
    let events: Vec<FunnelEvent> = [0i64, 1, 9, 99, 999]
        .iter()
        .enumerate()
        .flat_map(|(u, &t)| [ev(u as u64, 0, 0), ev(u as u64, t, 1)])
        .collect();
    let spec = FunnelSpec::new(2, TimeDelta::seconds(1_000))
        .unwrap()
        .with_time_to_convert(TimeBins::auto(3).unwrap());
    let r = analyze(&spec, &events, &registry(), Options::default()).unwrap();
    let h = &r.time_to_convert[0];
    let bins: Vec<(String, Option<String>, u64)> = h
        .bins
        .iter()
        .map(|b| {
            (
                b.from_seconds.to_string(),
                b.to_seconds.map(|t| t.to_string()),
                b.users,
            )
        })
        .collect();
    assert_eq!(
        bins,
        vec![
            ("0".into(), Some("9".into()), 2),
            ("9".into(), Some("99".into()), 1),
            ("99".into(), Some("999".into()), 2),
        ]
    );
    let spec = spec.with_time_to_convert(
        TimeBins::bounds(vec![TimeDelta::seconds(1), TimeDelta::seconds(100)]).unwrap(),
    );
    let r = analyze(&spec, &events, &registry(), Options::default()).unwrap();
    let users: Vec<u64> = r.time_to_convert[0].bins.iter().map(|b| b.users).collect();
    assert_eq!(users, [1, 3, 1]);
    assert_eq!(r.time_to_convert[0].bins[2].to_seconds, None);
}

#[test]
fn histograms_cover_every_pair() {
    let events = [
        ev(1, 0, 0),
        ev(1, 5, 1),
        ev(1, 7, 2),
        ev(2, 0, 0),
        ev(2, 3, 1),
    ];
    let spec = FunnelSpec::new(3, TimeDelta::seconds(60))
        .unwrap()
        .with_time_to_convert(TimeBins::auto(4).unwrap());
    let r = analyze(&spec, &events, &registry(), Options::default()).unwrap();
    let pairs: Vec<(usize, usize, u64)> = r
        .time_to_convert
        .iter()
        .map(|h| (h.from, h.to, h.bins.iter().map(|b| b.users).sum()))
        .collect();
    assert_eq!(pairs, [(0, 1, 2), (0, 2, 1), (1, 2, 1)]);
}

// ---- the oracle of the entry period, default mode ----

/// The level a chain from the step-1 event at `start` reaches: the
/// library's own scan over the user's events with every other step-1
/// event removed (in the default mode nothing else changes).
fn level_from(spec: &FunnelSpec, events: &[FunnelEvent], start: usize) -> usize {
    let alone: Vec<FunnelEvent> = events
        .iter()
        .enumerate()
        .filter(|(i, e)| *i == start || e.step != 0)
        .map(|(_, e)| *e)
        .collect();
    let plain = FunnelSpec::new(spec.steps(), spec.window()).unwrap();
    let r = analyze(&plain, &alone, &registry(), Options::default()).unwrap();
    r.steps.iter().filter(|s| s.users > 0).count()
}

/// Per day, the users per step: each user in the day of the earliest
/// step-1 event from which a chain reaches the user's level.
fn oracle(spec: &FunnelSpec, events: &[FunnelEvent]) -> BTreeMap<i64, Vec<u64>> {
    let mut users: BTreeMap<u64, Vec<FunnelEvent>> = BTreeMap::new();
    for e in events {
        users.entry(e.user).or_default().push(*e);
    }
    let mut out: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
    for evs in users.values() {
        let level = (0..evs.len())
            .filter(|&i| evs[i].step == 0)
            .map(|i| level_from(spec, evs, i))
            .max();
        let Some(level) = level.filter(|&l| l > 0) else {
            continue;
        };
        let start = (0..evs.len())
            .filter(|&i| evs[i].step == 0 && level_from(spec, evs, i) == level)
            .map(|i| evs[i].ts)
            .min()
            .unwrap();
        let row = out
            .entry(start.div_euclid(DAY))
            .or_insert_with(|| vec![0; spec.steps()]);
        for r in row.iter_mut().take(level) {
            *r += 1;
        }
    }
    out
}

fn events_strategy(users: u64, span: i64) -> impl Strategy<Value = Vec<FunnelEvent>> {
    prop::collection::vec((0..users, 0..span, 0u8..5, 0u32..3), 0..120).prop_map(|v| {
        v.into_iter()
            .map(|(u, ts, step, ch)| FunnelEvent::new(u, ts, step, ChannelId(ch)))
            .collect()
    })
}

fn modes_strategy() -> impl Strategy<Value = Modes> {
    prop::sample::subsequence(
        vec![
            "strict_deduplication",
            "strict_order",
            "strict_increase",
            "strict_once",
            "allow_reentry",
        ],
        0..=5,
    )
    .prop_map(|names| {
        let mut m = Modes::default();
        for n in &names {
            if *n != "allow_reentry" || names.contains(&"strict_order") {
                m.set(n).unwrap();
            }
        }
        m
    })
}

fn any_spec() -> impl Strategy<Value = FunnelSpec> {
    (
        modes_strategy(),
        0i64..3 * DAY,
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(PeriodLength::Day),
            Just(PeriodLength::Week),
            Just(PeriodLength::Month)
        ],
        -12i32..14,
    )
        .prop_map(|(modes, w, any_order, exclude, period, hours)| {
            let mut s = FunnelSpec::new(4, TimeDelta::seconds(w))
                .unwrap()
                .with_modes(modes)
                .unwrap();
            if any_order {
                s = s.any_order();
            }
            if exclude {
                s = s
                    .exclude(Exclusion {
                        event: 4,
                        from_step: 1,
                        to_step: 2,
                    })
                    .unwrap();
            }
            let offset = revops::FixedOffset::east_opt(hours * 3_600).unwrap();
            s.with_trend(Calendar::new(period, offset))
                .with_time_to_convert(TimeBins::auto(5).unwrap())
        })
}

proptest! {
    /// The default mode against the oracle, over days with windows that
    /// cross them; through the partitioned path and the sorting one (a
    /// far user forces it).
    #[test]
    fn entry_day_equals_the_oracle(
        events in events_strategy(12, 5 * DAY),
        w in prop_oneof![0i64..100, 0..2 * DAY],
        far in any::<bool>(),
    ) {
        let spec = daily(4, w);
        let mut events = events;
        if far {
            events.push(ev(1_000, 1 << 40, 0));
        }
        let r = analyze(&spec, &events, &registry(), Options::default()).unwrap();
        let got: BTreeMap<i64, Vec<u64>> = r
            .trend
            .iter()
            .filter(|p| p.steps[0].users > 0)
            .map(|p| {
                let day = p.period.signed_duration_since(date(1970, 1, 1)).num_days();
                (day, p.steps.iter().map(|s| s.users).collect())
            })
            .collect();
        prop_assert_eq!(got, oracle(&spec, &events));
    }

    /// In every mode, kind and exclusion: the periods' users add up to
    /// the whole report's, per step and per channel; the histograms'
    /// users add up to the users with a time, per period and in all; the
    /// periods are consecutive and their first days are first days.
    #[test]
    fn periods_add_up_to_the_whole(events in events_strategy(30, 90 * DAY), spec in any_spec()) {
        let r = analyze(&spec, &events, &registry(), Options::default()).unwrap();
        let n = spec.steps();
        for k in 0..n {
            let sum: u64 = r.trend.iter().map(|p| p.steps[k].users).sum();
            prop_assert_eq!(sum, r.steps[k].users, "step {}", k);
            for (name, steps) in &r.by_channel {
                let sum: u64 = r
                    .trend
                    .iter()
                    .filter_map(|p| p.by_channel.get(name))
                    .map(|s| s[k].users)
                    .sum();
                prop_assert_eq!(sum, steps[k].users, "channel {} step {}", name, k);
            }
        }
        let cal = spec.trend().unwrap();
        for w in r.trend.windows(2) {
            let a = cal.period.index(w[0].period);
            prop_assert_eq!(cal.period.index(w[1].period), a + 1);
        }
        for p in &r.trend {
            prop_assert_eq!(cal.first_day(cal.period.index(p.period)), Some(p.period));
        }
        for (i, h) in r.time_to_convert.iter().enumerate() {
            let step = &r.steps[h.to];
            let t = if h.from + 1 == h.to { &step.time_from_previous } else { &step.time_from_first };
            let total: u64 = h.bins.iter().map(|b| b.users).sum();
            prop_assert_eq!(total, t.as_ref().map_or(0, |t| t.count));
            let per: u64 = r.trend.iter().map(|p| p.time_to_convert[i].bins.iter().map(|b| b.users).sum::<u64>()).sum();
            prop_assert_eq!(per, total);
            for b in 0..h.bins.len() {
                let sum: u64 = r.trend.iter().map(|p| p.time_to_convert[i].bins[b].users).sum();
                prop_assert_eq!(sum, h.bins[b].users);
            }
        }
    }

    /// States merge by any cut of the users, through their JSON, into
    /// the report of the whole, in every mode.
    #[test]
    fn trend_merge_law(
        events in events_strategy(30, 90 * DAY),
        spec in any_spec(),
        cuts in prop::collection::vec(0usize..30, 0..4),
    ) {
        let ch = registry();
        let mut users: BTreeMap<u64, Vec<FunnelEvent>> = BTreeMap::new();
        for e in &events {
            users.entry(e.user).or_default().push(*e);
        }
        let users: Vec<Vec<FunnelEvent>> = users.into_values().collect();
        laws::merge_law(
            &users,
            &cuts,
            || FunnelState::new(&spec),
            |st, part| {
                let evs: Vec<FunnelEvent> = part.iter().flatten().copied().collect();
                Aggregate::add(st, (&evs, &ch)).unwrap();
            },
            |st| Aggregate::finish(st, &ch).unwrap(),
        );
    }

    /// Threads, memory kept between calls, events in place, and the
    /// sorting path (a far user) give the same trend as the plain call.
    #[test]
    fn every_path_gives_the_same_trend(events in events_strategy(30, 90 * DAY), spec in any_spec(), threads in 0usize..4) {
        let ch = registry();
        let mut many = Vec::with_capacity(events.len() * 80);
        for k in 0..80u64 {
            many.extend(events.iter().map(|e| FunnelEvent::new(e.user + 1000 * k, e.ts, e.step, e.channel)));
        }
        let want = analyze(&spec, &many, &ch, Options::default()).unwrap();
        prop_assert_eq!(&analyze(&spec, &many, &ch, Options::threads(threads)).unwrap(), &want);
        let mut own = many.clone();
        prop_assert_eq!(&analyze(&spec, &mut own, &ch, Options::threads(threads)).unwrap(), &want);
        let mut analyzer = FunnelAnalyzer::new();
        for _ in 0..2 {
            prop_assert_eq!(&analyze(&spec, &many, &ch, Options::default().with_analyzer(&mut analyzer)).unwrap(), &want);
        }
        // The sorting path, with a user far away in a period of its own.
        let mut far = many.clone();
        far.push(FunnelEvent::new(1 << 40, 1 << 40, 0, ChannelId(0)));
        let r = analyze(&spec, &far, &ch, Options::default()).unwrap();
        let last = r.trend.last().unwrap();
        prop_assert_eq!(last.steps[0].users, 1);
        let near: Vec<&TrendPeriod> = r.trend.iter().filter(|p| p.steps[0].users > 0 && p.period != last.period).collect();
        let want_near: Vec<&TrendPeriod> = want.trend.iter().filter(|p| p.steps[0].users > 0).collect();
        prop_assert_eq!(near.len(), want_near.len());
        for (a, b) in near.iter().zip(&want_near) {
            prop_assert_eq!(a.period, b.period);
            prop_assert_eq!(
                a.steps.iter().map(|s| s.users).collect::<Vec<_>>(),
                b.steps.iter().map(|s| s.users).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn hostile_states_are_refused() {
    let spec = daily(2, 60);
    let ch = registry();
    let mut st = FunnelState::new(&spec);
    st.add_events(&[ev(1, 0, 0), ev(1, 5, 1), ev(2, DAY, 0)], &ch)
        .unwrap();
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["by_channel"], serde_json::json!([]));
    assert_eq!(json["periods"][0]["period"], "1970-01-01");
    let back: FunnelState = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back.finish(&ch), st.clone().finish(&ch));
    let refused = |v: serde_json::Value| serde_json::from_value::<FunnelState>(v).is_err();
    // Not a period's first day (a week that starts on a Thursday).
    let mut weekly = json.clone();
    weekly["spec"]["trend"]["period"] = "week".into();
    assert!(refused(weekly));
    // A period twice; whole channels beside periods; periods without a trend.
    let mut twice = json.clone();
    let p0 = twice["periods"][0].clone();
    twice["periods"].as_array_mut().unwrap().push(p0);
    assert!(refused(twice));
    let mut both = json.clone();
    both["by_channel"] = json["periods"][0]["by_channel"].clone();
    assert!(refused(both));
    let mut no_trend = json.clone();
    no_trend["spec"].as_object_mut().unwrap().remove("trend");
    assert!(refused(no_trend));
    // Users that do not add up.
    let mut more = json;
    more["users"] = 3.into();
    assert!(refused(more));
}

#[test]
fn extreme_times_stay_in_the_calendar() {
    // Instants at the ends of i64 (seconds and nanoseconds) go to the
    // first and last periods chrono can write; nothing panics, every
    // user is counted once.
    for unit in [
        revops::quantity::TimeUnit::Second,
        revops::quantity::TimeUnit::Nanosecond,
    ] {
        for period in [PeriodLength::Day, PeriodLength::Week, PeriodLength::Month] {
            let spec = FunnelSpec::new(2, TimeDelta::seconds(10))
                .unwrap()
                .with_unit(unit)
                .unwrap()
                .with_trend(Calendar::new(period, parse_utc_offset("+14:00").unwrap()))
                .with_time_to_convert(TimeBins::CubeRoot);
            let events = [
                ev(1, i64::MIN, 0),
                ev(1, i64::MIN + 1, 1),
                ev(2, i64::MAX, 0),
                ev(3, 0, 0),
                ev(3, 5, 1),
            ];
            let r = analyze(&spec, &events, &registry(), Options::default()).unwrap();
            let users: u64 = r.trend.iter().map(|p| p.steps[0].users).sum();
            assert_eq!(users, 3);
            // Every period between is listed up to 100,000 of them (the
            // nanosecond clock's 585 years in weeks), else only entries.
            let with_entries = r.trend.iter().filter(|p| p.steps[0].users > 0).count();
            assert!(with_entries <= 3);
            assert!(r.trend.len() == with_entries || r.trend.len() <= 100_000);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<FunnelReport>(&json).unwrap(), r);
        }
    }
}
