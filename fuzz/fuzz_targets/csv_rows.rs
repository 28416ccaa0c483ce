//! The command's row reading: the streaming CSV reader
//! (`revops::csv::RowReader`, what `revops attribution`, `pipeline` and
//! `clv` read with) over any bytes, then each row's fields through the
//! library parsers they use (numbers, decimals, money, paths, dates,
//! categories).
//! Never a panic; line numbers start at 1 and never go back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use revops::attribution::PathRow;
use revops::journey::Channels;
use revops::pipeline::ForecastCategory;
use revops::{Decimal, Money};

fuzz_target!(|data: &[u8]| {
    let delimiter = [b',', b';', b'\t'][usize::from(data.first().copied().unwrap_or(0) % 3)];
    let mut reader = revops::csv::RowReader::new(data, delimiter);
    let mut channels = Channels::new();
    let mut last = 0;
    let mut rows = 0;
    while let Ok(Some(info)) = reader.next_record() {
        assert!(info.line >= 1 && info.line >= last, "line {} after {last}", info.line);
        last = info.line;
        rows += 1;
        assert!(rows <= data.len() + 1);
        for i in 0..reader.len() {
            let Some(f) = reader.field(i) else { continue };
            let Ok(s) = std::str::from_utf8(f) else { continue };
            let s = s.trim();
            let _ = s.parse::<u64>();
            let _ = s.parse::<i64>();
            if let Ok(d) = Decimal::from_str_exact(s) {
                // Exact: the text reads back to the same value.
                assert_eq!(Decimal::from_str_exact(&d.to_string()).ok(), Some(d));
            }
            let _ = Money::parse(s, "USD");
            let _ = Money::parse("1", s);
            let _ = PathRow::parse_path(s, &mut channels);
            let _ = ForecastCategory::parse(s);
            let _ = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d");
        }
    }
});
