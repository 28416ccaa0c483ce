//! `revops pipeline`: the pipeline report of a CSV of CRM deals.
//!
//! `--as-of`, `--period-start` and `--period-end` are required, so the
//! output never depends on the clock.
use std::time::Instant;

use crate::common::{fx_flags, fx_table, ms_since, read_csv, usage_error, Errors, Rejects};
use revops::journey::Team;
use revops::pipeline::{report, Deal, DealRule, DealStatus, ForecastCategory, PipelineSpec};
use revops::{Currency, Decimal, Money, Period, Ratio};
use revops::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::output::{
    days, emit, money, multiple, percent, plain, Align, Cell, OutputArgs, Table, View,
};

const TOOL: &str = "pipeline";
/// The report's figures, in output order.
const FIGURES: [&str; 23] = [
    "won_count",
    "lost_count",
    "open_count",
    "opportunities_created",
    "won_revenue",
    "win_rate",
    "close_rate",
    "average_deal_size",
    "median_deal_size",
    "mean_cycle_days",
    "median_cycle_days",
    "p90_cycle_days",
    "open_pipeline",
    "weighted_pipeline",
    "pipeline_velocity_per_day",
    "forecast",
    "quota_attainment",
    "quota",
    "by_source",
    "marketing_sourced_pipeline_share",
    "marketing_sourced_revenue_share",
    "fx_rates_used",
    "ignored",
];
const USAGE: &str = "pipeline FILE.csv --as-of YYYY-MM-DD --period-start YYYY-MM-DD --period-end YYYY-MM-DD [--quota AMOUNT] [--currency CODE] [--fx CODE=RATE]... [--format json|table|csv]";

/// `revops pipeline`.
#[derive(clap::Args)]
#[command(
    about = "Pipeline report of CRM deals: win rate, cycle, coverage, forecast, quota",
    after_help = "\
Input columns (by header name, any order):
  id                 the deal's id (text)
  created, closed    dates YYYY-MM-DD (closed empty while open)
  status             open, won or lost
  amount, currency   the deal's amount (a decimal) and its ISO 4217 code
  stage              the pipeline stage's name
  probability        the stage's win probability, 0 to 1
  forecast_category  pipeline, best_case, commit, closed or omitted
  source             marketing or sales

