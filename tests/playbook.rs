//! The FAQ as typed decisions.

use chrono::NaiveDate;
use revops::journey::{Ownership, Team};
use revops::metrics::Metric;
use revops::objective::*;
use revops::playbook::*;
use revops::{Currency, Money, Period, Ratio};

#[test]
fn investment_focus_follows_the_situation() {
    let s = |new_to_market, launching_product, competition| MarketSituation {
        new_to_market,
        launching_product,
        competition,
    };
    let r = investment_focus(s(true, true, Competition::Fierce));
    assert_eq!(r.decision, InvestmentFocus::Marketing);
    assert_eq!(
        r.reasons,
        vec![
            Reason::NewToMarket,
            Reason::NewProductLaunch,
            Reason::FierceCompetition
        ]
    );
    for c in [Competition::Low, Competition::Moderate] {
        let r = investment_focus(s(false, false, c));
        assert_eq!(r.decision, InvestmentFocus::Sales);
        assert_eq!(r.reasons, vec![Reason::EstablishedDemand]);
    }
    assert_eq!(
        investment_focus(s(false, false, Competition::Fierce)).decision,
        InvestmentFocus::Marketing
    );
    assert_eq!(
        investment_focus(s(true, false, Competition::Low)).decision,
        InvestmentFocus::Marketing
    );
}

#[test]
fn strategy_by_product_type() {
    for (c, v, m, sa) in [
        (
            Complexity::Complex,
            DealValue::High,
            MarketingCycle::LongEducational,
            SalesApproach::Consultative,
        ),
        (
            Complexity::Complex,
            DealValue::Low,
            MarketingCycle::LongEducational,
            SalesApproach::Consultative,
        ),
        (
            Complexity::Simple,
            DealValue::High,
            MarketingCycle::LongEducational,
            SalesApproach::Consultative,
        ),
        (
            Complexity::Simple,
            DealValue::Low,
            MarketingCycle::QuickAttractive,
            SalesApproach::Direct,
        ),
    ] {
        let r = strategy_for(c, v);
        assert_eq!(
            r.decision,
            Strategy {
                marketing: m,
                sales: sa
            },
            "{c:?} {v:?}"
        );
        assert_eq!(r.reasons.len(), 1);
    }
}

#[test]
fn team_structure_threshold() {
    assert_eq!(team_structure(1, 10).decision, TeamStructure::Combined);
    assert_eq!(team_structure(9, 10).decision, TeamStructure::Combined);
    assert_eq!(team_structure(10, 10).decision, TeamStructure::Separate);
    assert_eq!(team_structure(0, 0).decision, TeamStructure::Separate);
}

#[test]
fn mistakes_are_detected_from_a_scorecard() {
    let q = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
    .unwrap();
    let g = |metric: Metric, target: Target, owner, obj| {
        Goal::new(
            obj,
            metric,
            owner,
            target,
            q,
            Direction::HigherIsBetter,
            GoalKind::Cumulative,
        )
        .unwrap()
    };
    let leads = g(
        Metric::LeadCount,
        Target::Count(10),
        Ownership::Marketing,
        Objective::Marketing(MarketingObjective::Demand),
    );
    let win = g(
        Metric::WinRate,
        Target::Ratio(Ratio::from_counts(1, 4).unwrap()),
        Ownership::Sales,
        Objective::Sales(SalesObjective::Conversion),
    );

    // Only marketing has goals: no coordination and sales neglected.
    let only_marketing = Scorecard::new(vec![leads.clone()]);
    assert_eq!(
        detect_mistakes(&only_marketing),
        vec![
            Mistake::NoCoordination,
            Mistake::OneSideNeglected { team: Team::Sales }
        ]
    );
    // Volume vs quality with nothing shared.
    let split = Scorecard::new(vec![leads.clone(), win.clone()]);
    let found = detect_mistakes(&split);
    assert!(found.contains(&Mistake::NoCoordination));
    assert!(found
        .iter()
        .any(|m| matches!(m, Mistake::ConflictingGoals { .. })));
    // With a shared revenue goal: nothing to report.
    let aligned = Scorecard::new(vec![
        leads,
        win,
        g(
            Metric::Revenue,
            Target::Money(Money::new(revops::dec!(10), Currency::USD)),
            Ownership::Shared,
            Objective::Sales(SalesObjective::Revenue),
        ),
    ]);
    assert!(detect_mistakes(&aligned).is_empty());
}

/// What the stories print: plain words, lists as prose.
#[test]
fn playbook_and_goals_read_as_words() {
    use revops::journey::Team;
    use revops::metrics::Metric;
    use revops::objective::{Conflict, Pace};
    use revops::playbook::{
        investment_focus, strategy_for, team_structure, Competition, Complexity, DealValue,
        MarketSituation, Mistake,
    };
    let plan = investment_focus(MarketSituation {
        new_to_market: false,
        launching_product: true,
        competition: Competition::Fierce,
    });
    assert_eq!(
        plan.to_string(),
        "marketing, because a new product is launching and competition is fierce"
    );
    assert_eq!(
        strategy_for(Complexity::Complex, DealValue::High)
            .decision
            .to_string(),
        "a long, educational marketing cycle and consultative selling"
    );
    assert_eq!(
        team_structure(3, 10).to_string(),
        "one team for marketing and sales, because the company is small"
    );
    let conflict = Conflict::VolumeVersusQuality {
        marketing_metric: Metric::LeadCount,
        sales_metric: Metric::WinRate,
    };
    assert_eq!(
        conflict.to_string(),
        "marketing's lead count pulls against sales' win rate"
    );
    let two = Mistake::ConflictingGoals {
        conflicts: vec![
            conflict.clone(),
            Conflict::OpposingDirections {
                metric: Metric::WinRate,
            },
        ],
    };
    assert_eq!(
        two.to_string(),
        "goals pull the teams apart: marketing's lead count pulls against sales' win rate \
         and the teams push win rate in opposite directions"
    );
    assert_eq!(
        Mistake::OneSideNeglected { team: Team::Sales }.to_string(),
        "sales has no goals at all"
    );
    assert_eq!(Pace::Behind.to_string(), "behind pace");
    assert_eq!(Pace::OnTrack.to_string(), "on track");
}
