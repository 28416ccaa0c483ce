//! `revops funnel`: the conversion funnel of an event export.
//!
//! Two readers of the library: `revops::csv::read_events` (integer user
//! ids, Unix seconds, numbered steps: the fast path) and
//! `revops::csv::read_named_events` (any text ids, any time form, steps by
//! name). A file the fast path cannot read whole (an id with letters, an
//! ISO time) is read again by the second, so both give the same report.

use std::fs::File;
use std::time::Instant;

use revops::csv::{read_events, read_named_events, NamedOptions, ReadOptions, RejectReason};
use revops::funnel::{analyze, FunnelReport, FunnelSpec, Modes, Options, MAX_STEPS};
use revops::quantity::{
    parse_duration, parse_utc_offset, Calendar, PeriodLength, TimeBins, TimeUnit,
};
use revops::Error;
use serde_json::{json, Map, Value};

use crate::common::{header_names, ms_since, usage_error, Errors, Rejects};
use crate::output::{emit, percent, plain, seconds, Align, OutputArgs, Table, View};

const TOOL: &str = "funnel";
const USAGE: &str = "funnel FILE.csv [--steps N|NAME,NAME...] [--window DURATION] [--mode NAME]... [--ts-unit s|ms|us|ns] [--breakdown COLUMN] [--trend day|week|month] [--utc-offset +HH:MM] [--time-to-convert-bins N|auto] [--format json|table|csv]";

/// `revops funnel`.
#[derive(clap::Args)]
#[command(
    about = "Conversion funnel of user events (ClickHouse's windowFunnel, every mode)",
    after_help = "\
Input columns (by header name, any order, others ignored):
  user_id   any text (all-digit ids take the fastest path)
  ts        Unix seconds (or --ts-unit), 2026-03-01T10:00:00Z (an offset),
            2026-03-01 10:00:00[.fff] (UTC) or 2026-03-01
  event     the step's name, or its 0-based number (the column may be named step)
  channel   optional: the breakdown value (by_channel); see --breakdown

