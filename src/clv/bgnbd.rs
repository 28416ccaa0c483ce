//! BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
//! way: an alternative to the Pareto/NBD model", Marketing Science 24(2).

use super::bracket::expected_purchases_bracket;
use super::history::{History, Prepared};
use super::optimize::{bfgs, hessian, interior, penalized_mean, standard_errors};
use super::special::{digamma, ln_beta_regularized, ln_gamma, ln_gamma_ratio};
use super::{enough_customers, positive, Fit, FitOptions};
use crate::error::{Error, Result};

/// The BG/NBD model's parameters: while active, a customer buys at rate
/// λ ~ Gamma(shape `r`, rate `alpha`); after each repeat purchase they
/// drop out with probability p ~ Beta(`a`, `b`). `alpha` is in the unit of
/// the histories' times (per week if T is in weeks).
///
/// ```
/// use revops::clv::{BgNbd, History};
/// // The published CDNOW fit (weeks).
/// let m = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let h = History::new(2, 30.43, 38.86)?;
/// // The paper's example: 1.226 expected purchases in the next 39 weeks.
/// let e = m.conditional_expected_purchases(&h, 39.0)?;
/// assert!((e - 1.226).abs() < 5e-4);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BgNbdRepr", into = "BgNbdRepr"))]
pub struct BgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BgNbdRepr {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<BgNbdRepr> for BgNbd {
    type Error = Error;
    fn try_from(p: BgNbdRepr) -> Result<BgNbd> {
        BgNbd::new(p.r, p.alpha, p.a, p.b)
    }
}

#[cfg(feature = "serde")]
impl From<BgNbd> for BgNbdRepr {
    fn from(p: BgNbd) -> BgNbdRepr {
        BgNbdRepr {
            r: p.r,
            alpha: p.alpha,
            a: p.a,
            b: p.b,
        }
    }
}

impl BgNbd {
    /// The parameters' names, as the paper and `lifetimes` write them.
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "a", "b"];

