fn main() {
    use revops::quantity::Month;
    use revops::recurring::{MrrSpec, MrrState};
    use revops::{Currency, Decimal, Money};
    let base = "2025-01".parse::<Month>().unwrap().index();
    let rows: Vec<(String, Month, Money)> =
        revops_benches::mrr_rows(1_000_000, revops_benches::SEED)
            .into_iter()
            .map(|(c, m, cents)| {
                (
                    revops_benches::customer_id(c, revops_benches::SEED),
                    Month::from_index(base + m).unwrap(),
                    Money::new(Decimal::new(cents, 2), Currency::USD),
                )
            })
            .collect();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let mut st = MrrState::new(MrrSpec::new(Currency::USD));
        for (c, m, v) in &rows {
            st.add_month(c, *m, *v).unwrap();
        }
        let t1 = t.elapsed();
        let r = st.finish().unwrap();
        eprintln!(
            "add {:?} finish {:?} ({} months)",
            t1,
            t.elapsed() - t1,
            r.months.len()
        );
    }
}
