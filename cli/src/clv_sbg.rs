//! `revops clv --model sbg`: the shifted-beta-geometric model of a
//! subscription business's renewals (`revops::clv::Sbg`), from a cohort's
//! survival table, per-customer renewal counts, or subscriptions.

use std::time::Instant;

use revops::clv::{FitOptions, Renewals, Sbg};
use revops::quantity::Month;
use revops::NaiveDate;
use serde_json::{json, Value};

use crate::common::{envelope, ms_since, parsed, read_csv, usage_error, Errors, Rejects};
use crate::output::{emit, fixed, plain, Align, Format, Table, View};

const TOOL: &str = "clv";
const USAGE: &str = "clv FILE.csv --model sbg [--input survival|renewals|subscriptions] [--period day|week|month|year] [--observation-end YYYY-MM-DD] [--horizon N] [--discount-rate R] [--format json|table|csv]";

/// The horizon when none is given, in periods.
const DEFAULT_HORIZON: u64 = 10;

/// The most periods printed.
const MAX_HORIZON: u64 = 1_200;

/// What `revops clv` passes on for `--model sbg`.
pub struct SbgArgs<'a> {
    pub file: &'a str,
    pub input: Option<&'a str>,
    pub horizon: Option<&'a str>,
    pub discount_rate: Option<&'a str>,
    pub period: Option<&'a str>,
    pub observation_end: Option<&'a str>,
    pub format: Format,
}

/// A subscription period: days, or months.
#[derive(Clone, Copy)]
enum Every {
    Days(i64),
    Months(i32),
}

