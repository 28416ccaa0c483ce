//! Pipeline and hand-off reports: a hand-computed report, properties, bad input.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use revops::dec;
use revops::Aggregate;

mod laws;
use revops::journey::{Channel, Lead, LeadSource, LifecycleStage as L, Team};
use revops::objective::Pace;
use revops::pipeline::*;
use revops::quantity::FxRates;
use revops::{Currency, Decimal, Money, Period, Ratio};

fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}
fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}
fn q1() -> Period {
    Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
    .unwrap()
}
fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn deal(
    id: &str,
    created: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
    status: DealStatus,
    amount: Money,
    stage: &str,
    p: Decimal,
    f: ForecastCategory,
    src: Team,
) -> Deal {
    Deal::new(
        id,
        created,
        closed,
        status,
        amount,
        stage,
        Ratio::new(p).unwrap(),
        f,
        src,
    )
    .unwrap()
}

fn sample() -> Vec<Deal> {
    use DealStatus::*;
    use ForecastCategory as F;
    let entry = |s: &str, at| StageEntry {
        stage: s.into(),
        entered_at: at,
    };
    vec![
        deal(
            "A",
            t(2026, 1, 5),
            Some(t(2026, 1, 25)),
            Won,
            usd(dec!(10000)),
            "won",
            dec!(1),
            F::Closed,
            Team::Marketing,
        )
        .with_history(vec![
            entry("qualify", t(2026, 1, 5)),
            entry("proposal", t(2026, 1, 15)),
            entry("won", t(2026, 1, 25)),
        ])
        .unwrap(),
        deal(
            "B",
            t(2026, 1, 10),
            Some(t(2026, 2, 9)),
            Won,
            usd(dec!(20000)),
            "won",
            dec!(1),
            F::Closed,
            Team::Sales,
        )
        .with_history(vec![
            entry("qualify", t(2026, 1, 10)),
            entry("proposal", t(2026, 1, 20)),
        ])
        .unwrap(),
        deal(
            "C",
            t(2025, 12, 1),
            Some(t(2026, 1, 30)),
            Won,
            usd(dec!(30000)),
            "won",
            dec!(1),
            F::Closed,
            Team::Marketing,
        ),
        deal(
            "D",
            t(2026, 2, 1),
            Some(t(2026, 3, 1)),
            Lost,
            usd(dec!(5000)),
            "lost",
            dec!(0),
            F::Omitted,
            Team::Sales,
        ),
        deal(
            "E",
            t(2026, 2, 15),
            None,
            Open,
            usd(dec!(40000)),
            "proposal",
            dec!(0.5),
            F::Commit,
            Team::Marketing,
        ),
        deal(
            "F",
            t(2026, 3, 1),
            None,
            Open,
            usd(dec!(10000)),
            "discovery",
            dec!(0.2),
            F::Pipeline,
            Team::Sales,
        ),
        deal(
            "G",
            t(2026, 3, 20),
            None,
            Open,
            usd(dec!(7000)),
            "discovery",
            dec!(0.2),
            F::Pipeline,
            Team::Sales,
        ),
        deal(
            "H",
            t(2026, 3, 5),
            Some(t(2026, 4, 5)),
            Won,
            usd(dec!(9000)),
            "won",
            dec!(1),
            F::Closed,
            Team::Sales,
        ),
        deal(
            "I",
            t(2026, 3, 2),
            None,
            Open,
            usd(dec!(6000)),
            "discovery",
            dec!(0.3),
            F::BestCase,
            Team::Sales,
        ),
        deal(
            "J",
            t(2026, 3, 1),
            Some(t(2026, 3, 10)),
            Won,
            Money::new(dec!(1000), Currency::EUR),
            "won",
            dec!(1),
            F::Closed,
            Team::Sales,
        ),
    ]
}

