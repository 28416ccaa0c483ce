//! Attribution: hand-computed credits for every model and property tests.

use chrono::{TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use revops::attribution::{
    attribute, Model, Options, PathRow, Records, RemovalEffect, Report, SkipReason,
};
use revops::dec;

mod paths;
use paths::{markov, markov_with_transitions, registry_of, run};
use revops::journey::{
    Channel, ChannelId, Channels, Conversion, Journey, Milestone, Touchpoint, TouchpointKind as K,
};
use revops::{Currency, Decimal, Money};

fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}

fn rows(ch: &mut Channels, spec: &[(&str, u64, Decimal, u64)]) -> Vec<PathRow> {
    spec.iter()
        .map(|(p, c, v, n)| PathRow::new(PathRow::parse_path(p, ch).unwrap(), *c, usd(*v), *n))
        .collect()
}

fn credit(a: &Report, name: &str) -> (Decimal, Decimal) {
    let c = a.credit(name).unwrap();
    (c.conversions, c.value.amount())
}

/// A Markov report's removal effects, sorted by channel name.
fn effects(m: &Report) -> &[RemovalEffect] {
    &m.markov().unwrap().removal_effects
}

/// A Markov report's conversion probability.
fn probability(m: &Report) -> f64 {
    m.markov().unwrap().conversion_probability
}

/// A conversion-rate Shapley report's unscaled values, by channel name.
fn phi(r: &[PathRow], ch: &Channels) -> Vec<(String, f64)> {
    let s = run(r, ch, &Model::ShapleyRate).unwrap();
    s.shapley_rate()
        .unwrap()
        .values
        .iter()
        .map(|v| (v.channel.as_str().to_string(), v.value))
        .collect()
}

/// Attributes journeys in USD, with a lookback window if given.
fn on_journeys(
    js: &[Journey],
    model: &Model,
    lookback: Option<TimeDelta>,
) -> Result<Report, revops::Error> {
    let mut o = Options::new(Currency::USD);
    if let Some(l) = lookback {
        o = o.lookback(l);
    }
    attribute(Records::Journeys(js), model, o)
}

/// The registry of [`build`]'s channels: id `k` is `ck`.
fn registry() -> Channels {
    registry_of(5)
}

/// The id `k` of the channel named `ck`.
fn id_of(name: &str) -> usize {
    name[1..].parse().unwrap()
}

#[test]
fn heuristics_match_channel_attribution_definitions() {
    let mut ch = Channels::new();
    // a > b > a: 3 conversions worth 30.00, and 4 nulls.
    let r = rows(
        &mut ch,
        &[("a > b > a", 3, dec!(30.00), 4), ("c", 0, dec!(0), 5)],
    );
    let first = run(&r, &ch, &Model::FirstTouch).unwrap();
    assert_eq!(credit(&first, "a"), (dec!(3), dec!(30.00)));
    assert_eq!(credit(&first, "b"), (dec!(0), dec!(0)));
    // c was seen (in a non-converting path) and is listed with zero credit.
    assert_eq!(credit(&first, "c"), (dec!(0), dec!(0)));
    let last = run(&r, &ch, &Model::LastTouch).unwrap();
    assert_eq!(credit(&last, "a"), (dec!(3), dec!(30.00)));
    // Linear: a touched twice of three touches: 2/3; b 1/3.
    let lin = run(&r, &ch, &Model::Linear).unwrap();
    assert_eq!(credit(&lin, "a"), (dec!(2), dec!(20.00)));
    assert_eq!(credit(&lin, "b"), (dec!(1), dec!(10.00)));
    // Last non-direct skips a trailing direct touch.
    let r2 = rows(
        &mut ch,
        &[
            ("b > direct", 1, dec!(5.00), 0),
            ("direct", 1, dec!(7.00), 0),
        ],
    );
    let lnd = run(&r2, &ch, &"last_non_direct:direct".parse().unwrap()).unwrap();
    assert_eq!(credit(&lnd, "b"), (dec!(1), dec!(5.00)));
    // Only direct: the last touch keeps it.
    assert_eq!(credit(&lnd, "direct"), (dec!(1), dec!(7.00)));
}

#[test]
fn position_based_shapes() {
    let mut ch = Channels::new();
    // One touch: 100%. Two touches: 50/50. Four: 40/10/10/40.
    let r = rows(&mut ch, &[("a", 1, dec!(10.00), 0)]);
    let p = run(&r, &ch, &Model::position_based()).unwrap();
    assert_eq!(credit(&p, "a").1, dec!(10.00));
    let r = rows(&mut ch, &[("a > b", 1, dec!(10.00), 0)]);
    let p = run(&r, &ch, &Model::position_based()).unwrap();
    assert_eq!(credit(&p, "a").1, dec!(5.00));
    let r = rows(&mut ch, &[("a > b > c > d", 1, dec!(10.00), 0)]);
    let p = run(&r, &ch, &Model::position_based()).unwrap();
    let v: Vec<_> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| credit(&p, n).1)
        .collect();
    assert_eq!(v, [dec!(4.00), dec!(1.00), dec!(1.00), dec!(4.00)]);
    assert_eq!(credit(&p, "b").0, dec!(0.1));
    // Five: the middle 20% over three touches (n - 2, not n / 2).
    let r5 = rows(&mut ch, &[("a > b > c > d > e", 1, dec!(30.00), 0)]);
    let p = run(&r5, &ch, &Model::position_based()).unwrap();
    let v: Vec<_> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|n| credit(&p, n).1)
        .collect();
    assert_eq!(
        v,
        [dec!(12.00), dec!(2.00), dec!(2.00), dec!(2.00), dec!(12.00)]
    );
    // All to the first touch is a valid split; nothing to either end is not.
    let share = |x| revops::Ratio::new(x).unwrap();
    let all_first = Model::position_shares(share(dec!(1)), share(dec!(0))).unwrap();
    let p = run(&r, &ch, &all_first).unwrap();
    assert_eq!(credit(&p, "a").1, dec!(10.00));
    assert_eq!(credit(&p, "d").1, dec!(0.00));
    assert!(Model::position_shares(share(dec!(0)), share(dec!(0))).is_err());
    assert!(Model::position_shares(share(dec!(0.8)), share(dec!(0.5))).is_err());
    // A model built around the check is refused when used.
    let neither = Model::PositionBased {
        first: share(dec!(0)),
        last: share(dec!(0)),
    };
    assert!(run(&r, &ch, &neither).is_err());
    let over = Model::PositionBased {
        first: share(dec!(0.8)),
        last: share(dec!(0.5)),
    };
    assert!(run(&r, &ch, &over).is_err());
    // Shares other than 40/40: 0.3 first, 0.5 last, 0.2 shared by b and c.
    let p = run(&r, &ch, &"position_based:0.3,0.5".parse().unwrap()).unwrap();
    let v: Vec<_> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| credit(&p, n).1)
        .collect();
    assert_eq!(v, [dec!(3.00), dec!(1.00), dec!(1.00), dec!(5.00)]);
}

fn t(d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
}

