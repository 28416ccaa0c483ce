//! The JSON Schemas (feature `schemars`) describe what the reports really
//! serialize to: real reports are checked against them by a small
//! validator (types, properties, required keys, additional properties,
//! items, tuples, enums, `anyOf`/`oneOf`, references).
#![cfg(feature = "schemars")]

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use revops::attribution::{attribute, Model, Records};
use revops::funnel::{FunnelInput, FunnelSpec, Options};
use revops::journey::{Channel, Conversion, Journey, Team, Touchpoint, TouchpointKind};
use revops::metrics::{Arg, Metric};
use revops::pipeline::{report, Deal, PipelineSpec};
use revops::quantity::Period;
use revops::{dec, Currency, Money};
use serde_json::Value;

/// Checks `v` against `schema` (whose `$defs` are in `root`); the path
/// names where a mismatch is.
fn check(v: &Value, schema: &Value, root: &Value, path: &str) -> Result<(), String> {
    let Some(s) = schema.as_object() else {
        // `true` accepts anything.
        return Ok(());
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return check(v, &root["$defs"][name], root, path);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            let ok = list
                .iter()
                .filter(|b| check(v, b, root, path).is_ok())
                .count();
            if ok == 0 || (key == "oneOf" && ok > 1) {
                return Err(format!("{path}: {ok} branches of {key} match {v}"));
            }
        }
    }
    if let Some(list) = s.get("enum").and_then(Value::as_array) {
        if !list.contains(v) {
            return Err(format!("{path}: {v} not in {list:?}"));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            return Err(format!("{path}: {v} is not {c}"));
        }
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(x) => vec![x.as_str()],
            Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |t: &str| match t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            return Err(format!("{path}: {v} is not of type {types:?}"));
        }
    }
    if let Some(o) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for req in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = req.as_str().unwrap_or_default();
            if !o.contains_key(k) {
                return Err(format!("{path}: required key {k} is missing"));
            }
        }
        for (k, x) in o {
            let p = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => check(x, sub, root, &p)?,
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => return Err(format!("{p}: not in the schema")),
                    Some(sub) => check(x, sub, root, &p)?,
                    None if props.is_some()
                        && s.get("anyOf").is_none()
                        && s.get("oneOf").is_none() =>
                    {
                        return Err(format!("{p}: not in the schema's properties"))
                    }
                    None => {}
                },
            }
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(prefix) = s.get("prefixItems").and_then(Value::as_array) {
            for (i, (x, sub)) in a.iter().zip(prefix).enumerate() {
                check(x, sub, root, &format!("{path}[{i}]"))?;
            }
        } else if let Some(items) = s.get("items") {
            for (i, x) in a.iter().enumerate() {
                check(x, items, root, &format!("{path}[{i}]"))?;
            }
        }
    }
    Ok(())
}

fn conforms<T: schemars::JsonSchema + serde::Serialize>(value: &T) {
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
    let v = serde_json::to_value(value).unwrap();
    if let Err(e) = check(&v, &schema, &schema, "$") {
        panic!("{e}\nschema: {schema:#}");
    }
}

