//! Exact integer splitting: the engine behind [`Money::allocate`](crate::Money::allocate).

use crate::error::{Error, Result};

/// Splits `total` into `out.len()` integer parts in proportion to `weights`,
/// exactly.
///
/// The rule (**cumulative rounding**): with `W` the sum of the weights and
/// `C_i = w_0 + ... + w_i` the running sums, part `i` is
///
/// ```text
/// part_i = round(T * C_i / W) - round(T * C_(i-1) / W)      (round(T * C_(-1) / W) = 0)
/// ```
///
/// where `round` is to the nearest integer, halves to even. So:
///
/// * the parts add back to `T` exactly (the last running sum is `W`, and
///   `round(T) = T`);
/// * each part is within one unit of its exact share `T * w_i / W` (both
///   roundings move by at most half a unit);
/// * a zero weight gets exactly zero;
/// * no position is favoured on average: unlike flooring every share and
///   handing the rest to the first or last part, the leftover units land
///   where the running total crosses a half (exact halves go to the even
///   neighbour, so they alternate), and first-touch and last-touch credit
///   are not biased by the split;
/// * it is deterministic: the result depends on the total and the weights
///   in order, and nothing else.
///
/// A negative total is split as `|T|` and every part negated, so a refund
/// splits as the mirror image of the sale.
///
/// The arithmetic is exact in 128-bit integers (with a 256-bit intermediate
/// product when needed), costs one multiply-divide per weight, and uses no
/// heap.
///
/// This is the primitive that [`Money::allocate`] uses for minor units; use
/// it directly to split counts at a fixed scale (for example conversions in
/// millionths).
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
/// // Running shares 33.3, 66.7, 100 round to 33, 67, 100:
/// split_integer(100, &[1, 1, 1], &mut parts)?;
/// assert_eq!(parts, [33, 34, 33]);
///
/// split_integer(-100, &[1, 1, 1], &mut parts)?;
/// assert_eq!(parts, [-33, -34, -33]);
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
    split_with(
        total,
        weights.len(),
        |i| Ok(u128::from(weights[i])),
        |i, part| {
            out[i] = part;
            Ok(())
        },
    )
}

/// The generic engine: `weight(i)` gives the `i`-th non-negative weight as a
/// `u128` (or an error). It is called twice per weight (the sum, then the
/// running sums), so it must be cheap and pure. `emit(i, part)` receives the
/// parts in order.
#[inline]
pub(crate) fn split_with(
    total: i128,
    n: usize,
    weight: impl Fn(usize) -> Result<u128>,
    mut emit: impl FnMut(usize, i128) -> Result<()>,
) -> Result<()> {
    if n == 0 {
        return Err(Error::InvalidWeights {
            reason: "no weights were given".into(),
        });
    }
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
    let mut running: u128 = 0;
    let mut prev: u128 = 0;
    // Fast path: when every product t * running stays below 2^52, a
    // floating-point reciprocal of the sum estimates each quotient to within
    // one, and integer arithmetic corrects it exactly, without a division
    // per weight.
    const FAST: u128 = 1 << 52;
    if sum < FAST && t.checked_mul(sum).is_some_and(|p| p < FAST) {
        let (t, d) = (t as i64, sum as i64);
        let inv = 1.0 / d as f64;
        let mut running: i64 = 0;
        let mut prev: i64 = 0;
        for i in 0..n {
            running += weight(i)? as i64;
            let p = t * running;
            let mut q = (p as f64 * inv) as i64;
            let mut r = p - q * d;
            // Branch-free correction of the estimate by one either way.
            let low = i64::from(r < 0);
            q -= low;
            r += d * low;
            let high = i64::from(r >= d);
            q += high;
            r -= d * high;
            let half = d - r;
            let rounded = q + i64::from(r > half || (r == half && q % 2 == 1));
            emit(i, signed_part((rounded - prev) as u128, total < 0)?)?;
            prev = rounded;
        }
        return Ok(());
    }
    for i in 0..n {
        // The running sum never exceeds `sum`, which fitted.
        running += weight(i)?;
        let (q, r) = mul_div_rem(t, running, sum);
        // Round half to even: up when the remainder is more than half of W,
        // or exactly half and the floor is odd.
        let half = sum - r;
        let rounded = q + u128::from(r > half || (r == half && q % 2 == 1));
        // rounded - prev <= t <= 2^127.
        emit(i, signed_part(rounded - prev, total < 0)?)?;
        prev = rounded;
    }
    Ok(())
}

/// Turns a part's magnitude (at most 2^127) into a signed part.
fn signed_part(magnitude: u128, negative: bool) -> Result<i128> {
    if negative {
        0i128
            .checked_sub_unsigned(magnitude)
            .ok_or_else(|| Error::overflow("allocate"))
    } else {
        i128::try_from(magnitude).map_err(|_| Error::overflow("allocate"))
    }
}