#[test]
fn hand_computed_report() {
    let mut spec = PipelineSpec::new(q1(), as_of(), Currency::USD);
    spec.quota = Some(usd(dec!(150000)));
    let r = report(spec, &sample()).unwrap();
    // Won A, B, C (closed in Q1); lost D; open E, F, I (created by Mar 15).
    assert_eq!((r.won_count, r.lost_count, r.open_count), (3, 1, 3));
    assert_eq!(r.won_revenue, Some(usd(dec!(60000))));
    assert_eq!(r.win_rate, Some(Ratio::new(dec!(0.75)).unwrap()));
    // Created in Q1: A B D E F G H I = 8; of them won in Q1: A, B.
    assert_eq!(r.opportunities_created, 8);
    assert_eq!(r.close_rate, Some(Ratio::new(dec!(0.25)).unwrap()));
    assert_eq!(r.average_deal_size, Some(usd(dec!(20000))));
    assert_eq!(r.median_deal_size, Some(usd(dec!(20000))));
    // Cycles 20, 30, 60 days: mean 110/3, median 30, p90 = 30 + 0.8 * 30 = 54.
    assert_eq!(r.cycle.median_days, Some(dec!(30)));
    assert_eq!(r.cycle.p90_days, Some(dec!(54)));
    assert_eq!(r.cycle.mean_days.unwrap().round_dp(6), dec!(36.666667));
    assert_eq!(r.open_pipeline, Some(usd(dec!(56000))));
    // 40000 x 0.5 + 10000 x 0.2 + 6000 x 0.3 = 23800.
    assert_eq!(r.weighted_pipeline, Some(usd(dec!(23800))));
    assert_eq!(r.forecast.closed, Some(usd(dec!(60000))));
    assert_eq!(r.forecast.commit, Some(usd(dec!(100000))));
    assert_eq!(r.forecast.best_case, Some(usd(dec!(106000))));
    assert_eq!(r.forecast.pipeline, Some(usd(dec!(116000))));
    // Velocity: 3 x 0.75 x 20000 / (110/3 days) = 1227.27 a day.
    let v = r.pipeline_velocity_per_day.unwrap().amount().round_dp(2);
    assert_eq!(v, dec!(1227.27));
    // Quota 150000: 0.4 attained; 74 of 90 days gone, 123333.33 expected:
    // behind; projection 60000 / 74 x 90; 90000 left over 16 days.
    let q = r.quota.as_ref().unwrap();
    assert_eq!(r.quota_attainment.unwrap().value(), dec!(0.4));
    assert_eq!(q.pace, Some(Pace::Behind));
    assert_eq!(
        q.expected_to_date.unwrap().amount().round_dp(2),
        dec!(123333.33)
    );
    assert_eq!(q.projected.unwrap().amount().round_dp(2), dec!(72972.97));
    assert_eq!(q.remaining_quota, usd(dec!(90000)));
    assert_eq!(q.gap_per_remaining_day, Some(usd(dec!(5625))));
    assert_eq!(q.coverage.unwrap().value().round_dp(4), dec!(0.6222));
    // By source.
    assert_eq!(
        (
            r.by_source.marketing.won_count,
            r.by_source.marketing.revenue
        ),
        (2, Some(usd(dec!(40000))))
    );
    assert_eq!(
        r.by_source.sales.win_rate,
        Some(Ratio::new(dec!(0.5)).unwrap())
    );
    assert_eq!(r.by_source.sales.open_pipeline, Some(usd(dec!(16000))));
    assert_eq!(
        r.marketing_sourced_revenue_share.unwrap().value(),
        dec!(2) / dec!(3)
    );
    // Ignored, with reasons.
    assert_eq!(r.ignored[&Ignored::OpenCreatedAfterAsOf], 1);
    assert_eq!(r.ignored[&Ignored::ClosedOutsidePeriod], 1);
    assert_eq!(r.ignored[&Ignored::NoExchangeRate], 1);
    // Histories: qualify -> proposal twice (rate 1), proposal -> won once
    // of two entries (0.5); time in proposal 10 and 20 days.
    let conv = |f: &str, to: &str| {
        r.stage_conversion
            .iter()
            .find(|c| c.from == f && c.to == to)
            .unwrap()
            .clone()
    };
    assert_eq!(conv("qualify", "proposal").deals, 2);
    assert_eq!(conv("qualify", "proposal").rate, Some(Ratio::ONE));
    assert_eq!(
        conv("proposal", "won").rate,
        Some(Ratio::new(dec!(0.5)).unwrap())
    );
    let prop = r
        .time_in_stage
        .iter()
        .find(|s| s.stage == "proposal")
        .unwrap();
    assert_eq!((prop.stays, prop.mean_days), (2, Some(dec!(15))));
}

#[test]
fn fx_rates_convert_and_are_reported() {
    let mut spec = PipelineSpec::new(q1(), as_of(), Currency::USD);
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, dec!(1.1)).unwrap();
    spec.fx = fx;
    let r = report(spec, &sample()).unwrap();
    assert_eq!(r.won_count, 4);
    assert_eq!(r.won_revenue, Some(usd(dec!(61100))));
    assert_eq!(r.fx_rates_used, vec![(Currency::EUR, dec!(1.1))]);
    assert!(!r.ignored.contains_key(&Ignored::NoExchangeRate));
}

