//! The Gamma-Gamma model of spend per transaction: Fader, Hardie & Lee
//! (2005), "RFM and CLV: using iso-value curves for customer base
//! analysis", Journal of Marketing Research 42(4); the note "The
//! Gamma-Gamma model of monetary value" (Fader & Hardie, 2013).

use super::optimize::{bfgs, hessian, interior, penalized_mean, standard_errors};
use super::special::{digamma, ln_gamma};
use super::{enough_customers, positive, Fit, FitOptions};
use crate::error::{Error, Result};

/// The Gamma-Gamma model's parameters: each transaction's value is
/// Gamma(shape `p`, rate ν), and across customers ν ~ Gamma(shape `q`,
/// rate `v`) (the papers' γ). A customer's mean spend is `p/ν`; the
/// population mean is `p v / (q − 1)`.
///
/// ```
/// use revops::clv::GammaGamma;
/// // The published CDNOW fit.
/// let m = GammaGamma::new(6.25, 3.74, 15.44)?;
/// // A customer with 2 repeat purchases averaging 35.
/// let e = m.conditional_expected_average_value(2, 35.0)?;
/// // A weighted mean of the population mean and their own.
/// let pop = 6.25 * 15.44 / (3.74 - 1.0);
/// assert!(e > 35.0_f64.min(pop) && e < 35.0_f64.max(pop));
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "GammaGammaRepr", into = "GammaGammaRepr")
)]
pub struct GammaGamma {
    p: f64,
    q: f64,
    v: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GammaGammaRepr {
    p: f64,
    q: f64,
    v: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<GammaGammaRepr> for GammaGamma {
    type Error = Error;
    fn try_from(r: GammaGammaRepr) -> Result<GammaGamma> {
        GammaGamma::new(r.p, r.q, r.v)
    }
}

#[cfg(feature = "serde")]
impl From<GammaGamma> for GammaGammaRepr {
    fn from(m: GammaGamma) -> GammaGammaRepr {
        GammaGammaRepr {
            p: m.p,
            q: m.q,
            v: m.v,
        }
    }
}

/// One customer's spend as the model reads it: `frequency` (x > 0) repeat
/// transactions with mean value `mean_value` (m_x > 0). In JSON,
/// `{"frequency": 3, "mean_value": 41.5}`, checked as [`Spend::new`]
/// checks it.
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SpendRepr", into = "SpendRepr"))]
pub struct Spend {
    frequency: u64,
    mean_value: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpendRepr {
    frequency: u64,
    mean_value: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<SpendRepr> for Spend {
    type Error = Error;
    fn try_from(r: SpendRepr) -> Result<Spend> {
        Spend::new(r.frequency, r.mean_value)
    }
}

#[cfg(feature = "serde")]
impl From<Spend> for SpendRepr {
    fn from(s: Spend) -> SpendRepr {
        SpendRepr {
            frequency: s.frequency,
            mean_value: s.mean_value,
        }
    }
}

impl Spend {
    /// A validated spend record.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for no transactions or a mean value that is
    /// not finite and above zero.
    pub fn new(frequency: u64, mean_value: f64) -> Result<Spend> {
        if frequency == 0 {
            return Err(Error::invalid(
                "spend",
                "the Gamma-Gamma model needs at least one repeat transaction",
            ));
        }
        positive("spend", "mean value", mean_value)?;
        Ok(Spend {
            frequency,
            mean_value,
        })
    }

    /// x: the number of transactions averaged.
    pub fn frequency(&self) -> u64 {
        self.frequency
    }

    /// m_x: their mean value.
    pub fn mean_value(&self) -> f64 {
        self.mean_value
    }
}

impl GammaGamma {
    /// The parameters' names, as `lifetimes` writes them (`v` is the
    /// papers' γ).
    pub const NAMES: [&'static str; 3] = ["p", "q", "v"];

    /// A model with these parameters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless all three are finite and above zero.
    pub fn new(p: f64, q: f64, v: f64) -> Result<GammaGamma> {
        for (name, x) in GammaGamma::NAMES.iter().zip([p, q, v]) {
            positive("Gamma-Gamma", name, x)?;
        }
        Ok(GammaGamma { p, q, v })
    }

    /// The parameters in the order of [`GammaGamma::NAMES`].
    pub fn params(&self) -> [f64; 3] {
        [self.p, self.q, self.v]
    }

    /// The log-likelihood of one customer's mean spend:
    /// `ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m + px ln x −
    /// (px+q) ln(xm+v)`.
    pub fn log_likelihood(&self, s: &Spend) -> f64 {
        let (x, m) = (s.frequency as f64, s.mean_value);
        let (p, q, v) = (self.p, self.q, self.v);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
            + q * v.ln()
            + (p * x - 1.0) * m.ln()
            + p * x * x.ln()
            - (p * x + q) * (x * m + v).ln()
    }

    /// The sum of [`log_likelihood`](GammaGamma::log_likelihood).
    pub fn total_log_likelihood(&self, spends: &[Spend]) -> f64 {
        spends.iter().map(|s| self.log_likelihood(s)).sum()
    }

    /// Fits the model by maximum likelihood: as
    /// [`BgNbd::fit`](super::BgNbd::fit) (BFGS over the logarithms from
    /// `ln θ = 0.1`, `lifetimes`' penalizer `penalizer · Σ θ²` on the mean
    /// negative log-likelihood, standard errors by the delta method), with
    /// no time scaling.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] with fewer than 3 customers (too few to
    /// determine 3 parameters) or with a bad penalizer;
    /// [`Error::NotConverged`].
    pub fn fit(spends: &[Spend], options: &FitOptions) -> Result<Fit<GammaGamma>> {
        enough_customers("Gamma-Gamma fit", spends.len(), 3)?;
        if !options.penalizer.is_finite() || options.penalizer < 0.0 {
            return Err(Error::invalid(
                "Gamma-Gamma fit",
                format!(
                    "the penalizer {} must be finite and not negative",
                    options.penalizer
                ),
            ));
        }
        let pen = options.penalizer;
        let prepared = PreparedSpends::new(spends);
        let min = bfgs("Gamma-Gamma fit", [0.1; 3], |y| {
            objective(&prepared, y, pen)
        })?;
        interior("Gamma-Gamma fit", &min)?;
        let theta = min.x.map(f64::exp);
        let model = GammaGamma::new(theta[0], theta[1], theta[2])?;
        let h = hessian(&min.x, |y| objective(&prepared, y, pen).1);
        let n = spends.len() as f64;
        let se = standard_errors("Gamma-Gamma fit", &h, &theta, n, min.iterations)?;
        let standard_errors = GammaGamma {
            p: se[0],
            q: se[1],
            v: se[2],
        };
        Ok(Fit {
            log_likelihood: model.total_log_likelihood(spends),
            params: model,
            standard_errors,
        })
    }

    /// `E(M)`: the population's mean transaction value, `p v / (q − 1)`,
    /// the value the model gives a customer without repeat purchases (its
    /// conditional expectation at x = 0).
    ///
    /// ```
    /// use revops::clv::GammaGamma;
    /// let m = GammaGamma::new(6.25, 3.74, 15.44)?; // CDNOW
    /// assert!((m.expected_average_value()? - 6.25 * 15.44 / 2.74).abs() < 1e-12);
    /// assert!(GammaGamma::new(6.25, 0.9, 15.44)?.expected_average_value().is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `q ≤ 1` (the population mean is not
    /// finite), or a mean past `f64`'s range.
    pub fn expected_average_value(&self) -> Result<f64> {
        let value = self.p * self.v / (self.q - 1.0);
        if self.q > 1.0 && value.is_finite() {
            Ok(value)
        } else {
            Err(Error::invalid(
                "expected average value",
                format!(
                    "q = {} must be above 1 for a finite population mean (p = {}, v = {})",
                    self.q, self.p, self.v
                ),
            ))
        }
    }

    /// E[M | x, m_x]: the expected mean transaction value of a customer
    /// with `frequency` transactions averaging `mean_value`:
    /// `p (v + x m_x) / (p x + q − 1)`, a weighted mean of the population
    /// mean `p v / (q − 1)` and the customer's own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for `p·x + q ≤ 1` (no finite posterior
    /// mean; with `q ≤ 1` a customer's own purchases can still give one),
    /// or an invalid spend (see [`Spend::new`]).
    pub fn conditional_expected_average_value(
        &self,
        frequency: u64,
        mean_value: f64,
    ) -> Result<f64> {
        let s = Spend::new(frequency, mean_value)?;
        let x = s.frequency as f64;
        // p x + q − 1, without losing q − 1 when p x is small.
        let denominator = self.p * x + (self.q - 1.0);
        if denominator <= 0.0 {
            return Err(Error::invalid(
                "expected average value",
                format!(
                    "p·x + q = {} must be above 1 for a finite mean (p = {}, x = {x}, q = {})",
                    self.p * x + self.q,
                    self.p,
                    self.q
                ),
            ));
        }
        // p/(p x + q − 1) times (v + x m), with the weights taken apart
        // so that a heavy buyer's x m does not overflow first.
        let value = self.p * (self.v / denominator + x / denominator * s.mean_value);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(Error::invalid(
                "expected average value",
                format!(
                    "not a finite number for x = {x}, mean value {}",
                    s.mean_value
                ),
            ))
        }
    }
}

/// The Pearson correlation of frequency and mean value: the model assumes
/// them independent, so a value far from 0 says it does not fit the data.
/// `None` for fewer than two customers or a constant column.
///
/// ```
/// use revops::clv::{frequency_value_correlation, Spend};
/// let s: Vec<Spend> = [(1, 10.0), (2, 20.0), (3, 30.0)]
///     .iter().map(|&(x, m)| Spend::new(x, m).unwrap()).collect();
/// assert!((frequency_value_correlation(&s).unwrap() - 1.0).abs() < 1e-12);
/// ```
pub fn frequency_value_correlation(spends: &[Spend]) -> Option<f64> {
    let n = spends.len() as f64;
    if spends.len() < 2 {
        return None;
    }
    // The correlation does not change when a column is scaled: each is
    // divided by its largest value first, so that neither sums nor squares
    // overflow (values near 1e300) or underflow (near 1e-300).
    let kx = spends.iter().fold(0.0f64, |m, s| m.max(s.frequency as f64));
    let km = spends.iter().fold(0.0f64, |m, s| m.max(s.mean_value));
    let (fx, fm) = (
        |s: &Spend| s.frequency as f64 / kx,
        |s: &Spend| s.mean_value / km,
    );
    let mx = spends.iter().map(fx).sum::<f64>() / n;
    let mm = spends.iter().map(fm).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for s in spends {
        let (dx, dy) = (fx(s) - mx, fm(s) - mm);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let r = (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0);
    (sxx > 0.0 && syy > 0.0 && r.is_finite()).then_some(r)
}

/// Spends arranged for repeated evaluation: the distinct frequencies
/// (the gamma functions of `px` and `px + q` are computed once per
/// distinct x), and per record its x's index, `x m`, and the constant
/// `(px−1) ln m + px ln x` split into its parts.
struct PreparedSpends {
    xs: Vec<f64>,
    index: Vec<u32>,
    /// x · m.
    total: Vec<f64>,
    /// ln m + ln x (the coefficient of p·x), and ln m.
    ln_mx: Vec<f64>,
    ln_m: Vec<f64>,
}

impl PreparedSpends {
    fn new(spends: &[Spend]) -> PreparedSpends {
        let mut xs: Vec<u64> = spends.iter().map(|s| s.frequency).collect();
        xs.sort_unstable();
        xs.dedup();
        PreparedSpends {
            index: spends
                .iter()
                .map(|s| xs.partition_point(|&x| x < s.frequency) as u32)
                .collect(),
            xs: xs.iter().map(|&x| x as f64).collect(),
            total: spends
                .iter()
                .map(|s| s.frequency as f64 * s.mean_value)
                .collect(),
            ln_mx: spends
                .iter()
                .map(|s| s.mean_value.ln() + (s.frequency as f64).ln())
                .collect(),
            ln_m: spends.iter().map(|s| s.mean_value.ln()).collect(),
        }
    }
}

/// The mean negative log-likelihood plus the penalizer, and its gradient
/// over `y = ln θ`.
fn objective(s: &PreparedSpends, y: &[f64; 3], penalizer: f64) -> (f64, [f64; 3]) {
    let [p, q, v] = y.map(f64::exp);
    if ![p, q, v].iter().all(|t| t.is_finite() && *t > 0.0) {
        return (f64::INFINITY, [0.0; 3]);
    }
    let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
    // Per distinct x: ln Γ(px+q) − ln Γ(px) − ln Γ(q), ψ(px+q), ψ(px).
    let per_x: Vec<[f64; 4]> =
        s.xs.iter()
            .map(|&x| {
                let px = p * x;
                let d_pxq = digamma(px + q);
                [
                    ln_gamma(px + q) - ln_gamma(px) - lg_q,
                    d_pxq,
                    digamma(px),
                    x,
                ]
            })
            .collect();
    let (mut ll, mut g) = (0.0, [0.0f64; 3]);
    for i in 0..s.index.len() {
        let [lg, d_pxq, d_px, x] = per_x[s.index[i] as usize];
        let px = p * x;
        let xmv = s.total[i] + v;
        let ln_xmv = xmv.ln();
        ll += lg + q * ln_v + px * s.ln_mx[i] - s.ln_m[i] - (px + q) * ln_xmv;
        g[0] += x * (d_pxq - d_px + s.ln_mx[i] - ln_xmv);
        g[1] += d_pxq - dg_q + ln_v - ln_xmv;
        g[2] += q / v - (px + q) / xmv;
    }
    let n = s.index.len() as f64;
    let theta = [p, q, v];
    penalized_mean(ll, &g, &theta, n, penalizer)
}

#[cfg(test)]
mod tests {
    use super::super::optimize::assert_gradient_matches;
    use super::*;

    #[test]
    fn gradient_matches_differences() {
        let s: Vec<Spend> = [(1, 12.0), (3, 40.5), (7, 9.25), (2, 100.0)]
            .iter()
            .map(|&(x, m)| Spend::new(x, m).unwrap())
            .collect();
        let s = PreparedSpends::new(&s);
        assert_gradient_matches(|y, pen| objective(&s, y, pen), [0.8, 0.3, 1.9]);
    }
}
