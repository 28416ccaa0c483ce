//! `revops mrr`: the monthly MRR bridge and revenue cohorts of a billing
//! export (`revops::recurring`).

use std::time::Instant;

use revops::quantity::{BillingInterval, Month};
use revops::recurring::{MrrSpec, MrrState, Subscription};
use revops::{Currency, Money, NaiveDate};
use serde_json::{json, Value};

use crate::common::{
    envelope, fx_flags, fx_table, ms_since, read_csv, usage_error, Errors, Rejects,
};
use crate::output::{emit, money, multiple, percent, plain, Align, OutputArgs, Table, View};

const TOOL: &str = "mrr";
const USAGE: &str = "mrr FILE.csv [--input monthly|subscriptions] [--currency CODE] [--fx CODE=RATE]... [--through YYYY-MM] [--format json|table|csv]";

/// `revops mrr`.
#[derive(clap::Args)]
#[command(
    about = "Recurring revenue: the monthly MRR bridge, quick ratio, revenue churn and cohort NRR/GRR",
    after_help = "\
Input columns (by header name, any order, others ignored):
  --input monthly (the default):
    customer_id  any text
    month        YYYY-MM
    mrr          the customer's MRR that month (a decimal, not negative;
                 rows of one customer and month add up; no row is 0)
    currency     ISO 4217 code
  --input subscriptions:
    customer_id  any text
    start, end   YYYY-MM-DD; end is the first day no longer billed (empty
                 while active)
    amount       billed each interval (a decimal, not negative)
    interval     week, month, quarter or year
    currency     ISO 4217 code

A month's MRR is what is in force on its last day: monthly amounts, annual
plans a twelfth (rounded to the cent), weekly ones 52/12. Each month's
movements add up exactly: opening + new + expansion + reactivation -
contraction - churned = closing.

Examples:
  revops mrr billing.csv
  revops mrr subscriptions.csv --input subscriptions --currency USD --fx EUR=1.08 --format table"
)]
pub struct Args {
    /// The CSV file
    file: String,
    /// The file's rows: monthly (MRR per customer and month) or subscriptions (line items) [default: monthly]
    #[arg(long, value_name = "KIND")]
    input: Option<String>,
    /// Report currency, an ISO 4217 code [default: the first row's]
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Exchange rate into the report currency, repeatable: EUR=1.08 (one rate per currency, no FX movement); rows in a currency without one are rejected
    #[arg(long, value_name = "CODE=RATE")]
    fx: Vec<String>,
    /// The last month reported [default: the latest month in the file]
    #[arg(long, value_name = "YYYY-MM")]
    through: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// One row read.
enum Row<'a> {
    Month(&'a str, Month, Money),
    Subscription(Subscription),
}

impl Row<'_> {
    fn currency(&self) -> Currency {
        match self {
            Row::Month(_, _, m) => m.currency(),
            Row::Subscription(s) => s.amount.currency(),
        }
    }
}

