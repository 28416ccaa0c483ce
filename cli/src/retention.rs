//! `revops retention` and `revops lifecycle`: change over time in an
//! event export, read by the funnel's reader
//! (`revops::csv::read_named_events`: the same id and time rules).

use std::fs::File;
use std::time::Instant;

use revops::csv::{read_named_events, NamedEventsRead, NamedOptions};
use revops::funnel::{FunnelEvent, FunnelSpec};
use revops::quantity::{parse_utc_offset, Calendar, PeriodLength, TimeUnit};
use revops::retention::{
    Definition, LifecycleSpec, LifecycleState, RetentionEvent, RetentionSpec, RetentionState,
    RETURN, START,
};
use revops::{DateTime, Error, NaiveDate, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::common::{ms_since, usage_error, Errors, Rejects};
use crate::output::{emit, percent, plain, Align, OutputArgs, Table, View};

const RETENTION: &str = "retention";
const RETENTION_USAGE: &str = "retention FILE.csv --start-event NAME [--return-event NAME] [--period day|week|month] [--periods N] [--retention on|on_or_after] [--as-of YYYY-MM-DD] [--utc-offset +HH:MM] [--breakdown COLUMN] [--format json|table|csv]";
const LIFECYCLE: &str = "lifecycle";
const LIFECYCLE_USAGE: &str = "lifecycle FILE.csv --event NAME [--period day|week|month] [--as-of YYYY-MM-DD] [--utc-offset +HH:MM] [--format json|table|csv]";

/// `revops retention`.
#[derive(clap::Args)]
#[command(
    about = "Cohort retention: do a period's new users come back in the periods after?",
    after_help = "\
Input columns (by header name, any order, others ignored; as `revops funnel`):
  user_id   any text
  ts        Unix seconds (or --ts-unit), 2026-03-01T10:00:00Z (an offset),
            2026-03-01 10:00:00[.fff] (UTC) or 2026-03-01
  event     the event's name (the column may be named step)

A user's cohort is the period of the user's first start event; cell n counts
the cohort's users with a return event (at or after their start) n periods
later. Cells after the as-of period are absent; a cohort whose last cell is
still in progress is partial.

Examples:
  revops retention events.csv --start-event signup --return-event login --period week --periods 8
  revops retention events.csv --start-event signup --period month --retention on_or_after --as-of 2026-06-30 --format table"
)]
pub struct RetentionArgs {
    /// The events CSV file
    file: String,
    /// The event that puts a user in a cohort (the first one, by time): a sign-up, say
    #[arg(long, value_name = "NAME")]
    start_event: String,
    /// The event that counts as coming back [default: the start event]
    #[arg(long, value_name = "NAME")]
    return_event: Option<String>,
    /// Calendar period of cohorts and cells: day, week (ISO, from Monday) or month [default: week]
    #[arg(long, value_name = "PERIOD")]
    period: Option<String>,
    /// Cells per cohort: periods 0 (the cohort's own) to N-1 after it, 1 to 520 [default: 8]
    #[arg(long, value_name = "N")]
    periods: Option<String>,
    /// on: a return in that period; on_or_after: in that period or any later one [default: on]
    #[arg(long, value_name = "DEFINITION")]
    retention: Option<String>,
    /// End of observation: the end of this day at the offset, inclusive [default: the latest event]
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// The calendar's fixed offset from UTC: +01:00, -05:30, Z [default: +00:00]
    #[arg(long, value_name = "+HH:MM")]
    utc_offset: Option<String>,
    /// A column to break the cohorts down by (the value of each user's first start event) [default: none]
    #[arg(long, value_name = "COLUMN")]
    breakdown: Option<String>,
    /// Unit of a ts written as a bare integer: s, ms, us or ns [default: s]
    #[arg(long, value_name = "UNIT")]
    ts_unit: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// `revops lifecycle`.
#[derive(clap::Args)]
#[command(
    about = "User lifecycle per period: new, returning, resurrecting and dormant users",
    after_help = "\
Input columns (by header name, any order, others ignored; as `revops funnel`):
  user_id   any text
  ts        Unix seconds (or --ts-unit), 2026-03-01T10:00:00Z (an offset),
            2026-03-01 10:00:00[.fff] (UTC) or 2026-03-01
  event     the event's name (the column may be named step)

In each period, active users are new (first activity ever), returning (active
in the previous period too) or resurrecting (back after a pause); dormant users
were active in the previous period and not in this one (a negative count).

Examples:
  revops lifecycle events.csv --event login --period week
  revops lifecycle events.csv --event login --period month --utc-offset +01:00 --format table"
)]
pub struct LifecycleArgs {
    /// The events CSV file
    file: String,
    /// The event that counts as activity
    #[arg(long, value_name = "NAME")]
    event: String,
    /// Calendar period: day, week (ISO, from Monday) or month [default: week]
    #[arg(long, value_name = "PERIOD")]
    period: Option<String>,
    /// End of observation: the end of this day at the offset, inclusive [default: the latest event]
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// The calendar's fixed offset from UTC: +01:00, -05:30, Z [default: +00:00]
    #[arg(long, value_name = "+HH:MM")]
    utc_offset: Option<String>,
    /// Unit of a ts written as a bare integer: s, ms, us or ns [default: s]
    #[arg(long, value_name = "UNIT")]
    ts_unit: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// What both subcommands share: the calendar, the as-of, reading.
struct Common {
    calendar: Calendar,
    as_of: Option<DateTime<Utc>>,
    ts_unit: TimeUnit,
}

fn common(
    tool: &str,
    usage: &str,
    period: Option<&str>,
    offset: Option<&str>,
    as_of: Option<&str>,
    ts_unit: Option<&str>,
) -> Common {
    let period: PeriodLength = period
        .map(|p| {
            p.parse()
                .unwrap_or_else(|e| usage_error(tool, usage, &format!("--period: {e}")))
        })
        .unwrap_or(PeriodLength::Week);
    let offset = match offset {
        None => chrono_utc(),
        Some(o) => parse_utc_offset(o)
            .unwrap_or_else(|e| usage_error(tool, usage, &format!("--utc-offset: {e}"))),
    };
    let as_of = as_of.map(|d| {
        let day = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
            usage_error(tool, usage, &format!("--as-of: {d:?} is not YYYY-MM-DD"))
        });
        // The end of that day at the offset, inclusive: the nanosecond
        // before the next midnight there.
        day.succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .and_then(|midnight| midnight.and_local_timezone(offset).single())
            .map(|t| t.with_timezone(&Utc) - TimeDelta::nanoseconds(1))
            .unwrap_or_else(|| usage_error(tool, usage, &format!("--as-of: {d:?} is out of range")))
    });
    let ts_unit = ts_unit
        .map(|u| {
            u.parse()
                .unwrap_or_else(|e| usage_error(tool, usage, &format!("--ts-unit: {e}")))
        })
        .unwrap_or_default();
    Common {
        calendar: Calendar::new(period, offset),
        as_of,
        ts_unit,
    }
}