#[test]
fn reports_conform_to_their_schemas() {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    // Funnel, names and times included.
    let spec = FunnelSpec::named(["visit", "signup", "buy"], TimeDelta::days(1)).unwrap();
    let mut input = FunnelInput::<String>::new(&spec);
    for (u, h, e, c) in [
        ("a", 0, "visit", "ads"),
        ("a", 2, "signup", "ads"),
        ("a", 3, "buy", "ads"),
        ("b", 1, "visit", "email"),
        ("b", 5, "signup", "email"),
        ("c", 1, "other", "web"),
    ] {
        input.push(u, t0 + TimeDelta::hours(h), e, c).unwrap();
    }
    conforms(&input.analyze(Options::default()).unwrap());
    // Attribution, a skipped journey included.
    let ch = |n: &str| Channel::new(n).unwrap();
    let converted = Journey::new(vec![
        Touchpoint::new(t0, ch("ads"), TouchpointKind::Click),
        Touchpoint::new(
            t0 + TimeDelta::hours(1),
            ch("email"),
            TouchpointKind::EmailOpen,
        ),
    ])
    .with_conversion(Conversion {
        at: t0 + TimeDelta::hours(2),
        value: Money::new(dec!(99.90), Currency::EUR),
    })
    .unwrap();
    let empty = Journey::new(vec![]);
    for m in ["last_touch", "markov:1", "shapley"] {
        let model: Model = m.parse().unwrap();
        let r = attribute(
            Records::Journeys(&[converted.clone(), empty.clone()]),
            &model,
            Currency::EUR,
        )
        .unwrap();
        conforms(&r);
    }
    // Pipeline: won, lost and open deals, a quota.
    let eur = |v| Money::new(v, Currency::EUR);
    let deals = vec![
        Deal::builder("1")
            .created(t0)
            .won_at(t0 + TimeDelta::days(20))
            .amount(eur(dec!(1000)))
            .stage("won")
            .source(Team::Marketing)
            .build()
            .unwrap(),
        Deal::builder("2")
            .created(t0)
            .lost_at(t0 + TimeDelta::days(9))
            .amount(eur(dec!(400)))
            .stage("lost")
            .source(Team::Sales)
            .build()
            .unwrap(),
        Deal::builder("3")
            .created(t0)
            .amount(eur(dec!(700)))
            .stage("proposal")
            .source(Team::Sales)
            .build()
            .unwrap(),
    ];
    let q1 = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    )
    .unwrap();
    let mut spec = PipelineSpec::new(
        q1,
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        Currency::EUR,
    );
    spec.quota = Some(eur(dec!(5000)));
    conforms(&report(spec, &deals).unwrap());
    // Hand-off: an empty state's report (every rate absent).
    let handoff = revops::pipeline::HandoffState::new(TimeDelta::hours(24));
    conforms(&handoff.finish(None).unwrap());
    // Pipeline flow: a deal in each of a few movements, deals listed.
    {
        use revops::pipeline::flow::{FlowSpec, FlowState, SnapshotRow};
        use revops::pipeline::{DealStatus, ForecastCategory};
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let mut st = FlowState::new();
        for (snap, id, amount, close, status) in [
            (d(1, 5), "a", dec!(100), d(2, 1), DealStatus::Open),
            (d(1, 12), "a", dec!(120), d(5, 1), DealStatus::Open),
            (d(1, 12), "b", dec!(50), d(1, 10), DealStatus::Won),
            (d(1, 5), "c", dec!(70), d(3, 1), DealStatus::Open),
        ] {
            st.add(&SnapshotRow {
                snapshot_date: snap,
                deal_id: id,
                amount: eur(amount),
                stage: "proposal",
                close_date: close,
                status,
                forecast_category: ForecastCategory::Commit,
            })
            .unwrap();
        }
        let spec = FlowSpec::new(d(1, 5), d(1, 12), q1, Currency::EUR).listing_deals();
        conforms(&st.report(&spec).unwrap());
    }
    // Metric values of every kind the catalogue returns.
    for (m, args) in [
        (Metric::WinRate, vec![Arg::Count(18), Arg::Count(27)]),
        (
            Metric::AverageDealSize,
            vec![Arg::Money(eur(dec!(900))), Arg::Count(3)],
        ),
        (
            Metric::SalesCycleLength,
            vec![Arg::Durations(vec![TimeDelta::days(3), TimeDelta::days(5)])],
        ),
    ] {
        conforms(&m.evaluate(&args).unwrap());
    }
}

/// The validator refuses what it should, so the test above can fail.
#[test]
fn the_validator_refuses_mismatches() {
    let schema = serde_json::to_value(schemars::schema_for!(revops::funnel::FunnelReport)).unwrap();
    let spec = FunnelSpec::new(2, TimeDelta::seconds(5)).unwrap();
    let mut input = FunnelInput::<u32>::new(&spec);
    input.push_ticks(&1, 0, "x", "web").unwrap();
    let mut v = serde_json::to_value(input.analyze(Options::default()).unwrap()).unwrap();
    assert!(check(&v, &schema, &schema, "$").is_ok());
    v["surprise"] = Value::Bool(true);
    assert!(check(&v, &schema, &schema, "$").is_err());
    let mut v = serde_json::to_value(input.analyze(Options::default()).unwrap()).unwrap();
    v["events"] = Value::String("1".into());
    assert!(check(&v, &schema, &schema, "$").is_err());
}
