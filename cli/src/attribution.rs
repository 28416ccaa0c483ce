//! `revops attribution`: multi-touch attribution of conversion paths in
//! ChannelAttribution's layout.
//!
//! Values keep the decimals they have in the file (up to 18), so the
//! credits add back exactly to ChannelAttribution-style values such as
//! `30.7346153846154`. Rows that the library skips (an empty path, a value
//! without conversions) are rejected with the library's reason.
use std::time::Instant;

use crate::common::{ms_since, parsed, read_csv, usage_error, Errors, Rejects};
use revops::attribution::{attribute, Model, PathRow, Records};
use revops::journey::Channels;
use revops::{Currency, Decimal, Money};
use serde_json::{json, Value};

use crate::output::{emit, fixed, money, percent, plain, Align, OutputArgs, Table, View};

const TOOL: &str = "attribution";
/// Values keep up to this many decimals (ChannelAttribution's sample data
/// has values such as 30.7346153846154).
const MAX_DECIMALS: u32 = 18;
const USAGE: &str =
    "attribution FILE.csv [--model NAME] [--order K] [--currency CODE] [--format json|table|csv]";

/// `revops attribution`.
#[derive(clap::Args)]
#[command(
    about = "Multi-touch attribution of conversion paths (heuristics, Markov, Shapley)",
    after_help = "\
Input columns (ChannelAttribution's layout; by header name, others ignored):
  path                    channels in order, separated by ' > ' (search > email > ads)
  total_conversions       conversions of the path: a whole number
  total_conversion_value  their value, a decimal (up to 18 decimals) [empty: 0]
  total_null              journeys of the path that did not convert [empty: 0]

Every channel seen is listed, zero credit included, sorted by name; credits
add up to the totals exactly.

Examples:
  revops attribution paths.csv --model markov --order 2
  revops attribution paths.csv --model position_based:0.3,0.5 --currency EUR --format table"
)]
pub struct Args {
    /// The paths CSV file
    file: String,
    /// Model: first_touch (first), last_touch (last), linear, position
    /// (40/20/40), position_based:F,L, custom:W,W,..., last_non_direct:NAME,
    /// markov (markov:K), shapley, shapley_rate; any case [default: markov]
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Order of the Markov chain, 1 to 4 (Markov only) [default: 1]
    #[arg(long, value_name = "K")]
    order: Option<String>,
    /// ISO 4217 currency of the values [default: USD]
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `revops attribution`.
pub fn run(args: Args) {
    let model = args.model.as_deref().unwrap_or("markov").to_string();
    let order_flag: Option<usize> = parsed(TOOL, USAGE, "order", args.order.as_deref());
    let currency = match args.currency.as_deref().map(Currency::from_code) {
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
    // The library's own report, in the command's envelope; its skipped rows
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
    emit(args.output.format(), &Value::Object(out), view);
}

/// The credits by channel (the main table) and the Markov chain's removal
/// effects.
fn view(doc: &Value) -> View {
    let mut main = Table::new(
        format!(
            "Attribution ({}): {} paths",
            plain(&doc["model"]),
            plain(&doc["stats"]["paths"])
        ),
        &[
            ("channel", Align::Left),
            ("conversions", Align::Right),
            ("share", Align::Right),
            ("value", Align::Right),
        ],
    );
    let total: Option<revops::Decimal> = doc["totals"]["conversions"]
        .as_str()
        .and_then(|t| t.parse().ok());
    for c in doc["channels"].as_array().into_iter().flatten() {
        let share = c["conversions"]
            .as_str()
            .and_then(|x| x.parse::<revops::Decimal>().ok())
            .zip(total)
            .and_then(|(x, t)| x.checked_div(t));
        main.row(vec![
            plain(&c["channel"]),
            fixed(&c["conversions"], 2),
            share.map_or_else(|| "-".into(), |r| percent(&json!(r.to_string()))),
            money(&c["value"]),
        ]);
    }
    main.row(vec![
        "total".into(),
        fixed(&doc["totals"]["conversions"], 2),
        String::new(),
        money(&doc["totals"]["value"]),
    ]);
    let mut tables = vec![main];
    if let Some(m) = doc["detail"].get("markov") {
        let mut t = Table::new(
            format!(
                "Removal effects (conversion probability {})",
                percent(&m["conversion_probability"])
            ),
            &[
                ("channel", Align::Left),
                ("conversions lost", Align::Right),
                ("value lost", Align::Right),
            ],
        );
        for e in m["removal_effects"].as_array().into_iter().flatten() {
            t.row(vec![
                plain(&e["channel"]),
                percent(&e["conversions"]),
                percent(&e["value"]),
            ]);
        }
        tables.push(t);
    }
    View::new(tables).envelope_notes(doc)
}
