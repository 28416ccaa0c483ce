//! `window_funnel`: ClickHouse's `windowFunnel` as a DataFusion aggregate.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, BooleanArray, UInt8Array};
use arrow::array::{Int64Array, UInt32Array};
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type, TimeUnit as ArrowUnit, UInt32Type};
use datafusion_common::{exec_err, plan_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::format_state_name;
use datafusion_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use revops::funnel::{FunnelRow, FunnelSpec, Modes, RowLevels};
use revops::quantity::TimeUnit;
use revops::TimeDelta;

use crate::arena::Arena;
use crate::args::{condition_masks, condition_types, counted_rows, literal, plan_error, ticks};
use crate::state::{one_per_row, read_pairs, scalars, write_pairs};

const NAME: &str = "window_funnel";

/// `window_funnel(window, [modes,] ts, cond1, ..., condN)`: the level each
/// group (user) reaches in an ordered funnel of `N` steps within `window`,
/// ClickHouse's `windowFunnel(window, modes...)(ts, cond1, ..., condN)`.
///
/// * `window`: a non-negative integer constant; seconds when `ts` is a
///   `TIMESTAMP` (of any precision: compared exactly at that precision),
///   otherwise in the integer's own unit.
/// * `modes` (optional): a string constant of ClickHouse's modes,
///   comma-separated: `strict_deduplication`, `strict_order`,
///   `strict_increase`, `strict_once`, `allow_reentry` (the last only
///   with `strict_order`).
/// * `ts`: a `TIMESTAMP` or integer column (an unsigned value above
///   `i64::MAX` is an execution error).
/// * `cond1` to `condN`: 1 to 32 boolean expressions, step `k` being
///   `condk`. One row may meet several: each true condition is an event of
///   that row at its time, and under `strict_once` one chain never uses a
///   row twice.
///
/// Returns `UInt8`: 0 (no step-1 row) to `N`. Rows with a NULL argument
/// are skipped. The semantics are `revops::funnel`'s, computed per group
/// by [`revops::funnel::RowLevels::level_any_order`]: the result does not
/// depend on the order the group's rows arrive in (ClickHouse's can, for
/// rows at one time under `strict_once`: it equals ClickHouse's for the
/// rows sorted by time, then conditions).
///
/// ```sql
/// SELECT level, count(*) AS users FROM (
///   SELECT user_id,
///          window_funnel(604800, ts, step = 0, step = 1, step = 2, step = 3) AS level
///   FROM events GROUP BY user_id)
/// GROUP BY level ORDER BY level;
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct WindowFunnel {
    signature: Signature,
}

impl WindowFunnel {
    /// The function.
    pub fn new() -> WindowFunnel {
        WindowFunnel {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for WindowFunnel {
    fn default() -> WindowFunnel {
        WindowFunnel::new()
    }
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The index of the time argument: after the window, and after the modes
/// when the second argument is a string.
fn ts_index(types: &[DataType]) -> usize {
    if types.get(1).is_some_and(is_string) {
        2
    } else {
        1
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        datafusion_expr::aggregate_doc_sections::DOC_SECTION_GENERAL,
        "The level each group (user) reaches in an ordered funnel of N steps \
         within a window: ClickHouse's windowFunnel, with all its modes.",
        "window_funnel(window, [modes,] ts, cond1, ..., condN)",
    )
    .with_sql_example(
        "```sql\nSELECT user_id, window_funnel(604800, 'strict_order', ts, \
         event = 'visit', event = 'signup', event = 'buy') AS level\n\
         FROM events GROUP BY user_id;\n```",
    )
    .with_argument(
        "window",
        "Integer constant: seconds for a TIMESTAMP ts, else ts's own unit.",
    )
    .with_argument(
        "modes",
        "Optional string constant: strict_deduplication, strict_order, \
         strict_increase, strict_once, allow_reentry, comma-separated.",
    )
    .with_argument("ts", "TIMESTAMP (any precision) or integer column.")
    .with_argument(
        "cond1, ..., condN",
        "1 to 32 boolean expressions, one per step.",
    )
    .build()
});

impl AggregateUDFImpl for WindowFunnel {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let t = ts_index(types);
        if types.len() < t + 2 {
            return plan_err!(
                "{NAME}(window, [modes,] ts, cond1, ...) needs a window, a time column \
                 and at least one condition; got {} arguments",
                types.len()
            );
        }
        if !types[0].is_integer() {
            return plan_err!("{NAME}: the window must be an integer, not {}", types[0]);
        }
        match &types[t] {
            DataType::Timestamp(_, _) => {}
            x if x.is_integer() => {}
            other => {
                return plan_err!(
                    "{NAME}: the time column must be a TIMESTAMP or an integer, not {other}"
                )
            }
        }
        let mut out = types[..=t].to_vec();
        out.extend(condition_types(NAME, &types[t + 1..])?);
        Ok(out)
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt8)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn default_value(&self, _t: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::UInt8(Some(0)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(args.name))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let cfg = Config::of(&args)?;
        Ok(Box::new(FunnelAccumulator {
            levels: RowLevels::new(cfg.spec.clone()),
            cfg,
            rows: Vec::new(),
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let cfg = Config::of(&args)?;
        Ok(Box::new(FunnelGroups {
            levels: RowLevels::new(cfg.spec.clone()),
            cfg,
            arena: Arena::new(),
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// The partial state of a group: its rows' times and condition bit sets,
/// as two lists.
fn state_fields(name: &str) -> Vec<FieldRef> {
    vec![
        Arc::new(Field::new(
            format_state_name(name, "ts"),
            DataType::List(Arc::new(Field::new_list_field(DataType::Int64, false))),
            true,
        )),
        Arc::new(Field::new(
            format_state_name(name, "conditions"),
            DataType::List(Arc::new(Field::new_list_field(DataType::UInt32, false))),
            true,
        )),
    ]
}

/// What one call computes: the spec, and where its arguments are.
#[derive(Debug)]
struct Config {
    spec: FunnelSpec,
    /// The index of the time argument (the conditions follow it).
    ts: usize,
    /// Whether rows meeting no condition matter (`strict_order`).
    keep_unmatched: bool,
}

fn integer(v: &ScalarValue) -> Option<i128> {
    Some(match v {
        ScalarValue::Int8(Some(x)) => i128::from(*x),
        ScalarValue::Int16(Some(x)) => i128::from(*x),
        ScalarValue::Int32(Some(x)) => i128::from(*x),
        ScalarValue::Int64(Some(x)) => i128::from(*x),
        ScalarValue::UInt8(Some(x)) => i128::from(*x),
        ScalarValue::UInt16(Some(x)) => i128::from(*x),
        ScalarValue::UInt32(Some(x)) => i128::from(*x),
        ScalarValue::UInt64(Some(x)) => i128::from(*x),
        _ => return None,
    })
}

impl Config {
    fn of(args: &AccumulatorArgs) -> Result<Config> {
        let types: Vec<DataType> = args
            .expr_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let ts = ts_index(&types);
        if args.exprs.len() < ts + 2 || types.len() != args.exprs.len() {
            return plan_err!("{NAME}: needs a window, a time column and a condition");
        }
        let window = literal(&args.exprs[0], NAME, "window")?;
        let Some(window) = integer(window) else {
            return plan_err!("{NAME}: the window must be an integer, not {window}");
        };
        if window < 0 {
            return plan_err!("{NAME}: the window is negative ({window})");
        }
        let Ok(window) = i64::try_from(window) else {
            return plan_err!("{NAME}: the window {window} is above i64::MAX");
        };
        let mut modes = Modes::default();
        if ts == 2 {
            let text = match literal(&args.exprs[1], NAME, "modes")? {
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)) => s.clone(),
                other => return plan_err!("{NAME}: the modes must be a string, not {other}"),
            };
            for m in text.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                modes.set(m).map_err(plan_error)?;
            }
        }
        let steps = args.exprs.len() - ts - 1;
        let spec = FunnelSpec::new(steps, TimeDelta::zero()).map_err(plan_error)?;
        let spec = match &types[ts] {
            DataType::Timestamp(unit, _) => {
                let unit = match unit {
                    ArrowUnit::Second => TimeUnit::Second,
                    ArrowUnit::Millisecond => TimeUnit::Millisecond,
                    ArrowUnit::Microsecond => TimeUnit::Microsecond,
                    ArrowUnit::Nanosecond => TimeUnit::Nanosecond,
                };
                let Some(seconds) = TimeDelta::try_seconds(window) else {
                    return plan_err!("{NAME}: the window of {window} seconds is too long");
                };
                spec.with_unit(unit)
                    .and_then(|s| s.with_window(seconds))
                    .map_err(plan_error)?
            }
            // An integer clock: the window in its own ticks, exactly (as
            // nanoseconds, the finest unit, so any i64 fits).
            _ => spec
                .with_unit(TimeUnit::Nanosecond)
                .and_then(|s| s.with_window(TimeDelta::nanoseconds(window)))
                .map_err(plan_error)?,
        };
        let spec = spec.with_modes(modes).map_err(plan_error)?;
        Ok(Config {
            keep_unmatched: spec.modes().strict_order,
            spec,
            ts,
        })
    }

    /// Calls `f(row, ts, conditions)` for each row of an input batch that
    /// counts.
    fn each_row(
        &self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
        mut f: impl FnMut(usize, i64, u32),
    ) -> Result<()> {
        let Some(ts_col) = values.get(self.ts) else {
            return exec_err!("{NAME}: no time column");
        };
        let conds = &values[self.ts + 1..];
        let len = ts_col.len();
        let mut checked: Vec<&ArrayRef> = Vec::with_capacity(conds.len() + 1);
        checked.push(ts_col);
        checked.extend(conds.iter());
        let keep = counted_rows(&checked, filter, len);
        let masks = condition_masks(NAME, conds, len)?;
        let ts = ticks(NAME, ts_col)?;
        let ts = ts.values();
        for (i, (&t, &m)) in ts.iter().zip(&masks).enumerate() {
            if keep.as_ref().is_some_and(|k| !k[i]) {
                continue;
            }
            if m != 0 || self.keep_unmatched {
                f(i, t, m);
            }
        }
        Ok(())
    }
}

/// Calls `f(row, ts, conditions)` for each element of partial states.
fn each_state_row(values: &[ArrayRef], f: impl FnMut(usize, i64, u32)) -> Result<()> {
    read_pairs::<Int64Type, UInt32Type>(NAME, values, f)
}

/// Lists of rows, grouped: `offsets` (one more than the groups) into
/// `rows`.
fn lists(offsets: Vec<usize>, rows: &[FunnelRow]) -> Result<Vec<ArrayRef>> {
    let ts = Int64Array::from_iter_values(rows.iter().map(|r| r.ts));
    let conds = UInt32Array::from_iter_values(rows.iter().map(|r| r.conditions));
    write_pairs(NAME, offsets, ts, conds)
}

/// One group's accumulator (an aggregate without `GROUP BY`).
#[derive(Debug)]
struct FunnelAccumulator {
    cfg: Config,
    levels: RowLevels,
    rows: Vec<FunnelRow>,
}

impl Accumulator for FunnelAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        self.cfg
            .each_row(values, None, |_, ts, c| rows.push(FunnelRow::new(ts, c)))
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        each_state_row(states, |_, ts, c| rows.push(FunnelRow::new(ts, c)))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(scalars(lists(vec![0, self.rows.len()], &self.rows)?))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        // At most 32: fits a u8.
        Ok(ScalarValue::UInt8(Some(
            self.levels.level_any_order(&self.rows) as u8,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.rows.capacity() * std::mem::size_of::<FunnelRow>()
    }
}

/// The accumulator of all groups: every row in one arena, grouped only
/// when emitted (12 bytes of row and 4 of group index per row kept). A row
/// that cannot matter (no condition met, outside `strict_order`) is not
/// kept.
struct FunnelGroups {
    cfg: Config,
    levels: RowLevels,
    arena: Arena<FunnelRow>,
}

impl GroupsAccumulator for FunnelGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.arena.set_groups(NAME, total_num_groups)?;
        let arena = &mut self.arena;
        self.cfg.each_row(values, opt_filter, |i, ts, c| {
            if let Some(&g) = group_indices.get(i) {
                arena.push(g, FunnelRow::new(ts, c));
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (offsets, rows) = self.arena.take(emit_to);
        let levels = &mut self.levels;
        let out: UInt8Array = offsets
            .windows(2)
            // At most 32: fits a u8.
            .map(|w| levels.level_any_order(&rows[w[0]..w[1]]) as u8)
            .collect();
        Ok(Arc::new(out))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (offsets, rows) = self.arena.take(emit_to);
        lists(offsets, &rows)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.arena.set_groups(NAME, total_num_groups)?;
        let arena = &mut self.arena;
        each_state_row(values, |i, ts, c| {
            if let Some(&g) = group_indices.get(i) {
                arena.push(g, FunnelRow::new(ts, c));
            }
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let len = values.get(self.cfg.ts).map_or(0, |a| a.len());
        let (mut taken, mut rows) = (Vec::new(), Vec::with_capacity(len));
        self.cfg.each_row(values, opt_filter, |i, ts, c| {
            taken.push(i);
            rows.push(FunnelRow::new(ts, c));
        })?;
        lists(one_per_row(len, &taken), &rows)
    }

    fn size(&self) -> usize {
        self.arena.size()
    }
}
