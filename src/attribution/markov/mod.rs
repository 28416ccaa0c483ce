//! Markov-chain attribution with removal effects, computed exactly.
//!
//! # The model (ChannelAttribution's `markov_model`)
//!
//! * **States**: `(start)`, one state per channel (order 1) or per run of
//!   `order` consecutive channels (order `k`: the path `a > b > c` with
//!   `k = 2` visits `(a,b)` then `(b,c)`; a path shorter than `k` is one
//!   state of its whole length), `(conversion)` and `(null)`. Consecutive
//!   repeats of the same state are collapsed (`a > a > b` visits `a` once
//!   at order 1).
//! * **Transitions**: each row adds `conversions + nulls` to every
//!   transition of its path (from `(start)` to the first state and between
//!   states), `conversions` from its last state to `(conversion)` and
//!   `nulls` to `(null)`. Probabilities are the counts normalised by row.
//! * **Conversion value**: a conversion from state `s` is worth the average
//!   value per conversion of the rows whose path ends in `s`.
//! * **Credit**: ChannelAttribution simulates walks from `(start)` and, for
//!   every walk that converts, credits each channel the walk visited (every
//!   channel of every visited tuple) with one conversion and with the
//!   conversion's value; channels then share the observed totals in
//!   proportion. As the number of walks and the step cap `max_step` grow
//!   without bound, a channel's conversion credit tends to
//!   `P(convert and visit c)`, which equals `P(convert) − P(convert when c
//!   is removed)` where removing `c` sends every state containing `c` to
//!   `(null)`: the classic **removal effect**. Its value credit tends to the
//!   same difference of expected converted value.
//!
//! revops computes those limits directly: the absorption probabilities
//! `h(s) = p(s → conversion) + Σ_t p(s → t) h(t)` and expected values
//! `g(s) = p(s → conversion) v̄(s) + Σ_t p(s → t) g(t)` are solved for the
//! full chain and once per channel with that channel removed.
//!
//! # How the chain is solved
//!
//! The transient states are split into strongly connected components
//! (Tarjan), which are solved one at a time from the end of the paths
//! backwards, each using the values of the components after it.
//!
//! * A component of at most 256 states (every chain of order 1 with up
//!   to 256 channels, and most higher-order ones) is solved
//!   **exactly** by state elimination in the stable GTH form
//!   (Grassmann–Taksar–Heyman): every pivot is a sum of outflow
//!   probabilities, never `1 − p`, so a long cycle such as
//!   `a > b > a > …` that leaves only once in a million steps is solved as
//!   accurately as a short path.
//! * A larger component is solved by Gauss–Seidel sweeps, stopped when the
//!   error bound `Δ / (1 − ρ)` (the last change over one minus the
//!   observed rate of contraction, over the last sweep and the last 32)
//!   is below 10⁻¹³ relative to the largest value, or when the changes are
//!   down to 4 units of rounding of the largest value (a component that
//!   contracts very slowly at rate ρ; its relative error is then about
//!   `4ε / (1 − ρ)`, 10⁻¹² at ρ = 0.999, ε = 2.2·10⁻¹⁶). If neither
//!   happens within 100,000 sweeps
//!   the analysis fails with [`Error::NotConverged`]: a result is never
//!   returned from a solve that did not converge.
//!
//! The result is deterministic and carries no sampling error
//! (ChannelAttribution's defaults, 10^5 walks capped at the longest
//! observed path, land up to a few percent away).
//!
//! # Rows
//!
//! Rows follow the crate-wide rule ([`SkipReason`](super::SkipReason)): a
//! row with an empty path, a value without conversions, a value in another
//! currency or one too large to hold exactly is skipped whole (its
//! transitions are not counted) and listed in
//! [`Report::skipped`](super::Report::skipped).
//!
//! The removal effects reported ([`MarkovDetail`](super::MarkovDetail)) are `(P(convert) − P_{−c}(convert)) /
//! P(convert)` for conversions and the same ratio of expected values for
//! value, both in [0, 1]. Total conversions and total value are split over
//! channels in proportion to the un-normalised differences, exactly (see
//! the [parent module](super)).
//!
//! Channels seen only in non-converting paths can still earn credit when
//! their transitions lead to states that convert, as in ChannelAttribution.
//! Paths with no null journeys are fine (a chain without `(null)`
//! transitions). Rows with neither conversions nor nulls add nothing.

