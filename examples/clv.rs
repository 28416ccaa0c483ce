//! Fits a lifetime-value model to a CSV of customers (or of transactions)
//! and prints the parameters and, with `--horizon`, each customer's
//! predictions, as JSON.
//!
//! ```text
//! cargo run --example clv -- tests/data/clv.csv --model bgnbd --horizon 39
//! cargo run --example clv -- tests/data/clv.csv --model gamma_gamma
//! cargo run --example clv -- tests/data/clv_transactions.csv --input transactions --period week --model bgnbd
//! ```
//!
//! `--input rfm` (the default) reads `customer_id,frequency,recency,T`
//! and, for `gamma_gamma`, `monetary_value`; times in the file's own unit
//! (the horizon in that unit too). `--input transactions` reads
//! `customer_id,date,amount` (`YYYY-MM-DD`), summarized per `--period`
//! (`day`, `week` or `month`; default `day`) up to `--observation-end`
//! (default: the last date in the file), in `--currency` (default USD).
//! Models: `bgnbd` (or `bg_nbd`), `mbg_nbd`, `pareto_nbd` and
//! `gamma_gamma`. Output follows
//! `examples/README.md`.

mod common;

use std::collections::HashMap;
use std::time::Instant;

use common::{read_csv, usage_error, Args, Errors, Rejects, REJECTED_LISTED};
use revops::clv::{
    frequency_value_correlation, summarize, BgNbd, FitOptions, GammaGamma, History, MbgNbd,
    ParetoNbd, PeriodLength, PurchaseModel, Spend, Transaction,
};
use revops::NaiveDate;
use revops::{Currency, Decimal, Money};
use serde_json::{json, Value};

const TOOL: &str = "clv";
const USAGE: &str = "clv FILE.csv --model bgnbd|mbg_nbd|pareto_nbd|gamma_gamma [--horizon H] [--input rfm|transactions] [--period day|week|month] [--observation-end YYYY-MM-DD] [--currency CODE]";

/// One customer as read: the id as in the file, the history, the mean
/// value of repeat purchases (if any).
struct Customer {
    id: String,
    history: History,
    value: Option<f64>,
}

/// Where a purchase model's figures go.
struct Sink<'a> {
    out: &'a mut serde_json::Map<String, Value>,
    errors: &'a mut Errors,
    listed: &'a mut Customers,
    customer_errors: &'a mut usize,
}

/// Fits `M` and, with a horizon, predicts every customer: the same for
/// every purchase model.
fn purchase_model<M: PurchaseModel<History = History>>(
    customers: &[Customer],
    horizon: Option<f64>,
    sink: &mut Sink,
) {
    let histories: Vec<History> = customers.iter().map(|c| c.history).collect();
    let named = |m: &M| -> Value {
        Value::Object(
            m.named_params()
                .into_iter()
                .map(|(n, v)| (n.to_string(), json!(v)))
                .collect(),
        )
    };
    match M::fit(&histories, &FitOptions::default()) {
        Ok(f) => {
            sink.out.insert("params".into(), named(&f.params));
            sink.out
                .insert("standard_errors".into(), named(&f.standard_errors));
            sink.out
                .insert("log_likelihood".into(), json!(f.log_likelihood));
            let Some(t) = horizon else { return };
            for c in customers {
                let i = sink.listed.count;
                let mut figure = |name: &str, r: Result<f64, revops::Error>| {
                    customer_figure(sink.errors, sink.customer_errors, i, name, r)
                };
                let p_alive = figure("p_alive", f.params.probability_alive(&c.history));
                let e = figure(
                    "expected_purchases",
                    f.params.conditional_expected_purchases(&c.history, t),
                );
                sink.listed.push(&json!({
                    "customer_id": c.id,
                    "p_alive": p_alive,
                    "expected_purchases": e,
                }));
            }
        }
        Err(e) => {
            for key in ["params", "standard_errors", "log_likelihood"] {
                sink.errors.push(key, &e);
                sink.out.insert(key.into(), Value::Null);
            }
        }
    }
}

