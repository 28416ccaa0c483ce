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
//! `30.7346153846154`. Output follows `examples/README.md`.

mod common;

use std::time::Instant;

use common::{ms_since, or_exit, print_json, read_csv, usage_error, Args, Rejected};
use revops::attribution::{markov::markov, rules, shapley, Attribution, PathRow};
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
    let order: usize = args.parsed(TOOL, USAGE, "order").unwrap_or(1);
    let currency = match args.get("currency").map(Currency::from_code) {
        None => Currency::USD,
        Some(Ok(c)) => c,
        Some(Err(e)) => usage_error(TOOL, USAGE, &format!("--currency: {e}")),
    };
    if currency.exponent().is_none() {
        usage_error(TOOL, USAGE, "--currency: the currency has no minor unit");
    }
    if ![
        "first",
        "last",
        "linear",
        "position",
        "markov",
        "shapley",
        "shapley_rate",
    ]
    .contains(&model.as_str())
    {
        usage_error(TOOL, USAGE, &format!("--model: unknown model {model:?}"));
    }
    if model == "markov" && !(1..=revops::attribution::markov::MAX_ORDER).contains(&order) {
        usage_error(TOOL, USAGE, "--order must be 1 to 4");
    }

    let table = read_csv(
        TOOL,
        USAGE,
        &args.file,
        &[
            "path",
            "total_conversions",
            "total_conversion_value",
            "total_null",
        ],
    );
    let unreadable = table.rejected.len();
    let mut rejected = table.rejected;
    let mut channels = Channels::new();
    let mut rows = Vec::new();
    let mut row_lines: Vec<u64> = Vec::new();
    let c = &table.columns;
    for (line, rec) in &table.rows {
        let field = |i: usize| rec.get(c[i]).unwrap_or("").trim();
        let parsed = (|| -> Result<PathRow, String> {
            let conversions: u64 = field(1)
                .parse()
                .map_err(|_| format!("total_conversions {:?} is not a whole number", field(1)))?;
            let value: Decimal = if field(2).is_empty() {
                Decimal::ZERO
            } else {
                field(2).parse().map_err(|_| {
                    format!("total_conversion_value {:?} is not a decimal", field(2))
                })?
            };
            let nulls: u64 = if field(3).is_empty() {
                0
            } else {
                field(3)
                    .parse()
                    .map_err(|_| format!("total_null {:?} is not a whole number", field(3)))?
            };
            if value < Decimal::ZERO {
                return Err("total_conversion_value is negative".into());
            }
            if value.scale() > MAX_DECIMALS {
                return Err(format!(
                    "total_conversion_value has more than {MAX_DECIMALS} decimals"
                ));
            }
            let path = PathRow::parse_path(field(0), &mut channels).map_err(|e| e.to_string())?;
            Ok(PathRow::new(
                path,
                conversions,
                Money::new(value, currency),
                nulls,
            ))
        })();
        match parsed {
            Ok(r) => {
                rows.push(r);
                row_lines.push(*line);
            }
            Err(reason) => rejected.push(Rejected {
                line: *line,
                reason,
            }),
        }
    }
    let parse_ms = ms_since(table.started);

    // Values finer than the currency's minor unit are kept exact: every
    // value is scaled by 10^k so that it is a whole number of minor units,
    // split exactly, and the credits scaled back. The parts still add up to
    // the input exactly; they just carry the input's decimals.
    let exponent = currency.exponent().unwrap_or(0);
    let k = rows
        .iter()
        .map(|r| r.value.amount().scale())
        .max()
        .unwrap_or(0)
        .saturating_sub(exponent);
    let factor = Decimal::from_i128_with_scale(10i128.pow(k), 0);
    let mut scaled = Vec::with_capacity(rows.len());
    for (row, line) in rows.into_iter().zip(row_lines) {
        match row.value.checked_mul(factor) {
            Ok(v) => scaled.push(PathRow::new(row.path, row.conversions, v, row.nulls)),
            Err(_) => rejected.push(Rejected {
                line,
                reason: "total_conversion_value is too large".into(),
            }),
        }
    }
    let rows = scaled;
    let unscale = |m: Money| (m.amount() / factor).normalize().to_string();

    let started = Instant::now();
    let result: Result<Attribution, revops::Error> = match model.as_str() {
        "first" => rules::attribute(&rows, rules::Rule::FirstTouch, currency),
        "last" => rules::attribute(&rows, rules::Rule::LastTouch, currency),
        "linear" => rules::attribute(&rows, rules::Rule::Linear, currency),
        "position" => rules::attribute(&rows, rules::Rule::POSITION_BASED, currency),
        "shapley" => shapley::simplified(&rows, currency),
        "shapley_rate" => shapley::conversion_rate(&rows, currency),
        _ => markov(&rows, order, currency).map(|m| m.attribution),
    };
    let attribution = or_exit(TOOL, result);
    let analyse_ms = ms_since(started);
    rejected.sort_by_key(|r| r.line);
    let list: Vec<Value> = attribution
        .by_name(&channels)
        .into_iter()
        .map(|(name, c)| {
            json!({
                "channel": name,
                "conversions": c.conversions.to_string(),
                "value": {"amount": unscale(c.value), "currency": c.value.currency().code()},
            })
        })
        .collect();
    print_json(&json!({
        "schema_version": 1,
        "model": model,
        "order": if model == "markov" { json!(order) } else { Value::Null },
        "channels": list,
        "totals": {
            "conversions": attribution.total_conversions().normalize().to_string(),
            "value": {"amount": unscale(attribution.total_value()), "currency": currency.code()},
        },
        "rejected": Rejected::to_json(&rejected),
        "stats": {
            "rows": table.rows.len() + unreadable,
            "paths": rows.len(),
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        },
    }));
}
