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
//! * A component of at most [`DENSE_LIMIT`] states (every chain of order 1
//!   with up to 256 channels, and most higher-order ones) is solved
//!   **exactly** by state elimination in the stable GTH form
//!   (Grassmann–Taksar–Heyman): every pivot is a sum of outflow
//!   probabilities, never `1 − p`, so a long cycle such as
//!   `a > b > a > …` that leaves only once in a million steps is solved as
//!   accurately as a short path.
//! * A larger component is solved by Gauss–Seidel sweeps, stopped when the
//!   error bound `Δ / (1 − ρ)` (the last change over one minus the
//!   observed rate of contraction) is below [`TOLERANCE`] relative to the
//!   largest value, or when the changes are down to rounding (a component
//!   that contracts very slowly: see [`TOLERANCE`] for the error then).
//!   If neither happens within [`MAX_SWEEPS`] sweeps
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

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::report::Transition;
use super::{float_weights, Attribution, ChannelIndex, Ledger, PathRow};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::Currency;

mod solver;
#[cfg(test)]
use solver::components;
use solver::System;

/// The Gauss–Seidel stopping rule: the bound on the remaining error,
/// relative to the largest value, below this.
///
/// The bound is `Δ / (1 − ρ)`: the last sweep's largest change over one
/// minus the rate of contraction, the larger of the last sweep's and the
/// mean of the last 32. A component that contracts so slowly that the
/// changes reach rounding first (4 units of rounding of the largest
/// value) stops there, with a relative error of about `4ε / (1 − ρ)`
/// (about 10⁻¹² at ρ = 0.999; ε = 2.2·10⁻¹⁶).
pub const TOLERANCE: f64 = 1e-13;
/// The sweeps over which the Gauss–Seidel rate of contraction is also
/// measured (see [`TOLERANCE`]).
const RATE_SPAN: usize = 32;
/// A Gauss–Seidel change of at most this many units of rounding of the
/// largest value ends the sweeps: more cannot bring the values nearer.
const ROUNDING_FLOOR: f64 = 4.0;
/// The most Gauss–Seidel sweeps of one solve before
/// [`Error::NotConverged`].
pub const MAX_SWEEPS: usize = 100_000;
/// The largest strongly connected component solved exactly by
/// elimination; larger ones are solved by Gauss–Seidel sweeps.
pub const DENSE_LIMIT: usize = 256;
/// The highest order supported.
pub const MAX_ORDER: usize = 4;

/// A fast hasher for packed integer keys, 64- and 128-bit
/// (multiply-xorshift).
#[derive(Default, Clone, Copy)]
struct IntHasher(u64);
impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        let x = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8)) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 ^= i;
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = (self.0 ^ (i as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((i >> 64) as u64);
    }
}
type IntMap<V> = HashMap<u64, V, BuildHasherDefault<IntHasher>>;
type KeyMap<V> = HashMap<u128, V, BuildHasherDefault<IntHasher>>;

/// Bits per channel slot in a state key: 4 slots of 30 bits and the tuple's
/// length in the top 8 bits, so two different tuples never share a key.
const SLOT_BITS: u32 = 30;

