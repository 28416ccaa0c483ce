//! Prints the whole metric catalogue as JSON: `cargo run --example catalogue`.
//!
//! One object per metric with `id`, `name`, `team` (`marketing`, `sales` or
//! `shared`), `unit`, `direction`, `formula`, `objectives`, `aliases` and
//! `inputs`, in catalogue order.

use revops::metrics::{Metric, MetricInfo};

fn main() {
    let entries: Vec<MetricInfo> = Metric::ALL.iter().map(|m| m.info()).collect();
    match serde_json::to_string_pretty(&entries) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("catalogue: cannot serialise: {e}");
            std::process::exit(1);
        }
    }
}