#[test]
fn bad_input() {
    use DealStatus::*;
    use ForecastCategory as F;
    let p = Ratio::ONE;
    assert!(Deal::new(
        "x",
        t(2026, 2, 1),
        Some(t(2026, 1, 1)),
        Won,
        usd(dec!(1)),
        "s",
        p,
        F::Closed,
        Team::Sales
    )
    .is_err());
    assert!(Deal::new(
        "x",
        t(2026, 1, 1),
        Some(t(2026, 2, 1)),
        Open,
        usd(dec!(1)),
        "s",
        p,
        F::Pipeline,
        Team::Sales
    )
    .is_err());
    assert!(Deal::new(
        "x",
        t(2026, 1, 1),
        None,
        Open,
        usd(dec!(-1)),
        "s",
        p,
        F::Pipeline,
        Team::Sales
    )
    .is_err());
    assert!(Deal::new(
        "x",
        t(2026, 1, 1),
        None,
        Open,
        usd(dec!(1)),
        " ",
        p,
        F::Pipeline,
        Team::Sales
    )
    .is_err());
    let d = Deal::new(
        "x",
        t(2026, 1, 1),
        None,
        Open,
        usd(dec!(1)),
        "s",
        p,
        F::Pipeline,
        Team::Sales,
    )
    .unwrap();
    let unsorted = vec![
        StageEntry {
            stage: "b".into(),
            entered_at: t(2026, 1, 5),
        },
        StageEntry {
            stage: "a".into(),
            entered_at: t(2026, 1, 3),
        },
    ];
    assert!(d.clone().with_history(unsorted).is_err());
    assert!(Money::parse("5", "XYZ").is_err());
    assert!(ForecastCategory::parse("maybe").is_err());
    assert_eq!(ForecastCategory::parse("Best Case").unwrap(), F::BestCase);
    // Deserialization validates too.
    let mut json = serde_json::to_value(&d).unwrap();
    json["closed"] = serde_json::json!("2025-01-01T00:00:00Z");
    assert!(serde_json::from_value::<Deal>(json).is_err());
    // Empty input is an empty report, not an error.
    let r = report(PipelineSpec::new(q1(), as_of(), Currency::USD), &[]).unwrap();
    assert_eq!((r.won_count, r.open_count), (0, 0));
    assert_eq!(r.win_rate, None);
    assert_eq!(r.forecast.pipeline, Some(usd(dec!(0))));
}

#[test]
fn handoff_report() {
    let h = |n: i64| t(2026, 2, 2) + TimeDelta::hours(n);
    let src = |team| LeadSource {
        channel: Channel::new("webinar").unwrap(),
        sourced_by: team,
    };
    let mut leads = Vec::new();
    // 1: handed off, contacted after 1 h, accepted, becomes a customer.
    let mut a = Lead::new("a", h(0), L::Lead, src(Team::Marketing));
    a.advance(L::MarketingQualifiedLead, h(1)).unwrap();
    a.hand_off(h(2)).unwrap();
    a.record_first_contact(h(3)).unwrap();
    a.accept(h(3)).unwrap();
    a.advance(L::Customer, h(50)).unwrap();
    leads.push(a);
    // 2: handed off, contacted after 30 h, rejected.
    let mut b = Lead::new("b", h(0), L::MarketingQualifiedLead, src(Team::Marketing));
    b.hand_off(h(1)).unwrap();
    b.record_first_contact(h(31)).unwrap();
    b.reject(h(32), "no budget").unwrap();
    leads.push(b);
    // 3: MQL handed off, never contacted: leaked.
    let mut c = Lead::new("c", h(0), L::MarketingQualifiedLead, src(Team::Sales));
    c.hand_off(h(1)).unwrap();
    leads.push(c);
    // 4: a plain lead.
    leads.push(Lead::new("d", h(0), L::Lead, src(Team::Sales)));

    let mut st = HandoffState::new(TimeDelta::hours(24));
    for l in &leads {
        st.add(l).unwrap();
    }
    let r = st.finish(None).unwrap();
    assert_eq!(
        (r.leads, r.mqls, r.handed_off, r.accepted, r.rejected),
        (4, 3, 3, 1, 1)
    );
    assert_eq!(
        r.mql_acceptance_rate,
        Some(Ratio::from_counts(1, 3).unwrap())
    );
    // Delays 1 h and 30 h: median 15.5 h = 55800 s.
    assert_eq!(r.speed_to_lead_median_seconds, Some(dec!(55800)));
    // Within 24 h: 1 of 3 handed off.
    assert_eq!(
        r.sla_compliance_rate,
        Some(Ratio::from_counts(1, 3).unwrap())
    );
    assert_eq!(r.lead_leakage_rate, Some(Ratio::from_counts(1, 3).unwrap()));
    assert_eq!(
        r.lead_to_customer_rate,
        Some(Ratio::from_counts(1, 4).unwrap())
    );
    assert_eq!(
        r.marketing_sourced_lead_share,
        Some(Ratio::from_counts(2, 4).unwrap())
    );
    // Merge law.
    let mut x = HandoffState::new(TimeDelta::hours(24));
    let mut y = HandoffState::new(TimeDelta::hours(24));
    for l in &leads[..2] {
        x.add(l).unwrap();
    }
    for l in &leads[2..] {
        y.add(l).unwrap();
    }
    x.merge(&y).unwrap();
    assert_eq!(x.finish(None).unwrap(), r);
}

