//! Writes a billing export (`revops_benches::write_mrr_csv`:
//! `customer_id,month,mrr,currency`) for `revops mrr` and
//! `benches/compare/mrr_clickhouse.py`:
//!
//! ```text
//! cargo run --release -p revops-benches --example gen_mrr -- FILE [CUSTOMERS]
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: gen_mrr FILE [CUSTOMERS]");
        std::process::exit(2)
    };
    let customers: u64 = args
        .next()
        .map(|u| u.parse().expect("CUSTOMERS is a number"))
        .unwrap_or(1_000_000);
    let mut file = std::fs::File::create(&path).expect("the file can be created");
    let rows = revops_benches::write_mrr_csv(customers, revops_benches::SEED, &mut file)
        .expect("the file can be written");
    eprintln!("{rows} rows of {customers} customers written to {path}");
}
