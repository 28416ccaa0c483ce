//! The metric catalogue: hand-computed cases for every metric (written from
//! the definitions, not from running the code), and property tests.

use chrono::TimeDelta;
use proptest::prelude::*;
use revops::dec;
use revops::metrics::{customer, marketing, sales, Arg, Metric, Value};
use revops::{Change, Currency, Decimal, Error, Money, Multiple, Nps, Ratio};

fn c(n: u64) -> Arg {
    Arg::Count(n)
}
fn cs(v: &[u64]) -> Arg {
    Arg::Counts(v.to_vec())
}
fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}
fn m(a: Decimal) -> Arg {
    Arg::Money(usd(a))
}
fn r(a: Decimal) -> Arg {
    Arg::Ratio(Ratio::new(a).unwrap())
}
fn d(a: Decimal) -> Arg {
    Arg::Decimal(a)
}
fn days(n: i64) -> Arg {
    Arg::Duration(TimeDelta::days(n))
}
fn ds(v: &[i64]) -> Arg {
    Arg::Durations(v.iter().map(|&n| TimeDelta::days(n)).collect())
}
fn ans(v: &[u8]) -> Arg {
    Arg::Answers(v.to_vec())
}

fn ratio(a: Decimal) -> Value {
    Value::Ratio(Ratio::new(a).unwrap())
}
fn multiple(a: Decimal) -> Value {
    Value::Multiple(Multiple::new(a).unwrap())
}
fn change(a: Decimal) -> Value {
    Value::Change(Change::new(a).unwrap())
}
fn money(a: Decimal) -> Value {
    Value::Money(usd(a))
}
fn score(a: Decimal) -> Value {
    Value::Score(Nps::new(a).unwrap())
}

#[derive(Debug)]
enum Expect {
    Is(Value),
    Zero,
    Exceeds,
    Range,
    Invalid,
    Overflow,
    Mismatch,
}
use Expect::*;

