//! `revops clv --model bgbb`: the BG/BB model of purchases at discrete
//! opportunities (`revops::clv::BgBb`), one row per customer or per
//! pattern of customers.

use std::time::Instant;

use revops::clv::{BgBb, DiscreteHistory, FitOptions};
use serde_json::{json, Value};

use crate::common::{envelope, ms_since, parsed, read_csv, usage_error, Errors, Rejects};
use crate::output::{emit, fixed, plain, Align, Format, Table, View};

const TOOL: &str = "clv";
const USAGE: &str = "clv FILE.csv --model bgbb [--horizon N] [--format json|table|csv]";

/// The horizon when none is given, in opportunities.
const DEFAULT_HORIZON: u64 = 5;

/// What `revops clv` passes on for `--model bgbb`.
pub struct BgBbArgs<'a> {
    pub file: &'a str,
    pub horizon: Option<&'a str>,
    pub format: Format,
}

/// Runs `revops clv --model bgbb`.
pub fn run(a: BgBbArgs) {
    let horizon: u64 = parsed(TOOL, USAGE, "horizon", a.horizon).unwrap_or(DEFAULT_HORIZON);
    if horizon > revops::clv::MAX_OPPORTUNITIES {
        usage_error(
            TOOL,
            USAGE,
            "--horizon: at most 1000 opportunities for bgbb",
        );
    }
    let has_count = crate::common::header_names(TOOL, a.file)
        .iter()
        .any(|h| h == "count");
    let mut wanted = vec!["customer_id", "frequency", "recency", "n"];
    if has_count {
        wanted.push("count");
    }
    let mut rejects = Rejects::default();
    let mut rows: Vec<(String, DiscreteHistory, u64)> = Vec::new();
    let read = read_csv(TOOL, USAGE, a.file, &wanted, &mut rejects, |_, f| {
        let number = |s: &str, what: &'static str| s.parse::<u64>().map_err(|_| what);
        let x = number(f[1], "frequency is not a whole number")?;
        let tx = number(f[2], "recency is not a whole number")?;
        let n = number(f[3], "n is not a whole number")?;
        let count = if has_count {
            number(f[4], "count is not a whole number")?
        } else {
            1
        };
        let h = DiscreteHistory::new(x, tx, n).map_err(|e| e.to_string())?;
        rows.push((f[0].to_string(), h, count));
        Ok(())
    });
    let parse_ms = ms_since(read.started);
    let started = Instant::now();
    let mut errors = Errors::default();
    let mut out = serde_json::Map::new();
    out.insert("model".into(), json!("bgbb"));
    out.insert("horizon".into(), json!(horizon));
    let counted: Vec<(DiscreteHistory, u64)> = rows.iter().map(|r| (r.1, r.2)).collect();
    let customers: u64 = counted.iter().fold(0u64, |a, r| a.saturating_add(r.1));
    match BgBb::fit_counts(&counted, &FitOptions::default()) {
        Ok(f) => {
            let named = |m: &BgBb| -> Value {
                Value::Object(
                    BgBb::NAMES
                        .iter()
                        .zip(m.params())
                        .map(|(n, v)| (n.to_string(), json!(v)))
                        .collect(),
                )
            };
            out.insert("params".into(), named(&f.params));
            out.insert("standard_errors".into(), named(&f.standard_errors));
            out.insert("log_likelihood".into(), json!(f.log_likelihood));
            let mut listed = Vec::with_capacity(rows.len());
            for (i, (id, h, _)) in rows.iter().enumerate() {
                let mut figure = |name: &str, r: revops::Result<f64>| match r {
                    Ok(v) => json!(v),
                    Err(e) => {
                        errors.push(&format!("customers[{i}].{name}"), e);
                        Value::Null
                    }
                };
                let p = figure("p_alive", f.params.probability_alive(h));
                let e = figure(
                    "expected_purchases",
                    f.params.conditional_expected_purchases(h, horizon),
                );
                listed.push(json!({"customer_id": id, "p_alive": p, "expected_purchases": e}));
            }
            out.insert("customers".into(), json!(listed));
        }
        Err(e) => {
            for key in ["params", "standard_errors", "log_likelihood"] {
                errors.push(key, &e);
                out.insert(key.into(), Value::Null);
            }
            out.insert("customers".into(), json!([]));
        }
    }
    let fit_ms = ms_since(started);
    envelope(
        &mut out,
        &errors,
        &rejects,
        read.rows,
        json!({
            "customers": customers,
            "parse_ms": parse_ms,
            "fit_ms": fit_ms,
        }),
    );
    emit(a.format, &Value::Object(out), view);
}

/// Every row's customer (the main table), then the parameters.
fn view(doc: &Value) -> View {
    let mut t = Table::new(
        format!(
            "BG/BB: each row's customers over the next {} opportunities",
            plain(&doc["horizon"])
        ),
        &[
            ("customer_id", Align::Left),
            ("p_alive", Align::Right),
            ("expected purchases", Align::Right),
        ],
    );
    for c in doc["customers"].as_array().into_iter().flatten() {
        t.row(vec![
            plain(&c["customer_id"]),
            fixed(&c["p_alive"], 4),
            fixed(&c["expected_purchases"], 4),
        ]);
    }
    let mut p = Table::new(
        format!("BG/BB fit: {} customers", plain(&doc["stats"]["customers"])),
        &[
            ("parameter", Align::Left),
            ("value", Align::Right),
            ("std. error", Align::Right),
        ],
    );
    for name in ["alpha", "beta", "gamma", "delta"] {
        p.row(vec![
            name.into(),
            fixed(&doc["params"][name], 4),
            fixed(&doc["standard_errors"][name], 4),
        ]);
    }
    p.row(vec![
        "log-likelihood".into(),
        fixed(&doc["log_likelihood"], 3),
        String::new(),
    ]);
    View::new(vec![t, p]).envelope_notes(doc)
}
