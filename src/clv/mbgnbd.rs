//! MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation
//! and comparison of models for customer base analysis", International
//! Journal of Research in Marketing 24(3); predictions as in Wagner &
//! Hoppe (2008) and `lifetimes`' `ModifiedBetaGeoFitter`.

use super::bgnbd::{finite, fit_rate_model, horizon, log_add_exp, purchase_probability, time};
use super::bracket::expected_purchases_bracket;
use super::history::{History, Prepared};
use super::optimize::penalized_mean;
use super::special::{digamma, ln_gamma, ln_gamma_ratio};
use super::{positive, Fit, FitOptions};
#[cfg(feature = "serde")]
use crate::error::Error;
use crate::error::Result;

/// The MBG/NBD model's parameters: as [`BgNbd`](super::BgNbd), except
/// that a customer may also drop out right after the first purchase (so a
/// customer with no repeat purchase is not certainly alive).
///
/// ```
/// use revops::clv::{History, MbgNbd};
/// let m = MbgNbd::new(0.525, 6.183, 0.891, 1.614)?;
/// let never = History::new(0, 0.0, 38.0)?;
/// assert!(m.probability_alive(&never)? < 1.0);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "MbgNbdRepr", into = "MbgNbdRepr"))]
pub struct MbgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MbgNbdRepr {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<MbgNbdRepr> for MbgNbd {
    type Error = Error;
    fn try_from(p: MbgNbdRepr) -> Result<MbgNbd> {
        MbgNbd::new(p.r, p.alpha, p.a, p.b)
    }
}

#[cfg(feature = "serde")]
impl From<MbgNbd> for MbgNbdRepr {
    fn from(p: MbgNbd) -> MbgNbdRepr {
        MbgNbdRepr {
            r: p.r,
            alpha: p.alpha,
            a: p.a,
            b: p.b,
        }
    }
}

impl MbgNbd {
    /// The parameters' names.
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "a", "b"];

