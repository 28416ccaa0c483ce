//! Where `RowGroupsExec` keeps a partition's rows: buckets of packed
//! records by a hash of the key, then each bucket's groups and results.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int16Array, Int32Array, Int64Array, Int8Array, RecordBatch,
    UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{
    DataType, Int16Type, Int32Type, Int64Type, Int8Type, SchemaRef, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use datafusion_common::{exec_err, Result};
use datafusion_execution::memory_pool::MemoryReservation;
use datafusion_physical_expr::PhysicalExpr;
use datafusion_physical_plan::metrics::BaselineMetrics;
use revops::funnel::FunnelRow;

use crate::rows::{Kernel, RowArgs};

/// The buckets rows are dealt into: `2^BUCKET_BITS`, plus one for the rows
/// whose key is NULL (one group of its own, as in SQL, kept as key 0).
const BUCKET_BITS: u32 = 6;
const BUCKETS: usize = 1 << BUCKET_BITS;
const NULL_BUCKET: usize = BUCKETS;

/// The hash's multiplier (2^64 over the golden ratio, odd: a bijection).
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// One row of an aggregate as a bucket keeps it: its key and the row, in
/// 20 bytes (packed: the fields are only ever copied out).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, packed(4))]
struct Record {
    key: u64,
    ts: i64,
    conditions: u32,
}

/// The items of a bucket's chunk: growing a bucket never copies it.
const CHUNK: usize = 4096;

/// Every bucket's items, in chunks of [`CHUNK`]: each bucket's chunk
/// being filled sits in one array (a push reads its place there and
/// writes the item), the full ones beside.
#[derive(Debug)]
struct Chunks<T> {
    filling: Vec<Vec<T>>,
    full: Vec<Vec<Vec<T>>>,
}

impl<T: Clone> Chunks<T> {
    fn new() -> Chunks<T> {
        Chunks {
            filling: vec![Vec::new(); BUCKETS + 1],
            full: vec![Vec::new(); BUCKETS + 1],
        }
    }

    #[inline]
    fn push(&mut self, b: usize, item: T) {
        let c = &mut self.filling[b];
        if c.len() == c.capacity() {
            let c = std::mem::replace(c, Vec::with_capacity(CHUNK));
            if !c.is_empty() {
                self.full[b].push(c);
            }
        }
        self.filling[b].push(item);
    }

    /// Takes bucket `b`'s items, in the order they came.
    fn take(&mut self, b: usize) -> Vec<Vec<T>> {
        let mut chunks = std::mem::take(&mut self.full[b]);
        let last = std::mem::take(&mut self.filling[b]);
        if !last.is_empty() {
            chunks.push(last);
        }
        chunks
    }

    /// The bytes they hold.
    fn bytes(&self) -> usize {
        let full: usize = self.full.iter().map(|f| f.len() * CHUNK).sum();
        let filling: usize = self.filling.iter().map(Vec::capacity).sum();
        (full + filling) * std::mem::size_of::<T>()
    }
}

/// One aggregate of the operator: its arguments and kernel.
pub(super) struct Aggregate {
    pub(super) args: Vec<Arc<dyn PhysicalExpr>>,
    pub(super) filter: Option<Arc<dyn PhysicalExpr>>,
    pub(super) rows: RowArgs,
    pub(super) kernel: Box<dyn Kernel>,
}

/// The rows of one partition, dealt into buckets by their key's hash.
pub(super) struct Buckets {
    key: Arc<dyn PhysicalExpr>,
    aggregates: Vec<Aggregate>,
    /// Each aggregate's rows.
    rows: Vec<Chunks<Record>>,
    /// The keys of the rows no aggregate took (each still makes a group).
    keys_only: Chunks<u64>,
    /// The current batch's keys (as bits) and which of its rows some
    /// aggregate took.
    keys: Vec<u64>,
    taken: Vec<bool>,
    reservation: MemoryReservation,
}

/// The bucket of a key.
fn bucket(key: u64) -> usize {
    (key.wrapping_mul(MIX) >> (64 - BUCKET_BITS)) as usize
}

/// The keys of `array` as 64 bits each (signed ones sign-extended, so
/// that equal keys and only they have equal bits).
fn key_bits(array: &ArrayRef, out: &mut Vec<u64>) -> Result<()> {
    out.clear();
    macro_rules! bits {
        ($t:ty) => {
            out.extend(
                array
                    .as_primitive::<$t>()
                    .values()
                    .iter()
                    .map(|&v| v as i64 as u64),
            )
        };
    }
    match array.data_type() {
        DataType::Int8 => bits!(Int8Type),
        DataType::Int16 => bits!(Int16Type),
        DataType::Int32 => bits!(Int32Type),
        DataType::Int64 => bits!(Int64Type),
        DataType::UInt8 => bits!(UInt8Type),
        DataType::UInt16 => bits!(UInt16Type),
        DataType::UInt32 => bits!(UInt32Type),
        DataType::UInt64 => out.extend(array.as_primitive::<UInt64Type>().values().iter()),
        other => return exec_err!("RowGroupsExec: a key of type {other}"),
    }
    Ok(())
}

/// The keys of `t` back from their bits (`None` for the NULL key).
fn key_array(t: &DataType, keys: &[u64], null: bool) -> Result<ArrayRef> {
    macro_rules! array {
        ($a:ty, $n:ty) => {
            if null {
                Arc::new(<$a>::from(vec![None::<$n>])) as ArrayRef
            } else {
                // The bits of a key of this type: truncating gives it back.
                Arc::new(<$a>::from_iter_values(keys.iter().map(|&k| k as $n))) as ArrayRef
            }
        };
    }
    Ok(match t {
        DataType::Int8 => array!(Int8Array, i8),
        DataType::Int16 => array!(Int16Array, i16),
        DataType::Int32 => array!(Int32Array, i32),
        DataType::Int64 => array!(Int64Array, i64),
        DataType::UInt8 => array!(UInt8Array, u8),
        DataType::UInt16 => array!(UInt16Array, u16),
        DataType::UInt32 => array!(UInt32Array, u32),
        DataType::UInt64 => array!(UInt64Array, u64),
        other => return exec_err!("RowGroupsExec: a key of type {other}"),
    })
}

impl Buckets {
    /// No rows yet, of the aggregates' rows keyed by `key`.
    pub(super) fn new(
        key: Arc<dyn PhysicalExpr>,
        aggregates: Vec<Aggregate>,
        reservation: MemoryReservation,
    ) -> Buckets {
        Buckets {
            key,
            rows: aggregates.iter().map(|_| Chunks::new()).collect(),
            aggregates,
            keys_only: Chunks::new(),
            keys: Vec::new(),
            taken: Vec::new(),
            reservation,
        }
    }

    /// Deals a batch's rows into the buckets.
    pub(super) fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let n = batch.num_rows();
        let keys = self.key.evaluate(batch)?.into_array(n)?;
        key_bits(&keys, &mut self.keys)?;
        let nulls = keys.logical_nulls();
        if let Some(v) = &nulls {
            // The NULL key's rows in one group of their own.
            for (k, valid) in self.keys.iter_mut().zip(v.iter()) {
                if !valid {
                    *k = 0;
                }
            }
        }
        let bucket_of = |i: usize, key: u64| match &nulls {
            Some(v) if v.is_null(i) => NULL_BUCKET,
            _ => bucket(key),
        };
        self.taken.clear();
        self.taken.resize(n, false);
        for (a, aggregate) in self.aggregates.iter().enumerate() {
            let values = aggregate
                .args
                .iter()
                .map(|e| e.evaluate(batch).and_then(|v| v.into_array(n)))
                .collect::<Result<Vec<_>>>()?;
            let filter = match &aggregate.filter {
                Some(f) => Some(f.evaluate(batch)?.into_array(n)?),
                None => None,
            };
            let filter = match &filter {
                Some(f) => match f.as_boolean_opt() {
                    Some(b) => Some(b),
                    None => return exec_err!("RowGroupsExec: a filter of {}", f.data_type()),
                },
                None => None,
            };
            let (keys, taken, rows) = (&self.keys, &mut self.taken, &mut self.rows[a]);
            aggregate.rows.each_row(&values, filter, |i, r| {
                let key = keys[i];
                taken[i] = true;
                rows.push(
                    bucket_of(i, key),
                    Record {
                        key,
                        ts: r.ts,
                        conditions: r.conditions,
                    },
                );
            })?;
        }
        for (i, (&key, &taken)) in self.keys.iter().zip(&self.taken).enumerate() {
            if !taken {
                self.keys_only.push(bucket_of(i, key), key);
            }
        }
        self.reserve()
    }

    /// Sizes the memory reservation to the buckets held.
    fn reserve(&mut self) -> Result<()> {
        let rows: usize = self.rows.iter().map(Chunks::bytes).sum();
        self.reservation.try_resize(rows + self.keys_only.bytes())
    }
}

