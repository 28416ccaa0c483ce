//! `attribution` and `markov_attribution`: revops' multi-touch
//! attribution over path rows (ChannelAttribution's layout), exact, as
//! DataFusion aggregates.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Int64Array, ListArray, ListBuilder, StringBuilder,
    StructArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Fields, Int64Type};
use datafusion_common::{exec_err, plan_err, DataFusionError, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::{format_state_name, AggregateOrderSensitivity};
use datafusion_expr::{Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility};
use revops::attribution::{attribute, Model, PathRow, Records, CONVERSION_SCALE};
use revops::journey::{ChannelId, Channels};
use revops::{Currency, Decimal, Money};

use crate::args::{literal, plan_error};

/// Which of the two functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Form {
    /// `attribution(model, path, conversions, value, nulls)`.
    Model,
    /// `markov_attribution(path, conversions, value, nulls [, order])`.
    Markov,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Model => "attribution",
            Form::Markov => "markov_attribution",
        }
    }

    /// The index of the path argument.
    fn path(self) -> usize {
        match self {
            Form::Model => 1,
            Form::Markov => 0,
        }
    }
}

/// `attribution(model, path, conversions, value, nulls)`: each channel's
/// credit for the conversions and value of path rows, by any of revops'
/// path models, exact.
///
/// * `model`: a string constant, a model's text form: `'first'`,
///   `'last'`, `'linear'`, `'position_based'` (or `'position_based:0.3,0.3'`),
///   `'last_non_direct:direct'`, `'custom:3,1,1'`, `'markov'` (or
///   `'markov:2'`, orders 1 to 4), `'shapley'`, `'shapley_rate'`. The
///   models that need touch times or milestones (`time_decay`,
///   `u_shaped`, `w_shaped`, `full_path`) are refused: a path has neither.
/// * `path`: a list of channel names (`List(Utf8)`: what
///   `array_agg(channel ORDER BY ts)` or `string_to_array(path, ' > ')`
///   gives), first touch first.
/// * `conversions`, `nulls`: non-negative integers, the journeys that
///   followed the path and converted, and those that did not.
/// * `value`: a `DECIMAL` (the converted journeys' total value). A float
///   is refused: it cannot hold cents exactly. Credits are split exactly
///   at the value's scale (`DECIMAL(18, 2)`: to the cent).
///
/// Returns a list of `{channel, conversions, value}` structs, one per
/// channel seen in a kept row, sorted by channel name: `conversions` a
/// `DECIMAL(38, 6)`, `value` a `DECIMAL(38, s)` of the value's scale `s`.
/// The credits add back exactly to the rows' conversions and value. A row
/// with a NULL argument is skipped, as are the rows the library skips (an
/// empty path, a value without conversions). The results are
/// [`revops::attribution::attribute`]'s over the same rows, whatever
/// partitions they came from.
///
/// ```sql
/// SELECT get_field(c, 'channel') AS channel, get_field(c, 'value') AS value
/// FROM (SELECT unnest(attribution('linear', string_to_array(path, ' > '),
///         total_conversions, CAST(total_conversion_value AS DECIMAL(18, 2)),
///         total_null)) AS c FROM paths);
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Attribution {
    signature: Signature,
}

/// `markov_attribution(path, conversions, value, nulls [, order])`: the
/// Markov-chain removal-effect model of order `order` (an integer
/// constant, 1 to 4; 1 when left out), exact (the limit of
/// ChannelAttribution's simulation). Otherwise as [`Attribution`].
///
/// ```sql
/// SELECT get_field(c, 'channel'), get_field(c, 'conversions'), get_field(c, 'value')
/// FROM (SELECT unnest(markov_attribution(string_to_array(path, ' > '), total_conversions,
///         CAST(total_conversion_value AS DECIMAL(18, 2)), total_null)) AS c FROM paths);
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MarkovAttribution {
    signature: Signature,
}

