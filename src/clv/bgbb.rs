//! The beta-geometric/beta-binomial model of purchases at discrete
//! opportunities (Fader, Hardie & Shang 2010, "Customer-base analysis in a
//! discrete-time noncontractual setting").

use std::collections::BTreeMap;

use super::optimize::{bfgs, hessian, interior, penalized_mean, standard_errors};
use super::special::{digamma, ln_gamma};
use super::{enough_customers, positive, Fit, FitOptions};
use crate::error::{Error, Result};

const OP: &str = "BG/BB";

/// The most opportunities a history may span (19 years of weekly
/// events): the likelihood of a history sums `n − t_x + 1` terms, so a
/// fit's evaluation costs at most this much per distinct history.
pub const MAX_OPPORTUNITIES: u64 = 1_000;

/// A customer's history over `n` discrete opportunities (yearly
/// campaigns, events): `x` purchases, the last at opportunity `t_x` (0
/// when none).
///
/// ```
/// use revops::clv::DiscreteHistory;
/// let h = DiscreteHistory::new(3, 5, 6)?; // bought 3 times, last at the 5th of 6
/// assert!(DiscreteHistory::new(3, 2, 6).is_err()); // 3 purchases by the 2nd?
/// assert!(DiscreteHistory::new(0, 1, 6).is_err());
/// # let _ = h;
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "DiscreteHistoryRepr", into = "DiscreteHistoryRepr")
)]
pub struct DiscreteHistory {
    x: u64,
    t_x: u64,
    n: u64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscreteHistoryRepr {
    frequency: u64,
    recency: u64,
    n: u64,
}

#[cfg(feature = "serde")]
impl TryFrom<DiscreteHistoryRepr> for DiscreteHistory {
    type Error = Error;
    fn try_from(r: DiscreteHistoryRepr) -> Result<DiscreteHistory> {
        DiscreteHistory::new(r.frequency, r.recency, r.n)
    }
}

#[cfg(feature = "serde")]
impl From<DiscreteHistory> for DiscreteHistoryRepr {
    fn from(h: DiscreteHistory) -> DiscreteHistoryRepr {
        DiscreteHistoryRepr {
            frequency: h.x,
            recency: h.t_x,
            n: h.n,
        }
    }
}

impl DiscreteHistory {
    /// A history, checked.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless `x ≤ t_x ≤ n`, `t_x = 0` exactly when
    /// `x = 0`, and `n` at most [`MAX_OPPORTUNITIES`].
    pub fn new(x: u64, t_x: u64, n: u64) -> Result<DiscreteHistory> {
        if n > MAX_OPPORTUNITIES {
            return Err(Error::invalid(
                OP,
                format!("{n} opportunities: at most {MAX_OPPORTUNITIES}"),
            ));
        }
        if t_x > n || x > t_x || (x == 0) != (t_x == 0) {
            return Err(Error::invalid(
                OP,
                format!("no history has {x} purchases, the last at {t_x}, in {n} opportunities"),
            ));
        }
        Ok(DiscreteHistory { x, t_x, n })
    }

    /// x: the purchases.
    pub fn frequency(&self) -> u64 {
        self.x
    }

    /// t_x: the opportunity of the last purchase (0 when none).
    pub fn recency(&self) -> u64 {
        self.t_x
    }

    /// n: the opportunities observed.
    pub fn opportunities(&self) -> u64 {
        self.n
    }
}

/// The BG/BB model: at each opportunity an alive customer buys with
/// probability p ~ Beta(α, β) and, after it, drops out for good with
/// probability θ ~ Beta(γ, δ).
///
/// ```
/// use revops::clv::{BgBb, DiscreteHistory};
/// // The paper's donation parameters.
/// let m = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
/// let h = DiscreteHistory::new(2, 6, 6)?; // gave at 2 of 6 campaigns, the last one too
/// let silent = DiscreteHistory::new(2, 2, 6)?; // the same 2, but none in the last 4
/// assert!(m.probability_alive(&h)? > m.probability_alive(&silent)?);
/// assert!(m.conditional_expected_purchases(&h, 5)? > m.conditional_expected_purchases(&silent, 5)?);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BgBbRepr", into = "BgBbRepr"))]
pub struct BgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BgBbRepr {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<BgBbRepr> for BgBb {
    type Error = Error;
    fn try_from(r: BgBbRepr) -> Result<BgBb> {
        BgBb::new(r.alpha, r.beta, r.gamma, r.delta)
    }
}

#[cfg(feature = "serde")]
impl From<BgBb> for BgBbRepr {
    fn from(m: BgBb) -> BgBbRepr {
        BgBbRepr {
            alpha: m.alpha,
            beta: m.beta,
            gamma: m.gamma,
            delta: m.delta,
        }
    }
}

/// `ln B(a, b)`.
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// `ln (e^a + e^b)`, stable.
fn ln_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// A finite, non-negative result, or why not.
fn finite(what: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(
            OP,
            format!("{what} is not a finite number here"),
        ))
    }
}

