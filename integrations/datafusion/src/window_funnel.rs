//! `window_funnel`: ClickHouse's `windowFunnel` as a DataFusion aggregate.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, UInt8Array};
use arrow::datatypes::{DataType, FieldRef, TimeUnit as ArrowUnit};
use datafusion_common::{plan_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::AggregateOrderSensitivity;
use datafusion_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};
use revops::funnel::{FunnelRow, FunnelSpec, Modes, RowLevels};
use revops::quantity::TimeUnit;
use revops::TimeDelta;

use crate::args::{condition_types, literal, plan_error};
use crate::rows::{state_fields, Kernel, RowArgs, RowsAccumulator, RowsGroups};

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

impl WindowFunnel {
    /// Where a call's arguments are and what it computes per group.
    pub(crate) fn row_kernel(args: &AccumulatorArgs) -> Result<(RowArgs, Box<dyn Kernel>)> {
        let (rows, levels) = Config::of(args)?;
        Ok((rows, Box::new(levels)))
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
        if !types[0].is_integer() && types[0] != DataType::Null {
            return plan_err!("{NAME}: the window must be an integer, not {}", types[0]);
        }
        let mut out = types[..=t].to_vec();
        if out[0] == DataType::Null {
            // A NULL window: refused by name when the accumulator is made.
            out[0] = DataType::Int64;
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
        let (rows, levels) = Config::of(&args)?;
        Ok(Box::new(RowsAccumulator::new(rows, levels)))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let (rows, levels) = Config::of(&args)?;
        Ok(Box::new(RowsGroups::new(rows, levels)))
    }

    /// The result does not depend on the order of the rows.
    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// What one call computes: where its arguments are, and the spec.
struct Config;

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
    fn of(args: &AccumulatorArgs) -> Result<(RowArgs, Levels)> {
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
        let rows = RowArgs {
            name: NAME,
            ts,
            keep_unmatched: spec.modes().strict_order,
        };
        Ok((rows, Levels(RowLevels::new(spec))))
    }
}

/// The level of each group's rows.
#[derive(Debug)]
struct Levels(RowLevels);

impl Kernel for Levels {
    fn one(&mut self, rows: &[FunnelRow]) -> Result<ScalarValue> {
        // At most 32: fits a u8.
        Ok(ScalarValue::UInt8(Some(self.0.level_any_order(rows) as u8)))
    }

    fn many(&mut self, offsets: &[usize], rows: &[FunnelRow]) -> Result<ArrayRef> {
        let out: UInt8Array = offsets
            .windows(2)
            // At most 32: fits a u8.
            .map(|w| self.0.level_any_order(&rows[w[0]..w[1]]) as u8)
            .collect();
        Ok(Arc::new(out))
    }
}
