//! Shapley-value attribution: channels as players of a cooperative game.
//!
//! # Simplified Shapley value (Zhao et al., 2018)
//!
//! A coalition `S` of channels is worth the conversions of the journeys
//! whose set of channels lies inside `S`. For that game the Shapley value
//! has a closed form: each converting journey's conversions (and value) are
//! shared **equally among its distinct channels**. revops computes it that
//! way, row by row, so it is exact and linear in the input.
//!
//! # Conversion-rate Shapley value
//!
//! A coalition `S` is worth the conversion rate of the journeys whose
//! channel set lies inside `S`: `v(S) = conversions(S) / (conversions(S) +
//! nulls(S))`, with `v(∅) = 0` and `v(S) = 0` when no journey lies inside.
//! Non-converting journeys count, so a channel whose journeys convert worse
//! than others can get negative credit. The Shapley values
//! `φ_i = Σ_{S ⊆ N∖{i}} |S|! (n−|S|−1)! / n! · (v(S ∪ {i}) − v(S))` are
//! computed exactly over all `2^n` coalitions (subset sums of the per-set
//! totals) for up to [`EXACT_LIMIT`] channels; above, by averaging the
//! marginal contributions over [`SAMPLED_PERMUTATIONS`] random orders from
//! a fixed seed (deterministic, with sampling error). The values are then
//! scaled so that they add up to the observed conversions (and value), and
//! split exactly in millionths of a conversion and minor units.

#[cfg(doc)]
use super::SkipReason;
use super::{Attribution, ChannelIndex, Ledger, PathRow};
use crate::error::{Error, Result};
use crate::journey::ChannelId;
use crate::quantity::split_signed;
use crate::quantity::Currency;

/// The most channels for the exact conversion-rate Shapley value.
pub const EXACT_LIMIT: usize = 20;
/// Random orders used above [`EXACT_LIMIT`].
pub const SAMPLED_PERMUTATIONS: usize = 20_000;

/// The simplified Shapley value: each row's conversions and value shared
/// equally among its distinct channels.
///
/// # Errors
///
/// [`Error::CurrencyMismatch`], [`Error::OffMinorUnitGrid`] for a row
/// value finer than the minor unit; [`Error::NoMinorUnit`].
pub(crate) fn simplified(rows: &[PathRow], currency: Currency) -> Result<Attribution> {
    let mut ledger = Ledger::new(currency)?;
    let mut distinct: Vec<ChannelId> = Vec::new();
    let mut ones: Vec<u64> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let Some(value) = ledger.admit(r, row) else {
            continue;
        };
        if row.conversions == 0 {
            continue;
        }
        distinct.clear();
        if row.path.len() <= 16 {
            for c in &row.path {
                if !distinct.contains(c) {
                    distinct.push(*c);
                }
            }
        } else {
            // Long paths: sort, so that a path of a million touches is not
            // quadratic; first sight keeps its order, as above.
            let mut first: Vec<(ChannelId, usize)> =
                row.path.iter().enumerate().map(|(i, &c)| (c, i)).collect();
            first.sort_unstable();
            first.dedup_by_key(|e| e.0);
            first.sort_unstable_by_key(|e| e.1);
            distinct.extend(first.into_iter().map(|e| e.0));
        }
        ones.clear();
        ones.resize(distinct.len(), 1);
        ledger.book(&distinct, &ones, row.conversions, value)?;
    }
    ledger.finish()
}

/// The conversion-rate Shapley values `φ_i` (unscaled) of the kept rows,
/// by channel id. Exact up to [`EXACT_LIMIT`] channels, sampled above.
fn rate_values_of<'a>(
    rows: impl Iterator<Item = &'a PathRow> + Clone,
) -> Result<Vec<(ChannelId, f64)>> {
    let index = ChannelIndex::new(rows.clone().flat_map(|r| r.path.iter().copied()));
    let n = index.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let pos = |c: ChannelId| index.slot(c).unwrap_or(0);
    // Per channel set: conversions and nulls. Sets are bitmasks when the
    // channels fit in 64 bits (no allocation per row), sorted lists otherwise.
    let mut sets: std::collections::BTreeMap<Vec<usize>, (u64, u64)> = Default::default();
    let add = |e: &mut (u64, u64), r: &PathRow| -> Result<()> {
        e.0 =
            e.0.checked_add(r.conversions)
                .ok_or_else(|| Error::overflow("Shapley"))?;
        e.1 =
            e.1.checked_add(r.nulls)
                .ok_or_else(|| Error::overflow("Shapley"))?;
        Ok(())
    };
    if n <= 64 {
        let mut by_mask: std::collections::HashMap<u64, (u64, u64)> = Default::default();
        for r in rows {
            let mask = r.path.iter().fold(0u64, |m, &c| m | 1 << pos(c));
            add(by_mask.entry(mask).or_insert((0, 0)), r)?;
        }
        for (mask, v) in by_mask {
            let set: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            sets.insert(set, v);
        }
    } else {
        for r in rows {
            let mut set: Vec<usize> = r.path.iter().map(|&c| pos(c)).collect();
            set.sort_unstable();
            set.dedup();
            add(sets.entry(set).or_insert((0, 0)), r)?;
        }
    }
    let phi = if n <= EXACT_LIMIT {
        exact(n, &sets)
    } else {
        sampled(n, &sets)
    };
    Ok((0..n).map(|i| index.id(i)).zip(phi).collect())
}

