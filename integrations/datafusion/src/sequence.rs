//! `sequence_match` and `sequence_count`: ClickHouse's `sequenceMatch`
//! and `sequenceCount` as DataFusion aggregates.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanArray, UInt64Array};
use arrow::datatypes::{DataType, FieldRef, TimeUnit as ArrowUnit};
use datafusion_common::{plan_err, DataFusionError, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::AggregateOrderSensitivity;
use datafusion_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};
use revops::funnel::{FunnelRow, Sequence, SequencePattern};
use revops::quantity::TimeUnit;

use crate::args::{condition_types, literal, plan_error};
use crate::rows::{state_fields, Kernel, RowArgs, RowsAccumulator, RowsGroups};

/// Which of the two functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum What {
    Match,
    Count,
}

impl What {
    fn name(self) -> &'static str {
        match self {
            What::Match => "sequence_match",
            What::Count => "sequence_count",
        }
    }
}

/// `sequence_match(pattern, ts, cond1, ..., condN)`: whether a group's
/// (user's) events follow `pattern`, ClickHouse's
/// `sequenceMatch(pattern)(ts, cond1, ..., condN)`.
///
/// * `pattern`: a string constant in ClickHouse's pattern language:
///   `(?N)` an event meeting condition `N`, `.` any one event, `.*` any
///   events, `(?t op secs)` (`<`, `<=`, `>`, `>=`, `==`) the time from the
///   event before to the event after, events between allowed. The time is
///   in seconds for a `TIMESTAMP` `ts` (exact at its precision), otherwise
///   in the integer's own unit. A bad pattern is a planning error that
///   names the position.
/// * `ts`: a `TIMESTAMP` or integer column.
/// * `cond1` to `condN`: 1 to 32 boolean expressions.
///
/// Returns `Boolean`. An *event* is a row meeting at least one condition;
/// rows meeting none, and rows with a NULL argument, are not seen. Events
/// are sorted by time, then by the conditions they meet, so the result
/// does not depend on the order rows arrive in. A search of more than
/// 1,000,000 steps (ClickHouse's limit, with a time condition) is an
/// execution error. Semantics: [`revops::funnel::Sequence`].
///
/// ```sql
/// -- Users who saw pricing, then started a trial within a day.
/// SELECT user_id, sequence_match('(?1)(?t<=86400)(?2)', ts,
///                                event = 'pricing', event = 'trial') AS converted
/// FROM events GROUP BY user_id;
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SequenceMatch {
    signature: Signature,
}

/// `sequence_count(pattern, ts, cond1, ..., condN)`: how many
/// non-overlapping times a group's events follow `pattern`, ClickHouse's
/// `sequenceCount`. Arguments and rules as [`SequenceMatch`]'s; returns
/// `UInt64`.
///
/// ```sql
/// -- How many times each user went from the cart to a purchase.
/// SELECT user_id, sequence_count('(?1).*(?2)', ts, event = 'cart', event = 'buy') AS n
/// FROM events GROUP BY user_id;
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SequenceCount {
    signature: Signature,
}

