//! Funnels in the caller's terms (`FunnelInput`: string user keys,
//! `DateTime<Utc>`, names) against the compact path; the four clocks; the
//! partial state through JSON, merged at every split.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use revops::funnel::*;
use revops::journey::{ChannelId, Channels};
use revops::quantity::TimeUnit;

const NAMES: [&str; 6] = ["visit", "signup", "trial", "buy", "refund", "newsletter"];
const VALUES: [&str; 3] = ["ads", "email", "organic"];

/// Raw events: (user, time in ms, name index, breakdown value index).
fn raw_events() -> impl Strategy<Value = Vec<(u8, i64, usize, usize)>> {
    prop::collection::vec((0u8..25, 0i64..400_000, 0usize..6, 0usize..3), 0..160)
}

fn modes_strategy() -> impl Strategy<Value = (Modes, bool)> {
    (any::<[bool; 5]>(), any::<bool>()).prop_map(|(b, any_order)| {
        let m = Modes {
            strict_deduplication: b[0],
            strict_order: b[1],
            strict_increase: b[2],
            strict_once: b[3],
            allow_reentry: b[4] && b[1],
        };
        (m, any_order)
    })
}

/// A spec of four named steps (visit, signup, trial, buy), refunds
/// excluded between signup and buy.
fn named_spec(window_ms: i64, modes: Modes, any_order: bool, unit: TimeUnit) -> FunnelSpec {
    let mut s = FunnelSpec::named(&NAMES[..4], TimeDelta::zero())
        .unwrap()
        .with_unit(unit)
        .unwrap()
        .with_window(TimeDelta::milliseconds(window_ms))
        .unwrap()
        .with_modes(modes)
        .unwrap()
        .exclude_named("refund", "signup", "buy")
        .unwrap();
    if any_order {
        s = s.any_order();
    }
    s
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_767_225_600_000 + ms).unwrap()
}

