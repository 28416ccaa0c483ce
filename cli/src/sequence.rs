//! `revops sequence`: ClickHouse's `sequenceMatch` and `sequenceCount`
//! over an event export, per user, summed: how many users follow a
//! pattern of events, and how often.

use std::time::Instant;

use revops::funnel::sequence::{SequenceReport, SequenceRow, SequenceState};
use revops::funnel::{Sequence, SequencePattern};
use serde_json::{json, Map, Value};

use crate::common::{ms_since, usage_error, Errors};
use crate::output::{emit, percent, plain, Align, OutputArgs, Table, View};
use crate::retention::{envelope, read};

const TOOL: &str = "sequence";
const USAGE: &str = "sequence FILE.csv --pattern PATTERN --events NAME,NAME,... [--ts-unit s|ms|us|ns] [--format json|table|csv]";

/// `revops sequence`.
#[derive(clap::Args)]
#[command(
    about = "Event sequences per user: who follows a pattern, and how often (ClickHouse's sequenceMatch and sequenceCount)",
    after_help = "\
Input columns (by header name, any order, others ignored; as `revops funnel`):
  user_id   any text
  ts        Unix seconds (or --ts-unit), 2026-03-01T10:00:00Z (an offset),
            2026-03-01 10:00:00[.fff] (UTC) or 2026-03-01
  event     the event's name (the column may be named step)

The pattern, ClickHouse's language: (?N) an event named by the N-th name of
--events, . any one of those events, .* any number of them, (?t<=3600) the
seconds from the event before to the event after (also <, >, >=, ==), with
events between allowed. Events of other names are not seen, not even by `.`.
A user's events are sorted by time. matched: users whose events follow the
pattern; matches: the non-overlapping matches of all users.

Examples:
  revops sequence events.csv --pattern '(?1).*(?2)' --events pricing,trial
  revops sequence events.csv --pattern '(?1)(?t<=86400)(?2)' --events signup,paid --format table"
)]
pub struct Args {
    /// The events CSV file
    file: String,
    /// The pattern: (?N), ., .*, (?t<=SECONDS) ...
    #[arg(long, value_name = "PATTERN")]
    pattern: String,
    /// The event names the pattern's (?1), (?2), ... stand for, comma-separated (1 to 32)
    #[arg(long, value_name = "NAME,NAME,...")]
    events: String,
    /// Unit of a ts written as a bare integer: s, ms, us or ns [default: s]
    #[arg(long, value_name = "UNIT")]
    ts_unit: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `revops sequence`.
pub fn run(args: Args) {
    let names: Vec<&str> = args
        .events
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let pattern = SequencePattern::parse(&args.pattern, names.len())
        .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--pattern: {e}")));
    let ts_unit = args
        .ts_unit
        .as_deref()
        .map(|u| {
            u.parse()
                .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--ts-unit: {e}")))
        })
        .unwrap_or_default();
    let (read, parse_ms) = read(TOOL, USAGE, &args.file, &names, None, ts_unit);
    let started = Instant::now();
    let mut sequence = Sequence::new(pattern).with_unit(read.input.spec().unit());
    let (events, _) = read.input.compact();
    let rows: Vec<SequenceRow> = events
        .iter()
        .map(|e| SequenceRow {
            user: e.user,
            ts: e.ts,
            // An event of another name meets no condition.
            conditions: if usize::from(e.step) < names.len() {
                1 << e.step
            } else {
                0
            },
        })
        .collect();
    let mut state = SequenceState::default();
    let mut errors = Errors::default();
    let report = state.add(&rows).and_then(|()| state.finish(&mut sequence));
    let analyse_ms = ms_since(started);
    let mut out = Map::new();
    out.insert("schema_version".into(), json!(1));
    out.insert("pattern".into(), json!(args.pattern));
    out.insert("events".into(), json!(names));
    match report {
        Ok(r) => report_json(&mut out, &r),
        Err(e) => {
            errors.push("sequence", &e);
            out.insert("users".into(), Value::Null);
        }
    }
    envelope(&mut out, &read, &errors, parse_ms, analyse_ms);
    emit(args.output.format(), &Value::Object(out), view);
}

fn report_json(out: &mut Map<String, Value>, r: &SequenceReport) {
    out.insert("users".into(), json!(r.users));
    out.insert("matched".into(), json!(r.matched));
    out.insert(
        "match_rate".into(),
        r.match_rate
            .map_or(Value::Null, |x| json!(x.value().to_string())),
    );
    out.insert("matches".into(), json!(r.matches));
    out.insert(
        "users_by_matches".into(),
        Value::Array(
            r.users_by_matches
                .iter()
                .map(|&(m, u)| json!({ "matches": m, "users": u }))
                .collect(),
        ),
    );
    out.insert(
        "ignored".into(),
        json!({ "over_step_limit": r.ignored.over_step_limit }),
    );
}

fn view(doc: &Value) -> View {
    let mut summary = Table::new(
        format!(
            "Sequence {} over events {}",
            plain(&doc["pattern"]),
            doc["events"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(k, n)| format!("(?{})={}", k + 1, plain(n)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        &[
            ("users", Align::Right),
            ("matched", Align::Right),
            ("match rate", Align::Right),
            ("matches", Align::Right),
        ],
    );
    summary.row(vec![
        plain(&doc["users"]),
        plain(&doc["matched"]),
        percent(&doc["match_rate"]),
        plain(&doc["matches"]),
    ]);
    let mut by = Table::new(
        "Users by number of matches",
        &[("matches", Align::Right), ("users", Align::Right)],
    );
    for row in doc["users_by_matches"].as_array().into_iter().flatten() {
        by.row(vec![plain(&row["matches"]), plain(&row["users"])]);
    }
    let mut v = View::new(vec![summary, by]);
    if let Some(n) = doc["ignored"]["over_step_limit"]
        .as_u64()
        .filter(|&n| n > 0)
    {
        v.notes.push(format!(
            "{n} user(s) over ClickHouse's limit of 1,000,000 matching steps, left out"
        ));
    }
    v.envelope_notes(doc)
}
