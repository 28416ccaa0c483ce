//! [`Model`]: every attribution model, by name, with its parameters.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::markov;
use super::rules::{self, JourneyModel, Rule};
use crate::error::{Error, Result};
use crate::journey::{Channel, Journey};
use crate::quantity::Ratio;

/// An attribution model, by name.
///
/// | text (`FromStr`, `Display`) | model |
/// |---|---|
/// | `first_touch` (`first`) | all credit to the first touch |
/// | `last_touch` (`last`) | all credit to the last touch |
/// | `last_non_direct:NAME` | all credit to the last touch not on channel `NAME` |
/// | `linear` | equal credit per touch |
/// | `position_based` (`position`) | 40/20/40 |
/// | `position_based:F,L` | `F` to the first touch, `L` to the last, the rest shared |
/// | `custom:W1,W2,...` | a weight per position from the first touch; later touches get nothing |
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
/// assert_eq!("Position-Based".parse::<Model>()?, Model::position_based());
/// assert_eq!("position_based:0.3,0.3".parse::<Model>()?.to_string(), "position_based:0.3,0.3");
/// assert!("markov:9".parse::<Model>().is_err());
/// assert!("position_based:0.7,0.7".parse::<Model>().is_err());
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
    /// `first` to the first touch, `last` to the last, the rest shared by
    /// the touches between (40/20/40 by default: [`Model::position_based`]).
    /// A path of one touch gives it everything; of two, `first` and `last`
    /// (then normalized).
    PositionBased {
        /// The first touch's share.
        first: Ratio,
        /// The last touch's share.
        last: Ratio,
    },
    /// A weight per position from the first touch (then normalized per
    /// path); touches beyond the list get nothing, and a path whose
    /// touches all get nothing is skipped ([`SkipReason::NoWeight`](super::SkipReason::NoWeight)).
    Custom {
        /// The weights, not negative.
        weights: Vec<Decimal>,
    },
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
    /// Position-based with the usual 40/20/40.
    pub fn position_based() -> Model {
        Model::PositionBased {
            first: FORTY,
            last: FORTY,
        }
    }

    /// Position-based with the given shares.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if `first + last` exceeds 1 or both are 0.
    pub fn position_shares(first: Ratio, last: Ratio) -> Result<Model> {
        let sum = first.value().checked_add(last.value());
        if sum.map_or(true, |s| s > Decimal::ONE) || (first == Ratio::ZERO && last == Ratio::ZERO) {
            return Err(Error::invalid(
                "position-based attribution",
                "the first and last shares must add to at most 1 and not both be 0",
            ));
        }
        Ok(Model::PositionBased { first, last })
    }

    /// Custom weights per position.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for no weight or a negative one.
    pub fn custom(weights: Vec<Decimal>) -> Result<Model> {
        if weights.is_empty() || weights.iter().any(|w| w.is_sign_negative() && !w.is_zero()) {
            return Err(Error::invalid(
                "custom attribution",
                "give at least one weight, none negative",
            ));
        }
        Ok(Model::Custom { weights })
    }

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
            Model::PositionBased { first, last } if *first == FORTY && *last == FORTY => {
                f.write_str("position_based")
            }
            Model::PositionBased { first, last } => write!(
                f,
                "position_based:{},{}",
                first.value().normalize(),
                last.value().normalize()
            ),
            Model::Custom { weights } => {
                f.write_str("custom:")?;
                for (i, w) in weights.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}", w.normalize())?;
                }
                Ok(())
            }
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
            "position" | "position_based" => match arg {
                None => Ok(Model::position_based()),
                Some(a) => {
                    let shares = decimals(a).map_err(|e| bad(format!("position_based: {e}")))?;
                    let [first, last] = shares[..] else {
                        return Err(bad(
                            "position_based takes two shares: position_based:F,L".into()
                        ));
                    };
                    let share = |d| Ratio::new(d).map_err(|e| bad(format!("position_based: {e}")));
                    Model::position_shares(share(first)?, share(last)?)
                        .map_err(|e| bad(e.to_string()))
                }
            },
            "custom" => match arg {
                None => Err(bad("custom needs its weights: custom:W1,W2,...".into())),
                Some(a) => {
                    let w = decimals(a).map_err(|e| bad(format!("custom: {e}")))?;
                    Model::custom(w).map_err(|e| bad(e.to_string()))
                }
            },
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

