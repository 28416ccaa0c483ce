//! Runs the sqllogictest files in `tests/slt/` (DataFusion's own test
//! convention: each record a statement or a query with its expected rows
//! or error) against a `SessionContext` with the revops functions
//! registered, on three target partitions, with DataFusion's default plan
//! and with the `OnePhaseRowAggregates` rule. A file's tables live for that
//! file only.
//!
//! To add a case: write the SQL and its expected output in a `.slt` file
//! (`query` with the rows, `query error <regex>` or
//! `statement error <regex>` for an error); values print as Arrow
//! formats them, NULL as `NULL`.

use std::path::PathBuf;

use async_trait::async_trait;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

mod common;

/// A session with the functions: the database the files run against.
struct Session {
    ctx: SessionContext,
}

#[async_trait]
impl AsyncDB for Session {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        let df = self.ctx.sql(sql).await?;
        let width = df.schema().fields().len();
        let batches = df.collect().await?;
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for b in &batches {
            let formatters = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()?;
            for i in 0..b.num_rows() {
                rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
            }
        }
        if width == 0 || (rows.is_empty() && is_statement(sql)) {
            return Ok(DBOutput::StatementComplete(0));
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; width],
            rows,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "revops-datafusion"
    }
}

fn is_statement(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    ["CREATE", "DROP", "INSERT", "SET"]
        .iter()
        .any(|k| head.starts_with(k))
}

fn files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    out.sort();
    out
}

#[test]
fn sqllogictest_files() {
    let files = files();
    assert!(files.len() >= 5, "the .slt files are missing: {files:?}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    // Each file three times: DataFusion's default plan, with the one-phase
    // rule for the row-keeping aggregates, and with its own grouping.
    for plan in common::Plan::ALL {
        for file in &files {
            let mut runner = Runner::new(move || async move {
                Ok::<_, DataFusionError>(Session {
                    ctx: common::session(3, plan),
                })
            });
            // Columns print as text: the files do not check type letters.
            runner.with_column_validator(|_, _| true);
            if let Err(e) = rt.block_on(runner.run_file_async(file)) {
                failures.push(format!(
                    "{} ({plan:?}):\n{}",
                    file.display(),
                    e.display(false)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every SQL recipe in the README appears verbatim in `recipes.slt`, so
/// each one a reader copies has run, with its answer checked.
#[test]
fn readme_recipes_are_the_tested_ones() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let slt = std::fs::read_to_string(root.join("tests/slt/recipes.slt")).unwrap();
    let recipes = readme
        .split("## Recipes")
        .nth(1)
        .and_then(|r| r.split("\n## ").next())
        .unwrap();
    let mut n = 0;
    for block in recipes.split("```sql\n").skip(1) {
        let sql = block.split("```").next().unwrap().trim_end();
        let sql = sql.strip_suffix(';').unwrap_or(sql);
        assert!(
            slt.contains(sql),
            "a README recipe is not in recipes.slt:\n{sql}"
        );
        n += 1;
    }
    assert!(n >= 8, "{n} recipes found");
}