/// Every case: metric id, arguments, expected result. Each number was
/// worked out by hand from the formula in the comment.
fn cases() -> Vec<(&'static str, Vec<Arg>, Expect)> {
    let third = Decimal::ONE / dec!(3);
    vec![
        // lead_count: sum
        (
            "lead_count",
            vec![cs(&[120, 45, 35])],
            Is(Value::Count(200)),
        ),
        ("lead_count", vec![cs(&[])], Is(Value::Count(0))),
        ("lead_count", vec![cs(&[u64::MAX, 1])], Overflow),
        // brand_awareness: 180 / 600 = 0.3
        (
            "brand_awareness",
            vec![c(180), c(600)],
            Is(ratio(dec!(0.3))),
        ),
        ("brand_awareness", vec![c(1), c(0)], Zero),
        ("brand_awareness", vec![c(601), c(600)], Exceeds),
        // share_of_voice: 250 / 1000
        (
            "share_of_voice",
            vec![c(250), c(1000)],
            Is(ratio(dec!(0.25))),
        ),
        ("share_of_voice", vec![c(0), c(0)], Zero),
        // average_frequency: 50000 / 20000 = 2.5; fewer impressions than reach
        (
            "average_frequency",
            vec![c(50_000), c(20_000)],
            Is(multiple(dec!(2.5))),
        ),
        ("average_frequency", vec![c(10), c(20)], Invalid),
        ("average_frequency", vec![c(10), c(0)], Zero),
        // click_through_rate: 120 / 8000 = 0.015
        (
            "click_through_rate",
            vec![c(120), c(8000)],
            Is(ratio(dec!(0.015))),
        ),
        ("click_through_rate", vec![c(9), c(8)], Exceeds),
        // cost_per_mille: 300 / 120000 * 1000 = 2.5
        (
            "cost_per_mille",
            vec![m(dec!(300)), c(120_000)],
            Is(money(dec!(2.5))),
        ),
        ("cost_per_mille", vec![m(dec!(300)), c(0)], Zero),
        ("cost_per_mille", vec![m(dec!(-1)), c(10)], Range),
        // cost_per_click: 450 / 300 = 1.5
        (
            "cost_per_click",
            vec![m(dec!(450)), c(300)],
            Is(money(dec!(1.5))),
        ),
        ("cost_per_click", vec![m(dec!(450)), c(0)], Zero),
        // cost_per_lead: 2000 / 80 = 25; 100 / 3 = 33.33..
        (
            "cost_per_lead",
            vec![m(dec!(2000)), c(80)],
            Is(money(dec!(25))),
        ),
        (
            "cost_per_lead",
            vec![m(dec!(100)), c(3)],
            Is(money(dec!(100) / dec!(3))),
        ),
        ("cost_per_lead", vec![m(dec!(100)), c(0)], Zero),
        // cost_per_acquisition: 3000 / 12 = 250
        (
            "cost_per_acquisition",
            vec![m(dec!(3000)), c(12)],
            Is(money(dec!(250))),
        ),
        (
            "cost_per_acquisition",
            vec![m(dec!(0)), c(5)],
            Is(money(dec!(0))),
        ),
        // engagement_rate: 900 / 20000 = 0.045; can exceed 1: 30 / 20 = 1.5
        (
            "engagement_rate",
            vec![c(900), c(20_000)],
            Is(multiple(dec!(0.045))),
        ),
        (
            "engagement_rate",
            vec![c(30), c(20)],
            Is(multiple(dec!(1.5))),
        ),
        ("engagement_rate", vec![c(1), c(0)], Zero),
        // visitor_to_lead_rate: 80 / 2000 = 0.04
        (
            "visitor_to_lead_rate",
            vec![c(80), c(2000)],
            Is(ratio(dec!(0.04))),
        ),
        ("visitor_to_lead_rate", vec![c(12), c(10)], Exceeds),
        // lead_to_mql_rate: 50 / 200
        (
            "lead_to_mql_rate",
            vec![c(50), c(200)],
            Is(ratio(dec!(0.25))),
        ),
        ("lead_to_mql_rate", vec![c(0), c(0)], Zero),
        // return_on_ad_spend: 4200 / 1000 = 4.2
        (
            "return_on_ad_spend",
            vec![m(dec!(4200)), m(dec!(1000))],
            Is(multiple(dec!(4.2))),
        ),
        ("return_on_ad_spend", vec![m(dec!(4200)), m(dec!(0))], Zero),
        (
            "return_on_ad_spend",
            vec![
                m(dec!(4200)),
                Arg::Money(Money::new(dec!(1), Currency::EUR)),
            ],
            Mismatch,
        ),
        // marketing_roi: (750 - 1000) / 1000 = -0.25; (4000 - 1000) / 1000 = 3
        (
            "marketing_roi",
            vec![m(dec!(750)), m(dec!(1000))],
            Is(change(dec!(-0.25))),
        ),
        (
            "marketing_roi",
            vec![m(dec!(4000)), m(dec!(1000))],
            Is(change(dec!(3))),
        ),
        ("marketing_roi", vec![m(dec!(1)), m(dec!(0))], Zero),
        // marketing_roi_on_margin: (4000 * 0.4 - 1000) / 1000 = 0.6
        (
            "marketing_roi_on_margin",
            vec![m(dec!(4000)), r(dec!(0.4)), m(dec!(1000))],
            Is(change(dec!(0.6))),
        ),
        (
            "marketing_roi_on_margin",
            vec![m(dec!(1000)), r(dec!(0)), m(dec!(1000))],
            Is(change(dec!(-1))),
        ),
        // sales_volume
        ("sales_volume", vec![cs(&[40, 25])], Is(Value::Count(65))),
        ("sales_volume", vec![cs(&[u64::MAX, u64::MAX])], Overflow),
        // revenue: 499.99 + 1299 + 89.5 = 1888.49
        (
            "revenue",
            vec![
                Arg::Moneys(vec![usd(dec!(499.99)), usd(dec!(1299)), usd(dec!(89.5))]),
                Arg::Currency(Currency::USD),
            ],
            Is(money(dec!(1888.49))),
        ),
        (
            "revenue",
            vec![
                Arg::Moneys(vec![usd(dec!(1))]),
                Arg::Currency(Currency::EUR),
            ],
            Mismatch,
        ),
        // closed_deal_count
        (
            "closed_deal_count",
            vec![cs(&[3, 5, 4])],
            Is(Value::Count(12)),
        ),
        ("closed_deal_count", vec![cs(&[0])], Is(Value::Count(0))),
        // win_rate: 12 / (12 + 28) = 0.3
        ("win_rate", vec![c(12), c(28)], Is(ratio(dec!(0.3)))),
        ("win_rate", vec![c(0), c(0)], Zero),
        ("win_rate", vec![c(u64::MAX), c(1)], Overflow),
        // close_rate: 12 / 50 = 0.24
        ("close_rate", vec![c(12), c(50)], Is(ratio(dec!(0.24)))),
        ("close_rate", vec![c(51), c(50)], Exceeds),
        // lead_to_customer_rate: 42 / 300 = 0.14
        (
            "lead_to_customer_rate",
            vec![c(42), c(300)],
            Is(ratio(dec!(0.14))),
        ),
        ("lead_to_customer_rate", vec![c(1), c(3)], Is(ratio(third))),
        ("lead_to_customer_rate", vec![c(1), c(0)], Zero),
        // average_deal_size: 96000 / 12 = 8000
        (
            "average_deal_size",
            vec![m(dec!(96000)), c(12)],
            Is(money(dec!(8000))),
        ),
        ("average_deal_size", vec![m(dec!(96000)), c(0)], Zero),
        // sales_cycle_length: median of 10, 20, 30, 100 days = 25 days
        (
            "sales_cycle_length",
            vec![ds(&[10, 20, 30, 100])],
            Is(Value::Duration(TimeDelta::days(25))),
        ),
        (
            "sales_cycle_length",
            vec![ds(&[7])],
            Is(Value::Duration(TimeDelta::days(7))),
        ),
        // mean_sales_cycle_length: (10 + 20 + 30 + 100) / 4 = 40 days
        (
            "mean_sales_cycle_length",
            vec![ds(&[10, 20, 30, 100])],
            Is(Value::Duration(TimeDelta::days(40))),
        ),
        ("mean_sales_cycle_length", vec![ds(&[])], Zero),
        ("sales_cycle_length", vec![ds(&[])], Zero),
        ("sales_cycle_length", vec![ds(&[-1])], Range),
        // pipeline_velocity: 40 * 0.25 * 10000 / 50 = 2000 a day
        (
            "pipeline_velocity",
            vec![c(40), r(dec!(0.25)), m(dec!(10000)), days(50)],
            Is(money(dec!(2000))),
        ),
        (
            "pipeline_velocity",
            vec![c(40), r(dec!(0.25)), m(dec!(10000)), days(0)],
            Zero,
        ),
        // quota_attainment: 115000 / 100000 = 1.15
        (
            "quota_attainment",
            vec![m(dec!(115000)), m(dec!(100000))],
            Is(multiple(dec!(1.15))),
        ),
        ("quota_attainment", vec![m(dec!(1)), m(dec!(0))], Zero),
        // pipeline_coverage: 240000 / 80000 = 3
        (
            "pipeline_coverage",
            vec![m(dec!(240000)), m(dec!(80000))],
            Is(multiple(dec!(3))),
        ),
        ("pipeline_coverage", vec![m(dec!(240000)), m(dec!(0))], Zero),
        // weighted_pipeline: 10000 * 0.2 + 5000 * 0.8 = 6000
        (
            "weighted_pipeline",
            vec![
                Arg::WeightedDeals(vec![
                    (usd(dec!(10000)), Ratio::new(dec!(0.2)).unwrap()),
                    (usd(dec!(5000)), Ratio::new(dec!(0.8)).unwrap()),
                ]),
                Arg::Currency(Currency::USD),
            ],
            Is(money(dec!(6000))),
        ),
        (
            "weighted_pipeline",
            vec![Arg::WeightedDeals(vec![]), Arg::Currency(Currency::USD)],
            Is(money(dec!(0))),
        ),
        (
            "weighted_pipeline",
            vec![
                Arg::WeightedDeals(vec![(usd(dec!(-1)), Ratio::ONE)]),
                Arg::Currency(Currency::USD),
            ],
            Range,
        ),
        // average_order_value: 8100 / 180 = 45
        (
            "average_order_value",
            vec![m(dec!(8100)), c(180)],
            Is(money(dec!(45))),
        ),
        ("average_order_value", vec![m(dec!(8100)), c(0)], Zero),
        // attach_rate: 54 / 180 = 0.3
        ("attach_rate", vec![c(54), c(180)], Is(ratio(dec!(0.3)))),
        ("attach_rate", vec![c(181), c(180)], Exceeds),
        // revenue_growth: (92000 - 80000) / 80000 = 0.15
        (
            "revenue_growth",
            vec![m(dec!(80000)), m(dec!(92000))],
            Is(change(dec!(0.15))),
        ),
        ("revenue_growth", vec![m(dec!(0)), m(dec!(5))], Zero),
        // customer_acquisition_cost: (30000 + 20000) / 100 = 500
        (
            "customer_acquisition_cost",
            vec![m(dec!(30000)), m(dec!(20000)), c(100)],
            Is(money(dec!(500))),
        ),
        (
            "customer_acquisition_cost",
            vec![m(dec!(1)), m(dec!(1)), c(0)],
            Zero,
        ),
        // cac_payback_months: 1200 / (100 * 0.8) = 15
        (
            "cac_payback_months",
            vec![m(dec!(1200)), m(dec!(100)), r(dec!(0.8))],
            Is(Value::Decimal(dec!(15))),
        ),
        (
            "cac_payback_months",
            vec![m(dec!(1200)), m(dec!(100)), r(dec!(0))],
            Zero,
        ),
        // customer_lifetime_value: 100 * 0.8 / 0.02 = 4000
        (
            "customer_lifetime_value",
            vec![m(dec!(100)), r(dec!(0.8)), r(dec!(0.02))],
            Is(money(dec!(4000))),
        ),
        (
            "customer_lifetime_value",
            vec![m(dec!(100)), r(dec!(0.8)), r(dec!(0))],
            Zero,
        ),
        // customer_lifetime_value_from_orders: 60 * 4 * 3 = 720
        (
            "customer_lifetime_value_from_orders",
            vec![m(dec!(60)), d(dec!(4)), d(dec!(3))],
            Is(money(dec!(720))),
        ),
        (
            "customer_lifetime_value_from_orders",
            vec![m(dec!(60)), d(dec!(-4)), d(dec!(3))],
            Range,
        ),
        // ltv_to_cac: 4000 / 1250 = 3.2
        (
            "ltv_to_cac",
            vec![m(dec!(4000)), m(dec!(1250))],
            Is(multiple(dec!(3.2))),
        ),
        ("ltv_to_cac", vec![m(dec!(4000)), m(dec!(0))], Zero),
        // churn_rate: 15 / 500 = 0.03
        ("churn_rate", vec![c(15), c(500)], Is(ratio(dec!(0.03)))),
        ("churn_rate", vec![c(501), c(500)], Exceeds),
        // customer_retention_rate: (210 - 30) / 200 = 0.9
        (
            "customer_retention_rate",
            vec![c(200), c(210), c(30)],
            Is(ratio(dec!(0.9))),
        ),
        (
            "customer_retention_rate",
            vec![c(200), c(20), c(30)],
            Invalid,
        ),
        (
            "customer_retention_rate",
            vec![c(200), c(500), c(30)],
            Exceeds,
        ),
        // repeat_purchase_rate: 90 / 400 = 0.225
        (
            "repeat_purchase_rate",
            vec![c(90), c(400)],
            Is(ratio(dec!(0.225))),
        ),
        ("repeat_purchase_rate", vec![c(1), c(0)], Zero),
        // purchase_frequency: 520 / 400 = 1.3
        (
            "purchase_frequency",
            vec![c(520), c(400)],
            Is(multiple(dec!(1.3))),
        ),
        ("purchase_frequency", vec![c(10), c(20)], Invalid),
        // net_promoter_score: 3 promoters, 1 passive, 1 detractor of 5 -> 60 - 20 = 40
        (
            "net_promoter_score",
            vec![ans(&[10, 9, 9, 8, 3])],
            Is(score(dec!(40))),
        ),
        (
            "net_promoter_score",
            vec![ans(&[0, 6])],
            Is(score(dec!(-100))),
        ),
        (
            "net_promoter_score",
            vec![ans(&[9, 7, 7])],
            Is(score(dec!(100) / dec!(3))),
        ),
        ("net_promoter_score", vec![ans(&[])], Zero),
        // net_promoter_score_from_counts: (30 - 10) / 50 x 100 = 40
        (
            "net_promoter_score_from_counts",
            vec![c(30), c(10), c(10)],
            Is(score(dec!(40))),
        ),
        (
            "net_promoter_score_from_counts",
            vec![c(0), c(0), c(0)],
            Zero,
        ),
        ("net_promoter_score", vec![ans(&[11])], Range),
        // customer_satisfaction_score: 3 of 5 answers are 4-5
        (
            "customer_satisfaction_score",
            vec![ans(&[5, 4, 4, 3, 1])],
            Is(ratio(dec!(0.6))),
        ),
        ("customer_satisfaction_score", vec![ans(&[0])], Range),
        ("customer_satisfaction_score", vec![ans(&[])], Zero),
        // net_revenue_retention: (100k + 15k - 3k - 7k) / 100k = 1.05
        (
            "net_revenue_retention",
            vec![
                m(dec!(100000)),
                m(dec!(15000)),
                m(dec!(3000)),
                m(dec!(7000)),
            ],
            Is(multiple(dec!(1.05))),
        ),
        (
            "net_revenue_retention",
            vec![m(dec!(100)), m(dec!(0)), m(dec!(80)), m(dec!(30))],
            Invalid,
        ),
        // gross_revenue_retention: (100k - 3k - 7k) / 100k = 0.9
        (
            "gross_revenue_retention",
            vec![m(dec!(100000)), m(dec!(3000)), m(dec!(7000))],
            Is(ratio(dec!(0.9))),
        ),
        (
            "gross_revenue_retention",
            vec![m(dec!(0)), m(dec!(0)), m(dec!(0))],
            Zero,
        ),
        // magic_number: (560k - 500k) * 4 / 240k = 1; falling revenue is negative
        (
            "magic_number",
            vec![m(dec!(560000)), m(dec!(500000)), m(dec!(240000))],
            Is(change(dec!(1))),
        ),
        (
            "magic_number",
            vec![m(dec!(450000)), m(dec!(500000)), m(dec!(200000))],
            Is(change(dec!(-1))),
        ),
        // mql_acceptance_rate: 60 / 80
        (
            "mql_acceptance_rate",
            vec![c(60), c(80)],
            Is(ratio(dec!(0.75))),
        ),
        ("mql_acceptance_rate", vec![c(81), c(80)], Exceeds),
        // speed_to_lead: median of 1, 2, 4 days = 2 days
        (
            "speed_to_lead",
            vec![ds(&[1, 2, 4])],
            Is(Value::Duration(TimeDelta::days(2))),
        ),
        ("speed_to_lead", vec![ds(&[])], Zero),
        // sla_compliance_rate: 72 / 80 = 0.9
        (
            "sla_compliance_rate",
            vec![c(72), c(80)],
            Is(ratio(dec!(0.9))),
        ),
        ("sla_compliance_rate", vec![c(0), c(0)], Zero),
        // lead_leakage_rate: 6 / 80 = 0.075
        (
            "lead_leakage_rate",
            vec![c(6), c(80)],
            Is(ratio(dec!(0.075))),
        ),
        ("lead_leakage_rate", vec![c(0), c(80)], Is(ratio(dec!(0)))),
        // marketing_sourced_pipeline_share: 360k / 600k = 0.6
        (
            "marketing_sourced_pipeline_share",
            vec![m(dec!(360000)), m(dec!(600000))],
            Is(ratio(dec!(0.6))),
        ),
        (
            "marketing_sourced_pipeline_share",
            vec![m(dec!(2)), m(dec!(1))],
            Invalid,
        ),
        // marketing_sourced_revenue_share: 45k / 100k = 0.45
        (
            "marketing_sourced_revenue_share",
            vec![m(dec!(45000)), m(dec!(100000))],
            Is(ratio(dec!(0.45))),
        ),
        (
            "marketing_sourced_revenue_share",
            vec![m(dec!(1)), m(dec!(0))],
            Zero,
        ),
        // sales_cycle_change: (30 - 40) / 40 = -0.25
        (
            "sales_cycle_change",
            vec![days(40), days(30)],
            Is(change(dec!(-0.25))),
        ),
        ("sales_cycle_change", vec![days(0), days(30)], Zero),
        // average_deal_size_change: (9000 - 8000) / 8000 = 0.125
        (
            "average_deal_size_change",
            vec![m(dec!(8000)), m(dec!(9000))],
            Is(change(dec!(0.125))),
        ),
        (
            "average_deal_size_change",
            vec![m(dec!(0)), m(dec!(9000))],
            Zero,
        ),
    ]
}