impl Attribution {
    /// The function.
    pub fn new() -> Attribution {
        Attribution {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for Attribution {
    fn default() -> Attribution {
        Attribution::new()
    }
}

impl MarkovAttribution {
    /// The function.
    pub fn new() -> MarkovAttribution {
        MarkovAttribution {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for MarkovAttribution {
    fn default() -> MarkovAttribution {
        MarkovAttribution::new()
    }
}

fn documentation(form: Form) -> Documentation {
    let (text, syntax) = match form {
        Form::Model => (
            "Each channel's exact credit for the conversions and value of path rows, \
             by a revops attribution model.",
            "attribution(model, path, conversions, value, nulls)",
        ),
        Form::Markov => (
            "Each channel's exact credit by Markov-chain removal effects of an order (1 by default).",
            "markov_attribution(path, conversions, value, nulls [, order])",
        ),
    };
    let mut b = Documentation::builder(
        datafusion_expr::aggregate_doc_sections::DOC_SECTION_GENERAL,
        text,
        syntax,
    )
    .with_sql_example(
        "```sql\nSELECT unnest(markov_attribution(string_to_array(path, ' > '), \
         total_conversions, CAST(total_conversion_value AS DECIMAL(18, 2)), total_null)) \
         FROM paths;\n```",
    );
    if form == Form::Model {
        b = b.with_argument(
            "model",
            "String constant: 'first', 'last', 'linear', 'position_based', 'custom:W,...', \
             'markov:K', 'shapley', 'shapley_rate', ...",
        );
    }
    b = b
        .with_argument("path", "List of channel names, first touch first.")
        .with_argument("conversions", "Non-negative integer.")
        .with_argument("value", "DECIMAL: credits are split exactly at its scale.")
        .with_argument(
            "nulls",
            "Non-negative integer: journeys that did not convert.",
        );
    if form == Form::Markov {
        b = b.with_argument("order", "Optional integer constant, 1 to 4.");
    }
    b.build()
}

static MODEL_DOC: LazyLock<Documentation> = LazyLock::new(|| documentation(Form::Model));
static MARKOV_DOC: LazyLock<Documentation> = LazyLock::new(|| documentation(Form::Markov));

fn path_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn coerce(form: Form, types: &[DataType]) -> Result<Vec<DataType>> {
    let name = form.name();
    let p = form.path();
    let (least, most) = match form {
        Form::Model => (5, 5),
        Form::Markov => (4, 5),
    };
    if types.len() < least || types.len() > most {
        return plan_err!(
            "{name}: {} arguments, not {}",
            match form {
                Form::Model => "(model, path, conversions, value, nulls): 5",
                Form::Markov => "(path, conversions, value, nulls [, order]): 4 or 5",
            },
            types.len()
        );
    }
    let mut out = types.to_vec();
    if form == Form::Model && !is_string(&types[0]) && types[0] != DataType::Null {
        return plan_err!("{name}: the model must be a string, not {}", types[0]);
    }
    if form == Form::Model && types[0] == DataType::Null {
        out[0] = DataType::Utf8;
    }
    match &types[p] {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if is_string(f.data_type()) || f.data_type() == &DataType::Null => {}
        DataType::Null => {}
        other => {
            return plan_err!(
                "{name}: the path must be a list of channel names (string_to_array(path, ' > ') \
                 or array_agg(channel ORDER BY ts)), not {other}"
            )
        }
    }
    out[p] = path_type();
    for (k, what) in [(p + 1, "conversions"), (p + 3, "nulls")] {
        match &types[k] {
            t if t.is_integer() || t == &DataType::Null => out[k] = DataType::Int64,
            other => return plan_err!("{name}: {what} must be an integer, not {other}"),
        }
    }
    out[p + 2] = match &types[p + 2] {
        DataType::Decimal128(_, s)
        | DataType::Decimal256(_, s)
        | DataType::Decimal32(_, s)
        | DataType::Decimal64(_, s)
            if (0..=28).contains(s) =>
        {
            DataType::Decimal128(38, *s)
        }
        t if t.is_integer() || t == &DataType::Null => DataType::Decimal128(38, 0),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            return plan_err!(
                "{name}: the value is a float ({}), which cannot hold cents exactly: \
                 CAST it to a DECIMAL, as CAST(value AS DECIMAL(18, 2))",
                types[p + 2]
            )
        }
        other => {
            return plan_err!("{name}: the value must be a DECIMAL of scale 0 to 28, not {other}")
        }
    };
    if form == Form::Markov && types.len() == 5 && !types[4].is_integer() {
        return plan_err!("{name}: the order must be an integer, not {}", types[4]);
    }
    Ok(out)
}

fn value_scale(types: &[DataType], form: Form) -> i8 {
    match types.get(form.path() + 2) {
        Some(DataType::Decimal128(_, s)) => *s,
        _ => 0,
    }
}

fn output_fields(scale: i8) -> Fields {
    Fields::from(vec![
        Field::new("channel", DataType::Utf8, false),
        Field::new(
            "conversions",
            DataType::Decimal128(38, CONVERSION_SCALE as i8),
            false,
        ),
        Field::new("value", DataType::Decimal128(38, scale), false),
    ])
}

fn return_type(scale: i8) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(output_fields(scale)),
        false,
    )))
}

fn state_fields(name: &str, scale: i8) -> Vec<FieldRef> {
    let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, true)));
    vec![
        Arc::new(Field::new(
            format_state_name(name, "paths"),
            list(path_type()),
            true,
        )),
        Arc::new(Field::new(
            format_state_name(name, "conversions"),
            list(DataType::Int64),
            true,
        )),
        Arc::new(Field::new(
            format_state_name(name, "values"),
            list(DataType::Decimal128(38, scale)),
            true,
        )),
        Arc::new(Field::new(
            format_state_name(name, "nulls"),
            list(DataType::Int64),
            true,
        )),
    ]
}

