//! `rfm`: the lifetime-value models' RFM summary of a customer's
//! transactions, as a DataFusion aggregate.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, Int32Array, Int64Array, StructArray,
    UInt64Array,
};
use arrow::buffer::NullBuffer;
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Field, FieldRef, Fields, Int32Type};
use datafusion_common::{exec_err, plan_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::format_state_name;
use datafusion_expr::utils::AggregateOrderSensitivity;
use datafusion_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use revops::clv::{CustomerRfm, PeriodLength, RfmState, Transaction};
use revops::{Currency, Decimal, Money, NaiveDate, RoundingStrategy};

use crate::arena::{Arena, Grouped};
use crate::args::{counted_rows, literal, plan_error};
use crate::state::{one_per_row, read_pairs, scalars, write_pairs};

const NAME: &str = "rfm";

/// The decimal places of `monetary_value` at least (more when the amounts
/// have more).
const MIN_SCALE: i8 = 6;

/// `rfm(ts, amount, period, observation_end)`: per group (customer), the
/// RFM summary the lifetime-value models read, by the rules of
/// [`revops::clv::summarize`] (`lifetimes`' `summary_data_from_transaction_data`),
/// each group's transactions folded into the library's [`RfmState`]:
///
/// * `ts`: a `DATE` or `TIMESTAMP` column (a timestamp counts by its date
///   in its own time zone, UTC without one);
/// * `amount`: a number; decimals are kept exact, integers are decimals
///   of scale 0, floats are rounded to 10 decimal places;
/// * `period`: the constant `'day'`, `'week'` (Monday to Sunday) or
///   `'month'`;
/// * `observation_end`: a constant `DATE` (or a string such as
///   `'2026-03-31'`); later transactions are left out.
///
/// Returns a struct `{frequency: UInt64, recency: Int64, T: Int64,
/// monetary_value: Decimal128(38, s)}` in whole periods: purchases in one
/// period are one purchase worth their sum; frequency counts the periods
/// with a purchase after the first; recency is the last such period less
/// the first; `T` the observation end's period less the first;
/// `monetary_value` the exact mean of the repeat periods' values, rounded
/// half to even to `s` places (the amount's scale, at least 6), NULL
/// without repeat purchases. A customer with no transaction by the end (or
/// only rows with NULLs, which are skipped) gives NULL.
///
/// ```sql
/// SELECT customer_id, rfm(day, amount, 'week', DATE '2026-03-31') AS s
/// FROM transactions GROUP BY customer_id;
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rfm {
    signature: Signature,
}

impl Rfm {
    /// The function.
    pub fn new() -> Rfm {
        Rfm {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for Rfm {
    fn default() -> Rfm {
        Rfm::new()
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        datafusion_expr::aggregate_doc_sections::DOC_SECTION_GENERAL,
        "The RFM summary of a customer's transactions (frequency, recency, T \
         in whole periods, and the mean repeat value), as the lifetime-value \
         models read it.",
        "rfm(ts, amount, period, observation_end)",
    )
    .with_sql_example(
        "```sql\nSELECT customer_id, rfm(day, amount, 'week', DATE '2026-03-31') AS s\n\
         FROM transactions GROUP BY customer_id;\n```",
    )
    .with_argument("ts", "DATE or TIMESTAMP column.")
    .with_argument("amount", "Numeric column; decimals are kept exact.")
    .with_argument("period", "'day', 'week' or 'month'.")
    .with_argument("observation_end", "DATE constant.")
    .build()
});

/// The amount's type after coercion: a `Decimal128(38, s)`.
fn amount_type(t: &DataType) -> Result<DataType> {
    Ok(match t {
        DataType::Decimal128(_, s) | DataType::Decimal256(_, s) if (0..=28).contains(s) => {
            DataType::Decimal128(38, *s)
        }
        DataType::Decimal32(_, s) | DataType::Decimal64(_, s) if (0..=28).contains(s) => {
            DataType::Decimal128(38, *s)
        }
        x if x.is_integer() => DataType::Decimal128(38, 0),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => DataType::Decimal128(38, 10),
        DataType::Null => DataType::Decimal128(38, 0),
        other => {
            return plan_err!("{NAME}: the amount must be a number of scale 0 to 28, not {other}")
        }
    })
}

fn scale_of(amount: &DataType) -> i8 {
    match amount {
        DataType::Decimal128(_, s) => *s,
        _ => 0,
    }
}

fn output_fields(scale: i8) -> Fields {
    Fields::from(vec![
        Field::new("frequency", DataType::UInt64, false),
        Field::new("recency", DataType::Int64, false),
        Field::new("T", DataType::Int64, false),
        Field::new(
            "monetary_value",
            DataType::Decimal128(38, scale.max(MIN_SCALE)),
            true,
        ),
    ])
}

impl AggregateUDFImpl for Rfm {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let [ts, amount, period, end] = types else {
            return plan_err!(
                "{NAME}(ts, amount, period, observation_end) takes 4 arguments, not {}",
                types.len()
            );
        };
        let ts = match ts {
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => ts.clone(),
            other => return plan_err!("{NAME}: ts must be a DATE or TIMESTAMP, not {other}"),
        };
        if !matches!(
            period,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            return plan_err!("{NAME}: the period must be the string 'day', 'week' or 'month'");
        }
        match end {
            DataType::Date32
            | DataType::Date64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View => {}
            other => return plan_err!("{NAME}: observation_end must be a DATE, not {other}"),
        }
        Ok(vec![
            ts,
            amount_type(amount)?,
            period.clone(),
            DataType::Date32,
        ])
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        let scale = types.get(1).map_or(0, scale_of);
        Ok(DataType::Struct(output_fields(scale)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let amount = args
            .input_fields
            .get(1)
            .map_or(DataType::Decimal128(38, 0), |f| f.data_type().clone());
        Ok(vec![
            Arc::new(Field::new(
                format_state_name(args.name, "days"),
                DataType::List(Arc::new(Field::new_list_field(DataType::Int32, false))),
                true,
            )),
            Arc::new(Field::new(
                format_state_name(args.name, "amounts"),
                DataType::List(Arc::new(Field::new_list_field(amount, false))),
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RfmAccumulator {
            cfg: Config::of(&args)?,
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
        Ok(Box::new(RfmGroups {
            cfg: Config::of(&args)?,
            arena: Arena::new(),
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

/// One transaction: days since 1970-01-01, and the amount's mantissa at
/// the column's scale.
type Row = (i32, i128);

#[derive(Debug)]
struct Config {
    period: PeriodLength,
    end: NaiveDate,
    /// The amounts' scale.
    scale: i8,
    /// The result's scale.
    out_scale: i8,
}

fn epoch() -> NaiveDate {
    revops::DateTime::UNIX_EPOCH.date_naive()
}

fn date_of(days: i32) -> Option<NaiveDate> {
    epoch().checked_add_signed(revops::TimeDelta::try_days(i64::from(days))?)
}

impl Config {
    fn of(args: &AccumulatorArgs) -> Result<Config> {
        if args.exprs.len() != 4 || args.expr_fields.len() != 4 {
            return plan_err!("{NAME}: takes 4 arguments");
        }
        let period = match literal(&args.exprs[2], NAME, "period")? {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)) => s.parse::<PeriodLength>().map_err(plan_error)?,
            other => return plan_err!("{NAME}: the period must be a string, not {other}"),
        };
        let end = match literal(&args.exprs[3], NAME, "observation end")? {
            ScalarValue::Date32(Some(d)) => date_of(*d),
            other => return plan_err!("{NAME}: observation_end must be a DATE, not {other}"),
        };
        let Some(end) = end else {
            return plan_err!("{NAME}: observation_end is out of range");
        };
        let scale = scale_of(args.expr_fields[1].data_type());
        Ok(Config {
            period,
            end,
            scale,
            out_scale: scale.max(MIN_SCALE),
        })
    }

    /// Calls `f(row, transaction)` for each row of a batch that counts.
    fn each_row(
        &self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
        mut f: impl FnMut(usize, Row),
    ) -> Result<()> {
        let (Some(ts), Some(amount)) = (values.first(), values.get(1)) else {
            return exec_err!("{NAME}: needs ts and amount");
        };
        let keep = counted_rows(&[ts, amount], filter, ts.len());
        let options = CastOptions {
            safe: false,
            ..CastOptions::default()
        };
        let days = cast_with_options(ts, &DataType::Date32, &options)?;
        let (Some(days), Some(amounts)) = (
            days.as_primitive_opt::<Date32Type>(),
            amount.as_primitive_opt::<Decimal128Type>(),
        ) else {
            return exec_err!("{NAME}: ts must be a date and amount a decimal");
        };
        for (i, (&d, &a)) in days.values().iter().zip(amounts.values()).enumerate() {
            if keep.as_ref().is_some_and(|k| !k[i]) {
                continue;
            }
            f(i, (d, a));
        }
        Ok(())
    }

    /// The summary of one customer's transactions (`None` without one by
    /// the observation end), through the library's own partial state,
    /// [`RfmState`] (the one behind `clv::summarize`).
    fn summary(&self, rows: &[Row]) -> Result<Option<CustomerRfm<()>>> {
        let library = |e: revops::Error| {
            datafusion_common::DataFusionError::Execution(format!("{NAME}: {e}"))
        };
        // The currency only labels the sums: any one will do.
        let currency = Currency::USD;
        let mut state = RfmState::new(self.period, self.end, currency);
        for &(d, a) in rows {
            let (Some(date), Ok(amount)) = (
                date_of(d),
                Decimal::try_from_i128_with_scale(a, self.scale as u32),
            ) else {
                return exec_err!("{NAME}: a transaction's date or amount is out of range");
            };
            let t = Transaction {
                customer: (),
                date,
                amount: Money::new(amount, currency),
            };
            state.add(&t).map_err(library)?;
        }
        let s = state.finish().map_err(library)?;
        Ok(s.customers.into_iter().next())
    }

    /// The mean value as the result's mantissa.
    fn mantissa(&self, m: Money) -> Result<i128> {
        let mut d = m
            .amount()
            .round_dp_with_strategy(self.out_scale as u32, RoundingStrategy::MidpointNearestEven);
        d.rescale(self.out_scale as u32);
        if d.scale() != self.out_scale as u32 {
            return exec_err!(
                "{NAME}: a mean value does not fit {} places",
                self.out_scale
            );
        }
        Ok(d.mantissa())
    }

    /// The result structs of some groups.
    fn results(&self, offsets: &[usize], rows: &[Row]) -> Result<ArrayRef> {
        let groups = offsets.len().saturating_sub(1);
        let mut freq = Vec::with_capacity(groups);
        let mut rec = Vec::with_capacity(groups);
        let mut age = Vec::with_capacity(groups);
        let mut value: Vec<Option<i128>> = Vec::with_capacity(groups);
        let mut valid = Vec::with_capacity(groups);
        for w in offsets.windows(2) {
            match self.summary(&rows[w[0]..w[1]])? {
                Some(c) => {
                    freq.push(c.frequency);
                    rec.push(c.recency);
                    age.push(c.age);
                    value.push(c.monetary_value.map(|m| self.mantissa(m)).transpose()?);
                    valid.push(true);
                }
                None => {
                    freq.push(0);
                    rec.push(0);
                    age.push(0);
                    value.push(None);
                    valid.push(false);
                }
            }
        }
        let value = Decimal128Array::from(value).with_precision_and_scale(38, self.out_scale)?;
        let s = StructArray::try_new(
            output_fields(self.scale),
            vec![
                Arc::new(UInt64Array::from(freq)),
                Arc::new(Int64Array::from(rec)),
                Arc::new(Int64Array::from(age)),
                Arc::new(value),
            ],
            Some(NullBuffer::from(valid)),
        )?;
        Ok(Arc::new(s))
    }

    /// Partial states: two lists per group.
    fn lists(&self, offsets: Vec<usize>, rows: &[Row]) -> Result<Vec<ArrayRef>> {
        let days = Int32Array::from_iter_values(rows.iter().map(|r| r.0));
        let amounts = Decimal128Array::from_iter_values(rows.iter().map(|r| r.1))
            .with_precision_and_scale(38, self.scale)?;
        write_pairs(NAME, offsets, days, amounts)
    }
}

/// Calls `f(row, transaction)` for each element of partial states.
fn each_state_row(values: &[ArrayRef], mut f: impl FnMut(usize, Row)) -> Result<()> {
    read_pairs::<Int32Type, Decimal128Type>(NAME, values, |row, d, a| f(row, (d, a)))
}

#[derive(Debug)]
struct RfmAccumulator {
    cfg: Config,
    rows: Vec<Row>,
}

impl Accumulator for RfmAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        self.cfg.each_row(values, None, |_, r| rows.push(r))
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        each_state_row(states, |_, r| rows.push(r))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(scalars(
            self.cfg.lists(vec![0, self.rows.len()], &self.rows)?,
        ))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let out = self.cfg.results(&[0, self.rows.len()], &self.rows)?;
        ScalarValue::try_from_array(&out, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.rows.capacity() * std::mem::size_of::<Row>()
    }
}

struct RfmGroups {
    cfg: Config,
    arena: Arena<Grouped<Row>>,
}

impl GroupsAccumulator for RfmGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.arena.set_groups(NAME, total_num_groups)?;
        let arena = &mut self.arena;
        self.cfg.each_row(values, opt_filter, |i, r| {
            if let Some(&g) = group_indices.get(i) {
                arena.push(g, Grouped::new(r));
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (offsets, rows) = self.arena.take(emit_to, |s| s.row);
        self.cfg.results(&offsets, &rows)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (offsets, rows) = self.arena.take(emit_to, |s| s.row);
        self.cfg.lists(offsets, &rows)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.arena.set_groups(NAME, total_num_groups)?;
        let arena = &mut self.arena;
        each_state_row(values, |i, r| {
            if let Some(&g) = group_indices.get(i) {
                arena.push(g, Grouped::new(r));
            }
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let len = values.first().map_or(0, |a| a.len());
        let (mut taken, mut rows) = (Vec::new(), Vec::with_capacity(len));
        self.cfg.each_row(values, opt_filter, |i, r| {
            taken.push(i);
            rows.push(r);
        })?;
        self.cfg.lists(one_per_row(len, &taken), &rows)
    }

    fn size(&self) -> usize {
        self.arena.size()
    }
}
