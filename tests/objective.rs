//! Goals, pacing and scorecards.

use chrono::NaiveDate;
use proptest::prelude::*;
use revops::dec;
use revops::journey::Ownership;
use revops::metrics::{Arg, Metric, Unit, Value};
use revops::objective::*;
use revops::{Change, Ratio, TimeDelta};
use revops::{Currency, Decimal, Money, Period};

fn june() -> Period {
    Period::month_of(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap())
}
fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, d).unwrap()
}
fn usd(a: Decimal) -> Target {
    Target::Money(Money::new(a, Currency::USD))
}
fn goal(metric: Metric, owner: Ownership, target: Target, dir: Direction, kind: GoalKind) -> Goal {
    Goal::new(
        Objective::Sales(SalesObjective::Revenue),
        metric,
        owner,
        target,
        june(),
        dir,
        kind,
    )
    .unwrap()
}

#[test]
fn pace_hand_worked() {
    // Quota 30,000 over 30 days. On June 15 (15 days elapsed, the 15th
    // counted), 15,000 is expected.
    let g = goal(
        Metric::Revenue,
        Ownership::Sales,
        usd(dec!(30000)),
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    );
    let a = g.assess(usd(dec!(15000)), day(15)).unwrap();
    assert_eq!(a.expected_to_date, Some(dec!(15000)));
    assert_eq!(a.pace, Some(Pace::OnTrack));
    assert_eq!(a.projected, Some(dec!(30000)));
    assert_eq!(a.attainment.unwrap().value(), dec!(0.5));
    // 14,000 is 6.7% under: behind. 15,700 is 4.7% over: on track (5%).
    assert_eq!(
        g.assess(usd(dec!(14000)), day(15)).unwrap().pace,
        Some(Pace::Behind)
    );
    assert_eq!(
        g.assess(usd(dec!(15700)), day(15)).unwrap().pace,
        Some(Pace::OnTrack)
    );
    assert_eq!(
        g.assess(usd(dec!(15800)), day(15)).unwrap().pace,
        Some(Pace::Ahead)
    );
    // First day: 1/30 of the target (1,000) is expected, never zero.
    let first = g.assess(usd(dec!(0)), day(1)).unwrap();
    assert_eq!(first.expected_to_date, Some(dec!(1000)));
    assert_eq!(first.pace, Some(Pace::Behind));
    assert_eq!(first.projected, Some(dec!(0)));
    // Before the period: not started, nothing projected.
    let before = g
        .assess(usd(dec!(0)), NaiveDate::from_ymd_opt(2026, 5, 20).unwrap())
        .unwrap();
    assert_eq!(before.pace, Some(Pace::NotStarted));
    assert_eq!(before.projected, None);
    // Wrong unit or currency.
    assert!(g.assess(Target::Count(5), day(3)).is_err());
    assert!(g
        .assess(Target::Money(Money::new(dec!(1), Currency::EUR)), day(3))
        .is_err());
}

#[test]
fn level_goals_report_a_gap_and_lower_is_better_inverts() {
    // Sales cycle of at most 30 days; actual 40: attainment 30/40 = 0.75.
    let cycle = goal(
        Metric::SalesCycleLength,
        Ownership::Sales,
        Target::Duration(TimeDelta::days(30)),
        Direction::LowerIsBetter,
        GoalKind::Level,
    );
    let a = cycle
        .assess(Target::Duration(TimeDelta::days(40)), day(10))
        .unwrap();
    assert_eq!(a.attainment.unwrap().value(), dec!(0.75));
    assert_eq!(a.gap, Some(Decimal::from(10 * 86400)));
    assert!(!a.met);
    assert_eq!(a.pace, None);
    // An actual of zero is the best result: no finite attainment, met.
    let zero = cycle
        .assess(Target::Duration(TimeDelta::zero()), day(10))
        .unwrap();
    assert_eq!(zero.attainment, None);
    assert!(zero.met);
}

