//! Histograms of integer observations (times in ticks): the rule that
//! places bin edges, log-spaced or given, and the rule that puts a value
//! in a bin.

use chrono::TimeDelta;

use crate::error::{Error, Result};

use super::TimeUnit;

/// The most bins [`TimeBins::Auto`] takes, and the most bounds
/// [`TimeBins::Bounds`] takes.
pub const MAX_BINS: usize = 1_000;

/// How to choose the bins of a histogram of durations.
///
/// * `Auto(n)`: `n` bins (1 to [`MAX_BINS`]) log-spaced from the smallest
///   to the largest value observed ([`BinEdges::log_spaced`]);
/// * `CubeRoot`: as `Auto`, with as many bins as the cube root of the
///   number of values, rounded up, 1 to 60 (more values, finer bins);
/// * `Bounds(b)`: the bins `[0, b1)`, `[b1, b2)`, ..., `[bk, ∞)` for the
///   rising positive durations `b` ([`BinEdges::from_bounds`]).
///
/// JSON: `{"auto": 12}`, `"cube_root"` or `{"bounds_seconds": ["60",
/// "3600", "86400"]}`.
///
/// ```
/// use revops::quantity::TimeBins;
/// use revops::TimeDelta;
/// let auto = TimeBins::auto(12)?;
/// let hour_day = TimeBins::bounds(vec![TimeDelta::hours(1), TimeDelta::days(1)])?;
/// assert!(TimeBins::auto(0).is_err());
/// assert!(TimeBins::bounds(vec![TimeDelta::days(1), TimeDelta::hours(1)]).is_err());
/// # let _ = (auto, hour_day);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(into = "TimeBinsRepr", try_from = "TimeBinsRepr")
)]
pub enum TimeBins {
    /// This many bins, log-spaced between the smallest and the largest
    /// value.
    Auto(u16),
    /// Log-spaced bins, as many as the cube root of the number of values
    /// (1 to 60).
    CubeRoot,
    /// Bins bounded by these durations (positive, strictly rising).
    Bounds(Vec<TimeDelta>),
}

impl TimeBins {
    /// `n` log-spaced bins.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `n` of 0 or above [`MAX_BINS`].
    pub fn auto(n: usize) -> Result<TimeBins> {
        if n == 0 || n > MAX_BINS {
            return Err(Error::invalid(
                "histogram bins",
                format!("1 to {MAX_BINS} bins, not {n}"),
            ));
        }
        Ok(TimeBins::Auto(n as u16))
    }

    /// Bins bounded by `bounds`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless `bounds` holds 1 to [`MAX_BINS`]
    /// positive, strictly rising durations.
    pub fn bounds(bounds: Vec<TimeDelta>) -> Result<TimeBins> {
        if bounds.is_empty() || bounds.len() > MAX_BINS {
            return Err(Error::invalid(
                "histogram bins",
                format!("1 to {MAX_BINS} bounds, not {}", bounds.len()),
            ));
        }
        if bounds[0] <= TimeDelta::zero() || bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "histogram bins",
                "the bounds must be positive and strictly rising",
            ));
        }
        Ok(TimeBins::Bounds(bounds))
    }

    /// The edges for `count` values in ticks of `unit` whose smallest and
    /// largest are `lo` and `hi`.
    ///
    /// ```
    /// use revops::quantity::{TimeBins, TimeUnit};
    /// // 1,000 values: 10 bins.
    /// assert_eq!(TimeBins::CubeRoot.edges(TimeUnit::Second, 0, 1 << 20, 1_000).bins(), 10);
    /// assert_eq!(TimeBins::CubeRoot.edges(TimeUnit::Second, 0, 1 << 20, 1_001).bins(), 11);
    /// ```
    pub fn edges(&self, unit: TimeUnit, lo: i64, hi: i64, count: u64) -> BinEdges {
        match self {
            TimeBins::Auto(n) => BinEdges::log_spaced(usize::from(*n), lo, hi),
            TimeBins::CubeRoot => BinEdges::log_spaced(cube_root_ceil(count).clamp(1, 60), lo, hi),
            TimeBins::Bounds(b) => {
                let ticks: Vec<i64> = b.iter().map(|&d| unit.ceil_ticks_of(d)).collect();
                BinEdges::from_bounds(&ticks)
            }
        }
    }
}

