//! The aggregates over one user's rows (`window_funnel`,
//! `sequence_match`, `sequence_count`): reading the rows that count from
//! the arguments, keeping them in one arena, and a flat partial state.
//!
//! The partial state of a group is one `Binary` value: its rows packed
//! one after another, 12 bytes each (the time as a little-endian `i64`,
//! then the condition bits as a little-endian `u32`). A flat byte column
//! is what Arrow's `take`, `concat` and the repartition copy fastest: two
//! buffers, no nested offsets.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BooleanArray};
use arrow::buffer::{Buffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{exec_err, Result, ScalarValue};
use datafusion_expr::utils::format_state_name;
use datafusion_expr::{Accumulator, EmitTo, GroupsAccumulator};
use revops::funnel::FunnelRow;

use crate::arena::{Arena, Slot};
use crate::args::{condition_masks, counted_rows, ticks};

/// The bytes of one row in a partial state.
const ROW_BYTES: usize = 12;

/// The state's one field: the group's rows, packed.
pub(crate) fn state_fields(name: &str) -> Vec<FieldRef> {
    vec![Arc::new(Field::new(
        format_state_name(name, "rows"),
        DataType::Binary,
        true,
    ))]
}

/// Where the rows' arguments are, and which rows count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowArgs {
    /// The function's name, for errors.
    pub(crate) name: &'static str,
    /// The index of the time argument (the conditions follow it).
    pub(crate) ts: usize,
    /// Whether rows meeting no condition are kept (`strict_order`).
    pub(crate) keep_unmatched: bool,
}

impl RowArgs {
    /// Calls `f(row, ts, conditions)` for each row of an input batch that
    /// counts: not filtered out, no NULL argument, and (unless kept) some
    /// condition met.
    pub(crate) fn each_row(
        &self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
        mut f: impl FnMut(usize, FunnelRow),
    ) -> Result<()> {
        let name = self.name;
        let Some(ts_col) = values.get(self.ts) else {
            return exec_err!("{name}: no time column");
        };
        let conds = &values[self.ts + 1..];
        let len = ts_col.len();
        let mut checked: Vec<&ArrayRef> = Vec::with_capacity(conds.len() + 1);
        checked.push(ts_col);
        checked.extend(conds.iter());
        let keep = counted_rows(&checked, filter, len);
        let masks = condition_masks(name, conds, len)?;
        let ts = ticks(name, ts_col)?;
        for (i, (&t, &m)) in ts.values().iter().zip(&masks).enumerate() {
            if keep.as_ref().is_some_and(|k| !k[i]) {
                continue;
            }
            if m != 0 || self.keep_unmatched {
                f(i, FunnelRow::new(t, m));
            }
        }
        Ok(())
    }
}

/// Packs grouped rows (`offsets`, one more than the groups, into `rows`)
/// as one `Binary` value per group.
fn pack(name: &str, offsets: &[usize], rows: &[FunnelRow]) -> Result<ArrayRef> {
    let Some(bytes) = rows.len().checked_mul(ROW_BYTES) else {
        return exec_err!("{name}: a partial state too large");
    };
    if bytes > i32::MAX as usize {
        return exec_err!("{name}: a partial state of more than 2 GiB");
    }
    let mut values = Vec::with_capacity(bytes);
    for r in rows {
        values.extend_from_slice(&r.ts.to_le_bytes());
        values.extend_from_slice(&r.conditions.to_le_bytes());
    }
    // Below i32::MAX: the bytes are checked above, offsets never exceed
    // the rows.
    let offsets: Vec<i32> = offsets.iter().map(|&o| (o * ROW_BYTES) as i32).collect();
    let array = BinaryArray::try_new(
        OffsetBuffer::new(offsets.into()),
        Buffer::from_vec(values),
        None,
    )?;
    Ok(Arc::new(array))
}

/// Calls `f(row, r)` for each row of each partial state (a NULL state
/// holds no rows).
fn unpack(name: &str, states: &[ArrayRef], mut f: impl FnMut(usize, FunnelRow)) -> Result<()> {
    let Some(binary) = states.first().and_then(|a| a.as_binary_opt::<i32>()) else {
        return exec_err!("{name}: a partial state is one binary column");
    };
    for (i, value) in binary.iter().enumerate() {
        let Some(value) = value else { continue };
        if value.len() % ROW_BYTES != 0 {
            return exec_err!(
                "{name}: a partial state of {} bytes is not whole rows of {ROW_BYTES}",
                value.len()
            );
        }
        for chunk in value.chunks_exact(ROW_BYTES) {
            let (ts, c) = chunk.split_at(8);
            // Exact sizes: 8 and 4 bytes of a 12-byte chunk.
            let ts = i64::from_le_bytes(ts.try_into().unwrap_or([0; 8]));
            let c = u32::from_le_bytes(c.try_into().unwrap_or([0; 4]));
            f(i, FunnelRow::new(ts, c));
        }
    }
    Ok(())
}

