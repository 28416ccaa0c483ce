//! Partial states read from outside cannot lie (hardening 4): a real
//! state's JSON with one field changed to something no input can produce
//! is refused on deserialization, with the field's rule in the message;
//! the unchanged state round-trips.

use revops::journey::{Channel, Lead, LeadSource, LifecycleStage as L, Team};
use revops::pipeline::*;
use revops::quantity::FxRates;
use revops::{Currency, Decimal, Money, NaiveDate, Period, Ratio, TimeDelta, TimeZone, Utc};
use serde_json::{json, Value};

fn t(m: u32, d: u32) -> revops::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap()
}

/// A state over a won deal (with a history), an open commit deal in EUR
/// at a rate, and a lost one.
fn pipeline_state() -> PipelineState {
    let q1 = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
    .unwrap();
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, Decimal::new(11, 1)).unwrap();
    let mut spec = PipelineSpec::new(
        q1,
        NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
        Currency::USD,
    );
    spec.fx = fx;
    let usd = |a: i64| Money::new(Decimal::from(a), Currency::USD);
    let won = Deal::new(
        "w",
        t(1, 5),
        Some(t(2, 5)),
        DealStatus::Won,
        usd(5000),
        "closed won",
        Ratio::ONE,
        ForecastCategory::Closed,
        Team::Marketing,
    )
    .unwrap()
    .with_history(vec![
        StageEntry {
            stage: "demo".into(),
            entered_at: t(1, 10),
        },
        StageEntry {
            stage: "closed won".into(),
            entered_at: t(2, 5),
        },
    ])
    .unwrap();
    let open = Deal::new(
        "o",
        t(2, 1),
        None,
        DealStatus::Open,
        Money::new(Decimal::from(2000), Currency::EUR),
        "proposal",
        Ratio::new(Decimal::new(6, 1)).unwrap(),
        ForecastCategory::Commit,
        Team::Sales,
    )
    .unwrap();
    let lost = Deal::new(
        "l",
        t(1, 2),
        Some(t(3, 1)),
        DealStatus::Lost,
        usd(700),
        "closed lost",
        Ratio::ZERO,
        ForecastCategory::Closed,
        Team::Sales,
    )
    .unwrap();
    let mut st = PipelineState::new(spec);
    st.extend(&[won, open, lost]).unwrap();
    st
}

/// `state`'s JSON with `edit` applied must be refused, with `why` in the
/// message.
fn refused(state: &Value, edit: impl Fn(&mut Value), why: &str) {
    let mut v = state.clone();
    edit(&mut v);
    let e = serde_json::from_value::<PipelineState>(v).unwrap_err();
    assert!(e.to_string().contains(why), "{why}: {e}");
}

#[test]
fn pipeline_state_round_trips() {
    let st = pipeline_state();
    let back: PipelineState = serde_json::from_value(serde_json::to_value(&st).unwrap()).unwrap();
    assert_eq!(back, st);
}

#[test]
fn pipeline_state_that_no_input_gives_is_refused() {
    let v = serde_json::to_value(pipeline_state()).unwrap();
    refused(&v, |v| v["won_amount"] = json!("-5000"), "negative");
    refused(&v, |v| v["open_amount"] = json!("-1"), "negative");
    refused(&v, |v| v["won_sizes"] = json!(["-5000"]), "negative");
    refused(
        &v,
        |v| v["cycles"] = json!([-604800000]),
        "cycle is negative",
    );
    refused(
        &v,
        |v| v["weighted"] = json!("999999"),
        "above the open amount",
    );
    refused(
        &v,
        |v| v["forecast"][0] = json!("999999"),
        "above the open amount",
    );
    refused(&v, |v| v["won_amount"] = json!("5001"), "sum of its parts");
    refused(&v, |v| v["won_sizes"] = json!(["4999"]), "sum of its parts");
    refused(
        &v,
        |v| v["rates_used"]["EUR"] = json!("-1.1"),
        "exchange rate",
    );
    refused(&v, |v| v["rates_used"]["EUR"] = json!("0"), "exchange rate");
    refused(
        &v,
        |v| v["stays"][0] = json!([100, 200, 300]),
        "more stays than entries",
    );
    refused(&v, |v| v["stays"][0] = json!([-5]), "stay is negative");
}

#[test]
fn handoff_state_within_sla_must_match_its_delays() {
    let h = |n: i64| t(2, 2) + TimeDelta::hours(n);
    let src = LeadSource {
        channel: Channel::new("webinar").unwrap(),
        sourced_by: Team::Marketing,
    };
    let mut st = HandoffState::new(TimeDelta::hours(24));
    for (i, contact) in [1, 30, 5].into_iter().enumerate() {
        let mut l = Lead::new(
            format!("l{i}"),
            h(0),
            L::MarketingQualifiedLead,
            src.clone(),
        );
        l.hand_off(h(1)).unwrap();
        l.record_first_contact(h(1 + contact)).unwrap();
        st.add(&l).unwrap();
    }
    let v = serde_json::to_value(&st).unwrap();
    assert_eq!(v["within_sla"], json!(2));
    let back: HandoffState = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, st);
    for wrong in [0, 1, 3] {
        let mut w = v.clone();
        w["within_sla"] = json!(wrong);
        assert!(
            serde_json::from_value::<HandoffState>(w).is_err(),
            "within_sla {wrong} with delays 1 h, 5 h, 30 h and an SLA of 24 h"
        );
    }
}

/// A won deal of 1e-28 USD against a quota of 100: only the quota figures
/// are lost (100 − 1e-28 needs 30 significant digits), not the report.
#[test]
fn a_tiny_won_deal_loses_only_the_quota_figures() {
    let q1 = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
    .unwrap();
    let mut spec = PipelineSpec::new(
        q1,
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        Currency::USD,
    );
    spec.quota = Some(Money::new(Decimal::from(100), Currency::USD));
    let tiny = Money::new(Decimal::new(1, 28), Currency::USD);
    let deal = Deal::new(
        "d",
        t(1, 5),
        Some(t(1, 25)),
        DealStatus::Won,
        tiny,
        "closed won",
        Ratio::ONE,
        ForecastCategory::Closed,
        Team::Marketing,
    )
    .unwrap();
    let mut st = PipelineState::new(spec);
    st.add(&deal).unwrap();
    let r = st.finish().unwrap();
    assert_eq!(r.won_revenue, Some(tiny));
    assert_eq!(r.won_count, 1);
    assert!(r.quota.is_none());
    assert_eq!(r.overflowed, vec!["quota".to_string()]);
    let e = Money::new(Decimal::from(100), Currency::USD)
        .checked_sub(tiny)
        .unwrap_err();
    assert!(e.to_string().contains("28 significant digits"), "{e}");
}
