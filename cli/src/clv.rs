//! `revops clv`: lifetime-value models fitted to a CSV of customers (or of
//! transactions), with every customer's predictions and value.
//!
//! `--input rfm` (the default) reads `customer_id,frequency,recency,T`
//! and, when the header has it, `monetary_value`; times in the file's own
//! unit (the horizon in that unit too). `--input transactions` reads
//! `customer_id,date,amount` (`YYYY-MM-DD`), summarized per `--period` up
//! to `--observation-end`. Whenever spend is known, the Gamma-Gamma model
//! is fitted beside the purchase model and every customer gets a value in
//! money (`revops::clv::discounted_clv`).
use std::collections::HashMap;
use std::time::Instant;

use crate::common::{
    header_names, parsed, read_csv, usage_error, Errors, Rejects, REJECTED_LISTED,
};
use revops::clv::{
    calibration_and_holdout, discounted_clv, frequency_value_correlation, holdout_table, summarize,
    BgNbd, CalibrationHoldout, Discounting, FitOptions, GammaGamma, History, MbgNbd, ParetoNbd,
    PeriodLength, PurchaseModel, Spend, Transaction,
};
use revops::NaiveDate;
use revops::{Currency, Decimal, Money, Ratio};
use serde_json::{json, Value};

use crate::output::{emit, fixed, money, plain, Align, Cell, Format, OutputArgs, Table, View};

const TOOL: &str = "clv";
const USAGE: &str = "clv FILE.csv [--model bgnbd|mbg_nbd|pareto_nbd|gamma_gamma|sbg|bgbb] [--horizon H] [--input rfm|transactions] [--period day|week|month] [--observation-end YYYY-MM-DD] [--currency CODE] [--margin M] [--discount-rate R] [--format json|table|csv]";

/// The horizon when none is given, in periods of the file's time unit.
const DEFAULT_HORIZON: f64 = 52.0;

/// `revops clv`.
#[derive(clap::Args)]
#[command(
    about = "Customer lifetime value: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, sBG (subscriptions) and BG/BB (discrete opportunities) fits",
    after_help = "\
Input columns, --input rfm (by header name, others ignored):
  customer_id     any text
  frequency       repeat purchases x, a whole number
  recency         t_x, the time of the last purchase since the first (0 if x = 0)
  T               the customer's age at the end of observation (same unit)
  monetary_value  optional: the mean value of the repeat purchases (> 0 where x > 0)
--input transactions: customer_id, date (YYYY-MM-DD), amount (a decimal).
--model sbg (subscriptions: churn observed at renewals), --input
  survival (default): period (0, 1, ...), active (customers still active)
  renewals: customer_id, periods (at least 1), churned (true or false)
  subscriptions: customer_id, start, end (YYYY-MM-DD; end empty while
    active), cut into --period day|week|month|year (default month)
--model bgbb (purchases at discrete opportunities: yearly campaigns, events):
  customer_id, frequency (x), recency (t_x, the opportunity of the last
  purchase, 0 if none), n (opportunities), and optionally count (customers
  sharing the row); --horizon in opportunities (default 5)

Every customer gets p_alive and expected_purchases over the horizon; with
spend (monetary_value, or transactions) also expected_average_value (the
Gamma-Gamma model) and clv, the discounted value in money.

