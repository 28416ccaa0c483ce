//! The crate's one quantile rule, and an exact, mergeable distribution.
//!
//! # The rule
//!
//! revops defines the `p`-quantile of `n` sorted values `x[0] <= ... <=
//! x[n-1]` by **linear interpolation between closest ranks** (Hyndman and
//! Fan's type 7; the default of NumPy and R, and PostgreSQL's
//! `percentile_cont`):
//!
//! ```text
//! h = (n - 1) * p
//! Q(p) = x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])
//! ```
//!
//! So the median of an even count is the mean of the two middle values, the
//! 0-quantile is the minimum and the 1-quantile the maximum. The result is an
//! exact `Decimal` (the values are integers and `p` a decimal), never a float.
//! Every median and p90 in revops (sales cycle, speed to lead, time to
//! convert) uses this rule through [`Distribution`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Ratio;

/// An exact distribution of integer values (seconds, days, minor units):
/// a count per distinct value, so medians and p90s are exact and two
/// distributions merge without loss.
///
/// Memory grows with the number of *distinct* values, not the number of
/// observations: durations counted in whole seconds over a week have at
/// most 604,801 distinct values.
///
/// # JSON form
///
/// `{"counts": [[value, count], ...]}`, values ascending (the state, so a
/// partial result computed elsewhere can be shipped and merged).
///
/// # Example
///
/// ```
/// use revops::quantity::Distribution;
/// use revops::dec;
///
/// let mut a = Distribution::try_from_values([10, 20])?;
/// let b = Distribution::try_from_values([30, 40])?;
/// a.merge(&b)?;
/// assert_eq!(a.median(), Some(dec!(25))); // mean of the two middle values
/// assert_eq!(a.p90(), Some(dec!(37)));    // 30 + 0.7 * (40 - 30)
/// assert_eq!(a.mean(), Some(dec!(25)));
/// assert_eq!(Distribution::new().median(), None);
/// // Counts never saturate: past u64::MAX observations is an error.
/// let mut full = Distribution::new();
/// full.try_add_n(1, u64::MAX)?;
/// assert!(full.add(2).is_err());
/// assert!(full.clone().merge(&a).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "DistributionRepr", into = "DistributionRepr")
)]
pub struct Distribution {
    counts: BTreeMap<i64, u64>,
    n: u64,
    sum: i128,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DistributionRepr {
    counts: Vec<(i64, u64)>,
}

#[cfg(feature = "serde")]
impl TryFrom<DistributionRepr> for Distribution {
    type Error = crate::error::Error;
    fn try_from(r: DistributionRepr) -> crate::error::Result<Distribution> {
        let mut d = Distribution::new();
        for (v, c) in r.counts {
            d.try_add_n(v, c)?;
        }
        Ok(d)
    }
}

#[cfg(feature = "serde")]
impl From<Distribution> for DistributionRepr {
    fn from(d: Distribution) -> DistributionRepr {
        DistributionRepr {
            counts: d.counts.into_iter().collect(),
        }
    }
}

impl Distribution {
    /// An empty distribution.
    pub fn new() -> Distribution {
        Distribution::default()
    }

    /// A distribution of `values`.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) past `u64::MAX`
    /// observations.
    pub fn try_from_values(
        values: impl IntoIterator<Item = i64>,
    ) -> crate::error::Result<Distribution> {
        let mut d = Distribution::new();
        for v in values {
            d.add(v)?;
        }
        Ok(d)
    }

    /// Records one observation.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) if the count would pass
    /// `u64::MAX`; the distribution is then unchanged (no observation is
    /// ever dropped silently).
    pub fn add(&mut self, value: i64) -> crate::error::Result<()> {
        self.try_add_n(value, 1)
    }

    /// Records `count` observations of `value`.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) if the total count
    /// would pass `u64::MAX`; the distribution is then unchanged.
    pub fn try_add_n(&mut self, value: i64, count: u64) -> crate::error::Result<()> {
        if count == 0 {
            return Ok(());
        }
        let n = self
            .n
            .checked_add(count)
            .ok_or_else(|| crate::error::Error::overflow("distribution: count"))?;
        // |value| < 2^63 and count < 2^64: each term is below 2^127, and the
        // running sum of up to 2^64 observations of |v| < 2^63 stays within
        // i128 (2^127), so these cannot overflow.
        let add = i128::from(value) * i128::from(count);
        let sum = self
            .sum
            .checked_add(add)
            .ok_or_else(|| crate::error::Error::overflow("distribution: sum"))?;
        *self.counts.entry(value).or_insert(0) += count;
        self.n = n;
        self.sum = sum;
        Ok(())
    }