impl BgBb {
    /// The parameter names, in the paper's order.
    pub const NAMES: [&'static str; 4] = ["alpha", "beta", "gamma", "delta"];

    /// A model with these parameters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless every one is finite and above zero.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<BgBb> {
        for (name, v) in BgBb::NAMES.iter().zip([alpha, beta, gamma, delta]) {
            positive(OP, name, v)?;
        }
        Ok(BgBb {
            alpha,
            beta,
            gamma,
            delta,
        })
    }

    /// `[α, β, γ, δ]`.
    pub fn params(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// `ln B(α + x, β + k)/B(α, β)`: k opportunities without a purchase
    /// and x with one, alive at each.
    fn ln_buy(&self, x: f64, k: f64) -> f64 {
        ln_beta(self.alpha + x, self.beta + k) - ln_beta(self.alpha, self.beta)
    }

    /// `ln B(γ + g, δ + k)/B(γ, δ)`: alive through k opportunities, then
    /// (g = 1) dropped out, or (g = 0) still alive.
    fn ln_stay(&self, g: f64, k: f64) -> f64 {
        ln_beta(self.gamma + g, self.delta + k) - ln_beta(self.gamma, self.delta)
    }

    /// The log-likelihood of one history (eq. 5): alive through all `n`
    /// opportunities, or dropped out after opportunity `t_x + i`, `i < n −
    /// t_x`.
    pub fn log_likelihood(&self, h: &DiscreteHistory) -> f64 {
        let (x, tx, n) = (h.x as f64, h.t_x as f64, h.n as f64);
        let mut ll = self.ln_buy(x, n - x) + self.ln_stay(0.0, n);
        for i in 0..(h.n - h.t_x) {
            let i = i as f64;
            ll = ln_add(ll, self.ln_buy(x, tx - x + i) + self.ln_stay(1.0, tx + i));
        }
        ll
    }

    /// P(alive): the probability that the customer is still alive after
    /// the `n`-th opportunity (`lifetimes`'
    /// `conditional_probability_alive` with no period ahead).
    ///
    /// # Errors
    ///
    /// As [`BgBb::probability_alive_after`].
    pub fn probability_alive(&self, h: &DiscreteHistory) -> Result<f64> {
        self.probability_alive_after(h, 0)
    }

    /// The probability that the customer is alive at opportunity `n + m`
    /// (the paper's eq. 11 is `m = 1`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the result is not finite.
    pub fn probability_alive_after(&self, h: &DiscreteHistory, m: u64) -> Result<f64> {
        let (x, n) = (h.x as f64, h.n as f64);
        let v = (self.ln_buy(x, n - x) + self.ln_stay(0.0, n + m as f64) - self.log_likelihood(h))
            .exp();
        finite("P(alive)", v.min(1.0))
    }

    /// E[X(n, n + n*) | x, t_x, n]: the expected purchases in the next
    /// `n_star` opportunities (eq. 13), as the finite sum `1/L · B(α + x +
    /// 1, β + n − x)/B(α, β) · Σ_{t=1}^{n*} B(γ, δ + n + t)/B(γ, δ)`,
    /// which has no singularity at γ = 1.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `n_star` past [`MAX_OPPORTUNITIES`] or
    /// a result that is not finite.
    pub fn conditional_expected_purchases(&self, h: &DiscreteHistory, n_star: u64) -> Result<f64> {
        if n_star > MAX_OPPORTUNITIES {
            return Err(Error::invalid(
                OP,
                format!("{n_star} opportunities ahead: at most {MAX_OPPORTUNITIES}"),
            ));
        }
        let (x, n) = (h.x as f64, h.n as f64);
        let lead = self.ln_buy(x + 1.0, n - x) - self.log_likelihood(h);
        let sum: f64 = (1..=n_star)
            .map(|t| (lead + self.ln_stay(0.0, n + t as f64)).exp())
            .sum();
        finite("the expected purchases", sum)
    }

    /// E[X(n)]: the expected purchases in the first `n` opportunities of a
    /// customer chosen at random (eq. 9), `α/(α + β) · Σ_{t=1}^{n} B(γ,
    /// δ + t)/B(γ, δ)`.
    ///
    /// # Errors
    ///
    /// As [`BgBb::conditional_expected_purchases`].
    pub fn expected_purchases(&self, n: u64) -> Result<f64> {
        if n > MAX_OPPORTUNITIES {
            return Err(Error::invalid(
                OP,
                format!("{n} opportunities: at most {MAX_OPPORTUNITIES}"),
            ));
        }
        let p = self.alpha / (self.alpha + self.beta);
        let sum: f64 = (1..=n).map(|t| self.ln_stay(0.0, t as f64).exp()).sum();
        finite("the expected purchases", p * sum)
    }

    /// P(X(n) = x) for a customer chosen at random (eq. 7).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `n` past [`MAX_OPPORTUNITIES`].
    pub fn probability_of_purchases(&self, n: u64, x: u64) -> Result<f64> {
        if n > MAX_OPPORTUNITIES {
            return Err(Error::invalid(
                OP,
                format!("{n} opportunities: at most {MAX_OPPORTUNITIES}"),
            ));
        }
        if x > n {
            return Ok(0.0);
        }
        let xf = x as f64;
        let mut ll =
            ln_choose(n, x) + self.ln_buy(xf, (n - x) as f64) + self.ln_stay(0.0, n as f64);
        for i in x..n {
            ll = ln_add(
                ll,
                ln_choose(i, x) + self.ln_buy(xf, (i - x) as f64) + self.ln_stay(1.0, i as f64),
            );
        }
        finite("P(X(n) = x)", ll.exp())
    }

    /// Fits the model by maximum likelihood over `histories`, each with
    /// the number of customers who share it (the crate's optimiser: see
    /// the [module docs](super)), with standard errors.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for fewer than 4 customers or a bad
    /// penalizer; [`Error::NotConverged`] when the likelihood has no
    /// maximum inside the model or the search does not settle.
    pub fn fit_counts(
        histories: &[(DiscreteHistory, u64)],
        options: &FitOptions,
    ) -> Result<Fit<BgBb>> {
        let mut patterns: BTreeMap<DiscreteHistory, f64> = BTreeMap::new();
        let mut customers = 0u64;
        for &(h, c) in histories {
            customers = customers
                .checked_add(c)
                .ok_or_else(|| Error::overflow("BG/BB customer count"))?;
            if c > 0 {
                *patterns.entry(h).or_insert(0.0) += c as f64;
            }
        }
        enough_customers(
            "BG/BB fit",
            usize::try_from(customers).unwrap_or(usize::MAX),
            4,
        )?;
        if !options.penalizer.is_finite() || options.penalizer < 0.0 {
            return Err(Error::invalid(
                "BG/BB fit",
                format!(
                    "the penalizer {} must be finite and not negative",
                    options.penalizer
                ),
            ));
        }
        let rows: Vec<(DiscreteHistory, f64)> = patterns.into_iter().collect();
        let (n, pen) = (customers as f64, options.penalizer);
        let min = bfgs("BG/BB fit", [0.1; 4], |y| objective(&rows, n, y, pen))?;
        interior("BG/BB fit", &min)?;
        let theta = min.x.map(f64::exp);
        let model = BgBb::new(theta[0], theta[1], theta[2], theta[3])?;
        let h = hessian(&min.x, |y| objective(&rows, n, y, pen).1);
        let se = standard_errors("BG/BB fit", &h, &theta, n, min.iterations)?;
        Ok(Fit {
            log_likelihood: rows.iter().map(|(h, c)| c * model.log_likelihood(h)).sum(),
            params: model,
            standard_errors: BgBb {
                alpha: se[0],
                beta: se[1],
                gamma: se[2],
                delta: se[3],
            },
        })
    }

    /// [`BgBb::fit_counts`] with one customer per history.
    ///
    /// # Errors
    ///
    /// As [`BgBb::fit_counts`].
    pub fn fit(histories: &[DiscreteHistory], options: &FitOptions) -> Result<Fit<BgBb>> {
        let counted: Vec<(DiscreteHistory, u64)> = histories.iter().map(|&h| (h, 1)).collect();
        BgBb::fit_counts(&counted, options)
    }
}

/// `ln Γ(z + k)` and `ψ(z + k)` for `k = 0 … len − 1`, from one `ln Γ`
/// and one `ψ` by the recurrences `ln Γ(z + 1) = ln Γ(z) + ln z` and
/// `ψ(z + 1) = ψ(z) + 1/z`.
fn ladder(z: f64, len: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut lg, mut dg) = (Vec::with_capacity(len), Vec::with_capacity(len));
    let (mut l, mut d) = (ln_gamma(z), digamma(z));
    for k in 0..len {
        lg.push(l);
        dg.push(d);
        let zk = z + k as f64;
        l += zk.ln();
        d += 1.0 / zk;
    }
    (lg, dg)
}

