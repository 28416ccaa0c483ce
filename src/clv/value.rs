//! Discounted customer lifetime value from a purchase model and a spend
//! per purchase.

use rust_decimal::{Decimal, RoundingStrategy};

use super::model::PurchaseModel;
use crate::error::{Error, Result};
use crate::quantity::{Money, Ratio};

/// How to discount: over `periods` periods (months, say) of
/// `units_per_period` units of the model's time each (4.345 weeks, 30
/// days, ...), at `discount_rate` per period, keeping `margin` of each
/// purchase's value. Every unit is explicit: nothing assumes days or
/// months. `periods` is at most [`Discounting::MAX_PERIODS`] (checked by
/// [`discounted_clv`] and on deserialization), so the work per customer
/// is bounded.
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(deny_unknown_fields, try_from = "DiscountingRepr")
)]
pub struct Discounting {
    /// The horizon, in periods.
    pub periods: u32,
    /// The model's time units in one period.
    pub units_per_period: f64,
    /// The discount rate per period (0.01 is 1% a month).
    pub discount_rate: f64,
    /// The share of a purchase's value kept as margin.
    pub margin: Ratio,
}

impl Discounting {
    /// The most periods of a horizon: 1,200 (a century of months).
    pub const MAX_PERIODS: u32 = 1_200;

    /// Refuses a horizon of no period or more than
    /// [`MAX_PERIODS`](Discounting::MAX_PERIODS), a period that is not a
    /// positive finite time, or a discount rate that is not finite and
    /// above −1.
    fn check(&self) -> Result<()> {
        const OP: &str = "discounted CLV";
        if self.periods == 0 || self.periods > Discounting::MAX_PERIODS {
            return Err(Error::invalid(
                OP,
                format!(
                    "the horizon is {} periods: it must be 1 to {}",
                    self.periods,
                    Discounting::MAX_PERIODS
                ),
            ));
        }
        if !(self.units_per_period.is_finite() && self.units_per_period > 0.0) {
            return Err(Error::invalid(
                OP,
                "a period must be a positive, finite length of time",
            ));
        }
        if !(self.discount_rate.is_finite() && self.discount_rate > -1.0) {
            return Err(Error::invalid(
                OP,
                "the discount rate must be finite and above -1",
            ));
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscountingRepr {
    periods: u32,
    units_per_period: f64,
    discount_rate: f64,
    margin: Ratio,
}

#[cfg(feature = "serde")]
impl TryFrom<DiscountingRepr> for Discounting {
    type Error = Error;
    fn try_from(r: DiscountingRepr) -> Result<Discounting> {
        let d = Discounting {
            periods: r.periods,
            units_per_period: r.units_per_period,
            discount_rate: r.discount_rate,
            margin: r.margin,
        };
        d.check()?;
        Ok(d)
    }
}

/// A customer's discounted lifetime value and its parts.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct CustomerValue {
    /// `Σₖ marginₖ / (1 + rate)^k`, rounded half to even to the minor unit.
    pub clv: Money,
    /// Each period's expected margin, undiscounted, rounded the same way:
    /// `(E[Y(k u)] − E[Y((k−1) u)]) × value × margin`.
    pub margin_per_period: Vec<Money>,
}

/// The discounted lifetime value of a customer with history `h` whose
/// purchases are each worth `average_value` (for example the Gamma-Gamma
/// model's conditional expectation), by `lifetimes`' rule
/// (`customer_lifetime_value`): the expected purchases of each period,
/// from the model's cumulative expectation, times the value and the
/// margin, discounted per period. Computed in `f64`; the amounts come back
/// rounded half to even to the currency's minor unit.
///
/// ```
/// use revops::clv::{discounted_clv, BgNbd, Discounting, History};
/// use revops::metrics::customer::ltv_to_cac;
/// use revops::{dec, Currency, Money, Ratio};
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?; // weeks
/// let h = History::new(2, 30.43, 38.86)?;
/// let yearly = Discounting {
///     periods: 12,
///     units_per_period: 52.0 / 12.0, // weeks per month
///     discount_rate: 0.01,
///     margin: Ratio::new(dec!(0.3))?,
/// };
/// let v = discounted_clv(&model, &h, Money::new(dec!(35), Currency::USD), &yearly)?;
/// assert_eq!(v.margin_per_period.len(), 12);
/// // The catalogue's LTV:CAC takes the model's value as is.
/// let ratio = ltv_to_cac(v.clv, Money::new(dec!(5), Currency::USD))?;
/// assert!(ratio.value() > dec!(1));
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for a negative value, a horizon of no period
/// or of more than [`Discounting::MAX_PERIODS`], a period that is not a
/// positive finite time, or a discount rate that is not finite and above
/// −1; as the model otherwise. The work is one model prediction per
/// period, so at most [`Discounting::MAX_PERIODS`] per customer.
pub fn discounted_clv<M: PurchaseModel>(
    model: &M,
    h: &M::History,
    average_value: Money,
    d: &Discounting,
) -> Result<CustomerValue> {
    const OP: &str = "discounted CLV";
    if average_value.is_negative() {
        return Err(Error::invalid(OP, "the value of a purchase is negative"));
    }
    d.check()?;
    let value: f64 = average_value
        .amount()
        .to_string()
        .parse()
        .map_err(|_| Error::invalid(OP, "the value does not fit an f64"))?;
    let margin: f64 = d
        .margin
        .value()
        .to_string()
        .parse()
        .map_err(|_| Error::invalid(OP, "the margin does not fit an f64"))?;
    let money = |x: f64| -> Result<Money> {
        let amount = Decimal::try_from(x).map_err(|_| Error::overflow(OP))?;
        Money::new(amount, average_value.currency()).round(RoundingStrategy::MidpointNearestEven)
    };
    let (mut total, mut previous) = (0.0f64, 0.0f64);
    let mut margin_per_period = Vec::with_capacity(d.periods as usize);
    for k in 1..=d.periods {
        let cumulative =
            model.conditional_expected_purchases(h, f64::from(k) * d.units_per_period)?;
        let m = (cumulative - previous) * value * margin;
        previous = cumulative;
        total += m / (1.0 + d.discount_rate).powi(k as i32);
        margin_per_period.push(money(m)?);
    }
    Ok(CustomerValue {
        clv: money(total)?,
        margin_per_period,
    })
}
