//! The shifted-beta-geometric model of contractual retention (Fader &
//! Hardie 2007, "How to project customer retention"; 2010,
//! "Customer-base valuation in a contractual setting").

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use super::optimize::{bfgs, hessian, interior, penalized_mean, standard_errors};
use super::special::{digamma, hyp2f1, ln_gamma};
use super::{enough_customers, positive, Fit, FitOptions};
use crate::error::{Error, Result};
use crate::quantity::Money;

const OP: &str = "sBG";

/// The shifted-beta-geometric model: each customer renews at the end of
/// every period with probability `1 − θ`, θ fixed per customer and
/// distributed Beta(α, β) across customers.
///
/// A customer who churns at the end of their `t`-th period (`t ≥ 1`) has
/// `P(T = t) = B(α + 1, β + t − 1) / B(α, β)`; the share still active
/// after `t` renewal opportunities is `S(t) = B(α, β + t) / B(α, β)`
/// (`S(0) = 1`), and the retention rate `r(t) = S(t) / S(t − 1) = (β + t
/// − 1) / (α + β + t − 1)` rises with `t`: the customers who stay are the
/// ones with low θ. sBG is not a [`PurchaseModel`](super::PurchaseModel):
/// in a contract, whether a customer is alive is observed at each renewal
/// rather than inferred from silence, and there are no purchase counts to
/// predict; its history is a renewal count ([`Renewals`]).
///
/// ```
/// use revops::clv::{FitOptions, Renewals, Sbg};
/// // Fader & Hardie (2007), the "high end" segment: 1,000 customers, still
/// // active after years 1 to 7.
/// let data = Renewals::from_survival(&[1000, 869, 743, 653, 593, 551, 517, 491])?;
/// let fit = Sbg::fit(&data, &FitOptions::default())?;
/// let [alpha, beta] = fit.params.params();
/// assert_eq!((format!("{alpha:.3}"), format!("{beta:.3}")), ("0.668".into(), "3.806".into()));
/// // Retention rises: 87% in year 1, about 95% by year 12.
/// assert!(fit.params.retention_rate(1)? < fit.params.retention_rate(12)?);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SbgRepr", into = "SbgRepr"))]
pub struct Sbg {
    alpha: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SbgRepr {
    alpha: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<SbgRepr> for Sbg {
    type Error = Error;
    fn try_from(r: SbgRepr) -> Result<Sbg> {
        Sbg::new(r.alpha, r.beta)
    }
}

#[cfg(feature = "serde")]
impl From<Sbg> for SbgRepr {
    fn from(m: Sbg) -> SbgRepr {
        SbgRepr {
            alpha: m.alpha,
            beta: m.beta,
        }
    }
}

/// Renewal histories: how many customers churned at the end of their
/// `t`-th period, and how many are still active in their `t`-th period
/// (right-censored: they have survived `t − 1` renewals so far). Build it
/// from a cohort's survival counts or customer by customer; cohorts merge
/// (a pooled fit) or fit apart.
///
/// ```
/// use revops::clv::Renewals;
/// let mut r = Renewals::new();
/// r.add_churned(1, 2)?; // two customers left at their first renewal
/// r.add_active(3, 5)?;  // five are in their third period
/// assert_eq!(r.customers(), 7);
/// assert!(r.add_active(0, 1).is_err());
/// // The same as a survival table: 7 at the start, 5 after renewals 1 and 2.
/// assert_eq!(Renewals::from_survival(&[7, 5, 5])?, r);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Renewals {
    churned: BTreeMap<u64, u64>,
    active: BTreeMap<u64, u64>,
}

impl Renewals {
    /// No customer.
    pub fn new() -> Renewals {
        Renewals::default()
    }