/// The penalized mean negative log-likelihood over `y = ln θ` and its
/// gradient: each history's likelihood is a sum of terms `B(α + x, β +
/// k)/B(α, β) · B(γ + g, δ + m)/B(γ, δ)`, each term's log-derivatives by
/// digamma, weighted by the term's share of the sum. Every `ln Γ` and `ψ`
/// a term needs is at a whole offset from α, β, α + β, γ, δ or γ + δ, so
/// each evaluation builds those ladders once (six `ln Γ` and six `ψ`,
/// then a logarithm and a division per step) and the terms read them.
fn objective(
    rows: &[(DiscreteHistory, f64)],
    n: f64,
    y: &[f64; 4],
    penalizer: f64,
) -> (f64, [f64; 4]) {
    let theta = y.map(f64::exp);
    if !theta.iter().all(|t| t.is_finite() && *t > 0.0) {
        return (f64::INFINITY, [0.0; 4]);
    }
    let [a, b, g, d] = theta;
    let len = rows.iter().map(|(h, _)| h.n).max().unwrap_or(0) as usize + 2;
    let (la, da) = ladder(a, len);
    let (lb, db) = ladder(b, len);
    let (lab, dab) = ladder(a + b, len);
    let (lg, dg) = ladder(g, 2);
    let (ld, dd) = ladder(d, len);
    let (lgd, dgd) = ladder(g + d, len + 1);
    let buy0 = la[0] + lb[0] - lab[0];
    let stay0 = lg[0] + ld[0] - lgd[0];
    let (mut ll, mut grad) = (0.0, [0.0f64; 4]);
    // (ln term, its gradient) for x purchases and k opportunities without
    // one, alive at each, then dropped out (g = 1) after `span`
    // opportunities or alive through them (g = 0).
    let term = |x: usize, k: usize, gg: usize, span: usize| -> (f64, [f64; 4]) {
        let lt = la[x] + lb[k] - lab[x + k] - buy0 + lg[gg] + ld[span] - lgd[gg + span] - stay0;
        let grad = [
            da[x] - dab[x + k] - da[0] + dab[0],
            db[k] - dab[x + k] - db[0] + dab[0],
            dg[gg] - dgd[gg + span] - dg[0] + dgd[0],
            dd[span] - dgd[gg + span] - dd[0] + dgd[0],
        ];
        (lt, grad)
    };
    let mut terms: Vec<(f64, [f64; 4])> = Vec::new();
    for (h, c) in rows {
        let (x, tx, nn) = (h.x as usize, h.t_x as usize, h.n as usize);
        terms.clear();
        terms.push(term(x, nn - x, 0, nn));
        for i in 0..(nn - tx) {
            terms.push(term(x, tx - x + i, 1, tx + i));
        }
        let top = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = terms.iter().map(|t| (t.0 - top).exp()).sum();
        ll += c * (top + total.ln());
        for t in &terms {
            let w = c * (t.0 - top).exp() / total;
            for (g, d) in grad.iter_mut().zip(t.1) {
                *g += w * d;
            }
        }
    }
    penalized_mean(ll, &grad, &theta, n, penalizer)
}

#[cfg(test)]
mod tests {
    use super::super::optimize::assert_gradient_matches;
    use super::*;

    #[test]
    fn gradient_matches_differences() {
        let rows: Vec<(DiscreteHistory, f64)> = [
            (0, 0, 6, 30.0),
            (1, 1, 6, 5.0),
            (3, 5, 6, 8.0),
            (6, 6, 6, 12.0),
            (2, 4, 5, 3.0),
        ]
        .iter()
        .map(|&(x, t, n, c)| (DiscreteHistory::new(x, t, n).unwrap(), c))
        .collect();
        for y in [
            [0.1, 0.1, 0.1, 0.1],
            [0.2, -0.3, -0.4, 1.0],
            [-1.0, 0.5, 0.3, -0.2],
        ] {
            assert_gradient_matches(|y, pen| objective(&rows, 58.0, y, pen), y);
        }
    }
}
