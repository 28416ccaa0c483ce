//! Exact integer splitting: the engine behind [`Money::allocate`](crate::Money::allocate).

use crate::error::{Error, Result};

/// Up to this many weights, remainders live on the stack (no heap use).
const STACK_WEIGHTS: usize = 32;

/// Splits `total` into `out.len()` integer parts in proportion to `weights`,
/// exactly.
///
/// The rule (the *largest remainder* or Hamilton method):
///
/// 1. Split the absolute value `T` of the total: part `i` first gets
///    `floor(T * w_i / W)`, where `W` is the sum of the weights.
/// 2. The leftover `T - sum(floors)` is smaller than the number of weights.
///    It is handed out one unit at a time to the parts with the largest
///    remainders `T * w_i mod W`; equal remainders go to the lower index
///    first. A part with weight zero never receives anything.
/// 3. For a negative total, the parts of `|T|` are negated, so a refund splits
///    as the mirror image of the sale.
///
/// So the parts add back to the total exactly, each part is within one unit of
/// its exact share `T * w_i / W`, and the result depends only on the total
/// and the weights (in order), never on anything else.
///
/// The arithmetic is done in 128-bit integers, with an exact 256-bit
/// intermediate product when `T * w_i` does not fit, so there is no rounding
/// and no overflow for any total and weights that fit in 128 bits.
///
/// This is the zero-allocation primitive that [`Money::allocate`] uses for
/// minor units; use it directly to split counts at a fixed scale (for
/// example conversions in millionths).
///
/// [`Money::allocate`]: crate::Money::allocate
///
/// # Errors
///
/// * [`Error::InvalidWeights`] if `weights` is empty, if its length differs
///   from `out`'s, or if the weights sum to zero.
/// * [`Error::Overflow`] if the weights' sum does not fit in a `u128`.
///
/// # Example
///
/// ```
/// use revops::quantity::split_integer;
///
/// let mut parts = [0i128; 3];
/// split_integer(100, &[1, 1, 1], &mut parts)?;
/// assert_eq!(parts, [34, 33, 33]); // the leftover unit goes to the first tie
///
/// split_integer(-100, &[1, 1, 1], &mut parts)?;
/// assert_eq!(parts, [-34, -33, -33]);
///
/// assert!(split_integer(100, &[0, 0], &mut parts[..2]).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
pub fn split_integer(total: i128, weights: &[u64], out: &mut [i128]) -> Result<()> {
    if weights.len() != out.len() {
        return Err(Error::InvalidWeights {
            reason: "the output must have one slot per weight".into(),
        });
    }
    split_with(total, weights.len(), |i| Ok(u128::from(weights[i])), out)
}

