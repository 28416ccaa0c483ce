//! Writes a year of an app's events (`revops_benches::write_year_events_csv`:
//! UUID-like ids, ISO times, `signup` and `login`, a country) for
//! `revops retention` and `benches/compare/retention_clickhouse.py`:
//!
//! ```text
//! cargo run --release -p revops-benches --example gen_year_events -- FILE [USERS]
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: gen_year_events FILE [USERS]");
        std::process::exit(2)
    };
    let users: u64 = args
        .next()
        .map(|u| u.parse().expect("USERS is a number"))
        .unwrap_or(revops_benches::USERS);
    let mut file = std::fs::File::create(&path).expect("the file can be created");
    let rows = revops_benches::write_year_events_csv(users, revops_benches::SEED, &mut file)
        .expect("the file can be written");
    eprintln!("{rows} rows of {users} users written to {path}");
}
