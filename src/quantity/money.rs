//! Money: an exact decimal amount in one currency.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use super::exact::POW10;
use super::split::split_with;
use super::Currency;
use crate::error::{Error, Result};

/// An exact amount of money: a [`Decimal`] and a [`Currency`].
///
/// * Arithmetic is checked: every operation returns a [`Result`], overflow is
///   [`Error::Overflow`], and two currencies never add silently
///   ([`Error::CurrencyMismatch`]).
/// * Amounts are never rounded behind your back. [`Money::round`] rounds to
///   the currency's minor unit with the [`RoundingStrategy`] you name.
/// * [`Money::allocate`] splits an amount into parts that add back exactly.
///
/// Equality compares values, so `12.5 USD == 12.50 USD`. Amounts in different
/// currencies are never equal and have no order (`partial_cmp` is `None`).
///
/// # JSON form
///
/// `{"amount": "12.34", "currency": "USD"}`. The amount is a decimal string
/// (a JSON number is accepted on input); the currency an ISO code, checked.
///
/// # Example
///
/// ```
/// use revops::{Currency, Money};
/// use revops::dec;
///
/// let ads = Money::new(dec!(1200.00), Currency::USD);
/// let events = Money::new(dec!(300.50), Currency::USD);
/// let total = ads.checked_add(events)?;
/// assert_eq!(total.to_string(), "1500.50 USD");
///
/// let riyals = Money::new(dec!(10), Currency::SAR);
/// assert!(total.checked_add(riyals).is_err()); // never a silent sum
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Money {
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    amount: Decimal,
    currency: Currency,
}

/// JSON: `{"amount": "40000.00", "currency": "EUR"}`. The amount is written
/// with at least its currency's minor-unit decimals (`"40000.00"`, not
/// `"40000"`), so amounts in one report line up; finer amounts keep every
/// decimal (nothing is cut).
#[cfg(feature = "serde")]
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.at_least_minor_unit())?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

impl Money {
    /// The amount with at least the currency's minor-unit decimals, the
    /// same value (unchanged when it has more, or has no room for more).
    #[cfg(feature = "serde")]
    fn at_least_minor_unit(&self) -> Decimal {
        let want = self.currency.exponent().unwrap_or(0);
        let have = self.amount.scale();
        if have >= want {
            return self.amount;
        }
        10i128
            .checked_pow(want - have)
            .and_then(|p| self.amount.mantissa().checked_mul(p))
            .and_then(|m| Decimal::try_from_i128_with_scale(m, want).ok())
            .unwrap_or(self.amount)
    }
}