#[test]
fn invalid_goals_are_refused() {
    let mk = |t: Target, d: Direction| {
        Goal::new(
            Objective::Sales(SalesObjective::Targets),
            Metric::Revenue,
            Ownership::Sales,
            t,
            june(),
            d,
            GoalKind::Cumulative,
        )
    };
    assert!(mk(usd(dec!(0)), Direction::HigherIsBetter).is_err());
    assert!(mk(usd(dec!(-5)), Direction::LowerIsBetter).is_err());
    assert!(mk(usd(dec!(0)), Direction::LowerIsBetter).is_ok());
    // A target of another unit than the metric's, for every metric and
    // every unit.
    let samples = [
        Value::Ratio(Ratio::from_counts(1, 2).unwrap()),
        Value::Multiple(revops::Multiple::new(dec!(2)).unwrap()),
        Value::Change(Change::new(dec!(0.1)).unwrap()),
        usd(dec!(1)),
        Value::Count(1),
        Value::Duration(TimeDelta::days(1)),
        Value::Score(revops::Nps::new(dec!(10)).unwrap()),
        Value::Decimal(dec!(1)),
    ];
    for &m in Metric::ALL {
        for t in samples {
            let made = Goal::new(
                Objective::Sales(SalesObjective::Targets),
                m,
                Ownership::Sales,
                t,
                june(),
                Direction::HigherIsBetter,
                GoalKind::Level,
            );
            assert_eq!(made.is_ok(), t.unit() == m.unit(), "{m} with {t}");
        }
    }
    // And on deserialization.
    let g = mk(usd(dec!(10)), Direction::HigherIsBetter).unwrap();
    let mut json = serde_json::to_value(&g).unwrap();
    assert_eq!(serde_json::from_value::<Goal>(json.clone()).unwrap(), g);
    json["target"] = serde_json::json!({"money": {"amount": "0", "currency": "USD"}});
    assert!(serde_json::from_value::<Goal>(json.clone()).is_err());
    json["target"] = serde_json::json!({"count": 10});
    assert!(serde_json::from_value::<Goal>(json.clone()).is_err());
    json["target"] = serde_json::json!({"money": {"amount": "10", "currency": "USD"}});
    json["metric"] = serde_json::json!("no_such_metric");
    assert!(serde_json::from_value::<Goal>(json).is_err());
}

proptest! {
    /// More progress never gives a worse pace (cumulative, higher is better);
    /// for lower-is-better goals, more never gives a better pace.
    #[test]
    fn pace_is_monotonic(target in 1u64..1_000_000, a in 0u64..2_000_000, b in 0u64..2_000_000, d in 1u32..=30) {
        let rank = |p: Pace| match p { Pace::NotStarted => 0, Pace::Behind => 1, Pace::OnTrack => 2, Pace::Ahead => 3 };
        let (lo, hi) = (a.min(b), a.max(b));
        let up = goal(Metric::LeadCount, Ownership::Marketing, Target::Count(target), Direction::HigherIsBetter, GoalKind::Cumulative);
        let p_lo = up.assess(Target::Count(lo), day(d)).unwrap().pace.unwrap();
        let p_hi = up.assess(Target::Count(hi), day(d)).unwrap().pace.unwrap();
        prop_assert!(rank(p_lo) <= rank(p_hi));
        let down = goal(Metric::ClosedDealCount, Ownership::Marketing, Target::Count(target), Direction::LowerIsBetter, GoalKind::Cumulative);
        let p_lo = down.assess(Target::Count(lo), day(d)).unwrap().pace.unwrap();
        let p_hi = down.assess(Target::Count(hi), day(d)).unwrap().pace.unwrap();
        prop_assert!(rank(p_lo) >= rank(p_hi));
    }

    /// Attainment is actual / target exactly (higher is better) and
    /// target / actual (lower is better).
    #[test]
    fn attainment_is_exact(target in 1u64..1_000_000, actual in 0u64..1_000_000) {
        let up = goal(Metric::LeadCount, Ownership::Marketing, Target::Count(target), Direction::HigherIsBetter, GoalKind::Level);
        let a = up.assess(Target::Count(actual), day(5)).unwrap();
        prop_assert_eq!(a.attainment.unwrap().value(), (Decimal::from(actual) / Decimal::from(target)).normalize());
        prop_assert_eq!(a.met, actual >= target);
        let down = goal(Metric::ClosedDealCount, Ownership::Marketing, Target::Count(target), Direction::LowerIsBetter, GoalKind::Level);
        let a = down.assess(Target::Count(actual), day(5)).unwrap();
        if actual == 0 {
            prop_assert_eq!(a.attainment, None);
        } else {
            prop_assert_eq!(a.attainment.unwrap().value(), (Decimal::from(target) / Decimal::from(actual)).normalize());
        }
        prop_assert_eq!(a.gap, Some(Decimal::from(actual) - Decimal::from(target)));
    }
}

