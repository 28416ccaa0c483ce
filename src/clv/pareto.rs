//! Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting your
//! customers: who are they and what will they do next?", Management
//! Science 33(1); the likelihood as Fader & Hardie write it in "A note on
//! deriving the Pareto/NBD model and related expressions" (2005).

use super::bgnbd::{finite, fit_rate_model, time};
use super::history::{History, Prepared};
use super::optimize::penalized_mean;
use super::special::{digamma, ln_gamma};
use super::tail::{self, GAUSS_LEGENDRE_20};
use super::{positive, Fit, FitOptions};
use crate::error::{Error, Result};

/// The Pareto/NBD model's parameters: while active, a customer buys at
/// rate λ ~ Gamma(shape `r`, rate `alpha`); their lifetime is exponential
/// with rate μ ~ Gamma(shape `s`, rate `beta`). `alpha` and `beta` are in
/// the unit of the histories' times.
///
/// ```
/// use revops::clv::{History, ParetoNbd};
/// // The published CDNOW fit (weeks).
/// let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
/// let h = History::new(2, 30.43, 38.86)?;
/// let p = m.probability_alive(&h)?;
/// assert!(p > 0.0 && p < 1.0);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ParetoRepr", into = "ParetoRepr"))]
pub struct ParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ParetoRepr {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<ParetoRepr> for ParetoNbd {
    type Error = Error;
    fn try_from(p: ParetoRepr) -> Result<ParetoNbd> {
        ParetoNbd::new(p.r, p.alpha, p.s, p.beta)
    }
}

#[cfg(feature = "serde")]
impl From<ParetoNbd> for ParetoRepr {
    fn from(p: ParetoNbd) -> ParetoRepr {
        ParetoRepr {
            r: p.r,
            alpha: p.alpha,
            s: p.s,
            beta: p.beta,
        }
    }
}

/// The reciprocals 1/k the fit's series read from a table (beyond it,
/// they divide).
const RECIPROCALS: usize = 1024;

/// `ln S(y)` and its gradient over (r, α, s, β), where
/// `S(y) = ∫_y^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ`, from the binomial
/// expansion around the larger of α and β (the integral form of the
/// note's ₂F₁ terms): with `A = r + s + x`, `S(y) = (α+y)^−A U(A, s+1,
/// z)`, `z = (α−β)/(α+y)`, when α ≥ β, and the same with the roles of
/// (α, s+1) and (β, r+x) exchanged otherwise, where `U(A, c, z) = Σₙ
/// (c)ₙ/n! zⁿ/(A+n)` is taken in bounded work by [`tail::ln_u`].
fn ln_tail(
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    x: f64,
    y: f64,
    recip: &[f64],
) -> Result<(f64, [f64; 4])> {
    let big_a = r + s + x;
    let alpha_first = alpha >= beta;
    // The expansion: c = s + 1 around α, or r + x around β; 1 − z is the
    // other base over this one, taken without cancellation.
    let (c, base, other) = if alpha_first {
        (s + 1.0, alpha + y, beta + y)
    } else {
        (r + x, beta + y, alpha + y)
    };
    let z = (alpha - beta).abs() / base;
    let ln_base = base.ln();
    let u = tail::ln_u(big_a, c, z, (other, base), recip)?;
    let ln_s = -big_a * ln_base + u.ln_u;
    // Gradient of ln S over (r, α, s, β); ∂A/∂r = ∂A/∂s = 1. With `w =
    // (1−z) ∂ ln U/∂z` and `1 − z = other/base`, the z-terms are w/base
    // and −w/other, finite however near 1 z lies.
    let (w_base, w_other) = (u.d_z_1mz / base, -u.d_z_1mz / other);
    let g = if alpha_first {
        // z = (α−β)/(α+y): ∂α z = (β+y)/(α+y)², ∂β z = −1/(α+y).
        [
            -ln_base + u.d_a,
            -big_a / base + w_base,
            -ln_base + u.d_a + u.d_c,
            w_other,
        ]
    } else {
        // z = (β−α)/(β+y): ∂α z = −1/(β+y), ∂β z = (α+y)/(β+y)².
        [
            -ln_base + u.d_a + u.d_c,
            w_other,
            -ln_base + u.d_a,
            -big_a / base + w_base,
        ]
    };
    // The value alone decides: a derivative over a subnormal rate (below
    // about 1e-308, where 1/β overflows) is infinite while the value is
    // finite. The fit never evaluates such a rate (|ln θ| ≤ 21).
    if ln_s.is_finite() {
        Ok((ln_s, g))
    } else {
        Err(Error::NotConverged {
            operation: "Pareto/NBD likelihood integral".into(),
            iterations: 0,
        })
    }
}

impl ParetoNbd {
    /// The parameters' names, as the papers and `lifetimes` write them.
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "s", "beta"];

