//! The one interface of the purchase models: what every caller (the
//! discounted value, the tools, a service choosing a model at run time)
//! needs of BG/NBD, MBG/NBD and Pareto/NBD alike.

use std::fmt::Debug;

use super::bgbb::{BgBb, DiscreteHistory};
use super::bgnbd::BgNbd;
use super::history::History;
use super::mbgnbd::MbgNbd;
use super::pareto::ParetoNbd;
use super::{Fit, FitOptions};
use crate::aggregate::Portable;
use crate::error::{Error, Result};

/// A model of how many purchases a customer makes and whether they are
/// still a customer. Every method returns `Result` (one error
/// convention: [`Error::InvalidInput`](crate::Error) for a bad argument or
/// a number past `f64`, [`Error::NotConverged`](crate::Error) for a
/// computation or fit that did not settle). The customer's history is an
/// associated type: `(x, t_x, T)` in continuous time ([`History`]) for
/// the models here.
///
/// ```
/// use revops::clv::{BgNbd, FitOptions, History, ParetoNbd, PurchaseModel};
/// // Code written once for every model.
/// fn report<M: PurchaseModel<History = History>>(m: &M, h: &History) -> revops::Result<String> {
///     let named: Vec<String> = m.named_params().iter().map(|(n, v)| format!("{n} = {v:.3}")).collect();
///     Ok(format!(
///         "{}: {}; P(alive) {:.2}, {:.2} purchases in 39 weeks",
///         M::NAME,
///         named.join(", "),
///         m.probability_alive(h)?,
///         m.conditional_expected_purchases(h, 39.0)?,
///     ))
/// }
/// let h = History::new(2, 30.43, 38.86)?;
/// let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
/// assert!(report(&bg, &h)?.starts_with("BG/NBD: r = 0.243"));
/// assert!(report(&pareto, &h)?.starts_with("Pareto/NBD: r = 0.553"));
/// # Ok::<(), revops::Error>(())
/// ```
pub trait PurchaseModel: Sized + Copy + Debug + PartialEq + Portable {
    /// What the model knows of one customer.
    type History;

    /// The model's name ("BG/NBD").
    const NAME: &'static str;

    /// The parameters with their names, in the papers' order.
    fn named_params(&self) -> Vec<(&'static str, f64)>;

    /// Fits the model by maximum likelihood (see the [module docs](super)
    /// for the optimiser and its bounds).
    ///
    /// # Errors
    ///
    /// As the model's own `fit`.
    fn fit(histories: &[Self::History], options: &FitOptions) -> Result<Fit<Self>>;

    /// The log-likelihood of one customer's history.
    ///
    /// # Errors
    ///
    /// As the model's own method.
    fn log_likelihood(&self, h: &Self::History) -> Result<f64>;

    /// P(alive): the probability that the customer is still a customer at
    /// the end of their history.
    ///
    /// # Errors
    ///
    /// As the model's own method.
    fn probability_alive(&self, h: &Self::History) -> Result<f64>;

    /// E[X(t)]: the expected repeat purchases in `(0, t]` of a customer
    /// chosen at random.
    ///
    /// # Errors
    ///
    /// As the model's own method.
    fn expected_purchases(&self, t: f64) -> Result<f64>;

    /// E[Y(t) | history]: the expected purchases in the `t` time units
    /// after the history ends.
    ///
    /// # Errors
    ///
    /// As the model's own method.
    fn conditional_expected_purchases(&self, h: &Self::History, t: f64) -> Result<f64>;

    /// P(X(t) = n) for a customer chosen at random.
    ///
    /// # Errors
    ///
    /// As the model's own method.
    fn probability_of_purchases(&self, t: f64, n: u64) -> Result<f64>;
}

/// The trait's methods are the models' own, which hold the formulas and
/// their docs.
macro_rules! delegate {
    () => {
        type History = History;
        fn fit(histories: &[History], options: &FitOptions) -> Result<Fit<Self>> {
            Self::fit(histories, options)
        }
        fn log_likelihood(&self, h: &History) -> Result<f64> {
            Self::log_likelihood(self, h)
        }
        fn probability_alive(&self, h: &History) -> Result<f64> {
            Self::probability_alive(self, h)
        }
        fn expected_purchases(&self, t: f64) -> Result<f64> {
            Self::expected_purchases(self, t)
        }
        fn conditional_expected_purchases(&self, h: &History, t: f64) -> Result<f64> {
            Self::conditional_expected_purchases(self, h, t)
        }
        fn probability_of_purchases(&self, t: f64, n: u64) -> Result<f64> {
            Self::probability_of_purchases(self, t, n)
        }
    };
}

impl PurchaseModel for BgNbd {
    const NAME: &'static str = "BG/NBD";
    fn named_params(&self) -> Vec<(&'static str, f64)> {
        BgNbd::NAMES.into_iter().zip(self.params()).collect()
    }
    delegate!();
}

impl PurchaseModel for MbgNbd {
    const NAME: &'static str = "MBG/NBD";
    fn named_params(&self) -> Vec<(&'static str, f64)> {
        MbgNbd::NAMES.into_iter().zip(self.params()).collect()
    }
    delegate!();
}

impl PurchaseModel for ParetoNbd {
    const NAME: &'static str = "Pareto/NBD";
    fn named_params(&self) -> Vec<(&'static str, f64)> {
        ParetoNbd::NAMES.into_iter().zip(self.params()).collect()
    }
    delegate!();
}

/// A number of opportunities given as a time: a whole number of at least
/// 0, or why not.
fn opportunities(t: f64) -> Result<u64> {
    if t.is_finite() && t >= 0.0 && t.fract() == 0.0 && t <= u64::MAX as f64 {
        Ok(t as u64)
    } else {
        Err(Error::invalid(
            "BG/BB",
            format!("{t} is not a whole number of opportunities"),
        ))
    }
}

/// BG/BB counts time in opportunities: its times are whole numbers.
impl PurchaseModel for BgBb {
    type History = DiscreteHistory;
    const NAME: &'static str = "BG/BB";
    fn named_params(&self) -> Vec<(&'static str, f64)> {
        BgBb::NAMES.into_iter().zip(self.params()).collect()
    }
    fn fit(histories: &[DiscreteHistory], options: &FitOptions) -> Result<Fit<Self>> {
        BgBb::fit(histories, options)
    }
    fn log_likelihood(&self, h: &DiscreteHistory) -> Result<f64> {
        Ok(BgBb::log_likelihood(self, h))
    }
    fn probability_alive(&self, h: &DiscreteHistory) -> Result<f64> {
        BgBb::probability_alive(self, h)
    }
    fn expected_purchases(&self, t: f64) -> Result<f64> {
        BgBb::expected_purchases(self, opportunities(t)?)
    }
    fn conditional_expected_purchases(&self, h: &DiscreteHistory, t: f64) -> Result<f64> {
        BgBb::conditional_expected_purchases(self, h, opportunities(t)?)
    }
    fn probability_of_purchases(&self, t: f64, n: u64) -> Result<f64> {
        BgBb::probability_of_purchases(self, opportunities(t)?, n)
    }
}
