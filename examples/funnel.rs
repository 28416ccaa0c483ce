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
use common::{ms_since, or_exit, print_json, read_csv, usage_error, Args, Rejected};
use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Modes, StepReport, TimeStats};
use revops::journey::Channels;
use serde_json::{json, Value};

const TOOL: &str = "funnel";
const USAGE: &str = "funnel FILE.csv [--steps N] [--window SECONDS] [--mode NAME]...";

fn main() {
    let args = Args::parse(TOOL, USAGE, &["steps", "window", "mode"]);
    let window: i64 = args.parsed(TOOL, USAGE, "window").unwrap_or(604_800);
    if window < 0 {
        usage_error(TOOL, USAGE, "--window must not be negative");
    }
    let mut modes = Modes::default();
    for m in args.all("mode") {
        if let Err(e) = modes.set(m) {
            usage_error(TOOL, USAGE, &format!("--mode: {e}"));
        }
    }
    let steps_flag: Option<u64> = args.parsed(TOOL, USAGE, "steps");

    let table = read_csv(
        TOOL,
        USAGE,
        &args.file,
        &["user_id", "ts", "step", "channel"],
    );
    let unreadable = table.rejected.len();
    let mut rejected = table.rejected;
    let mut channels = Channels::new();
    let mut raw: Vec<(u64, i64, u64, revops::journey::ChannelId)> = Vec::new();
    let c = &table.columns;
    for (line, row) in &table.rows {
        let field = |i: usize| row.get(c[i]).unwrap_or("").trim();
        let parsed = (|| -> Result<_, String> {
            let user: u64 = field(0)
                .parse()
                .map_err(|_| format!("user_id {:?} is not an unsigned integer", field(0)))?;
            let ts: i64 = field(1)
                .parse()
                .map_err(|_| format!("ts {:?} is not an integer number of seconds", field(1)))?;
            let step: u64 = field(2)
                .parse()
                .map_err(|_| format!("step {:?} is not a step index", field(2)))?;
            let channel = channels.intern_str(field(3)).map_err(|e| e.to_string())?;
            Ok((user, ts, step, channel))
        })();
        match parsed {
            Ok(r) => raw.push(r),
            Err(reason) => rejected.push(Rejected {
                line: *line,
                reason,
            }),
        }
    }
    let parse_ms = ms_since(table.started);

    let highest = raw.iter().map(|r| r.2).max().map_or(1, |m| m + 1);
    let steps = steps_flag.unwrap_or(highest);
    if steps == 0 || steps > 32 {
        usage_error(
            TOOL,
            USAGE,
            &format!("a funnel has 1 to 32 steps, not {steps}"),
        );
    }
    let spec = FunnelSpec::new(steps as usize, TimeDelta::seconds(window))
        .and_then(|s| s.with_modes(modes))
        .unwrap_or_else(|e| usage_error(TOOL, USAGE, &e.to_string()));
    // Steps at or above N match no step; 255 stands for all of them.
    let events: Vec<FunnelEvent> = raw
        .iter()
        .map(|&(u, ts, step, ch)| {
            let step = if step < steps { step as u8 } else { u8::MAX };
            FunnelEvent::new(u, ts, step, ch)
        })
        .collect();

    let started = Instant::now();
    let report = or_exit(TOOL, analyze(&spec, &events, &channels));
    let analyse_ms = ms_since(started);

    rejected.sort_by_key(|r| r.line);
    let by_channel: BTreeMap<&String, Value> = report
        .by_channel
        .iter()
        .map(|(name, steps)| (name, json!({"steps": steps_json(steps)})))
        .collect();
    print_json(&json!({
        "schema_version": 1,
        "steps": steps_json(&report.steps),
        "by_channel": by_channel,
        "ignored": report.ignored,
        "rejected": Rejected::to_json(&rejected),
        "stats": {
            "rows": table.rows.len() + unreadable,
            "events": report.events,
            "users": report.users_seen,
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
