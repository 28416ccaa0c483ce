//! The special functions the models need, in `f64`: log-gamma (from
//! `libm`), digamma and the Gaussian hypergeometric function.

use crate::error::{Error, Result};

/// `ln Γ(x)` for `x > 0`.
#[inline]
pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`: the recurrence
/// `ψ(x) = ψ(x + 1) − 1/x` up to `x ≥ 10`, then the asymptotic series
/// (absolute error below 1e-14 there).
pub(crate) fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    let series = f
        * (-1.0 / 12.0
            + f * (1.0 / 120.0
                + f * (-1.0 / 252.0
                    + f * (1.0 / 240.0 + f * (-1.0 / 132.0 + f * (691.0 / 32760.0))))));
    shift + x.ln() - 0.5 / x + series
}

/// `ln Γ(z+u) − ln Γ(z+v)` for `z ≥ 0` and `z+u, z+v > 0`, without the
/// cancellation of two large log-gammas: for `z` large against `u` and
/// `v`, the asymptotic series `(u−v) ln z + Σₖ (−1)^(k+1) [B_(k+1)(u) −
/// B_(k+1)(v)] / (k (k+1) zᵏ)` (Bernoulli polynomials, four terms; the
/// first left out is below 1e-20 of the sum there), else the difference
/// of [`ln_gamma`]s.
pub(crate) fn ln_gamma_ratio(z: f64, u: f64, v: f64) -> f64 {
    let big = 1.0 + u.abs() + v.abs();
    if z < 1e4 * big * big {
        return ln_gamma(z + u) - ln_gamma(z + v);
    }
    let b2 = |a: f64| a * a - a + 1.0 / 6.0;
    let b3 = |a: f64| a * a * a - 1.5 * a * a + 0.5 * a;
    let b4 = |a: f64| a * a * a * a - 2.0 * a * a * a + a * a - 1.0 / 30.0;
    let b5 = |a: f64| a.powi(5) - 2.5 * a.powi(4) + 5.0 / 3.0 * a.powi(3) - a / 6.0;
    let w = 1.0 / z;
    (u - v) * z.ln()
        + w * ((b2(u) - b2(v)) / 2.0
            + w * (-(b3(u) - b3(v)) / 6.0
                + w * ((b4(u) - b4(v)) / 12.0 - w * (b5(u) - b5(v)) / 20.0)))
}

/// The most continued-fraction steps of [`ln_beta_regularized`].
const MAX_FRACTION_STEPS: usize = 100_000;

/// `ln I_x(a, b)`, the logarithm of the regularized incomplete beta
/// function, for `a, b > 0` and `0 ≤ x ≤ 1` given as `ln x` and `ln(1−x)`
/// (so that neither loses digits near 0 or 1): `x^a (1−x)^b / (a B(a,
/// b))` times the continued fraction of DLMF 8.17.22 where it converges
/// fast (`x < (a+1)/(a+b+2)`), else `ln(1 − I_(1−x)(b, a))`. A far tail
/// stays exact in relative terms (no `1 − Σ`); the fraction needs
/// O(√max(a, b)) steps at most, a few where the tail is small. The
/// result carries the rounding of the prefactor's logarithms, an
/// absolute error of about `ε (a+b) ln(a+b)` (1e-9 at `a = b = 1e6`, 1e-2
/// at 1e12).
///
/// # Errors
///
/// [`Error::NotConverged`] after [`MAX_FRACTION_STEPS`] steps (`a` and
/// `b` beyond about 10¹³ with `x` at the distribution's centre).
pub(crate) fn ln_beta_regularized(a: f64, b: f64, ln_x: f64, ln_1mx: f64) -> Result<f64> {
    let x = ln_x.exp();
    if x == 0.0 {
        return Ok(f64::NEG_INFINITY);
    }
    if ln_1mx.exp() == 0.0 {
        return Ok(0.0);
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        beta_fraction(a, b, x, ln_x, ln_1mx)
    } else {
        let other = beta_fraction(b, a, ln_1mx.exp(), ln_1mx, ln_x)?;
        Ok((-other.exp()).ln_1p())
    }
}

/// `ln[x^a (1−x)^b / (a B(a, b)) · CF]`, the continued fraction by the
/// modified Lentz method.
fn beta_fraction(a: f64, b: f64, x: f64, ln_x: f64, ln_1mx: f64) -> Result<f64> {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    let mut converged = false;
    for m in 1..MAX_FRACTION_STEPS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            converged = true;
            break;
        }
    }
    if !(converged && h.is_finite() && h > 0.0) {
        return Err(Error::NotConverged {
            operation: "incomplete beta function".into(),
            iterations: MAX_FRACTION_STEPS as u64,
        });
    }
    Ok(a * ln_x + b * ln_1mx - a.ln() - ln_beta(a, b) + h.ln())
}