/// The model of a call.
fn model_of(form: Form, args: &AccumulatorArgs) -> Result<Model> {
    let name = form.name();
    let model = match form {
        Form::Model => {
            let text = match literal(&args.exprs[0], name, "model")? {
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)) => s.clone(),
                other => return plan_err!("{name}: the model must be a string, not {other}"),
            };
            text.parse::<Model>().map_err(plan_error)?
        }
        Form::Markov => {
            let order = match args.exprs.get(4) {
                None => 1,
                Some(e) => match literal(e, name, "order")?.cast_to(&DataType::Int64)? {
                    ScalarValue::Int64(Some(k)) => k,
                    other => return plan_err!("{name}: the order must be an integer, not {other}"),
                },
            };
            format!("markov:{order}")
                .parse::<Model>()
                .map_err(plan_error)?
        }
    };
    if model.needs_journeys() {
        return plan_err!(
            "{name}: the model {model} needs journeys with touch times or milestones; \
             a path has neither"
        );
    }
    Ok(model)
}

/// The rows of one group, and the model to run on them.
#[derive(Debug)]
struct AttributionAccumulator {
    form: Form,
    model: Model,
    scale: i8,
    channels: Channels,
    rows: Vec<PathRow>,
}

/// The currency the library splits in: one without a minor unit. Values
/// go to the library as whole numbers of their column's last decimal (a
/// `DECIMAL(18, 2)`'s cents), so every split is exact at the column's
/// scale, trailing zeros or not.
const SPLIT_CURRENCY: Currency = Currency::JPY;

fn exec_error(e: revops::Error) -> DataFusionError {
    DataFusionError::Execution(e.to_string())
}

impl AttributionAccumulator {
    fn of(form: Form, args: &AccumulatorArgs) -> Result<AttributionAccumulator> {
        let types: Vec<DataType> = args
            .expr_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        Ok(AttributionAccumulator {
            form,
            model: model_of(form, args)?,
            scale: value_scale(&types, form),
            channels: Channels::new(),
            rows: Vec::new(),
        })
    }

