//! `sequenceMatch`/`sequenceCount` on any pattern text and any rows: no
//! panic, a bad pattern refused exactly when the transcription of
//! ClickHouse (`tests/reference/sequence.rs`) refuses it, and otherwise
//! the same answers (or the same step-limit error), extreme times
//! included.

#![no_main]

#[path = "common.rs"]
mod common;
#[path = "../../tests/reference/sequence.rs"]
mod reference;

use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::funnel::{FunnelRow, Sequence, SequencePattern};
use revops::quantity::TimeUnit;

const OPS: [&str; 5] = ["<", "<=", ">", ">=", "=="];

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let n = 1 + usize::from(b.u8() % 4);
    let millis = b.u8() % 2 == 0;
    let pattern: String = if b.u8() % 4 == 0 {
        // Raw text: anything at all.
        let len = usize::from(b.u8() % 24);
        let raw: Vec<u8> = (0..len).map(|_| b.u8()).collect();
        String::from_utf8_lossy(&raw).into_owned()
    } else {
        (0..b.u8() % 7)
            .map(|_| match b.u8() % 5 {
                0 | 1 => format!("(?{})", b.u8() % 6),
                2 => ".".to_string(),
                3 => ".*".to_string(),
                _ => {
                    let d = match b.u8() % 6 {
                        0 => u64::MAX,
                        1 => b.u64(),
                        _ => u64::from(b.u8() % 8),
                    };
                    format!("(?t{}{d})", OPS[usize::from(b.u8() % 5)])
                }
            })
            .collect()
    };
    let mut rows = Vec::new();
    while !b.is_empty() && rows.len() < 40 {
        let ts = match b.u8() % 10 {
            0 => i64::MIN + i64::from(b.u8()),
            1 => i64::MAX - i64::from(b.u8()),
            _ => i64::from(b.u8() % 24),
        };
        rows.push((ts, u32::from(b.u8())));
    }
    let per_unit = if millis { 1_000 } else { 1 };
    let parsed = SequencePattern::parse(&pattern, n);
    assert_eq!(
        parsed.is_ok(),
        reference::parse(&pattern, n).is_ok(),
        "{pattern:?}"
    );
    let Ok(p) = parsed else { return };
    let mut s = Sequence::new(p);
    if millis {
        s = s.with_unit(TimeUnit::Millisecond);
    }
    let fr: Vec<FunnelRow> = rows.iter().map(|&(t, c)| FunnelRow::new(t, c)).collect();
    assert_eq!(
        s.matches(&fr).map_err(|_| ()),
        reference::sequence_match(&pattern, n, &rows, per_unit),
        "match {pattern:?} {rows:?}"
    );
    assert_eq!(
        s.count(&fr).map_err(|_| ()),
        reference::sequence_count(&pattern, n, &rows, per_unit),
        "count {pattern:?} {rows:?}"
    );
});
