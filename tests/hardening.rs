//! Regression tests for the hostile-input findings (hardening 1): each case
//! that once gave a silent wrong answer or a panic, and the class it
//! belongs to.

use chrono::TimeDelta;
use revops::attribution::{ChannelReport, Model, PathRow, Report, SkipReason, Totals};
use revops::dec;

mod paths;
use paths::{markov, registry_of, run};
use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
use revops::journey::{ChannelId, Channels};
use revops::quantity::{Distribution, FxRates};
use revops::{Currency, Decimal, Error, Money, Ratio};

fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}

fn rows(ch: &mut Channels, spec: &[(&str, u64, Decimal, u64)]) -> Vec<PathRow> {
    spec.iter()
        .map(|(p, c, v, n)| {
            let path = if p.trim().is_empty() {
                Vec::new()
            } else {
                PathRow::parse_path(p, ch).unwrap()
            };
            PathRow::new(path, *c, usd(*v), *n)
        })
        .collect()
}

fn conv(a: &Report, name: &str) -> Decimal {
    a.credit(name).unwrap().conversions
}

/// Every model that works on path rows.
fn all_models(r: &[PathRow], ch: &Channels) -> Vec<(String, Result<Report, Error>)> {
    let mut models = vec![
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::position_based(),
        Model::Shapley,
        Model::ShapleyRate,
    ];
    models.extend((1..=4).map(|order| Model::Markov { order }));
    models
        .iter()
        .map(|m| (m.to_string(), run(r, ch, m)))
        .collect()
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn markov_order_four_states_do_not_collide_in_any_row_order() {
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[
            ("a > b > c > d", 0, dec!(0), 1),
            ("d > a > b > c", 0, dec!(0), 10),
            ("a > b > c", 10, dec!(100), 0),
        ],
    );
    for perm in permutations(r.len()) {
        let shuffled: Vec<PathRow> = perm.iter().map(|&i| r[i].clone()).collect();
        let m = markov(&shuffled, &ch, 4).unwrap();
        let a = &m;
        assert_eq!(conv(a, "d"), dec!(0), "{perm:?}");
        for name in ["a", "b", "c"] {
            let c = conv(a, name);
            assert!((c - dec!(3.333333)).abs() <= dec!(0.000001), "{name}: {c}");
        }
        assert_eq!(a.total_conversions().unwrap(), dec!(10));
        assert_eq!(a.total_value().unwrap(), usd(dec!(100)));
        // (a, b, c) and (d, a, b, c) and (a, b, c, d): three states.
        assert_eq!(m.markov().unwrap().states, 3);
    }
}

#[test]
fn markov_long_cycle_is_solved_exactly() {
    let mut path = Vec::with_capacity(1_000_000);
    for i in 0..1_000_000 {
        path.push(ChannelId(i % 2)); // a > b > a > ...
    }
    let rows = vec![
        PathRow::new(path, 1, usd(dec!(5)), 0),
        PathRow::new(vec![ChannelId(2)], 1, usd(dec!(10)), 0),
    ];
    let ch = registry_of(3);
    let m = markov(&rows, &ch, 1).unwrap();
    let chain = m.markov().unwrap();
    assert!(
        (chain.conversion_probability - 1.0).abs() < 1e-9,
        "{}",
        chain.conversion_probability
    );
    // Removing any one channel loses exactly half of the conversions.
    for e in &chain.removal_effects {
        assert!((e.conversions - 0.5).abs() < 1e-9, "{e:?}");
    }
    let a = &m;
    assert_eq!(a.total_conversions().unwrap(), dec!(2));
    for c in &a.channels {
        assert!((c.conversions - dec!(0.666667)).abs() <= dec!(0.000001));
    }
    assert_eq!(a.total_value().unwrap(), usd(dec!(15)));
}

#[test]
fn value_without_conversions_is_skipped_by_every_model() {
    for value in [dec!(1000), dec!(-1000)] {
        let mut ch = Channels::new();
        let r = rows(&mut ch, &[("a", 1, dec!(10), 0), ("b", 0, value, 1)]);
        for (model, a) in all_models(&r, &ch) {
            let a = a.unwrap();
            assert_eq!(a.total_value().unwrap(), usd(dec!(10)), "{model}");
            assert_eq!(
                a.skipped,
                vec![revops::attribution::Skipped {
                    row: 1,
                    reason: SkipReason::ValueWithoutConversions
                }],
                "{model}"
            );
            // The skipped row's channel was not seen in a kept row.
            assert!(a.credit("b").is_none(), "{model}");
            assert_eq!(a.credit("a").unwrap().value, usd(dec!(10)), "{model}");
        }
    }
}