use super::{float_weights, Attribution, ChannelIndex, Ledger, PathRow};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::Currency;
use chain::Chain;
pub use chain::MAX_ORDER;

mod chain;
mod solver;
#[cfg(test)]
use solver::components;
use solver::System;

/// One transition of a fitted Markov chain.
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Transition {
    /// The state left: `(start)`, a channel name, or a tuple `a > b`.
    pub from: String,
    /// The state entered (also `(conversion)` or `(null)`).
    pub to: String,
    /// The transition probability.
    pub probability: f64,
}

/// A channel's removal effects, by id.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Effect {
    /// The channel.
    pub channel: ChannelId,
    /// Share of the conversion probability lost without the channel.
    pub conversions: f64,
    /// Share of the expected converted value lost without the channel.
    pub value: f64,
}

/// The result of [`markov`].
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct MarkovResult {
    /// The credits.
    pub attribution: Attribution,
    /// The removal effects, one per channel seen, in channel-id order.
    pub removal_effects: Vec<Effect>,
    /// The probability of converting from `(start)`.
    pub conversion_probability: f64,
    /// The number of transient states (excluding start, conversion, null).
    pub states: usize,
    /// Sweeps used by the slowest solve.
    pub sweeps: usize,
}

/// The fitted transition matrix of order `order`, one entry per observed
/// transition. Computed on demand: it names every state.
pub(crate) fn transitions(
    rows: &[PathRow],
    order: usize,
    channels: &Channels,
) -> Result<Vec<Transition>> {
    let kept: Vec<&PathRow> = rows.iter().filter(|r| r.skip_reason().is_none()).collect();
    let index = ChannelIndex::new(kept.iter().flat_map(|r| r.path.iter().copied()));
    let chain = Chain::build(&kept, order, &index)?;
    let name = |s: usize| -> String {
        match s {
            0 => "(start)".into(),
            s if s == chain.conv => "(conversion)".into(),
            s if s == chain.null => "(null)".into(),
            s => chain.members[s]
                .iter()
                .map(|c| channels.name(*c).unwrap_or("?").to_string())
                .collect::<Vec<_>>()
                .join(" > "),
        }
    };
    let mut out = Vec::new();
    for (s, row) in chain.out.iter().enumerate() {
        let total: u128 = row.iter().map(|&(_, c)| u128::from(c)).sum();
        for &(t, c) in row {
            out.push(Transition {
                from: name(s),
                to: name(t),
                probability: c as f64 / total as f64,
            });
        }
    }
    Ok(out)
}