#[test]
fn journey_models() {
    let ch = |n: &str| Channel::new(n).unwrap();
    let j = Journey::new(vec![
        Touchpoint::new(t(1, 0), ch("ads"), K::Impression).with_milestone(Milestone::FirstTouch),
        Touchpoint::new(t(8, 0), ch("webinar"), K::Webinar).with_milestone(Milestone::LeadCreated),
        Touchpoint::new(t(12, 0), ch("email"), K::EmailOpen),
        Touchpoint::new(t(15, 0), ch("sales"), K::Demo)
            .with_milestone(Milestone::OpportunityCreated),
    ])
    .with_conversion(Conversion {
        at: t(15, 0),
        value: usd(dec!(1000.00)),
    })
    .unwrap();
    // Time decay, 7-day half-life: ages 14, 7, 3, 0 days -> 1/4, 1/2, 2^(-3/7), 1.
    let w = Model::TimeDecay {
        half_life: TimeDelta::days(7),
    }
    .journey_weights(&j, None)
    .unwrap();
    assert_eq!(w[0].1, 0.25);
    assert_eq!(w[1].1, 0.5);
    assert!((w[2].1 - 2f64.powf(-3.0 / 7.0)).abs() < 1e-15);
    assert_eq!(w[3].1, 1.0);
    // U-shaped: first 40, lead 40, the other two 10 each.
    let w = Model::UShaped.journey_weights(&j, None).unwrap();
    assert_eq!(
        w.iter().map(|x| x.1).collect::<Vec<_>>(),
        [0.4, 0.4, 0.1, 0.1]
    );
    // W-shaped: first, lead, opportunity 30 each, the rest 10.
    let w = Model::WShaped.journey_weights(&j, None).unwrap();
    assert_eq!(
        w.iter().map(|x| x.1).collect::<Vec<_>>(),
        [0.3, 0.3, 0.1, 0.3]
    );
    // Lookback of 7 days keeps touches on days 8, 12, 15.
    let w = Model::Linear
        .journey_weights(&j, Some(TimeDelta::days(7)))
        .unwrap();
    assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2, 3]);
    // Money adds up exactly for every model.
    for model in [
        "time_decay",
        "u_shaped",
        "w_shaped",
        "full_path",
        "position_based",
        "last_non_direct:sales",
        "markov",
        "shapley",
        "shapley_rate",
    ] {
        let model: Model = model.parse().unwrap();
        let a = on_journeys(std::slice::from_ref(&j), &model, None).unwrap();
        assert_eq!(a.total_value().unwrap(), usd(dec!(1000.00)), "{model}");
        assert_eq!(a.total_conversions().unwrap(), dec!(1), "{model}");
    }
    let sales: Model = "last_non_direct:sales".parse().unwrap();
    let lnd = on_journeys(std::slice::from_ref(&j), &sales, None).unwrap();
    assert_eq!(lnd.credit("email").unwrap().value.amount(), dec!(1000.00));
    // The path models weigh no single journey.
    assert!(Model::Shapley.journey_weights(&j, None).is_err());
    // A negative lookback is refused, not read as "after the conversion".
    assert!(on_journeys(
        std::slice::from_ref(&j),
        &Model::Linear,
        Some(TimeDelta::hours(-1))
    )
    .is_err());
}

/// Order 1, solved by hand. Rows: a>b (1 conv, value 10), a>c (1 null),
/// b (1 conv, value 20, 1 null).
///
/// Transitions: start->a 2, start->b 2; a->b 1, a->c 1; b->conv 2,
/// b->null 1; c->null 1. Absorption into conversion h:
///   h(c) = 0, h(b) = 2/3, h(a) = 1/2 h(b) + 1/2 h(c) = 1/3,
///   h(start) = 1/2 h(a) + 1/2 h(b) = 1/2.
/// Removing a: h(start) = 1/2 * 2/3 = 1/3, so A(a) = 1/6.
/// Removing b: nothing converts, A(b) = 1/2. Removing c: A(c) = 0.
/// Conversions (2) split 1/6 : 1/2 : 0 = 0.5, 1.5, 0; every conversion
/// ends at b (mean value 15), so value (30) splits the same: 7.50, 22.50.
#[test]
fn markov_order_one_by_hand() {
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("a > b", 1, dec!(10), 0),
            ("a > c", 0, dec!(0), 1),
            ("b", 1, dec!(20), 1),
        ],
    );
    let m = markov(&r, &ch, 1).unwrap();
    assert!((probability(&m) - 0.5).abs() < 1e-12);
    assert_eq!(credit(&m, "a"), (dec!(0.5), dec!(7.50)));
    assert_eq!(credit(&m, "b"), (dec!(1.5), dec!(22.50)));
    assert_eq!(credit(&m, "c"), (dec!(0), dec!(0)));
    let re: Vec<f64> = effects(&m).iter().map(|e| e.conversions).collect();
    assert!(
        (re[0] - 1.0 / 3.0).abs() < 1e-12 && (re[1] - 1.0).abs() < 1e-12 && re[2].abs() < 1e-12
    );
    // Repeats collapse at order 1: a > a > b behaves as a > b.
    let r2 = rows(
        &mut ch,
        &[
            ("a > a > b", 1, dec!(10), 0),
            ("a > c", 0, dec!(0), 1),
            ("b", 1, dec!(20), 1),
        ],
    );
    assert_eq!(markov(&r2, &ch, 1).unwrap(), m);
}

/// Order 2: a>b>a converts once, b>a once fails. States (a,b) and (b,a):
/// start->(a,b) 1/2, start->(b,a) 1/2, (a,b)->(b,a) 1, (b,a)->conv 1/2.
/// h = 1/2 everywhere; removing a or b kills both states: A = 1/2 each.
#[test]
fn markov_order_two_by_hand() {
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[("a > b > a", 1, dec!(9.00), 0), ("b > a", 0, dec!(0), 1)],
    );
    let m = markov(&r, &ch, 2).unwrap();
    assert_eq!(m.markov().unwrap().states, 2);
    assert_eq!(credit(&m, "a"), (dec!(0.5), dec!(4.50)));
    assert_eq!(credit(&m, "b"), (dec!(0.5), dec!(4.50)));
    assert!(markov(&r, &ch, 0).is_err());
    assert!(markov(&r, &ch, 5).is_err());
    let m = markov_with_transitions(&r, &ch, 2);
    let tm = m.markov().unwrap().transitions.clone().unwrap();
    assert!(tm
        .iter()
        .any(|t| t.from == "a > b" && t.to == "b > a" && t.probability == 1.0));
}

/// The transition matrix by hand: a > b converts once, a alone fails
/// once. start->a 2 of 2; a->b 1 of 2, a->null 1 of 2; b->conv 1 of 1.
/// Only observed transitions are listed (none with probability 0).
#[test]
fn markov_transitions_by_hand() {
    let mut ch = Channels::new();
    let r = rows(&mut ch, &[("a > b", 1, dec!(5), 0), ("a", 0, dec!(0), 1)]);
    let m = markov_with_transitions(&r, &ch, 1);
    let mut got: Vec<(String, String, f64)> = m
        .markov()
        .unwrap()
        .transitions
        .clone()
        .unwrap()
        .into_iter()
        .map(|t| (t.from, t.to, t.probability))
        .collect();
    // Without asking, no matrix.
    assert!(markov(&r, &ch, 1)
        .unwrap()
        .markov()
        .unwrap()
        .transitions
        .is_none());
    got.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
    let want = [
        ("(start)", "a", 1.0),
        ("a", "(null)", 0.5),
        ("a", "b", 0.5),
        ("b", "(conversion)", 1.0),
    ];
    let mut want: Vec<(String, String, f64)> = want
        .iter()
        .map(|&(f, t, p)| (f.to_string(), t.to_string(), p))
        .collect();
    want.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
    assert_eq!(got, want);
}