#[test]
fn empty_paths_are_skipped_by_every_model() {
    let mut ch = Channels::new();
    let base = rows(&mut ch, &[("a > b", 2, dec!(20), 3), ("b", 1, dec!(5), 4)]);
    let mut with_empty = base.clone();
    with_empty.insert(1, PathRow::new(Vec::new(), 7, usd(dec!(70)), 1));
    let plain = all_models(&base, &ch);
    for ((model, a), (_, b)) in all_models(&with_empty, &ch).into_iter().zip(plain) {
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.channels, b.channels, "{model}");
        assert_eq!(
            a.skipped,
            vec![revops::attribution::Skipped {
                row: 1,
                reason: SkipReason::EmptyPath
            }],
            "{model}"
        );
    }
    // v(∅) stays 0: the Shapley values do not move.
    let values = |r: &[PathRow]| {
        let s = run(r, &ch, &Model::ShapleyRate).unwrap();
        s.shapley_rate().unwrap().clone()
    };
    assert_eq!(values(&base), values(&with_empty));
}

#[test]
fn values_keep_their_own_decimals_whatever_the_other_rows_hold() {
    let mut ch = Channels::new();
    let fine = Decimal::from_str_exact("0.123456789012345678").unwrap();
    let r = rows(
        &mut ch,
        &[("a", 1, dec!(100000000000000), 0), ("b", 1, fine, 0)],
    );
    for (model, a) in all_models(&r, &ch) {
        match a {
            Ok(a) => {
                // No row is refused for the other's decimals.
                assert!(a.skipped.is_empty(), "{model}");
                // The exact total needs 33 digits: an error that says so
                // (too precise, not too large), never rounded.
                assert!(
                    matches!(a.total_value(), Err(Error::Inexact { .. })),
                    "{model}"
                );
            }
            // Data-driven models split the total, whose credits cannot be
            // held exactly: an error, never a rounded credit.
            Err(e) => assert!(
                matches!(e, Error::Overflow { .. } | Error::Inexact { .. })
                    && (model.starts_with("markov") || model == "shapley_rate"),
                "{model}: {e}"
            ),
        }
    }
    let last = run(&r, &ch, &Model::LastTouch).unwrap();
    assert_eq!(last.credit("b").unwrap().value.amount(), fine);
    assert_eq!(
        last.credit("a").unwrap().value.amount(),
        dec!(100000000000000)
    );
    // A total that fits is exact at the finest decimals.
    let r = rows(&mut ch, &[("a", 1, dec!(1000000), 0), ("b", 1, fine, 0)]);
    for (model, a) in all_models(&r, &ch) {
        assert_eq!(
            a.unwrap().total_value().unwrap().amount(),
            Decimal::from_str_exact("1000000.123456789012345678").unwrap(),
            "{model}"
        );
    }
}

#[test]
fn totals_that_do_not_fit_are_errors_not_zero() {
    let mut ch = Channels::new();
    let r = rows(
        &mut ch,
        &[("a", 1, Decimal::MAX, 0), ("b", 1, Decimal::MAX, 0)],
    );
    let a = run(&r, &ch, &Model::LastTouch).unwrap();
    assert!(matches!(a.total_value(), Err(Error::Overflow { .. })));
    // A credit in another currency is never summed into the total.
    let report = |channels| Report {
        model: Model::Linear,
        currency: Currency::USD,
        channels,
        totals: Totals {
            conversions: None,
            value: None,
        },
        skipped: Vec::new(),
        detail: None,
    };
    let ads = revops::journey::Channel::new("ads").unwrap();
    let mixed = report(vec![ChannelReport {
        channel: ads.clone(),
        conversions: dec!(1),
        value: Money::new(dec!(5), Currency::EUR),
    }]);
    assert!(matches!(
        mixed.total_value(),
        Err(Error::CurrencyMismatch { .. })
    ));
    let huge = report(vec![
        ChannelReport {
            channel: ads,
            conversions: Decimal::MAX,
            value: usd(dec!(1)),
        };
        2
    ]);
    assert!(huge.total_conversions().is_err());
}