/// UTC, as a fixed offset.
fn chrono_utc() -> revops::FixedOffset {
    Calendar::utc(PeriodLength::Day).offset
}

/// Reads the events of `names` (others match nothing), exits 1 if the
/// file cannot be read, 2 for a header without a needed column.
pub(crate) fn read(
    tool: &str,
    usage: &str,
    path: &str,
    names: &[&str],
    breakdown: Option<String>,
    ts_unit: TimeUnit,
) -> (NamedEventsRead, Value) {
    let started = Instant::now();
    let spec = FunnelSpec::named(names, TimeDelta::zero())
        .and_then(|s| s.with_unit(TimeUnit::Nanosecond))
        .unwrap_or_else(|e| usage_error(tool, usage, &e.to_string()));
    let file = File::open(path).unwrap_or_else(|e| {
        eprintln!("revops {tool}: cannot read {path}: {e}");
        std::process::exit(1)
    });
    let options = NamedOptions {
        ts_unit,
        breakdown,
        size_hint: file.metadata().ok().map(|m| m.len()),
        ..NamedOptions::default()
    };
    let mut read = read_named_events(file, &spec, &options).unwrap_or_else(|e| match e {
        Error::InvalidInput { reason, .. } => {
            usage_error(tool, usage, &format!("{path}: {reason}"))
        }
        e => {
            eprintln!("revops {tool}: cannot read {path}: {e}");
            std::process::exit(1)
        }
    });
    read.input.coarsen_unit();
    (read, ms_since(started))
}

/// The compact events, their kinds from the step codes (code 0 the
/// first name, code 1 the second; one name is both).
fn event(e: &FunnelEvent, kinds: [u8; 2]) -> RetentionEvent {
    RetentionEvent {
        user: e.user,
        ts: e.ts,
        kind: kinds.get(usize::from(e.step)).copied().unwrap_or(0),
        by: e.channel,
    }
}

