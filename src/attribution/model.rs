//! One entry point for every model, in the user's terms: [`Model`] names
//! the model (and parses from text), [`attribute`] takes journeys or path
//! rows, and the [`Report`] names channels by name.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;
use rust_decimal::Decimal;

use super::rules::{self, JourneyModel, Rule};
use super::{markov, shapley, Attribution, PathRow, Skipped};
use crate::error::{Error, Result};
use crate::journey::{Channel, ChannelId, Channels, Journey};
use crate::quantity::{Currency, Money};

/// An attribution model, by name.
///
/// | text (`FromStr`, `Display`) | model |
/// |---|---|
/// | `first_touch` (`first`) | all credit to the first touch |
/// | `last_touch` (`last`) | all credit to the last touch |
/// | `last_non_direct:NAME` | all credit to the last touch not on channel `NAME` |
/// | `linear` | equal credit per touch |
/// | `position_based` (`position`) | 40/20/40 |
/// | `time_decay` (`time_decay:SECONDS`) | half-life 7 days (or the given seconds); journeys only |
/// | `u_shaped`, `w_shaped`, `full_path` | milestone models; journeys only |
/// | `markov` (`markov:K`, K = 1 to 4) | Markov removal effects of order K (1 by default) |
/// | `shapley` | the simplified Shapley value |
/// | `shapley_rate` | the conversion-rate Shapley value |
///
/// Names are read case-insensitively, with `-` or a space for `_`.
///
/// ```
/// use revops::attribution::Model;
/// let m: Model = "markov:2".parse()?;
/// assert_eq!(m, Model::Markov { order: 2 });
/// assert_eq!(m.to_string(), "markov:2");
/// assert_eq!("Position-Based".parse::<Model>()?, Model::PositionBased);
/// assert!("markov:9".parse::<Model>().is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
#[non_exhaustive]
pub enum Model {
    /// All credit to the first touch.
    FirstTouch,
    /// All credit to the last touch.
    LastTouch,
    /// All credit to the last touch not on `direct`.
    LastNonDirect {
        /// The channel to skip ("direct").
        direct: Channel,
    },
    /// Equal credit per touch.
    Linear,
    /// 40% first, 40% last, 20% shared by the touches between.
    PositionBased,
    /// `2^(-age / half_life)` per touch (journeys only).
    TimeDecay {
        /// The half-life.
        half_life: TimeDelta,
    },
    /// First touch and lead creation 40% each, the rest 20% (journeys only).
    UShaped,
    /// First touch, lead and opportunity creation 30% each, the rest 10%
    /// (journeys only).
    WShaped,
    /// First touch, lead, opportunity and closed-won 22.5% each, the rest
    /// 10% (journeys only).
    FullPath,
    /// Markov removal effects of order `order` (1 to
    /// [`MAX_ORDER`](markov::MAX_ORDER)).
    Markov {
        /// The order.
        order: usize,
    },
    /// The simplified Shapley value.
    Shapley,
    /// The conversion-rate Shapley value.
    ShapleyRate,
}

impl Model {
    /// Whether the model needs the touches' times or milestones, so works
    /// on journeys only.
    pub fn needs_journeys(&self) -> bool {
        matches!(
            self,
            Model::TimeDecay { .. } | Model::UShaped | Model::WShaped | Model::FullPath
        )
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Model::FirstTouch => f.write_str("first_touch"),
            Model::LastTouch => f.write_str("last_touch"),
            Model::LastNonDirect { direct } => write!(f, "last_non_direct:{direct}"),
            Model::Linear => f.write_str("linear"),
            Model::PositionBased => f.write_str("position_based"),
            Model::TimeDecay { half_life } if *half_life == TimeDelta::days(7) => {
                f.write_str("time_decay")
            }
            Model::TimeDecay { half_life } => write!(f, "time_decay:{}", half_life.num_seconds()),
            Model::UShaped => f.write_str("u_shaped"),
            Model::WShaped => f.write_str("w_shaped"),
            Model::FullPath => f.write_str("full_path"),
            Model::Markov { order } => write!(f, "markov:{order}"),
            Model::Shapley => f.write_str("shapley"),
            Model::ShapleyRate => f.write_str("shapley_rate"),
        }
    }
}

impl FromStr for Model {
    type Err = Error;