#[test]
fn counts_near_u64_max_are_errors_or_exact_never_panics() {
    let big = u64::MAX - 1;
    let r = vec![
        PathRow::new(vec![ChannelId(0)], big, usd(dec!(1)), 0),
        PathRow::new(vec![ChannelId(0), ChannelId(1)], big, usd(dec!(1)), big),
        PathRow::new(vec![ChannelId(1)], 1, usd(dec!(1)), big),
    ];
    let ch = registry_of(2);
    for (_, a) in all_models(&r, &ch) {
        // Either a result whose credits add back, or a typed error.
        if let Ok(a) = a {
            let _ = a.total_conversions();
        }
    }
    // Many rows of the largest value: the exact ledger reports overflow.
    let many: Vec<PathRow> = (0..2000)
        .map(|_| PathRow::new(vec![ChannelId(0)], 1, usd(Decimal::MAX), 0))
        .collect();
    for (model, a) in all_models(&many, &ch) {
        assert!(a.is_err(), "{model}");
    }
}

/// A path row whose channel id the registry does not name (a row
/// deserialized from elsewhere, say) is refused with the id, in every
/// model; the id costs no memory on the way (the internal tests of
/// `attribution` hold ids up to 4,294,967,295).
#[test]
fn channel_ids_outside_the_registry_are_refused() {
    let json = r#"[{"path": [4294967295, 1], "conversions": 2, "value": {"amount": "10", "currency": "USD"}, "nulls": 1}]"#;
    let r: Vec<PathRow> = serde_json::from_str(json).unwrap();
    let ch = registry_of(2);
    for (model, a) in all_models(&r, &ch) {
        let e = a.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{model}: {e}");
        assert!(e.to_string().contains("4294967295"), "{model}: {e}");
    }
}

