//! The typed arguments of [`Metric::evaluate`](super::Metric::evaluate)
//! and the description of each input.

use chrono::TimeDelta;
use rust_decimal::Decimal;

use super::inputs;
use crate::error::{Error, Result};
use crate::quantity::{Currency, Money, Ratio};

/// The kind of one input of a metric.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ArgKind {
    /// [`Arg::Count`].
    Count,
    /// [`Arg::Counts`].
    Counts,
    /// [`Arg::Money`].
    Money,
    /// [`Arg::Moneys`].
    Moneys,
    /// [`Arg::Ratio`].
    Ratio,
    /// [`Arg::Decimal`].
    Decimal,
    /// [`Arg::Duration`].
    Duration,
    /// [`Arg::Durations`].
    Durations,
    /// [`Arg::Answers`].
    Answers,
    /// [`Arg::Currency`].
    Currency,
    /// [`Arg::WeightedDeals`].
    WeightedDeals,
}

/// One named input of a metric, as listed in the catalogue.
///
/// JSON form: `{"name": "won", "kind": "count", "description": "deals
/// won", "unit": "deals"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Input {
    /// The input's name, as in the function's signature.
    pub name: &'static str,
    /// Its kind.
    pub kind: ArgKind,
}

impl Input {
    /// What the input is.
    ///
    /// ```
    /// use revops::metrics::Metric;
    /// let won = Metric::WinRate.inputs()[0];
    /// assert_eq!((won.name, won.description(), won.unit()), ("won", "deals won", "deals"));
    /// ```
    pub fn description(&self) -> &'static str {
        inputs::describe(self.name, self.kind).map_or("", |d| d.0)
    }

    /// What it is counted or measured in (`money`, `deals`, `duration`,
    /// `ratio`, ...).
    pub fn unit(&self) -> &'static str {
        inputs::describe(self.name, self.kind).map_or("", |d| d.1)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Input {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Input", 4)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("description", self.description())?;
        st.serialize_field("unit", self.unit())?;
        st.end()
    }
}

/// One argument for [`Metric::evaluate`](super::Metric::evaluate).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Arg {
    /// A count.
    Count(u64),
    /// Several counts.
    Counts(Vec<u64>),
    /// An amount.
    Money(Money),
    /// Several amounts.
    Moneys(Vec<Money>),
    /// A proportion.
    Ratio(Ratio),
    /// A number.
    Decimal(
        #[cfg_attr(
            feature = "serde",
            serde(deserialize_with = "crate::serde_util::decimal::deserialize")
        )]
        Decimal,
    ),
    /// A duration (JSON: decimal seconds as a string).
    Duration(#[cfg_attr(feature = "serde", serde(with = "crate::serde_util::seconds"))] TimeDelta),
    /// Several durations (JSON: decimal seconds as strings).
    Durations(
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_util::seconds::vec"))]
        Vec<TimeDelta>,
    ),
    /// Survey answers.
    Answers(Vec<u8>),
    /// A currency.
    Currency(Currency),
    /// Open deals as (amount, win probability).
    WeightedDeals(Vec<(Money, Ratio)>),
}

impl Arg {
    /// The kind of this argument.
    pub fn kind(&self) -> ArgKind {
        match self {
            Arg::Count(_) => ArgKind::Count,
            Arg::Counts(_) => ArgKind::Counts,
            Arg::Money(_) => ArgKind::Money,
            Arg::Moneys(_) => ArgKind::Moneys,
            Arg::Ratio(_) => ArgKind::Ratio,
            Arg::Decimal(_) => ArgKind::Decimal,
            Arg::Duration(_) => ArgKind::Duration,
            Arg::Durations(_) => ArgKind::Durations,
            Arg::Answers(_) => ArgKind::Answers,
            Arg::Currency(_) => ArgKind::Currency,
            Arg::WeightedDeals(_) => ArgKind::WeightedDeals,
        }
    }
}

/// Typed access to the arguments of one evaluation.
pub(super) struct Args<'a> {
    pub(super) metric: &'static str,
    pub(super) args: &'a [Arg],
}

macro_rules! getter {
    ($name:ident, $variant:ident, $t:ty, $($ref:tt)*) => {
        pub(super) fn $name(&self, i: usize) -> Result<$t> {
            match self.args.get(i) {
                Some(Arg::$variant(v)) => Ok($($ref)* v),
                _ => Err(self.wrong()),
            }
        }
    };
}

impl<'a> Args<'a> {
    fn wrong(&self) -> Error {
        Error::invalid(
            self.metric,
            "the arguments do not match the metric's inputs (see Metric::inputs)",
        )
    }
    getter!(count, Count, u64, *);
    getter!(counts, Counts, &'a [u64], &**);
    getter!(money, Money, Money, *);
    getter!(moneys, Moneys, &'a [Money], &**);
    getter!(ratio, Ratio, Ratio, *);
    getter!(decimal, Decimal, Decimal, *);
    getter!(duration, Duration, TimeDelta, *);
    getter!(durations, Durations, &'a [TimeDelta], &**);
    getter!(answers, Answers, &'a [u8], &**);
    getter!(currency, Currency, Currency, *);
    getter!(weighted, WeightedDeals, &'a [(Money, Ratio)], &**);
}