/// The RFM summary customer by customer (each customer's summary does
/// not depend on the others'), rejecting a customer that cannot be
/// summarized at the line of its first transaction.
fn summarize_each(
    tx: &[Transaction<String>],
    lines: &[u64],
    period: PeriodLength,
    end: NaiveDate,
    currency: Currency,
    rejects: &mut Rejects,
) -> Vec<revops::clv::CustomerRfm<String>> {
    let mut by_customer: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, t) in tx.iter().enumerate() {
        by_customer.entry(t.customer.as_str()).or_default().push(i);
    }
    let mut out = Vec::new();
    for rows in by_customer.values() {
        let own: Vec<Transaction<String>> = rows.iter().map(|&i| tx[i].clone()).collect();
        match summarize(&own, period, end, currency) {
            Ok(s) => out.extend(s.customers),
            Err(e) => rejects.push(
                lines[rows[0]],
                format!("the customer's purchases cannot be summed: {e}"),
            ),
        }
    }
    out
}

/// One customer's figure: its value, or `null` with the reason listed
/// under `errors` as `customers[i].NAME` (the first
/// [`REJECTED_LISTED`] such reasons; `stats.customer_errors` counts them
/// all).
fn customer_figure(
    errors: &mut Errors,
    count: &mut usize,
    index: usize,
    name: &str,
    r: Result<f64, revops::Error>,
) -> Value {
    let reason = match r {
        Ok(v) if v.is_finite() => return json!(v),
        Ok(v) => format!("{name}: {v} is not a finite number"),
        Err(e) => e.to_string(),
    };
    if *count < REJECTED_LISTED {
        errors.push(&format!("customers[{index}].{name}"), reason);
    }
    *count += 1;
    Value::Null
}

/// Milliseconds with microsecond resolution, as a JSON number.
fn ms(t: Instant) -> Value {
    json!((t.elapsed().as_micros() as f64) / 1000.0)
}

