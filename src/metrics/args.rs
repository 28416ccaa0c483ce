//! The typed arguments of [`Metric::evaluate`](super::Metric::evaluate)
//! and their kinds.

use chrono::TimeDelta;
use rust_decimal::Decimal;

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
    Duration(
        #[cfg_attr(
            feature = "serde",
            serde(with = "crate::quantity::serde_forms::seconds")
        )]
        TimeDelta,
    ),
    /// Several durations (JSON: decimal seconds as strings).
    Durations(
        #[cfg_attr(
            feature = "serde",
            serde(with = "crate::quantity::serde_forms::seconds::vec")
        )]
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
