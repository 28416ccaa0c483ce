//! Attribution of a CSV in ChannelAttribution's layout, printed as JSON.
//!
//! ```text
//! cargo run --example attribution -- tests/data/attribution.csv --model markov --order 2
//! ```
//!
//! Input header: `path,total_conversions,total_conversion_value,total_null`
//! (`path` with channels separated by ` > `). Flags: `--model
//! first|last|linear|position|markov|shapley|shapley_rate` (default
//! `markov`), `--order K` (Markov, default 1), `--currency CODE` (default
//! USD). Every channel seen is listed, zero credit included, sorted by
//! name. Values keep the decimals they have in the file (up to 18), so the
//! credits add back exactly to ChannelAttribution-style values such as
//! `30.7346153846154`: the library keeps each value exactly at the finest
//! decimals of the input, so one row with many decimals never makes
//! another row too large. Rows that the library skips (an empty path, a
//! value without conversions, ...) are rejected with the library's reason.
//! Output follows `examples/README.md`.

mod common;

use std::time::Instant;

use common::{ms_since, print_json, read_csv, usage_error, Args, Errors, Rejects};
use revops::attribution::{attribute, Model, PathRow, Records};
use revops::journey::Channels;
use revops::{Currency, Decimal, Money};
use serde_json::{json, Value};

const TOOL: &str = "attribution";
/// Values keep up to this many decimals (ChannelAttribution's sample data
/// has values such as 30.7346153846154).
const MAX_DECIMALS: u32 = 18;
const USAGE: &str = "attribution FILE.csv [--model first|last|linear|position|markov|shapley|shapley_rate] [--order K] [--currency CODE]";

fn main() {
    let args = Args::parse(TOOL, USAGE, &["model", "order", "currency"]);
    let model = args.get("model").unwrap_or("markov").to_string();
    let order_flag: Option<usize> = args.parsed(TOOL, USAGE, "order");
    let currency = match args.get("currency").map(Currency::from_code) {
        None => Currency::USD,
        Some(Ok(c)) => c,
        Some(Err(e)) => usage_error(TOOL, USAGE, &format!("--currency: {e}")),
    };
    if currency.exponent().is_none() {
        usage_error(TOOL, USAGE, "--currency: the currency has no minor unit");
    }
    // The words are the library's (`Model`'s `FromStr`, any case), and so
    // are its messages; `--order` sets a Markov model's order, and is
    // refused with any other model or beside a different `markov:K`.
    let parsed: Model = match model.parse::<Model>() {
        Ok(m) => m,
        Err(e) => usage_error(TOOL, USAGE, &format!("--model: {e}")),
    };
    let parsed = match (parsed, order_flag) {
        (m, None) => m,
        (Model::Markov { order }, Some(k)) => {
            if model.contains(':') && order != k {
                usage_error(
                    TOOL,
                    USAGE,
                    &format!("--order {k} contradicts the model's own order ({model})"),
                );
            }
            match format!("markov:{k}").parse::<Model>() {
                Ok(m) => m,
                Err(e) => usage_error(TOOL, USAGE, &format!("--order: {e}")),
            }
        }
        (m, Some(_)) => usage_error(
            TOOL,
            USAGE,
            &format!("--order applies only to the Markov model, not to {m}"),
        ),
    };
    if parsed.needs_journeys() {
        usage_error(
            TOOL,
            USAGE,
            &format!("--model: {parsed} needs journeys (times), not path rows"),
        );
    }
    let order = match parsed {
        Model::Markov { order } => Some(order),
        _ => None,
    };

    let mut rejects = Rejects::default();
    let mut channels = Channels::new();
    let mut rows = Vec::new();
    let mut row_lines: Vec<u64> = Vec::new();
    let read = read_csv(
        TOOL,
        USAGE,
        &args.file,
        &[
            "path",
            "total_conversions",
            "total_conversion_value",
            "total_null",
        ],
        &mut rejects,
        |line, f| {
            let conversions: u64 = f[1]
                .parse()
                .map_err(|_| "total_conversions is not a whole number")?;
            let value: Decimal = if f[2].is_empty() {
                Decimal::ZERO
            } else {
                Decimal::from_str_exact(f[2])
                    .map_err(|_| "total_conversion_value is not an exact decimal")?
            };
            let nulls: u64 = if f[3].is_empty() {
                0
            } else {
                f[3].parse()
                    .map_err(|_| "total_null is not a whole number")?
            };
            if value < Decimal::ZERO {
                return Err("total_conversion_value is negative".into());
            }
            if value.normalize().scale() > MAX_DECIMALS {
                return Err(format!(
                    "total_conversion_value has more than {MAX_DECIMALS} decimals"
                ));
            }
            // An empty path is kept here: the library skips it, with its
            // reason, under the same rule as every other model input.
            let mut path = Vec::new();
            for part in f[0].split('>') {
                let name = part.trim();
                if !name.is_empty() {
                    path.push(
                        channels
                            .intern_str(name)
                            .map_err(|_| "a channel name in the path is not valid")?,
                    );
                }
            }
            rows.push(PathRow::new(
                path,
                conversions,
                Money::new(value, currency),
                nulls,
            ));
            row_lines.push(line);
            Ok(())
        },
    );
    let parse_ms = ms_since(read.started);

    let started = Instant::now();
    let result = attribute(
        Records::Paths {
            rows: &rows,
            channels: &channels,
        },
        &parsed,
        currency,
    );
    let analyse_ms = ms_since(started);
    let mut errors = Errors::default();
    let mut skipped = 0;
    // The library's own report, in the tools' envelope; its skipped rows
    // are listed under `rejected`, by line.
    let mut out = match result {
        Ok(report) => {
            skipped = report.skipped.len();
            for s in &report.skipped {
                rejects.push(row_lines[s.row], s.reason.as_str());
            }
            if report.totals.conversions.is_none() {
                if let Err(e) = report.total_conversions() {
                    errors.push("totals.conversions", &e);
                }
            }
            if report.totals.value.is_none() {
                if let Err(e) = report.total_value() {
                    errors.push("totals.value", &e);
                }
            }
            let mut o = match serde_json::to_value(&report) {
                Ok(Value::Object(o)) => o,
                _ => serde_json::Map::new(),
            };
            o.remove("skipped");
            o
        }
        Err(e) => {
            errors.push("channels", &e);
            errors.push("totals", &e);
            let mut o = serde_json::Map::new();
            o.insert("model".into(), json!(parsed.to_string()));
            o.insert("currency".into(), json!(currency.code()));
            o.insert("channels".into(), Value::Null);
            o.insert("totals".into(), Value::Null);
            o
        }
    };
    out.insert("schema_version".into(), json!(1));
    out.insert("order".into(), json!(order));
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), rejects.to_json());
    out.insert(
        "stats".into(),
        json!({
            "rows": read.rows,
            "paths": rows.len() - skipped,
            "rejected_rows": rejects.total(),
            "rejected_by_reason": rejects.by_reason_json(),
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        }),
    );
    print_json(&Value::Object(out));
}