#[test]
fn shapley_by_hand() {
    let mut ch = Channels::new();
    // Simplified: a > b > a with 2 conversions worth 10: a and b get 1 and 5 each.
    let r = rows(&mut ch, &[("a > b > a", 2, dec!(10.00), 3)]);
    let s = run(&r, &ch, &Model::Shapley).unwrap();
    assert_eq!(credit(&s, "a"), (dec!(1), dec!(5.00)));
    assert_eq!(credit(&s, "b"), (dec!(1), dec!(5.00)));
    // Conversion rate, two channels: {a}: 2 conv 0 null (rate 1), {b}: 0/2,
    // {a,b}: 0/2. v(a) = 1, v(b) = 0, v(ab) = 2/6 = 1/3.
    // phi_a = 1/2 (1 - 0) + 1/2 (1/3 - 0) = 2/3; phi_b = 1/2 (0) + 1/2 (1/3 - 1) = -1/3.
    // Scaled to the 2 observed conversions: a 4, b -2.
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("a", 2, dec!(20.00), 0),
            ("b", 0, dec!(0), 2),
            ("a > b", 0, dec!(0), 2),
        ],
    );
    let values = phi(&r, &ch);
    assert!((values[0].1 - 2.0 / 3.0).abs() < 1e-12 && (values[1].1 + 1.0 / 3.0).abs() < 1e-12);
    let s = run(&r, &ch, &Model::ShapleyRate).unwrap();
    assert_eq!(credit(&s, "a"), (dec!(4), dec!(40.00)));
    assert_eq!(credit(&s, "b"), (dec!(-2), dec!(-20.00)));
    // Three channels, a and b always together: equal credit (symmetry).
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("a > b", 3, dec!(30.00), 1),
            ("c", 1, dec!(10.00), 3),
            ("b > a > c", 2, dec!(20.00), 2),
        ],
    );
    let values = phi(&r, &ch);
    assert!((values[0].1 - values[1].1).abs() < 1e-12);
    let total: f64 = values.iter().map(|p| p.1).sum();
    // Efficiency: the values add up to v(N) = 6 / 12.
    assert!((total - 0.5).abs() < 1e-12);
}

fn rows_strategy() -> impl Strategy<Value = Vec<(Vec<u32>, u64, i64, u64)>> {
    prop::collection::vec(
        (
            prop::collection::vec(0u32..5, 1..7),
            0u64..20,
            0i64..1_000_000,
            0u64..20,
        ),
        1..25,
    )
}

fn build(spec: &[(Vec<u32>, u64, i64, u64)]) -> Vec<PathRow> {
    spec.iter()
        .map(|(p, c, v, n)| {
            let value = if *c == 0 {
                Decimal::ZERO
            } else {
                Decimal::new(*v, 2)
            };
            PathRow::new(
                p.iter().map(|&x| ChannelId(x)).collect(),
                *c,
                usd(value),
                *n,
            )
        })
        .collect()
}

fn totals(r: &[PathRow]) -> (Decimal, Money) {
    let conv: u64 = r.iter().map(|x| x.conversions).sum();
    let value = Money::checked_sum(r.iter().map(|x| x.value), Currency::USD).unwrap();
    (Decimal::from(conv), value)
}

proptest! {
    /// Every model adds back to the observed conversions and value exactly;
    /// rule, Markov and simplified Shapley credits are never negative.
    #[test]
    fn credits_add_up_exactly(spec in rows_strategy(), order in 1usize..4) {
        let r = build(&spec);
        let ch = registry();
        let (conv, value) = totals(&r);
        let mut models: Vec<Report> = vec![
            run(&r, &ch, &Model::FirstTouch).unwrap(),
            run(&r, &ch, &Model::LastTouch).unwrap(),
            run(&r, &ch, &Model::Linear).unwrap(),
            run(&r, &ch, &Model::position_based()).unwrap(),
            run(&r, &ch, &Model::Shapley).unwrap(),
        ];
        if conv > Decimal::ZERO {
            models.push(markov(&r, &ch, order).unwrap());
        }
        for a in &models {
            prop_assert_eq!(a.total_conversions().unwrap(), conv);
            prop_assert_eq!(a.total_value().unwrap(), value);
            prop_assert!(a.channels.iter().all(|c| c.conversions >= Decimal::ZERO && !c.value.is_negative()));
        }
        if conv > Decimal::ZERO {
            let s = run(&r, &ch, &Model::ShapleyRate).unwrap();
            prop_assert_eq!(s.total_conversions().unwrap(), conv);
            prop_assert_eq!(s.total_value().unwrap(), value);
        }
    }

    /// Each row's credits add back to the row exactly (rule models).
    #[test]
    fn each_row_adds_back(spec in rows_strategy()) {
        let ch = registry();
        for row in build(&spec) {
            let a = run(std::slice::from_ref(&row), &ch, &Model::position_based()).unwrap();
            prop_assert_eq!(a.total_value().unwrap(), row.value);
            prop_assert_eq!(a.total_conversions().unwrap(), Decimal::from(row.conversions));
        }
    }

    /// Markov against a brute-force reference: the chain built from the
    /// rows as the module docs define it, solved by dense Gaussian
    /// elimination for the full chain and for each channel removed. Rows
    /// carry different values, so states have different average values.
    #[test]
    fn markov_equals_a_dense_reference(spec in rows_strategy(), order in 1usize..4) {
        let r = build(&spec);
        let ch = registry();
        if totals(&r).0 > Decimal::ZERO {
            let m = markov(&r, &ch, order).unwrap();
            let (p, v, want) = markov_reference(&r, order);
            prop_assert!((probability(&m) - p).abs() < 1e-9, "{} vs {}", probability(&m), p);
            prop_assert_eq!(effects(&m).len(), want.len());
            // Both in channel order: names c0 to c4 sort as their ids.
            for (e, (c, ec, ev)) in effects(&m).iter().zip(&want) {
                prop_assert_eq!(e.channel.as_str(), format!("c{}", c.0));
                prop_assert!((e.conversions - ec / p).abs() < 1e-9, "{:?}: {} vs {}", c, e.conversions, ec / p);
                if v > 0.0 {
                    prop_assert!((e.value - ev / v).abs() < 1e-9, "{:?}: {} vs {}", c, e.value, ev / v);
                }
            }
        }
    }

    /// Row order never changes any model's result.
    #[test]
    fn row_order_does_not_matter(spec in rows_strategy()) {
        let r = build(&spec);
        let ch = registry();
        let mut rev = r.clone();
        rev.reverse();
        prop_assert_eq!(run(&r, &ch, &Model::Linear).unwrap().channels, run(&rev, &ch, &Model::Linear).unwrap().channels);
        prop_assert_eq!(run(&r, &ch, &Model::Shapley).unwrap().channels, run(&rev, &ch, &Model::Shapley).unwrap().channels);
        if totals(&r).0 > Decimal::ZERO {
            let a = markov(&r, &ch, 2).unwrap();
            let b = markov(&rev, &ch, 2).unwrap();
            prop_assert_eq!(a, b);
            let pa = phi(&r, &ch);
            let pb = phi(&rev, &ch);
            prop_assert_eq!(pa, pb);
        }
    }

    /// The simplified Shapley value equals its closed form: per row,
    /// conversions / distinct channels to each distinct channel.
    #[test]
    fn simplified_equals_closed_form(spec in rows_strategy()) {
        let r = build(&spec);
        let ch = registry();
        let s = run(&r, &ch, &Model::Shapley).unwrap();
        let mut expect = [Decimal::ZERO; 5];
        for row in &r {
            let mut d: Vec<u32> = row.path.iter().map(|c| c.0).collect();
            d.sort_unstable();
            d.dedup();
            for c in &d {
                expect[*c as usize] += Decimal::from(row.conversions) / Decimal::from(d.len());
            }
        }
        for c in &s.channels {
            // Exact to the millionth each row is split at.
            let id = ch.get(c.channel.as_str()).unwrap();
            prop_assert!((c.conversions - expect[id.index()]).abs() <= Decimal::new(r.len() as i64, 6));
        }
    }

    /// Efficiency and symmetry of the conversion-rate Shapley value: the
    /// values add up to v(N); channels 0 and 1 always appearing together
    /// get equal values.
    #[test]
    fn rate_shapley_efficiency_and_symmetry(spec in rows_strategy()) {
        let r: Vec<PathRow> = build(&spec).into_iter().map(|mut row| {
            // Make channel 1 appear exactly when channel 0 does.
            let has0 = row.path.contains(&ChannelId(0));
            row.path.retain(|c| c.0 != 1);
            if has0 { row.path.push(ChannelId(1)); }
            if row.path.is_empty() { row.path.push(ChannelId(2)); }
            row
        }).collect();
        let ch = registry();
        let values = phi(&r, &ch);
        let conv: u64 = r.iter().map(|x| x.conversions).sum();
        let all: u64 = r.iter().map(|x| x.conversions + x.nulls).sum();
        let v_n = if all > 0 { conv as f64 / all as f64 } else { 0.0 };
        let sum: f64 = values.iter().map(|p| p.1).sum();
        prop_assert!((sum - v_n).abs() < 1e-9);
        let get = |id: u32| values.iter().find(|p| p.0 == format!("c{id}")).map(|p| p.1);
        if let (Some(a), Some(b)) = (get(0), get(1)) {
            prop_assert!((a - b).abs() < 1e-9);
        }
    }
}