    /// From a cohort's survival counts: `active[t]` customers still active
    /// after `t` renewal opportunities (`active[0]` the cohort's size), so
    /// `active[t − 1] − active[t]` churned at the end of period `t` and
    /// the last count are still active.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty table, a cohort of 0, or a
    /// count that rises.
    pub fn from_survival(active: &[u64]) -> Result<Renewals> {
        let Some(&first) = active.first() else {
            return Err(Error::invalid(OP, "the survival table is empty"));
        };
        if first == 0 {
            return Err(Error::invalid(OP, "the cohort has no customer"));
        }
        let mut r = Renewals::new();
        for (t, w) in active.windows(2).enumerate() {
            if w[1] > w[0] {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "the active customers rise from {} to {} after renewal {}",
                        w[0],
                        w[1],
                        t + 1
                    ),
                ));
            }
            r.add_churned(t as u64 + 1, w[0] - w[1])?;
        }
        r.add_active(active.len() as u64, active[active.len() - 1])?;
        Ok(r)
    }

    /// `count` customers who churned at the end of their `periods`-th
    /// period.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `periods` of 0; [`Error::Overflow`].
    pub fn add_churned(&mut self, periods: u64, count: u64) -> Result<()> {
        Renewals::put(&mut self.churned, periods, count)
    }

    /// `count` customers still active in their `periods`-th period.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `periods` of 0; [`Error::Overflow`].
    pub fn add_active(&mut self, periods: u64, count: u64) -> Result<()> {
        Renewals::put(&mut self.active, periods, count)
    }

    fn put(map: &mut BTreeMap<u64, u64>, periods: u64, count: u64) -> Result<()> {
        if periods == 0 {
            return Err(Error::invalid(
                OP,
                "a customer is active for at least one period",
            ));
        }
        if count == 0 {
            return Ok(());
        }
        let c = map.entry(periods).or_insert(0);
        *c = c
            .checked_add(count)
            .ok_or_else(|| Error::overflow("sBG customer count"))?;
        Ok(())
    }

    /// Adds another cohort's histories (a pooled fit of both).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`].
    pub fn merge(&mut self, other: &Renewals) -> Result<()> {
        for (&t, &c) in &other.churned {
            self.add_churned(t, c)?;
        }
        for (&t, &c) in &other.active {
            self.add_active(t, c)?;
        }
        Ok(())
    }

    /// How many customers.
    pub fn customers(&self) -> u64 {
        self.churned
            .values()
            .chain(self.active.values())
            .fold(0u64, |a, &c| a.saturating_add(c))
    }

    /// The churned counts by period.
    pub fn churned(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.churned.iter().map(|(&t, &c)| (t, c))
    }

    /// The active (censored) counts by period.
    pub fn active(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.active.iter().map(|(&t, &c)| (t, c))
    }
}

/// `ln B(a, b)`.
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

impl Sbg {
    /// The parameter names, in the paper's order.
    pub const NAMES: [&'static str; 2] = ["alpha", "beta"];

    /// A model with these parameters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless both are finite and above zero.
    pub fn new(alpha: f64, beta: f64) -> Result<Sbg> {
        positive(OP, "alpha", alpha)?;
        positive(OP, "beta", beta)?;
        Ok(Sbg { alpha, beta })
    }

    /// `[α, β]`.
    pub fn params(&self) -> [f64; 2] {
        [self.alpha, self.beta]
    }

    /// `P(T = t)`: the probability that a customer churns at the end of
    /// period `t` (`t ≥ 1`).
    ///
    /// ```
    /// use revops::clv::Sbg;
    /// let m = Sbg::new(1.0, 1.0)?; // θ uniform: P(T = t) = 1 / (t (t + 1))
    /// assert!((m.churn_probability(3)? - 1.0 / 12.0).abs() < 1e-12);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `t` of 0.
    pub fn churn_probability(&self, t: u64) -> Result<f64> {
        if t == 0 {
            return Err(Error::invalid(OP, "churn happens at a renewal: t >= 1"));
        }
        let t = t as f64;
        Ok((ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)).exp())
    }