    /// A model with these parameters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless all four are finite and above zero.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<BgNbd> {
        for (name, v) in BgNbd::NAMES.iter().zip([r, alpha, a, b]) {
            positive("BG/NBD", name, v)?;
        }
        Ok(BgNbd { r, alpha, a, b })
    }

    /// The parameters in the order of [`BgNbd::NAMES`].
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// The log-likelihood of one customer's history (FHL 2005, eq. 6, in
    /// log form):
    /// `ln[Γ(r+x)αʳ/Γ(r)] + ln[B(a, b+x)/B(a, b)] + ln[(α+T)^−(r+x) +
    /// 1{x>0} a/(b+x−1) (α+t_x)^−(r+x)]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if it is not a finite number (times too
    /// large for `f64`).
    pub fn log_likelihood(&self, h: &History) -> Result<f64> {
        let x = h.frequency() as f64;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + h.age()).ln();
        if h.frequency() == 0 {
            return finite("log-likelihood", a1 + a2 + a3);
        }
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + h.recency()).ln();
        finite("log-likelihood", a1 + a2 + log_add_exp(a3, a4))
    }

    /// The sum of [`log_likelihood`](BgNbd::log_likelihood) over customers.
    ///
    /// # Errors
    ///
    /// As [`log_likelihood`](BgNbd::log_likelihood).
    pub fn total_log_likelihood(&self, histories: &[History]) -> Result<f64> {
        histories.iter().map(|h| self.log_likelihood(h)).sum()
    }

    /// Fits the model by maximum likelihood.
    ///
    /// The optimiser is BFGS (ours, [`crate::clv`]'s module docs) on the
    /// mean negative log-likelihood plus the penalizer, over the
    /// parameters' logarithms, with the analytic gradient; times are
    /// scaled so that the largest T is 1 and `alpha` is scaled back after,
    /// as `lifetimes` does; the start is `ln θ = 0.1` for every parameter
    /// (`lifetimes`' default). The penalizer is `lifetimes`':
    /// `penalizer · Σ θ²` over the parameters *as fitted*, that is with
    /// `alpha` on the scaled times. Standard errors are `θᵢ ·
    /// sqrt([H⁻¹]ᵢᵢ / n)`, with H the Hessian of the objective over the
    /// logarithms at the optimum (the delta method; `lifetimes`' rule).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] with fewer than 4 customers (too few to
    /// determine 4 parameters) or with a negative or non-finite penalizer;
    /// [`Error::NotConverged`], with its reason, if the optimiser does not
    /// converge within its bounds (module docs).
    pub fn fit(histories: &[History], options: &FitOptions) -> Result<Fit<BgNbd>> {
        let (theta, se, log_likelihood) =
            fit_rate_model("BG/NBD fit", histories, options, objective)?;
        let model = BgNbd::new(theta[0], theta[1], theta[2], theta[3])?;
        let standard_errors = BgNbd {
            r: se[0],
            alpha: se[1],
            a: se[2],
            b: se[3],
        };
        Ok(Fit {
            log_likelihood,
            params: model,
            standard_errors,
        })
    }

    /// E[X(t)]: the expected number of repeat purchases in `(0, t]` of a
    /// customer chosen at random (FHL 2005, eq. 9):
    /// `(a+b−1)/(a−1) · [1 − (α/(α+t))ʳ ₂F₁(r, b; a+b−1; t/(α+t))]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative or non-finite `t`, or `a + b
    /// ≤ 1` (where the formula has no finite form); [`Error::NotConverged`]
    /// if the hypergeometric series does not settle (`t` some 10⁵ times
    /// `α` or more).
    ///
    /// The bracket over `a − 1` is computed in its Euler-transformed form,
    /// `−L (e^y − 1)/y − e^y Σ_{n≥1} (A)ₙ (a)ₙ₋₁ / ((C)ₙ n!) zⁿ` with `L =
    /// ln(1−z)`, `y = (a−1) L`, `A = a+b−1−r`, `C = a+b−1`, so `a` at or
    /// near 1 gives the formula's limit, to full precision.
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        time("expected purchases", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        if a + b <= 1.0 {
            return Err(Error::invalid(
                "expected purchases",
                "the closed form needs a + b > 1",
            ));
        }
        let (z, ln_1mz) = horizon(alpha, t);
        let c = a + b - 1.0;
        Ok(c * expected_purchases_bracket(a, c - r, c, z, ln_1mz)?)
    }

    /// E[Y(t) | x, t_x, T]: the expected number of purchases in `(T, T +
    /// t]` of a customer with history `h` (FHL 2005, eq. 10).
    ///
    /// # Errors
    ///
    /// As [`BgNbd::expected_purchases`].
    pub fn conditional_expected_purchases(&self, h: &History, t: f64) -> Result<f64> {
        time("conditional expected purchases", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = h.frequency() as f64;
        if a + b + x <= 1.0 {
            return Err(Error::invalid(
                "conditional expected purchases",
                "the closed form needs a + b + x > 1",
            ));
        }
        let (z, ln_1mz) = horizon(alpha + h.age(), t);
        let c = a + b + x - 1.0;
        let bracket = expected_purchases_bracket(a, a + b - 1.0 - r, c, z, ln_1mz)?;
        finite(
            "conditional expected purchases",
            c * bracket * self.probability_alive(h)?,
        )
    }

    /// P(alive | x, t_x, T) (Fader, Hardie & Lee, "Computing P(alive)
    /// using the BG/NBD model", 2008): `1 / (1 + 1{x>0} a/(b+x−1)
    /// ((α+T)/(α+t_x))^(r+x))`, computed in log form. A customer without
    /// repeat purchases is alive with probability 1 under this model.
    ///
    /// # Errors
    ///
    /// As [`BgNbd::log_likelihood`].
    pub fn probability_alive(&self, h: &History) -> Result<f64> {
        if h.frequency() == 0 {
            return Ok(1.0);
        }
        let x = h.frequency() as f64;
        let log_odds_dead = (self.a / (self.b + x - 1.0)).ln()
            + (self.r + x) * ((self.alpha + h.age()) / (self.alpha + h.recency())).ln();
        finite("P(alive)", 1.0 / (1.0 + log_odds_dead.exp()))
    }

    /// P(X(t) = n): the probability of exactly `n` repeat purchases in
    /// `(0, t]` for a customer chosen at random (FHL 2005, eq. 8), with
    /// its `1 − Σ_{j<n} NB(j)` taken as the negative binomial's upper
    /// tail, the regularized incomplete beta `I_p(n, r)`, `p = t/(α+t)`:
    /// `B(a, b+n)/B(a, b) NB(n) + 1{n>0} B(a+1, b+n−1)/B(a, b) I_p(n, r)`.
    /// Every part is computed in log space, so far tails keep their
    /// relative accuracy (no cancellation, never negative); the cost does
    /// not grow with `n` (a few continued-fraction steps; O(√n) near the
    /// distribution's centre).
    ///
    /// ```
    /// use revops::clv::BgNbd;
    /// let m = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let p: f64 = (0..2000).map(|n| m.probability_of_purchases(39.0, n).unwrap()).sum();
    /// assert!((p - 1.0).abs() < 1e-9);
    /// // A far tail is a tiny positive number, not a rounding error.
    /// let tail = m.probability_of_purchases(0.001, 5)?;
    /// assert!(tail > 0.0 && tail < 1e-19);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative or non-finite `t`;
    /// [`Error::NotConverged`] if the incomplete beta's continued fraction
    /// does not settle (n beyond about 10¹⁰ at the distribution's centre).
    pub fn probability_of_purchases(&self, t: f64, n: u64) -> Result<f64> {
        time("probability of purchases", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        // ln[B(a, b+n)/B(a, b)] and ln[B(a+1, b+n−1)/B(a, b)].
        let base = ln_gamma(a + b) - ln_gamma(b);
        let x = n as f64;
        let alive = ln_gamma_ratio(x, b, a + b) + base;
        let dropped = (n > 0).then(|| a.ln() + ln_gamma_ratio(x, b - 1.0, a + b) + base);
        purchase_probability(r, alpha, t, n, alive, dropped)
    }
}

/// P(X(t) = n) of the BG/NBD family: `e^alive NB(n) + e^dropped I_p(n,
/// r)` (the second part only when `dropped` is given; `I_p(0, r) = 1`),
/// `NB` the negative binomial of the purchases while alive and `I` its
/// upper tail `P(NB ≥ n)`, every part in log space.
pub(super) fn purchase_probability(
    r: f64,
    alpha: f64,
    t: f64,
    n: u64,
    alive: f64,
    dropped: Option<f64>,
) -> Result<f64> {
    let x = n as f64;
    let ln_at = (alpha + t).ln();
    let (ln_p, ln_q) = (t.ln() - ln_at, alpha.ln() - ln_at);
    let power = if n == 0 { 0.0 } else { x * ln_p };
    let ln_nb = ln_gamma_ratio(x, r, 1.0) - ln_gamma(r) + r * ln_q + power;
    let mut p = (alive + ln_nb).exp();
    if let Some(dropped) = dropped {
        let tail = if n == 0 {
            0.0
        } else {
            ln_beta_regularized(x, r, ln_p, ln_q)?
        };
        p += (dropped + tail).exp();
    }
    if p.is_finite() {
        Ok(p.min(1.0))
    } else {
        Err(Error::invalid(
            "probability of purchases",
            format!("not finite at t = {t}, n = {n}"),
        ))
    }
}

/// `z = t/(s+t)` and `ln(1−z) = ln(s/(s+t))` of a horizon `t` after a
/// time `s` (`α`, or `α + T`), the second without cancellation.
pub(super) fn horizon(s: f64, t: f64) -> (f64, f64) {
    let st = s + t;
    (t / st, s.ln() - st.ln())
}

/// A prediction, or an error that says it overflowed.
pub(super) fn finite(operation: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(
            operation,
            "the result is not a finite number (a time too large for f64)",
        ))
    }
}

