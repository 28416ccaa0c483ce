//! Customer lifetime value: transactions to RFM, and the buy-till-you-die
//! models of Fader, Hardie and colleagues, true to their papers.
//!
//! | step | item |
//! |---|---|
//! | transactions → RFM per customer | [`summarize`], [`calibration_and_holdout`] ([`PeriodLength`]: day, week, month) |
//! | how many purchases, and is the customer still there | [`BgNbd`] (Fader, Hardie & Lee 2005), [`MbgNbd`] (Batislam, Denizel & Filiztekin 2007), [`ParetoNbd`] (Schmittlein, Morrison & Colombo 1987) |
//! | how many purchases at discrete opportunities (yearly campaigns, events), and is the customer still there | [`BgBb`] (Fader, Hardie & Shang 2010) over [`DiscreteHistory`] |
//! | will a subscriber renew (contractual churn, discrete renewals) | [`Sbg`] (Fader & Hardie 2007, 2010) over [`Renewals`]: survival, retention, discounted expected residual lifetime |
//! | how much per purchase | [`GammaGamma`] (Fader, Hardie & Lee 2005, "RFM and CLV") |
//! | does the model predict a holdout period it did not see | [`calibration_and_holdout`], fit on the calibration, then [`holdout_table`]: mean predicted against mean actual purchases by calibration frequency and recency |
//! | what the customer is worth | [`discounted_clv`] (margin per period, discounted; feeds [`ltv_to_cac`](crate::metrics::customer::ltv_to_cac) and [`cac_payback_months`](crate::metrics::customer::cac_payback_months)) |
//!
//! A model's parameters and histories share one time unit: the unit of
//! the [`History`] times (weeks in the papers' CDNOW examples). Models run
//! in `f64`.
//!
//! # Fitting
//!
//! Each model fits by maximum likelihood with a small BFGS of ours (no
//! optimisation crate): the analytic gradient, over the parameters'
//! logarithms (so they stay positive), an Armijo backtracking line search,
//! and at most 1,000 iterations and 4,000 evaluations of the objective
//! (each O(1) per distinct (x, t_x, T) whatever the parameters: the
//! Pareto/NBD integral is taken in bounded work, see its docs), and a
//! search that carries a log-parameter past 16 stops there (the optimum
//! is on the boundary, below); the objective is the mean negative
//! log-likelihood plus `lifetimes`' optional L2 penalizer. The start is
//! fixed (`ln θ = 0.1`, as in `lifetimes`), so a fit is deterministic. A
//! fit that does not converge, or whose optimum lies on the model's
//! boundary (a parameter running to 0 or infinity: `|ln θ| > 15`, on the
//! scaled times), is
//! [`Error::NotConverged`](crate::Error), with its reason, never a
//! parameter set; fewer customers than the model has parameters is
//! [`Error::InvalidInput`](crate::Error) ("too few customers"). Standard errors come from the Hessian of the
//! objective at the optimum (differences of the analytic gradient).
//!
//! ```
//! use revops::clv::{BgNbd, FitOptions, History};
//! // Customers shaped like the published CDNOW model's: at three ages, as
//! // many with x repeat purchases as the model expects out of 100.
//! let cdnow = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let mut histories = Vec::new();
//! for t in [30.0, 35.0, 39.0] {
//!     for x in 0..8u64 {
//!         let n = (cdnow.probability_of_purchases(t, x)? * 100.0).round() as usize;
//!         for k in 0..n {
//!             let tx = if x == 0 { 0.0 } else { t * (0.3 + 0.07 * (k % 10) as f64) };
//!             histories.push(History::new(x, tx, t)?);
//!         }
//!     }
//! }
//! let fit = BgNbd::fit(&histories, &FitOptions { penalizer: 0.001 })?;
//! assert!(fit.log_likelihood < 0.0);
//! assert!(fit.standard_errors.params()[0] > 0.0);
//! let p = fit.params.probability_alive(&History::new(2, 30.4, 38.9)?)?;
//! assert!(p > 0.0 && p <= 1.0);
//! // Four customers cannot pin four parameters down: the likelihood
//! // rises toward the model's boundary, and the fit says so.
//! assert!(BgNbd::fit(&histories[..4], &FitOptions::default()).is_err());
//! # Ok::<(), revops::Error>(())
//! ```

mod bgbb;
mod bgnbd;
mod bracket;
mod gamma_gamma;
mod history;
mod holdout;
mod mbgnbd;
mod model;
mod optimize;
mod pareto;
mod rfm;
mod sbg;
mod special;
mod summary_state;
mod tail;
mod value;

pub use bgbb::{BgBb, DiscreteHistory, MAX_OPPORTUNITIES};
pub use bgnbd::BgNbd;
pub use gamma_gamma::{frequency_value_correlation, GammaGamma, Spend};
pub use history::History;
pub use holdout::{holdout_table, HoldoutRow, HoldoutTable};
pub use mbgnbd::MbgNbd;
pub use model::PurchaseModel;
pub use pareto::ParetoNbd;
pub use rfm::{
    calibration_and_holdout, CalibrationHoldout, CustomerRfm, PeriodLength, Summary, Transaction,
};
pub use sbg::{Renewals, Sbg};
pub use summary_state::{summarize, RfmState};
pub use value::{discounted_clv, CustomerValue, Discounting};

use crate::error::{Error, Result};

/// Options of a fit.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct FitOptions {
    /// The L2 penalizer, as `lifetimes` applies it: `penalizer · Σ θ²`
    /// added to the mean negative log-likelihood (0: plain maximum
    /// likelihood).
    pub penalizer: f64,
}

/// A fitted model.
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Fit<P> {
    /// The maximum-likelihood parameters.
    pub params: P,
    /// Each parameter's standard error, in the same fields.
    pub standard_errors: P,
    /// The total log-likelihood at the parameters (without the
    /// penalizer).
    pub log_likelihood: f64,
}

/// Refuses a fit over fewer customers than the model has parameters:
/// they cannot determine them (the likelihood rises toward the model's
/// boundary), so the answer is "too few customers", not a failed search.
fn enough_customers(operation: &'static str, customers: usize, parameters: usize) -> Result<()> {
    if customers >= parameters {
        Ok(())
    } else {
        Err(Error::invalid(
            operation,
            format!(
                "too few customers: {customers} cannot determine the model's {parameters} parameters (at least {parameters} are needed)"
            ),
        ))
    }
}

/// Refuses a parameter that is not finite and above zero.
fn positive(model: &'static str, name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            model,
            format!("the parameter {name} = {v} must be finite and above zero"),
        ))
    }
}
