//! Plumbing shared by the subcommands: CSV reading with exact line
//! numbers, the capped list of rejected rows, figures that could not be
//! computed, and the exit codes of `cli/README.md`.

use std::collections::{BTreeMap, BinaryHeap};
use std::process::exit;
use std::time::Instant;

use serde_json::{json, Value};

/// Prints a usage error to stderr, as clap prints its own, and exits 2.
pub fn usage_error(tool: &str, usage: &str, msg: &str) -> ! {
    eprintln!("error: {msg}\n\nUsage: revops {usage}\n\nFor more information, try 'revops {tool} --help'.");
    exit(2)
}

/// `flag`'s value parsed, or a usage error naming the flag.
pub fn parsed<T: std::str::FromStr>(
    tool: &str,
    usage: &str,
    name: &str,
    value: Option<&str>,
) -> Option<T> {
    value.map(|v| {
        v.parse()
            .unwrap_or_else(|_| usage_error(tool, usage, &format!("--{name}: cannot read {v:?}")))
    })
}

/// How many rejected rows are listed; the others are only counted.
pub const REJECTED_LISTED: usize = 1000;

/// Rejected rows: the first [`REJECTED_LISTED`] by line are kept, all are
/// counted, in total and by reason. Reasons are fixed texts (no values from
/// the file), so the counts by reason stay small whatever the file holds.
#[derive(Default)]
pub struct Rejects {
    /// A max-heap of the smallest lines seen.
    kept: BinaryHeap<(u64, String)>,
    total: u64,
    by_reason: BTreeMap<String, u64>,
}

impl Rejects {
    /// Records that the row at `line` (1-based, the header is line 1) was
    /// rejected for `reason`.
    pub fn push(&mut self, line: u64, reason: impl Into<String>) {
        let reason = reason.into();
        self.total += 1;
        match self.by_reason.get_mut(&reason) {
            Some(n) => *n += 1,
            None => {
                self.by_reason.insert(reason.clone(), 1);
            }
        }
        if self.kept.len() < REJECTED_LISTED {
            self.kept.push((line, reason));
        } else if self.kept.peek().is_some_and(|(l, _)| line < *l) {
            self.kept.pop();
            self.kept.push((line, reason));
        }
    }

    /// The rejects of one of the library's readers (`revops::csv`).
    pub fn from_library(r: &revops::csv::Rejects) -> Rejects {
        let mut out = Rejects::default();
        for x in &r.listed {
            out.kept.push((x.line, x.reason.to_string()));
        }
        out.total = r.total;
        out.by_reason = r
            .by_reason
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        out
    }

    /// The number of rejected rows.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// `[{"line", "reason"}]`, by line.
    pub fn to_json(&self) -> Value {
        let mut v: Vec<&(u64, String)> = self.kept.iter().collect();
        v.sort();
        Value::Array(
            v.into_iter()
                .map(|(line, reason)| json!({"line": line, "reason": reason}))
                .collect(),
        )
    }

    /// `{"reason": count}`.
    pub fn by_reason_json(&self) -> Value {
        json!(self.by_reason)
    }
}

/// Figures that could not be computed (an overflow, say): each is `null`
/// in the report and listed here with its reason.
#[derive(Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    /// The figure at JSON path `figure` (for example `totals.value`) is
    /// null because of `reason`.
    pub fn push(&mut self, figure: &str, reason: impl std::fmt::Display) {
        self.0.push((figure.to_string(), reason.to_string()));
    }

    /// `[{"figure", "reason"}]`.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|(f, r)| json!({"figure": f, "reason": r}))
                .collect(),
        )
    }
}

pub use revops::csv::RowReader;

/// What reading a CSV file saw.
pub struct Read {
    /// Data rows (blank lines are not rows), rejected ones included.
    pub rows: u64,
    /// When reading started.
    pub started: Instant,
}

