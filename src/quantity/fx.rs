//! Explicit exchange rates.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Currency, Money};
use crate::error::{Error, Result};

/// A table of exchange rates into one report currency: `rate(c)` is how
/// many units of the report currency one unit of `c` is worth. Amounts are
/// converted only with a rate given here, never silently.
///
/// Converted amounts are exact products (not rounded); round them with
/// [`Money::round`] when you need minor units.
///
/// # JSON form
///
/// `{"target": "USD", "rates": {"EUR": "1.08", "SAR": "0.2666"}}`.
///
/// ```
/// use revops::quantity::FxRates;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let mut fx = FxRates::new(Currency::USD);
/// fx.set(Currency::EUR, dec!(1.08))?;
/// assert_eq!(fx.convert(Money::new(dec!(100), Currency::EUR))?.amount(), dec!(108));
/// assert!(fx.convert(Money::new(dec!(1), Currency::GBP)).is_err());
/// assert!(fx.set(Currency::GBP, dec!(0)).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "FxRepr", into = "FxRepr"))]
pub struct FxRates {
    target: Currency,
    rates: BTreeMap<Currency, Decimal>,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FxRepr {
    target: Currency,
    rates: BTreeMap<Currency, crate::serde_util::StrictDecimal>,
}

#[cfg(feature = "serde")]
impl TryFrom<FxRepr> for FxRates {
    type Error = Error;
    fn try_from(r: FxRepr) -> Result<FxRates> {
        let mut fx = FxRates::new(r.target);
        for (c, rate) in r.rates {
            fx.set(c, rate.0)?;
        }
        Ok(fx)
    }
}

#[cfg(feature = "serde")]
impl From<FxRates> for FxRepr {
    fn from(f: FxRates) -> FxRepr {
        FxRepr {
            target: f.target,
            rates: f
                .rates
                .into_iter()
                .map(|(c, r)| (c, crate::serde_util::StrictDecimal(r)))
                .collect(),
        }
    }
}

impl FxRates {
    /// An empty table converting into `target` (which needs no rate).
    pub fn new(target: Currency) -> FxRates {
        FxRates {
            target,
            rates: BTreeMap::new(),
        }
    }

    /// The report currency.
    pub fn target(&self) -> Currency {
        self.target
    }

    /// Sets the rate of `currency` into the target.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] unless the rate is above zero;
    /// [`Error::InvalidInput`] for the target currency itself (its rate is
    /// always 1, so a rate given for it would be ignored).
    pub fn set(&mut self, currency: Currency, rate: Decimal) -> Result<()> {
        if currency == self.target {
            return Err(Error::invalid(
                "exchange rate",
                format!("{currency} is the report currency: it takes no rate"),
            ));
        }
        if rate <= Decimal::ZERO {
            return Err(Error::out_of_range("exchange rate", rate, "(0, ∞)"));
        }
        self.rates.insert(currency, rate);
        Ok(())
    }

    /// The rate of `currency` (1 for the target itself).
    pub fn rate(&self, currency: Currency) -> Option<Decimal> {
        if currency == self.target {
            Some(Decimal::ONE)
        } else {
            self.rates.get(&currency).copied()
        }
    }

    /// The rates set, by currency.
    pub fn rates(&self) -> impl Iterator<Item = (Currency, Decimal)> + '_ {
        self.rates.iter().map(|(c, r)| (*c, *r))
    }

    /// `amount` in the target currency.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] when no rate is known for its currency;
    /// [`Error::Overflow`].
    pub fn convert(&self, amount: Money) -> Result<Money> {
        let rate = self
            .rate(amount.currency())
            .ok_or(Error::CurrencyMismatch {
                operation: "conversion without an exchange rate".into(),
                left: self.target.code(),
                right: amount.currency().code(),
            })?;
        let v = amount
            .amount()
            .checked_mul(rate)
            .ok_or_else(|| Error::overflow("currency conversion"))?;
        Ok(Money::new(v, self.target))
    }
}