/// The smallest `k` with `k³ >= n`, exactly.
fn cube_root_ceil(n: u64) -> usize {
    let mut k = (n as f64).cbrt() as u64;
    while k.checked_pow(3).is_some_and(|c| c < n) {
        k += 1;
    }
    while k > 0 && (k - 1).checked_pow(3).is_some_and(|c| c >= n) {
        k -= 1;
    }
    usize::try_from(k).unwrap_or(usize::MAX)
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum TimeBinsRepr {
    Auto(usize),
    CubeRoot,
    BoundsSeconds(Vec<rust_decimal::Decimal>),
}

#[cfg(feature = "serde")]
impl From<TimeBins> for TimeBinsRepr {
    fn from(b: TimeBins) -> TimeBinsRepr {
        match b {
            TimeBins::Auto(n) => TimeBinsRepr::Auto(usize::from(n)),
            TimeBins::CubeRoot => TimeBinsRepr::CubeRoot,
            TimeBins::Bounds(b) => TimeBinsRepr::BoundsSeconds(
                b.iter()
                    .map(|d| {
                        let nanos = i128::from(d.num_seconds()) * 1_000_000_000
                            + i128::from(d.subsec_nanos());
                        // Below 2^96 (a TimeDelta is below 2^63 ms).
                        rust_decimal::Decimal::from_i128_with_scale(nanos, 9).normalize()
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<TimeBinsRepr> for TimeBins {
    type Error = Error;
    fn try_from(r: TimeBinsRepr) -> Result<TimeBins> {
        match r {
            TimeBinsRepr::Auto(n) => TimeBins::auto(n),
            TimeBinsRepr::CubeRoot => Ok(TimeBins::CubeRoot),
            TimeBinsRepr::BoundsSeconds(b) => {
                let mut out = Vec::with_capacity(b.len());
                for s in b {
                    let nanos = s
                        .checked_mul(rust_decimal::Decimal::from(1_000_000_000))
                        .filter(|n| n.fract().is_zero())
                        .and_then(|n| i64::try_from(n).ok())
                        .ok_or_else(|| {
                            Error::invalid(
                                "histogram bins",
                                format!("bound {s} is not a whole number of nanoseconds below 292 years"),
                            )
                        })?;
                    out.push(TimeDelta::nanoseconds(nanos));
                }
                TimeBins::bounds(out)
            }
        }
    }
}

/// The edges of a histogram over integers: bin `i` holds the values in
/// `[edges[i], edges[i + 1])`, and the last bin also its upper edge (so
/// the largest value of a log-spaced histogram is in it). An upper edge
/// of `i64::MAX` is an open end.
///
/// ```
/// use revops::quantity::BinEdges;
/// let e = BinEdges::log_spaced(3, 0, 999);
/// // Log-spaced over value + 1: 1, 10, 100, 1000.
/// assert_eq!(e.edges(), &[0, 9, 99, 999]);
/// assert_eq!(e.bin_of(0), Some(0));
/// assert_eq!(e.bin_of(99), Some(2));
/// assert_eq!(e.bin_of(999), Some(2));
/// assert_eq!(e.bin_of(1000), None);
/// let b = BinEdges::from_bounds(&[60, 3_600]);
/// assert_eq!(b.edges(), &[0, 60, 3_600, i64::MAX]);
/// assert_eq!(b.bin_of(1 << 40), Some(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinEdges(Vec<i64>);

impl BinEdges {
    /// `n` bins (at least 1) log-spaced from `lo` to `hi` (`lo <= hi`,
    /// both at least 0; swapped if not): the edges are `e_i = round((lo +
    /// 1) · ((hi + 1) / (lo + 1))^(i / n)) − 1` for `i` in `0..=n`
    /// (spacing the logarithm of `value + 1`, so that 0 has a place),
    /// computed in `f64`, kept within `[lo, hi]` with the ends exact,
    /// and with repeated edges merged (fewer bins, never an empty
    /// width). `lo == hi` is one bin holding that value.
    pub fn log_spaced(n: usize, lo: i64, hi: i64) -> BinEdges {
        let (lo, hi) = (lo.clamp(0, hi.max(0)), hi.max(lo).max(0));
        let n = n.max(1);
        if lo == hi {
            return BinEdges(vec![lo, hi]);
        }
        let a = (lo as f64 + 1.0).ln();
        let b = (hi as f64 + 1.0).ln();
        let mut edges = Vec::with_capacity(n + 1);
        edges.push(lo);
        for i in 1..n {
            let x = (a + (b - a) * (i as f64) / (n as f64)).exp().round() - 1.0;
            // `as` saturates; the clamp keeps the edges within the ends.
            let e = (x as i64).clamp(lo, hi);
            if edges.last() != Some(&e) {
                edges.push(e);
            }
        }
        if edges.last() != Some(&hi) {
            edges.push(hi);
        }
        BinEdges(edges)
    }

    /// Bins `[0, b1)`, `[b1, b2)`, ..., `[bk, ∞)` for rising positive
    /// `bounds` (bounds out of order or not positive are skipped).
    pub fn from_bounds(bounds: &[i64]) -> BinEdges {
        let mut edges = vec![0];
        for &b in bounds {
            if edges.last().is_some_and(|&l| b > l) && b < i64::MAX {
                edges.push(b);
            }
        }
        edges.push(i64::MAX);
        BinEdges(edges)
    }

    /// The edges, rising: one more than the bins.
    pub fn edges(&self) -> &[i64] {
        &self.0
    }

    /// The number of bins.
    pub fn bins(&self) -> usize {
        self.0.len().saturating_sub(1)
    }

    /// The bin holding `x`, if any.
    #[inline]
    pub fn bin_of(&self, x: i64) -> Option<usize> {
        let e = &self.0;
        let last = *e.last()?;
        if x < *e.first()? || x > last {
            return None;
        }
        // Edges at or below x, minus one; the upper edge is in the last bin.
        let i = e.partition_point(|&v| v <= x);
        Some((i - 1).min(self.bins().saturating_sub(1)))
    }
}

/// A table that gives a value's bin of a [`BinEdges`] in one look-up and
/// at most one comparison, for counting millions of values; the same
/// answer as [`BinEdges::bin_of`].
///
/// Values from 0 to `max` are keyed on a log scale (as a float's exponent
/// and mantissa: every value below 2^8 has a key of its own, larger ones
/// share a key with the values of the same top 9 bits, a relative width
/// below 0.4%), so that log-spaced edges, dense near 0, rarely share a
/// key. A key whose values all fall in one bin holds that bin; a key
/// with one edge inside holds the bin below it and a flag (one
/// comparison with that edge decides); any other value is looked up in
/// the edges.
#[derive(Clone, Debug)]
pub(crate) struct BinIndex {
    edges: BinEdges,
    max: i64,
    table: Vec<u32>,
}

impl BinIndex {
    /// Mantissa bits of a key.
    const M: u32 = 8;
    /// A key whose values straddle one edge: the bin below, flagged.
    const ONE_EDGE: u32 = 1 << 31;

    /// The key of `x` in `0..=i64::MAX` (monotone in `x`).
    #[inline]
    fn key(x: u64) -> usize {
        if x < 1 << Self::M {
            return x as usize;
        }
        let e = 63 - x.leading_zeros();
        let g = u64::from(e - Self::M + 1);
        ((g << Self::M) | ((x >> (e - Self::M)) & ((1 << Self::M) - 1))) as usize
    }

    /// The first and the last value of key `k`.
    fn range(k: usize) -> (i64, i64) {
        let k = k as u64;
        if k < 1 << Self::M {
            return (k as i64, k as i64);
        }
        let g = k >> Self::M;
        let mant = k & ((1 << Self::M) - 1);
        let lo = ((1 << Self::M) | mant) << (g - 1);
        (lo as i64, (lo + (1 << (g - 1)) - 1) as i64)
    }

    /// The index of `edges` for values up to `max`.
    pub(crate) fn new(edges: &BinEdges, max: i64) -> BinIndex {
        let max = max.max(0);
        let table = (0..=Self::key(max as u64))
            .map(|k| {
                let (lo, hi) = Self::range(k);
                match (edges.bin_of(lo), edges.bin_of(hi.min(max))) {
                    (Some(x), Some(y)) if x == y => x as u32,
                    // One edge inside, `edges[x + 1]`.
                    (Some(x), Some(y)) if y == x + 1 && x < (Self::ONE_EDGE as usize) => {
                        x as u32 | Self::ONE_EDGE
                    }
                    _ => u32::MAX,
                }
            })
            .collect();
        BinIndex {
            edges: edges.clone(),
            max,
            table,
        }
    }

    /// [`BinEdges::bin_of`].
    #[inline]
    pub(crate) fn bin_of(&self, x: i64) -> Option<usize> {
        if (0..=self.max).contains(&x) {
            let t = self.table[Self::key(x as u64)];
            if t != u32::MAX {
                if t & Self::ONE_EDGE == 0 {
                    return Some(t as usize);
                }
                let b = (t & !Self::ONE_EDGE) as usize;
                let above = self.edges.0.get(b + 1).is_some_and(|&e| x >= e);
                return Some(b + usize::from(above));
            }
        }
        self.edges.bin_of(x)
    }

    /// The edges.
    pub(crate) fn edges(&self) -> &BinEdges {
        &self.edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every value from the smallest to the largest is in exactly the
        /// bin whose edges hold it; the edges rise strictly; the ends are
        /// exact.
        #[test]
        fn log_spaced_bins_cover_the_range(
            n in 1usize..50,
            lo in 0i64..1 << 40,
            width in prop_oneof![0i64..100, 0i64..1 << 50, Just(i64::MAX / 2)],
            probes in prop::collection::vec(any::<u64>(), 1..40),
        ) {
            let hi = lo.saturating_add(width);
            let e = BinEdges::log_spaced(n, lo, hi);
            let v = e.edges();
            prop_assert_eq!(v[0], lo);
            prop_assert_eq!(*v.last().unwrap(), hi);
            prop_assert!(e.bins() >= 1 && e.bins() <= n);
            prop_assert!(v.windows(2).all(|w| w[0] < w[1]) || lo == hi);
            for p in probes {
                let x = lo + (p % (width as u64 + 1)) as i64;
                let b = e.bin_of(x).unwrap();
                let last = b + 1 == e.bins();
                prop_assert!(v[b] <= x && (x < v[b + 1] || (last && x == v[b + 1])));
            }
            for max in [hi, hi / 2, lo, 0] {
                let index = BinIndex::new(&e, max);
                for x in [lo, hi, lo / 2 + hi / 2, lo - 1, hi.saturating_add(1), -5, max] {
                    prop_assert_eq!(index.bin_of(x), e.bin_of(x));
                }

                for p in 0..200i64 {
                    let x = lo + (p.wrapping_mul(0x9E37_79B9) as u64 % (width as u64 + 1)) as i64;
                    prop_assert_eq!(index.bin_of(x), e.bin_of(x));
                }
            }
            prop_assert_eq!(e.bin_of(lo - 1), None);
            prop_assert_eq!(e.bin_of(hi.saturating_add(1)), if hi == i64::MAX { e.bin_of(hi) } else { None });
        }
    }

    proptest! {
        /// Keys rise with the value and their ranges tile the integers.
        #[test]
        fn index_keys_tile(x in 0u64..1 << 62) {
            let k = BinIndex::key(x);
            let (lo, hi) = BinIndex::range(k);
            prop_assert!(lo as u64 <= x && x <= hi as u64);
            prop_assert_eq!(BinIndex::key(hi as u64 + 1), k + 1);
            if k > 0 {
                prop_assert_eq!(BinIndex::range(k - 1).1 + 1, lo);
            }
        }

        /// Given bounds too: every value's bin is the edges'.
        #[test]
        fn index_of_bounds(bounds in prop::collection::vec(1i64..1 << 20, 1..30), xs in prop::collection::vec(0i64..1 << 21, 1..200)) {
            let mut b = bounds;
            b.sort_unstable();
            let e = BinEdges::from_bounds(&b);
            let index = BinIndex::new(&e, 1 << 21);
            for x in xs {
                prop_assert_eq!(index.bin_of(x), e.bin_of(x));
            }
        }
    }

    #[test]
    fn cube_roots_round_up() {
        for (n, k) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (8, 2),
            (9, 3),
            (27, 3),
            (28, 4),
            (u64::MAX, 2_642_246),
        ] {
            assert_eq!(cube_root_ceil(n), k, "{n}");
        }
    }

    #[test]
    fn given_bounds_open_at_the_top() {
        let e = BinEdges::from_bounds(&[10, 10, 5, 20]);
        assert_eq!(e.edges(), &[0, 10, 20, i64::MAX]);
        assert_eq!(e.bin_of(9), Some(0));
        assert_eq!(e.bin_of(10), Some(1));
        assert_eq!(e.bin_of(i64::MAX), Some(2));
        assert_eq!(e.bin_of(-1), None);
    }

    #[test]
    fn bounds_in_ticks_round_up() {
        let b = TimeBins::bounds(vec![TimeDelta::milliseconds(1_500)]).unwrap();
        // 1.5 s in whole seconds: a time of 1 s is below it, 2 s above.
        assert_eq!(
            b.edges(TimeUnit::Second, 0, 9, 1).edges(),
            &[0, 2, i64::MAX]
        );
        assert_eq!(
            b.edges(TimeUnit::Millisecond, 0, 9, 1).edges(),
            &[0, 1_500, i64::MAX]
        );
    }
}