/// The Markov model of `attribution::markov`'s docs, built and solved
/// naively: states are the tuples of the path (consecutive repeats
/// collapsed), solved by dense Gaussian elimination. Returns P(convert),
/// E[value], and per channel (in id order) the drop of each when the
/// channel's states are removed.
fn markov_reference(rows: &[PathRow], order: usize) -> (f64, f64, Vec<(ChannelId, f64, f64)>) {
    markov_reference_for(rows, order, None)
}

/// [`markov_reference`], the removal effects of `only` these channels
/// (all with `None`).
fn markov_reference_for(
    rows: &[PathRow],
    order: usize,
    only: Option<&[ChannelId]>,
) -> (f64, f64, Vec<(ChannelId, f64, f64)>) {
    use std::collections::BTreeMap;
    let mut index: BTreeMap<Vec<ChannelId>, usize> = BTreeMap::new();
    let mut out: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new()]; // 0 = start
    let mut conv: Vec<f64> = vec![0.0];
    let mut null: Vec<f64> = vec![0.0];
    let mut vsum: Vec<f64> = vec![0.0];
    let mut vconv: Vec<f64> = vec![0.0];
    for row in rows {
        let w = (row.conversions + row.nulls) as f64;
        if w == 0.0 || row.path.is_empty() {
            continue;
        }
        let n = row.path.len();
        let windows = if n >= order { n - order + 1 } else { 1 };
        let mut seq: Vec<usize> = Vec::new();
        for k in 0..windows {
            let t = row.path[k..(k + order).min(n)].to_vec();
            let next = index.len() + 1;
            let s = *index.entry(t).or_insert(next);
            if s == out.len() {
                out.push(BTreeMap::new());
                conv.push(0.0);
                null.push(0.0);
                vsum.push(0.0);
                vconv.push(0.0);
            }
            if seq.last() != Some(&s) {
                seq.push(s);
            }
        }
        let mut prev = 0;
        for &s in &seq {
            *out[prev].entry(s).or_insert(0.0) += w;
            prev = s;
        }
        conv[prev] += row.conversions as f64;
        null[prev] += row.nulls as f64;
        if row.conversions > 0 {
            vsum[prev] += f64::try_from(row.value.amount()).unwrap();
            vconv[prev] += row.conversions as f64;
        }
    }
    let n = out.len();
    let members: Vec<Vec<ChannelId>> = {
        let mut m = vec![Vec::new(); n];
        for (t, &s) in &index {
            m[s] = t.clone();
        }
        m
    };
    let solve = |dead: &dyn Fn(usize) -> bool| -> (f64, f64) {
        // (I − Q) x = b for x = (h, g), dead states fixed at 0.
        let mut a = vec![vec![0.0f64; n + 2]; n];
        for s in 0..n {
            a[s][s] = 1.0;
            if dead(s) {
                continue;
            }
            let total: f64 = out[s].values().sum::<f64>() + conv[s] + null[s];
            if total == 0.0 {
                continue;
            }
            for (&t, &c) in &out[s] {
                if !dead(t) {
                    a[s][t] -= c / total;
                }
            }
            let pc = conv[s] / total;
            a[s][n] = pc;
            a[s][n + 1] = if vconv[s] > 0.0 {
                pc * vsum[s] / vconv[s]
            } else {
                0.0
            };
        }
        for col in 0..n {
            let piv = (col..n)
                .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
                .unwrap();
            a.swap(col, piv);
            let d = a[col][col];
            for row in 0..n {
                if row != col && a[row][col] != 0.0 {
                    let f = a[row][col] / d;
                    let pivot_row = a[col].clone();
                    for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                        *x -= f * p;
                    }
                }
            }
        }
        (a[0][n] / a[0][0], a[0][n + 1] / a[0][0])
    };
    let (p, v) = solve(&|_| false);
    let mut channels: Vec<ChannelId> = members.iter().flatten().copied().collect();
    channels.sort_unstable();
    channels.dedup();
    let effects = channels
        .into_iter()
        .filter(|c| only.map_or(true, |o| o.contains(c)))
        .map(|c| {
            let (pc, vc) = solve(&|s| members[s].contains(&c));
            (c, (p - pc).max(0.0), (v - vc).max(0.0))
        })
        .collect();
    (p, v, effects)
}

/// Components of more than 256 states are solved by Gauss–Seidel sweeps
/// instead of elimination: 270 channels on a ring (each row steps from
/// its channel to the next, then wanders, with jumps back), so all of
/// them form one component, which leads to five channels outside it; the
/// conversion probability and five removal effects (ring channels and
/// outside ones) against the dense reference.
#[test]
fn markov_large_component_equals_a_dense_reference() {
    let k = 270u64;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut spec: Vec<(String, u64, Decimal, u64)> = Vec::new();
    for i in 0..k {
        let mut at = (i + 1) % k;
        let mut path = vec![format!("c{i}"), format!("c{at}")];
        for _ in 0..next() % 5 {
            at = if next() % 4 == 0 {
                (at + k - 2 - next() % 3) % k
            } else {
                (at + 1) % k
            };
            path.push(format!("c{at}"));
        }
        if next() % 3 == 0 {
            // Out of the ring to one of five channels that never lead
            // back: components after the ring's.
            path.push(format!("d{}", next() % 5));
        }
        let conversions = next() % 3;
        let value = Decimal::from(conversions * (1 + next() % 50));
        spec.push((path.join(" > "), conversions, value, 1 + next() % 3));
    }
    let spec: Vec<(&str, u64, Decimal, u64)> = spec
        .iter()
        .map(|(p, c, v, n)| (p.as_str(), *c, *v, *n))
        .collect();
    let mut ch = Channels::new();
    let r = rows(&mut ch, &spec);
    let m = markov(&r, &ch, 1).unwrap();
    assert_eq!(m.markov().unwrap().states, k as usize + 5);
    assert!(
        m.markov().unwrap().sweeps > 0,
        "solved by elimination, not sweeps"
    );
    let picked: Vec<ChannelId> = ["c0", "c101", "c202", "d0", "d3"]
        .iter()
        .map(|n| ch.get(n).unwrap())
        .collect();
    let (p, v, want) = markov_reference_for(&r, 1, Some(&picked));
    assert!(
        (probability(&m) - p).abs() < 1e-9,
        "{} vs {p}",
        probability(&m)
    );
    assert_eq!(want.len(), 5);
    for (c, ec, ev) in want {
        let name = ch.name(c).unwrap();
        let e = effects(&m)
            .iter()
            .find(|e| e.channel.as_str() == name)
            .unwrap();
        assert!(
            (e.conversions - ec / p).abs() < 1e-9,
            "{c:?}: {} vs {}",
            e.conversions,
            ec / p
        );
        assert!(
            (e.value - ev / v).abs() < 1e-9,
            "{c:?}: {} vs {}",
            e.value,
            ev / v
        );
    }
}