/// Markov-chain attribution of order `order` (1 to [`MAX_ORDER`]) over the
/// compact rows, with value in `currency`. See the [module docs](self).
///
/// # Errors
///
/// [`Error::InvalidInput`] for an order out of range or channel ids of
/// 65536 and above; [`Error::CurrencyMismatch`] for a row in another
/// currency; [`Error::OffMinorUnitGrid`] for a total value finer than the
/// minor unit; [`Error::Overflow`].
pub(crate) fn markov(rows: &[PathRow], order: usize, currency: Currency) -> Result<MarkovResult> {
    let mut ledger = Ledger::new(currency)?;
    let mut kept: Vec<&PathRow> = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        if ledger.admit(r, row).is_some() {
            kept.push(row);
        }
    }
    let total_value = ledger.total()?;
    let chain = Chain::build(&kept, order, ledger.index())?;
    let system = System::new(&chain);
    let n = system.probs.len();
    let (h_full, g_full, mut sweeps) = system.solve(&vec![false; n], None)?;
    let p_full = h_full.first().copied().unwrap_or(0.0);
    let v_full = g_full.first().copied().unwrap_or(0.0);
    let mut dead = vec![false; n];
    let mut effects = Vec::with_capacity(chain.channels_seen.len());
    let mut a = Vec::with_capacity(chain.channels_seen.len());
    let mut b = Vec::with_capacity(chain.channels_seen.len());
    for &c in &chain.channels_seen {
        for (s, m) in chain.members.iter().take(n).enumerate() {
            dead[s] = m.contains(&c);
        }
        let (h, g, sw) = system.solve(&dead, Some((&h_full, &g_full)))?;
        let (p, v) = (
            h.first().copied().unwrap_or(0.0),
            g.first().copied().unwrap_or(0.0),
        );
        sweeps = sweeps.max(sw);
        let da = (p_full - p).max(0.0);
        let db = (v_full - v).max(0.0);
        a.push(da);
        b.push(db);
        effects.push(Effect {
            channel: c,
            conversions: if p_full > 0.0 {
                (da / p_full).min(1.0)
            } else {
                0.0
            },
            value: if v_full > 0.0 {
                (db / v_full).min(1.0)
            } else {
                0.0
            },
        });
    }
    // Split the observed totals by the removal differences, exactly.
    let ids = chain.channels_seen.clone();
    let wa = float_weights(&a);
    let wb = float_weights(&b);
    let conv_units = i128::from(chain.total_conversions) * super::CONVERSION_UNITS;
    let mut conv_parts = vec![0i128; ids.len()];
    let mut value_parts = vec![0i128; ids.len()];
    if !ids.is_empty() && wa.iter().any(|&w| w > 0) {
        crate::quantity::split_integer(conv_units, &wa, &mut conv_parts)?;
    }
    if !ids.is_empty() && wb.iter().any(|&w| w > 0) {
        crate::quantity::split_integer(total_value, &wb, &mut value_parts)?;
    } else if total_value != 0 && !ids.is_empty() && wa.iter().any(|&w| w > 0) {
        // Value without a value model (every conversion worth 0 on average
        // in the chain, e.g. negative and positive values cancelling):
        // follow the conversion weights.
        crate::quantity::split_integer(total_value, &wa, &mut value_parts)?;
    }
    let sum = |parts: &[i128]| {
        parts
            .iter()
            .try_fold(0i128, |s, &x| s.checked_add(x))
            .ok_or_else(|| Error::overflow("Markov attribution: credits"))
    };
    // Credits add back exactly, or there is no result.
    if sum(&conv_parts)? != conv_units || sum(&value_parts)? != total_value {
        return Err(Error::invalid(
            "Markov attribution",
            "the chain gives no channel any weight, so the totals cannot be shared",
        ));
    }
    ledger.book_parts(&ids, &conv_parts, &value_parts)?;
    Ok(MarkovResult {
        attribution: ledger.finish()?,
        removal_effects: effects,
        conversion_probability: p_full,
        states: chain.conv - 1,
        sweeps,
    })
}

#[cfg(test)]
mod tests {
    use super::components;

    /// Tarjan's strongly connected components on a graph with two cycles,
    /// a chain between them and a lone node: every component exactly,
    /// each listed after every component it leads to.
    #[test]
    fn components_of_a_known_graph() {
        // 0 -> 1 -> 2 -> 0 (a cycle), 2 -> 3, 3 <-> 4 (a cycle), 5 -> 0.
        let e = |to: &[usize]| to.iter().map(|&t| (t, 1.0)).collect::<Vec<_>>();
        let edges = vec![e(&[1]), e(&[2]), e(&[0, 3]), e(&[4]), e(&[3]), e(&[0])];
        let comps = components(6, &edges);
        let mut sorted: Vec<Vec<usize>> = comps
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.sort_unstable();
                c
            })
            .collect();
        assert_eq!(sorted, vec![vec![3, 4], vec![0, 1, 2], vec![5]]);
        sorted.sort();
        assert_eq!(sorted, vec![vec![0, 1, 2], vec![3, 4], vec![5]]);
    }
}