fn main() {
    let args = Args::parse(
        TOOL,
        USAGE,
        &[
            "model",
            "horizon",
            "input",
            "period",
            "observation-end",
            "currency",
        ],
    );
    let model = match args.get("model") {
        Some("bgnbd" | "bg_nbd") => "bgnbd",
        Some("gamma_gamma") => "gamma_gamma",
        Some("mbg_nbd" | "mbgnbd") => "mbg_nbd",
        Some("pareto_nbd" | "paretonbd") => "pareto_nbd",
        Some(m) => usage_error(TOOL, USAGE, &format!("--model: unknown model {m:?}")),
        None => usage_error(TOOL, USAGE, "--model is required"),
    };
    let horizon: Option<f64> = args.parsed(TOOL, USAGE, "horizon");
    if horizon.is_some_and(|h| !(h.is_finite() && h >= 0.0)) {
        usage_error(TOOL, USAGE, "--horizon must be a time of at least 0");
    }
    let currency = match args.get("currency").map(Currency::from_code) {
        None => Currency::USD,
        Some(Ok(c)) => c,
        Some(Err(e)) => usage_error(TOOL, USAGE, &format!("--currency: {e}")),
    };
    let period: PeriodLength = match args.get("period").map(str::parse) {
        None => PeriodLength::Day,
        Some(Ok(p)) => p,
        Some(Err(e)) => usage_error(TOOL, USAGE, &format!("--period: {e}")),
    };
    let observation_end: Option<NaiveDate> = args.get("observation-end").map(|d| {
        NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
            usage_error(
                TOOL,
                USAGE,
                &format!("--observation-end: {d:?} is not YYYY-MM-DD"),
            )
        })
    });
    let gamma_gamma = model == "gamma_gamma";

    let started = Instant::now();
    let mut rejects = Rejects::default();
    // Transactions dated after the observation end (left out of the
    // summary), and customers with repeat purchases whose mean value is
    // not above 0 (left out of the Gamma-Gamma fit).
    let mut after_end = 0usize;
    let mut excluded_from_spend_fit = 0usize;
    let mut customers: Vec<Customer> = Vec::new();
    let rows = match args.get("input").unwrap_or("rfm") {
        "rfm" => {
            let mut wanted = vec!["customer_id", "frequency", "recency", "T"];
            if gamma_gamma {
                wanted.push("monetary_value");
            }
            let read = read_csv(TOOL, USAGE, &args.file, &wanted, &mut rejects, |_, f| {
                let x: u64 = f[1]
                    .parse()
                    .map_err(|_| "frequency is not a whole number of at least 0")?;
                let tx: f64 = f[2].parse().map_err(|_| "recency is not a number")?;
                let t: f64 = f[3].parse().map_err(|_| "T is not a number")?;
                if tx > t {
                    return Err("recency is after T".into());
                }
                if x == 0 && tx > 0.0 {
                    return Err("frequency is 0 but recency is not".into());
                }
                let history = History::new(x, tx, t).map_err(|_| "recency or T is not a time")?;
                let value = if gamma_gamma && x > 0 {
                    let m: f64 = f[4].parse().map_err(|_| "monetary_value is not a number")?;
                    if !(m.is_finite() && m > 0.0) {
                        return Err("monetary_value is not above 0".into());
                    }
                    Some(m)
                } else {
                    None
                };
                customers.push(Customer {
                    id: f[0].to_string(),
                    history,
                    value,
                });
                Ok(())
            });
            read.rows
        }
        "transactions" => {
            let mut tx: Vec<Transaction<String>> = Vec::new();
            let mut tx_lines: Vec<u64> = Vec::new();
            let read = read_csv(
                TOOL,
                USAGE,
                &args.file,
                &["customer_id", "date", "amount"],
                &mut rejects,
                |line, f| {
                    let date = NaiveDate::parse_from_str(f[1].trim(), "%Y-%m-%d")
                        .map_err(|_| "date is not YYYY-MM-DD")?;
                    let amount = Decimal::from_str_exact(f[2].trim())
                        .map_err(|_| "amount is not an exact decimal")?;
                    tx.push(Transaction {
                        customer: f[0].to_string(),
                        date,
                        amount: Money::new(amount, currency),
                    });
                    tx_lines.push(line);
                    Ok(())
                },
            );
            let end = observation_end
                .or_else(|| tx.iter().map(|t| t.date).max())
                .unwrap_or_default();
            // A transaction dated on the observation end is inside it.
            after_end = tx.iter().filter(|t| t.date > end).count();
            let summarized = match summarize(&tx, period, end, currency) {
                Ok(s) => s.customers,
                // A customer whose period sums do not fit a decimal: that
                // customer's rows are rejected (at its first line), the
                // others summarized as they would be together.
                Err(_) => summarize_each(&tx, &tx_lines, period, end, currency, &mut rejects),
            };
            for c in summarized {
                let Ok(history) = c.history() else { continue };
                let value = c.spend().map(|s| s.mean_value());
                if gamma_gamma && c.frequency > 0 && value.is_none() {
                    excluded_from_spend_fit += 1; // a mean value not above 0 (refunds)
                    continue;
                }
                customers.push(Customer {
                    id: c.customer,
                    history,
                    value,
                });
            }
            read.rows
        }
        other => usage_error(TOOL, USAGE, &format!("--input: unknown input {other:?}")),
    };
    let parse_ms = ms(started);

    let mut errors = Errors::default();
    let mut out = serde_json::Map::new();
    out.insert("schema_version".into(), json!(1));
    out.insert("model".into(), json!(model));
    let names: &[&str] = &GammaGamma::NAMES;
    let as_object = |values: &[f64]| -> Value {
        Value::Object(
            names
                .iter()
                .zip(values)
                .map(|(n, v)| (n.to_string(), json!(v)))
                .collect(),
        )
    };
    let fit_started = Instant::now();
    let mut listed = Customers::start();
    let mut customer_errors = 0usize;
    let mut extra: HashMap<&str, Value> = HashMap::new();
    if gamma_gamma {
        let spends: Vec<(usize, Spend)> = customers
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let v = c.value?;
                let s = Spend::new(c.history.frequency(), v).ok();
                if s.is_none() {
                    excluded_from_spend_fit += 1;
                }
                s.map(|s| (i, s))
            })
            .collect();
        let only: Vec<Spend> = spends.iter().map(|s| s.1).collect();
        let fit = GammaGamma::fit(&only, &FitOptions::default());
        let fit_ms = ms(fit_started);
        extra.insert("fit_ms", fit_ms);
        extra.insert("customers_fitted", json!(only.len()));
        out.insert(
            "frequency_value_correlation".into(),
            json!(frequency_value_correlation(&only)),
        );
        match fit {
            Ok(f) => {
                out.insert("params".into(), as_object(&f.params.params()));
                out.insert(
                    "standard_errors".into(),
                    as_object(&f.standard_errors.params()),
                );
                out.insert("log_likelihood".into(), json!(f.log_likelihood));
                for (i, s) in &spends {
                    let e = f
                        .params
                        .conditional_expected_average_value(s.frequency(), s.mean_value());
                    let e = customer_figure(
                        &mut errors,
                        &mut customer_errors,
                        listed.count,
                        "expected_average_value",
                        e,
                    );
                    listed.push(&json!({
                        "customer_id": customers[*i].id,
                        "expected_average_value": e,
                    }));
                }
            }
            Err(e) => {
                for key in ["params", "standard_errors", "log_likelihood"] {
                    errors.push(key, &e);
                    out.insert(key.into(), Value::Null);
                }
            }
        }
    } else {
        // The model is chosen at run time; everything after is the one
        // generic path of `PurchaseModel`.
        let mut sink = Sink {
            out: &mut out,
            errors: &mut errors,
            listed: &mut listed,
            customer_errors: &mut customer_errors,
        };
        match model {
            "pareto_nbd" => purchase_model::<ParetoNbd>(&customers, horizon, &mut sink),
            "mbg_nbd" => purchase_model::<MbgNbd>(&customers, horizon, &mut sink),
            _ => purchase_model::<BgNbd>(&customers, horizon, &mut sink),
        }
        extra.insert("fit_ms", ms(fit_started));
        extra.insert("customers_fitted", json!(customers.len()));
    }
    extra.insert("analyse_ms", ms(fit_started));
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), rejects.to_json());
    let mut stats = json!({
        "rows": rows,
        "customers": customers.len(),
        "rejected_rows": rejects.total(),
        "rejected_by_reason": rejects.by_reason_json(),
        "parse_ms": parse_ms,
        "customer_errors": customer_errors,
        "customers_excluded_from_spend_fit": excluded_from_spend_fit,
        "transactions_after_observation_end": after_end,
    });
    for (k, v) in extra {
        stats[k] = v;
    }
    out.insert("stats".into(), stats);
    listed.finish(out);
}