#[test]
fn model_names_round_trip() {
    use revops::attribution::Model;
    let all = [
        "first_touch",
        "last_touch",
        "last_non_direct:direct",
        "linear",
        "position_based",
        "time_decay",
        "time_decay:3600",
        "u_shaped",
        "w_shaped",
        "full_path",
        "markov:1",
        "markov:4",
        "shapley",
        "shapley_rate",
        "position_based:0.3,0.5",
        "position_based:0.4,0.5",
        "position_based:0.5,0.4",
        "custom:3,1,0.5",
    ];
    for text in all {
        let m: Model = text.parse().unwrap();
        assert_eq!(m.to_string(), text);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Model>(&json).unwrap(), m);
    }
    assert_eq!("first".parse::<Model>().unwrap(), Model::FirstTouch);
    assert_eq!(
        "markov".parse::<Model>().unwrap(),
        Model::Markov { order: 1 }
    );
    for bad in [
        "",
        "markov:0",
        "markov:5",
        "markov:x",
        "linear:2",
        "time_decay:-5",
        "time_decay:0",
        "last_non_direct",
        "nope",
    ] {
        assert!(bad.parse::<Model>().is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<Model>("\"markov:7\"").is_err());
}

proptest! {
    /// Channel names only name: the same rows under other names (in
    /// another order) get the same credits and skips for every model,
    /// sorted by the new names; and a report reads back from JSON.
    #[test]
    fn names_only_name(spec in rows_strategy()) {
        let names = ["zeta", "alpha", "mu", "beta", "omega"];
        let mut other = Channels::new();
        for name in names {
            other.intern_str(name).unwrap();
        }
        let r = build(&spec);
        let ch = registry();
        let models = [
            Model::FirstTouch,
            Model::Linear,
            Model::position_based(),
            Model::Shapley,
            Model::ShapleyRate,
            Model::Markov { order: 2 },
        ];
        for model in &models {
            match (run(&r, &ch, model), run(&r, &other, model)) {
                (Ok(plain), Ok(renamed)) => {
                    let mut expect: Vec<(String, Decimal, Money)> = plain
                        .channels
                        .iter()
                        .map(|c| (names[id_of(c.channel.as_str())].to_string(), c.conversions, c.value))
                        .collect();
                    expect.sort_by(|a, b| a.0.cmp(&b.0));
                    let got: Vec<(String, Decimal, Money)> = renamed
                        .channels
                        .iter()
                        .map(|c| (c.channel.as_str().to_string(), c.conversions, c.value))
                        .collect();
                    prop_assert_eq!(got, expect, "{}", model);
                    prop_assert_eq!(&plain.skipped, &renamed.skipped);
                    let back: Report =
                        serde_json::from_str(&serde_json::to_string(&renamed).unwrap()).unwrap();
                    prop_assert_eq!(back, renamed);
                }
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "{}: {:?} vs {:?}", model, a.is_ok(), b.is_ok()),
            }
        }
        // Journey-only models and a lookback refuse path rows.
        prop_assert!(run(&r, &ch, &Model::UShaped).is_err());
        let paths = Records::Paths { rows: &r, channels: &ch };
        let lookback = Options::new(Currency::USD).lookback(TimeDelta::days(1));
        prop_assert!(attribute(paths, &Model::Linear, lookback).is_err());
    }
}

/// Above 20 channels the conversion-rate Shapley value is sampled: it still
/// adds up to v(N) exactly (every permutation's marginals telescope), and
/// on a symmetric game each channel gets v(N)/n within sampling error.
#[test]
fn sampled_shapley_at_21_channels() {
    // Each channel alone on its own paths, all converting at 1 in 4.
    let rows: Vec<PathRow> = (0..21)
        .map(|c| PathRow::new(vec![ChannelId(c)], 1, usd(dec!(10)), 3))
        .collect();
    let ch = registry_of(21);
    let values = phi(&rows, &ch);
    assert_eq!(values.len(), 21);
    let sum: f64 = values.iter().map(|(_, p)| p).sum();
    assert!((sum - 0.25).abs() < 1e-12, "{sum}");
    for (c, p) in &values {
        assert!((p - 0.25 / 21.0).abs() < 0.1 * 0.25 / 21.0, "{c:?}: {p}");
    }
    // An asymmetric game: channel 0 converts at 1 in 2, the rest at 1 in 4;
    // channel 0 must get more than the others, and the sum is still v(N).
    let mut rows = rows;
    rows[0] = PathRow::new(vec![ChannelId(0)], 2, usd(dec!(20)), 2);
    let values = phi(&rows, &ch);
    let v_n = 22.0 / 84.0; // conversions 2 + 20 over journeys 4 + 80
    let sum: f64 = values.iter().map(|(_, p)| p).sum();
    assert!((sum - v_n).abs() < 1e-12, "{sum} vs {v_n}");
    assert_eq!(values[0].0, "c0");
    assert!(values.iter().skip(1).all(|(_, p)| *p < values[0].1));
}

/// More than 64 channels: channel sets no longer fit a 64-bit mask and
/// are kept as sorted lists; the sampled values still add up to v(N)
/// exactly, and a symmetric game still shares it evenly within sampling
/// error (mutation run F: the list path had no test).
#[test]
fn sampled_shapley_past_64_channels() {
    let rows: Vec<PathRow> = (0..70)
        .map(|c| {
            PathRow::new(
                vec![ChannelId(c), ChannelId((c + 1) % 70)],
                1,
                usd(dec!(10)),
                3,
            )
        })
        .collect();
    let ch = registry_of(70);
    let values = phi(&rows, &ch);
    assert_eq!(values.len(), 70);
    let sum: f64 = values.iter().map(|(_, p)| p).sum();
    assert!((sum - 0.25).abs() < 1e-12, "{sum}");
    for (c, p) in &values {
        assert!((p - 0.25 / 70.0).abs() < 0.2 * 0.25 / 70.0, "{c:?}: {p}");
    }
}

/// Sampled Shapley at 21 channels (just past the exact limit) against the
/// exact value computed here by brute force over all 2^21 coalitions, on
/// an asymmetric game (channels converting at different rates, pairs
/// that convert better together): every channel within the stated
/// tolerance. Kills a sampler whose random orders are not uniform
/// (mutation run F: its generator's shifts and xors survived the
/// symmetric test).
#[test]
fn sampled_shapley_at_21_channels_is_near_the_exact_value() {
    let n = 21usize;
    let mut spec: Vec<(Vec<u32>, u64, u64)> = (0..n as u32)
        .map(|i| (vec![i], 1 + u64::from(i % 5) * 2, 4 + u64::from(i % 3) * 3))
        .collect();
    for i in (0..n as u32 - 1).step_by(3) {
        spec.push((vec![i, i + 1], 6, 1));
    }
    let rows: Vec<PathRow> = spec
        .iter()
        .map(|(p, c, nu)| {
            let path = p.iter().map(|&i| ChannelId(i)).collect();
            PathRow::new(path, *c, usd(Decimal::from(*c)), *nu)
        })
        .collect();
    // v(S): the conversion rate of the journeys whose channels are all in S.
    let size = 1usize << n;
    let mut conv = vec![0f64; size];
    let mut all = vec![0f64; size];
    for (p, c, nu) in &spec {
        let m = p.iter().fold(0usize, |m, &i| m | 1 << i);
        conv[m] += *c as f64;
        all[m] += (*c + *nu) as f64;
    }
    for i in 0..n {
        for m in 0..size {
            if m >> i & 1 == 1 {
                conv[m] += conv[m & !(1 << i)];
                all[m] += all[m & !(1 << i)];
            }
        }
    }
    let v = |m: usize| if all[m] > 0.0 { conv[m] / all[m] } else { 0.0 };
    // w(s) = s! (n - s - 1)! / n!
    let w: Vec<f64> = (0..n)
        .map(|s| {
            let mut x = 1.0 / n as f64;
            for k in 0..s {
                x *= (k + 1) as f64 / (n - 1 - k) as f64;
            }
            x
        })
        .collect();
    let mut exact = vec![0f64; n];
    for m in 0..size {
        let s = m.count_ones() as usize;
        if s == n {
            continue;
        }
        let vm = v(m);
        for (i, e) in exact.iter_mut().enumerate() {
            if m >> i & 1 == 0 {
                *e += w[s] * (v(m | 1 << i) - vm);
            }
        }
    }
    let sampled = phi(&rows, &registry_of(n as u32));
    let largest = exact.iter().fold(0f64, |a, &b| a.max(b.abs()));
    for (c, p) in &sampled {
        let e = exact[id_of(c)];
        assert!(
            (p - e).abs() < 0.05 * largest,
            "{c:?}: sampled {p}, exact {e}"
        );
    }
}

