//! Recurring revenue: a hand-worked case per movement kind, an oracle over
//! dense month-by-month histories, the bridge identity, cohorts, the merge
//! laws, and hostile states.

use std::collections::BTreeMap;

use proptest::prelude::*;
use revops::quantity::{BillingInterval, FxRates, Month};
use revops::recurring::{MrrInput, MrrReport, MrrSpec, MrrState, Subscription};
use revops::{dec, Aggregate, Currency, Decimal, Money, NaiveDate};

mod laws;

fn usd(a: &str) -> Money {
    Money::parse(a, "USD").unwrap()
}

fn m(s: &str) -> Month {
    s.parse().unwrap()
}

fn d(y: i32, mo: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, day).unwrap()
}

fn state() -> MrrState {
    MrrState::new(MrrSpec::new(Currency::USD))
}

/// (new, expansion, contraction, churned, reactivation, closing) of a month.
fn moves(r: &MrrReport, month: &str) -> [Money; 6] {
    let b = r.months.iter().find(|b| b.month == m(month)).unwrap();
    [
        b.new,
        b.expansion,
        b.contraction,
        b.churned,
        b.reactivation,
        b.mrr,
    ]
}

#[test]
fn downgrade_to_zero_is_churn_of_the_previous_mrr() {
    let mut st = state();
    st.add_month("a", m("2026-01"), usd("100")).unwrap();
    st.add_month("a", m("2026-02"), usd("0")).unwrap();
    st.add_month("b", m("2026-02"), usd("5")).unwrap();
    let r = st.finish().unwrap();
    let [new, _, _, churned, _, closing] = moves(&r, "2026-02");
    assert_eq!((new, churned, closing), (usd("5"), usd("100"), usd("5")));
    let feb = &r.months[1];
    assert_eq!(feb.customers.churned, 1);
    assert_eq!(feb.logo_churn.unwrap().to_string(), "100%");
    assert_eq!(feb.gross_revenue_churn.unwrap().to_string(), "100%");
    assert_eq!(feb.quick_ratio.unwrap().value(), dec!(0.05));
}

#[test]
fn pause_and_come_back_is_reactivation() {
    let mut st = state();
    st.add_month("a", m("2026-01"), usd("100")).unwrap();
    // February: no row (0). March: back at 120.
    st.add_month("a", m("2026-03"), usd("120")).unwrap();
    let r = st.finish().unwrap();
    assert_eq!(moves(&r, "2026-02")[3], usd("100"));
    let [new, exp, _, _, react, closing] = moves(&r, "2026-03");
    assert_eq!(
        (new, exp, react, closing),
        (usd("0"), usd("0"), usd("120"), usd("120"))
    );
    assert_eq!(r.months[2].customers.reactivated, 1);
    // Net revenue churn of March: nothing lost, 120 back, no opening MRR.
    assert_eq!(r.months[2].net_revenue_churn, None);
}

#[test]
fn one_of_several_subscriptions_ending_is_contraction() {
    let mut st = state();
    let sub = |start, end, amount: &str| {
        Subscription::new("a", start, end, usd(amount), BillingInterval::Month).unwrap()
    };
    st.add_subscription(&sub(d(2026, 1, 1), None, "50"))
        .unwrap();
    st.add_subscription(&sub(d(2026, 1, 10), Some(d(2026, 3, 5)), "30"))
        .unwrap();
    st.add_subscription(&sub(d(2026, 1, 10), Some(d(2026, 4, 1)), "20"))
        .unwrap();
    let r = st.finish().unwrap();
    assert_eq!(r.months.len(), 4);
    assert_eq!(moves(&r, "2026-01")[0], usd("100"));
    // March: the 30 plan ended on the 5th; the others go on.
    assert_eq!(moves(&r, "2026-03")[2], usd("30"));
    assert_eq!(moves(&r, "2026-03")[3], usd("0"));
    // April: the 20 plan ended on the 1st: a contraction too, 50 left.
    assert_eq!(moves(&r, "2026-04")[2], usd("20"));
    assert_eq!(moves(&r, "2026-04")[5], usd("50"));
}

