//! `revops pipeline-flow`: the pipeline's movement between two CRM
//! snapshots (`revops::pipeline::flow`).

use std::time::Instant;

use revops::pipeline::flow::{FlowSpec, FlowState, Movement, SnapshotRow};
use revops::pipeline::{DealStatus, ForecastCategory};
use revops::{Currency, Decimal, Money, NaiveDate, Period};
use serde_json::{json, Value};

use crate::common::{
    envelope, fx_flags, fx_table, ms_since, read_csv, usage_error, Errors, Rejects,
};
use crate::output::{emit, fixed, money, percent, plain, Align, OutputArgs, Table, View};

const TOOL: &str = "pipeline-flow";
const USAGE: &str = "pipeline-flow FILE.csv --from DATE --to DATE --period-start DATE --period-end DATE [--currency CODE] [--fx CODE=RATE]... [--column NAME=HEADER]... [--deals] [--format json|table|csv]";

/// The columns read, by their default header names.
const COLUMNS: [&str; 8] = [
    "snapshot_date",
    "deal_id",
    "amount",
    "currency",
    "stage",
    "close_date",
    "status",
    "forecast_category",
];

/// `revops pipeline-flow`.
#[derive(clap::Args)]
#[command(
    about = "Pipeline flow between two CRM snapshots: created, pulled in, grown, shrunk, pushed out, won, lost, removed; slippage, stage durations, forecast accuracy",
    after_help = "\
Input columns (by header name, any order, others ignored; --column maps
other names):
  snapshot_date      YYYY-MM-DD, the day of the CRM export
  deal_id            any text
  amount             a decimal, not negative
  currency           ISO 4217 code
  stage              any text
  close_date         YYYY-MM-DD
  status             open, won or lost
  forecast_category  pipeline, best_case, commit, closed or omitted

One row per deal per snapshot, any order; a deal absent from a snapshot
was not in the CRM then. Between snapshot dates A (--from) and B (--to),
for close dates in [--period-start, --period-end):
  start + created + pulled_in + increased - decreased - pushed_out - won
  - lost - removed = end, exactly.

Examples:
  revops pipeline-flow snapshots.csv --from 2026-01-05 --to 2026-02-02 --period-start 2026-01-01 --period-end 2026-04-01
  revops pipeline-flow crm.csv --from 2026-01-05 --to 2026-02-02 --period-start 2026-01-01 --period-end 2026-04-01 --column deal_id=Opportunity_ID --fx EUR=1.08 --format table"
)]
pub struct Args {
    /// The CSV file
    file: String,
    /// Snapshot date A (YYYY-MM-DD, a date in the file)
    #[arg(long, value_name = "DATE")]
    from: String,
    /// Snapshot date B (YYYY-MM-DD, a date in the file, after A)
    #[arg(long, value_name = "DATE")]
    to: String,
    /// First close date of the period (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    period_start: String,
    /// First close date after the period (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    period_end: String,
    /// Report currency, an ISO 4217 code [default: the first row's]
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Exchange rate into the report currency, repeatable: EUR=1.08; deals with an amount in a currency without one are left out and counted
    #[arg(long, value_name = "CODE=RATE")]
    fx: Vec<String>,
    /// The header of a column under another name, repeatable: deal_id=Opportunity_ID
    #[arg(long, value_name = "NAME=HEADER")]
    column: Vec<String>,
    /// List the deals behind each figure (key "deals")
    #[arg(long)]
    deals: bool,
    #[command(flatten)]
    output: OutputArgs,
}

fn date(flag: &str, s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .unwrap_or_else(|_| usage_error(TOOL, USAGE, &format!("--{flag}: {s:?} is not YYYY-MM-DD")))
}