fn exact(n: usize, sets: &std::collections::BTreeMap<Vec<usize>, (u64, u64)>) -> Vec<f64> {
    let size = 1usize << n;
    let mut conv = vec![0f64; size];
    let mut all = vec![0f64; size];
    for (set, &(c, nu)) in sets {
        let mask = set.iter().fold(0usize, |m, &i| m | (1 << i));
        conv[mask] += c as f64;
        all[mask] += c as f64 + nu as f64;
    }
    // Subset sums (zeta transform): totals of journeys inside each coalition.
    for i in 0..n {
        let bit = 1 << i;
        for m in 0..size {
            if m & bit != 0 {
                conv[m] += conv[m ^ bit];
                all[m] += all[m ^ bit];
            }
        }
    }
    let v: Vec<f64> = (0..size)
        .map(|m| if all[m] > 0.0 { conv[m] / all[m] } else { 0.0 })
        .collect();
    // Weights |S|! (n-|S|-1)! / n! by coalition size.
    let mut w = vec![0f64; n];
    for (s, x) in w.iter_mut().enumerate() {
        // 1 / (n * C(n-1, s))
        let mut c = 1.0f64;
        for k in 0..s {
            c = c * (n - 1 - k) as f64 / (k + 1) as f64;
        }
        *x = 1.0 / (n as f64 * c);
    }
    let mut phi = vec![0f64; n];
    for m in 0..size {
        let s = m.count_ones() as usize;
        for (i, p) in phi.iter_mut().enumerate() {
            let bit = 1 << i;
            if m & bit == 0 {
                *p += w[s] * (v[m | bit] - v[m]);
            }
        }
    }
    phi
}

fn sampled(n: usize, sets: &std::collections::BTreeMap<Vec<usize>, (u64, u64)>) -> Vec<f64> {
    let list: Vec<(Vec<usize>, u64, u64)> = sets
        .iter()
        .map(|(s, &(c, nu))| (s.clone(), c, nu))
        .collect();
    let mut rng = 0x853c_49e6_748f_ea9bu64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut phi = vec![0f64; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rank = vec![0usize; n];
    // For each set, the position at which it becomes complete is the max
    // rank of its members; v after k players = rate of sets complete by k.
    let mut conv_at = vec![0f64; n + 1];
    let mut all_at = vec![0f64; n + 1];
    for _ in 0..SAMPLED_PERMUTATIONS {
        for i in (1..n).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for (k, &p) in order.iter().enumerate() {
            rank[p] = k;
        }
        conv_at.fill(0.0);
        all_at.fill(0.0);
        for (set, c, nu) in &list {
            let k = set.iter().map(|&i| rank[i]).max().unwrap_or(0) + 1;
            conv_at[k] += *c as f64;
            all_at[k] += *c as f64 + *nu as f64;
        }
        let (mut cs, mut al, mut prev) = (0.0, 0.0, 0.0);
        for k in 1..=n {
            cs += conv_at[k];
            al += all_at[k];
            let v = if al > 0.0 { cs / al } else { 0.0 };
            phi[order[k - 1]] += v - prev;
            prev = v;
        }
    }
    phi.iter()
        .map(|p| p / SAMPLED_PERMUTATIONS as f64)
        .collect()
}

/// The conversion-rate Shapley value, scaled so that the credits add up to
/// the observed conversions and value, split exactly (credits can be
/// negative); and the unscaled values `φ_i` by channel id. Rows that the
/// crate-wide rule skips ([`SkipReason`]: an empty path, a value without
/// conversions) are left out, so `v(∅) = 0` always. When the values add
/// up to zero (no conversions), every credit is zero.
///
/// # Errors
///
/// As [`simplified`]; [`Error::Overflow`] for counts past `u64::MAX`.
pub(crate) fn conversion_rate(
    rows: &[PathRow],
    currency: Currency,
) -> Result<(Attribution, Vec<(ChannelId, f64)>)> {
    let mut ledger = Ledger::new(currency)?;
    let mut kept = Vec::with_capacity(rows.len());
    let mut total_conv: i128 = 0;
    for (r, row) in rows.iter().enumerate() {
        if ledger.admit(r, row).is_none() {
            continue;
        }
        kept.push(row);
        total_conv = total_conv
            .checked_add(i128::from(row.conversions) * super::CONVERSION_UNITS)
            .ok_or_else(|| Error::overflow("Shapley: conversions"))?;
    }
    let total_value = ledger.total()?;
    let phi = rate_values_of(kept.iter().copied())?;
    let ids: Vec<ChannelId> = phi.iter().map(|(c, _)| *c).collect();
    // Fixed-point weights keep the sign; their sum is v(N) > 0 whenever
    // anything converted.
    let w: Vec<i128> = phi
        .iter()
        .map(|(_, p)| (p * (1u64 << 50) as f64).round() as i128)
        .collect();
    let sum = w
        .iter()
        .try_fold(0i128, |a, &x| a.checked_add(x))
        .ok_or_else(|| Error::overflow("Shapley: weights"))?;
    if sum != 0 {
        let conv = split_signed(total_conv, &w)?;
        let value = split_signed(total_value, &w)?;
        ledger.book_parts(&ids, &conv, &value)?;
    } else if total_value != 0 || total_conv != 0 {
        return Err(Error::invalid(
            "Shapley attribution",
            "the coalition values add up to zero, so the totals cannot be shared",
        ));
    }
    Ok((ledger.finish()?, phi))
}
