//! [`attribute`]: the one entry point, for every model and both kinds of
//! input.

use chrono::TimeDelta;

use super::report::{
    ChannelReport, Detail, MarkovDetail, RemovalEffect, Report, ShapleyDetail, ShapleyValue, Totals,
};
use super::rules::{self, Rule};
use super::{markov, shapley, Attribution, Model, PathRow, SkipReason};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels, Journey};
use crate::quantity::{Currency, Money};

/// What to attribute: journeys (touches with times and milestones) or
/// compact path rows with their channel registry.
#[derive(Clone, Copy, Debug)]
pub enum Records<'a> {
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

/// How to attribute: the currency of the report, and the choices every
/// model shares. A [`Currency`] alone converts into the default options.
///
/// ```
/// use revops::attribution::Options;
/// use revops::{Currency, TimeDelta};
/// let o = Options::new(Currency::EUR).lookback(TimeDelta::days(30)).with_transitions();
/// assert_eq!(o.currency, Currency::EUR);
/// assert_eq!(Options::from(Currency::USD), Options::new(Currency::USD));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The currency of every value; input values in another currency skip
    /// their row ([`SkipReason::CurrencyMismatch`]).
    pub currency: Currency,
    /// Journeys only: touches earlier than this before the conversion (or
    /// the journey's last touch) are left out, in every model; a journey
    /// with no touch left is skipped ([`SkipReason::OutsideLookback`]).
    pub lookback: Option<TimeDelta>,
    /// Markov models: list the fitted transition matrix in the report's
    /// [`MarkovDetail::transitions`].
    pub transitions: bool,
}

impl Options {
    /// The default options in `currency`: no lookback, no transition
    /// matrix.
    pub fn new(currency: Currency) -> Options {
        Options {
            currency,
            lookback: None,
            transitions: false,
        }
    }

    /// Leaves out touches more than `window` before the conversion.
    pub fn lookback(mut self, window: TimeDelta) -> Options {
        self.lookback = Some(window);
        self
    }

    /// Lists the Markov chain's transition matrix in the report.
    pub fn with_transitions(mut self) -> Options {
        self.transitions = true;
        self
    }
}

impl From<Currency> for Options {
    fn from(currency: Currency) -> Options {
        Options::new(currency)
    }
}

/// Attributes `input` with `model`: the one entry point for every model
/// and both kinds of input. `options` is an [`Options`] or just the
/// report's [`Currency`].
///
/// Journeys go to the journey models directly; for the path models
/// (Markov, Shapley) each journey becomes one path row (its touches'
/// channels, one conversion worth its value if it converted, else one
/// null). Path rows cannot carry times or milestones, so the journey-only
/// models ([`Model::needs_journeys`]) and a lookback refuse them.
///
/// ```
/// use revops::attribution::{attribute, Records, Model};
/// use revops::journey::{Channel, Conversion, Journey, Touchpoint, TouchpointKind as K};
/// use revops::{dec, Currency, Money, TimeZone, Utc};
/// let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
/// let touch = |d, name: &str| Touchpoint::new(t(d), Channel::new(name).unwrap(), K::Click);
/// let journeys = [
///     Journey::new(vec![touch(1, "search"), touch(3, "email")])
///         .with_conversion(Conversion { at: t(4), value: Money::new(dec!(90), Currency::EUR) })?,
///     Journey::new(vec![touch(2, "display")]),
/// ];
/// let r = attribute(Records::Journeys(&journeys), &"linear".parse()?, Currency::EUR)?;
/// assert_eq!(r.credit("email").unwrap().value, Money::new(dec!(45), Currency::EUR));
/// assert_eq!(r.credit("display").unwrap().conversions, dec!(0));
/// let m = attribute(Records::Journeys(&journeys), &Model::Markov { order: 1 }, Currency::EUR)?;
/// assert_eq!(m.total_value()?, Money::new(dec!(90), Currency::EUR));
/// // Without search, no journey converts; without display, nothing changes.
/// let effects = &m.markov().unwrap().removal_effects;
/// assert_eq!((effects[1].channel.as_str(), effects[1].conversions), ("email", 1.0));
/// assert_eq!((effects[0].channel.as_str(), effects[0].conversions), ("display", 0.0));
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for a journey-only model or a lookback on path
/// rows, a negative lookback, invalid model parameters, a path row whose
/// channel id is not in the registry; [`Error::NoMinorUnit`] for a
/// currency without minor unit; [`Error::NotConverged`] if a Markov chain
/// cannot be solved.
pub fn attribute(input: Records<'_>, model: &Model, options: impl Into<Options>) -> Result<Report> {
    let options = options.into();
    let currency = options.currency;
    if options.lookback.is_some_and(|l| l < TimeDelta::zero()) {
        return Err(Error::invalid(
            "attribution",
            "the lookback window must not be negative",
        ));
    }
    match input {
        Records::Journeys(journeys) => {
            let mut channels = Channels::new();
            let (a, detail) = match model.journey_model()? {
                Some(jm) => (
                    rules::attribute_journeys(
                        journeys,
                        &jm,
                        options.lookback,
                        &mut channels,
                        currency,
                    )?,
                    None,
                ),
                None => {
                    let (rows, emptied) =
                        journeys_to_rows(journeys, options.lookback, &mut channels, currency)?;
                    let (mut a, detail) = by_paths(&rows, &channels, model, &options)?;
                    for s in &mut a.skipped {
                        if emptied.binary_search(&s.row).is_ok() {
                            s.reason = SkipReason::OutsideLookback;
                        }
                    }
                    (a, detail)
                }
            };
            named(a, &channels, model.clone(), detail)
        }
        Records::Paths { rows, channels } => {
            if model.needs_journeys() {
                return Err(Error::invalid(
                    "attribution",
                    format!(
                        "the {model} model needs journeys (times and milestones), not path rows"
                    ),
                ));
            }
            if options.lookback.is_some() {
                return Err(Error::invalid(
                    "attribution",
                    "a lookback window needs journeys (times), not path rows",
                ));
            }
            let (a, detail) = match model {
                Model::LastNonDirect { direct } => {
                    // No row touches the direct channel: plain last touch.
                    let rule = match channels.get(direct.as_str()) {
                        Some(id) => Rule::LastNonDirect { direct: id },
                        None => Rule::LastTouch,
                    };
                    (rules::attribute(rows, &rule, currency)?, None)
                }
                _ => by_paths(rows, channels, model, &options)?,
            };
            named(a, channels, model.clone(), detail)
        }
    }
}

