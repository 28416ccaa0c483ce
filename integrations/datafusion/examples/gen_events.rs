//! Writes the bench's 10 million events (`benches/events.rs`, seeded) as
//! one uncompressed Parquet file, for the ClickHouse comparison
//! (`benches/compare/clickhouse.py`) and the SQL shell:
//!
//! ```text
//! cargo run --release --example gen_events -- /tmp/events.parquet
//! ```

#[path = "../benches/events.rs"]
mod events;

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: gen_events OUT.parquet");
        return ExitCode::from(2);
    };
    let evs = events::events();
    match events::write_parquet(&evs, std::path::Path::new(&path)) {
        Ok(()) => {
            println!("{} events of {} users -> {path}", evs.len(), events::USERS);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_events: {e}");
            ExitCode::from(1)
        }
    }
}