Examples:
  revops pipeline deals.csv --as-of 2026-03-31 --period-start 2026-01-01 --period-end 2026-04-01 --quota 100000
  revops pipeline deals.csv --as-of 2026-03-31 --period-start 2026-01-01 --period-end 2026-04-01 --currency USD --fx EUR=1.08 --format table"
)]
pub struct Args {
    /// The deals CSV file
    file: String,
    /// The report's date, YYYY-MM-DD (required): deals are read as they stood then
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// First day of the period, YYYY-MM-DD (required)
    #[arg(long, value_name = "DATE")]
    period_start: Option<String>,
    /// Day after the period's last, YYYY-MM-DD (required; exclusive)
    #[arg(long, value_name = "DATE")]
    period_end: Option<String>,
    /// The period's quota in the report currency, not negative [default: none]
    #[arg(long, value_name = "AMOUNT")]
    quota: Option<String>,
    /// ISO 4217 currency of the report [default: the first valid row's]
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Exchange rate into the report currency, repeatable: EUR=1.08 (rows in
    /// a currency without a rate are rejected)
    #[arg(long, value_name = "CODE=RATE")]
    fx: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Runs `revops pipeline`.
pub fn run(args: Args) {
    let need = |name: &str| -> NaiveDate {
        let value = match name {
            "as-of" => args.as_of.as_deref(),
            "period-start" => args.period_start.as_deref(),
            _ => args.period_end.as_deref(),
        };
        match value {
            None => usage_error(TOOL, USAGE, &format!("--{name} is required")),
            Some(v) => date(v).unwrap_or_else(|| {
                usage_error(TOOL, USAGE, &format!("--{name}: {v:?} is not YYYY-MM-DD"))
            }),
        }
    };
    let as_of = need("as-of");
    let period = Period::new(need("period-start"), need("period-end"))
        .unwrap_or_else(|e| usage_error(TOOL, USAGE, &e.to_string()));
    let quota: Option<Decimal> = args.quota.as_deref().map(|q| {
        Decimal::from_str_exact(q.trim())
            .unwrap_or_else(|_| usage_error(TOOL, USAGE, &format!("--quota: cannot read {q:?}")))
    });
    if quota.is_some_and(|q| q < Decimal::ZERO) {
        usage_error(TOOL, USAGE, "--quota must not be negative");
    }
    let mut currency: Option<Currency> = args.currency.as_deref().map(|c| {
        Currency::from_code(c)
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--currency: {e}")))
    });
    let rates = fx_flags(TOOL, USAGE, &args.fx);

    let mut rejects = Rejects::default();
    let mut deals: Vec<(u64, Deal)> = Vec::new();
    let read = read_csv(
        TOOL,
        USAGE,
        &args.file,
        &[
            "id",
            "created",
            "closed",
            "status",
            "amount",
            "currency",
            "stage",
            "probability",
            "forecast_category",
            "source",
        ],
        &mut rejects,
        |line, f| {
            let created = date(f[1]).ok_or("created is not YYYY-MM-DD")?;
            let closed = if f[2].is_empty() {
                None
            } else {
                Some(date(f[2]).ok_or("closed is not YYYY-MM-DD")?)
            };
            let status: DealStatus = f[3]
                .parse()
                .map_err(|_| "status is not open, won or lost")?;
            let amount = Money::parse(f[4], f[5]).map_err(|e| match e {
                revops::Error::UnknownCurrency { .. } => "currency is not an ISO 4217 code",
                _ => "amount is not a decimal",
            })?;
            let probability =
                Decimal::from_str_exact(f[7]).map_err(|_| "probability is not a decimal")?;
            let probability =
                Ratio::new(probability).map_err(|_| "probability is not between 0 and 1")?;
            let forecast =
                ForecastCategory::parse(f[8]).map_err(|_| "forecast_category is not known")?;
            let source: Team = f[9]
                .parse()
                .map_err(|_| "source is not marketing or sales")?;
            let at =
                |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
            // The library's own rules, typed: the rule broken is the reason.
            let (created, closed) = (at(created), closed.map(at));
            if let Some(rule) = DealRule::first_broken(created, closed, status, amount, f[6]) {
                return Err(rule.to_string());
            }
            let deal = Deal::new(
                f[0],
                created,
                closed,
                status,
                amount,
                f[6],
                probability,
                forecast,
                source,
            )
            .map_err(|_| "invalid deal")?;
            deals.push((line, deal));
            Ok(())
        },
    );
    let currency = *currency.get_or_insert_with(|| {
        deals
            .first()
            .map_or(Currency::USD, |(_, d)| d.amount().currency())
    });
    let fx = fx_table(TOOL, USAGE, currency, rates);
    // Rows in a currency without a rate are rejected, with that reason.
    let mut usable = Vec::with_capacity(deals.len());
    for (line, d) in deals {
        if fx.rate(d.amount().currency()).is_none() {
            rejects.push(line, "amount in a currency with no --fx rate");
        } else {
            usable.push(d);
        }
    }
    let parse_ms = ms_since(read.started);

    let started = Instant::now();
    let mut spec = PipelineSpec::new(period, as_of, currency);
    spec.fx = fx;
    spec.quota = quota.map(|q| Money::new(q, currency));
    let result = report(spec, &usable);
    let analyse_ms = ms_since(started);
    let mut errors = Errors::default();
    let stats = json!({
        "rows": read.rows,
        "deals": usable.len(),
        "rejected_rows": rejects.total(),
        "rejected_by_reason": rejects.by_reason_json(),
        "parse_ms": parse_ms,
        "analyse_ms": analyse_ms,
    });
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            // The report could not be computed at all: every figure is
            // null, with the reason. (An amount that overflows does not
            // get here: only its own figures are null, below.)
            for key in FIGURES {
                errors.push(key, &e);
            }
            let mut out = serde_json::Map::new();
            out.insert("schema_version".into(), json!(1));
            out.insert("currency".into(), json!(currency.code()));
            out.insert(
                "period".into(),
                json!({"start": period.start().to_string(), "end": period.end().to_string()}),
            );
            out.insert("as_of".into(), json!(as_of.to_string()));
            for key in FIGURES {
                out.insert(key.to_string(), Value::Null);
            }
            out.insert("errors".into(), errors.to_json());
            out.insert("rejected".into(), rejects.to_json());
            out.insert("stats".into(), stats);
            emit(args.output.format(), &Value::Object(out), view);
            return;
        }
    };