Examples:
  revops clv customers.csv --model bgnbd --horizon 39
  revops clv orders.csv --input transactions --period week --model pareto_nbd --margin 0.3 --format table
  revops clv cohort.csv --model sbg --horizon 12 --discount-rate 0.1"
)]
pub struct Args {
    /// The customers (or transactions) CSV file
    file: String,
    /// Model: bgnbd (bg_nbd), mbg_nbd, pareto_nbd, gamma_gamma (spend
    /// only), sbg (subscriptions) or bgbb (discrete opportunities)
    /// [default: bgnbd]
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Prediction horizon, in the file's time unit (transactions: --period);
    /// at least 0 [default: 52; sbg: 10 periods, a whole number]
    #[arg(long, value_name = "H")]
    horizon: Option<String>,
    /// Input layout: rfm or transactions; for sbg survival, renewals or
    /// subscriptions [default: rfm; survival for sbg]
    #[arg(long, value_name = "LAYOUT")]
    input: Option<String>,
    /// Transactions: the time unit, day, week or month [default: day];
    /// sbg subscriptions: day, week, month or year [default: month]
    #[arg(long, value_name = "UNIT")]
    period: Option<String>,
    /// Transactions: the last day observed, YYYY-MM-DD (inclusive) [default:
    /// the last date in the file]
    #[arg(long, value_name = "DATE")]
    observation_end: Option<String>,
    /// Transactions: fit on purchases up to this day (YYYY-MM-DD,
    /// inclusive) and add the holdout table: predicted against actual
    /// purchases after it, up to the observation end
    #[arg(long, value_name = "DATE")]
    calibration_end: Option<String>,
    /// ISO 4217 currency of the values [default: USD]
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Share of a purchase's value kept as margin, 0 to 1 [default: 1]
    #[arg(long, value_name = "M")]
    margin: Option<String>,
    /// Discount rate per period of the time unit, above -1 (0.01 = 1%)
    /// [default: 0]; sbg: above 0, and adds DERL per renewal count
    #[arg(long, value_name = "R")]
    discount_rate: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

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

/// What gives each customer a value in money.
struct Valuation {
    /// The Gamma-Gamma fit, or why there is none.
    spend: Result<GammaGamma, String>,
    /// Periods, their length, the rate and the margin; `None` for a
    /// horizon of 0 (every value is 0).
    discounting: Option<Discounting>,
    currency: Currency,
}

/// Fits `M` and predicts every customer over the horizon (and, with a
/// valuation, values them): the same for every purchase model.
fn purchase_model<M: PurchaseModel<History = History>>(
    customers: &[Customer],
    horizon: f64,
    valuation: Option<&Valuation>,
    sink: &mut Sink,
) -> Option<M> {
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
            if let Some(Valuation {
                spend: Err(reason), ..
            }) = valuation
            {
                sink.errors.push("customers[].clv", reason);
            }
            for c in customers {
                let i = sink.listed.count;
                let mut figure = |name: &str, r: Result<f64, String>| {
                    customer_figure(sink.errors, sink.customer_errors, i, name, r)
                };
                let p_alive = figure(
                    "p_alive",
                    f.params
                        .probability_alive(&c.history)
                        .map_err(|e| e.to_string()),
                );
                let e = figure(
                    "expected_purchases",
                    f.params
                        .conditional_expected_purchases(&c.history, horizon)
                        .map_err(|e| e.to_string()),
                );
                let mut row = json!({
                    "customer_id": c.id,
                    "p_alive": p_alive,
                    "expected_purchases": e,
                });
                if let Some(v) = valuation {
                    let (average, clv) = match &v.spend {
                        Ok(gg) => {
                            // A customer without repeat purchases (or whose
                            // mean spend is not above 0) gets the
                            // population's mean, as the model defines it.
                            let average = match c.value {
                                Some(m) if c.history.frequency() > 0 => {
                                    gg.conditional_expected_average_value(c.history.frequency(), m)
                                }
                                _ => gg.expected_average_value(),
                            };
                            let average = average.map_err(|e| e.to_string());
                            let clv = average
                                .clone()
                                .and_then(|a| value(&f.params, &c.history, a, v));
                            let average = figure("expected_average_value", average);
                            let clv =
                                customer_money(sink.errors, sink.customer_errors, i, "clv", clv);
                            (average, clv)
                        }
                        Err(_) => (Value::Null, Value::Null),
                    };
                    row["expected_average_value"] = average;
                    row["clv"] = clv;
                }
                sink.listed.push(&row);
            }
            Some(f.params)
        }
        Err(e) => {
            for key in ["params", "standard_errors", "log_likelihood"] {
                sink.errors.push(key, &e);
                sink.out.insert(key.into(), Value::Null);
            }
            None
        }
    }
}

/// Frequencies listed one by one in the holdout table before `k+`
/// (`lifetimes`' plot's default).
const HOLDOUT_FREQUENCIES: u64 = 7;