#[test]
fn an_annual_plan_is_a_twelfth_a_month_and_its_contract_a_year() {
    let mut st = state();
    let s = Subscription::new(
        "a",
        d(2026, 1, 15),
        Some(d(2027, 1, 15)),
        usd("2000"),
        BillingInterval::Year,
    )
    .unwrap();
    st.add_subscription(&s).unwrap();
    let r = st.finish().unwrap();
    // January 2026 to December 2026 in force; churn in January 2027.
    assert_eq!(r.months.len(), 13);
    assert_eq!(r.months[0].mrr, usd("166.67"));
    assert_eq!(r.months[0].arr, usd("2000"));
    assert_eq!(r.months[11].mrr, usd("166.67"));
    assert_eq!(r.months[12].churned, usd("166.67"));
    assert_eq!(r.months[12].arr, usd("0"));
}

#[test]
fn a_plan_changed_mid_month_counts_the_plan_in_force_on_the_last_day() {
    let mut st = state();
    let sub = |start, end, amount: &str| {
        Subscription::new("a", start, end, usd(amount), BillingInterval::Month).unwrap()
    };
    st.add_subscription(&sub(d(2026, 1, 1), Some(d(2026, 2, 15)), "100"))
        .unwrap();
    st.add_subscription(&sub(d(2026, 2, 15), None, "150"))
        .unwrap();
    let r = st.finish().unwrap();
    assert_eq!(r.months.len(), 2);
    let [new, exp, contr, churned, _, closing] = moves(&r, "2026-02");
    assert_eq!(
        (new, exp, contr, churned, closing),
        (usd("0"), usd("50"), usd("0"), usd("0"), usd("150"))
    );
}

#[test]
fn duplicate_rows_add_up_and_decimals_are_kept() {
    let mut st = state();
    st.add_month("a", m("2026-01"), usd("10.005")).unwrap();
    st.add_month("a", m("2026-01"), usd("0.001")).unwrap();
    let r = st.finish().unwrap();
    assert_eq!(r.months[0].mrr.amount(), dec!(10.006));
    assert_eq!(r.months[0].arr.amount(), dec!(120.072));
}

#[test]
fn bad_inputs_are_errors() {
    let mut st = state();
    assert!(st.add_month("a", m("2026-01"), usd("-1")).is_err());
    assert!(st.add_month("", m("2026-01"), usd("1")).is_err());
    assert!(st
        .add_month("a", m("2026-01"), Money::parse("1", "EUR").unwrap())
        .is_err());
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, dec!(1.08)).unwrap();
    let mut st = MrrState::new(MrrSpec::with_fx(fx));
    st.add_month("a", m("2026-01"), Money::parse("100", "EUR").unwrap())
        .unwrap();
    assert_eq!(st.finish().unwrap().months[0].mrr, usd("108"));
    // A span of more than 100 years is refused, not allocated.
    let mut st = state();
    st.add_month("a", m("1900-01"), usd("1")).unwrap();
    st.add_month("a", m("2026-01"), usd("1")).unwrap();
    assert!(st.finish().is_err());
    assert!("2026-1".parse::<Month>().is_err());
    assert!("2026-01-01".parse::<Month>().is_err());
}

#[test]
fn cohorts_net_and_gross_retention() {
    let mut st = state();
    // January cohort: a 100 -> 130 (expansion), b 100 -> 50 (contraction).
    for (c, jan, feb) in [("a", "100", "130"), ("b", "100", "50")] {
        st.add_month(c, m("2026-01"), usd(jan)).unwrap();
        st.add_month(c, m("2026-02"), usd(feb)).unwrap();
    }
    st.add_month("c", m("2026-02"), usd("70")).unwrap();
    let r = st.finish().unwrap();
    assert_eq!(r.cohorts.len(), 2);
    let jan = &r.cohorts[0];
    assert_eq!((jan.cohort, jan.customers), (m("2026-01"), 2));
    assert_eq!(
        jan.nrr.iter().map(|x| x.value()).collect::<Vec<_>>(),
        [dec!(1), dec!(0.9)]
    );
    // Gross: min(130, 100) + min(50, 100) = 150 of 200.
    assert_eq!(
        jan.grr.iter().map(|x| x.value()).collect::<Vec<_>>(),
        [dec!(1), dec!(0.75)]
    );
    assert_eq!(r.cohorts[1].mrr, [usd("70")]);
    let feb = &r.months[1];
    assert_eq!(feb.net_revenue_retention().unwrap().value(), dec!(0.9));
    assert_eq!(feb.gross_revenue_retention().unwrap().value(), dec!(0.75));
}