#[test]
fn hand_computed_cases() {
    for (id, args, expect) in cases() {
        let metric = Metric::from_id(id).unwrap();
        let got = metric.evaluate(&args);
        let ok = match (&expect, &got) {
            (Is(v), Ok(g)) => v == g,
            (Zero, Err(Error::ZeroDenominator { .. })) => true,
            (Exceeds, Err(Error::PartExceedsWhole { .. })) => true,
            (Range, Err(Error::OutOfRange { .. })) => true,
            (Invalid, Err(Error::InvalidInput { .. })) => true,
            (Overflow, Err(Error::Overflow { .. })) => true,
            (Mismatch, Err(Error::CurrencyMismatch { .. })) => true,
            _ => false,
        };
        assert!(ok, "{id} {args:?}: expected {expect:?}, got {got:?}");
    }
}

/// Every catalogue entry is wired to its function and has at least two
/// hand-computed cases, one of which is an edge case (an error or a zero).
#[test]
fn every_metric_is_wired_and_tested() {
    let cases = cases();
    for m in Metric::ALL {
        let mine: Vec<_> = cases.iter().filter(|(id, _, _)| *id == m.id()).collect();
        assert!(mine.len() >= 2, "{} has {} cases", m.id(), mine.len());
        let evaluated_ok = mine
            .iter()
            .any(|(_, args, e)| matches!(e, Is(_)) && m.evaluate(args).is_ok());
        assert!(evaluated_ok, "{} never evaluated successfully", m.id());
        for (_, args, _) in &mine {
            if let Ok(v) = m.evaluate(args) {
                assert_eq!(v.unit(), m.unit(), "{}", m.id());
            }
        }
    }
    // Ids are unique and round-trip through lookup and serde.
    for m in Metric::ALL {
        assert_eq!(Metric::from_id(m.id()).unwrap(), *m);
        for alias in m.aliases() {
            assert_eq!(Metric::from_id(alias).unwrap(), *m, "alias {alias}");
        }
        let json = serde_json::to_string(m).unwrap();
        assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), *m);
        assert!(
            !m.objectives().is_empty(),
            "{} measures no objective",
            m.id()
        );
    }
    let mut ids: Vec<_> = Metric::ALL.iter().map(|m| m.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), Metric::ALL.len());
}