    /// `S(t)`: the share of a cohort still active after `t` renewal
    /// opportunities (`S(0) = 1`).
    ///
    /// ```
    /// use revops::clv::Sbg;
    /// let m = Sbg::new(1.0, 1.0)?; // S(t) = 1 / (t + 1)
    /// assert_eq!(m.survival(0), 1.0);
    /// assert!((m.survival(4) - 0.2).abs() < 1e-12);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn survival(&self, t: u64) -> f64 {
        if t == 0 {
            return 1.0;
        }
        (ln_beta(self.alpha, self.beta + t as f64) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// `r(t) = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)`: the share
    /// of the customers active after `t − 1` renewals who renew at the
    /// `t`-th (`t ≥ 1`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `t` of 0.
    pub fn retention_rate(&self, t: u64) -> Result<f64> {
        if t == 0 {
            return Err(Error::invalid(OP, "the first renewal is t = 1"));
        }
        let t = t as f64;
        Ok((self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0))
    }

    /// `E[T] = Σ S(t) = (α + β − 1) / (α − 1)`: the expected number of
    /// periods a new customer stays, the first included.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless α > 1: otherwise the expectation is
    /// infinite (enough customers have θ near 0 to stay forever on
    /// average), and a discounted lifetime is the number to use.
    pub fn expected_lifetime(&self) -> Result<f64> {
        if self.alpha <= 1.0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "infinite, alpha = {:.4} is at most 1 (use DERL)",
                    self.alpha
                ),
            ));
        }
        Ok((self.alpha + self.beta - 1.0) / (self.alpha - 1.0))
    }

    /// DERL: the discounted expected residual lifetime of a customer who
    /// has made `renewals` renewals (`n − 1` in the paper), counting the
    /// periods still to be paid for, the next one undiscounted (Fader &
    /// Hardie 2010, eq. 6): `(β + n − 1) / (α + β + n − 1) · ₂F₁(1, β +
    /// n; α + β + n; 1 / (1 + d))`, that is `Σ_{k ≥ 0} S(n + k) / S(n −
    /// 1) / (1 + d)^k`.
    ///
    /// ```
    /// use revops::clv::Sbg;
    /// let m = Sbg::new(0.668, 3.806)?;
    /// // Longer-lived customers are worth more: their θ is lower.
    /// assert!(m.discounted_residual_lifetime(4, 0.1)? > m.discounted_residual_lifetime(0, 0.1)?);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless `discount` is finite and above 0;
    /// [`Error::NotConverged`] if the series does not settle (a discount
    /// below about 10^-5).
    pub fn discounted_residual_lifetime(&self, renewals: u64, discount: f64) -> Result<f64> {
        if !(discount.is_finite() && discount > 0.0) {
            return Err(Error::invalid(
                OP,
                format!("the discount rate {discount} must be finite and above 0"),
            ));
        }
        let n = renewals as f64 + 1.0;
        let (a, b) = (self.alpha, self.beta);
        let lead = (b + n - 1.0) / (a + b + n - 1.0);
        Ok(lead * hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount))?)
    }

    /// A customer's value: `margin` per period × DERL, rounded to the
    /// currency's minor unit.
    ///
    /// ```
    /// use revops::clv::Sbg;
    /// use revops::{Currency, Money};
    /// let m = Sbg::new(0.668, 3.806)?;
    /// let v = m.customer_value(Money::parse("100", "USD")?, 0, 0.1)?;
    /// let derl = m.discounted_residual_lifetime(0, 0.1)?;
    /// assert_eq!(v, Money::new(revops::Decimal::try_from(100.0 * derl).unwrap(), Currency::USD).round(revops::RoundingStrategy::MidpointNearestEven)?);
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Sbg::discounted_residual_lifetime`]; [`Error::InvalidInput`]
    /// for a negative margin; [`Error::Overflow`].
    pub fn customer_value(&self, margin: Money, renewals: u64, discount: f64) -> Result<Money> {
        if margin.is_negative() {
            return Err(Error::invalid(OP, "the margin per period is negative"));
        }
        let derl = self.discounted_residual_lifetime(renewals, discount)?;
        let factor = Decimal::try_from(derl).map_err(|_| Error::overflow(OP))?;
        margin
            .checked_mul(factor)?
            .round(RoundingStrategy::MidpointNearestEven)
    }

    /// The log-likelihood of `data`: `Σ churned(t) ln P(T = t) + Σ
    /// active(t) ln S(t − 1)` (the paper's, right-censored).
    pub fn log_likelihood(&self, data: &Renewals) -> f64 {
        let b0 = ln_beta(self.alpha, self.beta);
        let churned: f64 = data
            .churned()
            .map(|(t, c)| c as f64 * (ln_beta(self.alpha + 1.0, self.beta + t as f64 - 1.0) - b0))
            .sum();
        let active: f64 = data
            .active()
            .map(|(t, c)| c as f64 * (ln_beta(self.alpha, self.beta + t as f64 - 1.0) - b0))
            .sum();
        churned + active
    }

    /// Fits α and β by maximum likelihood (the crate's optimiser: see the
    /// [module docs](super)), with standard errors.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for fewer than 2 customers, a bad penalizer,
    /// data without churn, or data that end at the first renewal (no churn
    /// after it, no customer past it): the likelihood then has no maximum
    /// inside the model, or a ridge; [`Error::NotConverged`] when it has no
    /// maximum inside the model (no customer ever churns, or every one
    /// churns at once) or the search does not settle.
    pub fn fit(data: &Renewals, options: &FitOptions) -> Result<Fit<Sbg>> {
        let n = data.customers();
        enough_customers("sBG fit", usize::try_from(n).unwrap_or(usize::MAX), 2)?;
        if !options.penalizer.is_finite() || options.penalizer < 0.0 {
            return Err(Error::invalid(
                "sBG fit",
                format!(
                    "the penalizer {} must be finite and not negative",
                    options.penalizer
                ),
            ));
        }
        // Churn at the first renewal and survival past it alone tell only
        // α / (α + β): the likelihood is flat along that ratio.
        let beyond_first =
            data.churned().any(|(t, _)| t >= 2) || data.active().any(|(t, _)| t >= 3);
        if data.churned().next().is_none() {
            return Err(Error::invalid(
                "sBG fit",
                "no customer churned: the churn rate runs to 0, with no maximum inside the model",
            ));
        }
        if !beyond_first {
            return Err(Error::invalid(
                "sBG fit",
                "the data reach only the first renewal: they fix the first-year churn, not alpha and beta apart",
            ));
        }
        let pen = options.penalizer;
        let rows: Vec<(f64, f64, bool)> = data
            .churned()
            .map(|(t, c)| (t as f64, c as f64, true))
            .chain(data.active().map(|(t, c)| (t as f64, c as f64, false)))
            .collect();
        let nf = n as f64;
        let min = bfgs("sBG fit", [0.1; 2], |y| objective(&rows, nf, y, pen))?;
        interior("sBG fit", &min)?;
        let theta = min.x.map(f64::exp);
        let model = Sbg::new(theta[0], theta[1])?;
        let h = hessian(&min.x, |y| objective(&rows, nf, y, pen).1);
        let se = standard_errors("sBG fit", &h, &theta, nf, min.iterations)?;
        Ok(Fit {
            log_likelihood: model.log_likelihood(data),
            params: model,
            standard_errors: Sbg {
                alpha: se[0],
                beta: se[1],
            },
        })
    }
}