/// How many periods of a subscription from `start` begin before `end`
/// (`inclusive`: on or before it), at least 1 when `end` is after
/// `start`.
fn periods(start: NaiveDate, end: NaiveDate, every: Every, inclusive: bool) -> u64 {
    match every {
        Every::Days(p) => {
            let days = (end - start).num_days();
            let last = if inclusive { days } else { days - 1 };
            (last.div_euclid(p) + 1).max(0) as u64
        }
        Every::Months(p) => {
            let (ms, me) = (Month::of(start), Month::of(end));
            let months = me.index() - ms.index();
            let day = |d: NaiveDate, m: Month| (d - m.first_day()).num_days();
            let len = me
                .next()
                .map_or(31, |n| (n.first_day() - me.first_day()).num_days());
            // `start + months` falls on `start`'s day, or the last day of a
            // shorter month.
            let (ds, de) = (day(start, ms).min(len - 1), day(end, me));
            let fits = if inclusive { ds <= de } else { ds < de };
            let whole = if fits { months } else { months - 1 };
            (i64::from(whole).div_euclid(i64::from(p)) + 1).max(0) as u64
        }
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Runs `revops clv --model sbg`.
pub fn run(a: SbgArgs) {
    let horizon: u64 = parsed(TOOL, USAGE, "horizon", a.horizon).unwrap_or(DEFAULT_HORIZON);
    if horizon > MAX_HORIZON {
        usage_error(TOOL, USAGE, "--horizon: at most 1200 periods for sbg");
    }
    let discount: Option<f64> = parsed(TOOL, USAGE, "discount-rate", a.discount_rate);
    if discount.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
        usage_error(TOOL, USAGE, "--discount-rate must be above 0 for sbg");
    }
    let every = match a.period.unwrap_or("month") {
        "day" => Every::Days(1),
        "week" => Every::Days(7),
        "month" => Every::Months(1),
        "year" => Every::Months(12),
        other => usage_error(
            TOOL,
            USAGE,
            &format!("--period: {other:?} is not day, week, month or year"),
        ),
    };
    let observation_end = a.observation_end.map(|d| {
        date(d.trim()).unwrap_or_else(|| {
            usage_error(
                TOOL,
                USAGE,
                &format!("--observation-end: {d:?} is not YYYY-MM-DD"),
            )
        })
    });
    let input = a.input.unwrap_or("survival");
    let mut rejects = Rejects::default();
    let mut errors = Errors::default();
    let mut unusable = false;
    let mut data = Renewals::new();
    let read = match input {
        "survival" => {
            let mut active: std::collections::BTreeMap<u64, u64> = Default::default();
            let read = read_csv(
                TOOL,
                USAGE,
                a.file,
                &["period", "active"],
                &mut rejects,
                |_, f| {
                    let t: u64 = f[0].parse().map_err(|_| "period is not a whole number")?;
                    let n: u64 = f[1].parse().map_err(|_| "active is not a whole number")?;
                    if active.insert(t, n).is_some() {
                        return Err("the period is repeated".into());
                    }
                    Ok(())
                },
            );
            let counts: Vec<u64> = active.values().copied().collect();
            let contiguous = active.keys().copied().eq(0..active.len() as u64);
            match (contiguous, Renewals::from_survival(&counts)) {
                (false, _) => {
                    unusable = true;
                    errors.push(
                        "params",
                        "the survival table needs every period from 0 to its last, once",
                    )
                }
                (true, Ok(r)) => data = r,
                (true, Err(e)) => {
                    unusable = true;
                    errors.push("params", e)
                }
            }
            read
        }
        "renewals" => read_csv(
            TOOL,
            USAGE,
            a.file,
            &["customer_id", "periods", "churned"],
            &mut rejects,
            |_, f| {
                if f[0].is_empty() {
                    return Err("customer_id is empty".into());
                }
                let k: u64 = f[1]
                    .parse()
                    .ok()
                    .filter(|&k| k >= 1)
                    .ok_or("periods is not a whole number of at least 1")?;
                let churned = match f[2].to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err("churned is not true or false".into()),
                };
                let added = if churned {
                    data.add_churned(k, 1)
                } else {
                    data.add_active(k, 1)
                };
                added.map_err(|e| e.to_string())
            },
        ),
        "subscriptions" => {
            let mut subs: Vec<(u64, NaiveDate, Option<NaiveDate>)> = Vec::new();
            let read = read_csv(
                TOOL,
                USAGE,
                a.file,
                &["customer_id", "start", "end"],
                &mut rejects,
                |line, f| {
                    if f[0].is_empty() {
                        return Err("customer_id is empty".into());
                    }
                    let start = date(f[1]).ok_or("start is not YYYY-MM-DD")?;
                    let end = match f[2] {
                        "" => None,
                        e => Some(date(e).ok_or("end is not YYYY-MM-DD")?),
                    };
                    if end.is_some_and(|e| e <= start) {
                        return Err("end is not after start".into());
                    }
                    subs.push((line, start, end));
                    Ok(())
                },
            );
            let last = subs.iter().map(|s| s.2.unwrap_or(s.1).max(s.1)).max();
            let obs = observation_end.or(last);
            for (line, start, end) in subs {
                let Some(obs) = obs else { break };
                if start > obs {
                    rejects.push(line, "start is after the observation end");
                    continue;
                }
                let added = match end {
                    Some(e) if e <= obs => data.add_churned(periods(start, e, every, false), 1),
                    _ => data.add_active(periods(start, obs, every, true), 1),
                };
                if let Err(e) = added {
                    rejects.push(line, e.to_string());
                }
            }
            read
        }
        other => usage_error(
            TOOL,
            USAGE,
            &format!("--input: {other:?} is not survival, renewals or subscriptions for sbg"),
        ),
    };
    let parse_ms = ms_since(read.started);
    let started = Instant::now();
    let mut out = serde_json::Map::new();
    out.insert("model".into(), json!("sbg"));
    let fit = if !unusable {
        match Sbg::fit(&data, &FitOptions::default()) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push("params", e);
                None
            }
        }
    } else {
        None
    };
    match &fit {
        Some(f) => {
            let named = |m: &Sbg| json!({"alpha": m.params()[0], "beta": m.params()[1]});
            out.insert("params".into(), named(&f.params));
            out.insert("standard_errors".into(), named(&f.standard_errors));
            out.insert("log_likelihood".into(), json!(f.log_likelihood));
            let m = f.params;
            out.insert(
                "survival".into(),
                json!((0..=horizon).map(|t| m.survival(t)).collect::<Vec<f64>>()),
            );
            out.insert(
                "retention".into(),
                json!((1..=horizon)
                    .map(|t| m.retention_rate(t).ok())
                    .collect::<Vec<Option<f64>>>()),
            );
            match m.expected_lifetime() {
                Ok(l) => out.insert("expected_lifetime".into(), json!(l)),
                Err(e) => {
                    errors.push("expected_lifetime", e);
                    out.insert("expected_lifetime".into(), Value::Null)
                }
            };
            if let Some(d) = discount {
                let mut rows = Vec::new();
                for k in 0..=horizon {
                    match m.discounted_residual_lifetime(k, d) {
                        Ok(x) => rows.push(json!({"renewals": k, "derl": x})),
                        Err(e) => {
                            errors.push(&format!("derl[{k}]"), e);
                            rows.push(json!({"renewals": k, "derl": null}));
                        }
                    }
                }
                out.insert("derl".into(), json!(rows));
            }
        }
        None => {
            for key in [
                "params",
                "standard_errors",
                "log_likelihood",
                "survival",
                "retention",
                "expected_lifetime",
            ] {
                out.insert(key.into(), Value::Null);
            }
        }
    }
    let fit_ms = ms_since(started);
    envelope(
        &mut out,
        &errors,
        &rejects,
        read.rows,
        json!({
            "customers": data.customers(),
            "parse_ms": parse_ms,
            "fit_ms": fit_ms,
        }),
    );
    emit(a.format, &Value::Object(out), view);
}

