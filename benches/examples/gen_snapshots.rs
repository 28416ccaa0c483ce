//! Writes two CRM snapshots (`revops_benches::write_snapshots_csv`:
//! `snapshot_date,deal_id,amount,currency,stage,close_date,status,forecast_category`)
//! for `revops pipeline-flow`:
//!
//! ```text
//! cargo run --release -p revops-benches --example gen_snapshots -- FILE [DEALS]
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: gen_snapshots FILE [DEALS]");
        std::process::exit(2)
    };
    let deals: u64 = args
        .next()
        .map(|u| u.parse().expect("DEALS is a number"))
        .unwrap_or(1_000_000);
    let mut file = std::fs::File::create(&path).expect("the file can be created");
    let rows = revops_benches::write_snapshots_csv(deals, revops_benches::SEED, &mut file)
        .expect("the file can be written");
    eprintln!("{rows} rows of {deals} deals written to {path}");
}