#[test]
fn skip_reasons_read_back_and_credits_list_by_name() {
    use revops::attribution::SkipReason;
    let all = [
        SkipReason::EmptyPath,
        SkipReason::ValueWithoutConversions,
        SkipReason::CurrencyMismatch,
        SkipReason::ValueTooLarge,
        SkipReason::NoWeight,
        SkipReason::OutsideLookback,
    ];
    let texts: std::collections::BTreeSet<String> = all.iter().map(|r| r.to_string()).collect();
    assert_eq!(texts.len(), all.len(), "one distinct text per reason");
    for r in all {
        assert_eq!(r.to_string(), r.as_str());
    }
    assert_eq!(SkipReason::EmptyPath.as_str(), "the path has no channel");
    // Channels sorted by name, whatever the ids' order.
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("zeta > alpha", 2, dec!(10.00), 0),
            ("mid", 1, dec!(4.00), 1),
        ],
    );
    let lin = run(&r, &ch, &Model::Linear).unwrap();
    let names: Vec<&str> = lin.channels.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(names, vec!["alpha", "mid", "zeta"]);
    assert_eq!(lin.channels[0].value, usd(dec!(5.00)));
}

/// Removal effects where the chain has nothing to remove: without any
/// conversion every effect is 0 (not the 0/0 of a missing guard), and
/// with conversions worth nothing the value effects are 0 while the
/// conversion effects are not (mutation run F).
#[test]
fn markov_effects_without_conversions_or_without_value() {
    let mut ch = Channels::new();
    let none = rows(&mut ch, &[("a > b", 0, dec!(0), 3), ("b", 0, dec!(0), 2)]);
    let m = markov(&none, &ch, 1).unwrap();
    assert_eq!(probability(&m), 0.0);
    assert_eq!(effects(&m).len(), 2);
    for e in effects(&m) {
        assert_eq!((e.conversions, e.value), (0.0, 0.0), "{e:?}");
    }
    assert_eq!(credit(&m, "a"), (dec!(0), dec!(0)));
    let free = rows(&mut ch, &[("a > b", 2, dec!(0), 3), ("b", 0, dec!(0), 2)]);
    let m = markov(&free, &ch, 1).unwrap();
    let effect_b = effects(&m)
        .iter()
        .find(|e| e.channel.as_str() == "b")
        .unwrap();
    assert!((effect_b.conversions - 1.0).abs() < 1e-12, "{effect_b:?}");
    for e in effects(&m) {
        assert_eq!(e.value, 0.0, "{e:?}");
    }
}

/// Value credits follow the value removal effects, not the conversion
/// ones: `a` and `b` each convert once, but only `a`'s conversion is
/// worth anything, so removing `b` costs conversions and no value
/// (mutation run F: the value split on the conversion weights survived).
#[test]
fn markov_value_credits_follow_value_effects() {
    let mut ch = Channels::new();
    let r = rows(&mut ch, &[("a", 1, dec!(100), 1), ("b", 1, dec!(0), 1)]);
    let m = markov(&r, &ch, 1).unwrap();
    assert_eq!(credit(&m, "a"), (dec!(1), dec!(100)));
    assert_eq!(credit(&m, "b"), (dec!(1), dec!(0)));
}

/// A component that mixes slowly (300 channels on a ring, each path going
/// round it 1,000 times before it ends: the sweeps contract by 0.999
/// each) is solved to the documented accuracy, not stopped early: every
/// ring state converts with probability 1/2 exactly, and the error may be
/// at most about `4ε / (1 − ρ)` ≈ 10⁻¹² relative (`markov::TOLERANCE`).
/// Mutation run F found four changes to the stopping rule that no test
/// caught; this test then found the rule itself stopping 40 times early
/// (2·10⁻¹² off: one sweep's ratio of changes, read near rounding,
/// taken for the rate).
#[test]
fn markov_slowly_mixing_component_is_solved_to_tolerance() {
    let (k, laps) = (300usize, 1000usize);
    let mut ch = Channels::new();
    let ids: Vec<ChannelId> = (0..k)
        .map(|i| ch.intern_str(&format!("c{i}")).unwrap())
        .collect();
    let path: Vec<ChannelId> = (0..k * laps).map(|i| ids[i % k]).collect();
    let r = vec![
        PathRow::new(path.clone(), 1, usd(dec!(10)), 0),
        PathRow::new(path, 0, usd(dec!(0)), 1),
    ];
    let m = markov(&r, &ch, 1).unwrap();
    assert_eq!(m.markov().unwrap().states, k);
    assert!(
        m.markov().unwrap().sweeps > 1000,
        "a slow contraction: {} sweeps",
        m.markov().unwrap().sweeps
    );
    assert!((probability(&m) - 0.5).abs() < 1e-12, "{}", probability(&m));
}

/// A removal whose effect is tiny, on a slowly mixing component: the
/// warm-started solve's first changes are below the tolerance already, yet
/// the remaining error is 1,000 times larger (one minus the rate is
/// 0.001). The rate must come from the ratio of changes from the second
/// sweep on (mutation run in CI: a rate read as the change itself stopped
/// after two sweeps, with 0.2% of the effect). The effect of `x` scales as
/// one over the ring's counts, so ten times the counts gives a tenth of
/// the effect.
#[test]
fn markov_tiny_removal_effect_on_a_slow_component() {
    let effect_of_x = |count: u64| {
        let (k, laps) = (300usize, 1000usize);
        let mut ch = Channels::new();
        let ids: Vec<ChannelId> = (0..k)
            .map(|i| ch.intern_str(&format!("c{i}")).unwrap())
            .collect();
        let x = ch.intern_str("x").unwrap();
        let path: Vec<ChannelId> = (0..k * laps).map(|i| ids[i % k]).collect();
        let r = vec![
            PathRow::new(path.clone(), count, usd(dec!(10)), 0),
            PathRow::new(path, 0, usd(dec!(0)), count),
            PathRow::new(vec![ids[5], x], 1, usd(dec!(0)), 0),
        ];
        let m = markov(&r, &ch, 1).unwrap();
        let e = effects(&m)
            .iter()
            .find(|e| e.channel.as_str() == "x")
            .unwrap();
        e.conversions * count as f64
    };
    let (large, tiny) = (effect_of_x(1_000_000_000), effect_of_x(10_000_000_000));
    assert!((large - 1.0).abs() < 0.01, "{large}");
    assert!((tiny / large - 1.0).abs() < 0.05, "{tiny} against {large}");
}

/// Conversions worth less than nothing (refunds, say): removing a channel
/// can only raise the expected value, so no channel has a value effect,
/// and the value is shared by the conversion weights instead, still
/// adding back exactly (mutation run F: that branch had no test).
#[test]
fn markov_negative_values_follow_the_conversion_weights() {
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("a", 1, dec!(-10), 1),
            ("b", 3, dec!(-30), 1),
            ("a > b", 0, dec!(0), 2),
        ],
    );
    let m = markov(&r, &ch, 1).unwrap();
    for e in effects(&m) {
        assert_eq!(e.value, 0.0, "{e:?}");
    }
    let (ca, va) = credit(&m, "a");
    let (cb, vb) = credit(&m, "b");
    assert_eq!(ca + cb, dec!(4));
    assert_eq!(va + vb, dec!(-40));
    // The value goes as the conversions do, to the cent.
    assert_eq!(va, (dec!(-40) * ca / dec!(4)).round_dp(2));
    assert!(ca > dec!(0) && cb > ca, "{ca} {cb}");
}

