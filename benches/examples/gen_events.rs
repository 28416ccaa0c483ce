//! Writes the end-to-end issue's event log (`revops_benches::events_csv`:
//! about 10.4 million rows of 2,000,000 users, 370 MB), the same data the
//! `funnel_file` bench reads from memory, for the funnel tool and
//! `compare/funnel_clickhouse.py`:
//!
//! ```text
//! cargo run --release -p revops-benches --example gen_events -- /tmp/events.csv [USERS]
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: gen_events OUT.csv [USERS]");
        return ExitCode::from(2);
    };
    let users = match args.next().map(|u| u.parse::<u64>()) {
        None => revops_benches::USERS,
        Some(Ok(u)) => u,
        Some(Err(e)) => {
            eprintln!("gen_events: USERS: {e}");
            return ExitCode::from(2);
        }
    };
    let written = std::fs::File::create(&path)
        .and_then(|mut f| revops_benches::write_events_csv(users, revops_benches::SEED, &mut f));
    match written {
        Ok(rows) => {
            println!("{rows} rows of {users} users written to {path}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_events: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
