//! A real partial state with one field changed: deserialization either
//! refuses it, or gives a state whose report meets the report's
//! invariants (no negative sum, weighted at most open, the median deal
//! within the won sizes) and that reads back to itself. Never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use revops::journey::{Channel, Lead, LeadSource, LifecycleStage as L, Team};
use revops::pipeline::*;
use revops::quantity::FxRates;
use revops::{Currency, Decimal, Money, NaiveDate, Period, Ratio, TimeDelta, TimeZone, Utc};
use serde_json::{json, Value};

fn t(m: u32, d: u32) -> revops::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap()
}

fn pipeline_state() -> PipelineState {
    let q1 = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
    .unwrap();
    let mut spec = PipelineSpec::new(q1, NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(), Currency::USD);
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, Decimal::new(11, 1)).unwrap();
    spec.fx = fx;
    let usd = |a: i64| Money::new(Decimal::from(a), Currency::USD);
    let mut deals = Vec::new();
    for (i, (amount, status, cat)) in [
        (5000, DealStatus::Won, ForecastCategory::Closed),
        (1200, DealStatus::Won, ForecastCategory::Closed),
        (2000, DealStatus::Open, ForecastCategory::Commit),
        (900, DealStatus::Open, ForecastCategory::BestCase),
        (700, DealStatus::Lost, ForecastCategory::Closed),
    ]
    .into_iter()
    .enumerate()
    {
        let closed = (status != DealStatus::Open).then(|| t(2, 10 + i as u32));
        let d = Deal::new(
            format!("d{i}"),
            t(1, 2 + i as u32),
            closed,
            status,
            usd(amount),
            if i % 2 == 0 { "demo" } else { "proposal" },
            Ratio::new(Decimal::new(5, 1)).unwrap(),
            cat,
            if i % 2 == 0 { Team::Marketing } else { Team::Sales },
        )
        .unwrap()
        .with_history(vec![StageEntry {
            stage: "demo".into(),
            entered_at: t(1, 20),
        }])
        .unwrap();
        deals.push(d);
    }
    let mut st = PipelineState::new(spec);
    st.extend(&deals).unwrap();
    st
}

fn handoff_state() -> HandoffState {
    let h = |n: i64| t(2, 2) + TimeDelta::hours(n);
    let src = LeadSource {
        channel: Channel::new("webinar").unwrap(),
        sourced_by: Team::Marketing,
    };
    let mut st = HandoffState::new(TimeDelta::hours(24));
    for (i, contact) in [1i64, 30, 5].into_iter().enumerate() {
        let mut l = Lead::new(format!("l{i}"), h(0), L::MarketingQualifiedLead, src.clone());
        l.hand_off(h(1)).unwrap();
        l.record_first_contact(h(1 + contact)).unwrap();
        st.add(&l).unwrap();
    }
    st
}

/// Every path to a leaf (object keys and array indices).
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(json!(k));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                path.push(json!(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        Value::Number(n) => &mut v[n.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// The leaf chosen by `data[0..2]`, replaced by a value from the rest.
fn mutate(mut v: Value, data: &[u8]) -> Value {
    let mut paths = Vec::new();
    leaves(&v, &mut Vec::new(), &mut paths);
    if paths.is_empty() || data.len() < 3 {
        return v;
    }
    let pick = u16::from_le_bytes([data[0], data[1]]) as usize % paths.len();
    let rest = &data[3..];
    let number = || {
        let mut b = [0u8; 8];
        for (i, x) in rest.iter().take(8).enumerate() {
            b[i] = *x;
        }
        i64::from_le_bytes(b)
    };
    let leaf = at(&mut v, &paths[pick]);
    let old = leaf.clone();
    *leaf = match data[2] % 6 {
        0 => json!(number()),
        1 => json!(number().to_string()),
        2 => json!(format!("-{}", old.as_str().unwrap_or("1"))),
        3 => json!(String::from_utf8_lossy(rest)),
        4 => json!([number(), number()]),
        _ => match old {
            Value::Number(n) => json!(n.as_i64().unwrap_or(0).wrapping_add(number() % 1000)),
            Value::String(s) => json!(format!("{s}{}", number() % 10)),
            other => other,
        },
    };
    v
}

fn check_pipeline(st: PipelineState) {
    let json = serde_json::to_string(&st).expect("a state serializes");
    let back: PipelineState = serde_json::from_str(&json).expect("a state reads back");
    assert!(back == st, "the state does not read back to itself: {json}");
    let Ok(r) = st.finish() else { return };
    for m in [r.won_revenue, r.lost_amount, r.open_pipeline, r.weighted_pipeline]
        .into_iter()
        .flatten()
    {
        assert!(!m.is_negative(), "a negative sum: {json}");
    }
    if let (Some(w), Some(o)) = (r.weighted_pipeline, r.open_pipeline) {
        assert!(w.amount() <= o.amount(), "weighted above open: {json}");
    }
    if let (Some(med), Some(avg)) = (r.median_deal_size, r.average_deal_size) {
        assert!(!med.is_negative() && !avg.is_negative(), "{json}");
    }
}

fn check_handoff(st: HandoffState) {
    let json = serde_json::to_string(&st).expect("a state serializes");
    let back: HandoffState = serde_json::from_str(&json).expect("a state reads back");
    assert!(back == st, "the state does not read back to itself: {json}");
    if let Ok(r) = st.finish(None) {
        assert!(r.accepted + r.rejected <= r.handed_off, "{json}");
        if let Some(m) = r.speed_to_lead_median_seconds {
            assert!(m >= Decimal::ZERO, "{json}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    if data[0] % 2 == 0 {
        let v = mutate(serde_json::to_value(pipeline_state()).unwrap(), &data[1..]);
        if let Ok(st) = serde_json::from_value::<PipelineState>(v) {
            check_pipeline(st);
        }
    } else {
        let v = mutate(serde_json::to_value(handoff_state()).unwrap(), &data[1..]);
        if let Ok(st) = serde_json::from_value::<HandoffState>(v) {
            check_handoff(st);
        }
    }
});