/// The ROI report by hand: spend and credit per channel (spend in two
/// entries and two currencies, a channel with spend and no credit, one
/// with credit and no spend, one with refunds worth less than its spend),
/// every figure worked out (mutation run F: the report had only a
/// doctest).
#[test]
fn roi_report_by_hand() {
    use revops::attribution::roi::roi_report;
    use revops::attribution::{ChannelReport, Totals};
    use revops::quantity::FxRates;
    let [ads, email, tv, refunds] =
        ["ads", "email", "tv", "refunds"].map(|n| Channel::new(n).unwrap());
    let credit = |channel: &Channel, conversions, value| ChannelReport {
        channel: channel.clone(),
        conversions,
        value: usd(value),
    };
    let report = |channels| Report {
        model: Model::Linear,
        currency: Currency::USD,
        channels,
        totals: Totals {
            conversions: None,
            value: None,
        },
        skipped: vec![],
        detail: None,
    };
    let a = report(vec![
        credit(&ads, dec!(4), dec!(1000)),
        credit(&email, dec!(1), dec!(200)),
        credit(&refunds, dec!(1), dec!(-100)),
    ]);
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, dec!(2)).unwrap();
    let spend = [
        (ads.clone(), usd(dec!(150))),
        (tv, usd(dec!(500))),
        (ads.clone(), Money::new(dec!(50), Currency::EUR)),
        (refunds.clone(), usd(dec!(50))),
    ];
    let r = roi_report(&a, &spend, Currency::USD, &fx).unwrap();
    let names: Vec<&str> = r.rows.iter().map(|x| x.channel.as_str()).collect();
    assert_eq!(names, ["ads", "email", "refunds", "tv"]);
    let row = |name: &str| r.rows.iter().find(|x| x.channel == name).unwrap();
    let (a_, e, f, t) = (row("ads"), row("email"), row("refunds"), row("tv"));
    // ads: 150 + 50 EUR at 2 = 250 of spend; 1000 of revenue.
    assert_eq!(a_.spend, usd(dec!(250)));
    assert_eq!(a_.roi.unwrap().value(), dec!(3));
    assert_eq!(a_.roas.unwrap().value(), dec!(4));
    assert_eq!(a_.cost_per_acquisition, Some(usd(dec!(62.50))));
    assert_eq!(a_.revenue_share.unwrap().value(), dec!(1000) / dec!(1100));
    // email: no spend, so no ROI or ROAS; a conversion that cost nothing.
    assert_eq!((e.roi, e.roas), (None, None));
    assert_eq!(e.cost_per_acquisition, Some(usd(dec!(0))));
    assert_eq!(e.revenue_share.unwrap().value(), dec!(200) / dec!(1100));
    // refunds: revenue below zero has an ROI but no ROAS and no share.
    assert_eq!(f.roi.unwrap().value(), dec!(-3));
    assert_eq!(f.roas, None);
    assert_eq!(f.cost_per_acquisition, Some(usd(dec!(50))));
    assert_eq!(f.revenue_share, None);
    // tv: spend and nothing back.
    assert_eq!(t.roi.unwrap().value(), dec!(-1));
    assert_eq!(t.roas.unwrap().value(), dec!(0));
    assert_eq!(t.cost_per_acquisition, None);
    assert_eq!(t.revenue_share.unwrap().value(), dec!(0));
    assert_eq!(r.total_spend, usd(dec!(800)));
    assert_eq!(r.total_revenue, usd(dec!(1100)));
    assert_eq!(r.total_roi.unwrap().value(), dec!(0.375));
    // Without positive total revenue there are no shares.
    let lost = report(vec![
        credit(&refunds, dec!(1), dec!(-100)),
        credit(&ads, dec!(1), dec!(100)),
    ]);
    let r = roi_report(&lost, &[], Currency::USD, &fx).unwrap();
    assert!(r.rows.iter().all(|x| x.revenue_share.is_none()));
    assert_eq!(r.total_roi, None);
}

/// The entry point on journeys and on the models the path test leaves
/// out: last touch and last non-direct on path rows, the journey-only
/// models on journeys, Markov on journeys (one row per journey), and the
/// report's own look-ups and totals (mutation run F).
#[test]
fn entry_point_on_journeys_and_last_touch_models() {
    use revops::attribution::{attribute as attribute_any, Model, Records};
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("search > direct", 2, dec!(50), 1),
            ("direct", 1, dec!(10), 2),
            ("email > search", 1, dec!(30), 0),
        ],
    );
    let paths = || Records::Paths {
        rows: &r,
        channels: &ch,
    };
    let last = attribute_any(paths(), &Model::LastTouch, Currency::USD).unwrap();
    assert_eq!(last.credit("direct").unwrap().conversions, dec!(3));
    assert_eq!(last.credit("search").unwrap().conversions, dec!(1));
    assert!(last.credit("nope").is_none());
    assert_eq!(last.total_conversions().unwrap(), dec!(4));
    assert_eq!(last.total_value().unwrap(), usd(dec!(90)));
    let lnd: Model = "last_non_direct:direct".parse().unwrap();
    let lnd = attribute_any(paths(), &lnd, Currency::USD).unwrap();
    assert_eq!(lnd.credit("search").unwrap().conversions, dec!(3));
    assert_eq!(lnd.credit("search").unwrap().value, usd(dec!(80)));
    // A journey-only model names itself in its refusal.
    let err = attribute_any(paths(), &Model::UShaped, Currency::USD).unwrap_err();
    assert!(err.to_string().contains("not path rows"), "{err}");
    assert!(Model::UShaped.needs_journeys() && Model::FullPath.needs_journeys());
    assert!(!Model::Linear.needs_journeys() && !Model::Markov { order: 1 }.needs_journeys());
    // On journeys: U-shaped as the journey function gives it, Markov as on
    // the journeys' own path rows.
    let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
    let touch = |d, name: &str| Touchpoint::new(t(d), Channel::new(name).unwrap(), K::Click);
    let journeys = [
        Journey::new(vec![touch(1, "search"), touch(2, "email"), touch(3, "ads")])
            .with_conversion(Conversion {
                at: t(4),
                value: usd(dec!(100)),
            })
            .unwrap(),
        Journey::new(vec![touch(2, "ads")]),
    ];
    let u = attribute_any(Records::Journeys(&journeys), &Model::UShaped, Currency::USD).unwrap();
    // U-shaped without a lead mark: 40% to the first and last touches,
    // 20% to the middle.
    assert_eq!(u.credit("search").unwrap().value, usd(dec!(40)));
    assert_eq!(u.credit("email").unwrap().value, usd(dec!(20)));
    assert_eq!(u.credit("ads").unwrap().value, usd(dec!(40)));
    let m = attribute_any(
        Records::Journeys(&journeys),
        &Model::Markov { order: 1 },
        Currency::USD,
    )
    .unwrap();
    let mut mch = Channels::new();
    let by_rows = rows(
        &mut mch,
        &[
            ("search > email > ads", 1, dec!(100), 0),
            ("ads", 0, dec!(0), 1),
        ],
    );
    let want = markov(&by_rows, &mch, 1).unwrap();
    assert_eq!(m.channels, want.channels);
    assert_eq!(m.detail, want.detail);
    assert_eq!(m.total_value().unwrap(), usd(dec!(100)));
}

/// Custom position weights: used as given (positions past the list get
/// nothing), and refused when one is negative, infinite or NaN (mutation
/// run F).
#[test]
fn custom_weights_are_used_or_refused() {
    let mut ch = Channels::new();
    let r = rows(&mut ch, &[("a > b > c", 1, dec!(10.00), 0)]);
    let p = run(&r, &ch, &"custom:3,1".parse().unwrap()).unwrap();
    assert_eq!(credit(&p, "a").1, dec!(7.50));
    assert_eq!(credit(&p, "b").1, dec!(2.50));
    assert_eq!(credit(&p, "c").1, dec!(0.00));
    // A negative weight is refused when the model is parsed, built, or
    // (built around the check) used.
    assert!("custom:1,-1".parse::<Model>().is_err());
    assert!("custom:".parse::<Model>().is_err());
    assert!("custom:1,x".parse::<Model>().is_err());
    assert!(Model::custom(vec![dec!(1), dec!(-1)]).is_err());
    assert!(Model::custom(vec![]).is_err());
    let negative = Model::Custom {
        weights: vec![dec!(1), dec!(-1)],
    };
    assert!(run(&r, &ch, &negative).is_err());
    assert_eq!(p.model.to_string(), "custom:3,1");
}