/// The envelope of both documents: `errors`, `rejected`, `stats`.
pub(crate) fn envelope(
    out: &mut Map<String, Value>,
    read: &NamedEventsRead,
    errors: &Errors,
    parse_ms: Value,
    analyse_ms: Value,
) {
    let rejects = Rejects::from_library(&read.rejects);
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), rejects.to_json());
    out.insert(
        "stats".into(),
        json!({
            "rows": read.rows,
            "events": read.input.len(),
            "users": read.input.users(),
            "rejected_rows": rejects.total(),
            "rejected_by_reason": rejects.by_reason_json(),
            "parse_ms": parse_ms,
            "analyse_ms": analyse_ms,
        }),
    );
}

/// Runs `revops retention`.
pub fn run_retention(args: RetentionArgs) {
    let (tool, usage) = (RETENTION, RETENTION_USAGE);
    let c = common(
        tool,
        usage,
        args.period.as_deref(),
        args.utc_offset.as_deref(),
        args.as_of.as_deref(),
        args.ts_unit.as_deref(),
    );
    let periods: usize = match args.periods.as_deref() {
        None => 8,
        Some(n) => n
            .trim()
            .parse()
            .unwrap_or_else(|_| usage_error(tool, usage, &format!("--periods: cannot read {n:?}"))),
    };
    let definition: Definition = args
        .retention
        .as_deref()
        .map(|d| {
            d.parse()
                .unwrap_or_else(|e| usage_error(tool, usage, &format!("--retention: {e}")))
        })
        .unwrap_or_default();
    let start = args.start_event.trim().to_string();
    let ret = args
        .return_event
        .as_deref()
        .map(str::trim)
        .unwrap_or(&start)
        .to_string();
    let (names, kinds): (Vec<&str>, [u8; 2]) = if ret == start {
        (vec![&start], [START | RETURN, 0])
    } else {
        (vec![&start, &ret], [START, RETURN])
    };
    let spec = RetentionSpec::new(c.calendar, periods, definition)
        .unwrap_or_else(|e| usage_error(tool, usage, &format!("--periods: {e}")));
    let (read, parse_ms) = read(
        tool,
        usage,
        &args.file,
        &names,
        args.breakdown.clone(),
        c.ts_unit,
    );
    let started = Instant::now();
    let mut spec = spec.with_unit(read.input.spec().unit());
    if let Some(t) = c.as_of {
        spec = spec.with_as_of(t);
    }
    let mut state = RetentionState::new(spec);
    let (_, registry) = read.input.compact();
    let mut errors = Errors::default();
    // Both cores, as ClickHouse uses two threads here.
    let (compact, _) = read.input.compact();
    let report = state
        .add_mapped(compact, |e| event(e, kinds), registry, 2)
        .and_then(|()| state.finish());
    let analyse_ms = ms_since(started);
    let mut out = Map::new();
    out.insert("schema_version".into(), json!(1));
    out.insert("period".into(), json!(c.calendar.period.id()));
    out.insert("retention".into(), json!(definition.id()));
    out.insert("periods".into(), json!(periods));
    out.insert("utc_offset".into(), json!(c.calendar.offset.to_string()));
    match report {
        Ok(r) => {
            out.insert("as_of".into(), json!(r.as_of));
            out.insert("cohorts".into(), cohorts_json(&r.cohorts));
            if args.breakdown.is_some() {
                let by: Map<String, Value> = r
                    .by_breakdown
                    .iter()
                    .map(|(k, v)| (k.clone(), json!({ "cohorts": cohorts_json(v) })))
                    .collect();
                out.insert("breakdown".into(), Value::Object(by));
            }
            out.insert("users_without_start".into(), json!(r.users_without_start));
            out.insert("events_after_as_of".into(), json!(r.events_after_as_of));
        }
        Err(e) => {
            errors.push("cohorts", &e);
            out.insert("cohorts".into(), Value::Null);
        }
    }
    envelope(&mut out, &read, &errors, parse_ms, analyse_ms);
    emit(args.output.format(), &Value::Object(out), retention_view);
}

fn cohorts_json(rows: &[revops::retention::CohortRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "cohort": r.cohort.to_string(),
                    "users": r.users,
                    "retained": r.retained,
                    "rates": r.rates,
                    "partial": r.partial,
                })
            })
            .collect(),
    )
}

