//! Rule-based attribution: fixed rules that give each touch of a journey a
//! share of the credit.
//!
//! | rule | weights over the touches of one journey |
//! |---|---|
//! | first touch | all to the first touch |
//! | last touch | all to the last touch |
//! | last non-direct | all to the last touch not on the named "direct" channel (the last touch if all are direct) |
//! | linear | equal per touch (a channel touched twice gets two shares) |
//! | time decay | `2^(-age / half_life)`, age measured back from the conversion (7 days by default) |
//! | position-based | 40% first, 40% last, 20% shared by the touches between; one touch: 100%; two touches: first and last shares in proportion (50/50 by default) |
//! | U-shaped | position-based on the first touch and the lead-creation touch (milestone), 40/40, the rest 20% |
//! | W-shaped | 30% each to the first touch, the lead-creation and the opportunity-creation touches, 10% shared by the others |
//! | full path | 22.5% each to first touch, lead creation, opportunity creation and closed-won, 10% shared by the others |
//! | custom | a weight per position, from the first touch |
//!
//! For the milestone rules, a milestone the journey does not mark is left
//! out and the marked touches keep their own shares; when one touch marks
//! several milestones its shares add up; when no other touch remains, the
//! marked touches share everything in proportion to their shares.
//!
//! The first, last and linear rules match ChannelAttribution's
//! `heuristic_models` on the compact form (first and last channel of the
//! path; linear `1/path length` per touch).
//!
//! A lookback window (as Google Analytics has) drops touches older than the
//! window before the conversion; a journey with no touch left is reported
//! in [`Report::skipped`](super::Report::skipped) and credited to no one.

use chrono::TimeDelta;

use super::{float_weights, Attribution, Ledger, PathRow, SkipReason};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels, Journey, Milestone};

use crate::quantity::Currency;

/// A rule for the compact form (paths without timestamps).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Rule {
    /// All credit to the first touch.
    FirstTouch,
    /// All credit to the last touch.
    LastTouch,
    /// All credit to the last touch not on `direct`.
    LastNonDirect {
        /// The channel to skip.
        direct: ChannelId,
    },
    /// Equal credit per touch.
    Linear,
    /// `first` to the first touch, `last` to the last, the rest shared.
    PositionBased {
        /// The first touch's share (0.4 by default).
        first: f64,
        /// The last touch's share (0.4 by default).
        last: f64,
    },
    /// A weight per position, from the first touch; positions beyond the
    /// list get nothing.
    Custom(Vec<f64>),
}

/// A model for journeys (touches with times and milestones).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JourneyModel {
    /// Any compact rule, applied to the journey's channels in order.
    Rule(Rule),
    /// `2^(-age / half_life)` per touch.
    TimeDecay {
        /// The half-life (7 days by default), in seconds in JSON.
        half_life: TimeDelta,
    },
    /// First touch and lead creation, 40/40, the rest 20%.
    UShaped,
    /// First touch, lead and opportunity creation 30% each, the rest 10%.
    WShaped,
    /// All credit to the last touch not on the channel named `direct`.
    LastNonDirect {
        /// The channel to skip ("direct").
        direct: crate::journey::Channel,
    },
    /// First touch, lead, opportunity and closed-won 22.5% each, the rest 10%.
    FullPath,
}

/// The weights of a compact rule over a path (one per touch).
fn rule_weights(rule: &Rule, path: &[ChannelId]) -> Result<Vec<f64>> {
    let n = path.len();
    let mut w = vec![0.0; n];
    if n == 0 {
        return Ok(w);
    }
    match rule {
        Rule::FirstTouch => w[0] = 1.0,
        Rule::LastTouch => w[n - 1] = 1.0,
        Rule::LastNonDirect { direct } => {
            let i = path.iter().rposition(|c| c != direct).unwrap_or(n - 1);
            w[i] = 1.0;
        }
        Rule::Linear => w.fill(1.0),
        Rule::PositionBased { first, last } => {
            let (f, l) = (*first, *last);
            if !(f >= 0.0 && l >= 0.0 && f + l <= 1.0 && f + l > 0.0) {
                return Err(Error::invalid(
                    "position-based attribution",
                    "the first and last shares must be non-negative, add to at most 1 and not both be 0",
                ));
            }
            match n {
                1 => w[0] = 1.0,
                2 => {
                    w[0] = f;
                    w[1] = l;
                }
                _ => {
                    w[0] = f;
                    w[n - 1] = l;
                    let mid = (1.0 - f - l) / (n - 2) as f64;
                    for x in &mut w[1..n - 1] {
                        *x = mid;
                    }
                }
            }
        }
        Rule::Custom(weights) => {
            if weights.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                return Err(Error::InvalidWeights {
                    reason: "custom weights must be finite and non-negative".into(),
                });
            }
            for (x, y) in w.iter_mut().zip(weights) {
                *x = *y;
            }
        }
    }
    Ok(w)
}