#[test]
fn the_issue_ids_are_all_in_the_catalogue() {
    let ids = "lead_count brand_awareness share_of_voice average_frequency click_through_rate \
        cost_per_mille cost_per_click cost_per_lead cost_per_acquisition engagement_rate \
        visitor_to_lead_rate lead_to_mql_rate return_on_ad_spend marketing_roi sales_volume \
        revenue closed_deal_count win_rate close_rate lead_to_customer_rate average_deal_size \
        sales_cycle_length pipeline_velocity quota_attainment pipeline_coverage weighted_pipeline \
        average_order_value attach_rate revenue_growth customer_acquisition_cost cac_payback_months \
        customer_lifetime_value ltv_to_cac churn_rate customer_retention_rate repeat_purchase_rate \
        purchase_frequency net_promoter_score customer_satisfaction_score net_revenue_retention \
        gross_revenue_retention magic_number mql_acceptance_rate speed_to_lead sla_compliance_rate \
        lead_leakage_rate marketing_sourced_pipeline_share marketing_sourced_revenue_share \
        sales_cycle_change average_deal_size_change";
    for id in ids.split_whitespace() {
        let m = Metric::from_id(id).unwrap();
        assert_eq!(m.id(), id);
    }
    assert_eq!(
        Metric::from_id("Lead-to-sales conversion rate").unwrap(),
        Metric::LeadToCustomerRate
    );
}