// ---- the oracle: dense histories, movement by movement ----

type History = BTreeMap<String, BTreeMap<i32, Decimal>>;

/// Per month index: (opening, new, expansion, contraction, churned,
/// reactivation, closing), computed month by month over every customer.
fn oracle(h: &History, first: i32, last: i32) -> Vec<[Decimal; 7]> {
    let mut out = vec![[Decimal::ZERO; 7]; (last - first + 1) as usize];
    for months in h.values() {
        let mut had = false;
        let mut prev = Decimal::ZERO;
        for (k, row) in out.iter_mut().enumerate() {
            let cur = months.get(&(first + k as i32)).copied().unwrap_or_default();
            row[0] += prev;
            row[6] += cur;
            let z = Decimal::ZERO;
            if prev == z && cur > z {
                if had {
                    row[5] += cur
                } else {
                    row[1] += cur
                }
                had = true;
            } else if prev > z && cur == z {
                row[4] += prev;
            } else if prev > z && cur > prev {
                row[2] += cur - prev;
            } else if prev > z && cur < prev {
                row[3] += prev - cur;
            }
            prev = cur;
        }
    }
    out
}

fn histories() -> impl Strategy<Value = Vec<(u8, i32, u32)>> {
    // (customer, month offset, cents); about a third of the draws are 0.
    prop::collection::vec(
        (0u8..12, 0i32..18, prop_oneof![Just(0u32), 1u32..50_000]),
        0..120,
    )
}

