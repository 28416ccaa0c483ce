//! The BG/NBD family's expected purchases while alive: the bracket of
//! their closed forms, by a series where it settles and otherwise as
//! the expectation over the drop-out probability it is, by quadrature.

use super::special::ln_beta;
use crate::error::{Error, Result};

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

/// The most Gauss-Legendre panels of [`beta_expectation`] (a guard: the
/// panels' own bound is far below it).
const BETA_PANELS: usize = 20_000;

/// `E[(1 − (1+pτ)^−k)/p]` for `p ~ Beta(a, β)`, given `ln τ`: the BG/NBD
/// family's expected purchases while alive, over the drop-out
/// probability (`C` times [`expected_purchases_bracket`]). In `u =
/// ln(p/(1−p))`: both ends in closed form to second order (`p` below
/// `10⁻⁹` over the scale of its terms, and `1 − p` likewise), between them
/// 20-point Gauss-Legendre panels short enough that the log-integrand
/// moves by at most 8 across each, over the stretch where it matters
/// ([`beta_middle`]): a few dozen to a hundred panels for parameters of
/// any size, at most about 1,500 (one per unit of `u`) when `τ` is near
/// `f64`'s largest. The result carries the rounding of `ln B(a, β)`:
/// when both parameters are large, a relative error of about `ε (a+β)
/// ln(a+β)` (1e-11 at `a = β = 5000`).
///
/// # Errors
///
/// [`Error::NotConverged`] if the result is not finite, or a panel would
/// be narrower than `u`'s precision (a Beta narrower than about 1e-13 in
/// `u`: parameters beyond 1e26); [`BETA_PANELS`] is a guard the bound
/// above keeps out of reach.
fn beta_expectation(a: f64, beta: f64, k: f64, ln_tau: f64) -> Result<f64> {
    const EPS: f64 = 1e-9;
    let ln_b = ln_beta(a, beta);
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
    let (m, sum, panels) = beta_middle(a, beta, k, ln_tau, u0, u1)?;
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

/// `ln(1 + e^v)` without overflow or loss for any `v`.
fn softplus(v: f64) -> f64 {
    if v > 0.0 {
        v + (-v).exp().ln_1p()
    } else {
        v.exp().ln_1p()
    }
}

/// The middle of [`beta_expectation`]: `∫ e^ψ du` over `[u0, u1]` as
/// `(m, s, panels)` with the integral `e^m s`, where `ψ(u) = ln(1 −
/// (1+pτ)^−k) + (a−1) ln p + β ln(1−p)` and `p = 1/(1 + e^−u)`.
///
/// `ψ′ = q (r + a − 1) − β p` with `r ∈ (0, 1]` the slope of the first
/// term in `ln p`. For `a + β ≥ 1`, `ψ` is concave (each term is), so the
/// panels start where `ψ` is within 50 of its top (outside, the integrand
/// adds less than `e^−50` of it per unit of `u`) and step toward the top,
/// each no wider than 1 and no wider than 8 over the slope at its start,
/// which is the steepest point of a panel on that side: `ψ` moves by at
/// most 8 across each. For `a + β < 1`, `|ψ′| ≤ 1`, and unit panels from
/// `u0` to `u1` do the same. The count is at most the width in units,
/// plus about 2·50/8 panels per side and one per halving of the slope.
fn beta_middle(
    a: f64,
    beta: f64,
    k: f64,
    ln_tau: f64,
    u0: f64,
    u1: f64,
) -> Result<(f64, f64, usize)> {
    const STEP: f64 = 8.0;
    const CUT: f64 = 50.0;
    let parts = |u: f64| {
        let (ln_p, ln_q) = (-softplus(-u), -softplus(u));
        let lpt = softplus(ln_p + ln_tau); // ln(1 + pτ)
        let ln_g = (-(-k * lpt).exp_m1()).ln();
        (ln_p, ln_q, lpt, ln_g)
    };
    let psi = |u: f64| {
        let (ln_p, ln_q, _, ln_g) = parts(u);
        ln_g + (a - 1.0) * ln_p + beta * ln_q
    };
    let dpsi = |u: f64| {
        let (ln_p, ln_q, lpt, ln_g) = parts(u);
        let r = (k.ln() + ln_p + ln_tau - (k + 1.0) * lpt - ln_g).exp();
        ln_q.exp() * (r + a - 1.0) - beta * ln_p.exp()
    };
    let not_converged = || Error::NotConverged {
        operation: "expected purchases (quadrature over the drop-out probability)".into(),
        iterations: BETA_PANELS as u64,
    };
    // Bisection between a point below and one above a level, or toward
    // the side where the slope is not positive.
    let bisect = |mut below: f64, mut above: f64, go_above: &dyn Fn(f64) -> Option<bool>| {
        for _ in 0..200 {
            let mid = 0.5 * (below + above);
            if mid == below || mid == above {
                break;
            }
            match go_above(mid) {
                Some(true) => above = mid,
                Some(false) => below = mid,
                None => return mid,
            }
        }
        below
    };
    let (top, lo, hi) = if a + beta >= 1.0 {
        let top = if dpsi(u0) <= 0.0 {
            u0
        } else if dpsi(u1) >= 0.0 {
            u1
        } else {
            bisect(u0, u1, &|u| Some(dpsi(u) <= 0.0))
        };
        let target = psi(top) - CUT;
        // Any start within STEP below the target will do.
        let start = |end: f64| {
            if psi(end) >= target {
                return end;
            }
            bisect(end, top, &|u| {
                let p = psi(u);
                (p < target - STEP || p >= target).then_some(p >= target)
            })
        };
        (top, start(u0), start(u1))
    } else {
        (u1, u0, u1)
    };
    let (mut m, mut sum, mut panels) = (f64::MIN, 0.0f64, 0usize); // a term of −∞ adds e^−∞ = 0, not NaN
    for (mut e, end) in [(lo, top), (hi, top)] {
        let dir = if end >= e { 1.0 } else { -1.0 };
        while (end - e) * dir > 0.0 {
            if panels == BETA_PANELS {
                return Err(not_converged());
            }
            panels += 1;
            let mut h = ((end - e) * dir).min(1.0);
            let slope = dpsi(e).abs();
            if slope > 0.0 {
                h = h.min(STEP / slope);
            }
            if e + dir * h == e {
                return Err(not_converged());
            }
            let (mid, half) = (e + dir * 0.5 * h, 0.5 * h);
            for &(x, w) in &super::tail::GAUSS_LEGENDRE_20 {
                for u in [mid - half * x, mid + half * x] {
                    let v = psi(u);
                    if v > m {
                        sum *= (m - v).exp();
                        m = v;
                    }
                    sum += w * half * (v - m).exp();
                }
            }
            e += dir * h;
        }
    }
    Ok((m, sum, panels))
}

#[cfg(test)]
mod tests {
    use super::super::special::hyp2f1;
    use super::*;

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
    /// small enough that the left end carries much of the integral), b
    /// so small that the right end does, and parameters in the hundreds
    /// and thousands.
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
            (0.243, 0.05, 2.5, 0.0),
            (0.243, 2.426, 0.793, 5000.0),
            (0.243, 2.426, 0.793, 50000.0),
        ] {
            let c: f64 = a + b + x - 1.0;
            let big_a = a + b - 1.0 - r;
            for z in [0.2f64, 0.7, 0.95, 0.995] {
                let l = (-z).ln_1p();
                let series = expected_purchases_bracket(a, big_a, c, z, l).unwrap();
                let quad = beta_expectation(a, c - a + 1.0, c - big_a, z.ln() - l).unwrap() / c;
                let tol = ln_beta_precision(a, c - a + 1.0);
                assert!(
                    (series - quad).abs() < tol * series,
                    "{r} {b} {a} {x} {z}: {series} vs {quad}"
                );
            }
        }
    }

    /// Where one end of the Beta carries the integral (`a` = 0.05, or
    /// `β` = 0.1), the quadrature with its two closed-form ends equals
    /// mpmath (`tests/reference/beta_expectation.py`, 40 digits) to
    /// 1e-13: the ends' second-order terms matter at 1e-12. Also at τ =
    /// e^−5, where the slope that places the panels has its `τ` term small.
    #[test]
    fn beta_expectation_equals_the_reference() {
        for (a, beta, k, ln_tau, want) in [
            (0.05, 10.0, 3.0, 0.0, 2.973958202643186),
            (0.05, 10.0, 400.0, 0.0, 347.2061358297264),
            (30.0, 0.1, 0.5, 0.0, 0.2932850212510267),
            (30.0, 0.1, 0.5, -5.0, 0.0033520995029652566),
            (30.0, 0.1, 1.0, 10.0, 1.003402558762346),
            (0.05, 10.0, 3.0, -5.0, 0.02021248721914266),
            (4.0, 2.0, 20.0, -5.0, 0.128620920146583),
        ] {
            let got = beta_expectation(a, beta, k, ln_tau).unwrap();
            assert!(
                (got - want).abs() < 1e-13 * want,
                "{a} {beta} {k} {ln_tau}: {got} vs {want}"
            );
        }
    }

    /// The relative precision of a figure divided by `B(a, β)`: 1e-12,
    /// or the rounding of `ln Γ(a+β)` when that is larger (the log-gamma
    /// difference behind `ln B` keeps its absolute error: 1e-11 at `a = β
    /// = 5000`, 1e-7 at 1e7).
    fn ln_beta_precision(a: f64, beta: f64) -> f64 {
        let n = a + beta;
        1e-12f64.max(4.0 * f64::EPSILON * n * n.ln())
    }

    /// Parameters in the thousands: the bracket equals the direct form
    /// both where the series settles and where it would overflow (z =
    /// 0.8: (1−z)^−a is e^3200) and the quadrature answers.
    #[test]
    fn expected_purchases_bracket_with_large_parameters_equals_the_direct_form() {
        let (k, b, a) = (0.5, 3000.0, 2000.0);
        let c = a + b - 1.0;
        for z in [0.01f64, 0.3, 0.8, 0.95] {
            let l = (-z).ln_1p();
            let direct = (1.0 - (k * l).exp() * hyp2f1(k, b, c, z).unwrap()) / (a - 1.0);
            let got = expected_purchases_bracket(a, c - k, c, z, l).unwrap();
            let quad = beta_expectation(a, c - a + 1.0, k, z.ln() - l).unwrap() / c;
            for v in [got, quad] {
                assert!((v - direct).abs() < 1e-11 * direct, "{z}: {v} vs {direct}");
            }
        }
    }

    /// Where the series settles it is the answer, more precise than the
    /// quadrature, whose `ln B` loses digits for drop-out parameters in
    /// the thousands (about 1e-11 here). Reference values: mpmath at 40
    /// digits, `[1 − (1−z)^k ₂F₁(k, b; a+b−1; z)]/(a−1)`.
    #[test]
    fn expected_purchases_bracket_keeps_the_series_precision() {
        let (b, a) = (3000.0, 2000.0);
        let c = a + b - 1.0;
        // k = 4990, near a + b − 1, leaves the series' A = C − k small
        // (9): the series must still settle on its bound past n = A and
        // answer (the quadrature is 4.8e-12 off at those points).
        for (k, z, want) in [
            (0.5, 0.01f64, 1.007_251_821_169_898e-6),
            (0.5, 0.1, 1.075_610_010_025_16e-5),
            (4990.0, 0.0002, 1.646_272_778_561_623e-4),
            (4990.0, 0.001, 4.323_045_037_731_069e-4),
            (4990.0, 0.003, 4.990_041_754_850_702e-4),
        ] {
            let l = (-z).ln_1p();
            let got = expected_purchases_bracket(a, c - k, c, z, l).unwrap();
            assert!(
                (got - want).abs() < 1e-12 * want,
                "k {k} z {z}: {got} vs {want}"
            );
        }
    }

    /// Drop-out after nearly every purchase (a = 1e4, b = 0.5: p near 1)
    /// puts the integral at the right end, and a large τ with a small a
    /// puts much of it at the far left: the quadrature still equals the
    /// direct form, and rises with τ.
    #[test]
    fn beta_expectation_at_both_ends() {
        let (k, b, a) = (0.5, 0.5, 1e4);
        let c = a + b - 1.0;
        for z in [0.01f64, 0.1, 0.5] {
            let l = (-z).ln_1p();
            let direct = (1.0 - (k * l).exp() * hyp2f1(k, b, c, z).unwrap()) / (a - 1.0);
            let quad = beta_expectation(a, c - a + 1.0, k, z.ln() - l).unwrap() / c;
            assert!(
                (quad - direct).abs() < ln_beta_precision(a, b) * direct,
                "{z}: {quad} vs {direct}"
            );
        }
        let at = |ln_tau: f64| beta_expectation(0.3, 0.4, 2.0, ln_tau).unwrap();
        let (near, far) = (at(600.0), at(700.0));
        assert!(
            near.is_finite() && far.is_finite() && near < far,
            "{near} {far}"
        );
    }

    /// The quadrature's cost is bounded whatever the parameters: with τ
    /// = e^700 the expectation is E[1/p] = (a+β−1)/(a−1) to within (1 +
    /// pτ)^−k, and it comes out so for Betas from wide to very narrow and
    /// lopsided; the panels number one per unit of `u` in the widest case
    /// (`a + β < 1` at τ = e^700), a few dozen to a hundred otherwise.
    #[test]
    fn beta_expectation_is_bounded_for_parameters_of_any_size() {
        let ln_tau = 700.0;
        for (a, beta) in [
            (100.0, 100.0),
            (150.0, 150.0),
            (5000.0, 5000.0),
            (1e8, 2.0),
            (2.0, 1e6),
            (1e7, 1e7),
        ] {
            let got = beta_expectation(a, beta, 0.5, ln_tau).unwrap();
            let want = (a + beta - 1.0) / (a - 1.0);
            assert!(
                (got - want).abs() < ln_beta_precision(a, beta) * want,
                "{a} {beta}: {got} vs {want}"
            );
        }
        // At least about 50/8 panels a side where ψ is concave (each moves
        // it by at most about 8, and it rises 50 to the top); exactly one
        // per unit of u, rounded up, over the whole range when a + β < 1
        // (a + β just above 1 at τ = e^700 takes 156: ψ is nearly flat on
        // the left).
        for (a, beta, k, ln_tau, least, most) in [
            (1e7, 1e7, 0.5f64, 700.0f64, 12, 30),
            (0.3, 0.4, 2.0, 700.0, 781, 781),
            (1e7, 1e7, 0.5, 1.4, 12, 30),
            (0.8, 2.4, 5e4, 5.0, 12, 100),
            (1.0, 1e6, 0.5, 1.4, 12, 60),
            (0.5, 0.8, 2.0, 700.0, 12, 200),
        ] {
            let (u0, u1) = (-40.0 - ln_tau.max(0.0), 40.0 + k.ln().max(0.0));
            let (_, _, panels) = beta_middle(a, beta, k, ln_tau, u0, u1).unwrap();
            assert!(
                (least..=most).contains(&panels),
                "{a} {beta} {k} {ln_tau}: {panels} panels"
            );
        }
    }
}
