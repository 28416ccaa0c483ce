//! One value type for every measured quantity: what a metric returns
//! ([`Metric::evaluate`](crate::metrics::Metric::evaluate)), what a goal
//! aims at and what it is assessed with
//! ([`Goal`](crate::objective::Goal)).

use std::fmt;

use chrono::TimeDelta;
use rust_decimal::Decimal;

use super::{seconds_of, Change, Money, Multiple, Nps, Ratio};

/// The kind of value a metric returns.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Unit {
    /// A [`Ratio`] in [0, 1].
    Ratio,
    /// A [`Multiple`] in [0, ∞).
    Multiple,
    /// A signed [`Change`].
    Change,
    /// A [`Money`] amount.
    Money,
    /// A whole count.
    Count,
    /// A duration.
    Duration,
    /// A score ([`Nps`]).
    Score,
    /// Any other number (months of payback).
    Decimal,
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Unit {
    /// The snake_case id (`ratio`, `money`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Unit::Ratio => "ratio",
            Unit::Multiple => "multiple",
            Unit::Change => "change",
            Unit::Money => "money",
            Unit::Count => "count",
            Unit::Duration => "duration",
            Unit::Score => "score",
            Unit::Decimal => "decimal",
        }
    }
}

/// A typed value: the result of
/// [`Metric::evaluate`](crate::metrics::Metric::evaluate), and a goal's
/// target or actual ([`objective::Target`](crate::objective::Target) is
/// this type).
///
/// # JSON form
///
/// Externally tagged by [`Unit`]: `{"ratio": "0.25"}`, `{"money":
/// {"amount": "50000.00", "currency": "USD"}}`, `{"count": 120}`,
/// `{"duration": "86400"}` (decimal seconds), `{"multiple": "3"}`,
/// `{"change": "-0.2"}`, `{"score": "42"}`, `{"decimal": "4.5"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Value {
    /// A proportion.
    Ratio(Ratio),
    /// A multiple.
    Multiple(Multiple),
    /// A signed change.
    Change(Change),
    /// An amount.
    Money(Money),
    /// A count.
    Count(u64),
    /// A duration (JSON: decimal seconds as a string).
    Duration(
        #[cfg_attr(
            feature = "serde",
            serde(with = "crate::quantity::serde_forms::seconds")
        )]
        #[cfg_attr(
            feature = "schemars",
            schemars(with = "crate::quantity::serde_forms::Seconds")
        )]
        TimeDelta,
    ),
    /// A score.
    Score(Nps),
    /// A number.
    Decimal(
        #[cfg_attr(
            feature = "serde",
            serde(deserialize_with = "crate::serde_util::decimal::deserialize")
        )]
        Decimal,
    ),
}

impl Value {
    /// The unit of this value.
    pub fn unit(&self) -> Unit {
        match self {
            Value::Ratio(_) => Unit::Ratio,
            Value::Multiple(_) => Unit::Multiple,
            Value::Change(_) => Unit::Change,
            Value::Money(_) => Unit::Money,
            Value::Count(_) => Unit::Count,
            Value::Duration(_) => Unit::Duration,
            Value::Score(_) => Unit::Score,
            Value::Decimal(_) => Unit::Decimal,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Ratio(v) => write!(f, "{v}"),
            Value::Multiple(v) => write!(f, "{v}"),
            Value::Change(v) => write!(f, "{v}"),
            Value::Money(v) => write!(f, "{v}"),
            Value::Count(v) => write!(f, "{v}"),
            Value::Duration(v) => write!(f, "{v}"),
            Value::Score(v) => write!(f, "{v}"),
            Value::Decimal(v) => write!(f, "{v}"),
        }
    }
}

impl Value {
    /// The value as one number in its unit: the ratio, multiple, change,
    /// score or decimal itself, the amount of money (without its
    /// currency), the count, or a duration in exact decimal seconds.
    ///
    /// ```
    /// use revops::metrics::Value;
    /// use revops::{dec, TimeDelta};
    /// assert_eq!(Value::Count(120).as_decimal(), dec!(120));
    /// assert_eq!(Value::Duration(TimeDelta::milliseconds(1500)).as_decimal(), dec!(1.5));
    /// ```
    pub fn as_decimal(&self) -> Decimal {
        match *self {
            Value::Ratio(r) => r.value(),
            Value::Multiple(m) => m.value(),
            Value::Change(c) => c.value(),
            Value::Money(m) => m.amount(),
            Value::Count(c) => Decimal::from(c),
            Value::Duration(d) => seconds_of(d),
            Value::Score(s) => s.value(),
            Value::Decimal(d) => d,
        }
    }
}
