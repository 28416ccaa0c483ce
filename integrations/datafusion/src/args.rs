//! What both functions read from their arguments: constant literals, the
//! rows that count, and each row's conditions as a bit set.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::DataType;
use datafusion_common::{exec_err, plan_err, DataFusionError, Result, ScalarValue};
use datafusion_physical_expr::expressions::Literal;
use datafusion_physical_expr::PhysicalExpr;

/// The most conditions a function takes (ClickHouse's limit, and the bits
/// of a `u32`).
pub(crate) const MAX_CONDITIONS: usize = revops::funnel::MAX_STEPS;

/// A revops error at planning time.
pub(crate) fn plan_error(e: revops::Error) -> DataFusionError {
    DataFusionError::Plan(e.to_string())
}

/// The value of a constant argument (a literal after constant folding).
pub(crate) fn literal<'a>(
    expr: &'a Arc<dyn PhysicalExpr>,
    function: &str,
    what: &str,
) -> Result<&'a ScalarValue> {
    match expr.downcast_ref::<Literal>() {
        Some(l) if !l.value().is_null() => Ok(l.value()),
        Some(_) => plan_err!("{function}: the {what} is NULL"),
        None => plan_err!("{function}: the {what} must be a constant, not {expr}"),
    }
}

/// Checks the condition arguments' types: booleans (or untyped NULLs),
/// 1 to 32 of them. Returns the types to coerce them to.
pub(crate) fn condition_types(function: &str, types: &[DataType]) -> Result<Vec<DataType>> {
    if types.is_empty() || types.len() > MAX_CONDITIONS {
        return plan_err!(
            "{function}: 1 to {MAX_CONDITIONS} conditions, not {}",
            types.len()
        );
    }
    types
        .iter()
        .enumerate()
        .map(|(k, t)| match t {
            DataType::Boolean | DataType::Null => Ok(DataType::Boolean),
            other => plan_err!(
                "{function}: condition {} must be a boolean, not {other}",
                k + 1
            ),
        })
        .collect()
}

/// The rows of a batch that count: not filtered out, and without a NULL
/// argument (ClickHouse skips a row with a NULL argument). `None` when all
/// do.
pub(crate) fn counted_rows(
    args: &[&ArrayRef],
    filter: Option<&BooleanArray>,
    len: usize,
) -> Option<Vec<bool>> {
    let mut keep: Option<Vec<bool>> = None;
    for a in args {
        if let Some(nulls) = a.logical_nulls() {
            if nulls.null_count() > 0 {
                let k = keep.get_or_insert_with(|| vec![true; len]);
                for (i, slot) in k.iter_mut().enumerate().take(nulls.len()) {
                    *slot &= nulls.is_valid(i);
                }
            }
        }
    }
    if let Some(f) = filter {
        let k = keep.get_or_insert_with(|| vec![true; len]);
        for (i, slot) in k.iter_mut().enumerate() {
            *slot &= f.is_valid(i) && f.value(i);
        }
    }
    keep
}

/// Each row's conditions as a bit set (bit `k` for condition `k + 1`).
/// NULL values set no bit (such rows are skipped by [`counted_rows`]).
pub(crate) fn condition_masks(function: &str, conds: &[ArrayRef], len: usize) -> Result<Vec<u32>> {
    let mut masks = vec![0u32; len];
    for (k, c) in conds.iter().enumerate().take(MAX_CONDITIONS) {
        let Some(b) = c.as_boolean_opt() else {
            return exec_err!(
                "{function}: condition {} is {}, not a boolean",
                k + 1,
                c.data_type()
            );
        };
        let bit = 1u32 << k;
        for i in b.values().set_indices() {
            if let Some(m) = masks.get_mut(i) {
                *m |= bit;
            }
        }
    }
    Ok(masks)
}

/// A timestamp or integer column as `i64` ticks of its own unit; an
/// unsigned value beyond `i64::MAX` is an error, not a wrap.
pub(crate) fn ticks(function: &str, ts: &ArrayRef) -> Result<Int64Array> {
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    let cast = cast_with_options(ts, &DataType::Int64, &options)
        .map_err(|e| DataFusionError::Execution(format!("{function}: the time column: {e}")))?;
    match cast.as_primitive_opt::<arrow::datatypes::Int64Type>() {
        Some(a) => Ok(a.clone()),
        None => exec_err!("{function}: the time column did not become integers"),
    }
}