/// The groups of one bucket: open addressing over a table of group
/// numbers, at most half full, sized for the bucket so that it stays in
/// the cache.
struct Groups {
    /// The keys, in group order.
    keys: Vec<u64>,
    table: Vec<u32>,
    bits: u32,
}

impl Groups {
    /// A table with room for `items / 4` groups before it grows.
    fn new(items: usize) -> Groups {
        let bits = (items / 2).max(16).next_power_of_two().trailing_zeros();
        Groups {
            keys: Vec::new(),
            table: vec![u32::MAX; 1 << bits],
            bits,
        }
    }

    /// The place of `key` in a table of `2^bits` slots: the hash's bits
    /// below the bucket's (which fix the top ones).
    fn slot(key: u64, bits: u32) -> usize {
        ((key.wrapping_mul(MIX) << BUCKET_BITS) >> (64 - bits)) as usize
    }

    /// The group of `key`, a new one if it has none yet.
    #[inline]
    fn id(&mut self, key: u64) -> u32 {
        let mask = self.table.len() - 1;
        let mut at = Groups::slot(key, self.bits);
        loop {
            match self.table[at] {
                u32::MAX => break,
                g if self.keys[g as usize] == key => return g,
                _ => at = (at + 1) & mask,
            }
        }
        // Below 2^32 groups: at most the rows of a partition a u32 counts.
        let g = self.keys.len() as u32;
        self.table[at] = g;
        self.keys.push(key);
        if self.keys.len() * 2 > self.table.len() {
            self.grow();
        }
        g
    }