    fn from_str(text: &str) -> Result<Model> {
        let bad = |why: String| Error::invalid("attribution model", why);
        let (name, arg) = match text.split_once(':') {
            Some((n, a)) => (n, Some(a.trim())),
            None => (text, None),
        };
        let name = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let no_arg = |m: Model| match arg {
            None => Ok(m),
            Some(_) => Err(bad(format!("{name} takes no argument"))),
        };
        match name.as_str() {
            "first" | "first_touch" => no_arg(Model::FirstTouch),
            "last" | "last_touch" => no_arg(Model::LastTouch),
            "linear" => no_arg(Model::Linear),
            "position" | "position_based" => no_arg(Model::PositionBased),
            "u_shaped" => no_arg(Model::UShaped),
            "w_shaped" => no_arg(Model::WShaped),
            "full_path" => no_arg(Model::FullPath),
            "shapley" => no_arg(Model::Shapley),
            "shapley_rate" => no_arg(Model::ShapleyRate),
            "last_non_direct" => match arg {
                Some(direct) => Ok(Model::LastNonDirect {
                    direct: Channel::new(direct)?,
                }),
                None => Err(bad(
                    "last_non_direct needs the direct channel: last_non_direct:NAME".into(),
                )),
            },
            "time_decay" => match arg {
                None => Ok(Model::TimeDecay {
                    half_life: TimeDelta::days(7),
                }),
                Some(s) => {
                    let secs: i64 = s
                        .parse()
                        .map_err(|_| bad(format!("the half-life {s:?} is not whole seconds")))?;
                    match TimeDelta::try_seconds(secs) {
                        Some(h) if secs > 0 => Ok(Model::TimeDecay { half_life: h }),
                        _ => Err(bad(
                            "the half-life must be a positive number of seconds".into()
                        )),
                    }
                }
            },
            "markov" => {
                let order = match arg {
                    None => 1,
                    Some(s) => s
                        .parse()
                        .map_err(|_| bad(format!("the order {s:?} is not a number")))?,
                };
                if (1..=markov::MAX_ORDER).contains(&order) {
                    Ok(Model::Markov { order })
                } else {
                    Err(bad(format!(
                        "the Markov order must be 1 to {}, not {order}",
                        markov::MAX_ORDER
                    )))
                }
            }
            _ => Err(bad(format!("unknown model {text:?}"))),
        }
    }
}

impl TryFrom<String> for Model {
    type Error = Error;
    fn try_from(s: String) -> Result<Model> {
        s.parse()
    }
}

impl From<Model> for String {
    fn from(m: Model) -> String {
        m.to_string()
    }
}

/// What to attribute: journeys (touches with times and milestones) or
/// compact path rows with their channel registry.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// One journey per prospect; a converted journey is one conversion
    /// worth its conversion value, an unconverted one a null.
    Journeys(&'a [Journey]),
    /// ChannelAttribution's layout: paths of interned channels, with the
    /// registry that names them.
    Paths {
        /// The rows.
        rows: &'a [PathRow],
        /// The registry of the rows' channel ids.
        channels: &'a Channels,
    },
}

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
    /// Credited value, exact.
    pub value: Money,
}

/// An attribution in the user's terms: every channel seen in a kept row or
/// journey, by name, sorted by name; credits add back exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl Report {
    /// The credit of the channel named `name`.
    pub fn credit(&self, name: &str) -> Option<&ChannelReport> {
        self.channels.iter().find(|c| c.channel.as_str() == name)
    }

    /// The sum of credited value, exact.
    ///
    /// # Errors
    ///
    /// As [`Attribution::total_value`].
    pub fn total_value(&self) -> Result<Money> {
        Money::checked_sum(self.channels.iter().map(|c| c.value), self.currency)
    }

    /// The sum of credited conversions, exact.
    ///
    /// # Errors
    ///
    /// As [`Attribution::total_conversions`].
    pub fn total_conversions(&self) -> Result<Decimal> {
        self.channels.iter().try_fold(Decimal::ZERO, |a, c| {
            a.checked_add(c.conversions)
                .ok_or_else(|| Error::overflow("attribution: total conversions"))
        })
    }
}