#[test]
fn mismatched_arguments_are_an_error_not_a_panic() {
    for m in Metric::ALL {
        assert!(
            matches!(m.evaluate(&[]), Err(Error::MissingInput { .. })) || m.inputs().is_empty()
        );
        let wrong: Vec<Arg> = m.inputs().iter().map(|_| Arg::Decimal(dec!(1))).collect();
        let all_decimal = m
            .inputs()
            .iter()
            .all(|i| i.kind == revops::metrics::ArgKind::Decimal);
        if !all_decimal {
            assert!(matches!(
                m.evaluate(&wrong),
                Err(Error::WrongInputKind { .. })
            ));
        }
    }
}

/// Every input of every metric has a description and a unit, and the
/// catalogue's JSON carries them beside the name and kind.
#[test]
fn every_input_is_described() {
    for m in Metric::ALL {
        for i in m.inputs() {
            assert!(!i.description().is_empty(), "{} / {}", m.id(), i.name);
            assert!(!i.unit().is_empty(), "{} / {}", m.id(), i.name);
        }
    }
    let json = serde_json::to_value(Metric::WinRate.inputs()).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"name": "won", "kind": "count", "description": "deals won", "unit": "deals"},
            {"name": "lost", "kind": "count", "description": "deals lost", "unit": "deals"}
        ])
    );
}