A user's level is the longest chain of steps in order within the window from
its first step; each step counts the users who reached it. With --trend, each
user also counts once in the period of their entry: the earliest first step
from which a chain reaches their level (in strict modes, the counted chain's).

Examples:
  revops funnel events.csv --steps signup,activate,trial,paid --window 7d
  revops funnel events.csv --steps 4 --window 604800 --mode strict_order --format table
  revops funnel events.csv --steps signup,paid --trend week --time-to-convert-bins auto"
)]
pub struct Args {
    /// The events CSV file
    file: String,
    /// Steps: names in order (signup,activate,paid: events of other names
    /// match no step), or a count N of numbered steps 0..N-1 (1 to 32)
    /// [default: the highest step number in the file + 1]
    #[arg(long, value_name = "N|NAMES")]
    steps: Option<String>,
    /// Window from the first step: 7d, 36h, 90m, 45s, 1d12h, or seconds
    /// [default: 7d]
    #[arg(long, value_name = "DURATION")]
    window: Option<String>,
    /// Mode, repeatable: strict_deduplication, strict_order,
    /// strict_increase, strict_once, allow_reentry [default: none]
    #[arg(long, value_name = "NAME")]
    mode: Vec<String>,
    /// Unit of a ts written as a bare integer: s, ms, us or ns [default: s]
    #[arg(long, value_name = "UNIT")]
    ts_unit: Option<String>,
    /// The column to break the report down by (by_channel) [default: channel,
    /// when the header has it]
    #[arg(long, value_name = "COLUMN")]
    breakdown: Option<String>,
    /// Also the funnel per calendar period of each user's entry: day, week
    /// (ISO, from Monday) or month (the "trend" key) [default: none]
    #[arg(long, value_name = "PERIOD")]
    trend: Option<String>,
    /// The trend calendar's fixed offset from UTC: +01:00, -05:30, Z (with
    /// --trend only) [default: +00:00]
    #[arg(long, value_name = "+HH:MM")]
    utc_offset: Option<String>,
    /// Also a histogram of the times to convert per pair of steps: N
    /// log-spaced bins (1 to 1000) from the smallest to the largest time, or
    /// auto (the cube root of the users, at most 60) (the
    /// "time_to_convert" key) [default: none]
    #[arg(long, value_name = "N|auto")]
    time_to_convert_bins: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// What `--steps` asks for.
enum Steps {
    /// Numbered steps: this many, or as many as the file has.
    Count(Option<usize>),
    /// Named steps, in order.
    Names(Vec<String>),
}

fn steps_flag(flag: Option<&str>) -> Steps {
    let Some(text) = flag else {
        return Steps::Count(None);
    };
    let text = text.trim();
    if !text.contains(',') {
        if let Ok(n) = text.parse::<u64>() {
            if n == 0 || n > MAX_STEPS as u64 {
                usage_error(
                    TOOL,
                    USAGE,
                    &format!("--steps: a funnel has 1 to {MAX_STEPS} steps, not {n}"),
                );
            }
            return Steps::Count(Some(n as usize));
        }
    }
    let names: Vec<String> = text.split(',').map(|s| s.trim().to_string()).collect();
    if names.len() > MAX_STEPS {
        usage_error(
            TOOL,
            USAGE,
            &format!(
                "--steps: a funnel has 1 to {MAX_STEPS} steps, not {}",
                names.len()
            ),
        );
    }
    Steps::Names(names)
}

/// Opens the file, or exits 1.
fn open(path: &str) -> File {
    File::open(path).unwrap_or_else(|e| {
        eprintln!("revops {TOOL}: cannot read {path}: {e}");
        std::process::exit(1)
    })
}

/// A reader's error: a usage error (exit 2) for a header without a needed
/// column, otherwise the file cannot be read (exit 1).
fn read_failed(path: &str, e: Error) -> ! {
    match e {
        Error::InvalidInput { reason, .. } => {
            usage_error(TOOL, USAGE, &format!("{path}: {reason}"))
        }
        e => {
            eprintln!("revops {TOOL}: cannot read {path}: {e}");
            std::process::exit(1)
        }
    }
}

/// Whether the header names the fast path's four columns.
fn fast_header(path: &str) -> bool {
    let names = header_names(TOOL, path);
    ["user_id", "ts", "step", "channel"]
        .iter()
        .all(|c| names.iter().any(|n| n == c))
}

/// Without `--steps`, a file whose events are all names (no step
/// number) is a usage error: the order of the steps is not in the file.
fn events_have_names(path: &str) -> ! {
    usage_error(
        TOOL,
        USAGE,
        &format!("{path}: the events have names, not step numbers: list the steps in order with --steps NAME,NAME,..."),
    )
}

/// What a read gave the analysis.
struct Read {
    rows: u64,
    rejects: Rejects,
    report: Result<FunnelReport, Error>,
    parse_ms: Value,
    analyse_ms: Value,
}

/// The fast path: integer ids, Unix seconds, numbered steps. `None` when
/// the file has rows only the named reader reads (ids with letters, ISO
/// times, named events), which are then all read by it.
fn fast(
    path: &str,
    steps: Option<usize>,
    window: revops::TimeDelta,
    extra: &Extra,
) -> Option<Read> {
    let started = Instant::now();
    let file = open(path);
    let options = ReadOptions {
        steps,
        size_hint: file.metadata().ok().map(|m| m.len()),
        ..ReadOptions::default()
    };
    let read = read_events(file, &options).unwrap_or_else(|e| read_failed(path, e));
    let by = &read.rejects.by_reason;
    let named = [RejectReason::User, RejectReason::Ts];
    if named.iter().any(|r| by.contains_key(r)) {
        return None;
    }
    if steps.is_none() && by.contains_key(&RejectReason::Step) && read.max_step.is_none() {
        events_have_names(path);
    }
    let parse_ms = ms_since(started);
    // Without --steps the steps come from the data (every kept step is
    // below 32); with it, steps at or above N were read as 255.
    let n = steps.unwrap_or_else(|| read.max_step.map_or(1, |m| usize::from(m) + 1));
    let spec = FunnelSpec::new(n, window)
        .and_then(|s| s.with_modes(extra.modes))
        .map(|s| extra.apply(s))
        .unwrap_or_else(|e| usage_error(TOOL, USAGE, &e.to_string()));
    let (mut events, channels) = (read.events, read.channels);
    let started = Instant::now();
    // Both cores, as ClickHouse uses two threads here; the result is the
    // same as on one. The events are not needed afterwards, so the
    // analysis moves them in place instead of copying them.
    let report = analyze(&spec, &mut events, &channels, Options::threads(2));
    Some(Read {
        rows: read.rows,
        rejects: Rejects::from_library(&read.rejects),
        report,
        parse_ms,
        analyse_ms: ms_since(started),
    })
}

/// The named path: any ids, any time form, steps by name (numbered steps
/// are the names `0`, `1`, ...).
fn named(path: &str, spec: &FunnelSpec, options: &NamedOptions) -> Read {
    let started = Instant::now();
    let mut read =
        read_named_events(open(path), spec, options).unwrap_or_else(|e| read_failed(path, e));
    // Times were read in nanoseconds; whole-second exports are analysed
    // in seconds (the same report, faster).
    read.input.coarsen_unit();
    let parse_ms = ms_since(started);
    let started = Instant::now();
    let report = read.input.into_report(Options::threads(2));
    Read {
        rows: read.rows,
        rejects: Rejects::from_library(&read.rejects),
        report,
        parse_ms,
        analyse_ms: ms_since(started),
    }
}

/// The spec's options besides its steps and window.
struct Extra {
    modes: Modes,
    trend: Option<Calendar>,
    bins: Option<TimeBins>,
}

impl Extra {
    fn of(args: &Args) -> Extra {
        let mut modes = Modes::default();
        for m in &args.mode {
            if let Err(e) = modes.set(m) {
                usage_error(TOOL, USAGE, &format!("--mode: {e}"));
            }
        }
        let offset = match args.utc_offset.as_deref() {
            None => None,
            Some(_) if args.trend.is_none() => {
                usage_error(TOOL, USAGE, "--utc-offset applies to --trend only")
            }
            Some(o) => Some(
                parse_utc_offset(o)
                    .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--utc-offset: {e}"))),
            ),
        };
        let trend = args.trend.as_deref().map(|p| {
            let period: PeriodLength = p
                .parse()
                .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--trend: {e}")));
            match offset {
                Some(o) => Calendar::new(period, o),
                None => Calendar::utc(period),
            }
        });
        let bins = args.time_to_convert_bins.as_deref().map(|b| {
            if b == "auto" {
                return TimeBins::CubeRoot;
            }
            b.parse::<usize>()
                .map_err(|_| format!("{b:?} is neither a number of bins nor auto"))
                .and_then(|n| TimeBins::auto(n).map_err(|e| e.to_string()))
                .unwrap_or_else(|e| {
                    usage_error(TOOL, USAGE, &format!("--time-to-convert-bins: {e}"))
                })
        });
        Extra { modes, trend, bins }
    }