/// The penalized mean negative log-likelihood over `y = ln [α, β]` and
/// its gradient: per row `(t, count, churned)`, `ln P(T = t)` or `ln S(t
/// − 1)` with their derivatives by digamma.
fn objective(rows: &[(f64, f64, bool)], n: f64, y: &[f64; 2], penalizer: f64) -> (f64, [f64; 2]) {
    let [a, b] = y.map(f64::exp);
    if !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
        return (f64::INFINITY, [0.0; 2]);
    }
    let b0 = ln_beta(a, b);
    let (d_a, d_b, d_ab) = (digamma(a), digamma(b), digamma(a + b));
    let (mut ll, mut g) = (0.0, [0.0f64; 2]);
    for &(t, c, churned) in rows {
        if churned {
            // ln B(α + 1, β + t − 1) − ln B(α, β)
            let (x, z) = (b + t - 1.0, a + b + t);
            ll += c * (ln_beta(a + 1.0, x) - b0);
            g[0] += c * (digamma(a + 1.0) - digamma(z) - d_a + d_ab);
            g[1] += c * (digamma(x) - digamma(z) - d_b + d_ab);
        } else {
            // ln B(α, β + t − 1) − ln B(α, β)
            let (x, z) = (b + t - 1.0, a + b + t - 1.0);
            ll += c * (ln_beta(a, x) - b0);
            g[0] += c * (d_a - digamma(z) - d_a + d_ab);
            g[1] += c * (digamma(x) - digamma(z) - d_b + d_ab);
        }
    }
    penalized_mean(ll, &g, &[a, b], n, penalizer)
}

#[cfg(test)]
mod tests {
    use super::super::optimize::assert_gradient_matches;
    use super::*;

    #[test]
    fn gradient_matches_differences() {
        let data = Renewals::from_survival(&[1000, 869, 743, 653, 593, 551, 517, 491]).unwrap();
        let rows: Vec<(f64, f64, bool)> = data
            .churned()
            .map(|(t, c)| (t as f64, c as f64, true))
            .chain(data.active().map(|(t, c)| (t as f64, c as f64, false)))
            .collect();
        for y in [[0.1, 0.1], [-0.4, 1.3], [1.2, -0.7]] {
            assert_gradient_matches(|y, pen| objective(&rows, 1000.0, y, pen), y);
        }
    }
}