/// `ln(eᵃ + eᵇ)` without overflow.
#[inline]
pub(super) fn log_add_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

pub(super) fn time(operation: &'static str, t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            operation,
            format!("the time {t} must be finite and not negative"),
        ))
    }
}

/// The objective of a model of purchase rates over `y = ln θ` (θ = r,
/// α on the scaled times, and two more), with its gradient.
pub(super) type Objective = fn(&Prepared, &[f64; 4], f64) -> (f64, [f64; 4]);

/// The steps every fit of a four-parameter purchase model shares: prepare
/// and scale the histories, minimise from `ln θ = 0.1`, refuse a boundary
/// optimum, and compute the standard errors; returns θ and the standard
/// errors with `alpha` (the second) back on the histories' own times, and
/// the total log-likelihood on those times.
pub(super) fn fit_rate_model(
    operation: &'static str,
    histories: &[History],
    options: &FitOptions,
    objective: Objective,
) -> Result<([f64; 4], [f64; 4], f64)> {
    let p = check_fit_input(operation, histories, options)?;
    let pen = options.penalizer;
    let min = bfgs(operation, [0.1; 4], |y| objective(&p, y, pen))?;
    interior(operation, &min)?;
    let mut theta = min.x.map(f64::exp);
    let h = hessian(&min.x, |y| objective(&p, y, pen).1);
    let mut se = standard_errors(operation, &h, &theta, p.customers, min.iterations)?;
    // The log-likelihood on the scaled times differs from the one on the
    // histories' times by −x ln(scale) per customer (every rate model's
    // density carries a factor λˣ, so time units enter as scaleˣ).
    let scaled = -objective(&p, &min.x, 0.0).0 * p.customers;
    let repeat: f64 = (0..p.len())
        .map(|i| p.weight[i] * p.xs[p.index[i] as usize])
        .sum();
    let log_likelihood = scaled + repeat * p.scale.ln();
    theta[1] /= p.scale;
    se[1] /= p.scale;
    if !(theta.iter().chain(&se).all(|v| v.is_finite()) && log_likelihood.is_finite()) {
        return Err(Error::invalid(
            operation,
            "the fitted rates do not fit an f64 on the histories' time scale: give the times in a larger unit",
        ));
    }
    Ok((theta, se, log_likelihood))
}