#[test]
fn conflicting_goals_are_flagged_unless_a_shared_outcome_exists() {
    let leads = goal(
        Metric::LeadCount,
        Ownership::Marketing,
        Target::Count(600),
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    );
    let win = goal(
        Metric::WinRate,
        Ownership::Sales,
        Target::Ratio(Ratio::from_counts(1, 4).unwrap()),
        Direction::HigherIsBetter,
        GoalKind::Level,
    );
    let mut card = Scorecard::new(vec![leads.clone(), win.clone()]);
    assert_eq!(
        card.conflicts(),
        vec![Conflict::VolumeVersusQuality {
            marketing_metric: Metric::LeadCount,
            sales_metric: Metric::WinRate
        }]
    );
    // A shared revenue goal ties both teams to the outcome: no conflict.
    card.push(goal(
        Metric::Revenue,
        Ownership::Shared,
        usd(dec!(100000)),
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    ));
    assert!(card.conflicts().is_empty());
    assert_eq!(card.shared_goals().len(), 1);
    // A shared goal on a non-outcome metric does not count.
    let card = Scorecard::new(vec![
        leads.clone(),
        win.clone(),
        goal(
            Metric::ClickThroughRate,
            Ownership::Shared,
            Target::Ratio(Ratio::from_counts(1, 50).unwrap()),
            Direction::HigherIsBetter,
            GoalKind::Level,
        ),
    ]);
    assert_eq!(card.conflicts().len(), 1);
    // Opposite directions on one metric across teams.
    let card = Scorecard::new(vec![
        goal(
            Metric::SalesCycleLength,
            Ownership::Marketing,
            Target::Duration(TimeDelta::days(20)),
            Direction::HigherIsBetter,
            GoalKind::Level,
        ),
        goal(
            Metric::SalesCycleLength,
            Ownership::Sales,
            Target::Duration(TimeDelta::days(20)),
            Direction::LowerIsBetter,
            GoalKind::Level,
        ),
    ]);
    assert_eq!(
        card.conflicts(),
        vec![Conflict::OpposingDirections {
            metric: Metric::SalesCycleLength
        }]
    );
    // Neglected teams.
    assert_eq!(
        Scorecard::new(vec![leads]).neglected_teams(),
        vec![revops::journey::Team::Sales]
    );
}

/// The `i`-th metric measured in money (taken modulo their number).
fn money_metric(i: usize) -> Metric {
    let money: Vec<Metric> = Metric::ALL
        .iter()
        .copied()
        .filter(|m| m.unit() == Unit::Money)
        .collect();
    money[i % money.len()]
}

