//! `revops`: the revops library's analyses on analysts' CSV exports.
//!
//! Each subcommand reads one CSV file (`catalogue` none), runs one of the
//! library's analyses and prints the result: a table for people on a
//! terminal, the library's report as JSON for scripts (`--format`). The
//! interface (flags, JSON keys, exit codes) is a contract, described in
//! `cli/README.md`.

mod attribution;
mod catalogue;
mod clv;
mod clv_bgbb;
mod clv_sbg;
mod common;
mod flow;
mod funnel;
mod mrr;
mod output;
mod pipeline;
mod retention;
mod sequence;

use clap::{Parser, Subcommand};

/// The revops command.
#[derive(Parser)]
#[command(
    name = "revops",
    version,
    about = "Revenue analyses on CSV exports: funnels, attribution, pipeline, lifetime value",
    long_about = None,
    after_help = "\
Every subcommand reads one CSV file (the first line a header; `,`, `;` or tab
separated) and prints a table on a terminal, JSON otherwise (--format
json|table|csv). Exit codes: 0 the file was read (rejected rows and figures
that could not be computed are listed in the output), 2 a usage error, 1 the
file cannot be read. `revops SUBCOMMAND --help` lists its columns and flags.

Examples:
  revops funnel events.csv --steps signup,activate,paid --window 7d
  revops attribution paths.csv --model markov --format table
  revops retention events.csv --start-event signup --return-event login --period week
  revops mrr billing.csv --format table
  revops pipeline-flow snapshots.csv --from 2026-01-05 --to 2026-02-02 --period-start 2026-01-01 --period-end 2026-04-01
  revops sequence events.csv --pattern '(?1)(?t<=86400)(?2)' --events pricing,trial
  revops catalogue --format csv",
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Conversion funnel of user events (ClickHouse's windowFunnel, every mode)
    Funnel(funnel::Args),
    /// Multi-touch attribution of conversion paths (heuristics, Markov, Shapley)
    Attribution(attribution::Args),
    /// Pipeline report of CRM deals: win rate, cycle, coverage, forecast, quota
    Pipeline(pipeline::Args),
    /// Pipeline flow between two CRM snapshots: the waterfall, slippage, stage durations, forecast accuracy
    PipelineFlow(flow::Args),
    /// Customer lifetime value: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, sBG and BG/BB fits
    Clv(clv::Args),
    /// Cohort retention: do a period's new users come back in the periods after?
    Retention(retention::RetentionArgs),
    /// User lifecycle per period: new, returning, resurrecting and dormant users
    Lifecycle(retention::LifecycleArgs),
    /// Recurring revenue: the monthly MRR bridge, quick ratio, revenue churn and cohort NRR/GRR
    Mrr(mrr::Args),
    /// Event sequences per user: who follows a pattern, and how often (ClickHouse's sequenceMatch/sequenceCount)
    Sequence(sequence::Args),
    /// The metric catalogue: every metric's formula, unit and direction
    Catalogue(catalogue::Args),
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Funnel(a) => funnel::run(a),
        Command::Attribution(a) => attribution::run(a),
        Command::Pipeline(a) => pipeline::run(a),
        Command::PipelineFlow(a) => flow::run(a),
        Command::Clv(a) => clv::run(a),
        Command::Retention(a) => retention::run_retention(a),
        Command::Lifecycle(a) => retention::run_lifecycle(a),
        Command::Mrr(a) => mrr::run(a),
        Command::Sequence(a) => sequence::run(a),
        Command::Catalogue(a) => catalogue::run(a),
    }
}