/// The report written as it is computed: the `customers` array one
/// customer at a time (so a large file's predictions are never all held),
/// then the other keys. `customers` sorts first among the report's keys,
/// so the text is what printing the whole report at once gives. A closed
/// stdout ends the run quietly.
struct Customers {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    count: usize,
}

impl Customers {
    fn start() -> Customers {
        let mut c = Customers {
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            count: 0,
        };
        c.write("{\n  \"customers\": [");
        c
    }

    fn write(&mut self, text: &str) {
        use std::io::Write;
        if self.out.write_all(text.as_bytes()).is_err() {
            std::process::exit(0); // stdout closed: nobody reads on
        }
    }

    fn push(&mut self, customer: &Value) {
        let text = serde_json::to_string_pretty(customer).unwrap_or_default();
        let sep = if self.count == 0 { "\n" } else { ",\n" };
        self.write(sep);
        let body: Vec<String> = text.lines().map(|l| format!("    {l}")).collect();
        self.write(&body.join("\n"));
        self.count += 1;
    }

    fn finish(mut self, rest: serde_json::Map<String, Value>) {
        use std::io::Write;
        self.write(if self.count == 0 { "]" } else { "\n  ]" });
        let text = serde_json::to_string_pretty(&Value::Object(rest)).unwrap_or_default();
        // `{` and its line end, replaced by the separator after customers.
        let tail = text.strip_prefix("{\n").unwrap_or("}");
        self.write(",\n");
        self.write(tail);
        self.write("\n");
        if self.out.flush().is_err() {
            std::process::exit(0);
        }
    }
}