fn any_money() -> impl Strategy<Value = Money> {
    prop_oneof![
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| usd(Decimal::new(m, s))),
        Just(usd(Decimal::MAX)),
        Just(usd(Decimal::MIN)),
        Just(usd(Decimal::ZERO)),
    ]
}

proptest! {
    /// Valid ratio inputs never fail and stay in [0, 1].
    #[test]
    fn valid_counts_give_ratios(whole in 1u64.., part_seed in any::<u64>()) {
        let part = part_seed % whole.saturating_add(1).max(1);
        let part = part.min(whole);
        for f in [marketing::click_through_rate, marketing::visitor_to_lead_rate, sales::close_rate,
                  sales::lead_to_customer_rate, customer::churn_rate, sales::attach_rate] {
            let r = f(part, whole).unwrap();
            prop_assert!(r.value() >= Decimal::ZERO && r.value() <= Decimal::ONE);
        }
        let w = sales::win_rate(part, whole - part).unwrap();
        prop_assert!(w <= Ratio::ONE);
    }

    /// More conversions with the same visitors never lower the rate.
    #[test]
    fn conversion_rate_is_monotonic(visitors in 1u64..1_000_000, a in any::<u64>(), b in any::<u64>()) {
        let (a, b) = (a % (visitors + 1), b % (visitors + 1));
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(marketing::visitor_to_lead_rate(lo, visitors).unwrap()
            <= marketing::visitor_to_lead_rate(hi, visitors).unwrap());
    }

    /// More spend with the same leads never lowers the cost per lead.
    #[test]
    fn cost_per_lead_is_monotonic(leads in 1u64..1_000_000, a in 0i64..1_000_000_000, b in 0i64..1_000_000_000) {
        let (lo, hi) = (a.min(b), a.max(b));
        let x = marketing::cost_per_lead(usd(Decimal::new(lo, 2)), leads).unwrap();
        let y = marketing::cost_per_lead(usd(Decimal::new(hi, 2)), leads).unwrap();
        prop_assert!(x <= y);
    }

    /// ltv_to_cac equals its definition computed from the raw inputs:
    /// (ARPA × margin / churn) / (spend / customers).
    #[test]
    fn ltv_to_cac_matches_its_definition(arpa in 1i64..1_000_000, margin in 1u32..=100, churn in 1u32..=100, spend in 1i64..10_000_000, customers in 1u64..10_000) {
        let ltv = customer::customer_lifetime_value(
            usd(Decimal::new(arpa, 2)),
            Ratio::from_counts(margin.into(), 100).unwrap(),
            Ratio::from_counts(churn.into(), 100).unwrap(),
        ).unwrap();
        let cac = customer::customer_acquisition_cost(usd(Decimal::new(spend, 2)), usd(Decimal::ZERO), customers).unwrap();
        let ratio = customer::ltv_to_cac(ltv, cac).unwrap();
        // Independent: in f64 from the inputs, never from ltv or cac.
        let expect = (arpa as f64 / 100.0 * f64::from(margin) / f64::from(churn))
            / ((spend as f64 / 100.0) / customers as f64);
        let got: f64 = ratio.value().try_into().unwrap();
        prop_assert!((got - expect).abs() <= 1e-9 * expect.max(1.0), "{} vs {}", got, expect);
    }

    /// NPS is in [-100, 100] and equals a reference computation.
    #[test]
    fn nps_matches_reference(answers in prop::collection::vec(0u8..=10, 1..300)) {
        let nps = customer::net_promoter_score(&answers).unwrap();
        let n = answers.len() as i64;
        let promoters = answers.iter().filter(|&&a| a >= 9).count() as i64;
        let detractors = answers.iter().filter(|&&a| a <= 6).count() as i64;
        let reference = Decimal::from(100 * (promoters - detractors)) / Decimal::from(n);
        prop_assert_eq!(nps.value(), reference.normalize());
        prop_assert!(nps.value() >= dec!(-100) && nps.value() <= dec!(100));
    }

    /// No metric panics, whatever the input.
    #[test]
    fn no_metric_panics(a in any::<u64>(), b in any::<u64>(), x in any_money(), y in any_money(), z in any_money(), p in 0u32..=100, secs in any::<i32>()) {
        let ratio = Ratio::from_counts(p.into(), 100).unwrap();
        let dur = TimeDelta::seconds(secs.into());
        let args = |kind: revops::metrics::ArgKind, i: usize| -> Arg {
            use revops::metrics::ArgKind as K;
            let money = [x, y, z][i % 3];
            match kind {
                K::Count => c([a, b][i % 2]),
                K::Counts => cs(&[a, b]),
                K::Money => Arg::Money(money),
                K::Moneys => Arg::Moneys(vec![x, y, z]),
                K::Ratio => Arg::Ratio(ratio),
                K::Decimal => Arg::Decimal(money.amount()),
                K::Duration => Arg::Duration(dur),
                K::Durations => Arg::Durations(vec![dur, TimeDelta::try_milliseconds(a as i64).unwrap_or(TimeDelta::MAX), TimeDelta::MAX]),
                K::Answers => Arg::Answers(vec![(a % 12) as u8, (b % 12) as u8]),
                K::Currency => Arg::Currency(Currency::USD),
                K::WeightedDeals => Arg::WeightedDeals(vec![(x, ratio), (y, ratio)]),
            }
        };
        for m in Metric::ALL {
            let input: Vec<Arg> = m.inputs().iter().enumerate().map(|(i, inp)| args(inp.kind, i)).collect();
            let _ = m.evaluate(&input);
        }
    }
}