    /// A model with these parameters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless all four are finite and above zero.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<ParetoNbd> {
        for (name, v) in ParetoNbd::NAMES.iter().zip([r, alpha, s, beta]) {
            positive("Pareto/NBD", name, v)?;
        }
        Ok(ParetoNbd { r, alpha, s, beta })
    }

    /// The parameters in the order of [`ParetoNbd::NAMES`].
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// The log-likelihood of one customer's history and its gradient over
    /// (r, α, s, β), with the share of the "still alive" term (P(alive)).
    fn parts(&self, x: f64, tx: f64, big_t: f64) -> Result<(f64, [f64; 4], f64)> {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let tails = (
            ln_tail(r, alpha, s, beta, x, tx, &[])?,
            ln_tail(r, alpha, s, beta, x, big_t, &[])?,
        );
        let logs = ((alpha + big_t).ln(), (beta + big_t).ln());
        Ok(self.parts_with(x, big_t, logs, self.constant(x), tails))
    }

    /// `ln C = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β` and its gradient:
    /// the part of the likelihood that depends on x alone.
    fn constant(&self, x: f64) -> (f64, [f64; 4]) {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let ln_c = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        let g_c = [
            digamma(r + x) - digamma(r) + alpha.ln(),
            r / alpha,
            beta.ln(),
            s / beta,
        ];
        (ln_c, g_c)
    }

    /// [`parts`](ParetoNbd::parts) given the x-only part and the two
    /// tails `ln S(t_x)`, `ln S(T)` with their gradients.
    #[allow(clippy::type_complexity)]
    fn parts_with(
        &self,
        x: f64,
        big_t: f64,
        (ln_at, ln_bt): (f64, f64),
        (ln_c, g_c): (f64, [f64; 4]),
        ((ln_s1, g1), (ln_s2, g2)): ((f64, [f64; 4]), (f64, [f64; 4])),
    ) -> (f64, [f64; 4], f64) {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        // E = (α+T)^−(r+x) (β+T)^−s: alive through T.
        let (at, bt) = (alpha + big_t, beta + big_t);
        let ln_e = -(r + x) * ln_at - s * ln_bt;
        let g_e = [-ln_at, -(r + x) / at, -ln_bt, -s / bt];
        // ρ = S(T)/S(t_x) = 1 + em1.
        let em1 = (ln_s2 - ln_s1).exp_m1();
        if em1 >= 0.0 {
            // t_x = T: no time to have died in between.
            let g = std::array::from_fn(|k| g_c[k] + g_e[k]);
            return (ln_c + ln_e, g, 1.0);
        }
        let rho = 1.0 + em1;
        // Died between t_x and T: s · (S(t_x) − S(T)).
        // One logarithm for ln s + ln(1 − ρ), unless the product leaves
        // the normal range.
        let died = s * -em1;
        let ln_sd = ln_s1
            + if died.is_normal() {
                died.ln()
            } else {
                s.ln() + (-em1).ln()
            };
        // ln B = ln(eᴱ + e^sd), and the two shares, with one exp.
        let (hi, lo) = if ln_e >= ln_sd {
            (ln_e, ln_sd)
        } else {
            (ln_sd, ln_e)
        };
        let small = (lo - hi).exp();
        let sum = 1.0 + small;
        // ln(1 + small) as ln of the rounded sum: an absolute error below
        // 2⁻⁵³, and several times cheaper than `ln_1p`.
        let ln_b = hi + sum.ln();
        let (share_hi, share_lo) = (1.0 / sum, small / sum);
        let (w_e, w_d) = if ln_e >= ln_sd {
            (share_hi, share_lo)
        } else {
            (share_lo, share_hi)
        };
        // e^(ln s + ln S(t_x) − ln B) = w_d / (1 − ρ).
        let q = w_d / -em1;
        let mut g = [0.0; 4];
        for k in 0..4 {
            g[k] = g_c[k] + w_e * g_e[k] + q * (g1[k] - rho * g2[k]);
        }
        g[2] += w_d / s;
        (ln_c + ln_b, g, w_e)
    }

    /// The log-likelihood of one customer's history (Fader & Hardie's
    /// note, eq. 22): `ln[Γ(r+x) αʳ βˢ / Γ(r)] + ln[(α+T)^−(r+x)
    /// (β+T)^−s + s ∫_{t_x}^T (α+τ)^−(r+x) (β+τ)^−(s+1) dτ]`, the
    /// integral (the note's ₂F₁ terms) in bounded work for every
    /// parameter: a series of positive terms where it settles within 500
    /// terms, else Gauss-Legendre panels and two fast series (about 1e-14
    /// relative; at most 4,096 panels of 20 points).
    ///
    /// # Errors
    ///
    /// [`Error::NotConverged`] if the integral is not a finite number
    /// (not seen for finite parameters and times).
    pub fn log_likelihood(&self, h: &History) -> Result<f64> {
        Ok(self.parts(h.frequency() as f64, h.recency(), h.age())?.0)
    }

    /// The sum of [`log_likelihood`](ParetoNbd::log_likelihood).
    ///
    /// # Errors
    ///
    /// As [`ParetoNbd::log_likelihood`].
    pub fn total_log_likelihood(&self, histories: &[History]) -> Result<f64> {
        histories.iter().map(|h| self.log_likelihood(h)).sum()
    }

    /// Fits the model by maximum likelihood, as
    /// [`BgNbd::fit`](super::BgNbd::fit) does (same optimiser, start,
    /// scaling of the times, penalizer and standard errors), with the
    /// analytic gradient of the series.
    ///
    /// # Errors
    ///
    /// As [`BgNbd::fit`](super::BgNbd::fit).
    pub fn fit(histories: &[History], options: &FitOptions) -> Result<Fit<ParetoNbd>> {
        // The fit scales the second parameter (α) back; β is a rate in the
        // same time unit, so it is scaled back here.
        let (theta, se, log_likelihood) =
            fit_rate_model("Pareto/NBD fit", histories, options, objective)?;
        let max_age = histories.iter().fold(0.0f64, |m, h| m.max(h.age()));
        let scale = if max_age > 0.0 { 1.0 / max_age } else { 1.0 };
        let model = ParetoNbd::new(theta[0], theta[1], theta[2], theta[3] / scale).map_err(|_| {
            Error::invalid(
                "Pareto/NBD fit",
                "the fitted rates do not fit an f64 on the histories' time scale: give the times in a larger unit",
            )
        })?;
        Ok(Fit {
            log_likelihood,
            params: model,
            standard_errors: ParetoNbd {
                r: se[0],
                alpha: se[1],
                s: se[2],
                beta: se[3] / scale,
            },
        })
    }

    /// P(alive | x, t_x, T): the share of the likelihood that has the
    /// customer alive at T.
    ///
    /// # Errors
    ///
    /// As [`ParetoNbd::log_likelihood`].
    pub fn probability_alive(&self, h: &History) -> Result<f64> {
        Ok(self.parts(h.frequency() as f64, h.recency(), h.age())?.2)
    }

    /// E[X(t)] for a customer chosen at random:
    /// `r β / (α (s−1)) · [1 − (β/(β+t))^(s−1)]` (its limit
    /// `r β/α · ln(1 + t/β)` at s = 1).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad `t`.
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        time("expected purchases", t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        Ok(r * beta / alpha * growth(s, beta, t))
    }

    /// E[Y(t) | x, t_x, T]: the expected purchases in `(T, T + t]`:
    /// `P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)]`.
    ///
    /// # Errors
    ///
    /// As [`ParetoNbd::log_likelihood`], or a bad `t`.
    pub fn conditional_expected_purchases(&self, h: &History, t: f64) -> Result<f64> {
        time("conditional expected purchases", t)?;
        let x = h.frequency() as f64;
        let big_t = h.age();
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let alive = self.probability_alive(h)?;
        let ratio = (beta + big_t) / (alpha + big_t);
        finite(
            "conditional expected purchases",
            alive * (r + x) * ratio * growth(s, beta + big_t, t),
        )
    }

    /// P(X(t) = n): the probability of exactly `n` repeat purchases in
    /// `(0, t]` for a customer chosen at random. From the model's story
    /// (purchases at rate λ until a lifetime τ of rate μ ends), integrated
    /// over λ ~ Gamma(r, α) and μ ~ Gamma(s, β):
    ///
    /// `P = NB(n; t) (β/(β+t))^s + s βˢ αʳ Γ(r+n)/(Γ(r) n!) ∫₀ᵗ τⁿ
    /// (α+τ)^−(r+n) (β+τ)^−(s+1) dτ`, with `NB(n; t) = Γ(r+n)/(Γ(r) n!)
    /// (α/(α+t))ʳ (t/(α+t))ⁿ` (alive at t; or died at τ < t, having bought
    /// n times before). The integral is taken, in log space, by 20-point
    /// Gauss-Legendre panels after `τ = m(eᵛ − 1)`, `m = min(α, β)`,
    /// which moves the integrand's singularities at −α and −β far from
    /// the interval (about 1e-13 relative accuracy).
    ///
    /// ```
    /// use revops::clv::ParetoNbd;
    /// let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
    /// let p: f64 = (0..400).map(|n| m.probability_of_purchases(39.0, n).unwrap()).sum();
    /// assert!((p - 1.0).abs() < 1e-9);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative or non-finite `t`.
    pub fn probability_of_purchases(&self, t: f64, n: u64) -> Result<f64> {
        time("probability of purchases", t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let x = n as f64;
        let ln_nb_coef = ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0);
        let alive = if t == 0.0 {
            if n == 0 {
                1.0
            } else {
                0.0
            }
        } else {
            (ln_nb_coef
                + r * (alpha / (alpha + t)).ln()
                + x * (t / (alpha + t)).ln()
                + s * (beta / (beta + t)).ln())
            .exp()
        };
        if t == 0.0 {
            return Ok(alive);
        }
        let ln_c = s.ln() + s * beta.ln() + r * alpha.ln() + ln_nb_coef;
        let ln_f = |tau: f64| {
            let pow = if n == 0 { 0.0 } else { x * tau.ln() };
            pow - (r + x) * (alpha + tau).ln() - (s + 1.0) * (beta + tau).ln()
        };
        let m = alpha.min(beta);
        let v_end = (t / m).ln_1p();
        let panels = v_end.ceil().max(1.0) as usize;
        let width = v_end / panels as f64;
        let mut died = 0.0;
        for k in 0..panels {
            let (a, b) = (k as f64 * width, (k + 1) as f64 * width);
            let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
            for &(z, w) in &GAUSS_LEGENDRE_20 {
                for v in [mid - half * z, mid + half * z] {
                    let tau = m * v.exp_m1();
                    // dτ = m eᵛ dv.
                    died += w * half * (ln_c + ln_f(tau) + m.ln() + v).exp();
                }
            }
        }
        Ok(alive + died)
    }
}

