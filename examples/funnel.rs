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

use std::time::Instant;

use common::{ms_since, print_json, usage_error, Args, Errors, Rejects};
use revops::csv::{read_events, ReadOptions};
use revops::funnel::{analyze, FunnelSpec, Modes, Options, MAX_STEPS};
use revops::TimeDelta;
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
    let (mut events, channels) = (read.events, read.channels);

    let started = Instant::now();
    let mut errors = Errors::default();
    // Both cores, as ClickHouse uses two threads here; the result is the
    // same as `analyze`'s on one. The events are not needed afterwards, so
    // the analysis moves them in place instead of copying them into
    // memory of its own.
    let report = analyze(&spec, &mut events, &channels, Options::threads(2));
    let analyse_ms = ms_since(started);
    // The library's own report, in the tools' envelope.
    let (mut out, events_n, users) = match &report {
        Ok(report) => (
            match serde_json::to_value(report) {
                Ok(Value::Object(o)) => o,
                _ => serde_json::Map::new(),
            },
            json!(report.events),
            json!(report.users_seen),
        ),
        Err(e) => {
            errors.push("steps", e);
            let mut o = serde_json::Map::new();
            for key in ["steps", "by_channel", "ignored", "events", "users_seen"] {
                o.insert(key.into(), Value::Null);
            }
            (o, Value::Null, Value::Null)
        }
    };
    out.insert("schema_version".into(), json!(1));
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), rejects.to_json());
    out.insert(
        "stats".into(),
        json!({
            "rows": read.rows,
            "events": events_n,
            "users": users,
            "rejected_rows": rejects.total(),
            "rejected_by_reason": rejects.by_reason_json(),
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        }),
    );
    print_json(&Value::Object(out));
}