    for figure in &r.overflowed {
        errors.push(
            figure,
            "the exact figure does not fit a decimal: beyond its range (about 7.9e28), or more than its 28 significant digits",
        );
    }
    // The library's own report, in the command's envelope.
    let mut out = match serde_json::to_value(&r) {
        Ok(Value::Object(o)) => o,
        _ => serde_json::Map::new(),
    };
    out.insert("schema_version".into(), json!(1));
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), rejects.to_json());
    out.insert("stats".into(), stats);
    emit(args.output.format(), &Value::Object(out), view);
}

/// The headline figures (the main table), the forecast and quota, the
/// stages and the sources.
fn view(doc: &Value) -> View {
    let mut main = Table::new(
        format!(
            "Pipeline as of {}, period {} to {} ({})",
            plain(&doc["as_of"]),
            plain(&doc["period"]["start"]),
            plain(&doc["period"]["end"]),
            plain(&doc["currency"])
        ),
        &[("figure", Align::Left), ("value", Align::Right)],
    );
    let figures: [(&str, Cell); 18] = [
        ("won_count", plain),
        ("lost_count", plain),
        ("open_count", plain),
        ("opportunities_created", plain),
        ("won_revenue", money),
        ("lost_amount", money),
        ("win_rate", percent),
        ("close_rate", percent),
        ("average_deal_size", money),
        ("median_deal_size", money),
        ("mean_cycle_days", days),
        ("median_cycle_days", days),
        ("p90_cycle_days", days),
        ("open_pipeline", money),
        ("weighted_pipeline", money),
        ("pipeline_velocity_per_day", money),
        ("marketing_sourced_pipeline_share", percent),
        ("marketing_sourced_revenue_share", percent),
    ];
    for (key, cell) in figures {
        main.row(vec![
            key.replace("_days", "").replace('_', " "),
            cell(&doc[key]),
        ]);
    }
    main.row(vec![
        "quota attainment".into(),
        percent(&doc["quota_attainment"]),
    ]);
    for key in ["pipeline", "best_case", "commit", "closed"] {
        main.row(vec![
            format!("forecast {}", key.replace('_', " ")),
            money(&doc["forecast"][key]),
        ]);
    }
    let q = &doc["quota"];
    if q.is_object() {
        main.row(vec!["quota".into(), money(&q["quota"])]);
        main.row(vec!["pace".into(), plain(&q["pace"]).replace('_', " ")]);
        main.row(vec![
            "expected to date".into(),
            money(&q["expected_to_date"]),
        ]);
        main.row(vec!["projected".into(), money(&q["projected"])]);
        main.row(vec!["remaining quota".into(), money(&q["remaining_quota"])]);
        main.row(vec![
            "gap per remaining day".into(),
            money(&q["gap_per_remaining_day"]),
        ]);
        main.row(vec!["coverage".into(), multiple(&q["coverage"])]);
    }
    let mut stages = Table::new(
        "By stage",
        &[
            ("stage", Align::Left),
            ("open", Align::Right),
            ("open amount", Align::Right),
            ("won", Align::Right),
            ("won amount", Align::Right),
            ("lost", Align::Right),
            ("lost amount", Align::Right),
        ],
    );
    for st in doc["by_stage"].as_array().into_iter().flatten() {
        stages.row(vec![
            plain(&st["stage"]),
            plain(&st["open_count"]),
            money(&st["open_amount"]),
            plain(&st["won_count"]),
            money(&st["won_amount"]),
            plain(&st["lost_count"]),
            money(&st["lost_amount"]),
        ]);
    }
    let mut sources = Table::new(
        "By source",
        &[
            ("source", Align::Left),
            ("won", Align::Right),
            ("lost", Align::Right),
            ("open", Align::Right),
            ("win rate", Align::Right),
            ("revenue", Align::Right),
            ("open pipeline", Align::Right),
        ],
    );
    for (name, so) in doc["by_source"].as_object().into_iter().flatten() {
        sources.row(vec![
            name.clone(),
            plain(&so["won_count"]),
            plain(&so["lost_count"]),
            plain(&so["open_count"]),
            percent(&so["win_rate"]),
            money(&so["revenue"]),
            money(&so["open_pipeline"]),
        ]);
    }
    let mut tables = vec![main];
    for t in [stages, sources] {
        if !t.is_empty() {
            tables.push(t);
        }
    }
    View::new(tables).envelope_notes(doc)
}
