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

use datafusion::parquet::arrow::ArrowWriter;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: gen_events OUT.parquet");
        return ExitCode::from(2);
    };
    let evs = events::events();
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let file = std::fs::File::create(&path)?;
        let mut w = ArrowWriter::try_new(file, events::schema(), None)?;
        for part in events::partitions(&evs, 1) {
            for b in part {
                w.write(&b)?;
            }
        }
        w.close()?;
        Ok(())
    })();
    match result {
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