    fn grow(&mut self) {
        self.bits += 1;
        self.table = vec![u32::MAX; 1 << self.bits];
        let mask = self.table.len() - 1;
        for (g, &k) in self.keys.iter().enumerate() {
            let mut at = Groups::slot(k, self.bits);
            while self.table[at] != u32::MAX {
                at = (at + 1) & mask;
            }
            // Below 2^32: as in `id`.
            self.table[at] = g as u32;
        }
    }
}

/// An aggregate's rows of one bucket, grouped by a counting sort (a
/// group's rows stay in arrival order): `offsets` (one more than the
/// groups) into the rows, for `groups` groups in all.
fn rows_by_group(
    records: &[Vec<Record>],
    ids: &[u32],
    groups: usize,
) -> (Vec<usize>, Vec<FunnelRow>) {
    let mut offsets = vec![0usize; groups + 1];
    for &g in ids {
        offsets[g as usize + 1] += 1;
    }
    for g in 0..groups {
        offsets[g + 1] += offsets[g];
    }
    let mut rows = vec![FunnelRow::default(); offsets[groups]];
    let mut next = offsets[..groups].to_vec();
    for (r, &g) in records.iter().flatten().zip(ids) {
        let at = &mut next[g as usize];
        rows[*at] = FunnelRow::new(r.ts, r.conditions);
        *at += 1;
    }
    (offsets, rows)
}

/// The results, one batch of at least `batch_size` groups at a time (the
/// last may be smaller), computed bucket by bucket.
pub(super) struct Emit {
    buckets: Buckets,
    next: usize,
    schema: SchemaRef,
    batch_size: usize,
    baseline: BaselineMetrics,
}

impl Emit {
    pub(super) fn new(
        buckets: Buckets,
        schema: SchemaRef,
        batch_size: usize,
        baseline: BaselineMetrics,
    ) -> Emit {
        Emit {
            buckets,
            next: 0,
            schema,
            batch_size,
            baseline,
        }
    }

    /// The groups of bucket `b`, computed.
    fn bucket(&mut self, b: usize) -> Result<Option<RecordBatch>> {
        let buckets = &mut self.buckets;
        let keys_only = buckets.keys_only.take(b);
        let rows: Vec<Vec<Vec<Record>>> = buckets.rows.iter_mut().map(|r| r.take(b)).collect();
        let items = keys_only.iter().map(Vec::len).sum::<usize>()
            + rows.iter().flatten().map(Vec::len).sum::<usize>();
        if items == 0 {
            return Ok(None);
        }
        let mut groups = Groups::new(items);
        for &key in keys_only.iter().flatten() {
            groups.id(key);
        }
        drop(keys_only);
        let ids: Vec<Vec<u32>> = rows
            .iter()
            .map(|r| r.iter().flatten().map(|r| groups.id(r.key)).collect())
            .collect();
        let n = groups.keys.len();
        let mut columns = Vec::with_capacity(buckets.aggregates.len() + 1);
        columns.push(key_array(
            self.schema.field(0).data_type(),
            &groups.keys,
            b == NULL_BUCKET,
        )?);
        for ((aggregate, records), ids) in buckets.aggregates.iter_mut().zip(&rows).zip(&ids) {
            let (offsets, rows) = rows_by_group(records, ids, n);
            columns.push(aggregate.kernel.many(&offsets, &rows)?);
        }
        drop(rows);
        buckets.reserve()?;
        Ok(Some(RecordBatch::try_new(
            Arc::clone(&self.schema),
            columns,
        )?))
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let mut batches = Vec::new();
        let mut rows = 0;
        while self.next <= NULL_BUCKET && rows < self.batch_size {
            let b = self.next;
            self.next += 1;
            if let Some(batch) = self.bucket(b)? {
                rows += batch.num_rows();
                batches.push(batch);
            }
        }
        Ok(match batches.len() {
            0 => None,
            1 => batches.pop(),
            _ => Some(concat_batches(&self.schema, &batches)?),
        })
    }
}

impl Iterator for Emit {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        let time = self.baseline.elapsed_compute().clone();
        let timer = time.timer();
        let out = self.next_batch();
        timer.done();
        match out {
            Ok(Some(batch)) => {
                self.baseline.record_output(batch.num_rows());
                Some(Ok(batch))
            }
            Ok(None) => {
                self.baseline.done();
                None
            }
            Err(e) => {
                // Nothing after an error.
                self.next = NULL_BUCKET + 1;
                Some(Err(e))
            }
        }
    }
}