/// The generic engine: `weight(i)` gives the `i`-th non-negative weight as a
/// `u128`; it is called twice per weight (sum, then shares), so it must be
/// cheap and pure.
pub(crate) fn split_with(
    total: i128,
    n: usize,
    weight: impl Fn(usize) -> Result<u128>,
    out: &mut [i128],
) -> Result<()> {
    if n == 0 {
        return Err(Error::InvalidWeights {
            reason: "no weights were given".into(),
        });
    }
    debug_assert_eq!(out.len(), n);
    let mut sum: u128 = 0;
    for i in 0..n {
        sum = sum
            .checked_add(weight(i)?)
            .ok_or_else(|| Error::overflow("allocate: sum of weights"))?;
    }
    if sum == 0 {
        return Err(Error::InvalidWeights {
            reason: "the weights sum to zero".into(),
        });
    }
    let t = total.unsigned_abs();
    let negative = total < 0;

    // Floors go straight into `out` (as unsigned magnitudes for now);
    // remainders go on the stack for small n, in a scratch buffer otherwise.
    let mut handed: u128 = 0;
    let mut stack = [0u128; STACK_WEIGHTS];
    let mut heap: Vec<u128> = Vec::new();
    let rems: &mut [u128] = if n <= STACK_WEIGHTS {
        &mut stack[..n]
    } else {
        heap.resize(n, 0);
        &mut heap
    };
    for (i, (slot, rem)) in out.iter_mut().zip(rems.iter_mut()).enumerate() {
        let (q, r) = mul_div_rem(t, weight(i)?, sum);
        handed += q; // the floors add up to at most t: no overflow
        *rem = r;
        // q <= t <= 2^127; only 2^127 itself (a total of i128::MIN given to a
        // single part) does not fit, and i128::MIN stands for it until the
        // sign is applied in `signed_part`.
        *slot = i128::try_from(q).unwrap_or(i128::MIN);
    }
    let mut leftover = t - handed; // < n
    if leftover > 0 {
        if n <= STACK_WEIGHTS {
            // Selection: repeatedly take the largest remaining remainder
            // (lowest index on ties). O(n * leftover), leftover < n <= 32.
            let mut taken: u32 = 0;
            while leftover > 0 {
                let mut best: Option<usize> = None;
                for (i, &r) in rems.iter().enumerate() {
                    if taken & (1 << i) != 0 || r == 0 {
                        continue;
                    }
                    match best {
                        Some(b) if rems[b] >= r => {}
                        _ => best = Some(i),
                    }
                }
                let Some(b) = best else { break };
                taken |= 1 << b;
                out[b] = bump(out[b]);
                leftover -= 1;
            }
        } else {
            let mut order: Vec<usize> = (0..n).filter(|&i| rems[i] > 0).collect();
            order.sort_by(|&a, &b| rems[b].cmp(&rems[a]).then(a.cmp(&b)));
            for &i in order
                .iter()
                .take(usize::try_from(leftover).unwrap_or(usize::MAX))
            {
                out[i] = bump(out[i]);
            }
        }
    }
    for slot in out.iter_mut() {
        *slot = signed_part(*slot, negative)?;
    }
    Ok(())
}

/// Adds one unit to a stored magnitude (with `i128::MIN` standing for 2^127).
fn bump(v: i128) -> i128 {
    // A magnitude of 2^127 never receives a leftover unit (it is the whole
    // total), so `v + 1` stays within i128 for every reachable input.
    v.saturating_add(1)
}

/// Turns a stored magnitude back into a signed part.
fn signed_part(v: i128, negative: bool) -> Result<i128> {
    match (v, negative) {
        (i128::MIN, true) => Ok(i128::MIN),
        (i128::MIN, false) => Err(Error::overflow("allocate")),
        (v, true) => Ok(-v),
        (v, false) => Ok(v),
    }
}

/// `(floor(a * b / d), a * b mod d)` exactly, for `b <= d` and `d > 0`.
pub(crate) fn mul_div_rem(a: u128, b: u128, d: u128) -> (u128, u128) {
    if let Some(p) = a.checked_mul(b) {
        return (p / d, p % d);
    }
    let (hi, lo) = wide_mul(a, b);
    // b <= d implies a * b / d <= a < 2^128, so hi < d and the quotient fits.
    let mut rem = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    (q, rem)
}

/// The full 256-bit product of two `u128`s, as `(high, low)`.
fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & M);
    let (b1, b0) = (b >> 64, b & M);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_division_matches_narrow_when_both_apply() {
        let cases = [
            (u128::MAX, 3, 7),
            (u128::MAX / 3, u128::MAX / 5, u128::MAX / 4),
            (1 << 100, 1 << 90, (1 << 91) + 17),
        ];
        for (a, b, d) in cases {
            let (q, r) = mul_div_rem(a, b, d);
            // Check q * d + r == a * b in 256 bits.
            let (ph, pl) = wide_mul(a, b);
            let (qh, ql) = wide_mul(q, d);
            let (sum_lo, c) = ql.overflowing_add(r);
            assert_eq!((qh + u128::from(c), sum_lo), (ph, pl));
            assert!(r < d);
        }
    }

    #[test]
    fn extreme_totals() {
        let mut out = [0i128; 1];
        split_integer(i128::MIN, &[5], &mut out).unwrap();
        assert_eq!(out, [i128::MIN]);
        let mut out = [0i128; 2];
        split_integer(i128::MIN, &[1, 1], &mut out).unwrap();
        assert_eq!(out, [i128::MIN / 2, i128::MIN / 2]);
        split_integer(i128::MAX, &[u64::MAX, 1], &mut out).unwrap();
        assert_eq!(out[0] + out[1], i128::MAX);
    }
}
