//! The fitted chain: its states (channel tuples of the model's order,
//! keyed densely), their transition counts and the value of the
//! conversions from each.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::attribution::{ChannelIndex, PathRow};
use crate::error::{Error, Result};
use crate::journey::ChannelId;

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

/// The fitted chain.
pub(super) struct Chain {
    /// Per state: the channels it contains (empty for start/conv/null).
    pub(super) members: Vec<Vec<ChannelId>>,
    /// Per state: outgoing (state, count).
    pub(super) out: Vec<Vec<(usize, u64)>>,
    /// Per state: value of conversions from it, and their number.
    pub(super) value_sum: Vec<f64>,
    pub(super) value_conv: Vec<u64>,
    pub(super) conv: usize,
    pub(super) null: usize,
    pub(super) total_conversions: u64,
    pub(super) channels_seen: Vec<ChannelId>,
}

impl Chain {
    pub(super) fn build(rows: &[&PathRow], order: usize, index: &ChannelIndex) -> Result<Chain> {
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