/// Recency buckets of the holdout table.
const HOLDOUT_RECENCY_BUCKETS: u64 = 10;

/// The holdout table of a fitted model as JSON, or why there is none.
fn holdout<M: PurchaseModel<History = History>>(
    model: Option<&M>,
    customers: &[CalibrationHoldout<String>],
) -> Result<Value, String> {
    let m = model.ok_or("the model could not be fitted on the calibration period")?;
    let usable: Vec<CalibrationHoldout<String>> = customers
        .iter()
        .filter(|c| c.calibration.history().is_ok())
        .cloned()
        .collect();
    holdout_table(m, &usable, HOLDOUT_FREQUENCIES, HOLDOUT_RECENCY_BUCKETS)
        .map_err(|e| e.to_string())
        .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
}

/// One customer's discounted value over the horizon.
fn value<M: PurchaseModel<History = History>>(
    model: &M,
    h: &History,
    average: f64,
    v: &Valuation,
) -> Result<Money, String> {
    let amount = Decimal::try_from(average)
        .map_err(|_| format!("the mean value {average} does not fit a decimal"))?;
    let per_purchase = Money::new(amount, v.currency);
    match &v.discounting {
        None => Ok(Money::zero(v.currency)),
        Some(d) => discounted_clv(model, h, per_purchase, d)
            .map(|c| c.clv)
            .map_err(|e| e.to_string()),
    }
}