fn amount(value: &str, currency: Currency) -> Result<Money, &'static str> {
    let v = revops::Decimal::from_str_exact(value).map_err(|_| "the amount is not a decimal")?;
    let m = Money::new(v, currency);
    if m.is_negative() {
        return Err("the amount is negative");
    }
    Ok(m)
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Runs `revops mrr`.
pub fn run(args: Args) {
    let subscriptions = match args.input.as_deref() {
        None | Some("monthly") => false,
        Some("subscriptions") => true,
        Some(other) => usage_error(
            TOOL,
            USAGE,
            &format!("--input: {other:?} is not monthly or subscriptions"),
        ),
    };
    let currency: Option<Currency> = args.currency.as_deref().map(|c| {
        Currency::from_code(c)
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--currency: {e}")))
    });
    let through: Option<Month> = args.through.as_deref().map(|t| {
        t.parse()
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--through: {e}")))
    });
    let rates = fx_flags(TOOL, USAGE, &args.fx);
    let mut rejects = Rejects::default();
    // The state is made at the first row (its currency is the default
    // report currency); rows go into it as they are read.
    let mut state: Option<MrrState> = None;
    let mut fx: Option<revops::quantity::FxRates> = None;
    let mut rates = Some(rates);
    let mut last_code = (String::new(), Currency::USD);
    let mut add = |row: Row| -> Result<(), String> {
        let st = state.get_or_insert_with(|| {
            let c = currency.unwrap_or_else(|| row.currency());
            let table = fx_table(TOOL, USAGE, c, rates.take().unwrap_or_default());
            fx = Some(table.clone());
            let mut spec = MrrSpec::with_fx(table);
            if let Some(t) = through {
                spec = spec.through(t);
            }
            MrrState::new(spec)
        });
        if fx
            .as_ref()
            .is_some_and(|f| f.rate(row.currency()).is_none())
        {
            return Err("amount in a currency with no --fx rate".into());
        }
        let added = match &row {
            Row::Month(c, m, v) => st.add_month(c, *m, *v),
            Row::Subscription(s) => st.add_subscription(s),
        };
        added.map_err(|e| e.to_string())
    };
    let mut amount_of = |value: &str, code: &str| -> Result<Money, &'static str> {
        if last_code.0 != code {
            let c = Currency::from_code(code).map_err(|_| "currency is not an ISO 4217 code")?;
            last_code = (code.to_string(), c);
        }
        amount(value, last_code.1)
    };
    let read = if subscriptions {
        read_csv(
            TOOL,
            USAGE,
            &args.file,
            &[
                "customer_id",
                "start",
                "end",
                "amount",
                "interval",
                "currency",
            ],
            &mut rejects,
            |_, f| {
                let start = date(f[1]).ok_or("start is not YYYY-MM-DD")?;
                let end = if f[2].is_empty() {
                    None
                } else {
                    Some(date(f[2]).ok_or("end is not YYYY-MM-DD")?)
                };
                let interval: BillingInterval = f[4]
                    .parse()
                    .map_err(|_| "interval is not week, month, quarter or year")?;
                let amount = amount_of(f[3], f[5])?;
                if f[0].is_empty() {
                    return Err("customer_id is empty".into());
                }
                if end.is_some_and(|e| e < start) {
                    return Err("end is before start".into());
                }
                let s = Subscription::new(f[0], start, end, amount, interval)
                    .map_err(|e| e.to_string())?;
                add(Row::Subscription(s))
            },
        )
    } else {
        read_csv(
            TOOL,
            USAGE,
            &args.file,
            &["customer_id", "month", "mrr", "currency"],
            &mut rejects,
            |_, f| {
                let month: Month = f[1].parse().map_err(|_| "month is not YYYY-MM")?;
                let mrr = amount_of(f[2], f[3])?;
                if f[0].is_empty() {
                    return Err("customer_id is empty".into());
                }
                add(Row::Month(f[0], month, mrr))
            },
        )
    };
    let state = state.unwrap_or_else(|| {
        // No row: an empty report in the report currency (the --fx flags
        // still checked).
        let c = currency.unwrap_or(Currency::USD);
        let table = fx_table(TOOL, USAGE, c, rates.take().unwrap_or_default());
        MrrState::new(MrrSpec::with_fx(table))
    });
    let currency = state.spec().currency();
    let parse_ms = ms_since(read.started);
    let started = Instant::now();
    let customers = state.customers();
    let result = state.finish();
    let analyse_ms = ms_since(started);
    let mut errors = Errors::default();
    let mut out = match &result {
        Ok(r) => match serde_json::to_value(r) {
            Ok(Value::Object(o)) => o,
            _ => serde_json::Map::new(),
        },
        Err(e) => {
            errors.push("months", e);
            errors.push("cohorts", e);
            let mut o = serde_json::Map::new();
            o.insert("currency".into(), json!(currency.code()));
            o.insert("customers".into(), json!(customers));
            o.insert("months".into(), Value::Null);
            o.insert("cohorts".into(), Value::Null);
            o
        }
    };
    envelope(
        &mut out,
        &errors,
        &rejects,
        read.rows,
        json!({
            "customers": customers,
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        }),
    );
    emit(args.output.format(), &Value::Object(out), view);
}

/// The bridge (the main table: one row a month), then the cohorts' NRR.
fn view(doc: &Value) -> View {
    let mut bridge = Table::new(
        format!("MRR bridge ({})", plain(&doc["currency"])),
        &[
            ("month", Align::Left),
            ("opening", Align::Right),
            ("new", Align::Right),
            ("expansion", Align::Right),
            ("reactivation", Align::Right),
            ("contraction", Align::Right),
            ("churned", Align::Right),
            ("closing MRR", Align::Right),
            ("ARR", Align::Right),
            ("customers", Align::Right),
            ("quick ratio", Align::Right),
            ("net rev. churn", Align::Right),
        ],
    );
    for m in doc["months"].as_array().into_iter().flatten() {
        bridge.row(vec![
            plain(&m["month"]),
            money(&m["opening_mrr"]),
            money(&m["new"]),
            money(&m["expansion"]),
            money(&m["reactivation"]),
            money(&m["contraction"]),
            money(&m["churned"]),
            money(&m["mrr"]),
            money(&m["arr"]),
            plain(&m["customers"]["active"]),
            multiple(&m["quick_ratio"]),
            percent(&m["net_revenue_churn"]),
        ]);
    }
    let mut tables = vec![bridge];
    let cohorts = doc["cohorts"].as_array().cloned().unwrap_or_default();
    if !cohorts.is_empty() {
        let width = cohorts
            .iter()
            .map(|c| c["nrr"].as_array().map_or(0, Vec::len))
            .max()
            .unwrap_or(0)
            .min(13);
        let names: Vec<String> = (0..width).map(|n| format!("M{n}")).collect();
        let mut head = vec![("cohort", Align::Left), ("customers", Align::Right)];
        head.extend(names.iter().map(|n| (n.as_str(), Align::Right)));
        let mut t = Table::new(
            "Net revenue retention by cohort (months after the first)",
            &head,
        );
        for c in &cohorts {
            let mut row = vec![plain(&c["cohort"]), plain(&c["customers"])];
            let nrr = c["nrr"].as_array().cloned().unwrap_or_default();
            for n in 0..width {
                row.push(nrr.get(n).map_or_else(String::new, percent));
            }
            t.row(row);
        }
        tables.push(t);
    }
    View::new(tables).envelope_notes(doc)
}