/// Named evaluation equals positional evaluation for every metric, with
/// the inputs given in reverse order.
#[test]
fn named_evaluation_equals_positional_for_every_metric() {
    use revops::metrics::ArgKind as K;
    let sample = |k: K, i: usize| -> Arg {
        let n = 3 + i as u64;
        match k {
            K::Count => Arg::Count(n),
            K::Counts => Arg::Counts(vec![n, n + 1]),
            K::Money => Arg::Money(usd(Decimal::from(100 * n))),
            K::Moneys => Arg::Moneys(vec![usd(Decimal::from(100 * n)), usd(dec!(50))]),
            K::Ratio => Arg::Ratio(Ratio::from_counts(1, n).unwrap()),
            K::Decimal => Arg::Decimal(Decimal::from(n)),
            K::Duration => Arg::Duration(TimeDelta::days(n as i64)),
            K::Durations => Arg::Durations(vec![TimeDelta::days(n as i64), TimeDelta::days(1)]),
            K::Answers => Arg::Answers(vec![10, 9, 7, 3]),
            K::Currency => Arg::Currency(Currency::USD),
            K::WeightedDeals => {
                Arg::WeightedDeals(vec![(usd(dec!(1000)), Ratio::from_counts(1, 2).unwrap())])
            }
        }
    };
    for m in Metric::ALL {
        let args: Vec<Arg> = m
            .inputs()
            .iter()
            .enumerate()
            .map(|(i, inp)| sample(inp.kind, i))
            .collect();
        let named: Vec<(&str, Arg)> = m
            .inputs()
            .iter()
            .zip(args.iter().cloned())
            .map(|(inp, a)| (inp.name, a))
            .rev()
            .collect();
        let positional = m.evaluate(&args);
        let by_name = m.evaluate_named(named);
        assert_eq!(
            format!("{by_name:?}"),
            format!("{positional:?}"),
            "{}",
            m.id()
        );
    }
}

/// Boundaries where the inputs are equal or zero are valid (the
/// comparisons that refuse inputs are strict), and the aliases give what
/// their targets give. (Mutation testing found these only held by
/// doctests.)
#[test]
fn equal_and_zero_inputs_sit_inside_the_domain() {
    assert_eq!(customer::purchase_frequency(5, 5).unwrap().value(), dec!(1));
    assert!(customer::purchase_frequency(4, 5).is_err());
    assert_eq!(
        marketing::average_frequency(20, 20).unwrap().value(),
        dec!(1)
    );
    assert!(marketing::average_frequency(19, 20).is_err());
    let aov = Money::new(dec!(40), Currency::EUR);
    assert_eq!(
        customer::customer_lifetime_value_from_orders(aov, dec!(0), dec!(3)).unwrap(),
        Money::new(dec!(0), Currency::EUR)
    );
    assert_eq!(
        customer::customer_lifetime_value_from_orders(aov, dec!(2), dec!(0)).unwrap(),
        Money::new(dec!(0), Currency::EUR)
    );
    assert!(customer::customer_lifetime_value_from_orders(aov, dec!(-0.1), dec!(3)).is_err());
    // A cycle of zero length is a cycle.
    let s = sales::sales_cycle_length(&[TimeDelta::zero(), TimeDelta::days(2)]).unwrap();
    assert_eq!(s.median, TimeDelta::days(1));
    assert!(sales::sales_cycle_length(&[TimeDelta::seconds(-1)]).is_err());
    assert_eq!(
        customer::customer_retention_rate_with_new(200, 210)
            .unwrap()
            .value(),
        dec!(1.05)
    );
    assert!(customer::customer_retention_rate_with_new(0, 1).is_err());
    assert_eq!(
        sales::win_rate_over_opportunities(3, 10).unwrap(),
        Ratio::from_counts(3, 10).unwrap()
    );
}

