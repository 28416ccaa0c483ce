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
/// O(√max(a, b)) steps at most, a few where the tail is small.
///
/// # Errors
///
/// [`Error::NotConverged`] after [`MAX_FRACTION_STEPS`] steps (`a` or
/// `b` beyond about 10¹⁰ with `x` at the distribution's centre).
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
    // ln B(a, b) = ln Γ(b) − [ln Γ(a+b) − ln Γ(a)], the bracket without
    // cancellation when a is large (and symmetrically).
    let ln_b = if a >= b {
        ln_gamma(b) - ln_gamma_ratio(a, b, 0.0)
    } else {
        ln_gamma(a) - ln_gamma_ratio(b, a, 0.0)
    };
    Ok(a * ln_x + b * ln_1mx - a.ln() - ln_b + h.ln())
}

/// The BG/NBD family's expected-purchases bracket `[1 − (1−z)^k ₂F₁(k,
/// B; C; z)] / (a−1)`, where `C − B = a − 1`, in the Euler-transformed
/// form that has no cancellation near `a = 1` and no large terms for
/// heavy buyers: with `A = C − k` and `L = ln(1−z)` it equals `[1 −
/// (1−z)^(a−1) ₂F₁(A, a−1; C; z)] / (a−1) = −L (e^y − 1)/y − e^y
/// Σ_{n≥1} (A)ₙ (a)ₙ₋₁ / ((C)ₙ n!) zⁿ`, `y = (a−1) L`, whose limit at
/// `a = 1` is the same expression with `(e^y − 1)/y = 1`. The series'
/// parameters do not grow with the customer's purchases (only `C` does,
/// which speeds it up); it stops on a bound of the terms left.
///
/// # Errors
///
/// [`Error::NotConverged`] only if neither the series (up to
/// [`BRACKET_TERMS`] terms) nor the quadrature that takes over where `z`
/// is near 1 ([`beta_expectation`]) gives a finite number.
pub(crate) fn expected_purchases_bracket(
    a: f64,
    big_a: f64,
    c: f64,
    z: f64,
    ln_1mz: f64,
) -> Result<f64> {
    let y = (a - 1.0) * ln_1mz;
    let phi = if y == 0.0 { 1.0 } else { y.exp_m1() / y };
    let mut sum = 0.0f64;
    let mut term = big_a * z / c; // n = 1
    let mut n = 1.0f64;
    for _ in 0..BRACKET_TERMS {
        let next = sum + term;
        if !next.is_finite() {
            break;
        }
        // Once a term no longer moves the sum: every later ratio of terms
        // is below ρ̄ = z max(1, (A+n)/(C+n)) max(1, (a+n−1)/(n+1)) once
        // A + n > 0 (both fractions move monotonically toward 1), so the
        // terms left add at most |term| ρ̄/(1 − ρ̄).
        let settled = (term.abs() <= 1e-17 * next.abs() || term == 0.0) && big_a + n > 0.0 && {
            let bound = z * ((big_a + n) / (c + n)).max(1.0) * ((a + n - 1.0) / (n + 1.0)).max(1.0);
            bound < 1.0 && (term.abs() * bound <= 1e-17 * next.abs() * (1.0 - bound) || term == 0.0)
        };
        sum = next;
        if settled {
            let v = -ln_1mz * phi - y.exp() * sum;
            if v.is_finite() {
                return Ok(v);
            }
            break;
        }
        term *= (big_a + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * z;
        n += 1.0;
    }
    // z near 1 (a horizon far beyond the customer's age): the bracket as
    // the expectation it is, by quadrature.
    let tau = z.ln() - ln_1mz;
    Ok(beta_expectation(a, c - a + 1.0, c - big_a, tau)? / c)
}

/// The most terms of [`expected_purchases_bracket`]'s series before the
/// quadrature takes over.
const BRACKET_TERMS: usize = 20_000;

/// The most Gauss-Legendre panels of [`beta_expectation`].
const BETA_PANELS: usize = 20_000;

/// `E[(1 − (1+pτ)^−k)/p]` for `p ~ Beta(a, β)`, given `ln τ`: the BG/NBD
/// family's expected purchases while alive, over the drop-out
/// probability (`C` times [`expected_purchases_bracket`]). In `u =
/// ln(p/(1−p))`: both ends in closed form to second order (`p` below
/// `10⁻⁹` over the scale of its terms, and `1 − p` likewise), between them
/// 20-point Gauss-Legendre panels short enough that the log-integrand
/// moves by at most 8 across each; at most [`BETA_PANELS`] panels.
///
/// # Errors
///
/// [`Error::NotConverged`] past the panel bound (parameters in the
/// thousands with `τ` near `f64`'s largest).
fn beta_expectation(a: f64, beta: f64, k: f64, ln_tau: f64) -> Result<f64> {
    const EPS: f64 = 1e-9;
    let ln_b = ln_gamma(a) + ln_gamma(beta) - ln_gamma(a + beta);
    let softplus = |v: f64| {
        if v > 0.0 {
            v + (-v).exp().ln_1p()
        } else {
            v.exp().ln_1p()
        }
    };
    // ln(kτ) and (k+1)τ/2 on the left, in logs where τ is huge.
    let left_scale = ((k + 1.0).ln() + ln_tau)
        .max(0.0)
        .max(beta.ln())
        .max((a + 1.0).ln());
    let ln_p0 = EPS.ln() - left_scale;
    let p0 = ln_p0.exp();
    // ∫_0^p0 kτ p^(a−1) (1 + c1 p) dp / B, c1 = −(k+1)τ/2 − (β−1).
    let c1p0 = -(k + 1.0) / 2.0 * (ln_tau + ln_p0).exp() - (beta - 1.0) * p0;
    let left = (k.ln() + ln_tau + a * ln_p0 - a.ln() - ln_b).exp() * (1.0 + c1p0 * a / (a + 1.0));
    // The right end: 1 − p below q1. G(p) = (1 − (1+pτ)^−k) p^(a−2).
    let ln_q1 = EPS.ln() - (k + 2.0 + (a - 2.0).abs()).ln();
    let q1 = ln_q1.exp();
    let lpt1 = softplus(ln_tau); // ln(1 + τ)
    let g1 = -(-k * lpt1).exp_m1();
    let dg1 = k * (ln_tau - (k + 1.0) * lpt1).exp() + (a - 2.0) * g1;
    let right = (beta * ln_q1 - beta.ln() - ln_b).exp() * (g1 - dg1 * q1 * beta / (beta + 1.0));
    // The middle, in u.
    let (u0, u1) = (ln_p0 - (-p0).ln_1p(), (-q1).ln_1p() - ln_q1);
    let h = (8.0 / (a + beta + k + 2.0)).min(1.0);
    let panels = ((u1 - u0) / h).ceil();
    if !(panels.is_finite() && panels <= BETA_PANELS as f64) {
        return Err(Error::NotConverged {
            operation: "expected purchases (quadrature over the drop-out probability)".into(),
            iterations: BETA_PANELS as u64,
        });
    }
    let panels = panels.max(1.0) as usize;
    let h = (u1 - u0) / panels as f64;
    let (mut m, mut sum) = (f64::MIN, 0.0f64); // a term of −∞ then adds e^−∞ = 0, not NaN
    for i in 0..panels {
        let mid = u0 + (i as f64 + 0.5) * h;
        for &(x, w) in &super::tail::GAUSS_LEGENDRE_20 {
            for u in [mid - 0.5 * h * x, mid + 0.5 * h * x] {
                let (ln_p, ln_q) = (-softplus(-u), -softplus(u));
                let lpt = softplus(ln_p + ln_tau);
                let psi = (-(-k * lpt).exp_m1()).ln() + (a - 1.0) * ln_p + beta * ln_q;
                if psi > m {
                    sum *= (m - psi).exp();
                    m = psi;
                }
                sum += w * 0.5 * h * (psi - m).exp();
            }
        }
    }
    let middle = (m - ln_b).exp() * sum;
    let v = left + middle + right;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::NotConverged {
            operation: "expected purchases (quadrature over the drop-out probability)".into(),
            iterations: panels as u64,
        })
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

    /// The transformed bracket equals the direct formula away from `a =
    /// 1`, and is continuous through it.
    #[test]
    fn expected_purchases_bracket_matches_the_direct_form() {
        for &(k, b, a) in &[(0.243, 2.426, 0.793), (3.2, 5.0, 2.5), (1.7, 0.4, 1.3)] {
            let c = a + b - 1.0;
            // (At 0.9999 the series would need some 400,000 terms: the
            // quadrature answers.)
            for z in [0.01f64, 0.3, 0.8, 0.95, 0.9999] {
                let l = (-z).ln_1p();
                let direct = (1.0 - (k * l).exp() * hyp2f1(k, b, c, z).unwrap()) / (a - 1.0);
                let got = expected_purchases_bracket(a, c - k, c, z, l).unwrap();
                assert!(
                    (got - direct).abs() < 1e-11 * direct.abs(),
                    "{k} {b} {a} {z}: {got} vs {direct}"
                );
            }
        }
        let l = (-0.6f64).ln_1p();
        let at = |a: f64| expected_purchases_bracket(a, a + 1.5 - 0.3, a + 1.5, 0.6, l).unwrap();
        let one = at(1.0);
        assert!((at(1.0 + 1e-12) - one).abs() < 1e-10 * one);
        assert!(((at(1.0 + 1e-4) + at(1.0 - 1e-4)) / 2.0 - one).abs() < 1e-7 * one);
    }

    /// The quadrature that takes over near z = 1 equals the series where
    /// both run, for light and heavier buyers, a on both sides of 1 (and
    /// small enough that the left end carries much of the integral), and
    /// parameters in the hundreds (a Beta too narrow for unit panels).
    #[test]
    fn beta_expectation_equals_the_series() {
        for &(r, b, a, x) in &[
            (0.243, 2.426, 0.793, 0.0),
            (0.243, 2.426, 0.793, 7.0),
            (3.2, 5.0, 2.5, 1.0),
            (1.7, 0.4, 1.3, 0.0),
            (0.5, 1.5, 1.0, 3.0),
            (0.5, 30.0, 20.0, 50.0),
            (2.0, 60.0, 0.4, 200.0),
            (0.5, 600.0, 500.0, 50.0),
            (0.243, 2.426, 0.05, 2.0),
        ] {
            let c: f64 = a + b + x - 1.0;
            let big_a = a + b - 1.0 - r;
            for z in [0.2f64, 0.7, 0.95, 0.995] {
                let l = (-z).ln_1p();
                let series = expected_purchases_bracket(a, big_a, c, z, l).unwrap();
                let quad = beta_expectation(a, c - a + 1.0, c - big_a, z.ln() - l).unwrap() / c;
                assert!(
                    (series - quad).abs() < 1e-12 * series,
                    "{r} {b} {a} {x} {z}: {series} vs {quad}"
                );
            }
        }
    }

    /// The quadrature's cost is bounded: a Beta so narrow that the panels
    /// would pass [`BETA_PANELS`] is refused at once, and one just inside
    /// the bound still answers.
    #[test]
    fn beta_expectation_refuses_past_its_panel_bound() {
        let ln_tau = 700.0;
        // With τ = e^700 the expectation is E[1/p] = (a+β−1)/(a−1) to
        // within (1 + pτ)^−k, which is e^−350 at p = 1/2.
        let inside = beta_expectation(100.0, 100.0, 0.5, ln_tau).unwrap();
        assert!((inside - 199.0 / 99.0).abs() < 1e-12, "{inside}");
        for (a, beta) in [(150.0, 150.0), (5000.0, 5000.0), (0.5, 1e6), (1e8, 2.0)] {
            let e = beta_expectation(a, beta, 0.5, ln_tau).unwrap_err();
            assert!(
                matches!(e, Error::NotConverged { iterations, .. } if iterations == BETA_PANELS as u64),
                "{a} {beta}: {e}"
            );
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