/// `[1 − (b/(b+t))^(s−1)] / (s−1)`, and its limit `ln(1 + t/b)` at s = 1.
fn growth(s: f64, b: f64, t: f64) -> f64 {
    let l = (b / (b + t)).ln();
    if (s - 1.0).abs() < 1e-12 {
        -l
    } else {
        -((s - 1.0) * l).exp_m1() / (s - 1.0)
    }
}

/// The mean negative log-likelihood plus the penalizer, and its gradient,
/// over `y = ln θ` on the scaled times (θ = r, α, s, β).
fn objective(p: &Prepared, y: &[f64; 4], penalizer: f64) -> (f64, [f64; 4]) {
    let theta = y.map(f64::exp);
    let Ok(m) = ParetoNbd::new(theta[0], theta[1], theta[2], theta[3]) else {
        return (f64::INFINITY, [0.0; 4]);
    };
    let per_x: Vec<(f64, [f64; 4])> = p.xs.iter().map(|&x| m.constant(x)).collect();
    // Each distinct (x, time) integral once.
    let [r, alpha, s, beta] = theta;
    let recip: Vec<f64> = (0..RECIPROCALS)
        .map(|k| if k == 0 { 0.0 } else { 1.0 / k as f64 })
        .collect();
    let mut tails = Vec::with_capacity(p.tails.len());
    for &(xi, t) in &p.tails {
        match ln_tail(r, alpha, s, beta, p.xs[xi as usize], t, &recip) {
            Ok(v) => tails.push(v),
            Err(_) => return (f64::INFINITY, [0.0; 4]),
        }
    }
    // ln(α+T) and ln(β+T) once per distinct T.
    let logs: Vec<(f64, f64)> = p
        .ages
        .iter()
        .map(|&t| ((alpha + t).ln(), (beta + t).ln()))
        .collect();
    let (mut ll, mut g) = (0.0, [0.0f64; 4]);
    for i in 0..p.len() {
        let xi = p.index[i] as usize;
        let pair = (
            tails[p.tail_recency[i] as usize],
            tails[p.tail_age[i] as usize],
        );
        let ln_t = logs[p.age_index[i] as usize];
        let (l, gi, _) = m.parts_with(p.xs[xi], p.age[i], ln_t, per_x[xi], pair);
        let w = p.weight[i];
        ll += w * l;
        for k in 0..4 {
            g[k] += w * gi[k];
        }
    }
    let n = p.customers;
    penalized_mean(ll, &g, &theta, n, penalizer)
}

