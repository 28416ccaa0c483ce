//! A small SQL shell for scripts, with the revops functions registered.
//!
//! ```text
//! sql --table NAME=PATH [--table NAME=PATH ...] "QUERY"
//! ```
//!
//! Each `PATH` is a `.csv` file with a header or a `.parquet` file (or a
//! directory of them, named `.csv`/`.parquet` likewise) registered as table
//! `NAME`. The result is printed as CSV with a header on stdout (lists as
//! `[1, 0, 1]`, NULL as an empty field); errors go to stderr. Exit status:
//! 0, 1 on a query error, 2 on a usage error. DataFusion's settings come
//! from `DATAFUSION_*` environment variables when set.
//!
//! ```text
//! cargo run --release --example sql -- --table events=events.parquet \
//!   "SELECT level, count(*) AS users FROM (SELECT user_id, \
//!    window_funnel(604800, ts, step = 0, step = 1, step = 2) AS level \
//!    FROM events GROUP BY user_id) GROUP BY level ORDER BY level"
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use revops_datafusion::OnePhaseRowAggregates;

const USAGE: &str = "usage: sql --table NAME=PATH [--table NAME=PATH ...] \"QUERY\"\n\
                     PATH: a .csv file with a header, or a .parquet file";

/// A parsed command line.
struct Args {
    tables: Vec<(String, String)>,
    query: String,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut tables = Vec::new();
    let mut query = None;
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        let spec = if a == "--table" {
            Some(args.next().ok_or("--table needs NAME=PATH")?)
        } else if let Some(rest) = a.strip_prefix("--table=") {
            Some(rest.to_string())
        } else if a == "-h" || a == "--help" {
            return Ok(None);
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a}"));
        } else {
            if query.replace(a).is_some() {
                return Err("give one QUERY (quote it)".into());
            }
            None
        };
        if let Some(spec) = spec {
            let (name, path) = spec
                .split_once('=')
                .filter(|(n, p)| !n.is_empty() && !p.is_empty())
                .ok_or_else(|| format!("--table {spec:?}: expected NAME=PATH"))?;
            if !(path.ends_with(".csv") || path.ends_with(".parquet")) {
                return Err(format!(
                    "--table {name}: {path:?} is neither .csv nor .parquet"
                ));
            }
            tables.push((name.to_string(), path.to_string()));
        }
    }
    let query = query.ok_or("no QUERY")?;
    Ok(Some(Args { tables, query }))
}

/// One CSV field: quoted when it holds a comma, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(
    out: &mut impl Write,
    batches: &[RecordBatch],
    header: &[String],
) -> Result<(), String> {
    let e = |e: std::io::Error| e.to_string();
    let names: Vec<String> = header.iter().map(|h| field(h)).collect();
    writeln!(out, "{}", names.join(",")).map_err(e)?;
    let options = FormatOptions::default().with_null("");
    for b in batches {
        let formatters = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for row in 0..b.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| field(&f.value(row).to_string()))
                .collect();
            writeln!(out, "{}", cells.join(",")).map_err(e)?;
        }
    }
    out.flush().map_err(e)
}

async fn run(args: Args) -> Result<(), String> {
    // DataFusion's settings from DATAFUSION_* environment variables
    // (DATAFUSION_EXECUTION_TARGET_PARTITIONS=4, ...); its defaults
    // otherwise.
    let config = SessionConfig::from_env().map_err(|e| e.to_string())?;
    // The row-keeping aggregates (window_funnel, sequence_*) in one phase.
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(
            OnePhaseRowAggregates::new().with_own_grouping(true),
        ))
        .build();
    let mut ctx = SessionContext::new_with_state(state);
    revops_datafusion::register_all(&mut ctx).map_err(|e| e.to_string())?;
    for (name, path) in &args.tables {
        let r = if path.ends_with(".csv") {
            ctx.register_csv(name, path, CsvReadOptions::new().has_header(true))
                .await
        } else {
            ctx.register_parquet(name, path, ParquetReadOptions::default())
                .await
        };
        r.map_err(|e| format!("table {name} ({path}): {e}"))?;
    }
    let df = ctx.sql(&args.query).await.map_err(|e| e.to_string())?;
    let header: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = df.collect().await.map_err(|e| e.to_string())?;
    write_csv(&mut std::io::stdout().lock(), &batches, &header)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("sql: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sql: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sql: {e}");
            ExitCode::from(1)
        }
    }
}