/// Last non-direct on a journey of direct touches only: the last touch
/// keeps the credit, as on path rows (mutation run F).
#[test]
fn last_non_direct_journey_of_direct_touches_only() {
    let direct = Channel::new("direct").unwrap();
    let j = Journey::new(vec![
        Touchpoint::new(t(1, 0), direct.clone(), K::Visit),
        Touchpoint::new(t(2, 0), direct.clone(), K::Visit),
    ])
    .with_conversion(Conversion {
        at: t(3, 0),
        value: usd(dec!(8.00)),
    })
    .unwrap();
    let w = Model::LastNonDirect { direct }
        .journey_weights(&j, None)
        .unwrap();
    assert_eq!(w, vec![(0, 0.0), (1, 1.0)]);
}

/// U- and W-shaped journeys without their milestones: U-shaped falls back
/// to the first and last touches (40% each, the middle sharing 20%);
/// W-shaped gives the first touch its 30% and shares the rest, with no
/// fallback (mutation run F).
#[test]
fn shaped_models_without_milestones() {
    let ch = |n: &str| Channel::new(n).unwrap();
    let j = Journey::new(vec![
        Touchpoint::new(t(1, 0), ch("ads"), K::Impression),
        Touchpoint::new(t(2, 0), ch("email"), K::EmailOpen),
        Touchpoint::new(t(3, 0), ch("webinar"), K::Webinar),
        Touchpoint::new(t(4, 0), ch("sales"), K::Demo),
    ]);
    let w = |model: Model| -> Vec<f64> {
        model
            .journey_weights(&j, None)
            .unwrap()
            .iter()
            .map(|x| x.1)
            .collect()
    };
    assert_eq!(w(Model::UShaped), [0.4, 0.1, 0.1, 0.4]);
    let third = 0.1 / 3.0;
    assert_eq!(w(Model::WShaped), [0.3, third, third, third]);
}

/// A journey whose weights are all zero (custom weights that give its
/// touches nothing) is skipped and listed, not split by zero (mutation
/// run F).
#[test]
fn journey_with_zero_weights_is_skipped() {
    let j = Journey::new(vec![Touchpoint::new(
        t(1, 0),
        Channel::new("ads").unwrap(),
        K::Click,
    )])
    .with_conversion(Conversion {
        at: t(2, 0),
        value: usd(dec!(5.00)),
    })
    .unwrap();
    let reason = |model: Model, lookback: Option<TimeDelta>| {
        let a = on_journeys(std::slice::from_ref(&j), &model, lookback).unwrap();
        assert_eq!(a.skipped.len(), 1, "{model}");
        assert_eq!(a.total_value().unwrap(), usd(dec!(0)), "{model}");
        a.skipped[0].reason
    };
    let zero = Model::Custom {
        weights: vec![dec!(0)],
    };
    assert_eq!(reason(zero, None), SkipReason::NoWeight);
    // The same journey with no touch inside the lookback, in every kind
    // of model.
    let half_hour = Some(TimeDelta::minutes(30));
    for model in [
        "linear",
        "time_decay",
        "u_shaped",
        "markov",
        "shapley",
        "shapley_rate",
    ] {
        let model: Model = model.parse().unwrap();
        assert_eq!(reason(model, half_hour), SkipReason::OutsideLookback);
    }
    // A time decay too steep for the touch's age: every weight is 0.
    let steep = Model::TimeDecay {
        half_life: TimeDelta::milliseconds(1),
    };
    assert_eq!(reason(steep, None), SkipReason::NoWeight);
}

/// The conversion-rate Shapley attribution at its two edges: without any
/// conversion there is nothing to share (every credit 0, not an error);
/// with a conversion rate too small for the weights (1 in 10^16
/// journeys) the conversion cannot be shared, and that is an error, even
/// when the conversion is worth nothing (mutation run F).
#[test]
fn shapley_rate_without_conversions_and_below_its_weights() {
    let mut ch = Channels::new();
    let none = rows(&mut ch, &[("a > b", 0, dec!(0), 3), ("b", 0, dec!(0), 1)]);
    let a = run(&none, &ch, &Model::ShapleyRate).unwrap();
    assert_eq!(a.total_conversions().unwrap(), dec!(0));
    assert!(a.channels.iter().all(|c| c.conversions.is_zero()));
    let tiny = rows(&mut ch, &[("a", 1, dec!(0), 10_000_000_000_000_000)]);
    assert!(run(&tiny, &ch, &Model::ShapleyRate).is_err());
}

/// The entry point's edges (mutation run of the one entry point): a
/// lookback of zero keeps the touches at the conversion's instant; a
/// journey without touches is skipped as an empty path by the path models
/// too, not as outside the lookback; the Shapley detail says whether its
/// values were sampled (above 20 channels) or exact (20 and fewer).
#[test]
fn entry_point_edges() {
    let at = |h| Utc.with_ymd_and_hms(2026, 2, 1, h, 0, 0).unwrap();
    let touch = |h, name: &str| Touchpoint::new(at(h), Channel::new(name).unwrap(), K::Click);
    let converted = Journey::new(vec![touch(1, "ads"), touch(5, "email")])
        .with_conversion(Conversion {
            at: at(5),
            value: usd(dec!(10)),
        })
        .unwrap();
    let empty = Journey::new(vec![]);
    let js = [converted, empty];
    for model in ["linear", "markov", "shapley"] {
        let model: Model = model.parse().unwrap();
        let r = on_journeys(&js, &model, Some(TimeDelta::zero())).unwrap();
        // Only the touch at the conversion's instant is inside a zero window.
        assert_eq!(r.credit("email").unwrap().value, usd(dec!(10)), "{model}");
        assert!(
            r.credit("ads").map_or(true, |c| c.value.is_zero()),
            "{model}"
        );
        assert_eq!(r.skipped.len(), 1, "{model}");
        assert_eq!(r.skipped[0].row, 1, "{model}");
        assert_eq!(r.skipped[0].reason, SkipReason::EmptyPath, "{model}");
    }
    for (n, sampled) in [(20u32, false), (21, true)] {
        let rows: Vec<PathRow> = (0..n)
            .map(|c| PathRow::new(vec![ChannelId(c)], 1, usd(dec!(1)), 1))
            .collect();
        let ch = registry_of(n);
        let s = run(&rows, &ch, &Model::ShapleyRate).unwrap();
        let detail = s.shapley_rate().unwrap();
        assert_eq!(detail.values.len(), n as usize);
        assert_eq!(detail.sampled, sampled, "{n} channels");
    }
}

/// A path row with no journey at all (no conversion, no null) leads the
/// Markov chain nowhere: its state converts with probability 0, every
/// figure is finite, and the report reads back from JSON (a 0/0 made the
/// probability NaN, written as `null`).
#[test]
fn markov_rows_without_journeys_give_finite_figures() {
    let mut ch = Channels::new();
    for spec in [
        vec![("a", 0, dec!(0), 0)],
        vec![("a", 0, dec!(0), 0), ("b > a", 2, dec!(10), 1)],
        vec![("a > b", 0, dec!(0), 0), ("b", 0, dec!(0), 0)],
    ] {
        let r = rows(&mut ch, &spec);
        for order in 1..=3 {
            let report = markov(&r, &ch, order).unwrap();
            let detail = report.markov().unwrap();
            assert!(detail.conversion_probability.is_finite(), "{spec:?}");
            for e in &detail.removal_effects {
                assert!(e.conversions.is_finite() && e.value.is_finite(), "{spec:?}");
            }
            let back: Report =
                serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
            assert_eq!(back, report);
        }
    }
}