    fn apply(&self, mut spec: FunnelSpec) -> FunnelSpec {
        if let Some(c) = self.trend {
            spec = spec.with_trend(c);
        }
        if let Some(b) = &self.bins {
            spec = spec.with_time_to_convert(b.clone());
        }
        spec
    }
}

/// Runs `revops funnel`.
pub fn run(args: Args) {
    let window = match args.window.as_deref() {
        None => revops::TimeDelta::days(7),
        Some(w) => parse_duration(w)
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--window: {e}"))),
    };
    let extra = Extra::of(&args);
    let ts_unit: Option<TimeUnit> = args.ts_unit.as_deref().map(|u| {
        u.parse()
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--ts-unit: {e}")))
    });
    let steps = steps_flag(args.steps.as_deref());
    let path = args.file.as_str();
    let options = NamedOptions {
        ts_unit: ts_unit.unwrap_or_default(),
        breakdown: args.breakdown.clone(),
        size_hint: std::fs::metadata(&args.file).ok().map(|m| m.len()),
        ..NamedOptions::default()
    };
    // Events are read in nanoseconds on this path, so every time form (up to nine
    // decimals of a second) is kept exactly.
    let with_options = |spec: revops::Result<FunnelSpec>| {
        spec.and_then(|s| s.with_unit(TimeUnit::Nanosecond))
            .and_then(|s| s.with_modes(extra.modes))
            .map(|s| extra.apply(s))
            .unwrap_or_else(|e| usage_error(TOOL, USAGE, &format!("--steps: {e}")))
    };
    let named_spec = |names: Vec<String>| with_options(FunnelSpec::named(names, window));
    let numbered_spec = |n: usize| with_options(FunnelSpec::new(n, window));
    let fast_ok = ts_unit.is_none_or(|u| u == TimeUnit::Second)
        && args.breakdown.as_deref().is_none_or(|b| b == "channel")
        && fast_header(path);
    let read = match steps {
        Steps::Names(names) => named(path, &named_spec(names), &options),
        Steps::Count(n) => match fast_ok.then(|| fast(path, n, window, &extra)).flatten() {
            Some(read) => read,
            None => {
                let n = n.unwrap_or_else(|| {
                    // The steps the file numbers: a first read over the
                    // 32 numbers finds the highest one used.
                    let all = read_named_events(open(path), &numbered_spec(MAX_STEPS), &options)
                        .unwrap_or_else(|e| read_failed(path, e));
                    let (events, _) = all.input.compact();
                    let highest = events
                        .iter()
                        .map(|e| usize::from(e.step))
                        .filter(|&k| k < MAX_STEPS)
                        .max();
                    if highest.is_none() && all.rejects.by_reason.contains_key(&RejectReason::Step)
                    {
                        events_have_names(path);
                    }
                    highest.map_or(1, |k| k + 1)
                });
                named(path, &numbered_spec(n), &options)
            }
        },
    };

    let report = read.report;
    let mut errors = Errors::default();
    // The library's own report, in the command's envelope.
    let (mut out, events_n, users) = match &report {
        Ok(report) => (
            match serde_json::to_value(report) {
                Ok(Value::Object(o)) => o,
                _ => Map::new(),
            },
            json!(report.events),
            json!(report.users_seen),
        ),
        Err(e) => {
            errors.push("steps", e);
            let mut o = Map::new();
            for key in ["steps", "by_channel", "ignored", "events", "users_seen"] {
                o.insert(key.into(), Value::Null);
            }
            (o, Value::Null, Value::Null)
        }
    };
    out.insert("schema_version".into(), json!(1));
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), read.rejects.to_json());
    out.insert(
        "stats".into(),
        json!({
            "rows": read.rows,
            "events": events_n,
            "users": users,
            "rejected_rows": read.rejects.total(),
            "rejected_by_reason": read.rejects.by_reason_json(),
            "parse_ms": read.parse_ms,
            "analyse_ms": read.analyse_ms,
        }),
    );
    emit(args.output.format(), &Value::Object(out), view);
}