fn deals_strategy() -> impl Strategy<Value = Vec<Deal>> {
    prop::collection::vec(
        (
            0i64..150,
            0i64..60,
            0u8..3,
            0i64..100_000,
            0u32..=100,
            0u8..5,
            any::<bool>(),
            prop::collection::vec(0i64..10, 0..4),
        ),
        0..60,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (c, len, st, amt, p, f, src, hist))| {
                let created = t(2025, 12, 1) + TimeDelta::days(c);
                let (status, closed) = match st {
                    0 => (DealStatus::Open, None),
                    1 => (DealStatus::Won, Some(created + TimeDelta::days(len))),
                    _ => (DealStatus::Lost, Some(created + TimeDelta::days(len))),
                };
                let fc = [
                    ForecastCategory::Pipeline,
                    ForecastCategory::BestCase,
                    ForecastCategory::Commit,
                    ForecastCategory::Closed,
                    ForecastCategory::Omitted,
                ][f as usize];
                let mut at = created;
                let history = hist
                    .iter()
                    .map(|&d| {
                        // No stage is entered after the close.
                        at += TimeDelta::days(d);
                        if let Some(c) = closed {
                            at = at.min(c);
                        }
                        StageEntry {
                            stage: format!("s{}", d % 3),
                            entered_at: at,
                        }
                    })
                    .collect();
                Deal::new(
                    format!("d{i}"),
                    created,
                    closed,
                    status,
                    usd(Decimal::new(amt, 2)),
                    "stage",
                    Ratio::from_counts(p.into(), 100).unwrap(),
                    fc,
                    if src { Team::Marketing } else { Team::Sales },
                )
                .unwrap()
                .with_history(history)
                .unwrap()
            })
            .collect()
    })
}

proptest! {
    /// The report's figures equal sums computed here, independently, from
    /// the counting rules of the module docs.
    #[test]
    fn figures_equal_independent_sums(deals in deals_strategy()) {
        let r = report(PipelineSpec::new(q1(), as_of(), Currency::USD), &deals).unwrap();
        let (mut won, mut lost, mut open, mut ignored) = (0u64, 0u64, 0u64, 0u64);
        let (mut won_amt, mut open_amt, mut weighted) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut cat = [Decimal::ZERO; 3]; // commit, best case, pipeline
        for d in &deals {
            let a = d.amount().amount();
            match d.status() {
                DealStatus::Open if d.created().date_naive() > as_of() => ignored += 1,
                DealStatus::Open => {
                    open += 1;
                    open_amt += a;
                    weighted += a * d.probability().value();
                    match d.forecast() {
                        ForecastCategory::Commit => cat[0] += a,
                        ForecastCategory::BestCase => cat[1] += a,
                        ForecastCategory::Pipeline => cat[2] += a,
                        _ => {}
                    }
                }
                _ if !q1().contains(d.closed().unwrap().date_naive()) => ignored += 1,
                DealStatus::Won => {
                    won += 1;
                    won_amt += a;
                }
                DealStatus::Lost => lost += 1,
            }
        }
        prop_assert_eq!((r.won_count, r.lost_count, r.open_count), (won, lost, open));
        prop_assert_eq!(r.ignored.values().sum::<u64>(), ignored);
        let amount = |m: Option<Money>| m.unwrap().amount();
        prop_assert_eq!(amount(r.won_revenue), won_amt);
        prop_assert_eq!(amount(r.open_pipeline), open_amt);
        prop_assert_eq!(amount(r.weighted_pipeline), weighted);
        prop_assert_eq!(amount(r.forecast.closed), won_amt);
        prop_assert_eq!(amount(r.forecast.commit), won_amt + cat[0]);
        prop_assert_eq!(amount(r.forecast.best_case), won_amt + cat[0] + cat[1]);
        prop_assert_eq!(amount(r.forecast.pipeline), won_amt + cat[0] + cat[1] + cat[2]);
        let expect_rate = if won + lost > 0 { Some(Decimal::from(won) / Decimal::from(won + lost)) } else { None };
        prop_assert_eq!(r.win_rate.map(|w| w.value()), expect_rate);
    }

    /// The partial-state laws (`tests/laws`): any cut of the deals into
    /// parts, each shipped as JSON, merges (in either fold) into the
    /// report of the whole, medians and p90s included; the report equals
    /// `report` over all the deals.
    #[test]
    fn merge_law(deals in deals_strategy(), cuts in prop::collection::vec(0usize..60, 0..4)) {
        let spec = PipelineSpec::new(q1(), as_of(), Currency::USD);
        let whole = report(spec.clone(), &deals).unwrap();
        laws::merge_law(
            &deals,
            &cuts,
            || PipelineState::new(spec.clone()),
            |st, part| st.extend(part).unwrap(),
            |st| Aggregate::finish(st, ()).unwrap(),
        );
        let mut st = PipelineState::new(spec);
        st.extend(&deals).unwrap();
        prop_assert_eq!(st.finish().unwrap(), whole);
    }

    /// The laws for the hand-off state: leads of every kind, any cut.
    #[test]
    fn handoff_merge_law(
        specs in prop::collection::vec((0u8..4, 0i64..60, any::<bool>(), 0u8..3), 0..40),
        cuts in prop::collection::vec(0usize..40, 0..4),
    ) {
        let h = |n: i64| t(2026, 2, 2) + TimeDelta::hours(n);
        let src = |team| LeadSource {
            channel: Channel::new("webinar").unwrap(),
            sourced_by: team,
        };
        let leads: Vec<Lead> = specs
            .iter()
            .enumerate()
            .map(|(i, &(stage, contact, marketing, decision))| {
                let team = if marketing { Team::Marketing } else { Team::Sales };
                let first = if stage == 0 { L::Lead } else { L::MarketingQualifiedLead };
                let mut l = Lead::new(format!("l{i}"), h(0), first, src(team));
                if stage >= 2 {
                    l.hand_off(h(1)).unwrap();
                    l.record_first_contact(h(1 + contact)).unwrap();
                    match decision {
                        0 => l.accept(h(2 + contact)).unwrap(),
                        1 => l.reject(h(2 + contact), "no budget").unwrap(),
                        _ => {}
                    }
                }
                if stage == 3 && decision == 0 {
                    l.advance(L::Customer, h(100)).unwrap();
                }
                l
            })
            .collect();
        laws::merge_law(
            &leads,
            &cuts,
            || HandoffState::new(TimeDelta::hours(24)),
            |st, part| {
                for l in part {
                    st.add(l).unwrap();
                }
            },
            |st| Aggregate::finish(st, None).unwrap(),
        );
    }
}