fn user_key(u: u8) -> String {
    // 16-byte ids, as a service's would be.
    format!("{:016x}", u64::from(u).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

proptest! {
    /// FunnelInput gives exactly what the compact path gives on the same
    /// events mapped by hand (ids, step codes, registry), in every mode,
    /// whatever order the events are pushed in, one by one or through
    /// `extend`.
    #[test]
    fn input_equals_the_compact_path(
        raw in raw_events(),
        window in prop_oneof![Just(0i64), Just(999), Just(60_000), Just(300_000)],
        (modes, any_order) in modes_strategy(),
        rotate in 0usize..200,
    ) {
        let spec = named_spec(window, modes, any_order, TimeUnit::Millisecond);
        // By hand: users numbered, names to codes, values interned.
        let mut ids = HashMap::new();
        let mut reg = Channels::new();
        let code = |i: usize| match i {
            0..=3 => i as u8,
            4 => 4,          // the excluded event's code
            _ => 200,        // matches no step
        };
        let compact: Vec<FunnelEvent> = raw
            .iter()
            .map(|&(u, ms, e, v)| {
                let n = ids.len() as u64;
                let id = *ids.entry(u).or_insert(n);
                let ch = reg.intern_str(VALUES[v]).unwrap();
                FunnelEvent::new(id, 1_767_225_600_000 + ms, code(e), ch)
            })
            .collect();
        let expect = analyze(&spec, &compact, &reg, Options::default()).unwrap();

        let mut pushed = raw.clone();
        if !pushed.is_empty() {
            let k = rotate % pushed.len();
            pushed.rotate_left(k);
            pushed.reverse();
        }
        let mut input = FunnelInput::<String>::new(&spec);
        let keys: Vec<String> = pushed.iter().map(|&(u, ..)| user_key(u)).collect();
        if rotate % 2 == 0 {
            for (&(_, ms, e, v), key) in pushed.iter().zip(&keys) {
                input.push(key.as_str(), at(ms), NAMES[e], VALUES[v]).unwrap();
            }
        } else {
            // In chunks of 32, users repeating within a chunk included.
            input
                .extend(pushed.iter().zip(&keys).map(|(&(_, ms, e, v), key)| Event {
                    user: key.as_str(),
                    at: at(ms),
                    event: NAMES[e],
                    by: VALUES[v],
                }))
                .unwrap();
        }
        let got = input.analyze(Options::default()).unwrap();
        prop_assert_eq!(&got, &expect);
        let names: Vec<Option<&str>> = got.steps.iter().map(|s| s.name.as_deref()).collect();
        prop_assert_eq!(names, vec![Some("visit"), Some("signup"), Some("trial"), Some("buy")]);
        prop_assert_eq!(input.users(), ids.len());
    }

    /// The clock's unit changes nothing but the scale: the same events in
    /// seconds, and in milli-, micro- and nanoseconds (times and window
    /// multiplied alike) give the same report, times to convert (always
    /// in seconds) included, in every mode. The finer clocks' ranges push
    /// the grouping onto its fallback paths, which must agree too.
    #[test]
    fn every_unit_gives_the_same_report(
        raw in prop::collection::vec((0u64..20, 0i64..5_000, 0u8..6, 0u32..3), 0..120),
        window in prop_oneof![Just(0i64), Just(7), Just(90), Just(4_000)],
        (modes, any_order) in modes_strategy(),
        base in prop_oneof![Just(0i64), Just(1_767_225_600), Just(-5_000_000)],
    ) {
        let mut reg = Channels::new();
        for v in VALUES {
            reg.intern_str(v).unwrap();
        }
        let spec_in = |unit: TimeUnit| {
            let mut s = FunnelSpec::new(4, TimeDelta::seconds(window))
                .unwrap()
                .with_unit(unit)
                .unwrap()
                .with_modes(modes)
                .unwrap()
                .exclude(Exclusion { event: 4, from_step: 1, to_step: 3 })
                .unwrap();
            if any_order {
                s = s.any_order();
            }
            s
        };
        let events_in = |unit: TimeUnit| -> Vec<FunnelEvent> {
            raw.iter()
                .map(|&(u, t, step, c)| {
                    FunnelEvent::new(u, (base + t) * unit.per_second(), step, ChannelId(c))
                })
                .collect()
        };
        let seconds = analyze(&spec_in(TimeUnit::Second), &events_in(TimeUnit::Second), &reg, Options::default()).unwrap();
        for unit in TimeUnit::ALL {
            let spec = spec_in(unit);
            prop_assert_eq!(spec.window(), TimeDelta::seconds(window));
            let r = analyze(&spec, &events_in(unit), &reg, Options::default()).unwrap();
            prop_assert_eq!(&r, &seconds, "unit {}", unit);
        }
    }

    /// Split the users over up to four services, each with its own
    /// `FunnelInput` (so its own registry, values interned in another
    /// order); each partial state goes out as JSON and comes back; merged
    /// in any order, they equal the analysis of the whole, in every mode
    /// and at every split.
    #[test]
    fn states_ship_as_json_and_merge_to_the_whole(
        raw in raw_events(),
        window in prop_oneof![Just(999i64), Just(60_000), Just(300_000)],
        (modes, any_order) in modes_strategy(),
        parts in 1u8..5,
        salt in any::<u8>(),
    ) {
        let spec = named_spec(window, modes, any_order, TimeUnit::Millisecond);
        let mut whole = FunnelInput::<String>::new(&spec);
        let mut split: Vec<FunnelInput<String>> =
            (0..parts).map(|_| FunnelInput::new(&spec)).collect();
        for &(u, ms, e, v) in &raw {
            whole.push(user_key(u).as_str(), at(ms), NAMES[e], VALUES[v]).unwrap();
        }
        // Each part sees the values in another order.
        for (p, input) in split.iter_mut().enumerate() {
            for (u, ms, e, v) in raw.iter().rev().cycle().skip(p).take(raw.len()) {
                if (u ^ salt) % parts == p as u8 {
                    input.push(user_key(*u).as_str(), at(*ms), NAMES[*e], VALUES[*v]).unwrap();
                }
            }
        }
        let shipped: Vec<FunnelState> = split
            .iter()
            .map(|i| {
                let json = serde_json::to_string(&i.state().unwrap()).unwrap();
                serde_json::from_str(&json).unwrap()
            })
            .collect();
        let expect = whole.analyze(Options::default()).unwrap();
        for order in [false, true] {
            let mut total = FunnelState::new(&spec);
            let mut list: Vec<&FunnelState> = shipped.iter().collect();
            if order {
                list.reverse();
            }
            for st in list {
                total.merge(st).unwrap();
            }
            prop_assert_eq!(&total.finish(&Channels::new()), &expect);
        }
    }
}

#[test]
fn timestamps_finer_than_the_unit_are_refused() {
    let spec = FunnelSpec::named(["a", "b"], TimeDelta::hours(1)).unwrap();
    let mut input = FunnelInput::<u64>::new(&spec);
    let t = Utc.timestamp_millis_opt(1_700_000_000_250).unwrap();
    assert!(matches!(
        input.push(&7, t, "a", "web"),
        Err(revops::Error::InvalidInput { .. })
    ));
    assert!(input.is_empty());
    // Nanoseconds cannot count 2300.
    let spec = spec.with_unit(TimeUnit::Nanosecond).unwrap();
    let mut input = FunnelInput::<u64>::new(&spec);
    let late = Utc.with_ymd_and_hms(2300, 1, 1, 0, 0, 0).unwrap();
    assert!(matches!(
        input.push(&7, late, "a", "web"),
        Err(revops::Error::Overflow { .. })
    ));
    // An invalid breakdown value.
    assert!(input.push(&7, t, "a", "").is_err());
    assert_eq!(input.len(), 0);
}

#[test]
fn named_specs_round_trip_and_validate() {
    let spec = named_spec(1_500, Modes::default(), false, TimeUnit::Millisecond);
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(serde_json::from_str::<FunnelSpec>(&json).unwrap(), spec);
    assert!(json.contains(r#""unit":"millisecond""#), "{json}");
    assert!(json.contains(r#""window":1500"#), "{json}");
    for bad in [
        r#"{"steps": 2, "window": 1, "names": ["a"]}"#,
        r#"{"steps": 2, "window": 1, "names": ["a", "a"]}"#,
        r#"{"steps": 2, "window": 1, "names": ["a", ""]}"#,
        r#"{"steps": 2, "window": 1, "unit": "minute"}"#,
        r#"{"steps": 2, "window": 1, "names": ["a", "b"], "event_names": ["a"]}"#,
    ] {
        assert!(serde_json::from_str::<FunnelSpec>(bad).is_err(), "{bad}");
    }
    // From a journey funnel: the steps take the stages' names.
    use revops::journey::{Funnel, FunnelStage, Team};
    let f = Funnel::new(vec![
        FunnelStage::new("Ad", Team::Marketing),
        FunnelStage::new("Demo", Team::Sales),
    ])
    .unwrap();
    let s = FunnelSpec::from_funnel(&f, TimeDelta::days(30)).unwrap();
    assert_eq!(s.step_names(), ["Ad", "Demo"]);
}

/// A state read from JSON is checked against its spec: counts that do not
/// add up, times outside the window or out of order, rows of the wrong
/// length, repeated channels and overflowing counts are refused.
#[test]
fn hostile_funnel_states_are_refused() {
    let spec = FunnelSpec::named(["a", "b", "c"], TimeDelta::seconds(100)).unwrap();
    let mut input = FunnelInput::<u32>::new(&spec);
    for (u, t, e) in [
        (1, 0, "a"),
        (1, 10, "b"),
        (1, 30, "c"),
        (2, 5, "a"),
        (3, 5, "x"),
    ] {
        input.push_ticks(&u, 1_000 + t, e, "web").unwrap();
    }
    let st = input.state().unwrap();
    let ok = serde_json::to_string(&st).unwrap();
    let expect_json = r#""by_channel":[{"channel":"web","at_level":[1,0,1],"times":[[],[],[10,30]]}],"events":5,"users":3,"events_matching_no_step":1,"users_without_first_step":1,"conversion_excluded":0}"#;
    assert!(ok.ends_with(expect_json), "{ok}");
    assert_eq!(serde_json::from_str::<FunnelState>(&ok).unwrap(), st);
    for (from, to) in [
        (r#""users":3"#, r#""users":4"#),
        (r#"[10,30]"#, r#"[30,10]"#),
        (r#"[10,30]"#, r#"[10,101]"#),
        (r#"[10,30]"#, r#"[-1,30]"#),
        (r#"[10,30]"#, r#"[10]"#),
        (r#""at_level":[1,0,1]"#, r#""at_level":[1,0]"#),
        (r#""events":5"#, r#""events":2"#),
        (r#""conversion_excluded":0"#, r#""conversion_excluded":9"#),
        (r#""channel":"web""#, r#""channel":"""#),
        (
            r#""at_level":[1,0,1]"#,
            r#""at_level":[18446744073709551615,0,1]"#,
        ),
    ] {
        let bad = ok.replace(from, to);
        assert_ne!(bad, ok);
        assert!(serde_json::from_str::<FunnelState>(&bad).is_err(), "{bad}");
    }
    let twice = ok.replace(
        r#""by_channel":[{"channel":"web","at_level":[1,0,1],"times":[[],[],[10,30]]}]"#,
        r#""by_channel":[{"channel":"web","at_level":[1,0,0],"times":[]},{"channel":"web","at_level":[0,0,1],"times":[[],[],[10,30]]}]"#,
    );
    assert!(
        serde_json::from_str::<FunnelState>(&twice).is_err(),
        "{twice}"
    );
    // Counts above 2^62 are refused, so adding to a state read from
    // outside never overflows; a merge that would overflow a count is
    // refused and leaves the state as it was.
    let big = ok.replace(r#""events":5"#, &format!(r#""events":{}"#, 1u64 << 62));
    let over = ok.replace(
        r#""events":5"#,
        &format!(r#""events":{}"#, (1u64 << 62) + 1),
    );
    assert!(serde_json::from_str::<FunnelState>(&over).is_err());
    let mut a: FunnelState = serde_json::from_str(&big).unwrap();
    let copy = a.clone();
    a.merge(&copy).unwrap(); // 2^63
    let a2 = a.clone();
    assert!(a.merge(&a2).is_err()); // 2^64: refused
    assert_eq!(a, a2);
    let mut b: FunnelState = serde_json::from_str(&big).unwrap();
    let mut reg = Channels::new();
    reg.intern_str("web").unwrap();
    b.add_events(&[FunnelEvent::new(9, 0, 0, ChannelId(0))], &reg)
        .unwrap();
}

/// States added with one registry and then with another that names the
/// ids differently are refused rather than mixed up; merging is the way.
#[test]
fn a_state_refuses_a_second_registry_that_renames_its_channels() {
    let spec = FunnelSpec::new(2, TimeDelta::seconds(10)).unwrap();
    let mut r1 = Channels::new();
    r1.intern_str("ads").unwrap();
    let mut r2 = Channels::new();
    r2.intern_str("email").unwrap();
    let mut st = FunnelState::new(&spec);
    st.add_events(&[FunnelEvent::new(1, 0, 0, ChannelId(0))], &r1)
        .unwrap();
    assert!(st
        .add_events(&[FunnelEvent::new(2, 0, 0, ChannelId(0))], &r2)
        .is_err());
    let mut other = FunnelState::new(&spec);
    other
        .add_events(&[FunnelEvent::new(2, 0, 0, ChannelId(0))], &r2)
        .unwrap();
    st.merge(&other).unwrap();
    let r = st.finish(&Channels::new());
    assert_eq!(r.by_channel["ads"][0].users, 1);
    assert_eq!(r.by_channel["email"][0].users, 1);
}

/// Thousands of users: the key table grows several times, and every user
/// keeps its number (the report equals the compact path's).
#[test]
fn many_users_through_growth() {
    let spec = FunnelSpec::named(["a", "b", "c"], TimeDelta::seconds(50)).unwrap();
    let mut reg = Channels::new();
    let web = reg.intern_str("web").unwrap();
    let mut input = FunnelInput::<String>::new(&spec);
    let mut compact = Vec::new();
    for round in 0..3i64 {
        for u in 0..20_000u64 {
            let step = (round + (u % 3) as i64) as u8 % 3;
            let t = round * 20 + (u % 7) as i64;
            input
                .push(user_key((u % 251) as u8).as_str(), at(0), "x", "web")
                .unwrap();
            input
                .push_ticks(
                    format!("user-{u}").as_str(),
                    1_000 + t,
                    ["a", "b", "c"][usize::from(step)],
                    "web",
                )
                .unwrap();
            compact.push(FunnelEvent::new(
                1_000_000 + (u % 251),
                1_767_225_600,
                200,
                web,
            ));
            compact.push(FunnelEvent::new(u, 1_000 + t, step, web));
        }
    }
    assert_eq!(input.users(), 20_000 + 251);
    assert_eq!(
        input.analyze(Options::default()).unwrap(),
        analyze(&spec, &compact, &reg, Options::default()).unwrap()
    );
}

/// A window given before the unit is kept exactly when the unit becomes
/// finer (it was rounded to seconds first, and 1.5 s became 1 s), in
/// every order of the two calls; specs that analyse alike are equal, and
/// a spec reads back equal from its JSON.
#[test]
fn the_window_survives_a_change_of_unit() {
    let w = TimeDelta::milliseconds(1_500);
    let a = FunnelSpec::new(2, w)
        .unwrap()
        .with_unit(TimeUnit::Millisecond)
        .unwrap();
    let b = FunnelSpec::new(2, TimeDelta::zero())
        .unwrap()
        .with_unit(TimeUnit::Millisecond)
        .unwrap()
        .with_window(w)
        .unwrap();
    assert_eq!(a.window(), w);
    assert_eq!(a, b);
    let seconds = FunnelSpec::new(2, w).unwrap();
    assert_eq!(seconds.window(), TimeDelta::seconds(1));
    assert_eq!(seconds, FunnelSpec::new(2, TimeDelta::seconds(1)).unwrap());
    let back: FunnelSpec = serde_json::from_str(&serde_json::to_string(&seconds).unwrap()).unwrap();
    assert_eq!(back, seconds);
    let back: FunnelSpec = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);
}

proptest! {
    /// `coarsen_unit` takes the coarsest unit in which every time and the
    /// window are whole (found here by trying each unit's factor on
    /// every time), and the report is unchanged: from every unit, with
    /// times that are whole seconds, whole milliseconds, whole
    /// microseconds or neither, negative times and windows included.
    #[test]
    fn coarsening_keeps_the_report(
        raw in prop::collection::vec((0u8..20, -5_000i64..5_000, 0usize..6), 0..80),
        grain in prop_oneof![Just(1i64), Just(1_000), Just(1_000_000), Just(1_000_000_000)],
        odd in prop::option::of(0usize..80),
        window_s in prop_oneof![Just(0i64), Just(7), Just(4_000)],
        unit in prop::sample::select(TimeUnit::ALL.to_vec()),
    ) {
        let spec = FunnelSpec::named(&NAMES[..4], TimeDelta::seconds(window_s))
            .unwrap()
            .with_unit(unit)
            .unwrap();
        // Times in `unit` ticks, multiples of `grain` ticks (one of them,
        // `odd`, perhaps one tick off).
        let grain = grain.min(unit.per_second());
        let mut input = FunnelInput::<String>::new(&spec);
        let mut ticks = Vec::new();
        for (i, &(u, t, n)) in raw.iter().enumerate() {
            let ts = 1_767_225_600 * unit.per_second() + t * grain + i64::from(odd == Some(i));
            ticks.push(ts);
            input.push_ticks(&user_key(u), ts, NAMES[n], "web").unwrap();
        }
        let before = input.analyze(Options::default()).unwrap();
        let window = spec.window();
        let expected = TimeUnit::ALL
            .into_iter()
            .filter(|c| c.per_second() <= unit.per_second())
            .find(|c| {
                let f = unit.per_second() / c.per_second();
                let w = window.num_seconds() * unit.per_second();
                w % f == 0 && ticks.iter().all(|t| t % f == 0)
            })
            .unwrap_or(unit);
        prop_assert_eq!(input.coarsen_unit(), expected);
        prop_assert_eq!(input.analyze(Options::default()).unwrap(), before);
    }
}