/// The steps of one report as rows of a table (`group` first when given).
fn step_rows(t: &mut Table, group: Option<&str>, steps: &Value) {
    // A breakdown value's report is `{"steps": [...]}`.
    let steps = steps.get("steps").unwrap_or(steps);
    for s in steps.as_array().into_iter().flatten() {
        let name = s["name"]
            .as_str()
            .map_or_else(|| plain(&s["step"]), str::to_string);
        let mut row = Vec::new();
        if let Some(g) = group {
            row.push(g.to_string());
        }
        row.extend([
            name,
            plain(&s["users"]),
            percent(&s["conversion_from_previous"]),
            percent(&s["conversion_from_first"]),
            plain(&s["drop_off"]),
            seconds(&s["median_seconds_from_previous"]),
            seconds(&s["p90_seconds_from_previous"]),
            seconds(&s["median_seconds_from_first"]),
        ]);
        t.row(row);
    }
}

const STEP_COLUMNS: [(&str, Align); 8] = [
    ("step", Align::Left),
    ("users", Align::Right),
    ("from previous", Align::Right),
    ("from first", Align::Right),
    ("drop-off", Align::Right),
    ("median time", Align::Right),
    ("p90 time", Align::Right),
    ("median from first", Align::Right),
];

/// The tables of a funnel document: the steps (the main table), then the
/// steps by breakdown value.
fn view(doc: &Value) -> View {
    let mut main = Table::new(
        format!(
            "Funnel: {} users, {} events",
            plain(&doc["stats"]["users"]),
            plain(&doc["stats"]["events"])
        ),
        &STEP_COLUMNS,
    );
    step_rows(&mut main, None, &doc["steps"]);
    let mut tables = vec![main];
    if let Some(by) = doc["by_channel"].as_object() {
        if by.len() > 1 {
            let mut head = vec![("breakdown", Align::Left)];
            head.extend(STEP_COLUMNS);
            let mut t = Table::new("By breakdown value", &head);
            for (group, r) in by {
                step_rows(&mut t, Some(group), r);
            }
            tables.push(t);
        }
    }
    tables.extend(trend_table(doc));
    tables.extend(histogram_tables(doc));
    let mut v = View::new(tables);
    if let Some(ignored) = doc["ignored"].as_object() {
        for (what, n) in ignored.iter().filter(|(_, n)| n.as_u64() != Some(0)) {
            v.notes
                .push(format!("ignored: {n} {}", what.replace('_', " ")));
        }
    }
    v.envelope_notes(doc)
}