/// Attributes compact rows with a rule. Each row's conversions and value
/// are split over its touches by the rule's weights, exactly.
///
/// Rows are admitted by the crate-wide rule (see [`SkipReason`]): an
/// empty path, a value without conversions, a value in another currency or
/// too large to hold exactly skips the row, listed in
/// [`Attribution::skipped`]; so does a row whose weights are all zero (a
/// custom rule shorter than the path, for instance). Kept rows without
/// conversions only mark their channels as seen.
///
/// # Errors
///
/// [`Error::InvalidInput`] for invalid rule parameters;
/// [`Error::NoMinorUnit`] for a currency without minor unit.
pub(crate) fn attribute(rows: &[PathRow], rule: &Rule, currency: Currency) -> Result<Attribution> {
    let mut ledger = Ledger::new(currency)?;
    // Integer weights for the exact rules: no float at all.
    let integer = matches!(
        rule,
        Rule::FirstTouch | Rule::LastTouch | Rule::LastNonDirect { .. } | Rule::Linear
    );
    let mut iw: Vec<u64> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let Some(value) = ledger.admit(r, row) else {
            continue;
        };
        if row.conversions == 0 {
            continue; // nothing to credit; the channels are seen
        }
        let w = rule_weights(rule, &row.path)?;
        iw.clear();
        if integer {
            iw.extend(w.iter().map(|&x| x as u64));
        } else {
            iw.extend(float_weights(&w));
        }
        if iw.iter().all(|&x| x == 0) {
            ledger.skip(r, SkipReason::NoWeight);
            continue;
        }
        ledger.book(&row.path, &iw, row.conversions, value)?;
    }
    ledger.finish()
}

/// The weights of a journey model over the touches of `journey` that are
/// within `lookback` of the conversion (all touches when `None`), as
/// `(touch index, weight)`. The conversion time is the journey's
/// conversion, or its last touch.
///
/// # Errors
///
/// [`Error::InvalidInput`] for a non-positive half-life or invalid rule
/// parameters.
pub(crate) fn journey_weights(
    journey: &Journey,
    model: &JourneyModel,
    lookback: Option<TimeDelta>,
) -> Result<Vec<(usize, f64)>> {
    let touches = journey.touches();
    let Some(last) = touches.last() else {
        return Ok(Vec::new());
    };
    let end = journey.conversion().map_or(last.at, |c| c.at);
    let kept: Vec<usize> = (0..touches.len())
        .filter(|&i| lookback.map_or(true, |lb| end - touches[i].at <= lb))
        .collect();
    if kept.is_empty() {
        return Ok(Vec::new());
    }
    let weights: Vec<f64> = match model {
        JourneyModel::Rule(Rule::LastNonDirect { .. }) => {
            return Err(Error::invalid(
                "attribution",
                "for journeys, name the direct channel with JourneyModel::LastNonDirect",
            ))
        }
        JourneyModel::Rule(rule) => {
            // The position rules only look at positions, not channel ids.
            let path = vec![ChannelId(0); kept.len()];
            rule_weights(rule, &path)?
        }
        JourneyModel::LastNonDirect { direct } => {
            let last = kept
                .iter()
                .rposition(|&i| touches[i].channel != *direct)
                .unwrap_or(kept.len() - 1);
            let mut w = vec![0.0; kept.len()];
            w[last] = 1.0;
            w
        }
        JourneyModel::TimeDecay { half_life } => {
            if *half_life <= TimeDelta::zero() {
                return Err(Error::invalid(
                    "time decay",
                    "the half-life must be positive",
                ));
            }
            let h = half_life.num_milliseconds() as f64;
            kept.iter()
                .map(|&i| {
                    let age = (end - touches[i].at).num_milliseconds().max(0) as f64;
                    (-age / h).exp2()
                })
                .collect()
        }
        JourneyModel::UShaped => marked(
            journey,
            &kept,
            &[(None, 0.4), (Some(Milestone::LeadCreated), 0.4)],
            0.2,
        ),
        JourneyModel::WShaped => marked(
            journey,
            &kept,
            &[
                (None, 0.3),
                (Some(Milestone::LeadCreated), 0.3),
                (Some(Milestone::OpportunityCreated), 0.3),
            ],
            0.1,
        ),
        JourneyModel::FullPath => marked(
            journey,
            &kept,
            &[
                (None, 0.225),
                (Some(Milestone::LeadCreated), 0.225),
                (Some(Milestone::OpportunityCreated), 0.225),
                (Some(Milestone::ClosedWon), 0.225),
            ],
            0.1,
        ),
    };
    Ok(kept.into_iter().zip(weights).collect())
}