#[test]
fn decimals_from_json_are_exact_or_refused() {
    let money = |amount: &str| {
        serde_json::from_str::<Money>(&format!(r#"{{"amount": {amount}, "currency": "USD"}}"#))
    };
    assert!(money(r#""0.00000000000000000000000000001""#).is_err());
    assert!(money("12345678901234567890123").is_err()); // beyond u64: a float
    assert!(money("9007199254740993.5").is_err());
    assert!(money("1.5").is_err());
    assert_eq!(
        money("9007199254740993").unwrap().amount(),
        dec!(9007199254740993)
    );
    assert_eq!(
        money(r#""0.0000000000000000000000000001""#)
            .unwrap()
            .amount(),
        dec!(0.0000000000000000000000000001)
    );
    assert!(serde_json::from_str::<Ratio>("0.5").is_err());
    assert_eq!(
        serde_json::from_str::<Ratio>(r#""0.5""#).unwrap(),
        Ratio::new(dec!(0.5)).unwrap()
    );
    assert!(serde_json::from_str::<Ratio>("1").is_ok());
    // An exchange-rate table cannot carry a rate for its own target.
    assert!(
        serde_json::from_str::<FxRates>(r#"{"target": "USD", "rates": {"USD": "1.1"}}"#).is_err()
    );
    assert!(
        serde_json::from_str::<FxRates>(r#"{"target": "USD", "rates": {"EUR": 1.1}}"#).is_err()
    );
}

#[test]
fn distribution_counts_never_saturate() {
    let mut d = Distribution::new();
    d.try_add_n(5, u64::MAX).unwrap();
    assert!(d.add(1).is_err());
    assert_eq!(d.count(), u64::MAX);
    let one = Distribution::try_from_values([1]).unwrap();
    let before = d.clone();
    assert!(d.merge(&one).is_err());
    assert_eq!(d, before);
    let json = r#"{"counts": [[1, 18446744073709551615], [2, 1]]}"#;
    assert!(serde_json::from_str::<Distribution>(json).is_err());
}

#[test]
fn analyze_parallel_with_more_threads_than_work() {
    let ch = Channels::new();
    let events: Vec<FunnelEvent> = (0..20_000u64)
        .map(|i| FunnelEvent::new(i % 3000, (i * 7) as i64 % 5000, (i % 3) as u8, ChannelId(0)))
        .collect();
    let mut ch2 = ch.clone();
    ch2.intern_str("direct").unwrap();
    let spec = FunnelSpec::new(3, TimeDelta::seconds(3600)).unwrap();
    let one = analyze(&spec, &events, &ch2, Options::default()).unwrap();
    for threads in [2, 512, 100_000] {
        let many = analyze(&spec, &events, &ch2, Options::threads(threads)).unwrap();
        assert_eq!(many, one, "{threads} threads");
    }
}

#[test]
fn exchange_rates_refuse_their_own_target() {
    let mut fx = FxRates::new(Currency::USD);
    assert!(fx.set(Currency::USD, dec!(2)).is_err());
    assert!(fx.set(Currency::EUR, dec!(1.1)).is_ok());
}

/// Each row is split at its own precision: a row's credits do not change
/// when another row with more decimals joins the input, in any order.
#[test]
fn a_rows_split_depends_on_that_row_alone() {
    let mut ch = Channels::new();
    let alone = rows(&mut ch, &[("a > b > c", 1, dec!(10.00), 0)]);
    let fine = Decimal::from_str_exact("0.000000000000000001").unwrap();
    let extra = rows(&mut ch, &[("d", 1, fine, 0)]);
    let base = run(&alone, &ch, &Model::Linear).unwrap();
    let credits: Vec<Decimal> = base.channels.iter().map(|c| c.value.amount()).collect();
    assert_eq!(credits, [dec!(3.33), dec!(3.34), dec!(3.33)]);
    for both in [
        [alone[0].clone(), extra[0].clone()],
        [extra[0].clone(), alone[0].clone()],
    ] {
        let a = run(&both, &ch, &Model::Linear).unwrap();
        let got: Vec<Decimal> = a.channels[..3].iter().map(|c| c.value.amount()).collect();
        assert_eq!(got, credits);
        assert_eq!(
            a.total_value().unwrap().amount(),
            Decimal::from_str_exact("10.000000000000000001").unwrap()
        );
    }
}

/// Amounts that add past `Decimal::MAX` make only their own figures (and
/// those computed from them) `None`, named in `overflowed`; merging keeps
/// the overflow.
#[test]
fn pipeline_overflow_is_per_figure() {
    use chrono::{NaiveDate, TimeZone, Utc};
    use revops::journey::Team;
    use revops::pipeline::{report, Deal, DealStatus, ForecastCategory, PipelineSpec};
    use revops::Period;
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let at = |n: NaiveDate| Utc.from_utc_datetime(&n.and_hms_opt(0, 0, 0).unwrap());
    let deal = |id: &str, status, amount: Decimal, source| {
        let closed = (status != DealStatus::Open).then(|| at(d(2026, 2, 1)));
        Deal::new(
            id,
            at(d(2026, 1, 5)),
            closed,
            status,
            usd(amount),
            "s",
            Ratio::new(dec!(0.5)).unwrap(),
            ForecastCategory::Pipeline,
            source,
        )
        .unwrap()
    };
    let deals = [
        deal("A", DealStatus::Won, Decimal::MAX, Team::Marketing),
        deal("B", DealStatus::Won, Decimal::MAX, Team::Sales),
        deal("C", DealStatus::Open, dec!(100), Team::Sales),
    ];
    let spec = PipelineSpec::new(
        Period::new(d(2026, 1, 1), d(2026, 4, 1)).unwrap(),
        d(2026, 3, 31),
        Currency::USD,
    );
    let r = report(spec, &deals).unwrap();
    assert_eq!(r.won_revenue, None);
    assert_eq!(r.average_deal_size, None);
    assert_eq!(r.forecast.pipeline, None);
    assert_eq!(r.open_pipeline, Some(usd(dec!(100))));
    assert_eq!(r.weighted_pipeline, Some(usd(dec!(50))));
    assert_eq!(r.by_source.marketing.revenue, Some(usd(Decimal::MAX)));
    assert_eq!(r.won_count, 2);
    assert!(r.overflowed.contains(&"won_revenue".to_string()));
    assert!(r.overflowed.contains(&"by_stage.s.won_amount".to_string()));
    assert!(!r.overflowed.contains(&"open_pipeline".to_string()));
}

/// Many distinct stage names, and one deal with a very long history, cost
/// time and memory in proportion to the input (an n × n matrix before).
#[test]
fn pipeline_stages_scale_linearly() {
    use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
    use revops::journey::Team;
    use revops::pipeline::{report, Deal, DealStatus, ForecastCategory, PipelineSpec, StageEntry};
    use revops::Period;
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let t0 = Utc.from_utc_datetime(&d(1, 5).and_hms_opt(0, 0, 0).unwrap());
    let open = |i: usize| {
        Deal::new(
            format!("D{i}"),
            t0,
            None,
            DealStatus::Open,
            usd(dec!(1)),
            format!("stage {i}"),
            Ratio::new(dec!(0.5)).unwrap(),
            ForecastCategory::Pipeline,
            Team::Sales,
        )
        .unwrap()
    };
    let mut deals: Vec<Deal> = (0..20_000).map(open).collect();
    let history: Vec<StageEntry> = (0..12_000)
        .map(|k| StageEntry {
            stage: format!("h{k}"),
            entered_at: t0 + TimeDelta::minutes(k),
        })
        .collect();
    deals.push(open(20_000).with_history(history).unwrap());
    let spec = PipelineSpec::new(
        Period::new(d(1, 1), d(4, 1)).unwrap(),
        d(3, 31),
        Currency::USD,
    );
    let r = report(spec, &deals).unwrap();
    assert_eq!(r.open_count, 20_001);
    assert_eq!(r.by_stage.len(), 20_001);
    assert_eq!(r.stage_conversion.len(), 11_999);
    assert_eq!(r.time_in_stage.len(), 11_999);
}

/// Many touches at one instant: duplicates removed in linear time.
#[test]
fn journey_with_many_touches_at_one_instant() {
    use chrono::{TimeZone, Utc};
    use revops::journey::{Channel, Journey, Touchpoint, TouchpointKind};
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let touches: Vec<Touchpoint> = (0..40_000)
        .map(|i| {
            Touchpoint::new(
                at,
                Channel::new(format!("c{}", i % 20_000)).unwrap(),
                TouchpointKind::Click,
            )
        })
        .collect();
    let j = Journey::new(touches);
    assert_eq!(j.touches().len(), 20_000);
    assert_eq!(j.duplicates_removed(), 20_000);
    // First occurrences keep their order.
    assert_eq!(j.touches()[1].channel.as_str(), "c1");
}

/// Found by the attribution fuzz target: credits add back exactly even
/// when the rows' values cancel past 28 significant digits
/// (−Decimal::MAX + 46.10 + Decimal::MAX = 46.10, which adding Decimals
/// one at a time rounds to 46).
#[test]
fn credits_add_back_when_values_cancel() {
    let max = Decimal::MAX;
    let r = vec![
        PathRow::new(vec![ChannelId(1), ChannelId(1)], 15, usd(-max), 13),
        PathRow::new(vec![ChannelId(1), ChannelId(1)], 13, usd(dec!(46.10)), 2),
        PathRow::new(vec![ChannelId(0)], u64::MAX - 6, usd(max), u64::MAX),
    ];
    let ch = registry_of(2);
    for (model, a) in all_models(&r, &ch) {
        if let Ok(a) = a {
            assert_eq!(a.total_value().unwrap(), usd(dec!(46.10)), "{model}");
        }
    }
}

/// Found by the pipeline fuzz target: amount sums are associative, so a
/// merge of partial states equals the report of the whole even when an
/// intermediate sum in one order needs more than 28 significant digits.
#[test]
fn pipeline_merge_equals_whole_when_sums_need_many_digits() {
    use chrono::{NaiveDate, TimeZone, Utc};
    use revops::journey::Team;
    use revops::pipeline::{
        report, Deal, DealStatus, ForecastCategory, PipelineSpec, PipelineState,
    };
    use revops::Period;
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let at = |n: NaiveDate| Utc.from_utc_datetime(&n.and_hms_opt(0, 0, 0).unwrap());
    let lost = |id: &str, amount: Decimal| {
        Deal::new(
            id,
            at(d(1, 5)),
            Some(at(d(2, 1))),
            DealStatus::Lost,
            usd(amount),
            "s",
            Ratio::new(dec!(0)).unwrap(),
            ForecastCategory::Omitted,
            Team::Sales,
        )
        .unwrap()
    };
    let big = Decimal::from_str_exact("23768448754279301278063185100").unwrap();
    let deals = [
        lost("A", big),
        lost("B", dec!(0.5)),
        lost("C", dec!(0.5)),
        lost("D", dec!(6424)),
    ];
    let spec = PipelineSpec::new(
        Period::new(d(1, 1), d(4, 1)).unwrap(),
        d(3, 31),
        Currency::USD,
    );
    let whole = report(spec.clone(), &deals).unwrap();
    assert_eq!(
        whole.lost_amount.unwrap().amount(),
        Decimal::from_str_exact("23768448754279301278063191525").unwrap()
    );
    for cut in 0..=deals.len() {
        for reversed in [false, true] {
            let mut order = deals.to_vec();
            if reversed {
                order.reverse();
            }
            let mut a = PipelineState::new(spec.clone());
            let mut b = PipelineState::new(spec.clone());
            a.extend(&order[..cut]).unwrap();
            b.extend(&order[cut..]).unwrap();
            a.merge(&b).unwrap();
            assert_eq!(
                a.finish().unwrap().lost_amount,
                whole.lost_amount,
                "{cut} {reversed}"
            );
        }
    }
}

/// The specs, model choices, registry and Markov result serialize and read
/// back; invalid forms are refused on the way in.
#[test]
fn states_and_specs_round_trip() {
    use revops::funnel::{Exclusion, Modes};
    fn back<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
        v: &T,
    ) {
        let json = serde_json::to_string(v).unwrap();
        assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v, "{json}");
    }
    let spec = FunnelSpec::new(4, TimeDelta::days(7))
        .unwrap()
        .with_modes(Modes {
            strict_order: true,
            allow_reentry: true,
            ..Modes::default()
        })
        .unwrap()
        .exclude(Exclusion {
            event: 9,
            from_step: 0,
            to_step: 2,
        })
        .unwrap();
    back(&spec);
    for bad in [
        r#"{"steps": 0, "window": 10}"#,
        r#"{"steps": 40, "window": 10}"#,
        r#"{"steps": 3, "window": -1}"#,
        r#"{"steps": 3, "window": 9223372036854775807}"#,
        r#"{"steps": 3, "window": 10, "modes": {"strict_deduplication": false, "strict_order": false, "strict_increase": false, "strict_once": false, "allow_reentry": true}}"#,
        r#"{"steps": 3, "window": 10, "exclusions": [{"event": 1, "from_step": 0, "to_step": 1}]}"#,
    ] {
        assert!(serde_json::from_str::<FunnelSpec>(bad).is_err(), "{bad}");
    }
    let mut ch = Channels::new();
    ch.intern_str("ads").unwrap();
    ch.intern_str("email").unwrap();
    back(&ch);
    assert_eq!(serde_json::to_string(&ch).unwrap(), r#"["ads","email"]"#);
    assert!(serde_json::from_str::<Channels>(r#"["ads","ads"]"#).is_err());
    for model in [
        "position_based",
        "position_based:0.25,0.5",
        "custom:0.5,0.25",
        "time_decay",
    ] {
        back(&model.parse::<Model>().unwrap());
    }
    back(&Model::UShaped);
    for bad in [
        r#""position_based:0.7,0.7""#,
        r#""custom:1,-1""#,
        r#""custom:""#,
    ] {
        assert!(serde_json::from_str::<Model>(bad).is_err(), "{bad}");
    }
    let rows = rows(
        &mut ch,
        &[("ads > email", 2, dec!(30), 1), ("email", 0, dec!(0), 4)],
    );
    let m = paths::markov_with_transitions(&rows, &ch, 1);
    assert!(m.markov().unwrap().transitions.is_some());
    back(&m);
    back(&run(&rows, &ch, &Model::ShapleyRate).unwrap());
}

/// `FunnelInput::push` refuses a breakdown value with a control character,
/// as its docs say (the channel-name rule, one place for every reader).
#[test]
fn breakdown_values_with_control_characters_are_refused() {
    use revops::funnel::{FunnelInput, FunnelSpec};
    use revops::{TimeZone, Utc};
    let spec = FunnelSpec::named(["visit", "buy"], TimeDelta::days(1)).unwrap();
    let mut input = FunnelInput::<String>::new(&spec);
    let at = Utc.timestamp_opt(1_767_225_600, 0).unwrap();
    for bad in ["a\u{0}b", "ads\nweb", "x\u{7f}", "tab\there", "a\u{85}b"] {
        assert!(input.push("u", at, "visit", bad).is_err(), "{bad:?}");
        assert!(revops::journey::Channel::new(bad).is_err(), "{bad:?}");
    }
    assert!(input.push("u", at, "visit", "ads · web").is_ok());
}