/// The header of each column, `--column` applied.
fn headers(flags: &[String]) -> Vec<String> {
    let mut h: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    for f in flags {
        let Some((name, header)) = f.split_once('=') else {
            usage_error(TOOL, USAGE, &format!("--column: {f:?} is not NAME=HEADER"))
        };
        match COLUMNS.iter().position(|c| *c == name.trim()) {
            Some(k) if !header.trim().is_empty() => h[k] = header.trim().to_string(),
            _ => usage_error(
                TOOL,
                USAGE,
                &format!("--column: {name:?} is not one of {}", COLUMNS.join(", ")),
            ),
        }
    }
    h
}

fn cell(f: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(f, "%Y-%m-%d").ok()
}

/// Runs `revops pipeline-flow`.
pub fn run(args: Args) {
    let (from, to) = (date("from", &args.from), date("to", &args.to));
    let period = Period::new(
        date("period-start", &args.period_start),
        date("period-end", &args.period_end),
    )
    .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--period-end: {e}")));
    if from >= to {
        usage_error(TOOL, USAGE, "--from must be before --to");
    }
    let mut currency: Option<Currency> = args.currency.as_deref().map(|c| {
        Currency::from_code(c)
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--currency: {e}")))
    });
    let rates = fx_flags(TOOL, USAGE, &args.fx);
    let headers = headers(&args.column);
    let wanted: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut rejects = Rejects::default();
    let mut state = FlowState::new();
    let mut last_code = (String::new(), Currency::USD);
    let read = read_csv(TOOL, USAGE, &args.file, &wanted, &mut rejects, |_, f| {
        let snapshot_date = cell(f[0]).ok_or("snapshot_date is not YYYY-MM-DD")?;
        if f[1].is_empty() {
            return Err("deal_id is empty".into());
        }
        if last_code.0 != f[3] {
            let c = Currency::from_code(f[3]).map_err(|_| "currency is not an ISO 4217 code")?;
            last_code = (f[3].to_string(), c);
        }
        let amount = Decimal::from_str_exact(f[2]).map_err(|_| "amount is not a decimal")?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err("amount is negative".into());
        }
        if f[4].is_empty() {
            return Err("stage is empty".into());
        }
        let close_date = cell(f[5]).ok_or("close_date is not YYYY-MM-DD")?;
        let status: DealStatus = f[6]
            .parse()
            .map_err(|_| "status is not open, won or lost")?;
        let forecast_category: ForecastCategory = f[7].parse().map_err(|_| {
            "forecast_category is not pipeline, best_case, commit, closed or omitted"
        })?;
        currency.get_or_insert(last_code.1);
        state
            .add(&SnapshotRow {
                snapshot_date,
                deal_id: f[1],
                amount: Money::new(amount, last_code.1),
                stage: f[4],
                close_date,
                status,
                forecast_category,
            })
            .map_err(|e| e.to_string())
    });
    let snapshots = state.snapshot_dates();
    for (flag, d) in [("from", from), ("to", to)] {
        if snapshots.binary_search(&d).is_err() {
            usage_error(
                TOOL,
                USAGE,
                &format!("--{flag}: {d} is not a snapshot_date in {}", args.file),
            );
        }
    }
    let fx = fx_table(TOOL, USAGE, currency.unwrap_or(Currency::USD), rates);
    let mut spec = FlowSpec::new(from, to, period, fx.target()).with_fx(fx);
    if args.deals {
        spec = spec.listing_deals();
    }
    let parse_ms = ms_since(read.started);
    let started = Instant::now();
    let result = state.report(&spec);
    let analyse_ms = ms_since(started);
    let mut errors = Errors::default();
    let mut out = match &result {
        Ok(r) => match serde_json::to_value(r) {
            Ok(Value::Object(o)) => o,
            _ => serde_json::Map::new(),
        },
        Err(e) => {
            let mut o = serde_json::Map::new();
            o.insert("currency".into(), json!(spec.fx.target().code()));
            o.insert("from".into(), json!(from));
            o.insert("to".into(), json!(to));
            for m in Movement::ALL {
                errors.push(m.name(), e);
                o.insert(m.name().into(), Value::Null);
            }
            o
        }
    };
    envelope(
        &mut out,
        &errors,
        &rejects,
        read.rows,
        json!({
            "snapshots": snapshots.len(),
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        }),
    );
    emit(args.output.format(), &Value::Object(out), view);
}