/// `ln B(a, b) = ln Γ(b) − [ln Γ(a+b) − ln Γ(a)]` for `a ≥ b` (and
/// symmetrically), the bracket by [`ln_gamma_ratio`], without
/// cancellation when one parameter is large against the other. (When
/// both are large the result is a difference of log-gammas: for `a = b =
/// 5000`, about 1e-11 absolute.)
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    if a >= b {
        ln_gamma(b) - ln_gamma_ratio(a, b, 0.0)
    } else {
        ln_gamma(a) - ln_gamma_ratio(b, a, 0.0)
    }
}

/// The most terms [`hyp2f1`] sums before it gives up.
const MAX_TERMS: usize = 1_000_000;

/// The Gaussian hypergeometric function `₂F₁(a, b; c; z)` for
/// `0 ≤ z < 1` and `c > 0`, by its power series `Σ (a)ₙ (b)ₙ / (c)ₙ zⁿ /
/// n!`, summed until a term no longer changes the sum. The terms shrink
/// geometrically (their ratio tends to `z`), so `z = 0.99` takes a few
/// thousand terms.
///
/// # Errors
///
/// [`Error::InvalidInput`] outside the domain; [`Error::NotConverged`]
/// if the series has not settled after a million terms (`z` within about
/// 10^-5 of 1) or its sum overflows.
pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&z) || c <= 0.0 || !a.is_finite() || !b.is_finite() {
        return Err(Error::invalid(
            "hypergeometric function",
            format!("needs 0 <= z < 1 and c > 0 (a = {a}, b = {b}, c = {c}, z = {z})"),
        ));
    }
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        let next = sum + term;
        if !next.is_finite() {
            break;
        }
        if next == sum {
            return Ok(sum);
        }
        sum = next;
    }
    Err(Error::NotConverged {
        operation: "hypergeometric series".into(),
        iterations: MAX_TERMS as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = −γ; ψ(1/2) = −γ − 2 ln 2; ψ(10) = H₉ − γ.
        let gamma = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + gamma).abs() < 1e-13);
        assert!((digamma(0.5) + gamma + 2.0 * 2f64.ln()).abs() < 1e-13);
        let h9: f64 = (1..10).map(|k| 1.0 / k as f64).sum();
        assert!((digamma(10.0) - (h9 - gamma)).abs() < 1e-13);
        // Where the asymptotic series starts, to the last digits (mpmath):
        // its x^−12 term is 2e-14 at x = 10.
        for (x, want) in [
            (10.0, 2.251_752_589_066_721),
            (12.5, 2.485_195_651_274_912),
            (25.0, 3.198_742_512_851_974),
            (1e3, 6.907_255_195_648_812),
        ] {
            let got = digamma(x);
            assert!((got - want).abs() < 3e-15 * want, "{x}: {got} vs {want}");
        }
        // The derivative of ln Γ, by central differences.
        for x in [0.05, 0.3, 2.5, 7.0, 40.0] {
            let h = 1e-5 * x;
            let d = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!((digamma(x) - d).abs() < 1e-6 * (1.0 + d.abs()), "{x}");
        }
    }

    /// `ln B` with one parameter large against the other, either way
    /// round, to its last digits (mpmath at 40 digits): the large one
    /// goes into the gamma ratio, whose series (past its threshold, 1e4
    /// (1 + small)²) has no cancellation.
    #[test]
    fn ln_beta_of_lopsided_parameters() {
        for (a, b, want) in [
            (1e5, 0.5, -5.184_096_539_560_414),
            (5e5, 2.5, -32.521_229_323_032_9),
            (3e4, 0.25, -1.289_212_515_454_315),
        ] {
            for (x, y) in [(a, b), (b, a)] {
                let got = ln_beta(x, y);
                assert!(
                    (got - want).abs() < 1e-14 * want.abs(),
                    "{x} {y}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn incomplete_beta_matches_closed_forms() {
        // I_x(1, b) = 1 − (1−x)^b; I_x(a, 1) = x^a.
        for x in [1e-9f64, 0.01, 0.3, 0.7, 0.999] {
            let (lx, l1x) = (x.ln(), (-x).ln_1p());
            for b in [0.2, 1.0, 7.5] {
                let want = -(b * l1x).exp_m1();
                let got = ln_beta_regularized(1.0, b, lx, l1x).unwrap().exp();
                assert!(
                    (got - want).abs() < 1e-13 * want,
                    "{x} {b}: {got} vs {want}"
                );
            }
            for a in [0.3, 2.0, 40.0] {
                let want = a * lx;
                let got = ln_beta_regularized(a, 1.0, lx, l1x).unwrap();
                assert!((got - want).abs() < 1e-12 * want.abs().max(1.0), "{x} {a}");
            }
        }
    }

    /// Past its step bound (both parameters near 1e14, `x` at the
    /// centre, where the fraction needs millions of steps) the incomplete
    /// beta says so rather than return a partial fraction; within reach
    /// it answers, `I_½(a, a) = 1/2` up to the rounding of `ln B(a, a)`.
    #[test]
    fn incomplete_beta_refuses_a_partial_fraction() {
        let half = 0.5f64.ln();
        for a in [1e14, 1e15] {
            let got = ln_beta_regularized(a, a, half, half);
            assert!(
                matches!(got, Err(Error::NotConverged { .. })),
                "{a}: {got:?}"
            );
        }
        let got = ln_beta_regularized(1e6, 1e6, half, half).unwrap();
        assert!((got - half).abs() < 1e-8, "{got}");
    }

    #[test]
    fn gamma_ratio_joins_its_two_forms() {
        for (u, v) in [(0.243, 1.0), (3.5, 0.0), (0.0, 2.25)] {
            let big = 1.0 + f64::abs(u) + f64::abs(v);
            let z = 1e4 * big * big;
            let direct = ln_gamma(z * 1.0001 + u) - ln_gamma(z * 1.0001 + v);
            let series = ln_gamma_ratio(z * 1.0001, u, v);
            assert!(
                (direct - series).abs() < 1e-9,
                "{u} {v}: {direct} vs {series}"
            );
        }
    }

    /// On the series side with `u` and `v` small, where the result is small
    /// and every term of the series shows, it equals the values of
    /// `tests/reference/gamma_ratio.py` (mpmath at 40 digits) to 5e-16.
    #[test]
    fn gamma_ratio_series_equals_the_reference() {
        let text = include_str!("../../tests/reference/gamma_ratio.csv");
        let mut rows = 0;
        for line in text.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
            let got = ln_gamma_ratio(v[0], v[1], v[2]);
            let want = v[3];
            assert!(
                (got - want).abs() <= 5e-16 * want.abs(),
                "{line}: {got} ({:.1e} off)",
                (got - want).abs() / want.abs()
            );
            rows += 1;
        }
        assert_eq!(rows, 80);
    }

    /// `ln Γ(z+u) − ln Γ(z+v)` is exactly antisymmetric in `u` and `v`,
    /// and exactly 0 when they are equal, on both sides of the series'
    /// threshold: each term is a difference of the same function at `u`
    /// and at `v`.
    #[test]
    fn gamma_ratio_is_exactly_antisymmetric() {
        for &(u, v) in &[
            (0.3, -0.2),
            (-2.9, 0.01),
            (1.0, 0.999),
            (0.5, 0.5),
            (-3.0, -3.0),
        ] {
            let big = 1.0f64 + f64::abs(u) + f64::abs(v);
            for z in [7.5, 1e3, 1e4 * big * big, 3e4 * big * big, 1e9] {
                let (uv, vu) = (ln_gamma_ratio(z, u, v), ln_gamma_ratio(z, v, u));
                assert_eq!(uv, -vu, "z {z}, u {u}, v {v}");
                if u == v {
                    assert_eq!(uv, 0.0, "z {z}, u {u}");
                }
            }
        }
    }

    /// On the series side, `Γ(x+1) = x Γ(x)` holds to the last digits:
    /// moving `u` by one adds `ln(z+u)`, which checks each Bernoulli
    /// polynomial through `B_k(x+1) − B_k(x) = k x^(k−1)`.
    #[test]
    fn gamma_ratio_series_keeps_the_recurrence() {
        for (u, v) in [(0.3, 0.0), (2.5, 0.7), (-0.4, 1.9), (0.0, 0.0)] {
            let big = 2.0 + f64::abs(u) + f64::abs(v);
            for z in [1e4 * big * big, 3e4 * big * big] {
                let step = ln_gamma_ratio(z, u + 1.0, v) - ln_gamma_ratio(z, u, v);
                let want = z.ln() + (u / z).ln_1p();
                assert!(
                    (step - want).abs() < 4e-15 * want,
                    "{u} {v} {z}: {step} vs {want}"
                );
                // Below the series' threshold, the difference itself.
                let small = 0.5 * big;
                assert_eq!(
                    ln_gamma_ratio(small, u * 1e-3, v * 1e-3),
                    ln_gamma(small + u * 1e-3) - ln_gamma(small + v * 1e-3)
                );
                let swapped = ln_gamma_ratio(z, v, u);
                assert_eq!(swapped, -ln_gamma_ratio(z, u, v), "{u} {v} {z}");
            }
        }
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z.
        for z in [0.1f64, 0.5, 0.9, 0.99] {
            let want = -(1.0 - z).ln() / z;
            let got = hyp2f1(1.0, 1.0, 2.0, z).unwrap();
            assert!((got - want).abs() < 1e-12 * want, "{z}: {got} vs {want}");
        }
        // ₂F₁(a, b; b; z) = (1 − z)^−a.
        let got = hyp2f1(0.7, 3.2, 3.2, 0.6).unwrap();
        assert!((got - 0.4f64.powf(-0.7)).abs() < 1e-12);
        // Outside the domain: refused as input, whichever argument it is
        // (a negative c would otherwise sum a series that is no ₂F₁).
        for (a, b, c, z) in [
            (1.0, 1.0, 2.0, 1.0),
            (1.0, 1.0, 2.0, -0.1),
            (1.0, 1.0, 0.0, 0.5),
            (1.0, 1.0, -0.5, 0.5),
            (f64::NAN, 1.0, 2.0, 0.5),
            (1.0, f64::INFINITY, 2.0, 0.5),
        ] {
            let e = hyp2f1(a, b, c, z);
            assert!(
                matches!(e, Err(Error::InvalidInput { .. })),
                "{a} {b} {c} {z}: {e:?}"
            );
        }
    }

    /// Below the series threshold, which grows with |u| + |v|, the ratio
    /// is the difference of log-gammas: with u in the hundreds just above
    /// z = 1e4 the series would be off by 5e-11 (mpmath values).
    #[test]
    fn gamma_ratio_with_large_offsets_below_the_threshold() {
        for (z, u, want) in [
            (1.1e4, 300.0, 2_795.735_929_601_711),
            (2e4, 150.0, 1_486.080_495_841_807_5),
            (1.2e4, -90.0, -844.997_462_475_252_7),
        ] {
            let got = ln_gamma_ratio(z, u, 0.0);
            assert!(
                (got - want).abs() < 1e-13 * want.abs(),
                "{z} {u}: {got} vs {want}"
            );
        }
    }

    /// Neighbours differ by a logarithm, `ln Γ(z+u) − ln Γ(z+u+1) = −ln(z+u)`,
    /// on both sides of the series' threshold (which grows with |u| + |v|:
    /// at z = 1 the series would be off by 1e-3).
    #[test]
    fn gamma_ratio_of_neighbours_is_a_logarithm() {
        for u in [0.0, 0.5, 2.5, -0.3] {
            for z in [0.5f64, 1.0, 3.0, 50.0, 1e5, 1e9] {
                let want = (z + u).ln();
                let tol = 1e-9 * want.abs().max(1.0);
                let got = ln_gamma_ratio(z, u, u + 1.0);
                assert!((got + want).abs() < tol, "{z} {u}: {got} vs {}", -want);
                let got = ln_gamma_ratio(z, u + 1.0, u);
                assert!((got - want).abs() < tol, "{z} {u}: {got} vs {want}");
            }
        }
    }
}
