//! [`Report`]: an attribution in the user's terms, channels by name, with
//! the model's own detail.

use rust_decimal::Decimal;

use super::markov::Transition;
use super::{Model, Skipped};
use crate::error::{Error, Result};
use crate::journey::Channel;
use crate::quantity::{Currency, Money};

/// One channel's credit, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChannelReport {
    /// The channel's name.
    pub channel: Channel,
    /// Credited conversions, exact to
    /// [`CONVERSION_SCALE`](super::CONVERSION_SCALE) decimals.
    pub conversions: Decimal,
    /// Credited value, exact: it carries the currency's minor unit, or the
    /// finer decimals of the input values when they have more (see
    /// [Exactness](super#exactness)).
    pub value: Money,
}

/// An attribution in the user's terms: every channel seen in a kept row
/// or journey (zero credit included), by name, sorted by name; credits add
/// back exactly.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Report {
    /// The model used.
    pub model: Model,
    /// The currency of every value.
    pub currency: Currency,
    /// The credits, sorted by channel name.
    pub channels: Vec<ChannelReport>,
    /// The sums of the credits: what the input's conversions and values
    /// add up to, exactly.
    pub totals: Totals,
    /// Rows or journeys left out, with the reason, by input index.
    pub skipped: Vec<Skipped>,
    /// What the model computed besides the credits (the Markov chain's
    /// removal effects, say); absent for the rule models.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub detail: Option<Detail>,
}

/// The sums of a [`Report`]'s credits, exact; a sum that does not fit a
/// `Decimal` is `None` ([`Report::total_conversions`] and
/// [`Report::total_value`] give the reason).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Totals {
    /// The credited conversions.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::option::deserialize")
    )]
    pub conversions: Option<Decimal>,
    /// The credited value.
    pub value: Option<Money>,
}

/// A model's own figures, besides the credits.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub enum Detail {
    /// The fitted Markov chain.
    Markov(MarkovDetail),
    /// The conversion-rate Shapley values before scaling.
    ShapleyRate(ShapleyDetail),
}

/// The conversion-rate Shapley values of a [`Model::ShapleyRate`] report,
/// before they are scaled to the observed conversions.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ShapleyDetail {
    /// Each channel's value `φ`, sorted by channel name: its average
    /// marginal contribution to the conversion rate; they add up to the
    /// conversion rate of the whole input.
    pub values: Vec<ShapleyValue>,
    /// Whether the values were sampled (more than
    /// [`EXACT_LIMIT`](super::shapley::EXACT_LIMIT) channels) rather than
    /// exact.
    pub sampled: bool,
}

/// One channel's conversion-rate Shapley value.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ShapleyValue {
    /// The channel.
    pub channel: Channel,
    /// Its value `φ` (can be negative).
    pub value: f64,
}

/// The fitted Markov chain of a [`Model::Markov`] report.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MarkovDetail {
    /// Each channel's removal effects, sorted by channel name.
    pub removal_effects: Vec<RemovalEffect>,
    /// The probability of converting from `(start)`.
    pub conversion_probability: f64,
    /// The number of transient states (start, conversion and null not
    /// counted).
    pub states: usize,
    /// Gauss–Seidel sweeps used by the slowest solve: 0 when every
    /// component of the chain was solved exactly by elimination (see
    /// [`markov`](super::markov)).
    pub sweeps: usize,
    /// The fitted transition matrix, one entry per observed transition,
    /// when asked for ([`Options::with_transitions`](super::Options::with_transitions)):
    /// it names every state, so it can be large.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub transitions: Option<Vec<Transition>>,
}

/// A channel's removal effects.
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RemovalEffect {
    /// The channel.
    pub channel: Channel,
    /// Share of the conversion probability lost without the channel.
    pub conversions: f64,
    /// Share of the expected converted value lost without the channel.
    pub value: f64,
}

impl Report {
    /// The credit of the channel named `name`.
    pub fn credit(&self, name: &str) -> Option<&ChannelReport> {
        self.channels.iter().find(|c| c.channel.as_str() == name)
    }

    /// The fitted Markov chain, for a Markov model.
    pub fn markov(&self) -> Option<&MarkovDetail> {
        match &self.detail {
            Some(Detail::Markov(m)) => Some(m),
            _ => None,
        }
    }

    /// The unscaled Shapley values, for the conversion-rate Shapley model.
    pub fn shapley_rate(&self) -> Option<&ShapleyDetail> {
        match &self.detail {
            Some(Detail::ShapleyRate(s)) => Some(s),
            _ => None,
        }
    }

    /// The sum of credited value, exact.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the sum does not fit a `Decimal`;
    /// [`Error::CurrencyMismatch`] if a credit is not in
    /// [`currency`](Report::currency) (possible only for a report built or
    /// deserialized by hand).
    pub fn total_value(&self) -> Result<Money> {
        Money::checked_sum(self.channels.iter().map(|c| c.value), self.currency)
    }

    /// The sum of credited conversions, exact.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the sum does not fit a `Decimal` (only
    /// conversions adding up past about 7.9 × 10^22 can cause it).
    pub fn total_conversions(&self) -> Result<Decimal> {
        self.channels.iter().try_fold(Decimal::ZERO, |a, c| {
            a.checked_add(c.conversions)
                .ok_or_else(|| Error::overflow("attribution: total conversions"))
        })
    }
}