/// Attributes `input` with `model`, in `currency`: the one entry point for
/// every model and both kinds of input.
///
/// Journeys go to the journey models directly; for the path models
/// (Markov, Shapley) each journey becomes one path row (its touches'
/// channels, one conversion worth its value if it converted, else one
/// null). Path rows cannot carry times or milestones, so the journey-only
/// models ([`Model::needs_journeys`]) refuse them.
///
/// ```
/// use revops::attribution::{attribute, Input, Model};
/// use revops::journey::{Channel, Conversion, Journey, Touchpoint, TouchpointKind as K};
/// use revops::{dec, Currency, Money, TimeZone, Utc};
/// let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
/// let touch = |d, name: &str| Touchpoint::new(t(d), Channel::new(name).unwrap(), K::Click);
/// let journeys = [
///     Journey::new(vec![touch(1, "search"), touch(3, "email")])
///         .with_conversion(Conversion { at: t(4), value: Money::new(dec!(90), Currency::EUR) })?,
///     Journey::new(vec![touch(2, "display")]),
/// ];
/// let r = attribute(Input::Journeys(&journeys), &"linear".parse()?, Currency::EUR)?;
/// assert_eq!(r.credit("email").unwrap().value, Money::new(dec!(45), Currency::EUR));
/// assert_eq!(r.credit("display").unwrap().conversions, dec!(0));
/// let m = attribute(Input::Journeys(&journeys), &Model::Markov { order: 1 }, Currency::EUR)?;
/// assert_eq!(m.total_value()?, Money::new(dec!(90), Currency::EUR));
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for a journey-only model on path rows, or a
/// path row whose channel id is not in the registry; otherwise as the
/// model's own function.
pub fn attribute(input: Input<'_>, model: &Model, currency: Currency) -> Result<Report> {
    match input {
        Input::Journeys(journeys) => {
            let mut channels = Channels::new();
            let a = match journey_model(model) {
                Some(jm) => {
                    rules::attribute_journeys(journeys, &jm, None, &mut channels, currency)?
                }
                None => {
                    let rows = journeys_to_rows(journeys, &mut channels, currency)?;
                    by_paths(&rows, model, currency)?
                }
            };
            named(a, &channels, model.clone())
        }
        Input::Paths { rows, channels } => {
            if model.needs_journeys() {
                return Err(Error::invalid(
                    "attribution",
                    format!(
                        "the {model} model needs journeys (times and milestones), not path rows"
                    ),
                ));
            }
            let a = match model {
                Model::LastNonDirect { direct } => {
                    // No row touches the direct channel: plain last touch.
                    let rule = match channels.get(direct.as_str()) {
                        Some(id) => Rule::LastNonDirect { direct: id },
                        None => Rule::LastTouch,
                    };
                    rules::attribute(rows, rule, currency)?
                }
                _ => by_paths(rows, model, currency)?,
            };
            named(a, channels, model.clone())
        }
    }
}

fn journey_model(model: &Model) -> Option<JourneyModel> {
    Some(match model {
        Model::FirstTouch => JourneyModel::Rule(Rule::FirstTouch),
        Model::LastTouch => JourneyModel::Rule(Rule::LastTouch),
        Model::Linear => JourneyModel::Rule(Rule::Linear),
        Model::PositionBased => JourneyModel::Rule(Rule::POSITION_BASED),
        Model::LastNonDirect { direct } => JourneyModel::LastNonDirect {
            direct: direct.clone(),
        },
        Model::TimeDecay { half_life } => JourneyModel::TimeDecay {
            half_life: *half_life,
        },
        Model::UShaped => JourneyModel::UShaped,
        Model::WShaped => JourneyModel::WShaped,
        Model::FullPath => JourneyModel::FullPath,
        Model::Markov { .. } | Model::Shapley | Model::ShapleyRate => return None,
    })
}

/// The path models and the position rules on path rows.
fn by_paths(rows: &[PathRow], model: &Model, currency: Currency) -> Result<Attribution> {
    match model {
        Model::FirstTouch => rules::attribute(rows, Rule::FirstTouch, currency),
        Model::LastTouch => rules::attribute(rows, Rule::LastTouch, currency),
        Model::Linear => rules::attribute(rows, Rule::Linear, currency),
        Model::PositionBased => rules::attribute(rows, Rule::POSITION_BASED, currency),
        Model::Markov { order } => markov::markov(rows, *order, currency).map(|m| m.attribution),
        Model::Shapley => shapley::simplified(rows, currency),
        Model::ShapleyRate => shapley::conversion_rate(rows, currency),
        _ => Err(Error::invalid(
            "attribution",
            format!("the {model} model needs journeys"),
        )),
    }
}

/// One path row per journey.
fn journeys_to_rows(
    journeys: &[Journey],
    channels: &mut Channels,
    currency: Currency,
) -> Result<Vec<PathRow>> {
    journeys
        .iter()
        .map(|j| {
            let path = j
                .touches()
                .iter()
                .map(|t| channels.intern(&t.channel))
                .collect::<Result<Vec<ChannelId>>>()?;
            Ok(match j.conversion() {
                Some(c) => PathRow::new(path, 1, c.value, 0),
                None => PathRow::new(path, 0, Money::zero(currency), 1),
            })
        })
        .collect()
}

fn named(a: Attribution, channels: &Channels, model: Model) -> Result<Report> {
    let totals = Totals {
        conversions: a.total_conversions().ok().map(|d| d.normalize()),
        value: a.total_value().ok(),
    };
    let mut out = Vec::with_capacity(a.channels.len());
    for c in a.channels {
        let channel = channels.channel(c.channel).cloned().ok_or_else(|| {
            Error::invalid(
                "attribution",
                format!("channel id {} is not in the registry", c.channel.0),
            )
        })?;
        out.push(ChannelReport {
            channel,
            conversions: c.conversions,
            value: c.value,
        });
    }
    out.sort_by(|x, y| x.channel.cmp(&y.channel));
    Ok(Report {
        model,
        currency: a.currency,
        channels: out,
        totals,
        skipped: a.skipped,
    })
}