/// The path models and the position rules on path rows.
fn by_paths(
    rows: &[PathRow],
    channels: &Channels,
    model: &Model,
    options: &Options,
) -> Result<(Attribution, Option<Detail>)> {
    let currency = options.currency;
    if let Some(rule) = model.position_rule()? {
        return Ok((rules::attribute(rows, &rule, currency)?, None));
    }
    match model {
        Model::Markov { order } => {
            let m = markov::markov(rows, *order, currency)?;
            let mut removal_effects = m
                .removal_effects
                .iter()
                .map(|e| {
                    Ok(RemovalEffect {
                        channel: channel_named(channels, e.channel)?,
                        conversions: e.conversions,
                        value: e.value,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            removal_effects.sort_by(|x, y| x.channel.cmp(&y.channel));
            let transitions = if options.transitions {
                Some(markov::transitions(rows, *order, channels)?)
            } else {
                None
            };
            let detail = MarkovDetail {
                removal_effects,
                conversion_probability: m.conversion_probability,
                states: m.states,
                sweeps: m.sweeps,
                transitions,
            };
            Ok((m.attribution, Some(Detail::Markov(detail))))
        }
        Model::Shapley => Ok((shapley::simplified(rows, currency)?, None)),
        Model::ShapleyRate => {
            let (a, phi) = shapley::conversion_rate(rows, currency)?;
            let mut values = phi
                .iter()
                .map(|&(id, value)| {
                    Ok(ShapleyValue {
                        channel: channel_named(channels, id)?,
                        value,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            values.sort_by(|x, y| x.channel.cmp(&y.channel));
            let sampled = values.len() > shapley::EXACT_LIMIT;
            Ok((
                a,
                Some(Detail::ShapleyRate(ShapleyDetail { values, sampled })),
            ))
        }
        _ => Err(Error::invalid(
            "attribution",
            format!("the {model} model needs journeys"),
        )),
    }
}

/// One path row per journey, its touches inside the lookback; and the
/// journeys (by index, ascending) that had touches but none inside it.
fn journeys_to_rows(
    journeys: &[Journey],
    lookback: Option<TimeDelta>,
    channels: &mut Channels,
    currency: Currency,
) -> Result<(Vec<PathRow>, Vec<usize>)> {
    let mut emptied = Vec::new();
    let mut rows = Vec::with_capacity(journeys.len());
    for (i, j) in journeys.iter().enumerate() {
        let touches = j.touches();
        let end = match (j.conversion(), touches.last()) {
            (Some(c), _) => Some(c.at),
            (None, Some(t)) => Some(t.at),
            (None, None) => None,
        };
        let mut path = Vec::with_capacity(touches.len());
        for t in touches {
            let inside = match (lookback, end) {
                (Some(lb), Some(end)) => end - t.at <= lb,
                _ => true,
            };
            if inside {
                path.push(channels.intern(&t.channel)?);
            }
        }
        if path.is_empty() && !touches.is_empty() {
            emptied.push(i);
        }
        rows.push(match j.conversion() {
            Some(c) => PathRow::new(path, 1, c.value, 0),
            None => PathRow::new(path, 0, Money::zero(currency), 1),
        });
    }
    Ok((rows, emptied))
}

fn channel_named(channels: &Channels, id: ChannelId) -> Result<crate::journey::Channel> {
    channels.channel(id).cloned().ok_or_else(|| {
        Error::invalid(
            "attribution",
            format!("channel id {} is not in the registry", id.0),
        )
    })
}

fn named(
    a: Attribution,
    channels: &Channels,
    model: Model,
    detail: Option<Detail>,
) -> Result<Report> {
    let totals = Totals {
        conversions: a.total_conversions().ok().map(|d| d.normalize()),
        value: a.total_value().ok(),
    };
    let mut out = Vec::with_capacity(a.channels.len());
    for c in a.channels {
        out.push(ChannelReport {
            channel: channel_named(channels, c.channel)?,
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
        detail,
    })
}