/// The pair-by-pair rule of the docs, written out: one conflict per metric
/// that has two goals with different owners and opposite directions, in the
/// order of each metric's first such pair.
fn opposing_reference(goals: &[(usize, Ownership, Direction)]) -> Vec<Metric> {
    let mut out: Vec<Metric> = Vec::new();
    for (i, a) in goals.iter().enumerate() {
        for b in &goals[i + 1..] {
            let m = money_metric(a.0);
            if a.0 == b.0 && a.1 != b.1 && a.2 != b.2 && !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

proptest! {
    /// Scorecard conflicts (grouped by metric) equal the pairwise rule.
    #[test]
    fn opposing_directions_equal_the_pairwise_rule(
        spec in prop::collection::vec((0usize..6, 0u8..3, any::<bool>()), 0..40)
    ) {
        let owners = [Ownership::Marketing, Ownership::Sales, Ownership::Shared];
        let g: Vec<(usize, Ownership, Direction)> = spec
            .iter()
            .map(|&(m, o, up)| {
                (m, owners[o as usize], if up { Direction::HigherIsBetter } else { Direction::LowerIsBetter })
            })
            .collect();
        let card = Scorecard::new(
            g.iter()
                .map(|&(m, o, d)| goal(money_metric(m), o, usd(dec!(1)), d, GoalKind::Cumulative))
                .collect(),
        );
        let got: Vec<Metric> = card
            .conflicts()
            .into_iter()
            .filter_map(|c| match c {
                Conflict::OpposingDirections { metric } => Some(metric),
                _ => None,
            })
            .collect();
        prop_assert_eq!(got, opposing_reference(&g));
    }
}

#[test]
fn conflicts_of_many_goals_are_fast_enough() {
    // 20,000 goals on the money metrics (n^4 before: 1,200 goals took 14 s).
    let n = Metric::ALL
        .iter()
        .filter(|m| m.unit() == Unit::Money)
        .count();
    let goals: Vec<Goal> = (0..20_000)
        .map(|i| {
            let (owner, dir) = if i % 2 == 0 {
                (Ownership::Marketing, Direction::HigherIsBetter)
            } else {
                (Ownership::Sales, Direction::LowerIsBetter)
            };
            goal(
                money_metric((i / 2) % n),
                owner,
                usd(dec!(1)),
                dir,
                GoalKind::Cumulative,
            )
        })
        .collect();
    let card = Scorecard::new(goals);
    assert_eq!(card.conflicts().len(), n);
}

#[test]
fn a_metrics_value_is_assessed_as_is() {
    // The catalogue's result feeds the goal directly: one value type.
    let win = goal(
        Metric::WinRate,
        Ownership::Sales,
        Target::Ratio(Ratio::from_counts(1, 4).unwrap()),
        Direction::HigherIsBetter,
        GoalKind::Level,
    );
    let actual = Metric::WinRate
        .evaluate(&[Arg::Count(30), Arg::Count(70)])
        .unwrap();
    let a = win.assess(actual, day(10)).unwrap();
    assert_eq!(a.attainment.unwrap().value(), dec!(1.2)); // 0.30 / 0.25
    assert!(a.met);
    assert_eq!(a.gap, Some(dec!(0.05)));
}

#[test]
fn signed_units_take_targets_and_actuals_of_any_sign() {
    // Marketing ROI can be negative: a goal of at least -10% and an actual
    // of -20% is a gap of -0.1 with no ratio between the two.
    let roi = goal(
        Metric::MarketingRoi,
        Ownership::Marketing,
        Target::Change(Change::new(dec!(-0.1)).unwrap()),
        Direction::HigherIsBetter,
        GoalKind::Level,
    );
    let a = roi
        .assess(Target::Change(Change::new(dec!(-0.2)).unwrap()), day(3))
        .unwrap();
    assert_eq!(a.attainment, None);
    assert!(!a.met);
    assert_eq!(a.gap, Some(dec!(-0.1)));
    // A positive target and actual have a ratio as usual.
    let roi = goal(
        Metric::MarketingRoi,
        Ownership::Marketing,
        Target::Change(Change::new(dec!(0.5)).unwrap()),
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    );
    let a = roi
        .assess(Target::Change(Change::new(dec!(0.25)).unwrap()), day(15))
        .unwrap();
    assert_eq!(a.attainment.unwrap().value(), dec!(0.5));
    assert_eq!(a.expected_to_date, Some(dec!(0.25)));
    assert_eq!(a.pace, Some(Pace::OnTrack));
    // A negative cumulative target: the tolerance band stays ordered.
    let loss = goal(
        Metric::MarketingRoi,
        Ownership::Marketing,
        Target::Change(Change::new(dec!(-0.3)).unwrap()),
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    );
    // 15 of 30 days: -0.15 expected; -0.1 is better, -0.2 is worse.
    let p = |x| {
        loss.assess(Target::Change(Change::new(x).unwrap()), day(15))
            .unwrap()
            .pace
    };
    assert_eq!(p(dec!(-0.1)), Some(Pace::Ahead));
    assert_eq!(p(dec!(-0.15)), Some(Pace::OnTrack));
    assert_eq!(p(dec!(-0.2)), Some(Pace::Behind));
    // Unsigned units still refuse negative actuals.
    let rev = goal(
        Metric::Revenue,
        Ownership::Sales,
        usd(dec!(10)),
        Direction::HigherIsBetter,
        GoalKind::Level,
    );
    assert!(rev.assess(usd(dec!(-1)), day(3)).is_err());
}