/// 0.4, the default share of the first and the last touch.
const FORTY: Ratio = Ratio::FORTY_PERCENT;

/// Comma-separated decimals, as a model's arguments.
fn decimals(text: &str) -> std::result::Result<Vec<Decimal>, String> {
    text.split(',')
        .map(|x| {
            Decimal::from_str_exact(x.trim())
                .map_err(|_| format!("{:?} is not a decimal", x.trim()))
        })
        .collect()
}

impl Model {
    /// The model as a rule over positions or a journey model; `None` for
    /// the path-only models (Markov, Shapley).
    pub(crate) fn journey_model(&self) -> Result<Option<JourneyModel>> {
        Ok(Some(match self {
            Model::LastNonDirect { direct } => JourneyModel::LastNonDirect {
                direct: direct.clone(),
            },
            Model::TimeDecay { half_life } => JourneyModel::TimeDecay {
                half_life: *half_life,
            },
            Model::UShaped => JourneyModel::UShaped,
            Model::WShaped => JourneyModel::WShaped,
            Model::FullPath => JourneyModel::FullPath,
            Model::Markov { .. } | Model::Shapley | Model::ShapleyRate => return Ok(None),
            _ => match self.position_rule()? {
                Some(rule) => JourneyModel::Rule(rule),
                None => return Ok(None),
            },
        }))
    }

    /// The model as a rule over positions, for the models that need no
    /// channel name, time or milestone.
    pub(crate) fn position_rule(&self) -> Result<Option<Rule>> {
        let share = |r: &Ratio| {
            r.value().to_f64().ok_or_else(|| {
                Error::invalid("position-based attribution", "a share is not a number")
            })
        };
        Ok(Some(match self {
            Model::FirstTouch => Rule::FirstTouch,
            Model::LastTouch => Rule::LastTouch,
            Model::Linear => Rule::Linear,
            Model::PositionBased { first, last } => {
                Model::position_shares(*first, *last)?;
                Rule::PositionBased {
                    first: share(first)?,
                    last: share(last)?,
                }
            }
            Model::Custom { weights } => {
                Model::custom(weights.clone())?;
                Rule::Custom(
                    weights
                        .iter()
                        .map(|w| w.to_f64().unwrap_or(f64::NAN))
                        .collect(),
                )
            }
            _ => return Ok(None),
        }))
    }

    /// The weight of each touch of `journey` that lies within `lookback`
    /// of the conversion (every touch when `None`), as `(touch index,
    /// weight)`, before normalization. The conversion time is the
    /// journey's conversion, or its last touch.
    ///
    /// ```
    /// use revops::{TimeDelta, TimeZone, Utc};
    /// use revops::attribution::Model;
    /// use revops::journey::{Channel, Journey, Touchpoint, TouchpointKind as K};
    /// let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
    /// let j = Journey::new(vec![
    ///     Touchpoint::new(t(1), Channel::new("ads")?, K::Click),
    ///     Touchpoint::new(t(8), Channel::new("email")?, K::Click),
    /// ]);
    /// // Ages 7 and 0 days, half-life 7 days: weights 1/2 and 1.
    /// let decay: Model = "time_decay".parse()?;
    /// assert_eq!(decay.journey_weights(&j, None)?, vec![(0, 0.5), (1, 1.0)]);
    /// // A lookback of 3 days keeps the last touch only.
    /// assert_eq!(decay.journey_weights(&j, Some(TimeDelta::days(3)))?, vec![(1, 1.0)]);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for the models that weigh no single journey
    /// (Markov and Shapley work on the whole input), a non-positive
    /// half-life or invalid shares or weights.
    pub fn journey_weights(
        &self,
        journey: &Journey,
        lookback: Option<TimeDelta>,
    ) -> Result<Vec<(usize, f64)>> {
        match self.journey_model()? {
            Some(jm) => rules::journey_weights(journey, &jm, lookback),
            None => Err(Error::invalid(
                "attribution",
                format!("the {self} model weighs the whole input, not one journey"),
            )),
        }
    }
}
