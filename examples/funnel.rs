//! Funnel analysis of a CSV of events, printed as JSON.
//!
//! ```text
//! cargo run --example funnel -- tests/data/funnel.csv --window 604800 --mode strict_order
//! ```
//!
//! Input header: `user_id,ts,step,channel` (`ts` in Unix seconds, `step` a
//! 0-based step index). Flags: `--steps N` (default: the highest step + 1;
//! events with a step at or above N match no step), `--window SECONDS`
//! (default 604800), `--mode NAME` (repeatable: `strict_deduplication`,
//! `strict_order`, `strict_increase`, `strict_once`, `allow_reentry`).
//! Output follows `examples/README.md`.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::TimeDelta;
use common::{ms_since, print_json, usage_error, Args, Errors, Rejects};
use revops::csv::{read_events, ReadOptions};
use revops::funnel::{analyze, FunnelSpec, Modes, StepReport, TimeStats, MAX_STEPS};
use serde_json::{json, Value};

const TOOL: &str = "funnel";
const USAGE: &str = "funnel FILE.csv [--steps N] [--window SECONDS] [--mode NAME]...";

fn main() {
    let args = Args::parse(TOOL, USAGE, &["steps", "window", "mode"]);
    let window_secs: i64 = args.parsed(TOOL, USAGE, "window").unwrap_or(604_800);
    if window_secs < 0 {
        usage_error(TOOL, USAGE, "--window must not be negative");
    }
    let Some(window) = TimeDelta::try_seconds(window_secs) else {
        usage_error(
            TOOL,
            USAGE,
            &format!("--window {window_secs} is longer than a duration can hold"),
        )
    };
    let mut modes = Modes::default();
    for m in args.all("mode") {
        if let Err(e) = modes.set(m) {
            usage_error(TOOL, USAGE, &format!("--mode: {e}"));
        }
    }
    let steps_flag: Option<u64> = args.parsed(TOOL, USAGE, "steps");
    if let Some(n) = steps_flag {
        if n == 0 || n > MAX_STEPS as u64 {
            usage_error(
                TOOL,
                USAGE,
                &format!("--steps: a funnel has 1 to {MAX_STEPS} steps, not {n}"),
            );
        }
    }

    // The library's reader (feature `csv`): streaming, byte-level, on both
    // cores where the file allows.
    let started = Instant::now();
    let file = std::fs::File::open(&args.file).unwrap_or_else(|e| {
        eprintln!("{TOOL}: cannot read {}: {e}", args.file);
        std::process::exit(1)
    });
    let options = ReadOptions {
        steps: steps_flag.map(|n| n as usize),
        size_hint: file.metadata().ok().map(|m| m.len()),
        ..ReadOptions::default()
    };
    let read = match read_events(file, &options) {
        Ok(r) => r,
        Err(revops::Error::InvalidInput { reason, .. }) => {
            usage_error(TOOL, USAGE, &format!("{}: {reason}", args.file))
        }
        Err(e) => {
            eprintln!("{TOOL}: cannot read {}: {e}", args.file);
            std::process::exit(1)
        }
    };
    let parse_ms = ms_since(started);
    let rejects = Rejects::from_library(&read.rejects);
    // Without --steps the steps come from the data (every kept step is
    // below 32); with it, steps at or above N were read as 255.
    let steps = steps_flag.unwrap_or_else(|| read.max_step.map_or(1, |m| u64::from(m) + 1));
    let spec = FunnelSpec::new(steps as usize, window)
        .and_then(|s| s.with_modes(modes))
        .unwrap_or_else(|e| usage_error(TOOL, USAGE, &e.to_string()));
    let (events, channels) = (read.events, read.channels);

    let started = Instant::now();
    let mut errors = Errors::default();
    let report = analyze(&spec, &events, &channels);
    let analyse_ms = ms_since(started);
    let (steps_json_v, by_channel, ignored, events_n, users) = match &report {
        Ok(report) => {
            let by_channel: BTreeMap<&String, Value> = report
                .by_channel
                .iter()
                .map(|(name, steps)| (name, json!({"steps": steps_json(steps)})))
                .collect();
            (
                steps_json(&report.steps),
                json!(by_channel),
                json!(report.ignored),
                json!(report.events),
                json!(report.users_seen),
            )
        }
        Err(e) => {
            errors.push("steps", e);
            (
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            )
        }
    };
    print_json(&json!({
        "schema_version": 1,
        "steps": steps_json_v,
        "by_channel": by_channel,
        "ignored": ignored,
        "errors": errors.to_json(),
        "rejected": rejects.to_json(),
        "stats": {
            "rows": read.rows,
            "events": events_n,
            "users": users,
            "rejected_rows": rejects.total(),
            "rejected_by_reason": rejects.by_reason_json(),
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        },
    }));
}

fn steps_json(steps: &[StepReport]) -> Value {
    let stat = |t: &Option<TimeStats>, f: fn(&TimeStats) -> String| t.as_ref().map(f);
    Value::Array(
        steps
            .iter()
            .map(|s| {
                json!({
                    "step": s.step,
                    "users": s.users,
                    "conversion_from_previous": s.conversion_from_previous.map(|r| r.value().to_string()),
                    "conversion_from_first": s.conversion_from_first.map(|r| r.value().to_string()),
                    "drop_off": s.drop_off,
                    "mean_seconds_from_previous": stat(&s.time_from_previous, |t| t.mean_seconds.to_string()),
                    "median_seconds_from_previous": stat(&s.time_from_previous, |t| t.median_seconds.to_string()),
                    "p90_seconds_from_previous": stat(&s.time_from_previous, |t| t.p90_seconds.to_string()),
                    "mean_seconds_from_first": stat(&s.time_from_first, |t| t.mean_seconds.to_string()),
                    "median_seconds_from_first": stat(&s.time_from_first, |t| t.median_seconds.to_string()),
                    "p90_seconds_from_first": stat(&s.time_from_first, |t| t.p90_seconds.to_string()),
                })
            })
            .collect(),
    )
}