/// Reads `path`, locates the `wanted` columns by header name, and calls
/// `row(line, fields)` for each data row with the wanted fields in order
/// (trimmed); an `Err(reason)` rejects the row. Rows that cannot be read
/// (wrong field count, invalid UTF-8, longer than
/// [`MAX_ROW_BYTES`](revops::csv::MAX_ROW_BYTES)) are
/// rejected here. Line numbers are those of the row's first line in the
/// file, the header being line 1, for LF, CRLF and CR line ends, blank
/// lines and quoted fields that span lines. The file is streamed: memory
/// does not grow with its size.
///
/// Exits 1 if the file cannot be read, 2 if its header lacks a column.
pub fn read_csv(
    tool: &str,
    usage: &str,
    path: &str,
    wanted: &[&str],
    rejects: &mut Rejects,
    mut row: impl FnMut(u64, &[&str]) -> Result<(), String>,
) -> Read {
    let started = Instant::now();
    let fail = |e: std::io::Error| -> ! {
        eprintln!("{tool}: cannot read {path}: {e}");
        exit(1)
    };
    let delimiter = {
        use std::io::BufRead;
        let file = std::fs::File::open(path).unwrap_or_else(|e| fail(e));
        let mut first = Vec::new();
        let _ = std::io::BufReader::new(std::io::Read::take(file, 64 * 1024))
            .read_until(b'\n', &mut first);
        revops::csv::sniff_delimiter(&first)
    };
    let file = std::fs::File::open(path).unwrap_or_else(|e| fail(e));
    let mut reader = RowReader::new(file, delimiter);
    let header = reader.next_record().unwrap_or_else(|e| fail(e));
    let width = reader.len();
    let mut columns = Vec::new();
    if header.is_some() {
        for w in wanted {
            let found = (0..width).find(|&i| {
                reader
                    .field(i)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .is_some_and(|h| h.trim() == *w)
            });
            match found {
                Some(i) => columns.push(i),
                None => usage_error(
                    tool,
                    usage,
                    &format!("{path}: the header has no {w:?} column"),
                ),
            }
        }
    } else {
        usage_error(tool, usage, &format!("{path}: the file has no header"));
    }
    let n = columns.len();
    assert!(n <= 16, "at most 16 wanted columns");
    let mut rows = 0u64;
    while let Some(info) = reader.next_record().unwrap_or_else(|e| fail(e)) {
        rows += 1;
        if info.too_long {
            rejects.push(info.line, "the row is too long");
            continue;
        }
        if reader.len() != width {
            rejects.push(info.line, "wrong number of fields");
            continue;
        }
        let mut fields: [&str; 16] = [""; 16];
        let mut utf8 = true;
        for (k, &c) in columns.iter().enumerate() {
            match std::str::from_utf8(reader.field(c).unwrap_or(b"")) {
                Ok(s) => fields[k] = s.trim(),
                Err(_) => {
                    utf8 = false;
                    break;
                }
            }
        }
        if !utf8 {
            rejects.push(info.line, "a field is not valid UTF-8");
            continue;
        }
        if let Err(reason) = row(info.line, &fields[..n]) {
            rejects.push(info.line, reason);
        }
    }
    Read { rows, started }
}

/// Milliseconds since `t`, as a JSON number.
pub fn ms_since(t: Instant) -> Value {
    json!((t.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0)
}

/// The names in the file's header line (trimmed), read with the same
/// delimiter rule as the rows. Exits 1 if the file cannot be read.
pub fn header_names(tool: &str, path: &str) -> Vec<String> {
    use std::io::{BufRead, BufReader, Read};
    let file = std::fs::File::open(path).unwrap_or_else(|e| {
        eprintln!("revops {tool}: cannot read {path}: {e}");
        exit(1)
    });
    let mut first = Vec::new();
    let _ = BufReader::new(file.take(64 * 1024)).read_until(b'\n', &mut first);
    let delimiter = revops::csv::sniff_delimiter(&first);
    let mut reader = RowReader::new(first.as_slice(), delimiter);
    match reader.next_record() {
        Ok(Some(_)) => (0..reader.len())
            .filter_map(|i| reader.field(i))
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// The `--fx CODE=RATE` flags, parsed (a usage error for an unreadable or
/// repeated one).
pub fn fx_flags(
    tool: &str,
    usage: &str,
    flags: &[String],
) -> Vec<(revops::Currency, revops::Decimal)> {
    let mut rates: Vec<(revops::Currency, revops::Decimal)> = Vec::new();
    for fx in flags.iter().map(String::as_str) {
        let parsed = fx.split_once('=').and_then(|(c, r)| {
            Some((
                revops::Currency::from_code(c).ok()?,
                revops::Decimal::from_str_exact(r.trim()).ok()?,
            ))
        });
        match parsed {
            Some(p) if rates.iter().any(|(c, _)| *c == p.0) => {
                usage_error(tool, usage, &format!("--fx: {} is given twice", p.0))
            }
            Some(p) => rates.push(p),
            None => usage_error(tool, usage, &format!("--fx: {fx:?} is not CODE=RATE")),
        }
    }
    rates
}

/// The rates into `currency` (a usage error for a rate of the report
/// currency itself, or one that is not positive).
pub fn fx_table(
    tool: &str,
    usage: &str,
    currency: revops::Currency,
    rates: Vec<(revops::Currency, revops::Decimal)>,
) -> revops::quantity::FxRates {
    let mut fx = revops::quantity::FxRates::new(currency);
    for (c, r) in rates {
        if c == currency {
            usage_error(
                tool,
                usage,
                &format!("--fx: {c} is the report currency, which takes no rate"),
            );
        }
        if let Err(e) = fx.set(c, r) {
            usage_error(tool, usage, &format!("--fx: {e}"));
        }
    }
    fx
}

/// Adds what every subcommand's document carries around its report:
/// `schema_version`, `errors`, `rejected`, and `stats` with the rows
/// read and the rejected rows (in total and by reason) beside the
/// subcommand's own figures in `stats` (a JSON object).
pub fn envelope(
    out: &mut serde_json::Map<String, Value>,
    errors: &Errors,
    rejects: &Rejects,
    rows: u64,
    stats: Value,
) {
    out.insert("schema_version".into(), json!(1));
    out.insert("errors".into(), errors.to_json());
    out.insert("rejected".into(), rejects.to_json());
    let mut all = match stats {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    all.insert("rows".into(), json!(rows));
    all.insert("rejected_rows".into(), json!(rejects.total()));
    all.insert("rejected_by_reason".into(), rejects.by_reason_json());
    out.insert("stats".into(), Value::Object(all));
}
