//! Plumbing shared by the example tools (`funnel`, `attribution`): argument
//! parsing, CSV reading with line numbers, rejected rows, JSON output, and
//! the exit codes of `examples/README.md`.

#![allow(dead_code)]

use std::process::exit;
use std::time::Instant;

use serde_json::{json, Value};

/// Parsed command line: one positional input file and `--flag value` pairs.
pub struct Args {
    pub file: String,
    flags: Vec<(String, String)>,
}

impl Args {
    /// Parses `std::env::args`, accepting only the `known` flags. Exits 2 on
    /// a usage error.
    pub fn parse(tool: &str, usage: &str, known: &[&str]) -> Args {
        let mut file = None;
        let mut flags = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if name == "help" {
                    println!("usage: {usage}");
                    exit(0);
                }
                if !known.contains(&name) {
                    usage_error(tool, usage, &format!("unknown flag --{name}"));
                }
                match it.next() {
                    Some(v) => flags.push((name.to_string(), v)),
                    None => usage_error(tool, usage, &format!("--{name} needs a value")),
                }
            } else if file.is_none() {
                file = Some(a);
            } else {
                usage_error(tool, usage, &format!("unexpected argument {a:?}"));
            }
        }
        match file {
            Some(file) => Args { file, flags },
            None => usage_error(tool, usage, "the input file is missing"),
        }
    }

    /// The last value of `--name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable `--name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `--name` parsed, or exit 2 naming the flag.
    pub fn parsed<T: std::str::FromStr>(&self, tool: &str, usage: &str, name: &str) -> Option<T> {
        self.get(name).map(|v| {
            v.parse().unwrap_or_else(|_| {
                usage_error(tool, usage, &format!("--{name}: cannot read {v:?}"))
            })
        })
    }
}

/// Prints a usage error to stderr and exits 2.
pub fn usage_error(tool: &str, usage: &str, msg: &str) -> ! {
    eprintln!("{tool}: {msg}\nusage: {usage}");
    exit(2)
}

/// A row that could not be used: its 1-based line (the header is line 1)
/// and why.
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

impl Rejected {
    pub fn to_json(rows: &[Rejected]) -> Value {
        Value::Array(
            rows.iter()
                .map(|r| json!({"line": r.line, "reason": r.reason}))
                .collect(),
        )
    }
}

/// A CSV file read whole: the rows with their line numbers, and the time it
/// took. Exits 1 if the file cannot be read, 2 if its header lacks a column.
pub struct Table {
    pub rows: Vec<(u64, csv::StringRecord)>,
    pub rejected: Vec<Rejected>,
    pub columns: Vec<usize>,
    pub started: Instant,
}

/// Reads `path`, locating the `wanted` columns by header name.
pub fn read_csv(tool: &str, usage: &str, path: &str, wanted: &[&str]) -> Table {
    let started = Instant::now();
    let delimiter = sniff_delimiter(tool, path);
    let mut reader = match csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_path(path)
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{tool}: cannot read {path}: {e}");
            exit(1)
        }
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            eprintln!("{tool}: cannot read the header of {path}: {e}");
            exit(1)
        }
    };
    let mut columns = Vec::new();
    for w in wanted {
        match headers.iter().position(|h| h.trim() == *w) {
            Some(i) => columns.push(i),
            None => usage_error(
                tool,
                usage,
                &format!("{path}: the header has no {w:?} column"),
            ),
        }
    }
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 2, |p| p.line());
        match rec {
            Ok(r) if r.len() == headers.len() => rows.push((line, r)),
            Ok(r) => rejected.push(Rejected {
                line,
                reason: format!("expected {} fields, found {}", headers.len(), r.len()),
            }),
            Err(e) => rejected.push(Rejected {
                line,
                reason: format!("unreadable row: {e}"),
            }),
        }
    }
    Table {
        rows,
        rejected,
        columns,
        started,
    }
}

/// The field delimiter, from the header line: `,` unless the header has
/// more `;` or tabs (ChannelAttribution's sample data uses `;`).
fn sniff_delimiter(tool: &str, path: &str) -> u8 {
    use std::io::BufRead;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{tool}: cannot read {path}: {e}");
            exit(1)
        }
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(file).read_line(&mut first);
    let count = |c: char| first.matches(c).count();
    [(b',', count(',')), (b';', count(';')), (b'\t', count('\t'))]
        .into_iter()
        .max_by_key(|&(d, n)| (n, d == b','))
        .map_or(b',', |(d, _)| d)
}

/// Milliseconds since `t`, as a JSON number.
pub fn ms_since(t: Instant) -> Value {
    json!((t.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0)
}

/// Prints `v` as pretty JSON on stdout (a closed pipe is not an error).
pub fn print_json(v: &Value) {
    use std::io::Write;
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// The value, or the error printed to stderr and exit code 1 (the
/// analysis could not run on data that was read).
pub fn or_exit<T>(tool: &str, r: Result<T, revops::Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{tool}: {e}");
            exit(1)
        }
    }
}
