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
//! full chain and once per channel with that channel removed, by
//! Gauss–Seidel iteration on the sparse transition lists until no value
//! changes by more than [`TOLERANCE`] (relative to the largest), so the
//! result is deterministic and carries no sampling error (ChannelAttribution's
//! defaults, 10^5 walks capped at the longest observed path, land up to a
//! few percent away).
//!
//! The removal effects reported are `(P(convert) − P_{−c}(convert)) /
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

use super::{float_weights, Attribution, Ledger, PathRow};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::Currency;

/// The Gauss–Seidel stopping rule: the largest change in a sweep, relative
/// to the largest value, below this.
pub const TOLERANCE: f64 = 1e-13;
const MAX_SWEEPS: usize = 100_000;
/// The highest order supported.
pub const MAX_ORDER: usize = 4;

/// A fast hasher for packed integer keys (multiply-xorshift).
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
}
type IntMap<V> = HashMap<u64, V, BuildHasherDefault<IntHasher>>;

/// One transition of the fitted chain.
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Transition {
    /// The state left: `(start)`, a channel name, or a tuple `a > b`.
    pub from: String,
    /// The state entered (also `(conversion)` or `(null)`).
    pub to: String,
    /// The transition probability.
    pub probability: f64,
}

/// A channel's removal effects.
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RemovalEffect {
    /// The channel.
    pub channel: ChannelId,
    /// Share of the conversion probability lost without the channel.
    pub conversions: f64,
    /// Share of the expected converted value lost without the channel.
    pub value: f64,
}

/// The result of [`markov`].
#[derive(Clone, PartialEq, Debug)]
pub struct MarkovResult {
    /// The credits.
    pub attribution: Attribution,
    /// The removal effects, one per channel seen, in channel-id order.
    pub removal_effects: Vec<RemovalEffect>,
    /// The probability of converting from `(start)`.
    pub conversion_probability: f64,
    /// The number of transient states (excluding start, conversion, null).
    pub states: usize,
    /// Sweeps used by the slowest solve.
    pub sweeps: usize,
}