    /// Adds the rows of parallel columns: paths, conversions, values
    /// (mantissas at the value scale), nulls.
    fn add(
        &mut self,
        paths: &ListArray,
        conversions: &Int64Array,
        values: &Decimal128Array,
        nulls: &Int64Array,
    ) -> Result<()> {
        let name = self.form.name();
        let len = paths.len();
        if conversions.len() != len || values.len() != len || nulls.len() != len {
            return exec_err!("{name}: the arguments differ in length");
        }
        let Some(names) = paths.values().as_string_opt::<i32>() else {
            return exec_err!("{name}: a path is not a list of strings");
        };
        for i in 0..len {
            if paths.is_null(i) || conversions.is_null(i) || values.is_null(i) || nulls.is_null(i) {
                continue;
            }
            let (c, n) = (conversions.value(i), nulls.value(i));
            let (Ok(c), Ok(n)) = (u64::try_from(c), u64::try_from(n)) else {
                return exec_err!("{name}: conversions ({c}) and nulls ({n}) must not be negative");
            };
            let offsets = paths.value_offsets();
            let (s, e) = (offsets[i] as usize, offsets[i + 1] as usize);
            let mut path: Vec<ChannelId> = Vec::with_capacity(e - s);
            for k in s..e {
                if names.is_null(k) {
                    return exec_err!("{name}: a path holds a NULL channel");
                }
                path.push(
                    self.channels
                        .intern_str(names.value(k))
                        .map_err(exec_error)?,
                );
            }
            let amount = Decimal::try_from_i128_with_scale(values.value(i), 0).map_err(|_| {
                DataFusionError::Execution(format!(
                    "{name}: the value {} is beyond a 96-bit decimal",
                    values.value_as_string(i)
                ))
            })?;
            self.rows
                .push(PathRow::new(path, c, Money::new(amount, SPLIT_CURRENCY), n));
        }
        Ok(())
    }

