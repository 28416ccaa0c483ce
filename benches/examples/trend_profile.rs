fn main() {
    use revops::csv::{read_events, ReadOptions};
    use revops::funnel::{analyze, FunnelSpec, Options};
    use revops::quantity::{Calendar, PeriodLength, TimeBins};
    let bytes = revops_benches::events_csv(revops_benches::USERS, revops_benches::SEED);
    let options = ReadOptions {
        steps: Some(5),
        size_hint: Some(bytes.len() as u64),
        ..ReadOptions::default()
    };
    let read = read_events(&bytes[..], &options).unwrap();
    let plain = FunnelSpec::new(5, revops::TimeDelta::days(7)).unwrap();
    let trend = plain
        .clone()
        .with_trend(Calendar::utc(PeriodLength::Week))
        .with_time_to_convert(TimeBins::CubeRoot);
    for _ in 0..3 {
        for (n, s) in [("plain", &plain), ("trend", &trend)] {
            let t = std::time::Instant::now();
            let _ = analyze(s, &read.events, &read.channels, Options::threads(2)).unwrap();
            eprintln!("{n} total {:?}", t.elapsed());
        }
    }
}