/// Shares for marked touches (`None` = the first kept touch, otherwise the
/// first kept touch marking the milestone), `rest` shared by the others.
/// Without a lead-creation mark, U-shaped falls back to first and last.
fn marked(
    journey: &Journey,
    kept: &[usize],
    marks: &[(Option<Milestone>, f64)],
    rest: f64,
) -> Vec<f64> {
    let touches = journey.touches();
    let mut w = vec![0.0; kept.len()];
    let mut is_marked = vec![false; kept.len()];
    let mut any_milestone = false;
    for (m, share) in marks {
        let pos = match m {
            None => Some(0),
            Some(ms) => kept.iter().position(|&i| touches[i].milestone == Some(*ms)),
        };
        if let Some(p) = pos {
            any_milestone |= m.is_some();
            w[p] += share;
            is_marked[p] = true;
        }
    }
    // U-shaped without a lead mark: position-based on first and last.
    if marks.len() == 2 && !any_milestone && kept.len() > 1 {
        let p = kept.len() - 1;
        w[p] += marks[1].1;
        is_marked[p] = true;
    }
    let others = is_marked.iter().filter(|m| !**m).count();
    if others > 0 {
        let each = rest / others as f64;
        for (x, m) in w.iter_mut().zip(&is_marked) {
            if !m {
                *x = each;
            }
        }
    }
    w
}

/// Attributes converted journeys with a journey model: each journey's
/// conversion value (and one conversion) is split over its touches exactly.
/// Journeys without a conversion only mark their channels as seen;
/// journeys with no touch, with a conversion value in another currency,
/// with no touch inside the lookback or with no touch given any weight are
/// skipped and listed ([`SkipReason`]).
///
/// # Errors
///
/// As [`journey_weights`] and [`attribute`].
pub(crate) fn attribute_journeys(
    journeys: &[Journey],
    model: &JourneyModel,
    lookback: Option<TimeDelta>,
    channels: &mut Channels,
    currency: Currency,
) -> Result<Attribution> {
    let mut ledger = Ledger::new(currency)?;
    let mut ids: Vec<ChannelId> = Vec::new();
    for (r, j) in journeys.iter().enumerate() {
        ids.clear();
        for t in j.touches() {
            ids.push(channels.intern(&t.channel)?);
        }
        if ids.is_empty() {
            ledger.skip(r, SkipReason::EmptyPath);
            continue;
        }
        let Some(conv) = j.conversion() else {
            ledger.see(&ids);
            continue;
        };
        let w = journey_weights(j, model, lookback)?;
        // No touch kept: none lies inside the lookback. Touches kept but
        // none weighted: zero custom weights, or a time decay too steep
        // for the journey's ages.
        if w.is_empty() {
            ledger.skip(r, SkipReason::OutsideLookback);
            continue;
        }
        // The same test as for paths, on the integer weights booked.
        let fw = float_weights(&w.iter().map(|(_, x)| *x).collect::<Vec<_>>());
        if fw.iter().all(|&x| x == 0) {
            ledger.skip(r, SkipReason::NoWeight);
            continue;
        }
        let value = match ledger.value_units(&conv.value) {
            Ok(v) => v,
            Err(reason) => {
                ledger.skip(r, reason);
                continue;
            }
        };
        ledger.see(&ids);
        let chans: Vec<ChannelId> = w.iter().map(|(i, _)| ids[*i]).collect();
        ledger.book(&chans, &fw, 1, value)?;
    }
    ledger.finish()
}