impl Money {
    /// Makes an amount of money. Any decimal amount is valid, including
    /// negative ones (refunds, losses) and ones finer than the minor unit
    /// (an average price); round with [`Money::round`] when you need cents.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let m = Money::new(dec!(-3.5), Currency::EUR);
    /// assert!(m.is_negative());
    /// ```
    pub const fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// assert!(Money::zero(Currency::JPY).is_zero());
    /// ```
    pub const fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// Makes an amount from whole minor units (cents, fils, yen).
    ///
    /// # Errors
    ///
    /// [`Error::NoMinorUnit`] for currencies without one (XAU, XDR), and
    /// [`Error::Overflow`] if the amount does not fit a `Decimal`.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// assert_eq!(Money::from_minor(1234, Currency::USD)?.to_string(), "12.34 USD");
    /// assert_eq!(Money::from_minor(1234, Currency::KWD)?.to_string(), "1.234 KWD");
    /// assert_eq!(Money::from_minor(1234, Currency::JPY)?.to_string(), "1234 JPY");
    /// assert!(Money::from_minor(1, Currency::XAU).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_minor(minor: i128, currency: Currency) -> Result<Money> {
        let exp = currency.require_exponent("from_minor")?;
        let amount = Decimal::try_from_i128_with_scale(minor, exp)
            .map_err(|_| Error::overflow("from_minor"))?;
        Ok(Money::new(amount, currency))
    }

    /// Parses an amount and a currency code, as found in a CSV row.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the amount is not a decimal number,
    /// [`Error::UnknownCurrency`] if the code is not ISO 4217.
    ///
    /// ```
    /// use revops::Money;
    /// let m = Money::parse("19.99", "eur")?;
    /// assert_eq!(m.to_string(), "19.99 EUR");
    /// assert!(Money::parse("19,99", "EUR").is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn parse(amount: &str, currency: &str) -> Result<Money> {
        let currency = Currency::from_code(currency)?;
        let amount: Decimal = amount.trim().parse().map_err(|_| {
            Error::invalid(
                "money",
                format!("{amount:?} is not a decimal amount such as \"12.34\""),
            )
        })?;
        Ok(Money::new(amount, currency))
    }

    /// The amount, exactly as stored.
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money, operation: &'static str) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::CurrencyMismatch {
                operation: operation.into(),
                left: self.currency.code(),
                right: other.currency.code(),
            })
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] if the currencies differ,
    /// [`Error::Overflow`] if the exact sum is beyond a `Decimal`'s range,
    /// [`Error::Inexact`] if it needs more than its 28 significant digits
    /// (it is never rounded to fit).
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::Decimal;
    /// let max = Money::new(Decimal::MAX, Currency::USD);
    /// assert!(max.checked_add(Money::new(Decimal::ONE, Currency::USD)).is_err());
    /// ```
    pub fn checked_add(self, other: Money) -> Result<Money> {
        self.same_currency(&other, "add")?;
        super::exact::add_or_why(self.amount, other.amount, "add")
            .map(|a| Money::new(a, self.currency))
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// As [`Money::checked_add`].
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let revenue = Money::new(dec!(500), Currency::AED);
    /// let spend = Money::new(dec!(650), Currency::AED);
    /// assert_eq!(revenue.checked_sub(spend)?.to_string(), "-150.00 AED");
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn checked_sub(self, other: Money) -> Result<Money> {
        self.same_currency(&other, "subtract")?;
        super::exact::add_or_why(self.amount, -other.amount, "subtract")
            .map(|a| Money::new(a, self.currency))
    }

    /// `self * factor` (a price times a quantity, an amount times a rate).
    /// The result is exact up to `Decimal`'s 28 significant digits and is
    /// not rounded to the minor unit.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the product does not fit.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let price = Money::new(dec!(19.99), Currency::USD);
    /// assert_eq!(price.checked_mul(dec!(3))?.to_string(), "59.97 USD");
    /// assert_eq!(price.checked_mul(dec!(0.15))?.amount(), dec!(2.9985));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn checked_mul(self, factor: Decimal) -> Result<Money> {
        self.amount
            .checked_mul(factor)
            .map(|a| Money::new(a, self.currency))
            .ok_or_else(|| Error::overflow("multiply"))
    }

    /// `self / divisor` (a budget per day, a cost per lead).
    ///
    /// # Errors
    ///
    /// [`Error::ZeroDenominator`] if `divisor` is zero, [`Error::Overflow`]
    /// if the quotient does not fit.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let budget = Money::new(dec!(3000), Currency::EGP);
    /// assert_eq!(budget.checked_div(dec!(30))?.to_string(), "100.00 EGP");
    /// assert!(budget.checked_div(dec!(0)).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn checked_div(self, divisor: Decimal) -> Result<Money> {
        if divisor.is_zero() {
            return Err(Error::zero("divide", "divisor"));
        }
        self.amount
            .checked_div(divisor)
            .map(|a| Money::new(a, self.currency))
            .ok_or_else(|| Error::overflow("divide"))
    }

    /// `self / other`, a plain number: how many times `other` fits in `self`
    /// (revenue over spend, spend over budget).
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`], [`Error::ZeroDenominator`] if `other`
    /// is zero, [`Error::Overflow`].
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let revenue = Money::new(dec!(4200), Currency::USD);
    /// let spend = Money::new(dec!(1000), Currency::USD);
    /// assert_eq!(revenue.ratio_to(spend)?, dec!(4.2));
    /// assert!(revenue.ratio_to(Money::zero(Currency::USD)).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn ratio_to(self, other: Money) -> Result<Decimal> {
        self.same_currency(&other, "divide")?;
        if other.amount.is_zero() {
            return Err(Error::zero("divide", "divisor amount"));
        }
        self.amount
            .checked_div(other.amount)
            .ok_or_else(|| Error::overflow("divide"))
    }

    /// The amount negated (a refund of a sale).
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// assert_eq!(Money::new(dec!(5), Currency::USD).negated().amount(), dec!(-5));
    /// ```
    pub fn negated(self) -> Money {
        // Decimal's range is symmetric, so negation never overflows.
        Money::new(-self.amount, self.currency)
    }

    /// Rounds to the currency's minor unit with an explicit strategy.
    ///
    /// # Errors
    ///
    /// [`Error::NoMinorUnit`] for currencies that have none (XAU, XDR).
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::RoundingStrategy;
    /// use revops::dec;
    /// let m = Money::new(dec!(2.345), Currency::USD);
    /// assert_eq!(m.round(RoundingStrategy::MidpointNearestEven)?.amount(), dec!(2.34));
    /// assert_eq!(m.round(RoundingStrategy::MidpointAwayFromZero)?.amount(), dec!(2.35));
    /// let jpy = Money::new(dec!(99.5), Currency::JPY);
    /// assert_eq!(jpy.round(RoundingStrategy::ToZero)?.amount(), dec!(99));
    /// assert!(Money::new(dec!(1.5), Currency::XAU).round(RoundingStrategy::ToZero).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn round(self, strategy: RoundingStrategy) -> Result<Money> {
        let exp = self.currency.require_exponent("round")?;
        Ok(Money::new(
            self.amount.round_dp_with_strategy(exp, strategy),
            self.currency,
        ))
    }

    /// Whether the amount is a whole number of minor units.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// assert!(Money::new(dec!(1.50), Currency::USD).is_on_minor_unit_grid());
    /// assert!(!Money::new(dec!(1.505), Currency::USD).is_on_minor_unit_grid());
    /// assert!(!Money::new(dec!(1), Currency::XDR).is_on_minor_unit_grid());
    /// ```
    pub fn is_on_minor_unit_grid(&self) -> bool {
        self.to_minor_units().is_ok()
    }

    /// The amount in whole minor units (cents): `12.34 USD` is `1234`.
    ///
    /// # Errors
    ///
    /// [`Error::NoMinorUnit`] for currencies without one,
    /// [`Error::OffMinorUnitGrid`] if the amount has finer decimals than the
    /// minor unit (round it first).
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// assert_eq!(Money::new(dec!(12.3), Currency::USD).to_minor_units()?, 1230);
    /// assert_eq!(Money::new(dec!(7), Currency::BHD).to_minor_units()?, 7000);
    /// assert!(Money::new(dec!(0.001), Currency::USD).to_minor_units().is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn to_minor_units(&self) -> Result<i128> {
        self.minor_units_for("to_minor_units")
    }

    fn minor_units_for(&self, operation: &'static str) -> Result<i128> {
        let exp = self.currency.require_exponent(operation)?;
        let mantissa = self.amount.mantissa();
        let scale = self.amount.scale();
        if scale <= exp {
            // |mantissa| < 2^96 and the factor is at most 10^exp: fits i128.
            let factor = POW10[(exp - scale) as usize] as i128;
            mantissa
                .checked_mul(factor)
                .ok_or_else(|| Error::overflow(operation))
        } else {
            let factor = POW10[(scale - exp) as usize] as i128;
            if mantissa % factor == 0 {
                Ok(mantissa / factor)
            } else {
                Err(Error::OffMinorUnitGrid {
                    operation: operation.into(),
                    amount: self.amount.to_string(),
                    currency: self.currency.code(),
                    exponent: exp,
                })
            }
        }
    }

    /// Splits the amount into parts proportional to `weights`, in whole minor
    /// units, so that the parts add back to the amount **exactly**.
    ///
    /// The rule (cumulative rounding, see [`split_integer`]): part `i` is the
    /// running share up to and including weight `i`, rounded to the nearest
    /// minor unit (halves to even), minus the running share before it, rounded
    /// the same way. So the parts add back exactly, each part is within one
    /// minor unit of its exact share, a zero weight gets zero, no position
    /// (first or last) is favoured, and the result is deterministic. A
    /// negative amount is split as its absolute value and every part negated.
    ///
    /// Weights are any non-negative decimals (`[0.4, 0.2, 0.4]`, `[3, 1]`);
    /// only their proportions matter.
    ///
    /// Performance: integer arithmetic on 128-bit minor units, one
    /// multiply-divide per weight, no heap use beyond the returned `Vec`.
    ///
    /// [`split_integer`]: crate::quantity::split_integer
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidWeights`]: no weights, a negative weight, or weights
    ///   that sum to zero.
    /// * [`Error::OffMinorUnitGrid`]: the amount is finer than the minor unit
    ///   (for example after a `checked_mul`); round it first with
    ///   [`Money::round`], choosing the strategy yourself.
    /// * [`Error::NoMinorUnit`]: the currency has no minor unit (XAU, XDR).
    /// * [`Error::Overflow`]: weights whose decimals span more than an `u128`
    ///   can hold once brought to a common scale, or parts too large for a
    ///   `Decimal` at the minor-unit scale.
    ///
    /// # Example
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    ///
    /// let sale = Money::new(dec!(100.00), Currency::USD);
    /// let parts = sale.allocate(&[dec!(1), dec!(1), dec!(1)])?;
    /// let amounts: Vec<_> = parts.iter().map(|m| m.amount()).collect();
    /// assert_eq!(amounts, [dec!(33.33), dec!(33.34), dec!(33.33)]);
    ///
    /// // Position-based credit, 40/20/40, in a 3-decimal currency:
    /// let kwd = Money::new(dec!(10.001), Currency::KWD).allocate(&[dec!(0.4), dec!(0.2), dec!(0.4)])?;
    /// assert_eq!(kwd.iter().map(|m| m.amount()).sum::<revops::Decimal>(), dec!(10.001));
    ///
    /// assert!(sale.allocate(&[]).is_err());
    /// assert!(sale.allocate(&[dec!(1), dec!(-1)]).is_err());
    /// assert!(sale.allocate(&[dec!(0), dec!(0)]).is_err());
    /// assert!(Money::new(dec!(0.005), Currency::USD).allocate(&[dec!(1)]).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn allocate(&self, weights: &[Decimal]) -> Result<Vec<Money>> {
        let mut scale = 0u32;
        for w in weights {
            if w.is_sign_negative() && !w.is_zero() {
                return Err(Error::InvalidWeights {
                    reason: format!("weight {w} is negative").into(),
                });
            }
            scale = scale.max(w.scale());
        }
        let convert = |w: &Decimal| {
            w.mantissa()
                .unsigned_abs()
                .checked_mul(POW10[(scale - w.scale()) as usize])
                .ok_or_else(|| Error::overflow("allocate: weights span too many digits"))
        };
        // Convert each weight once: on the stack for up to 32 weights.
        let mut stack = [0u128; 32];
        if weights.len() <= stack.len() {
            for (slot, w) in stack.iter_mut().zip(weights) {
                *slot = convert(w)?;
            }
            self.allocate_with(weights.len(), |i| Ok(stack[i]))
        } else {
            self.allocate_with(weights.len(), |i| convert(&weights[i]))
        }
    }

    /// [`Money::allocate`] with integer weights (counts, or shares in fixed
    /// point such as millionths): the fastest form, since no decimal weight
    /// needs converting.
    ///
    /// # Errors
    ///
    /// As [`Money::allocate`].
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let parts = Money::new(dec!(10), Currency::JPY).allocate_integer(&[1, 2])?;
    /// assert_eq!(parts[0].amount() + parts[1].amount(), dec!(10));
    /// assert_eq!(parts[1].amount(), dec!(7)); // running shares 3.33 -> 3, 10 -> 10
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn allocate_integer(&self, weights: &[u64]) -> Result<Vec<Money>> {
        self.allocate_with(weights.len(), |i| Ok(u128::from(weights[i])))
    }

    fn allocate_with(
        &self,
        n: usize,
        weight: impl Fn(usize) -> Result<u128>,
    ) -> Result<Vec<Money>> {
        let exp = self.currency.require_exponent("allocate")?;
        let total = self.minor_units_for("allocate")?;
        let mut parts = Vec::with_capacity(n);
        split_with(total, n, weight, |_, minor| {
            let amount = Decimal::try_from_i128_with_scale(minor, exp)
                .map_err(|_| Error::overflow("allocate"))?;
            parts.push(Money::new(amount, self.currency));
            Ok(())
        })?;
        Ok(parts)
    }

    /// Adds up amounts, all in `currency`. An empty iterator sums to zero.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] at the first amount in another currency,
    /// [`Error::Overflow`] if the sum does not fit.
    ///
    /// ```
    /// use revops::{Currency, Money};
    /// use revops::dec;
    /// let spend = [dec!(100), dec!(250.5), dec!(49.5)].map(|a| Money::new(a, Currency::GBP));
    /// assert_eq!(Money::checked_sum(spend, Currency::GBP)?.amount(), dec!(400));
    /// assert!(Money::checked_sum(spend, Currency::USD).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn checked_sum<I>(amounts: I, currency: Currency) -> Result<Money>
    where
        I: IntoIterator<Item = Money>,
    {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }
}

impl PartialOrd for Money {
    /// Orders amounts of the same currency; amounts in different currencies
    /// are unordered (`None`).
    fn partial_cmp(&self, other: &Money) -> Option<Ordering> {
        (self.currency == other.currency).then(|| self.amount.cmp(&other.amount))
    }
}

impl fmt::Display for Money {
    /// `12.50 USD`: at least as many decimals as the currency's minor unit,
    /// more if the amount has them (nothing is rounded away).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent().unwrap_or(0);
        write_padded(f, self.amount, exp)?;
        write!(f, " {}", self.currency)
    }
}

/// Writes `value` with at least `min_dp` decimals, padding with zeros and
/// never rounding. (rust_decimal's `{:.N}` can panic on 29-digit values, so
/// the padding is done here.)
pub(crate) fn write_padded(f: &mut fmt::Formatter<'_>, value: Decimal, min_dp: u32) -> fmt::Result {
    let scale = value.scale();
    write!(f, "{value}")?;
    if scale < min_dp {
        if scale == 0 {
            f.write_str(".")?;
        }
        for _ in scale..min_dp {
            f.write_str("0")?;
        }
    }
    Ok(())
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