/// One customer's money figure, or `null` with its reason, as
/// [`customer_figure`].
fn customer_money(
    errors: &mut Errors,
    count: &mut usize,
    index: usize,
    name: &str,
    r: Result<Money, String>,
) -> Value {
    match r {
        Ok(m) => serde_json::to_value(m).unwrap_or(Value::Null),
        Err(reason) => {
            if *count < REJECTED_LISTED {
                errors.push(&format!("customers[{index}].{name}"), reason);
            }
            *count += 1;
            Value::Null
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
    r: Result<f64, String>,
) -> Value {
    let reason = match r {
        Ok(v) if v.is_finite() => return json!(v),
        Ok(v) => format!("{name}: {v} is not a finite number"),
        Err(e) => e,
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

pub fn run(args: Args) {
    let model = match args.model.as_deref() {
        Some("bgnbd" | "bg_nbd") => "bgnbd",
        Some("gamma_gamma") => "gamma_gamma",
        Some("mbg_nbd" | "mbgnbd") => "mbg_nbd",
        Some("pareto_nbd" | "paretonbd") => "pareto_nbd",
        Some("sbg") => "sbg",
        Some("bgbb" | "bg_bb") => "bgbb",
        Some(m) => match m.to_ascii_lowercase().as_str() {
            "bgnbd" | "bg_nbd" => "bgnbd",
            "gamma_gamma" => "gamma_gamma",
            "mbg_nbd" | "mbgnbd" => "mbg_nbd",
            "pareto_nbd" | "paretonbd" => "pareto_nbd",
            "sbg" => "sbg",
            "bgbb" | "bg_bb" => "bgbb",
            _ => usage_error(
                TOOL,
                USAGE,
                &format!(
                    "--model: unknown model {m:?} (bgnbd, mbg_nbd, pareto_nbd, gamma_gamma, sbg or bgbb)"
                ),
            ),
        },
        None => "bgnbd",
    };
    if model == "bgbb" {
        if args.input.as_deref().is_some_and(|i| i != "rfm") {
            usage_error(
                TOOL,
                USAGE,
                "--input: bgbb reads customer_id,frequency,recency,n[,count]",
            );
        }
        return crate::clv_bgbb::run(crate::clv_bgbb::BgBbArgs {
            file: &args.file,
            horizon: args.horizon.as_deref(),
            format: args.output.format(),
        });
    }
    if model == "sbg" {
        return crate::clv_sbg::run(crate::clv_sbg::SbgArgs {
            file: &args.file,
            input: args.input.as_deref(),
            horizon: args.horizon.as_deref(),
            discount_rate: args.discount_rate.as_deref(),
            period: args.period.as_deref(),
            observation_end: args.observation_end.as_deref(),
            format: args.output.format(),
        });
    }
    let horizon: f64 =
        parsed(TOOL, USAGE, "horizon", args.horizon.as_deref()).unwrap_or(DEFAULT_HORIZON);
    if !(horizon.is_finite() && horizon >= 0.0) {
        usage_error(TOOL, USAGE, "--horizon must be a time of at least 0");
    }
    let margin = match args.margin.as_deref() {
        None => Ratio::ONE,
        Some(m) => Decimal::from_str_exact(m.trim())
            .ok()
            .and_then(|d| Ratio::new(d).ok())
            .unwrap_or_else(|| {
                usage_error(
                    TOOL,
                    USAGE,
                    &format!("--margin: {m:?} is not a share from 0 to 1"),
                )
            }),
    };
    let discount_rate: f64 =
        parsed(TOOL, USAGE, "discount-rate", args.discount_rate.as_deref()).unwrap_or(0.0);
    if !(discount_rate.is_finite() && discount_rate > -1.0) {
        usage_error(TOOL, USAGE, "--discount-rate must be a number above -1");
    }
    let currency = match args.currency.as_deref().map(Currency::from_code) {
        None => Currency::USD,
        Some(Ok(c)) => c,
        Some(Err(e)) => usage_error(TOOL, USAGE, &format!("--currency: {e}")),
    };
    let period: PeriodLength = match args.period.as_deref().map(str::parse) {
        None => PeriodLength::Day,
        Some(Ok(p)) => p,
        Some(Err(e)) => usage_error(TOOL, USAGE, &format!("--period: {e}")),
    };
    let observation_end: Option<NaiveDate> = args.observation_end.as_deref().map(|d| {
        NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
            usage_error(
                TOOL,
                USAGE,
                &format!("--observation-end: {d:?} is not YYYY-MM-DD"),
            )
        })
    });
    let gamma_gamma = model == "gamma_gamma";
    let transactions = match args.input.as_deref().unwrap_or("rfm") {
        "rfm" => false,
        "transactions" => true,
        other => usage_error(TOOL, USAGE, &format!("--input: unknown input {other:?}")),
    };
    let calibration_end: Option<NaiveDate> = args.calibration_end.as_deref().map(|d| {
        if !transactions || gamma_gamma {
            usage_error(
                TOOL,
                USAGE,
                "--calibration-end needs --input transactions and a purchase model",
            );
        }
        let c = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
            usage_error(
                TOOL,
                USAGE,
                &format!("--calibration-end: {d:?} is not YYYY-MM-DD"),
            )
        });
        if observation_end.is_some_and(|o| c > o) {
            usage_error(TOOL, USAGE, "--calibration-end is after --observation-end");
        }
        c
    });
    // Calibration customers with their holdout, with --calibration-end.
    let mut holdouts: Vec<CalibrationHoldout<String>> = Vec::new();
    let mut holdout_error: Option<String> = None;
    let mut resolved_end: Option<NaiveDate> = None;
    // Spend is known from transactions, or from a monetary_value column.
    let has_spend = transactions
        || header_names(TOOL, &args.file)
            .iter()
            .any(|h| h == "monetary_value");
    let mut bad_spend = 0usize;

    let started = Instant::now();
    let mut rejects = Rejects::default();
    // Transactions dated after the observation end (left out of the
    // summary), and customers with repeat purchases whose mean value is
    // not above 0 (left out of the Gamma-Gamma fit).
    let mut after_end = 0usize;
    let mut excluded_from_spend_fit = 0usize;
    let mut customers: Vec<Customer> = Vec::new();
    let rows = match transactions {
        false => {
            let mut wanted = vec!["customer_id", "frequency", "recency", "T"];
            if gamma_gamma || has_spend {
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
                } else if has_spend && x > 0 {
                    // Beside a purchase model, a customer whose spend
                    // cannot be used is still fitted for purchases, and
                    // left out of the spend fit (counted).
                    match f[4].parse::<f64>() {
                        Ok(m) if m.is_finite() && m > 0.0 => Some(m),
                        _ => {
                            bad_spend += 1;
                            None
                        }
                    }
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
        true => {
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
            resolved_end = Some(end);
            let split = calibration_end.map(|c| {
                if c > end {
                    return Err(format!(
                        "the calibration ends ({c}) after the observation ({end})"
                    ));
                }
                calibration_and_holdout(&tx, period, c, end, currency)
                    .map(|(list, _)| list)
                    .map_err(|e| e.to_string())
            });
            let calibrated = match split {
                Some(Ok(list)) => {
                    holdouts = list;
                    Some(holdouts.iter().map(|h| h.calibration.clone()).collect())
                }
                Some(Err(e)) => {
                    holdout_error = Some(e);
                    None
                }
                None => None,
            };
            let summarized = match calibrated.map_or_else(
                || summarize(&tx, period, end, currency).map(|s| s.customers),
                Ok,
            ) {
                Ok(s) => s,
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
    let format = args.output.format();
    let mut listed = Customers::start(format);
    let mut customer_errors = 0usize;
    let mut extra: HashMap<&str, Value> = HashMap::new();
    // The customers whose spend the Gamma-Gamma model is fitted to.
    let spends: Vec<(usize, Spend)> = if gamma_gamma || has_spend {
        customers
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
            .collect()
    } else {
        Vec::new()
    };
    excluded_from_spend_fit += bad_spend;
    let only: Vec<Spend> = spends.iter().map(|s| s.1).collect();
    let spend_fit =
        (gamma_gamma || has_spend).then(|| GammaGamma::fit(&only, &FitOptions::default()));
    if gamma_gamma {
        let fit_ms = ms(fit_started);
        extra.insert("fit_ms", fit_ms);
        extra.insert("customers_fitted", json!(only.len()));
        out.insert(
            "frequency_value_correlation".into(),
            json!(frequency_value_correlation(&only)),
        );
        match spend_fit {
            Some(Ok(f)) => {
                out.insert("params".into(), as_object(&f.params.params()));
                out.insert(
                    "standard_errors".into(),
                    as_object(&f.standard_errors.params()),
                );
                out.insert("log_likelihood".into(), json!(f.log_likelihood));
                for (i, s) in &spends {
                    let e = f
                        .params
                        .conditional_expected_average_value(s.frequency(), s.mean_value())
                        .map_err(|e| e.to_string());
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
            Some(Err(e)) => {
                for key in ["params", "standard_errors", "log_likelihood"] {
                    errors.push(key, &e);
                    out.insert(key.into(), Value::Null);
                }
            }
            None => {}
        }
    } else {
        out.insert("horizon".into(), json!(horizon));
        let valuation = match spend_fit {
            None => None,
            Some(fit) => {
                let spend = match fit {
                    Ok(f) => {
                        out.insert("spend_params".into(), as_object(&f.params.params()));
                        out.insert(
                            "spend_standard_errors".into(),
                            as_object(&f.standard_errors.params()),
                        );
                        out.insert("spend_log_likelihood".into(), json!(f.log_likelihood));
                        Ok(f.params)
                    }
                    Err(e) => {
                        for key in [
                            "spend_params",
                            "spend_standard_errors",
                            "spend_log_likelihood",
                        ] {
                            errors.push(key, &e);
                            out.insert(key.into(), Value::Null);
                        }
                        Err(format!("the spend model could not be fitted: {e}"))
                    }
                };
                out.insert(
                    "valuation".into(),
                    json!({
                        "margin": margin,
                        "discount_rate": discount_rate,
                        "currency": currency.code(),
                    }),
                );
                Some(Valuation {
                    spend,
                    discounting: discounting(horizon, discount_rate, margin),
                    currency,
                })
            }
        };
        // The model is chosen at run time; everything after is the one
        // generic path of `PurchaseModel`.
        let mut sink = Sink {
            out: &mut out,
            errors: &mut errors,
            listed: &mut listed,
            customer_errors: &mut customer_errors,
        };
        let v = valuation.as_ref();
        let table = match model {
            "pareto_nbd" => {
                let m = purchase_model::<ParetoNbd>(&customers, horizon, v, &mut sink);
                holdout(m.as_ref(), &holdouts)
            }
            "mbg_nbd" => {
                let m = purchase_model::<MbgNbd>(&customers, horizon, v, &mut sink);
                holdout(m.as_ref(), &holdouts)
            }
            _ => {
                let m = purchase_model::<BgNbd>(&customers, horizon, v, &mut sink);
                holdout(m.as_ref(), &holdouts)
            }
        };
        if let Some(c) = calibration_end {
            let table = match holdout_error.take() {
                Some(e) => Err(e),
                None => table,
            };
            let table = table.unwrap_or_else(|e| {
                errors.push("holdout.table", e);
                Value::Null
            });
            out.insert(
                "holdout".into(),
                json!({
                    "calibration_end": c,
                    "observation_end": resolved_end,
                    "table": table,
                }),
            );
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

/// The periods of the horizon for the discounting: whole periods of the
/// file's time unit (a fractional horizon is split into equal parts), at
/// most `Discounting::MAX_PERIODS`. Without a discount the split does not
/// change the value (the periods' expected purchases add up to the
/// horizon's), so the horizon is one period: one prediction per customer.
/// `None` for a horizon of 0.
fn discounting(horizon: f64, rate: f64, margin: Ratio) -> Option<Discounting> {
    if horizon <= 0.0 {
        return None;
    }
    let whole = if rate == 0.0 { 1.0 } else { horizon.ceil() };
    let max = f64::from(Discounting::MAX_PERIODS);
    if whole > max && rate != 0.0 {
        usage_error(
            TOOL,
            USAGE,
            &format!(
                "--discount-rate applies per period: a horizon of at most {} periods",
                Discounting::MAX_PERIODS
            ),
        );
    }
    let periods = whole.min(max) as u32;
    let d = Discounting {
        periods,
        units_per_period: horizon / f64::from(periods),
        discount_rate: rate,
        margin,
    };
    Some(d)
}

/// The report written as it is computed. In JSON the `customers` array
/// goes out one customer at a time (so a large file's predictions are
/// never all held), then the other keys: `customers` sorts first among
/// the report's keys, so the text is what printing the whole report at
/// once gives. In CSV each customer is a row as it comes. A table is
/// aligned, so it is printed at the end. A closed stdout ends the run
/// quietly.
struct Customers {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    format: Format,
    count: usize,
    /// The customers, for a table.
    held: Vec<Value>,
}

impl Customers {
    fn start(format: Format) -> Customers {
        let mut c = Customers {
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            format,
            count: 0,
            held: Vec::new(),
        };
        if format == Format::Json {
            c.write("{\n  \"customers\": [");
        }
        c
    }

    fn write(&mut self, text: &str) {
        use std::io::Write;
        if self.out.write_all(text.as_bytes()).is_err() {
            std::process::exit(0); // stdout closed: nobody reads on
        }
    }

    fn push(&mut self, customer: &Value) {
        match self.format {
            Format::Json => {
                let text = serde_json::to_string_pretty(customer).unwrap_or_default();
                let sep = if self.count == 0 { "\n" } else { ",\n" };
                self.write(sep);
                let body: Vec<String> = text.lines().map(|l| format!("    {l}")).collect();
                self.write(&body.join("\n"));
            }
            Format::Csv => {
                let mut t = customer_table(customer);
                t.row(customer_cells(customer));
                let mut text = String::new();
                t.csv_into(&mut text, self.count == 0);
                self.write(&text);
            }
            Format::Table => self.held.push(customer.clone()),
        }
        self.count += 1;
    }

    fn finish(mut self, rest: serde_json::Map<String, Value>) {
        use std::io::Write;
        match self.format {
            Format::Json => {
                self.write(if self.count == 0 { "]" } else { "\n  ]" });
                let text = serde_json::to_string_pretty(&Value::Object(rest)).unwrap_or_default();
                // `{` and its line end, replaced by the separator after customers.
                let tail = text.strip_prefix("{\n").unwrap_or("}");
                self.write(",\n");
                self.write(tail);
                self.write("\n");
            }
            Format::Csv => {}
            Format::Table => {
                let mut doc = rest;
                doc.insert(
                    "customers".into(),
                    Value::Array(std::mem::take(&mut self.held)),
                );
                if self.out.flush().is_err() {
                    std::process::exit(0);
                }
                emit(Format::Table, &Value::Object(doc), view);
            }
        }
        if self.out.flush().is_err() {
            std::process::exit(0);
        }
    }
}

/// The customers' table, its columns from a customer's keys.
fn customer_table(customer: &Value) -> Table {
    let mut head = vec![("customer_id", Align::Left)];
    for (key, _) in CUSTOMER_FIGURES {
        if customer.get(key).is_some() {
            head.push((key, Align::Right));
        }
    }
    Table::new("Customers", &head)
}

/// A customer's figures, in table order, and how each is shown.
const CUSTOMER_FIGURES: [(&str, Cell); 4] = [
    ("p_alive", |v| fixed(v, 4)),
    ("expected_purchases", |v| fixed(v, 4)),
    ("expected_average_value", |v| fixed(v, 2)),
    ("clv", money),
];

fn customer_cells(customer: &Value) -> Vec<String> {
    let mut cells = vec![plain(&customer["customer_id"])];
    for (key, cell) in CUSTOMER_FIGURES {
        if let Some(v) = customer.get(key) {
            cells.push(cell(v));
        }
    }
    cells
}

/// The fits (the main table: model, parameters) and the customers.
fn view(doc: &Value) -> View {
    let mut fits = Table::new(
        format!(
            "Lifetime value: {} customers",
            plain(&doc["stats"]["customers"])
        ),
        &[
            ("model", Align::Left),
            ("parameter", Align::Left),
            ("value", Align::Right),
            ("standard error", Align::Right),
        ],
    );
    let model = plain(&doc["model"]);
    for (name, params, se) in [
        (model.as_str(), "params", "standard_errors"),
        (
            "gamma_gamma (spend)",
            "spend_params",
            "spend_standard_errors",
        ),
    ] {
        if let Some(p) = doc[params].as_object() {
            for (k, v) in p {
                fits.row(vec![
                    name.to_string(),
                    k.clone(),
                    fixed(v, 6),
                    fixed(&doc[se][k], 6),
                ]);
            }
        }
    }
    let mut tables = vec![fits];
    let customers = doc["customers"].as_array();
    if let Some(first) = customers.and_then(|c| c.first()) {
        let mut t = customer_table(first);
        for c in customers.into_iter().flatten() {
            t.row(customer_cells(c));
        }
        tables.push(t);
    }
    let holdout = &doc["holdout"];
    for (key, what) in [("by_frequency", "frequency"), ("by_recency", "recency")] {
        let Some(rows) = holdout["table"][key].as_array() else {
            continue;
        };
        let mut t = Table::new(
            format!(
                "Holdout after {} to {}: by calibration {what}",
                plain(&holdout["calibration_end"]),
                plain(&holdout["observation_end"])
            ),
            &[
                (what, Align::Right),
                ("customers", Align::Right),
                ("mean predicted", Align::Right),
                ("mean actual", Align::Right),
            ],
        );
        for r in rows {
            let group = match (r["from"].as_u64(), r["to"].as_u64()) {
                (Some(f), Some(t)) if f == t => f.to_string(),
                (Some(f), Some(t)) => format!("{f}-{t}"),
                (Some(f), None) => format!("{f}+"),
                _ => "-".into(),
            };
            t.row(vec![
                group,
                plain(&r["customers"]),
                fixed(&r["mean_predicted"], 3),
                fixed(&r["mean_actual"], 3),
            ]);
        }
        tables.push(t);
    }
    let mut v = View::new(tables);
    if let Some(h) = doc["horizon"].as_f64() {
        v.notes
            .push(format!("horizon: {h} periods of the file's time unit"));
    }
    v.envelope_notes(doc)
}