/// The projection by period (the main table), then the parameters.
fn view(doc: &Value) -> View {
    let mut t = Table::new(
        "sBG projection: share still active, and the renewal rate",
        &[
            ("period", Align::Right),
            ("survival", Align::Right),
            ("retention", Align::Right),
            ("DERL", Align::Right),
        ],
    );
    let survival = doc["survival"].as_array().cloned().unwrap_or_default();
    for (k, s) in survival.iter().enumerate() {
        let r = if k == 0 {
            Value::Null
        } else {
            doc["retention"][k - 1].clone()
        };
        t.row(vec![
            k.to_string(),
            fixed(s, 4),
            fixed(&r, 4),
            fixed(&doc["derl"][k]["derl"], 3),
        ]);
    }
    let mut p = Table::new(
        format!("sBG fit: {} customers", plain(&doc["stats"]["customers"])),
        &[
            ("figure", Align::Left),
            ("value", Align::Right),
            ("std. error", Align::Right),
        ],
    );
    for name in ["alpha", "beta"] {
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
    p.row(vec![
        "expected lifetime (periods)".into(),
        fixed(&doc["expected_lifetime"], 3),
        String::new(),
    ]);
    View::new(vec![t, p]).envelope_notes(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_begun_before_and_on_a_date() {
        let month = Every::Months(1);
        // Billed January 1 and February 1; March 1 is the first day not.
        assert_eq!(periods(d(2026, 1, 1), d(2026, 3, 1), month, false), 2);
        // Still active on March 1: in the third period.
        assert_eq!(periods(d(2026, 1, 1), d(2026, 3, 1), month, true), 3);
        // A month-end start renews on the last day of shorter months.
        assert_eq!(periods(d(2026, 1, 31), d(2026, 2, 28), month, true), 2);
        assert_eq!(periods(d(2026, 1, 31), d(2026, 2, 27), month, true), 1);
        assert_eq!(periods(d(2026, 1, 31), d(2026, 3, 1), month, false), 2);
        assert_eq!(periods(d(2026, 1, 15), d(2026, 1, 16), month, false), 1);
        let year = Every::Months(12);
        assert_eq!(periods(d(2024, 1, 15), d(2025, 1, 15), year, false), 1);
        assert_eq!(periods(d(2024, 1, 15), d(2025, 1, 15), year, true), 2);
        assert_eq!(periods(d(2024, 1, 15), d(2025, 1, 14), year, true), 1);
        let week = Every::Days(7);
        assert_eq!(periods(d(2026, 1, 1), d(2026, 1, 15), week, false), 2);
        assert_eq!(periods(d(2026, 1, 1), d(2026, 1, 15), week, true), 3);
        assert_eq!(
            periods(d(2026, 1, 1), d(2026, 1, 1), Every::Days(1), true),
            1
        );
    }
}