    /// A model with these parameters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless all four are finite and above zero.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<MbgNbd> {
        for (name, v) in MbgNbd::NAMES.iter().zip([r, alpha, a, b]) {
            positive("MBG/NBD", name, v)?;
        }
        Ok(MbgNbd { r, alpha, a, b })
    }

    /// The parameters in the order of [`MbgNbd::NAMES`].
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// The log-likelihood of one customer's history:
    /// `ln[Γ(r+x)αʳ/Γ(r)] + ln[B(a, b+x+1)/B(a, b)] − (r+x) ln(α+T) +
    /// ln[1 + a/(b+x) ((α+T)/(α+t_x))^(r+x)]`.
    ///
    /// # Errors
    ///
    /// As [`BgNbd::log_likelihood`](super::BgNbd::log_likelihood).
    pub fn log_likelihood(&self, h: &History) -> Result<f64> {
        let x = h.frequency() as f64;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
        let a3 = -(r + x) * (alpha + h.age()).ln();
        let a4 =
            a.ln() - (b + x).ln() + (r + x) * ((alpha + h.age()).ln() - (alpha + h.recency()).ln());
        finite("log-likelihood", a1 + a2 + a3 + log_add_exp(a4, 0.0))
    }

    /// The sum of [`log_likelihood`](MbgNbd::log_likelihood) over customers.
    ///
    /// # Errors
    ///
    /// As [`log_likelihood`](MbgNbd::log_likelihood).
    pub fn total_log_likelihood(&self, histories: &[History]) -> Result<f64> {
        histories.iter().map(|h| self.log_likelihood(h)).sum()
    }

    /// Fits the model by maximum likelihood, as
    /// [`BgNbd::fit`](super::BgNbd::fit) does (same optimiser, start,
    /// scaling, penalizer and standard errors).
    ///
    /// # Errors
    ///
    /// As [`BgNbd::fit`](super::BgNbd::fit).
    pub fn fit(histories: &[History], options: &FitOptions) -> Result<Fit<MbgNbd>> {
        let (theta, se, log_likelihood) =
            fit_rate_model("MBG/NBD fit", histories, options, objective)?;
        let model = MbgNbd::new(theta[0], theta[1], theta[2], theta[3])?;
        Ok(Fit {
            log_likelihood,
            params: model,
            standard_errors: MbgNbd {
                r: se[0],
                alpha: se[1],
                a: se[2],
                b: se[3],
            },
        })
    }

    /// E[X(t)] for a customer chosen at random: `b/(a−1) · [1 −
    /// (α/(α+t))ʳ ₂F₁(r, b+1; a+b; t/(α+t))]`, the bracket over `a − 1`
    /// in the Euler-transformed form of BG/NBD's (exact at and near `a =
    /// 1`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad `t`; [`Error::NotConverged`] if
    /// the series does not settle (`t` some 10⁵ times `α` or more).
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        time("expected purchases", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let (z, ln_1mz) = horizon(alpha, t);
        let c = a + b;
        Ok(b * expected_purchases_bracket(a, c - r, c, z, ln_1mz)?)
    }

    /// E[Y(t) | x, t_x, T]: the expected purchases in `(T, T + t]`:
    /// `(a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1;
    /// a+b+x; t/(α+T+t))] · P(alive)`, as
    /// [`MbgNbd::expected_purchases`] computes it.
    ///
    /// # Errors
    ///
    /// As [`MbgNbd::expected_purchases`].
    pub fn conditional_expected_purchases(&self, h: &History, t: f64) -> Result<f64> {
        time("conditional expected purchases", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = h.frequency() as f64;
        let (z, ln_1mz) = horizon(alpha + h.age(), t);
        let c = a + b + x;
        let bracket = expected_purchases_bracket(a, a + b - r, c, z, ln_1mz)?;
        finite(
            "conditional expected purchases",
            c * bracket * self.probability_alive(h)?,
        )
    }

    /// P(alive | x, t_x, T) `= 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x))`,
    /// for every x (a customer may drop out after the first purchase).
    ///
    /// # Errors
    ///
    /// As [`BgNbd::log_likelihood`](super::BgNbd::log_likelihood).
    pub fn probability_alive(&self, h: &History) -> Result<f64> {
        let x = h.frequency() as f64;
        let log_odds_dead = (self.a / (self.b + x)).ln()
            + (self.r + x) * ((self.alpha + h.age()) / (self.alpha + h.recency())).ln();
        finite("P(alive)", 1.0 / (1.0 + log_odds_dead.exp()))
    }

    /// P(X(t) = n) for a customer chosen at random: `B(a, b+n+1)/B(a, b)
    /// NB(n) + B(a+1, b+n)/B(a, b) I_p(n, r)`, `p = t/(α+t)`, with the
    /// negative binomial's upper tail `I_p(n, r) = 1 − Σ_{j<n} NB(j)` as
    /// the regularized incomplete beta (see
    /// [`BgNbd::probability_of_purchases`](super::BgNbd::probability_of_purchases):
    /// log space, exact far tails, a cost that does not grow with `n`).
    ///
    /// ```
    /// use revops::clv::MbgNbd;
    /// let m = MbgNbd::new(0.525, 6.183, 0.891, 1.614)?;
    /// let far = m.probability_of_purchases(1.0, 200)?;
    /// assert!(far > 0.0 && far < 1e-170);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`BgNbd::probability_of_purchases`](super::BgNbd::probability_of_purchases).
    pub fn probability_of_purchases(&self, t: f64, n: u64) -> Result<f64> {
        time("probability of purchases", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        // ln[B(a, b+n+1)/B(a, b)] and ln[B(a+1, b+n)/B(a, b)].
        let base = ln_gamma(a + b) - ln_gamma(b);
        let x = n as f64;
        let alive = ln_gamma_ratio(x, b + 1.0, a + b + 1.0) + base;
        let dropped = a.ln() + ln_gamma_ratio(x, b, a + b + 1.0) + base;
        purchase_probability(r, alpha, t, n, alive, Some(dropped))
    }
}

/// The mean negative log-likelihood plus the penalizer, and its gradient,
/// over `y = ln θ` on the scaled times.
fn objective(p: &Prepared, y: &[f64; 4], penalizer: f64) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = y.map(f64::exp);
    if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
        return (f64::INFINITY, [0.0; 4]);
    }
    let (lg_r, lg_ab, lg_b) = (ln_gamma(r), ln_gamma(a + b), ln_gamma(b));
    let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
    let per_x: Vec<[f64; 5]> =
        p.xs.iter()
            .map(|&x| {
                let a1 = ln_gamma(r + x) - lg_r + r * alpha.ln();
                let a2 = lg_ab + ln_gamma(b + x + 1.0) - lg_b - ln_gamma(a + b + x + 1.0);
                let d_r = digamma(r + x) - dg_r + alpha.ln();
                let d_a = dg_ab - digamma(a + b + x + 1.0);
                let d_b = d_a + digamma(b + x + 1.0) - dg_b;
                [a1 + a2, d_r, d_a, d_b, x]
            })
            .collect();
    let ln_a = a.ln();
    let (mut ll, mut g) = (0.0, [0.0f64; 4]);
    for i in 0..p.len() {
        let [base, d_r, d_a, d_b, x] = per_x[p.index[i] as usize];
        let wt = p.weight[i];
        let rx = r + x;
        let (at, ar) = (alpha + p.age[i], alpha + p.recency[i]);
        let (l_at, l_ar) = (at.ln(), ar.ln());
        let a3 = -rx * l_at;
        let a4 = ln_a - (b + x).ln() + rx * (l_at - l_ar);
        ll += wt * (base + a3 + log_add_exp(a4, 0.0));
        // σ(A4): the weight of the drop-out term.
        let w = 1.0 / (1.0 + (-a4).exp());
        g[0] += wt * (d_r - l_at + w * (l_at - l_ar));
        g[1] += wt * (r / alpha - rx / at + w * rx * (1.0 / at - 1.0 / ar));
        g[2] += wt * (d_a + w / a);
        g[3] += wt * (d_b - w / (b + x));
    }
    let n = p.customers;
    let theta = [r, alpha, a, b];
    penalized_mean(ll, &g, &theta, n, penalizer)
}

#[cfg(test)]
mod tests {
    use super::super::optimize::assert_gradient_matches;
    use super::*;

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