/// Display forms: a metric shows its id, a value its quantity, a unit
/// its id (the JSON name).
#[test]
fn display_forms() {
    assert_eq!(Metric::WinRate.to_string(), "win_rate");
    assert_eq!(
        Value::Ratio(Ratio::from_counts(1, 4).unwrap()).to_string(),
        "25%"
    );
    assert_eq!(Value::Count(7).to_string(), "7");
    for m in Metric::ALL {
        let u = m.unit();
        assert_eq!(
            serde_json::to_value(u).unwrap(),
            serde_json::Value::String(u.id().to_string())
        );
    }
}

/// A name given twice is refused (not the last one silently kept).
#[test]
fn an_input_named_twice_is_refused() {
    let r = Metric::WinRate.evaluate_named([
        ("won", Arg::Count(1)),
        ("won", Arg::Count(18)),
        ("lost", Arg::Count(27)),
    ]);
    assert!(matches!(r, Err(Error::UnknownInput { .. })), "{r:?}");
}

/// One formula text per metric: the catalogue's `Metric::formula` is the
/// text of the metric's row in its module's table and a code span in the
/// docs of the function the catalogue calls; the unit and direction
/// columns agree with the catalogue; every row names a metric (or an
/// alias of one) of the catalogue.
#[test]
fn one_formula_text_per_metric() {
    let sources = [
        ("marketing", include_str!("../src/metrics/marketing.rs")),
        ("sales", include_str!("../src/metrics/sales.rs")),
        ("customer", include_str!("../src/metrics/customer.rs")),
        ("alignment", include_str!("../src/metrics/alignment.rs")),
        (
            "crate::quantity::Nps",
            include_str!("../src/quantity/score.rs"),
        ),
    ];
    let catalogue = include_str!("../src/metrics/catalogue.rs");
    // The docs just above `pub fn name(`, joined into one line.
    let doc_of = |src: &str, func: &str| -> String {
        let at = src
            .find(&format!("pub fn {func}("))
            .unwrap_or_else(|| panic!("no fn {func}"));
        let mut lines: Vec<&str> = src[..at]
            .lines()
            .rev()
            .skip(1)
            .skip_while(|l| l.trim_start().starts_with("#["))
            .take_while(|l| l.trim_start().starts_with("///"))
            .map(|l| l.trim_start().trim_start_matches("///").trim())
            .collect();
        lines.reverse();
        lines.join(" ")
    };
    let mut rows_seen = 0;
    for &m in Metric::ALL {
        let f = m.formula();
        let entry = &catalogue[catalogue
            .find(&format!("id: \"{}\"", m.id()))
            .unwrap_or_else(|| panic!("{m} not in the catalogue source"))..];
        let eval = &entry[entry.find("eval: |a| ").unwrap() + 10..];
        let (module, func) = sources
            .iter()
            .find_map(|(name, src)| {
                let rest = eval.strip_prefix(&format!("{name}::"))?;
                Some(((name, src), &rest[..rest.find('(').unwrap()]))
            })
            .unwrap_or_else(|| panic!("{m}: the catalogue calls an unknown module"));
        assert!(
            doc_of(module.1, func).contains(&format!("`{f}`")),
            "{m}: the docs of {}::{func} do not show `{f}`",
            module.0
        );
        if *module.0 == "crate::quantity::Nps" {
            continue; // a method, not a function of a metrics module
        }
        let row = module
            .1
            .lines()
            .find(|l| l.starts_with(&format!("//! | `{}` |", m.id())))
            .unwrap_or_else(|| panic!("{m}: no row in the {} table", module.0));
        rows_seen += 1;
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells[2], f, "{m}: table and catalogue differ");
        assert!(
            cells[3].starts_with(m.unit().id()),
            "{m}: unit {}",
            cells[3]
        );
        let better = match m.direction() {
            revops::objective::Direction::HigherIsBetter => "higher",
            revops::objective::Direction::LowerIsBetter => "lower",
        };
        assert!(cells[4].contains(better), "{m}: direction {}", cells[4]);
    }
    // Every table row is a catalogue metric or an alias with its formula.
    for (_, src) in &sources[..4] {
        for row in src.lines().filter(|l| l.starts_with("//! | `")) {
            let id = row.split('`').nth(1).unwrap();
            let m = Metric::from_id(id).unwrap_or_else(|_| panic!("{id}: not a metric"));
            assert_eq!(row.split(" | ").nth(2), Some(m.formula()), "{id}");
        }
    }
    assert_eq!(rows_seen, Metric::ALL.len() - 1);
}