/// A row in the arena: 16 bytes with its group.
#[derive(Clone, Copy, Default, Debug)]
struct RowSlot {
    ts: i64,
    conditions: u32,
    group: u32,
}

impl RowSlot {
    fn of(r: FunnelRow) -> RowSlot {
        RowSlot {
            ts: r.ts,
            conditions: r.conditions,
            group: 0,
        }
    }

    fn row(self) -> FunnelRow {
        FunnelRow::new(self.ts, self.conditions)
    }
}

impl Slot for RowSlot {
    fn group(&self) -> u32 {
        self.group
    }

    fn set_group(&mut self, group: u32) {
        self.group = group;
    }
}

/// What a function computes from one group's rows.
pub(crate) trait Kernel: Send + Sync + std::fmt::Debug + 'static {
    /// The result of one group.
    fn one(&mut self, rows: &[FunnelRow]) -> Result<ScalarValue>;
    /// The results of grouped rows (`offsets`, one more than the groups,
    /// into `rows`).
    fn many(&mut self, offsets: &[usize], rows: &[FunnelRow]) -> Result<ArrayRef>;
}

/// One group's accumulator (an aggregate without `GROUP BY`).
#[derive(Debug)]
pub(crate) struct RowsAccumulator<K> {
    args: RowArgs,
    kernel: K,
    rows: Vec<FunnelRow>,
}

impl<K: Kernel> RowsAccumulator<K> {
    pub(crate) fn new(args: RowArgs, kernel: K) -> RowsAccumulator<K> {
        RowsAccumulator {
            args,
            kernel,
            rows: Vec::new(),
        }
    }
}

impl<K: Kernel> Accumulator for RowsAccumulator<K> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        self.args.each_row(values, None, |_, r| rows.push(r))
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        unpack(self.args.name, states, |_, r| rows.push(r))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let packed = pack(self.args.name, &[0, self.rows.len()], &self.rows)?;
        Ok(vec![ScalarValue::try_from_array(&packed, 0)?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.kernel.one(&self.rows)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.rows.capacity() * std::mem::size_of::<FunnelRow>()
    }
}

/// The accumulator of all groups: every row in one arena, grouped only
/// when emitted (16 bytes a row: 12 of row, 4 of group index).
#[derive(Debug)]
pub(crate) struct RowsGroups<K> {
    args: RowArgs,
    kernel: K,
    arena: Arena<RowSlot>,
}

impl<K: Kernel> RowsGroups<K> {
    pub(crate) fn new(args: RowArgs, kernel: K) -> RowsGroups<K> {
        RowsGroups {
            args,
            kernel,
            arena: Arena::new(),
        }
    }
}

impl<K: Kernel> GroupsAccumulator for RowsGroups<K> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.arena.set_groups(self.args.name, total_num_groups)?;
        let arena = &mut self.arena;
        self.args.each_row(values, opt_filter, |i, r| {
            if let Some(&g) = group_indices.get(i) {
                arena.push(g, RowSlot::of(r));
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (offsets, rows) = self.arena.take(emit_to, RowSlot::row);
        self.kernel.many(&offsets, &rows)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (offsets, rows) = self.arena.take(emit_to, RowSlot::row);
        Ok(vec![pack(self.args.name, &offsets, &rows)?])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.arena.set_groups(self.args.name, total_num_groups)?;
        let arena = &mut self.arena;
        unpack(self.args.name, values, |i, r| {
            if let Some(&g) = group_indices.get(i) {
                arena.push(g, RowSlot::of(r));
            }
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let len = values.get(self.args.ts).map_or(0, |a| a.len());
        let mut offsets = vec![0usize; len + 1];
        let mut rows = Vec::with_capacity(len);
        self.args.each_row(values, opt_filter, |i, r| {
            if let Some(o) = offsets.get_mut(i + 1) {
                *o = 1;
            }
            rows.push(r);
        })?;
        for i in 0..len {
            offsets[i + 1] += offsets[i];
        }
        Ok(vec![pack(self.args.name, &offsets, &rows)?])
    }

    fn size(&self) -> usize {
        self.arena.size()
    }
}