#[cfg(test)]
mod tests {
    use super::super::optimize::assert_gradient_matches;
    use super::*;

    /// The analytic gradient equals central differences, with α above β
    /// and below it.
    #[test]
    fn gradient_matches_differences() {
        let hs: Vec<History> = [
            (0, 0.0, 30.0),
            (1, 5.0, 20.0),
            (4, 19.5, 38.0),
            (2, 1.0, 2.0),
            (3, 7.0, 7.0),
        ]
        .iter()
        .map(|&(x, tx, t)| History::new(x, tx, t).unwrap())
        .collect();
        let p = Prepared::new(&hs);
        // α above β, below it, and equal (the series' first term alone,
        // with ∂U/∂z at its limit).
        for y in [
            [-0.7, 0.4, 0.2, -0.3],
            [0.3, -0.9, -0.2, 0.8],
            [0.3, -0.4, -0.2, -0.4],
        ] {
            assert_gradient_matches(|y, pen| objective(&p, y, pen), y);
        }
    }

    /// As `s` → 0 nobody drops out: the likelihood tends to `ln Γ(r+x) −
    /// ln Γ(r) + r ln α − (r+x) ln(α+T)`, also where `s` times the
    /// drop-out share leaves `f64`'s normal range.
    #[test]
    fn likelihood_without_drop_out_is_the_nbd() {
        let (r, alpha, beta) = (0.55f64, 10.6f64, 11.7);
        for (x, tx, big_t) in [(3u64, 10.0, 30.0f64), (0, 0.0, 12.0), (7, 38.5, 39.0)] {
            let limit = ln_gamma(r + x as f64) - ln_gamma(r) + r * alpha.ln()
                - (r + x as f64) * (alpha + big_t).ln();
            let h = History::new(x, tx, big_t).unwrap();
            for s in [1e-200, 1e-300, 1e-310] {
                let ll = ParetoNbd::new(r, alpha, s, beta)
                    .unwrap()
                    .log_likelihood(&h)
                    .unwrap();
                assert!((ll - limit).abs() < 1e-12, "{s} {x}: {ll} vs {limit}");
            }
        }
    }
}