proptest! {
    /// The bridge equals the dense oracle in every month, and its identity
    /// holds exactly: opening + new + expansion + reactivation −
    /// contraction − churned = closing, and each month opens at the last
    /// one's close.
    #[test]
    fn bridge_equals_the_oracle_and_adds_up(rows in histories()) {
        let base = m("2025-11").index();
        let mut st = state();
        let mut h: History = BTreeMap::new();
        for &(c, k, cents) in &rows {
            let v = Decimal::new(i64::from(cents), 2);
            st.add_month(&format!("c{c}"), Month::from_index(base + k).unwrap(), Money::new(v, Currency::USD)).unwrap();
            *h.entry(format!("c{c}")).or_default().entry(base + k).or_default() += v;
        }
        let r = st.finish().unwrap();
        if rows.is_empty() {
            prop_assert!(r.months.is_empty());
            return Ok(());
        }
        let first = rows.iter().map(|r| base + r.1).min().unwrap();
        let last = rows.iter().map(|r| base + r.1).max().unwrap();
        let want = oracle(&h, first, last);
        prop_assert_eq!(r.months.len(), want.len());
        let mut prev_close = Decimal::ZERO;
        for (b, w) in r.months.iter().zip(&want) {
            let got = [b.opening_mrr, b.new, b.expansion, b.contraction, b.churned, b.reactivation, b.mrr].map(|x| x.amount());
            prop_assert_eq!(&got, w, "{}", b.month);
            prop_assert_eq!(got[0] + got[1] + got[2] + got[5] - got[3] - got[4], got[6]);
            prop_assert_eq!(got[0], prev_close);
            prop_assert_eq!(b.arr.amount(), got[6] * dec!(12));
            prev_close = got[6];
            if let Some(g) = b.gross_revenue_churn {
                prop_assert!(g.value() <= Decimal::ONE);
            }
        }
    }

    /// Subscriptions: the identity per month for random plans of every
    /// interval, and every month's MRR is the plans in force on its last day.
    #[test]
    fn subscriptions_add_up(subs in prop::collection::vec((0u8..6, 0i64..400, prop::option::of(0i64..500), 1u32..100_000, 0usize..4), 1..40)) {
        let day0 = d(2026, 1, 1);
        let intervals = [BillingInterval::Week, BillingInterval::Month, BillingInterval::Quarter, BillingInterval::Year];
        let mut st = state();
        let mut all = Vec::new();
        for &(c, start, len, cents, iv) in &subs {
            let start = day0 + chrono::TimeDelta::days(start);
            let end = len.map(|l| start + chrono::TimeDelta::days(l));
            let s = Subscription::new(&format!("c{c}"), start, end, Money::new(Decimal::new(i64::from(cents), 2), Currency::USD), intervals[iv]).unwrap();
            st.add_subscription(&s).unwrap();
            all.push(s);
        }
        let r = st.finish().unwrap();
        let mut prev_close = Decimal::ZERO;
        for b in &r.months {
            let x = [b.opening_mrr, b.new, b.expansion, b.contraction, b.churned, b.reactivation, b.mrr].map(|x| x.amount());
            prop_assert_eq!(x[0] + x[1] + x[2] + x[5] - x[3] - x[4], x[6]);
            prop_assert_eq!(x[0], prev_close);
            prev_close = x[6];
            // In force on the month's last day.
            let last_day = b.month.next().unwrap().first_day().pred_opt().unwrap();
            let mut mrr = Decimal::ZERO;
            let mut arr = Decimal::ZERO;
            for s in &all {
                if s.start <= last_day && s.end.is_none_or(|e| last_day < e) {
                    mrr += s.interval.monthly(s.amount).unwrap().amount();
                    arr += s.interval.annual(s.amount).unwrap().amount();
                }
            }
            prop_assert_eq!(b.mrr.amount(), mrr, "{}", b.month);
            prop_assert_eq!(b.arr.amount(), arr, "{}", b.month);
        }
    }

    /// Any split of the inputs, each part through its JSON, merges into
    /// the report of the whole.
    #[test]
    fn mrr_merge_law(rows in histories(), cuts in prop::collection::vec(0usize..120, 0..4)) {
        let base = m("2025-11").index();
        let inputs: Vec<(String, Month, Money)> = rows
            .iter()
            .map(|&(c, k, cents)| (format!("c{c}"), Month::from_index(base + k).unwrap(), Money::new(Decimal::new(i64::from(cents), 2), Currency::USD)))
            .collect();
        laws::merge_law(
            &inputs,
            &cuts,
            state,
            |st, part| {
                for (c, month, mrr) in part {
                    Aggregate::add(st, MrrInput::Month { customer: c, month: *month, mrr: *mrr }).unwrap();
                }
            },
            |st| Aggregate::finish(st, ()).unwrap(),
        );
    }
}

#[test]
fn hostile_states_are_refused() {
    let mut st = state();
    st.add_month("a", m("2026-01"), usd("1")).unwrap();
    let json = serde_json::to_value(&st).unwrap();
    let back: MrrState = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, st);
    let refused = |v: serde_json::Value| serde_json::from_value::<MrrState>(v).is_err();
    let mut neg = json.clone();
    neg["customers"][0]["spans"][0]["mrr"] = "-1".into();
    assert!(refused(neg));
    let mut before = json.clone();
    before["first"] = "2026-02".into();
    before["last"] = "2026-02".into();
    assert!(refused(before));
    let mut twice = json.clone();
    let c = twice["customers"][0].clone();
    twice["customers"].as_array_mut().unwrap().push(c);
    assert!(refused(twice));
    let mut backwards = json;
    backwards["customers"][0]["spans"][0]["to"] = "2025-12".into();
    assert!(refused(backwards));
}