impl SequenceMatch {
    /// The function.
    pub fn new() -> SequenceMatch {
        SequenceMatch {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for SequenceMatch {
    fn default() -> SequenceMatch {
        SequenceMatch::new()
    }
}

impl SequenceCount {
    /// The function.
    pub fn new() -> SequenceCount {
        SequenceCount {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for SequenceCount {
    fn default() -> SequenceCount {
        SequenceCount::new()
    }
}

fn documentation(what: What) -> Documentation {
    let (text, example) = match what {
        What::Match => (
            "Whether a group's events follow a pattern: ClickHouse's sequenceMatch.",
            "```sql\nSELECT user_id, sequence_match('(?1)(?t<=86400)(?2)', ts, \
             event = 'pricing', event = 'trial') AS converted\nFROM events GROUP BY user_id;\n```",
        ),
        What::Count => (
            "How many non-overlapping times a group's events follow a pattern: \
             ClickHouse's sequenceCount.",
            "```sql\nSELECT user_id, sequence_count('(?1).*(?2)', ts, \
             event = 'cart', event = 'buy') AS n\nFROM events GROUP BY user_id;\n```",
        ),
    };
    Documentation::builder(
        datafusion_expr::aggregate_doc_sections::DOC_SECTION_GENERAL,
        text,
        format!("{}(pattern, ts, cond1, ..., condN)", what.name()),
    )
    .with_sql_example(example)
    .with_argument(
        "pattern",
        "String constant: (?N) condition N, . any event, .* any events, \
         (?t op secs) a time condition with <, <=, >, >=, ==.",
    )
    .with_argument(
        "ts",
        "TIMESTAMP (seconds in the pattern) or integer (its own unit).",
    )
    .with_argument("cond1, ..., condN", "1 to 32 boolean expressions.")
    .build()
}

static MATCH_DOC: LazyLock<Documentation> = LazyLock::new(|| documentation(What::Match));
static COUNT_DOC: LazyLock<Documentation> = LazyLock::new(|| documentation(What::Count));

fn coerce(what: What, types: &[DataType]) -> Result<Vec<DataType>> {
    let name = what.name();
    if types.len() < 3 {
        return plan_err!(
            "{name}(pattern, ts, cond1, ...) needs a pattern, a time column and at least \
             one condition; got {} arguments",
            types.len()
        );
    }
    if !matches!(
        types[0],
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    ) {
        return plan_err!("{name}: the pattern must be a string, not {}", types[0]);
    }
    match &types[1] {
        DataType::Timestamp(_, _) => {}
        x if x.is_integer() => {}
        other => {
            return plan_err!(
                "{name}: the time column must be a TIMESTAMP or an integer, not {other}"
            )
        }
    }
    let mut out = types[..2].to_vec();
    if out[0] == DataType::Null {
        // A NULL pattern: refused by name when the accumulator is made.
        out[0] = DataType::Utf8;
    }
    out.extend(condition_types(name, &types[2..])?);
    Ok(out)
}

/// The compiled pattern of a call, and where its rows are.
fn config(what: What, args: &AccumulatorArgs) -> Result<(RowArgs, SequenceKernel)> {
    let name = what.name();
    if args.exprs.len() < 3 || args.expr_fields.len() != args.exprs.len() {
        return plan_err!("{name}: needs a pattern, a time column and a condition");
    }
    let text = match literal(&args.exprs[0], name, "pattern")? {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.clone(),
        other => return plan_err!("{name}: the pattern must be a string, not {other}"),
    };
    let pattern = SequencePattern::parse(&text, args.exprs.len() - 2).map_err(plan_error)?;
    let sequence = match args.expr_fields[1].data_type() {
        DataType::Timestamp(unit, _) => Sequence::new(pattern).with_unit(match unit {
            ArrowUnit::Second => TimeUnit::Second,
            ArrowUnit::Millisecond => TimeUnit::Millisecond,
            ArrowUnit::Microsecond => TimeUnit::Microsecond,
            ArrowUnit::Nanosecond => TimeUnit::Nanosecond,
        }),
        _ => Sequence::new(pattern),
    };
    let rows = RowArgs {
        name,
        ts: 1,
        keep_unmatched: false,
    };
    Ok((rows, SequenceKernel { what, sequence }))
}

/// The answer of each group's rows.
#[derive(Debug)]
struct SequenceKernel {
    what: What,
    sequence: Sequence,
}

fn exec_error(e: revops::Error) -> DataFusionError {
    DataFusionError::Execution(e.to_string())
}

impl Kernel for SequenceKernel {
    fn one(&mut self, rows: &[FunnelRow]) -> Result<ScalarValue> {
        Ok(match self.what {
            What::Match => {
                ScalarValue::Boolean(Some(self.sequence.matches(rows).map_err(exec_error)?))
            }
            What::Count => {
                ScalarValue::UInt64(Some(self.sequence.count(rows).map_err(exec_error)?))
            }
        })
    }

    fn many(&mut self, offsets: &[usize], rows: &[FunnelRow]) -> Result<ArrayRef> {
        let groups = offsets.windows(2).map(|w| &rows[w[0]..w[1]]);
        Ok(match self.what {
            What::Match => Arc::new(
                groups
                    .map(|g| self.sequence.matches(g).map(Some))
                    .collect::<revops::Result<BooleanArray>>()
                    .map_err(exec_error)?,
            ),
            What::Count => Arc::new(
                groups
                    .map(|g| self.sequence.count(g).map(Some))
                    .collect::<revops::Result<UInt64Array>>()
                    .map_err(exec_error)?,
            ),
        })
    }
}

macro_rules! sequence_udaf {
    ($ty:ty, $what:expr, $doc:ident, $ret:expr, $default:expr) => {
        impl $ty {
            /// Where a call's arguments are and what it computes per group.
            pub(crate) fn row_kernel(args: &AccumulatorArgs) -> Result<(RowArgs, Box<dyn Kernel>)> {
                let (rows, kernel) = config($what, args)?;
                Ok((rows, Box::new(kernel)))
            }
        }

        impl AggregateUDFImpl for $ty {
            fn name(&self) -> &str {
                $what.name()
            }

            fn signature(&self) -> &Signature {
                &self.signature
            }

            fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
                coerce($what, types)
            }

            fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
                Ok($ret)
            }

            fn is_nullable(&self) -> bool {
                false
            }

            fn default_value(&self, _t: &DataType) -> Result<ScalarValue> {
                Ok($default)
            }

            fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
                Ok(state_fields(args.name))
            }

            fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
                let (rows, kernel) = config($what, &args)?;
                Ok(Box::new(RowsAccumulator::new(rows, kernel)))
            }

            fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
                true
            }

            fn create_groups_accumulator(
                &self,
                args: AccumulatorArgs,
            ) -> Result<Box<dyn GroupsAccumulator>> {
                let (rows, kernel) = config($what, &args)?;
                Ok(Box::new(RowsGroups::new(rows, kernel)))
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

sequence_udaf!(
    SequenceMatch,
    What::Match,
    MATCH_DOC,
    DataType::Boolean,
    ScalarValue::Boolean(Some(false))
);
sequence_udaf!(
    SequenceCount,
    What::Count,
    COUNT_DOC,
    DataType::UInt64,
    ScalarValue::UInt64(Some(0))
);