/// Refuses an empty input or a bad penalizer; prepares the histories.
pub(crate) fn check_fit_input(
    operation: &'static str,
    histories: &[History],
    options: &FitOptions,
) -> Result<Prepared> {
    enough_customers(operation, histories.len(), 4)?;
    if !options.penalizer.is_finite() || options.penalizer < 0.0 {
        return Err(Error::invalid(
            operation,
            format!(
                "the penalizer {} must be finite and not negative",
                options.penalizer
            ),
        ));
    }
    Ok(Prepared::new(histories))
}

/// The mean negative log-likelihood plus the penalizer, and its gradient,
/// over `y = ln θ` on the scaled times (infinite outside the domain).
fn objective(p: &Prepared, y: &[f64; 4], penalizer: f64) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = y.map(f64::exp);
    if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
        return (f64::INFINITY, [0.0; 4]);
    }
    // Per distinct x: the gamma and digamma terms, and A4's constant.
    let (lg_r, lg_ab, lg_b) = (ln_gamma(r), ln_gamma(a + b), ln_gamma(b));
    let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
    let (ln_a, ln_alpha) = (a.ln(), alpha.ln());
    let per_x: Vec<[f64; 7]> =
        p.xs.iter()
            .map(|&x| {
                let a1 = ln_gamma(r + x) - lg_r + r * ln_alpha;
                let a2 = lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x);
                let d_r = digamma(r + x) - dg_r + ln_alpha;
                let d_a = dg_ab - digamma(a + b + x);
                let d_b = d_a + digamma(b + x) - dg_b;
                // Only used for x > 0 (b + x − 1 > 0 there).
                let bx1 = b + x - 1.0;
                [a1 + a2, d_r, d_a, d_b, x, ln_a - bx1.ln(), 1.0 / bx1]
            })
            .collect();
    // Per distinct age: ln(α + T) and 1 / (α + T).
    let per_age: Vec<(f64, f64)> = p
        .ages
        .iter()
        .map(|&t| ((alpha + t).ln(), 1.0 / (alpha + t)))
        .collect();
    let mut ll = 0.0;
    let mut g = [0.0f64; 4]; // d ll / d θ
    for i in 0..p.len() {
        let [base, d_r, d_a, d_b, x, c4, inv_bx1] = per_x[p.index[i] as usize];
        let (l_at, inv_at) = per_age[p.age_index[i] as usize];
        let wt = p.weight[i];
        let rx = r + x;
        let a3 = -rx * l_at;
        let (mut gr, mut galpha, mut ga, mut gb) = (d_r, r / alpha, d_a, d_b);
        if x == 0.0 {
            ll += wt * (base + a3);
            gr -= l_at;
            galpha -= rx * inv_at;
        } else {
            let ar = alpha + p.recency[i];
            let l_ar = ar.ln();
            let a4 = c4 - rx * l_ar;
            // ln(e^A3 + e^A4) with one exp: the larger plus ln(1 + e^−|d|).
            // (ln of 1 + e rather than ln_1p: e is in (0, 1], where the
            // two differ by less than 1e-16, and ln is much cheaper.)
            let e = (-(a4 - a3).abs()).exp();
            let one_e = 1.0 + e;
            let big = 1.0 / one_e;
            let small = e * big;
            let (w3, w4) = if a3 >= a4 { (big, small) } else { (small, big) };
            ll += wt * (base + a3.max(a4) + one_e.ln());
            gr -= w3 * l_at + w4 * l_ar;
            galpha -= rx * (w3 * inv_at + w4 / ar);
            ga += w4 / a;
            gb -= w4 * inv_bx1;
        }
        g[0] += wt * gr;
        g[1] += wt * galpha;
        g[2] += wt * ga;
        g[3] += wt * gb;
    }
    let n = p.customers;
    let theta = [r, alpha, a, b];
    penalized_mean(ll, &g, &theta, n, penalizer)
}

#[cfg(test)]
mod tests {
    use super::super::optimize::assert_gradient_matches;
    use super::*;

    /// The analytic gradient equals central differences of the objective.
    #[test]
    fn gradient_matches_differences() {
        let hs: Vec<History> = [
            (0, 0.0, 30.0),
            (1, 5.0, 20.0),
            (4, 19.5, 38.0),
            (2, 1.0, 2.0),
        ]
        .iter()
        .map(|&(x, tx, t)| History::new(x, tx, t).unwrap())
        .collect();
        let p = Prepared::new(&hs);
        assert_gradient_matches(|y, pen| objective(&p, y, pen), [-0.7, 0.4, 0.2, -0.3]);
    }
}