    /// Adds every observation of `other` (the merge of two partial states).
    /// Merging is associative and commutative: any split of the input gives
    /// the same distribution.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) if the merged count or
    /// sum would overflow; `self` is then unchanged.
    pub fn merge(&mut self, other: &Distribution) -> crate::error::Result<()> {
        let n = self
            .n
            .checked_add(other.n)
            .ok_or_else(|| crate::error::Error::overflow("distribution: count"))?;
        let sum = self
            .sum
            .checked_add(other.sum)
            .ok_or_else(|| crate::error::Error::overflow("distribution: sum"))?;
        // Each value's count is at most the total, which fits: no overflow.
        for (&v, &c) in &other.counts {
            let e = self.counts.entry(v).or_insert(0);
            *e = e.saturating_add(c);
        }
        self.n = n;
        self.sum = sum;
        Ok(())
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Whether there are no observations.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The smallest observation.
    pub fn min(&self) -> Option<i64> {
        self.counts.keys().next().copied()
    }

    /// The largest observation.
    pub fn max(&self) -> Option<i64> {
        self.counts.keys().next_back().copied()
    }

    /// The exact arithmetic mean, or `None` when empty.
    pub fn mean(&self) -> Option<Decimal> {
        if self.n == 0 {
            return None;
        }
        // One correctly rounded division when the sum fits a Decimal (always,
        // in practice); otherwise whole part and fraction separately.
        if let Ok(sum) = Decimal::try_from_i128_with_scale(self.sum, 0) {
            return sum
                .checked_div(Decimal::from(self.n))
                .map(|d| d.normalize());
        }
        let n = i128::from(self.n);
        let (q, r) = (self.sum.div_euclid(n), self.sum.rem_euclid(n));
        // The mean of i64 values lies within the i64 range, so q fits; r < n.
        let q = Decimal::from(i64::try_from(q).ok()?);
        let frac = Decimal::from(u64::try_from(r).ok()?).checked_div(Decimal::from(self.n))?;
        q.checked_add(frac).map(|d| d.normalize())
    }

    /// The `p`-quantile under the crate's rule (see [Quantiles](crate#quantiles) in the crate docs),
    /// or `None` when empty.
    ///
    /// ```
    /// use revops::{quantity::Distribution, Ratio};
    /// use revops::dec;
    /// let d = Distribution::try_from_values([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])?;
    /// assert_eq!(d.quantile(Ratio::new(dec!(0.9))?), Some(dec!(9.1)));
    /// assert_eq!(d.quantile(Ratio::ZERO), Some(dec!(1)));
    /// assert_eq!(d.quantile(Ratio::ONE), Some(dec!(10)));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn quantile(&self, p: Ratio) -> Option<Decimal> {
        interpolate(self.n, p, |k| self.nth(k))
    }

    /// The median (the 0.5-quantile), or `None` when empty.
    pub fn median(&self) -> Option<Decimal> {
        self.quantile(Ratio::from_counts(1, 2).unwrap_or(Ratio::ZERO))
    }

    /// The 90th percentile, or `None` when empty.
    pub fn p90(&self) -> Option<Decimal> {
        self.quantile(Ratio::from_counts(9, 10).unwrap_or(Ratio::ZERO))
    }

    /// The value of 0-based rank `k` in sorted order.
    fn nth(&self, k: u64) -> Option<i64> {
        let mut seen = 0u64;
        for (&v, &c) in &self.counts {
            seen += c;
            if k < seen {
                return Some(v);
            }
        }
        None
    }

    /// The distinct values with their counts, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.counts.iter().map(|(&v, &c)| (v, c))
    }
}

/// The crate's quantile rule over `n` values, the `k`-th smallest of which
/// (0-based) `nth(k)` returns. `None` when `n` is zero.
fn interpolate(n: u64, p: Ratio, nth: impl Fn(u64) -> Option<i64>) -> Option<Decimal> {
    if n == 0 {
        return None;
    }
    let h = Decimal::from(n - 1).checked_mul(p.value())?;
    let lo_rank = h.floor();
    let frac = h - lo_rank;
    let lo_rank = u64::try_from(lo_rank).ok()?;
    let lo = nth(lo_rank)?;
    if frac.is_zero() {
        return Some(Decimal::from(lo));
    }
    let hi = nth(lo_rank + 1)?;
    let diff = Decimal::from(i128::from(hi) - i128::from(lo));
    let v = Decimal::from(lo).checked_add(frac.checked_mul(diff)?)?;
    Some(v.normalize())
}

/// The crate's quantile rule over `n` values given by rank (see
/// [`Distribution`]): for callers that hold values in another form.
pub(crate) fn quantile_by_rank(
    n: u64,
    p: Ratio,
    nth: impl Fn(u64) -> Option<i64>,
) -> Option<Decimal> {
    interpolate(n, p, nth)
}

