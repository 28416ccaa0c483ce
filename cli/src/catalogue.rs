//! `revops catalogue`: every metric of the library's catalogue.

use revops::metrics::{Metric, MetricInfo};
use serde_json::Value;

use crate::output::{emit, Align, OutputArgs, Table, View};

/// `revops catalogue`.
#[derive(clap::Args)]
#[command(
    about = "The metric catalogue: every metric's formula, unit, direction and objectives",
    after_help = "\
No input file. One entry per metric, in catalogue order, with the fields id,
name, team (marketing, sales or shared), unit (ratio, money, multiple, count,
days, ...), direction (higher or lower is better), formula, objectives, aliases
and inputs. JSON is a list of objects; table and csv show one row per metric.

Examples:
  revops catalogue --format table
  revops catalogue --format json | jq '.[] | select(.team == \"sales\") | .id'"
)]
pub struct Args {
    #[command(flatten)]
    output: OutputArgs,
}

/// Prints the catalogue.
pub fn run(args: Args) {
    let entries: Vec<MetricInfo> = Metric::ALL.iter().map(|m| m.info()).collect();
    let doc = serde_json::to_value(&entries).unwrap_or(Value::Null);
    emit(args.output.format(), &doc, |_| {
        let mut t = Table::new(
            format!("{} metrics", entries.len()),
            &[
                ("id", Align::Left),
                ("name", Align::Left),
                ("team", Align::Left),
                ("unit", Align::Left),
                ("better", Align::Left),
                ("formula", Align::Left),
            ],
        );
        for m in &entries {
            t.row(vec![
                m.id.to_string(),
                m.name.to_string(),
                m.team.to_string(),
                m.unit.to_string(),
                m.direction.to_string(),
                m.formula.to_string(),
            ]);
        }
        View::new(vec![t])
    });
}