impl MarkovResult {
    /// The fitted transition matrix, one entry per observed transition.
    /// Computed on demand (it names every state).
    pub fn transitions(
        rows: &[PathRow],
        order: usize,
        channels: &Channels,
    ) -> Result<Vec<Transition>> {
        let chain = Chain::build(rows, order)?;
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
            let total: u64 = row.iter().map(|(_, c)| c).sum();
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
    fn build(rows: &[PathRow], order: usize) -> Result<Chain> {
        if order == 0 || order > MAX_ORDER {
            return Err(Error::invalid(
                "Markov attribution",
                format!("the order must be 1 to {MAX_ORDER}, not {order}"),
            ));
        }
        let mut state_of: IntMap<u32> = IntMap::default();
        let mut members: Vec<Vec<ChannelId>> = vec![Vec::new()]; // 0 = start
                                                                 // Transition counts: a dense matrix over (state, state) for order 1
                                                                 // with few channels (states are created in channel order of first
                                                                 // sight, at most one per channel), a hash map otherwise.
        let mut max_channel = 0usize;
        let mut seen: Vec<bool> = Vec::new();
        for row in rows {
            for c in &row.path {
                if c.0 >= 1 << 16 {
                    return Err(Error::invalid(
                        "Markov attribution",
                        "channel ids must be below 65536",
                    ));
                }
                let i = c.index();
                if seen.len() <= i {
                    seen.resize(i + 1, false);
                }
                seen[i] = true;
                max_channel = max_channel.max(i);
            }
        }
        let dense_dim = if order == 1 && max_channel < 4096 {
            max_channel + 2
        } else {
            0
        };
        let mut dense: Vec<u64> = vec![0; dense_dim * dense_dim];
        let mut counts: IntMap<u64> = IntMap::default();
        // Order 1: a direct channel -> state table instead of hashing.
        let mut direct: Vec<u32> = Vec::new();
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
                    let i = tuple[0].index();
                    if direct.len() <= i {
                        direct.resize(i + 1, u32::MAX);
                    }
                    if direct[i] == u32::MAX {
                        members.push(tuple.to_vec());
                        direct[i] = (members.len() - 1) as u32;
                    }
                    direct[i] as usize
                } else {
                    let key = tuple
                        .iter()
                        .fold(tuple.len() as u64, |k, c| (k << 16) | u64::from(c.0));
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
        let mut absorb: IntMap<u64> = IntMap::default();
        for (last, (c, v, nulls)) in ends.into_iter().enumerate() {
            let last = renum[last];
            if c > 0 {
                *absorb
                    .entry(((last as u64) << 32) | conv as u64)
                    .or_insert(0) += c;
                value_dec[last] = value_dec[last]
                    .checked_add(v)
                    .ok_or_else(|| Error::overflow("Markov attribution: value"))?;
                value_conv[last] += c;
            }
            if nulls > 0 {
                *absorb
                    .entry(((last as u64) << 32) | null as u64)
                    .or_insert(0) += nulls;
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
        for (k, c) in absorb {
            out[(k >> 32) as usize].push(((k & 0xFFFF_FFFF) as usize, c));
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
        let channels_seen = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| ChannelId(i as u32))
            .collect();
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

    /// Solves for `(h(start), g(start))` with the states in `dead` removed.
    fn solve(
        &self,
        dead: &[bool],
        probs: &[Vec<(usize, f64)>],
        reward: &[(f64, f64)],
    ) -> (f64, f64, usize) {
        let n = self.out.len();
        let mut h = vec![0.0f64; n];
        let mut g = vec![0.0f64; n];
        let mut sweeps = 0;
        // Sweep transient states from the last created to the first: later
        // states tend to be nearer the end of paths, so values flow back fast.
        loop {
            sweeps += 1;
            let mut delta = 0.0f64;
            let mut scale = 0.0f64;
            for s in (0..self.conv).rev() {
                if dead[s] {
                    continue;
                }
                let (mut hs, mut gs) = reward[s];
                for &(t, p) in &probs[s] {
                    if t < self.conv && !dead[t] {
                        hs += p * h[t];
                        gs += p * g[t];
                    }
                }
                delta = delta.max((hs - h[s]).abs()).max((gs - g[s]).abs());
                scale = scale.max(hs.abs()).max(gs.abs());
                h[s] = hs;
                g[s] = gs;
            }
            if delta <= TOLERANCE * scale.max(f64::MIN_POSITIVE) || sweeps >= MAX_SWEEPS {
                break;
            }
        }
        (h[0], g[0], sweeps)
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
///
/// ```
/// use revops::attribution::{markov::markov, PathRow};
/// use revops::journey::Channels;
/// use revops::{Currency, Money};
/// use rust_decimal_macros::dec;
/// let mut ch = Channels::new();
/// let mut row = |p: &str, c, v, n| -> Result<PathRow, revops::Error> {
///     Ok(PathRow::new(PathRow::parse_path(p, &mut ch)?, c, Money::new(v, Currency::USD), n))
/// };
/// let rows = [row("a > b", 1, dec!(10), 0)?, row("b", 0, dec!(0), 1)?];
/// let r = markov(&rows, 1, Currency::USD)?;
/// assert_eq!(r.attribution.total_value().amount(), dec!(10));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn markov(rows: &[PathRow], order: usize, currency: Currency) -> Result<MarkovResult> {
    let chain = Chain::build(rows, order)?;
    let mut ledger = Ledger::new(currency)?;
    let mut total_value: i128 = 0;
    for row in rows {
        // Most rows carry no value: skip the conversion to minor units.
        if row.value.is_zero() && row.value.currency() == currency {
            continue;
        }
        let v = ledger.minor_units(&row.value)?;
        total_value = total_value
            .checked_add(v)
            .ok_or_else(|| Error::overflow("Markov attribution: value"))?;
    }
    // Transition probabilities and the per-state rewards.
    let n = chain.out.len();
    let mut probs: Vec<Vec<(usize, f64)>> = Vec::with_capacity(n);
    let mut reward = vec![(0.0, 0.0); n];
    for (s, row) in chain.out.iter().enumerate() {
        let total: u64 = row.iter().map(|(_, c)| c).sum();
        let mut list = Vec::with_capacity(row.len());
        for &(t, c) in row {
            let p = c as f64 / total as f64;
            if t == chain.conv {
                let mean_value = if chain.value_conv[s] > 0 {
                    chain.value_sum[s] / chain.value_conv[s] as f64
                } else {
                    0.0
                };
                reward[s] = (p, p * mean_value);
            } else if t != chain.null {
                list.push((t, p));
            }
        }
        probs.push(list);
    }
    let alive = vec![false; n];
    let (p_full, v_full, mut sweeps) = chain.solve(&alive, &probs, &reward);
    let mut dead = vec![false; n];
    let mut effects = Vec::with_capacity(chain.channels_seen.len());
    let mut a = Vec::with_capacity(chain.channels_seen.len());
    let mut b = Vec::with_capacity(chain.channels_seen.len());
    for &c in &chain.channels_seen {
        for (s, m) in chain.members.iter().enumerate() {
            dead[s] = m.contains(&c);
        }
        let (p, v, sw) = chain.solve(&dead, &probs, &reward);
        sweeps = sweeps.max(sw);
        let da = (p_full - p).max(0.0);
        let db = (v_full - v).max(0.0);
        a.push(da);
        b.push(db);
        effects.push(RemovalEffect {
            channel: c,
            conversions: if p_full > 0.0 {
                (da / p_full).clamp(0.0, 1.0)
            } else {
                0.0
            },
            value: if v_full > 0.0 {
                (db / v_full).clamp(0.0, 1.0)
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
    if value_parts.iter().sum::<i128>() != total_value {
        return Err(Error::invalid(
            "Markov attribution",
            "value on rows without conversions cannot be attributed",
        ));
    }
    ledger.book_parts(&ids, &conv_parts, &value_parts);
    Ok(MarkovResult {
        attribution: ledger.finish()?,
        removal_effects: effects,
        conversion_probability: p_full,
        states: chain.conv - 1,
        sweeps,
    })
}