/// `(floor(a * b / d), a * b mod d)` exactly, for `b <= d` and `d > 0`.
#[inline]
pub(crate) fn mul_div_rem(a: u128, b: u128, d: u128) -> (u128, u128) {
    if let Some(p) = a.checked_mul(b) {
        // 64-bit division is several times faster than the 128-bit routine,
        // and money in minor units times fixed-point weights usually fits.
        if let (Ok(p64), Ok(d64)) = (u64::try_from(p), u64::try_from(d)) {
            let q = p64 / d64;
            return (u128::from(q), u128::from(p64 - q * d64));
        }
        let q = p / d;
        return (q, p - q * d);
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

/// Splits `total` into parts proportional to signed `weights` whose sum is
/// not zero, exactly: cumulative rounding (half to even) of the running
/// share, as [`split_integer`] does for non-negative weights. Used for
/// credits that can be negative (the conversion-rate Shapley value).
pub(crate) fn split_signed(total: i128, weights: &[i128]) -> Result<Vec<i128>> {
    // total × running sum must fit in i128: the weights (fixed-point
    // images of real numbers) give up low bits when the total is large.
    let abs_sum = weights
        .iter()
        .try_fold(0u128, |a, &w| a.checked_add(w.unsigned_abs()))
        .ok_or_else(|| Error::overflow("split: weights"))?;
    let bits = |x: u128| 128 - x.leading_zeros();
    let excess = (bits(total.unsigned_abs()) + bits(abs_sum)).saturating_sub(126);
    let shifted: Vec<i128>;
    let weights = if excess > 0 {
        shifted = weights.iter().map(|&w| w >> excess).collect();
        &shifted[..]
    } else {
        weights
    };
    let sum: i128 = weights
        .iter()
        .try_fold(0i128, |a, &w| a.checked_add(w))
        .ok_or_else(|| Error::overflow("split: weights"))?;
    if sum == 0 {
        return Err(Error::InvalidWeights {
            reason: "the weights sum to zero".into(),
        });
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut running: i128 = 0;
    let mut prev: i128 = 0;
    for &w in weights {
        running = running
            .checked_add(w)
            .ok_or_else(|| Error::overflow("split: weights"))?;
        // round(total * running / sum), half to even, in i128 with checks.
        let num = total
            .checked_mul(running)
            .ok_or_else(|| Error::overflow("split"))?;
        let rounded = div_round_half_even(num, sum);
        out.push(rounded - prev);
        prev = rounded;
    }
    Ok(out)
}

fn div_round_half_even(num: i128, den: i128) -> i128 {
    let (mut q, mut r) = (num / den, num % den);
    // Make the remainder's sign follow the denominator's for comparison.
    if r != 0 && ((r < 0) != (den < 0)) {
        q -= 1;
        r += den;
    }
    // Now 0 <= r/den < 1: q = floor(num/den).
    let twice = r.unsigned_abs() * 2;
    let d = den.unsigned_abs();
    if twice > d || (twice == d && q % 2 != 0) {
        q + 1
    } else {
        q
    }
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

    /// The signed rule computed independently: the running share
    /// `total × Rₖ / sum` rounded half to even with Euclidean division
    /// after making the denominator positive.
    fn reference_signed(total: i128, weights: &[i128]) -> Vec<i128> {
        let sum: i128 = weights.iter().sum();
        let (mut running, mut prev, mut out) = (0i128, 0i128, Vec::new());
        for &w in weights {
            running += w;
            let (mut num, mut den) = (total * running, sum);
            if den < 0 {
                num = -num;
                den = -den;
            }
            let (q, r) = (num.div_euclid(den), num.rem_euclid(den));
            let rounded = if 2 * r > den || (2 * r == den && q.rem_euclid(2) == 1) {
                q + 1
            } else {
                q
            };
            out.push(rounded - prev);
            prev = rounded;
        }
        out
    }

    proptest::proptest! {
        /// Signed splits (negative totals, negative weights, negative
        /// sums, exact halves) follow the rule and add back exactly.
        #[test]
        fn split_signed_matches_the_rule(total in -1_000i128..1_000, weights in proptest::collection::vec(-6i128..7, 1..8)) {
            let sum: i128 = weights.iter().sum();
            proptest::prop_assume!(sum != 0);
            let got = split_signed(total, &weights).unwrap();
            proptest::prop_assert_eq!(got.iter().sum::<i128>(), total);
            proptest::prop_assert_eq!(got, reference_signed(total, &weights));
        }
    }

    #[test]
    fn signed_halves_go_to_even() {
        // 3 split over weights (1, 1): running shares 1.5 → 2, 3 → 3.
        assert_eq!(split_signed(3, &[1, 1]).unwrap(), vec![2, 1]);
        assert_eq!(split_signed(-3, &[1, 1]).unwrap(), vec![-2, -1]);
        // A negative sum: 5 × (−1) / (−2) = 2.5 → 2; then 5.
        assert_eq!(split_signed(5, &[-1, -1]).unwrap(), vec![2, 3]);
        // Remainders of the other sign than the denominator: −7 × 1 / 3.
        assert_eq!(
            split_signed(-7, &[1, 2]).unwrap(),
            reference_signed(-7, &[1, 2])
        );
        assert!(split_signed(5, &[1, -1]).is_err());
    }
}