/// A step's name (or number) in a document's steps.
fn step_name(doc: &Value, k: u64) -> String {
    let s = &doc["steps"][k as usize];
    s["name"]
        .as_str()
        .map_or_else(|| k.to_string(), str::to_string)
}

/// The trend as a table: per period of entry, the users at each step and
/// the conversion from the first step to the last.
fn trend_table(doc: &Value) -> Option<Table> {
    let trend = doc["trend"].as_array()?;
    let n = doc["steps"].as_array().map_or(0, Vec::len);
    let names: Vec<String> = (0..n as u64).map(|k| step_name(doc, k)).collect();
    let mut head: Vec<(&str, Align)> = vec![("period", Align::Left)];
    head.extend(names.iter().map(|m| (m.as_str(), Align::Right)));
    head.push(("conversion", Align::Right));
    let mut t = Table::new("Trend by period of entry", &head);
    for p in trend {
        let steps = p["steps"].as_array().cloned().unwrap_or_default();
        let mut row = vec![plain(&p["period"])];
        row.extend(steps.iter().map(|s| plain(&s["users"])));
        row.push(
            steps
                .last()
                .map_or_else(String::new, |s| percent(&s["conversion_from_first"])),
        );
        t.row(row);
    }
    Some(t)
}

/// One table per pair of steps: the users by time to convert.
fn histogram_tables(doc: &Value) -> Vec<Table> {
    let mut out = Vec::new();
    for h in doc["time_to_convert"].as_array().into_iter().flatten() {
        let (from, to) = (
            h["from"].as_u64().unwrap_or(0),
            h["to"].as_u64().unwrap_or(0),
        );
        let mut t = Table::new(
            format!(
                "Time to convert: {} to {}",
                step_name(doc, from),
                step_name(doc, to)
            ),
            &[
                ("from", Align::Right),
                ("to", Align::Right),
                ("users", Align::Right),
            ],
        );
        for b in h["bins"].as_array().into_iter().flatten() {
            let to = if b["to_seconds"].is_null() {
                "and more".to_string()
            } else {
                seconds(&b["to_seconds"])
            };
            t.row(vec![seconds(&b["from_seconds"]), to, plain(&b["users"])]);
        }
        out.push(t);
    }
    out
}