#[test]
fn a_metric_series_of_the_bridge_is_the_months_retention() {
    use revops::metrics::{Arg, Metric, MetricSeries, SeriesPoint};
    let mut st = state();
    for (c, a, b, x) in [
        ("a", "100", "120", "90"),
        ("b", "50", "0", "0"),
        ("c", "80", "80", "100"),
    ] {
        st.add_month(c, m("2026-01"), usd(a)).unwrap();
        st.add_month(c, m("2026-02"), usd(b)).unwrap();
        st.add_month(c, m("2026-03"), usd(x)).unwrap();
    }
    let r = st.finish().unwrap();
    let points: Vec<SeriesPoint> = r
        .months
        .iter()
        .map(|b| SeriesPoint {
            period: b.month.to_string(),
            inputs: [
                ("start", b.opening_mrr),
                ("expansion", b.expansion),
                ("contraction", b.contraction),
                ("churned", b.churned),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Arg::Money(v)))
            .collect(),
        })
        .collect();
    let series = MetricSeries {
        metric: Metric::NetRevenueRetention,
        points,
    };
    let json = serde_json::to_string(&series).unwrap();
    assert_eq!(serde_json::from_str::<MetricSeries>(&json).unwrap(), series);
    let line = series.evaluate();
    // January has no opening MRR: no value, and the reason.
    assert!(line[0].value.is_none() && line[0].error.is_some());
    for (v, b) in line.iter().zip(&r.months).skip(1) {
        assert_eq!(
            v.value,
            Some(revops::metrics::Value::Multiple(
                b.net_revenue_retention().unwrap()
            ))
        );
    }
    // February: (230 + 20 − 50) / 230.
    assert_eq!(line[1].value.unwrap().to_string(), "0.87x");
}

#[test]
fn monthly_rows_and_subscriptions_of_one_customer_add_up() {
    let mut st = state();
    st.add_month("a", m("2026-01"), usd("10")).unwrap();
    st.add_month("a", m("2026-02"), usd("10")).unwrap();
    let s = Subscription::new(
        "a",
        d(2026, 2, 1),
        Some(d(2026, 4, 1)),
        usd("1200"),
        BillingInterval::Year,
    )
    .unwrap();
    st.add_subscription(&s).unwrap();
    let r = st.finish().unwrap();
    let mrr: Vec<Money> = r.months.iter().map(|b| b.mrr).collect();
    assert_eq!(mrr, [usd("10"), usd("110"), usd("100"), usd("0")]);
    let arr: Vec<Decimal> = r.months.iter().map(|b| b.arr.amount()).collect();
    assert_eq!(arr, [dec!(120), dec!(1320), dec!(1200), dec!(0)]);
    assert_eq!(moves(&r, "2026-02")[1], usd("100")); // expansion
    assert_eq!(moves(&r, "2026-03")[2], usd("10")); // contraction: the rows stop
    assert_eq!(moves(&r, "2026-04")[3], usd("100")); // churn
}

proptest! {
    /// Amounts with up to 28 significant digits, where an exact sum may
    /// not fit a decimal: the inputs in any order, or split and merged,
    /// give the same report, or the same error (never a rounding).
    #[test]
    fn hostile_amounts_give_one_answer_in_any_order(
        rows in prop::collection::vec((0u8..4, 0i32..6, any::<i64>(), 0u32..29), 1..40),
        cut in 0usize..40,
    ) {
        let base = m("2026-01").index();
        let inputs: Vec<(String, Month, Money)> = rows
            .iter()
            .map(|&(c, k, mant, scale)| {
                let v = Decimal::from_i128_with_scale(i128::from(mant.unsigned_abs()) * 4_000_000_000, scale);
                (format!("c{c}"), Month::from_index(base + k).unwrap(), Money::new(v, Currency::USD))
            })
            .collect();
        let run = |order: &mut dyn Iterator<Item = &(String, Month, Money)>| {
            let mut st = state();
            for (c, month, v) in order {
                st.add_month(c, *month, *v).unwrap();
            }
            st
        };
        let whole = run(&mut inputs.iter()).finish();
        let reversed = run(&mut inputs.iter().rev()).finish();
        let cut = cut.min(inputs.len());
        let mut left = run(&mut inputs[cut..].iter());
        left.merge(&run(&mut inputs[..cut].iter())).unwrap();
        let merged = left.finish();
        match (&whole, &reversed, &merged) {
            (Ok(a), Ok(b), Ok(c)) => {
                prop_assert_eq!(a, b);
                prop_assert_eq!(a, c);
            }
            (Err(a), Err(b), Err(c)) => {
                prop_assert_eq!(a.to_string(), b.to_string());
                prop_assert_eq!(a.to_string(), c.to_string());
            }
            _ => prop_assert!(false, "{:?} / {:?} / {:?}", whole.is_ok(), reversed.is_ok(), merged.is_ok()),
        }
    }
}
