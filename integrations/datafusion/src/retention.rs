//! `retention`: ClickHouse's `retention` as a DataFusion aggregate.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, ListArray, UInt32Array, UInt8Array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, UInt32Type};
use datafusion_common::{exec_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::format_state_name;
use datafusion_expr::utils::AggregateOrderSensitivity;
use datafusion_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature, Volatility,
};

use crate::args::{condition_masks, condition_types, counted_rows};

const NAME: &str = "retention";

/// `retention(cond1, ..., condN)`: per group, `N` flags (`List(UInt8)`,
/// ClickHouse's `Array(UInt8)`): the first is 1 if some row met `cond1`;
/// flag `k` is 1 if some row met `cond1` and some row (the same or
/// another) met `condk`. 1 to 32 boolean conditions; rows with a NULL
/// condition are skipped. Computed by [`revops::funnel::Retention`].
///
/// ```sql
/// SELECT user_id, retention(day = 0, day = 1, day = 7) AS r
/// FROM visits GROUP BY user_id;
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Retention {
    signature: Signature,
}

impl Retention {
    /// The function.
    pub fn new() -> Retention {
        Retention {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for Retention {
    fn default() -> Retention {
        Retention::new()
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        datafusion_expr::aggregate_doc_sections::DOC_SECTION_GENERAL,
        "Per group, one flag per condition: whether cond1 was met, then whether \
         cond1 and condk were both met (by any rows): ClickHouse's retention.",
        "retention(cond1, ..., condN)",
    )
    .with_sql_example(
        "```sql\nSELECT user_id, retention(day = 0, day = 1, day = 7) AS r\n\
         FROM visits GROUP BY user_id;\n```",
    )
    .with_argument("cond1, ..., condN", "1 to 32 boolean expressions.")
    .build()
});

fn flags_field() -> FieldRef {
    Arc::new(Field::new_list_field(DataType::UInt8, false))
}

impl AggregateUDFImpl for Retention {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        condition_types(NAME, types)
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(flags_field()))
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "seen"),
            DataType::UInt32,
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RetentionAccumulator {
            n: args.exprs.len(),
            seen: revops::funnel::Retention::default(),
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(RetentionGroups {
            n: args.exprs.len(),
            seen: Vec::new(),
        }))
    }

    /// The result does not depend on the order of the rows.
    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// Each counted row's conditions (0 for a row that does not count).
fn row_masks(values: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Vec<u32>> {
    let len = values.first().map_or(0, |a| a.len());
    let checked: Vec<&ArrayRef> = values.iter().collect();
    let keep = counted_rows(&checked, filter, len);
    let mut masks = condition_masks(NAME, values, len)?;
    if let Some(keep) = keep {
        for (m, k) in masks.iter_mut().zip(keep) {
            if !k {
                *m = 0;
            }
        }
    }
    Ok(masks)
}

fn state_masks(values: &[ArrayRef]) -> Result<&UInt32Array> {
    match values
        .first()
        .and_then(|a| a.as_primitive_opt::<UInt32Type>())
    {
        Some(a) => Ok(a),
        None => exec_err!("{NAME}: a partial state is one UInt32 column"),
    }
}

/// The result lists: `n` flags per group.
fn flags(n: usize, groups: &[revops::funnel::Retention]) -> Result<ArrayRef> {
    let values: UInt8Array = groups
        .iter()
        .flat_map(|r| r.flags(n))
        .map(u8::from)
        .collect();
    let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(n, groups.len()));
    Ok(Arc::new(ListArray::try_new(
        flags_field(),
        offsets,
        Arc::new(values),
        None,
    )?))
}

/// One group's accumulator.
#[derive(Debug)]
struct RetentionAccumulator {
    n: usize,
    seen: revops::funnel::Retention,
}

impl Accumulator for RetentionAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for m in row_masks(values, None)? {
            self.seen.add(m);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let s = state_masks(states)?;
        for (i, m) in s.values().iter().enumerate() {
            if s.is_valid(i) {
                self.seen.merge(revops::funnel::Retention::from_seen(*m));
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::UInt32(Some(self.seen.seen()))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let list = flags(self.n, &[self.seen])?;
        Ok(ScalarValue::List(Arc::new(list.as_list::<i32>().clone())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// The accumulator of all groups: one bit set per group.
struct RetentionGroups {
    n: usize,
    seen: Vec<revops::funnel::Retention>,
}

impl RetentionGroups {
    fn grow(&mut self, total: usize) {
        if self.seen.len() < total {
            self.seen
                .resize(total, revops::funnel::Retention::default());
        }
    }
}

impl GroupsAccumulator for RetentionGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        for (m, &g) in row_masks(values, opt_filter)?
            .into_iter()
            .zip(group_indices)
        {
            if let Some(s) = self.seen.get_mut(g) {
                s.add(m);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = emit_to.take_needed(&mut self.seen);
        flags(self.n, &taken)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = emit_to.take_needed(&mut self.seen);
        let masks: UInt32Array = taken.iter().map(|r| r.seen()).collect::<Vec<_>>().into();
        Ok(vec![Arc::new(masks)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let s = state_masks(values)?;
        for (i, &g) in group_indices.iter().enumerate() {
            if s.is_valid(i) {
                if let Some(slot) = self.seen.get_mut(g) {
                    slot.merge(revops::funnel::Retention::from_seen(s.value(i)));
                }
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let masks: UInt32Array = row_masks(values, opt_filter)?.into();
        Ok(vec![Arc::new(masks)])
    }

    fn size(&self) -> usize {
        self.seen.capacity() * std::mem::size_of::<revops::funnel::Retention>()
    }
}