#[test]
fn hostile_pipeline_states_are_refused() {
    let spec = PipelineSpec::new(q1(), as_of(), Currency::USD);
    let mut st = PipelineState::new(spec);
    let t = |d| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, d, 0, 0, 0).unwrap();
    let deal = Deal::builder("D")
        .created(t(2))
        .won_at(t(9))
        .amount(usd(dec!(10)))
        .stage("won")
        .source(Team::Sales)
        .history(vec![
            StageEntry {
                stage: "a".into(),
                entered_at: t(3),
            },
            StageEntry {
                stage: "b".into(),
                entered_at: t(4),
            },
        ])
        .build()
        .unwrap();
    st.add(&deal).unwrap();
    let json = serde_json::to_string(&st).unwrap();
    assert_eq!(serde_json::from_str::<PipelineState>(&json).unwrap(), st);
    for (from, to) in [
        (r#""won":1"#, r#""won":2"#),
        (r#"[[0,1,1]]"#, r#"[[0,7,1]]"#),
        (
            r#""history_stages":["a","b"]"#,
            r#""history_stages":["a","a"]"#,
        ),
        (r#""entered":[1,1]"#, r#""entered":[1]"#),
        (r#""won_amount":"10""#, r#""won_amount":"1.2.3""#),
        (r#""won_amount":"10""#, r#""won_amount":10.5"#),
        // Each consistency rule on its own (the others still hold).
        (
            r#"[["won",{"open":0,"won":1,"#,
            r#"[["won",{"open":0,"won":2,"#,
        ),
        (
            r#"{"won":1,"lost":0,"open":0,"won_amount":"10""#,
            r#"{"won":2,"lost":0,"open":0,"won_amount":"10""#,
        ),
        (r#""won_sizes":["10"]"#, r#""won_sizes":["10","10"]"#),
        (r#""cycles":[604800]"#, r#""cycles":[604800,1]"#),
        (r#""won_of_created":1"#, r#""won_of_created":2"#),
        // A transition of no deal, more deals leaving a stage than
        // entered it, a count above 2^62.
        (r#"[[0,1,1]]"#, r#"[[0,1,0]]"#),
        (r#""entered":[1,1]"#, r#""entered":[0,1]"#),
        (r#""entered":[1,1]"#, r#""entered":[1,4611686018427387905]"#),
    ] {
        assert!(json.contains(from), "{from} not in {json}");
        let bad = json.replace(from, to);
        assert!(
            serde_json::from_str::<PipelineState>(&bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn deal_builder_equals_positional_constructor_and_names_missing_fields() {
    use chrono::TimeZone;
    let t = |d| chrono::Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
    let positional = Deal::new(
        "D-1",
        t(2),
        Some(t(9)),
        DealStatus::Lost,
        usd(dec!(500)),
        "proposal",
        Ratio::from_counts(1, 4).unwrap(),
        ForecastCategory::Omitted,
        Team::Sales,
    )
    .unwrap()
    .with_owner("bo")
    .with_loss_reason("price");
    let built = Deal::builder("D-1")
        .source(Team::Sales)
        .forecast(ForecastCategory::Omitted)
        .probability(Ratio::from_counts(1, 4).unwrap())
        .stage("proposal")
        .amount(usd(dec!(500)))
        .lost_at(t(9))
        .created(t(2))
        .owner("bo")
        .loss_reason("price")
        .build()
        .unwrap();
    assert_eq!(built, positional);
    let full = || {
        Deal::builder("D-2")
            .created(t(2))
            .amount(usd(dec!(1)))
            .stage("s")
            .source(Team::Marketing)
    };
    assert!(full().build().is_ok());
    for (field, b) in [
        (
            "creation time",
            Deal::builder("D-2")
                .amount(usd(dec!(1)))
                .stage("s")
                .source(Team::Sales),
        ),
        (
            "amount",
            Deal::builder("D-2")
                .created(t(2))
                .stage("s")
                .source(Team::Sales),
        ),
        (
            "stage",
            Deal::builder("D-2")
                .created(t(2))
                .amount(usd(dec!(1)))
                .source(Team::Sales),
        ),
        (
            "source",
            Deal::builder("D-2")
                .created(t(2))
                .amount(usd(dec!(1)))
                .stage("s"),
        ),
    ] {
        let e = b.build().unwrap_err().to_string();
        assert!(e.contains(field), "{e}");
    }
    // The rules of Deal::new hold: a close before creation is refused.
    assert!(full().won_at(t(1)).build().is_err());
}

proptest! {
    /// The hand-off report against counts kept here from the generator's
    /// own choices, on asymmetric data, with the merge checked at every
    /// split point.
    #[test]
    fn handoff_equals_independent_counts(spec in prop::collection::vec(
        (any::<bool>(), any::<bool>(), any::<bool>(), prop::option::of(0i64..60), 0u8..3, any::<bool>()),
        0..25,
    )) {
        let h = |n: i64| t(2026, 2, 2) + TimeDelta::hours(n);
        let src = |marketing: bool| LeadSource {
            channel: Channel::new("web").unwrap(),
            sourced_by: if marketing { Team::Marketing } else { Team::Sales },
        };
        let (mut leads, mut n, mut mk, mut mqls, mut handed, mut acc, mut rej, mut leaked, mut within, mut customers) =
            (Vec::new(), 0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
        let mut delays: Vec<i64> = Vec::new();
        for (i, &(marketing, mql, handoff, contact, decision, customer)) in spec.iter().enumerate() {
            let mut l = Lead::new(format!("l{i}"), h(0), L::Lead, src(marketing));
            n += 1;
            mk += u64::from(marketing);
            if !mql {
                leads.push(l);
                continue;
            }
            l.advance(L::MarketingQualifiedLead, h(1)).unwrap();
            mqls += 1;
            if !handoff {
                leaked += 1;
                leads.push(l);
                continue;
            }
            l.hand_off(h(2)).unwrap();
            handed += 1;
            if let Some(d) = contact {
                l.record_first_contact(h(2 + d)).unwrap();
                delays.push(d * 3600);
                within += u64::from(d <= 24);
            }
            match decision {
                1 => {
                    l.accept(h(70)).unwrap();
                    acc += 1;
                    if customer {
                        l.advance(L::Customer, h(80)).unwrap();
                        customers += 1;
                    }
                }
                2 => {
                    l.reject(h(70), "no").unwrap();
                    rej += 1;
                }
                _ => {}
            }
            if contact.is_none() && decision == 0 {
                leaked += 1;
            }
            leads.push(l);
        }
        let mut st = HandoffState::new(TimeDelta::hours(24));
        for l in &leads {
            st.add(l).unwrap();
        }
        let r = st.finish(None).unwrap();
        prop_assert_eq!((r.leads, r.mqls, r.handed_off, r.accepted, r.rejected), (n, mqls, handed, acc, rej));
        prop_assert_eq!(r.mql_acceptance_rate, Ratio::from_counts(acc, handed).ok());
        prop_assert_eq!(r.sla_compliance_rate, Ratio::from_counts(within, handed).ok());
        prop_assert_eq!(r.lead_leakage_rate, Ratio::from_counts(leaked, mqls).ok());
        prop_assert_eq!(r.lead_to_customer_rate, Ratio::from_counts(customers, n).ok());
        prop_assert_eq!(r.marketing_sourced_lead_share, Ratio::from_counts(mk, n).ok());
        delays.sort_unstable();
        let median = match delays.len() {
            0 => None,
            k if k % 2 == 1 => Some(Decimal::from(delays[k / 2])),
            k => Some(Decimal::from(delays[k / 2 - 1] + delays[k / 2]) / Decimal::TWO),
        };
        prop_assert_eq!(r.speed_to_lead_median_seconds.map(|d| d.normalize()), median.map(|d| d.normalize()));
        for cut in 0..=leads.len() {
            let mut a = HandoffState::new(TimeDelta::hours(24));
            let mut b = HandoffState::new(TimeDelta::hours(24));
            for l in &leads[..cut] {
                a.add(l).unwrap();
            }
            for l in &leads[cut..] {
                b.add(l).unwrap();
            }
            // Each partial state leaves the process and comes back.
            let ship = |st: &HandoffState| -> HandoffState {
                serde_json::from_str(&serde_json::to_string(st).unwrap()).unwrap()
            };
            let (mut a, b) = (ship(&a), ship(&b));
            a.merge(&b).unwrap();
            prop_assert_eq!(a.finish(None).unwrap(), r.clone(), "cut {}", cut);
        }
    }
}

#[test]
fn hostile_handoff_states_are_refused() {
    let ok = r#"{"sla":"86400","leads":3,"marketing_sourced":1,"mqls":2,"handed_off":2,"accepted":1,"rejected":1,"within_sla":1,"leaked":0,"customers":1,"delays":{"counts":[[3600,1]]},"ignored":{}}"#;
    assert!(serde_json::from_str::<HandoffState>(ok).is_ok());
    for bad in [
        ok.replace(r#""accepted":1"#, r#""accepted":2"#),
        ok.replace(r#""leads":3"#, r#""leads":1"#),
        ok.replace(r#""leaked":0"#, r#""leaked":3"#),
        ok.replace(
            r#""accepted":1,"rejected":1"#,
            r#""accepted":18446744073709551615,"rejected":1"#,
        ),
        ok.replace(r#"[[3600,1]]"#, r#"[[3600,5]]"#),
        ok.replace(r#""sla":"86400""#, r#""sla":"-1""#),
        ok.replace(
            r#""ignored":{}"#,
            r#""ignored":{"contact_before_handoff":3}"#,
        ),
    ] {
        assert!(serde_json::from_str::<HandoffState>(&bad).is_err(), "{bad}");
    }
    // A state read with the largest counts: adding a lead is an overflow
    // error, never a panic or a wrapped count.
    let full = ok.replace(r#""leads":3"#, r#""leads":18446744073709551615"#);
    let mut st: HandoffState = serde_json::from_str(&full).unwrap();
    let before = st.clone();
    let lead = Lead::new(
        "x",
        t(2026, 2, 2),
        L::Lead,
        LeadSource {
            channel: Channel::new("web").unwrap(),
            sourced_by: Team::Sales,
        },
    );
    assert!(matches!(st.add(&lead), Err(revops::Error::Overflow { .. })));
    assert_eq!(st, before);
}

#[test]
fn specs_round_trip_and_validate() {
    let spec = PipelineSpec::new(q1(), as_of(), Currency::USD);
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(serde_json::from_str::<PipelineSpec>(&json).unwrap(), spec);
    let bad = json.replace(r#""end":"2026-04-01""#, r#""end":"2025-04-01""#);
    assert!(
        serde_json::from_str::<PipelineSpec>(&bad).is_err(),
        "{json}"
    );
}

/// A first contact before the hand-off is not a speed-to-lead delay: it is
/// counted under `ignored`, and the SLA boundary (exactly 24 h) is within.
#[test]
fn handoff_contact_before_handoff_and_the_sla_boundary() {
    let h = |n: i64| t(2026, 2, 2) + TimeDelta::hours(n);
    let src = LeadSource {
        channel: Channel::new("web").unwrap(),
        sourced_by: Team::Sales,
    };
    let mut early = Lead::new("early", h(0), L::MarketingQualifiedLead, src.clone());
    early.record_first_contact(h(1)).unwrap();
    early.hand_off(h(2)).unwrap();
    let mut edge = Lead::new("edge", h(0), L::MarketingQualifiedLead, src);
    edge.hand_off(h(1)).unwrap();
    edge.record_first_contact(h(25)).unwrap();
    let mut st = HandoffState::new(TimeDelta::hours(24));
    st.add(&early).unwrap();
    st.add(&edge).unwrap();
    st.add(&early).unwrap();
    let r = st.finish(None).unwrap();
    assert_eq!(
        r.ignored.get(&HandoffIgnored::ContactBeforeHandoff),
        Some(&2)
    );
    assert_eq!(r.speed_to_lead_median_seconds, Some(dec!(86400)));
    assert_eq!(
        r.sla_compliance_rate,
        Some(Ratio::from_counts(1, 3).unwrap())
    );
}

/// Every word of the status and forecast vocabularies parses (case and
/// spacing aside), the deal's accessors give back what it was built with,
/// a loss reason is kept for lost deals only. (Mutation testing found
/// these held only by doctests and the tools' tests.)
#[test]
fn vocabularies_and_accessors() {
    use chrono::TimeZone;
    for (word, status) in [
        ("open", DealStatus::Open),
        (" Won ", DealStatus::Won),
        ("LOST", DealStatus::Lost),
    ] {
        assert_eq!(word.parse::<DealStatus>().unwrap(), status);
    }
    assert!("closed".parse::<DealStatus>().is_err());
    for (word, cat) in [
        ("pipeline", ForecastCategory::Pipeline),
        ("Best Case", ForecastCategory::BestCase),
        ("bestcase", ForecastCategory::BestCase),
        ("commit", ForecastCategory::Commit),
        ("closed", ForecastCategory::Closed),
        ("OMITTED", ForecastCategory::Omitted),
    ] {
        assert_eq!(ForecastCategory::parse(word).unwrap(), cat);
    }
    assert!(ForecastCategory::parse("won").is_err());
    let t = |d| chrono::Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
    let lost = Deal::builder("D-9")
        .created(t(2))
        .lost_at(t(12))
        .amount(usd(dec!(10)))
        .stage("proposal")
        .source(Team::Sales)
        .owner("ana")
        .channel(Channel::new("events").unwrap())
        .loss_reason("price")
        .build()
        .unwrap();
    assert_eq!(lost.id(), "D-9");
    assert_eq!(lost.owner(), Some("ana"));
    assert_eq!(lost.channel().map(Channel::as_str), Some("events"));
    assert_eq!(lost.loss_reason(), Some("price"));
    assert_eq!(lost.cycle(), Some(TimeDelta::days(10)));
    let won = Deal::builder("D-10")
        .created(t(2))
        .won_at(t(5))
        .amount(usd(dec!(10)))
        .stage("won")
        .source(Team::Sales)
        .build()
        .unwrap()
        .with_loss_reason("price");
    assert_eq!(won.loss_reason(), None);
    assert_eq!(won.owner(), None);
    assert_eq!(won.channel(), None);
    let lost2 = Deal::builder("D-11")
        .created(t(2))
        .lost_at(t(5))
        .amount(usd(dec!(10)))
        .stage("lost")
        .source(Team::Sales)
        .build()
        .unwrap()
        .with_loss_reason("timing");
    assert_eq!(lost2.loss_reason(), Some("timing"));
}

/// The mean cycle as a duration, and the pacing on the period's last day
/// (no days left: no gap per day, and no division by zero).
#[test]
fn mean_cycle_and_the_last_day() {
    use chrono::TimeZone;
    let t = |m, d| chrono::Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap();
    let deals: Vec<Deal> = [(1, 2, 3), (1, 2, 5)]
        .iter()
        .enumerate()
        .map(|(i, &(m, c, w))| {
            Deal::builder(format!("W{i}"))
                .created(t(m, c))
                .won_at(t(m, w) + TimeDelta::hours(12))
                .amount(usd(dec!(100)))
                .stage("won")
                .source(Team::Sales)
                .build()
                .unwrap()
        })
        .collect();
    let mut spec = PipelineSpec::new(
        q1(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        Currency::USD,
    );
    spec.quota = Some(usd(dec!(1000)));
    let r = report(spec, &deals).unwrap();
    // Cycles of 1.5 and 3.5 days: a mean of 2.5 days.
    assert_eq!(r.mean_cycle(), Some(TimeDelta::hours(60)));
    // A report read back with a mean of days too large for a duration:
    // no duration, and no panic (the conversion used to multiply unchecked).
    let mut huge = r.clone();
    huge.cycle.mean_days = Some(revops::Decimal::MAX);
    assert_eq!(huge.mean_cycle(), None);
    huge.cycle.mean_days = Some(dec!(1e15));
    assert_eq!(huge.mean_cycle(), None);
    let q = r.quota.unwrap();
    assert_eq!(q.gap_per_remaining_day, None);
    assert_eq!(q.remaining_quota, usd(dec!(800)));
    let mut spec = PipelineSpec::new(
        q1(),
        NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(),
        Currency::USD,
    );
    spec.quota = Some(usd(dec!(1000)));
    let q = report(spec, &deals).unwrap().quota.unwrap();
    assert_eq!(q.gap_per_remaining_day, Some(usd(dec!(800))));
}

/// Each deal rule, found first where it is broken, with the text the
/// pipeline tool prints for it.
#[test]
fn deal_rules_each_found_with_their_text() {
    use revops::pipeline::{DealRule, DealStatus};
    use revops::{Currency, Money, TimeZone, Utc};
    let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
    let usd = |a: i64| Money::new(a.into(), Currency::USD);
    let cases = [
        (
            DealRule::first_broken(t(2), None, DealStatus::Open, usd(-1), "demo"),
            DealRule::NegativeAmount,
            "amount is negative",
        ),
        (
            DealRule::first_broken(t(2), Some(t(3)), DealStatus::Open, usd(1), "demo"),
            DealRule::OpenWithCloseTime,
            "an open deal has a close date",
        ),
        (
            DealRule::first_broken(t(2), None, DealStatus::Won, usd(1), "won"),
            DealRule::ClosedWithoutCloseTime,
            "a won or lost deal has no close date",
        ),
        (
            DealRule::first_broken(t(2), None, DealStatus::Lost, usd(1), "lost"),
            DealRule::ClosedWithoutCloseTime,
            "a won or lost deal has no close date",
        ),
        (
            DealRule::first_broken(t(2), Some(t(1)), DealStatus::Won, usd(1), "won"),
            DealRule::ClosedBeforeCreated,
            "closed before it was created",
        ),
        (
            DealRule::first_broken(t(2), None, DealStatus::Open, usd(1), "  "),
            DealRule::BlankStage,
            "stage is blank",
        ),
    ];
    for (found, rule, text) in cases {
        assert_eq!(found, Some(rule));
        assert_eq!(rule.to_string(), text);
    }
    assert_eq!(
        DealRule::first_broken(t(2), Some(t(3)), DealStatus::Won, usd(1), "won"),
        None
    );
}
