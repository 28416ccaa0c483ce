//! The special functions the models need, in `f64`: log-gamma (from
//! `libm`), digamma and the Gaussian hypergeometric function.

use crate::error::{Error, Result};

/// `ln Γ(x)` for `x > 0`.
#[inline]
pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// `ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)`.
#[inline]
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
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
        // The derivative of ln Γ, by central differences.
        for x in [0.05, 0.3, 2.5, 7.0, 40.0] {
            let h = 1e-5 * x;
            let d = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!((digamma(x) - d).abs() < 1e-6 * (1.0 + d.abs()), "{x}");
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
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
        assert!(hyp2f1(1.0, 1.0, 0.0, 0.5).is_err());
    }
}
