//! The bench's events, shared by the bench and `examples/gen_events.rs`
//! (which writes them as Parquet for the ClickHouse comparison, as the
//! bench does for its own Parquet case): seeded, so every run sees the
//! same input.

#![allow(dead_code)]

use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, Int8Array, RecordBatch, TimestampSecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

pub const USERS: u64 = 2_000_000;
pub const BATCH: usize = 8_192;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `(user, ts, step)` in time order, 3% of them late.
pub fn events() -> Vec<(i64, i64, i8)> {
    let mut r = Rng(0x5EED_F00D_1234_5678);
    let start = 1_767_225_600i64;
    let mut out = Vec::with_capacity(10_400_000);
    for u in 0..USERS {
        let user = 100_000_000_000_000 + (u * 7_919) as i64;
        let mut t = start + (r.next() % (90 * 86_400)) as i64;
        let n = 1 + r.next() % 9;
        for k in 0..n {
            let step = if r.next().is_multiple_of(4) {
                (r.next() % 5) as i8
            } else {
                k.min(4) as i8
            };
            out.push((user, t, step));
            t += (r.next() % (3 * 86_400)) as i64;
        }
    }
    out.sort_unstable_by_key(|e| e.1);
    // 3% late: swapped with a row up to 1,000 rows ahead.
    let len = out.len();
    for i in 0..len {
        if r.next() % 100 < 3 {
            let j = (i + 1 + (r.next() % 1_000) as usize).min(len - 1);
            out.swap(i, j);
        }
    }
    out
}

/// `user_id BIGINT, ts TIMESTAMP(0), step TINYINT`.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Int64, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Second, None), false),
        Field::new("step", DataType::Int8, false),
    ]))
}

/// The events in `partitions` parts (in file order) of batches.
pub fn partitions(events: &[(i64, i64, i8)], partitions: usize) -> Vec<Vec<RecordBatch>> {
    let schema = schema();
    let per = events.len().div_ceil(partitions);
    events
        .chunks(per)
        .map(|part| {
            part.chunks(BATCH)
                .map(|c| {
                    RecordBatch::try_new(
                        schema.clone(),
                        vec![
                            Arc::new(Int64Array::from_iter_values(c.iter().map(|e| e.0))),
                            Arc::new(TimestampSecondArray::from_iter_values(
                                c.iter().map(|e| e.1),
                            )),
                            Arc::new(Int8Array::from_iter_values(c.iter().map(|e| e.2))),
                        ],
                    )
                    .unwrap()
                })
                .collect()
        })
        .collect()
}

/// Writes the events as one Parquet file (the writer's defaults: no
/// compression), in time order.
pub fn write_parquet(
    events: &[(i64, i64, i8)],
    path: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::fs::File::create(path)?;
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema(), None)?;
    for part in partitions(events, 1) {
        for b in part {
            w.write(&b)?;
        }
    }
    w.close()?;
    Ok(())
}