/// The crate's quantile rule at p = 1/2 for decimals already sorted (deal
/// sizes, say): the middle value, or the mean of the two middle values for
/// an even count, their sum exact. The same rule as
/// [`Distribution::median`] (a property test holds them equal on whole
/// numbers), for values that are not integers.
pub(crate) fn median_of_sorted(sorted: &[Decimal]) -> Option<Decimal> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        Some(sorted[n / 2])
    } else {
        let s = super::exact::add(sorted[n / 2 - 1], sorted[n / 2])?;
        s.checked_div(Decimal::TWO)
    }
}

/// The exact mean of `n` values summing to `sum`, as
/// [`Distribution::mean`] computes it.
pub(crate) fn mean_from_sum(sum: i128, n: u64) -> Option<Decimal> {
    let d = Distribution {
        counts: BTreeMap::new(),
        n,
        sum,
    };
    d.mean()
}

/// Sorts durations with an LSD radix sort (two passes) when they are
/// non-negative and below 2^32 (the usual case: seconds within a window),
/// and with the standard sort otherwise.
pub(crate) fn sort_i64(v: &mut [i64]) {
    if v.len() < 512 {
        v.sort_unstable();
        return;
    }
    let (min, max) = v
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    if min < 0 || max >= 1 << 32 {
        v.sort_unstable();
        return;
    }
    let bits = 64 - (max as u64).leading_zeros();
    let digit = bits.div_ceil(2).max(1);
    let mask = (1u64 << digit) - 1;
    let mut buf = vec![0i64; v.len()];
    let mut count = vec![0usize; (1 << digit) + 1];
    for pass in 0..2u32 {
        let shift = pass * digit;
        let (src, dst): (&mut [i64], &mut [i64]) = if pass == 0 {
            (&mut *v, &mut buf)
        } else {
            (&mut buf, &mut *v)
        };
        count.fill(0);
        for &x in src.iter() {
            count[((x as u64 >> shift) & mask) as usize + 1] += 1;
        }
        for i in 1..count.len() {
            count[i] += count[i - 1];
        }
        for &x in src.iter() {
            let d = ((x as u64 >> shift) & mask) as usize;
            dst[count[d]] = x;
            count[d] += 1;
        }
    }
}

/// Mean, median and p90 of an ascending slice, by the crate's rules.
pub(crate) fn sorted_stats(sorted: &[i64]) -> Option<(Decimal, Decimal, Decimal)> {
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let sum: i128 = sorted.iter().map(|&v| i128::from(v)).sum();
    let nth = |k: u64| usize::try_from(k).ok().and_then(|k| sorted.get(k).copied());
    Some((
        mean_from_sum(sum, n)?,
        interpolate(n, Ratio::from_counts(1, 2).ok()?, nth)?,
        interpolate(n, Ratio::from_counts(9, 10).ok()?, nth)?,
    ))
}

#[cfg(test)]
mod median_tests {
    use super::{median_of_sorted, Distribution};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// The decimal median and the distribution's median are one rule:
        /// equal on whole numbers, odd and even counts, ties included.
        #[test]
        fn decimal_median_is_the_distribution_median(mut v in prop::collection::vec(-1_000_000i64..1_000_000, 0..40)) {
            v.sort_unstable();
            let d = Distribution::try_from_values(v.iter().copied()).unwrap();
            let dec: Vec<Decimal> = v.iter().map(|&x| Decimal::from(x)).collect();
            prop_assert_eq!(median_of_sorted(&dec).map(|m| m.normalize()), d.median().map(|m| m.normalize()));
        }
    }
}

#[cfg(test)]
mod sort_tests {
    use super::sort_i64;

    /// The radix path (512 values and more, all in [0, 2^32)) and the
    /// fallbacks (negatives, 2^32 and above) sort as the standard sort
    /// does, at every size around the threshold and every value range.
    #[test]
    fn sort_i64_equals_the_standard_sort() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [0usize, 1, 511, 512, 513, 1_000, 4_096] {
            for range in [1u64, 3, 1_000, 1 << 20, (1 << 32) - 1, 1 << 32, 1 << 40] {
                for negative in [false, true] {
                    let mut v: Vec<i64> = (0..n)
                        .map(|_| {
                            let x = (next() % range.max(1)) as i64;
                            if negative && next() % 5 == 0 {
                                -x - 1
                            } else {
                                x
                            }
                        })
                        .collect();
                    if n > 0 && range == (1 << 32) - 1 {
                        v[0] = (1 << 32) - 1; // the largest value the radix path takes
                    }
                    let mut want = v.clone();
                    want.sort_unstable();
                    sort_i64(&mut v);
                    assert_eq!(v, want, "n = {n}, range = {range}, negative = {negative}");
                }
            }
        }
    }
}