/// The waterfall (the main table), then the forecast calls and the stage
/// durations.
fn view(doc: &Value) -> View {
    let mut w = Table::new(
        format!(
            "Pipeline flow ({}), {} to {}, close dates {} to {} (exclusive)",
            plain(&doc["currency"]),
            plain(&doc["from"]),
            plain(&doc["to"]),
            plain(&doc["period"]["start"]),
            plain(&doc["period"]["end"]),
        ),
        &[
            ("movement", Align::Left),
            ("sign", Align::Left),
            ("deals", Align::Right),
            ("amount", Align::Right),
        ],
    );
    for m in Movement::ALL {
        let sign = match m {
            Movement::Start | Movement::End => "=",
            _ if m.adds() => "+",
            _ => "-",
        };
        w.row(vec![
            m.name().replace('_', " "),
            sign.into(),
            plain(&doc["counts"][m.name()]),
            money(&doc[m.name()]),
        ]);
    }
    let mut tables = vec![w];
    let mut s = Table::new(
        "Slippage",
        &[("figure", Align::Left), ("value", Align::Right)],
    );
    let c = &doc["close_date_changes"];
    for (name, v) in [
        (
            "slipped deals (later close date at B)",
            &doc["slipped_deals"],
        ),
        ("deals with a close-date change", &c["deals_changed"]),
        ("close-date pushes", &c["pushes"]),
        ("days pushed", &c["days_pushed"]),
        ("close-date pulls", &c["pulls"]),
        ("days pulled", &c["days_pulled"]),
        ("deals pushed more than once", &c["pushed_more_than_once"]),
    ] {
        s.row(vec![name.into(), plain(v)]);
    }
    tables.push(s);
    let calls = doc["forecast_accuracy"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !calls.is_empty() {
        let mut f = Table::new(
            format!(
                "Forecast calls against won by {}",
                plain(&doc["forecast_final_snapshot"])
            ),
            &[
                ("snapshot", Align::Left),
                ("won to date", Align::Right),
                ("commit", Align::Right),
                ("best case", Align::Right),
                ("actual won", Align::Right),
                ("commit error", Align::Right),
                ("commit APE", Align::Right),
                ("best-case APE", Align::Right),
            ],
        );
        for c in &calls {
            f.row(vec![
                plain(&c["snapshot"]),
                money(&c["won_to_date"]),
                money(&c["commit"]),
                money(&c["best_case"]),
                money(&c["actual_won"]),
                money(&c["commit_error"]),
                percent(&c["commit_ape"]),
                percent(&c["best_case_ape"]),
            ]);
        }
        tables.push(f);
    }
    let sd = &doc["stage_durations"];
    let stages = sd["stages"].as_array().cloned().unwrap_or_default();
    if !stages.is_empty() {
        let mut t = Table::new(
            format!(
                "Days in stage (to within {} days: the snapshot spacing)",
                plain(&sd["resolution_days"])
            ),
            &[
                ("stage", Align::Left),
                ("measured", Align::Right),
                ("censored", Align::Right),
                ("median", Align::Right),
                ("p90", Align::Right),
                ("mean", Align::Right),
            ],
        );
        for s in &stages {
            t.row(vec![
                plain(&s["stage"]),
                plain(&s["measured"]),
                plain(&s["censored"]),
                fixed(&s["median_days"], 1),
                fixed(&s["p90_days"], 1),
                fixed(&s["mean_days"], 1),
            ]);
        }
        tables.push(t);
    }
    View::new(tables).envelope_notes(doc)
}
