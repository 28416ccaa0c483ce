//! Output: the JSON document as it is, or tables for people (`table`,
//! `csv`), rounded by the library's display rules
//! (`revops::quantity::fixed_text`, `duration_text`).

use std::io::{IsTerminal, Write};

use revops::quantity::{duration_text, fixed_text};
use revops::{Currency, Decimal};
use serde_json::Value;

/// How the result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The report as JSON, exact (decimal strings), for scripts.
    Json,
    /// Aligned tables for people, figures rounded.
    Table,
    /// The main table as CSV, figures rounded as in `table`.
    Csv,
}

/// The `--format` flag every subcommand takes.
#[derive(clap::Args, Clone, Debug)]
pub struct OutputArgs {
    /// Output: json (exact, for scripts), table (rounded, for people) or csv
    /// (the main table, rounded) [default: table on a terminal, json otherwise]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

impl OutputArgs {
    /// The format asked for, or `table` when stdout is a terminal and
    /// `json` otherwise (so scripts get JSON).
    pub fn format(&self) -> Format {
        self.format.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            }
        })
    }
}

/// How a column's cells line up.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: left.
    Left,
    /// Numbers: right.
    Right,
}

/// One table for people: a title, named columns, rows of cell texts.
pub struct Table {
    title: String,
    head: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

/// Tables fit this many columns of text; wider ones wrap by section.
const WIDTH: usize = 100;

impl Table {
    /// An empty table with these columns.
    pub fn new(title: impl Into<String>, head: &[(&str, Align)]) -> Table {
        Table {
            title: title.into(),
            head: head.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as columns; missing cells are blank).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn cell(&self, r: usize, c: usize) -> &str {
        self.rows[r].get(c).map_or("", String::as_str)
    }

    /// The table as aligned text. Columns past 100 characters go to
    /// further sections that repeat the first column.
    fn text(&self, out: &mut String) {
        let n = self.head.len();
        let widths: Vec<usize> = (0..n)
            .map(|c| {
                (0..self.rows.len())
                    .map(|r| self.cell(r, c).chars().count())
                    .chain(std::iter::once(self.head[c].0.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        out.push_str(&self.title);
        out.push('\n');
        // Sections: the first column, then as many others as fit.
        let mut sections: Vec<Vec<usize>> = Vec::new();
        let mut next = 1;
        loop {
            let mut cols = vec![0];
            let mut used = widths.first().copied().unwrap_or(0);
            while next < n && (cols.len() == 1 || used + 2 + widths[next] <= WIDTH) {
                used += 2 + widths[next];
                cols.push(next);
                next += 1;
            }
            sections.push(cols);
            if next >= n {
                break;
            }
        }
        for (k, cols) in sections.iter().enumerate() {
            if k > 0 {
                out.push('\n');
            }
            let line = |cells: &mut dyn Iterator<Item = (usize, &str)>, out: &mut String| {
                let mut text = String::new();
                for (i, (c, cell)) in cells.enumerate() {
                    if i > 0 {
                        text.push_str("  ");
                    }
                    let pad = widths[c].saturating_sub(cell.chars().count());
                    match self.head[c].1 {
                        Align::Right => {
                            text.extend(std::iter::repeat_n(' ', pad));
                            text.push_str(cell);
                        }
                        Align::Left => {
                            text.push_str(cell);
                            text.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
                out.push_str(text.trim_end());
                out.push('\n');
            };
            line(&mut cols.iter().map(|&c| (c, self.head[c].0.as_str())), out);
            let rule: Vec<String> = cols.iter().map(|&c| "-".repeat(widths[c])).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
            for r in 0..self.rows.len() {
                line(&mut cols.iter().map(|&c| (c, self.cell(r, c))), out);
            }
        }
    }

    /// The table as CSV (RFC 4180 quoting).
    fn csv(&self, out: &mut String) {
        self.csv_into(out, true);
    }

    /// The table as CSV, its header line first when `header`.
    pub fn csv_into(&self, out: &mut String, header: bool) {
        let field = |s: &str, out: &mut String| {
            if s.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        };
        if header {
            for (i, (h, _)) in self.head.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                field(h, out);
            }
            out.push('\n');
        }
        for r in 0..self.rows.len() {
            for c in 0..self.head.len() {
                if c > 0 {
                    out.push(',');
                }
                field(self.cell(r, c), out);
            }
            out.push('\n');
        }
    }
}

/// What a subcommand shows people: its tables (the first is the main
/// one, the one `csv` prints) and notes under them.
#[derive(Default)]
pub struct View {
    /// The tables, the main one first.
    pub tables: Vec<Table>,
    /// Lines printed under the tables (`table` only).
    pub notes: Vec<String>,
}

impl View {
    /// A view of these tables.
    pub fn new(tables: Vec<Table>) -> View {
        View {
            tables,
            notes: Vec::new(),
        }
    }

    /// Notes about the envelope of a tool's document: rejected rows and
    /// figures that could not be computed.
    pub fn envelope_notes(mut self, doc: &Value) -> View {
        let rejected = doc["stats"]["rejected_rows"].as_u64().unwrap_or(0);
        if rejected > 0 {
            self.notes.push(format!(
                "{rejected} row(s) rejected; lines and reasons: --format json (\"rejected\")"
            ));
            if let Some(by) = doc["stats"]["rejected_by_reason"].as_object() {
                for (reason, n) in by {
                    self.notes.push(format!("  {n} × {reason}"));
                }
            }
        }
        if let Some(errors) = doc["errors"].as_array() {
            for e in errors.iter().take(20) {
                self.notes.push(format!(
                    "not computed: {}: {}",
                    e["figure"].as_str().unwrap_or(""),
                    e["reason"].as_str().unwrap_or("")
                ));
            }
            if errors.len() > 20 {
                self.notes.push(format!(
                    "... {} more under \"errors\" (--format json)",
                    errors.len() - 20
                ));
            }
        }
        self
    }
}

/// Prints `doc` in `format`: JSON as it is, or `view(doc)` as tables or
/// CSV. A closed stdout ends the output quietly.
pub fn emit(format: Format, doc: &Value, view: impl FnOnce(&Value) -> View) {
    let mut text = String::new();
    match format {
        Format::Json => {
            text = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
            text.push('\n');
        }
        Format::Table => {
            let v = view(doc);
            for (k, t) in v.tables.iter().enumerate() {
                if k > 0 {
                    text.push('\n');
                }
                t.text(&mut text);
            }
            if !v.notes.is_empty() {
                text.push('\n');
                for n in &v.notes {
                    text.push_str(n);
                    text.push('\n');
                }
            }
        }
        Format::Csv => {
            if let Some(t) = view(doc).tables.first() {
                t.csv(&mut text);
            }
        }
    }
    write_out(&text);
}

/// Writes to stdout; a closed pipe (`revops catalogue | head`) is not an
/// error, and nothing panics.
pub fn write_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// How a figure's JSON value is shown in a table.
pub type Cell = fn(&Value) -> String;

/// A cell for a JSON value that may be null: `-` for null.
fn or_dash(v: &Value, f: impl FnOnce(&Value) -> Option<String>) -> String {
    if v.is_null() {
        "-".into()
    } else {
        f(v).unwrap_or_else(|| v.to_string())
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => Decimal::try_from(f).ok(),
            _ => n.to_string().parse().ok(),
        },
        _ => None,
    }
}

/// A count or any plain value.
pub fn plain(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Money (`{"amount", "currency"}`) rounded to its currency's minor unit:
/// `1227.27 USD`.
pub fn money(v: &Value) -> String {
    or_dash(v, |v| {
        let amount = decimal(&v["amount"])?;
        let code = v["currency"].as_str()?;
        let dp = Currency::from_code(code).ok()?.exponent().unwrap_or(0);
        Some(format!("{} {code}", fixed_text(amount, dp)))
    })
}

/// A ratio (`"0.125"`) as a percent with one decimal: `12.5%`.
pub fn percent(v: &Value) -> String {
    or_dash(v, |v| {
        let r = decimal(v)?;
        Some(format!(
            "{}%",
            fixed_text(r.checked_mul(Decimal::ONE_HUNDRED)?, 1)
        ))
    })
}

/// A multiple (`"1.15"`) with two decimals: `1.15x`.
pub fn multiple(v: &Value) -> String {
    or_dash(v, |v| Some(format!("{}x", fixed_text(decimal(v)?, 2))))
}

/// A decimal with `dp` decimals.
pub fn fixed(v: &Value, dp: u32) -> String {
    or_dash(v, |v| Some(fixed_text(decimal(v)?, dp)))
}

/// A duration in seconds, in the largest sensible unit: `2d 4h`.
pub fn seconds(v: &Value) -> String {
    or_dash(v, |v| Some(duration_text(decimal(v)?)))
}

/// A duration in days, in the largest sensible unit: `12d 3h`.
pub fn days(v: &Value) -> String {
    or_dash(v, |v| {
        Some(duration_text(
            decimal(v)?.checked_mul(Decimal::from(86_400))?,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_round_for_people() {
        assert_eq!(
            money(&json!({"amount": "1227.2727272727272727272727273", "currency": "USD"})),
            "1227.27 USD"
        );
        assert_eq!(money(&json!({"amount": "5", "currency": "JPY"})), "5 JPY");
        assert_eq!(money(&Value::Null), "-");
        assert_eq!(percent(&json!("0.6")), "60.0%");
        assert_eq!(percent(&json!("0.12345")), "12.3%");
        assert_eq!(multiple(&json!("0.6")), "0.60x");
        assert_eq!(seconds(&json!("253.33333333333333333333333333")), "4m 13s");
        assert_eq!(days(&json!("2.5")), "2d 12h");
    }

    #[test]
    fn wide_tables_wrap_by_section_and_numbers_align_right() {
        let mut t = Table::new(
            "wide",
            &[
                ("key", Align::Left),
                ("a", Align::Right),
                ("b", Align::Right),
            ],
        );
        t.row(vec!["x".into(), "1".repeat(60), "2".repeat(60)]);
        t.row(vec!["y".into(), "3".into(), "4".into()]);
        let mut s = String::new();
        t.text(&mut s);
        assert!(s.lines().all(|l| l.chars().count() <= WIDTH), "{s}");
        // Two sections, each starting with the key column.
        assert_eq!(s.lines().filter(|l| l.starts_with("key")).count(), 2, "{s}");
        assert!(
            s.lines().any(|l| l.starts_with("y") && l.ends_with(" 3")),
            "{s}"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let mut t = Table::new("t", &[("name", Align::Left), ("n", Align::Right)]);
        t.row(vec!["a,b \"c\"".into(), "1".into()]);
        let mut s = String::new();
        t.csv(&mut s);
        assert_eq!(s, "name,n\n\"a,b \"\"c\"\"\",1\n");
    }
}