/// The key of a tuple of channel slots (at most [`MAX_ORDER`] of them, each
/// below `2^SLOT_BITS`): injective, because every slot has its own bits
/// and the length has its own.
fn state_key(slots: impl ExactSizeIterator<Item = usize>) -> u128 {
    let len = slots.len() as u128;
    slots.fold(0u128, |k, s| (k << SLOT_BITS) | s as u128) | len << 120
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

/// The fitted chain.
struct Chain {
    /// Per state: the channels it contains (empty for start/conv/null).
    members: Vec<Vec<ChannelId>>,
    /// Per state: outgoing (state, count).
    out: Vec<Vec<(usize, u64)>>,
    /// Per state: value of conversions from it, and their number.
    value_sum: Vec<f64>,
    value_conv: Vec<u64>,
    conv: usize,
    null: usize,
    total_conversions: u64,
    channels_seen: Vec<ChannelId>,
}

impl Chain {
    fn build(rows: &[&PathRow], order: usize, index: &ChannelIndex) -> Result<Chain> {
        if order == 0 || order > MAX_ORDER {
            return Err(Error::invalid(
                "Markov attribution",
                format!("the order must be 1 to {MAX_ORDER}, not {order}"),
            ));
        }
        // Channels are numbered densely (slots), so memory and keys follow
        // the number of distinct channels, not the size of their ids.
        if index.len() >= 1 << SLOT_BITS {
            return Err(Error::invalid(
                "Markov attribution",
                "too many distinct channels (at most 2^30)",
            ));
        }
        let slot = |c: ChannelId| index.slot(c).unwrap_or(0);
        let mut state_of: KeyMap<u32> = KeyMap::default();
        let mut members: Vec<Vec<ChannelId>> = vec![Vec::new()]; // 0 = start
                                                                 // Transition counts: a dense matrix over (state, state) for order 1
                                                                 // with few channels (states are created in order of first sight, at
                                                                 // most one per channel), a hash map otherwise.
        let dense_dim = if order == 1 && index.len() < 4096 {
            index.len() + 1
        } else {
            0
        };
        let mut dense: Vec<u64> = vec![0; dense_dim * dense_dim];
        let mut counts: IntMap<u64> = IntMap::default();
        // Order 1: a direct slot -> state table instead of hashing.
        let mut direct: Vec<u32> = if order == 1 {
            vec![u32::MAX; index.len()]
        } else {
            Vec::new()
        };
        // Per last state (in creation order): conversions, value, nulls.
        let mut ends: Vec<(u64, rust_decimal::Decimal, u64)> = Vec::new();
        let mut total_conversions = 0u64;
        let mut seq: Vec<usize> = Vec::new();
        for row in rows {
            let weight = row
                .conversions
                .checked_add(row.nulls)
                .ok_or_else(|| Error::overflow("Markov attribution: journeys"))?;
            total_conversions = total_conversions
                .checked_add(row.conversions)
                .ok_or_else(|| Error::overflow("Markov attribution: conversions"))?;
            if weight == 0 || row.path.is_empty() {
                continue;
            }
            // The state sequence: sliding tuples, consecutive repeats collapsed.
            seq.clear();
            let n = row.path.len();
            let windows = if n >= order { n - order + 1 } else { 1 };
            for w in 0..windows {
                let tuple = &row.path[w..(w + order).min(n)];
                let s = if order == 1 {
                    let i = slot(tuple[0]);
                    if direct[i] == u32::MAX {
                        members.push(tuple.to_vec());
                        direct[i] = (members.len() - 1) as u32;
                    }
                    direct[i] as usize
                } else {
                    let key = state_key(tuple.iter().map(|&c| slot(c)));
                    *state_of.entry(key).or_insert_with(|| {
                        members.push(tuple.to_vec());
                        (members.len() - 1) as u32
                    }) as usize
                };
                if seq.last() != Some(&s) {
                    seq.push(s);
                }
            }
            let mut prev = 0usize;
            for &s in &seq {
                let cell = if dense_dim > 0 {
                    &mut dense[prev * dense_dim + s]
                } else {
                    counts.entry(((prev as u64) << 32) | s as u64).or_insert(0)
                };
                *cell = cell
                    .checked_add(weight)
                    .ok_or_else(|| Error::overflow("Markov attribution: transitions"))?;
                prev = s;
            }
            if ends.len() < members.len() {
                ends.resize(members.len(), (0, rust_decimal::Decimal::ZERO, 0));
            }
            let e = &mut ends[prev];
            e.0 =
                e.0.checked_add(row.conversions)
                    .ok_or_else(|| Error::overflow("Markov attribution: conversions"))?;
            if row.conversions > 0 {
                e.1 =
                    e.1.checked_add(row.value.amount())
                        .ok_or_else(|| Error::overflow("Markov attribution: value"))?;
            }
            e.2 =
                e.2.checked_add(row.nulls)
                    .ok_or_else(|| Error::overflow("Markov attribution: nulls"))?;
        }
        if members.len() >= u32::MAX as usize - 2 {
            return Err(Error::invalid("Markov attribution", "too many states"));
        }
        // Number the states canonically (by their channel tuples), so that
        // the result does not depend on the order of the rows.
        let mut order_idx: Vec<usize> = (1..members.len()).collect();
        order_idx.sort_by(|&a, &b| members[a].cmp(&members[b]));
        let mut renum = vec![0usize; members.len()];
        for (new, &old) in order_idx.iter().enumerate() {
            renum[old] = new + 1;
        }
        let mut sorted_members = vec![Vec::new(); members.len()];
        for (old, m) in members.into_iter().enumerate() {
            sorted_members[renum[old]] = m;
        }
        let members = sorted_members;
        let conv = members.len();
        let null = conv + 1;
        let n_states = null + 1;
        let mut out: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n_states];
        let mut value_dec = vec![rust_decimal::Decimal::ZERO; n_states];
        let mut value_conv = vec![0u64; n_states];
        for (last, (c, v, nulls)) in ends.into_iter().enumerate() {
            let last = renum[last];
            if c > 0 {
                out[last].push((conv, c));
                value_dec[last] = v;
                value_conv[last] = c;
            }
            if nulls > 0 {
                out[last].push((null, nulls));
            }
        }
        if dense_dim > 0 {
            for f in 0..conv.min(dense_dim) {
                for t in 0..conv.min(dense_dim) {
                    let c = dense[f * dense_dim + t];
                    if c > 0 {
                        out[renum[f]].push((renum[t], c));
                    }
                }
            }
        } else {
            for (k, c) in counts {
                let (from, to) = ((k >> 32) as usize, (k & 0xFFFF_FFFF) as usize);
                out[renum[from]].push((renum[to], c));
            }
        }
        for row in &mut out {
            row.sort_unstable(); // deterministic order
        }
        let value_sum: Vec<f64> = value_dec
            .iter()
            .map(|d| {
                use rust_decimal::prelude::ToPrimitive;
                d.to_f64().unwrap_or(0.0)
            })
            .collect();
        // The channels of the kept rows (the index may cover more).
        let mut used = vec![false; index.len()];
        for m in &members {
            for &c in m {
                used[slot(c)] = true;
            }
        }
        let mut channels_seen: Vec<ChannelId> = (0..index.len())
            .filter(|&i| used[i])
            .map(|i| index.id(i))
            .collect();
        channels_seen.sort_unstable();
        Ok(Chain {
            members,
            out,
            value_sum,
            value_conv,
            conv,
            null,
            total_conversions,
            channels_seen,
        })
    }
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