    /// The rows with their channels numbered in name order: the library
    /// numbers its channels by id, and ids here follow the order rows
    /// arrived in, which varies with partitions and threads; renumbered,
    /// the credits do not.
    fn by_name(&self) -> Result<(Channels, Vec<PathRow>)> {
        let mut names: Vec<(&str, ChannelId)> = Vec::with_capacity(self.channels.len());
        for r in &self.rows {
            for &id in &r.path {
                if let Some(n) = self.channels.name(id) {
                    names.push((n, id));
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        let mut channels = Channels::new();
        let mut new_id = std::collections::HashMap::with_capacity(names.len());
        for (n, id) in names {
            new_id.insert(id, channels.intern_str(n).map_err(exec_error)?);
        }
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let path = r
                    .path
                    .iter()
                    .filter_map(|id| new_id.get(id).copied())
                    .collect();
                PathRow::new(path, r.conversions, r.value, r.nulls)
            })
            .collect();
        Ok((channels, rows))
    }

    fn report(&self) -> Result<ScalarValue> {
        let name = self.form.name();
        let mut channel = StringBuilder::new();
        let mut conversions = Vec::new();
        let mut value = Vec::new();
        if !self.rows.is_empty() {
            let (channels, rows) = self.by_name()?;
            let input = Records::Paths {
                rows: &rows,
                channels: &channels,
            };
            let report = attribute(input, &self.model, SPLIT_CURRENCY).map_err(exec_error)?;
            for c in &report.channels {
                channel.append_value(c.channel.as_str());
                conversions.push(mantissa(name, c.conversions, CONVERSION_SCALE)?);
                value.push(mantissa(name, c.value.amount(), 0)?);
            }
        }
        let fields = output_fields(self.scale);
        let structs = StructArray::try_new(
            fields,
            vec![
                Arc::new(channel.finish()) as ArrayRef,
                Arc::new(
                    Decimal128Array::from(conversions)
                        .with_precision_and_scale(38, CONVERSION_SCALE as i8)?,
                ),
                Arc::new(Decimal128Array::from(value).with_precision_and_scale(38, self.scale)?),
            ],
            None,
        )?;
        let DataType::List(field) = return_type(self.scale) else {
            return exec_err!("{name}: the result is a list");
        };
        let len = structs.len();
        let list = ListArray::try_new(
            field,
            OffsetBuffer::from_lengths([len]),
            Arc::new(structs),
            None,
        )?;
        Ok(ScalarValue::List(Arc::new(list)))
    }
}

/// `d` as a mantissa at `scale` decimals, exactly.
fn mantissa(name: &str, d: Decimal, scale: u32) -> Result<i128> {
    let mut x = d;
    x.rescale(scale);
    if x != d || x.scale() != scale {
        return exec_err!("{name}: the credit {d} does not fit {scale} decimals exactly");
    }
    Ok(x.mantissa())
}

impl Accumulator for AttributionAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let p = self.form.path();
        let name = self.form.name();
        let (Some(paths), Some(c), Some(v), Some(n)) = (
            values.get(p).and_then(|a| a.as_list_opt::<i32>()),
            values
                .get(p + 1)
                .and_then(|a| a.as_primitive_opt::<Int64Type>()),
            values
                .get(p + 2)
                .and_then(|a| a.as_primitive_opt::<Decimal128Type>()),
            values
                .get(p + 3)
                .and_then(|a| a.as_primitive_opt::<Int64Type>()),
        ) else {
            return exec_err!("{name}: the arguments are not of the coerced types");
        };
        let (paths, c, v, n) = (paths.clone(), c.clone(), v.clone(), n.clone());
        self.add(&paths, &c, &v, &n)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let name = self.form.name();
        let lists: Vec<&ListArray> = states
            .iter()
            .filter_map(|a| a.as_list_opt::<i32>())
            .collect();
        let [paths, c, v, n] = lists[..] else {
            return exec_err!("{name}: a partial state is four lists");
        };
        for row in 0..paths.len() {
            if paths.is_null(row) {
                continue;
            }
            let (Some(p), Some(cs), Some(vs), Some(ns)) = (
                paths.value(row).as_list_opt::<i32>().cloned(),
                c.value(row).as_primitive_opt::<Int64Type>().cloned(),
                v.value(row).as_primitive_opt::<Decimal128Type>().cloned(),
                n.value(row).as_primitive_opt::<Int64Type>().cloned(),
            ) else {
                return exec_err!("{name}: a partial state's lists are not of its types");
            };
            self.add(&p, &cs, &vs, &ns)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut paths = ListBuilder::new(StringBuilder::new());
        for r in &self.rows {
            for &id in &r.path {
                paths.values().append_option(self.channels.name(id));
            }
            paths.append(true);
        }
        let conversions: Int64Array = self
            .rows
            .iter()
            .map(|r| i64::try_from(r.conversions).ok())
            .collect();
        let nulls: Int64Array = self
            .rows
            .iter()
            .map(|r| i64::try_from(r.nulls).ok())
            .collect();
        let values = self
            .rows
            .iter()
            .map(|r| mantissa(self.form.name(), r.value.amount(), 0))
            .collect::<Result<Vec<i128>>>()?;
        let values = Decimal128Array::from(values).with_precision_and_scale(38, self.scale)?;
        let one = |a: ArrayRef| -> Result<ScalarValue> {
            let field = Arc::new(Field::new_list_field(a.data_type().clone(), true));
            let list = ListArray::try_new(field, OffsetBuffer::from_lengths([a.len()]), a, None)?;
            Ok(ScalarValue::List(Arc::new(list)))
        };
        Ok(vec![
            one(Arc::new(paths.finish()))?,
            one(Arc::new(conversions))?,
            one(Arc::new(values))?,
            one(Arc::new(nulls))?,
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.report()
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .rows
                .iter()
                .map(|r| std::mem::size_of::<PathRow>() + r.path.len() * 4)
                .sum::<usize>()
            + self.channels.len() * 32
    }
}

macro_rules! attribution_udaf {
    ($ty:ty, $form:expr, $doc:ident) => {
        impl AggregateUDFImpl for $ty {
            fn name(&self) -> &str {
                $form.name()
            }

            fn signature(&self) -> &Signature {
                &self.signature
            }

            fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
                coerce($form, types)
            }

            fn return_type(&self, types: &[DataType]) -> Result<DataType> {
                Ok(return_type(value_scale(types, $form)))
            }

            fn is_nullable(&self) -> bool {
                false
            }

            fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
                let scale = match args.return_field.data_type() {
                    DataType::List(f) => match f.data_type() {
                        DataType::Struct(fs) => match fs.get(2).map(|f| f.data_type()) {
                            Some(DataType::Decimal128(_, s)) => *s,
                            _ => 0,
                        },
                        _ => 0,
                    },
                    _ => 0,
                };
                Ok(state_fields(args.name, scale))
            }

            fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
                Ok(Box::new(AttributionAccumulator::of($form, &args)?))
            }

            fn order_sensitivity(&self) -> AggregateOrderSensitivity {
                AggregateOrderSensitivity::Insensitive
            }

            fn documentation(&self) -> Option<&Documentation> {
                Some(&$doc)
            }
        }
    };
}

attribution_udaf!(Attribution, Form::Model, MODEL_DOC);
attribution_udaf!(MarkovAttribution, Form::Markov, MARKOV_DOC);