/// The cohorts as a table: users, then each period's rate (partial
/// cohorts marked `*`).
fn retention_view(doc: &Value) -> View {
    let n = doc["periods"].as_u64().unwrap_or(0) as usize;
    let heads: Vec<String> = (0..n)
        .map(|k| format!("{} {k}", plain(&doc["period"])))
        .collect();
    let table = |title: String, cohorts: &Value| {
        let mut head: Vec<(&str, Align)> = vec![("cohort", Align::Left), ("users", Align::Right)];
        head.extend(heads.iter().map(|h| (h.as_str(), Align::Right)));
        let mut t = Table::new(title, &head);
        for c in cohorts.as_array().into_iter().flatten() {
            let mut row = vec![
                format!(
                    "{}{}",
                    plain(&c["cohort"]),
                    if c["partial"] == true { "*" } else { "" }
                ),
                plain(&c["users"]),
            ];
            row.extend(c["rates"].as_array().into_iter().flatten().map(percent));
            t.row(row);
        }
        t
    };
    let mut tables = vec![table(
        format!(
            "Retention by {} cohort ({}), as of {}",
            plain(&doc["period"]),
            plain(&doc["retention"]).replace('_', " "),
            plain(&doc["as_of"])
        ),
        &doc["cohorts"],
    )];
    if let Some(by) = doc["breakdown"].as_object() {
        for (name, v) in by {
            tables.push(table(format!("Breakdown {name}"), &v["cohorts"]));
        }
    }
    let mut v = View::new(tables);
    v.notes
        .push("* the cohort's last period is still in progress".into());
    if let Some(n) = doc["users_without_start"].as_u64().filter(|&n| n > 0) {
        v.notes
            .push(format!("{n} user(s) without a start event, in no cohort"));
    }
    v.envelope_notes(doc)
}

/// Runs `revops lifecycle`.
pub fn run_lifecycle(args: LifecycleArgs) {
    let (tool, usage) = (LIFECYCLE, LIFECYCLE_USAGE);
    let c = common(
        tool,
        usage,
        args.period.as_deref(),
        args.utc_offset.as_deref(),
        args.as_of.as_deref(),
        args.ts_unit.as_deref(),
    );
    let name = args.event.trim().to_string();
    let (read, parse_ms) = read(tool, usage, &args.file, &[&name], None, c.ts_unit);
    let started = Instant::now();
    let mut spec = LifecycleSpec::new(c.calendar);
    spec.unit = read.input.spec().unit();
    spec.as_of = c.as_of;
    let mut state = LifecycleState::new(spec);
    let mut errors = Errors::default();
    let all: Vec<RetentionEvent> = read
        .input
        .compact()
        .0
        .iter()
        .map(|e| event(e, [RETURN, 0]))
        .collect();
    let report = state.add(&all).map(|()| state.finish());
    let analyse_ms = ms_since(started);
    let mut out = Map::new();
    out.insert("schema_version".into(), json!(1));
    out.insert("period".into(), json!(c.calendar.period.id()));
    out.insert("utc_offset".into(), json!(c.calendar.offset.to_string()));
    match report {
        Ok(r) => {
            let rows: Vec<Value> = r
                .rows
                .iter()
                .map(|x| {
                    json!({
                        "period": x.period.to_string(),
                        "new": x.new,
                        "returning": x.returning,
                        "resurrecting": x.resurrecting,
                        "dormant": x.dormant,
                    })
                })
                .collect();
            out.insert("periods".into(), Value::Array(rows));
            out.insert("events_after_as_of".into(), json!(r.events_after_as_of));
        }
        Err(e) => {
            errors.push("periods", &e);
            out.insert("periods".into(), Value::Null);
        }
    }
    envelope(&mut out, &read, &errors, parse_ms, analyse_ms);
    emit(args.output.format(), &Value::Object(out), |doc| {
        let mut t = Table::new(
            format!("Lifecycle by {}", plain(&doc["period"])),
            &[
                ("period", Align::Left),
                ("new", Align::Right),
                ("returning", Align::Right),
                ("resurrecting", Align::Right),
                ("dormant", Align::Right),
            ],
        );
        for p in doc["periods"].as_array().into_iter().flatten() {
            t.row(vec![
                plain(&p["period"]),
                plain(&p["new"]),
                plain(&p["returning"]),
                plain(&p["resurrecting"]),
                plain(&p["dormant"]),
            ]);
        }
        View::new(vec![t]).envelope_notes(doc)
    });
}
