//! Dimensionless quantities: [`Ratio`] in [0, 1], [`Multiple`] in [0, ∞),
//! [`Change`] of either sign.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{Error, Result};

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Writes `value` rounded to `dp` decimals (banker's rounding), trailing
/// zeros trimmed. Display only: stored values are never rounded.
fn write_trimmed(f: &mut fmt::Formatter<'_>, value: Decimal, dp: u32) -> fmt::Result {
    let v = value
        .round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)
        .normalize();
    write!(f, "{v}")
}

macro_rules! decimal_serde {
    ($t:ident) => {
        impl TryFrom<Decimal> for $t {
            type Error = Error;
            fn try_from(value: Decimal) -> Result<$t> {
                $t::new(value)
            }
        }

        #[cfg(feature = "serde")]
        impl TryFrom<crate::serde_util::StrictDecimal> for $t {
            type Error = Error;
            fn try_from(value: crate::serde_util::StrictDecimal) -> Result<$t> {
                $t::new(value.0)
            }
        }

        impl From<$t> for Decimal {
            fn from(value: $t) -> Decimal {
                value.0
            }
        }
    };
}

/// A proportion in [0, 1]: a conversion rate, a win rate, a churn rate, a
/// click-through rate, a share of voice.
///
/// The type guarantees the range: a conversion rate of 120% cannot exist.
/// Values are exact decimals (`Decimal`'s 28 significant digits; `1/3` is
/// `0.3333333333333333333333333333`) and are never rounded except by
/// [`Display`](fmt::Display), which shows a percent with at most two
/// decimals (`{:.4}` asks for four).
///
/// # JSON form
///
/// A decimal string: `"0.125"`. Input outside [0, 1] is rejected.
///
/// # Example
///
/// ```
/// use revops::Ratio;
/// use revops::dec;
///
/// let ctr = Ratio::from_counts(25, 1000)?;
/// assert_eq!(ctr.value(), dec!(0.025));
/// assert_eq!(ctr.to_string(), "2.5%");
/// assert_eq!(ctr.complement().value(), dec!(0.975));
/// assert!(Ratio::from_counts(12, 10).is_err());
/// assert!(Ratio::new(dec!(1.5)).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "crate::serde_util::StrictDecimal", into = "Decimal")
)]
pub struct Ratio(Decimal);

decimal_serde!(Ratio);

impl Ratio {
    /// 0%.
    pub const ZERO: Ratio = Ratio(Decimal::ZERO);
    /// 100%.
    pub const ONE: Ratio = Ratio(Decimal::ONE);
    /// 0.4: the first and the last touch's share in position-based
    /// attribution.
    pub(crate) const FORTY_PERCENT: Ratio = Ratio(Decimal::from_parts(4, 0, 0, false, 1));

    /// A ratio from a decimal in [0, 1].
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `value` is below 0 or above 1.
    ///
    /// ```
    /// use revops::Ratio;
    /// use revops::dec;
    /// assert!(Ratio::new(dec!(0.3)).is_ok());
    /// assert!(Ratio::new(dec!(-0.01)).is_err());
    /// ```
    pub fn new(value: Decimal) -> Result<Ratio> {
        if value < Decimal::ZERO || value > Decimal::ONE {
            return Err(Error::out_of_range("ratio", value, "[0, 1]"));
        }
        Ok(Ratio(value.normalize()))
    }

    /// `part / whole` for counts.
    ///
    /// # Errors
    ///
    /// [`Error::ZeroDenominator`] if `whole` is 0; [`Error::PartExceedsWhole`]
    /// if `part > whole`.
    ///
    /// ```
    /// use revops::Ratio;
    /// assert_eq!(Ratio::from_counts(1, 4)?.to_string(), "25%");
    /// assert!(Ratio::from_counts(0, 0).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_counts(part: u64, whole: u64) -> Result<Ratio> {
        Ratio::from_counts_named(part, whole, "ratio", "", "")
    }

    /// [`Ratio::from_counts`] with names for the error message:
    /// `from_counts_named(12, 10, "conversion rate", "conversions", "visitors")`
    /// fails with "conversion rate: 12 conversions out of 10 visitors is more
    /// than 100%".
    ///
    /// # Errors
    ///
    /// As [`Ratio::from_counts`].
    ///
    /// ```
    /// use revops::Ratio;
    /// let err = Ratio::from_counts_named(12, 10, "conversion rate", "conversions", "visitors")
    ///     .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "conversion rate: 12 conversions out of 10 visitors is more than 100%"
    /// );
    /// ```
    pub fn from_counts_named(
        part: u64,
        whole: u64,
        quantity: &'static str,
        part_label: &'static str,
        whole_label: &'static str,
    ) -> Result<Ratio> {
        let label = |s: &'static str| -> std::borrow::Cow<'static, str> {
            if s.is_empty() {
                "".into()
            } else {
                format!(" {s}").into()
            }
        };
        if whole == 0 {
            return Err(Error::zero(
                quantity,
                if whole_label.is_empty() {
                    "the whole"
                } else {
                    whole_label
                },
            ));
        }
        if part > whole {
            return Err(Error::PartExceedsWhole {
                quantity: quantity.into(),
                part,
                whole,
                part_label: label(part_label),
                whole_label: label(whole_label),
            });
        }
        // part <= whole, whole > 0: the quotient is in [0, 1] and cannot fail.
        let q = Decimal::from(part)
            .checked_div(Decimal::from(whole))
            .unwrap_or(Decimal::ZERO);
        Ok(Ratio(q.normalize()))
    }

    /// The value as a decimal in [0, 1].
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Rounded to `dp` decimal places with an explicit strategy (for
    /// display: reports keep every digit). Rounding stays in the type's
    /// range, so it cannot fail.
    ///
    /// ```
    /// use revops::{Ratio, RoundingStrategy};
    /// let r = Ratio::from_counts(2, 3)?;
    /// assert_eq!(r.round_dp(4, RoundingStrategy::MidpointNearestEven).to_string(), "66.67%");
    /// assert_eq!(r.round_dp(4, RoundingStrategy::MidpointNearestEven).value().to_string(), "0.6667");
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn round_dp(self, dp: u32, strategy: rust_decimal::RoundingStrategy) -> Ratio {
        Ratio(self.0.round_dp_with_strategy(dp, strategy))
    }

    /// The value times 100 (`0.125` gives `12.5`).
    ///
    /// ```
    /// use revops::Ratio;
    /// use revops::dec;
    /// assert_eq!(Ratio::from_counts(1, 8)?.as_percent(), dec!(12.5));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn as_percent(self) -> Decimal {
        // A value in [0, 1] times 100 cannot overflow.
        (self.0 * HUNDRED).normalize()
    }

    /// `1 - self`: the drop-off for a conversion rate, retention for churn.
    ///
    /// ```
    /// use revops::Ratio;
    /// assert_eq!(Ratio::from_counts(3, 10)?.complement(), Ratio::from_counts(7, 10)?);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn complement(self) -> Ratio {
        Ratio((Decimal::ONE - self.0).normalize())
    }

    /// The product of two ratios, still a ratio: the chance of passing two
    /// funnel steps in a row.
    ///
    /// ```
    /// use revops::Ratio;
    /// let visit_to_lead = Ratio::from_counts(1, 10)?;
    /// let lead_to_sale = Ratio::from_counts(1, 5)?;
    /// assert_eq!(visit_to_lead.times(lead_to_sale), Ratio::from_counts(1, 50)?);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn times(self, next: Ratio) -> Ratio {
        // Both factors are in [0, 1]: the product cannot overflow (it may
        // only lose digits past the 28th, which Decimal rounds).
        Ratio(
            self.0
                .checked_mul(next.0)
                .unwrap_or(Decimal::ZERO)
                .normalize(),
        )
    }
}

impl fmt::Display for Ratio {
    /// A percent: `12.5%` (two decimals at most unless a precision is given).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = f.precision().unwrap_or(2) as u32;
        write_trimmed(f, self.as_percent(), dp)?;
        f.write_str("%")
    }
}

impl fmt::Debug for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ratio({})", self.0)
    }
}

/// A non-negative multiple in [0, ∞): return on ad spend (4.2x), LTV to CAC
/// (3x), quota attainment (1.15, above 1 when the quota is beaten),
/// pipeline coverage.
///
/// # JSON form
///
/// A decimal string: `"4.2"`. Negative input is rejected.
///
/// # Example
///
/// ```
/// use revops::Multiple;
/// use revops::dec;
/// let roas = Multiple::new(dec!(4.2))?;
/// assert_eq!(roas.to_string(), "4.2x");
/// assert!(Multiple::new(dec!(-1)).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "crate::serde_util::StrictDecimal", into = "Decimal")
)]
pub struct Multiple(Decimal);

decimal_serde!(Multiple);

impl Multiple {
    /// 0x.
    pub const ZERO: Multiple = Multiple(Decimal::ZERO);
    /// 1x: break-even for ROAS, a quota exactly met.
    pub const ONE: Multiple = Multiple(Decimal::ONE);

    /// A multiple from a non-negative decimal.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `value` is negative.
    ///
    /// ```
    /// use revops::Multiple;
    /// use revops::dec;
    /// assert!(Multiple::new(dec!(0)).is_ok());
    /// assert!(Multiple::new(dec!(-0.5)).is_err());
    /// ```
    pub fn new(value: Decimal) -> Result<Multiple> {
        if value < Decimal::ZERO {
            return Err(Error::out_of_range("multiple", value, "[0, ∞)"));
        }
        Ok(Multiple(value.normalize()))
    }

    /// `numerator / denominator` for non-negative decimals.
    ///
    /// # Errors
    ///
    /// [`Error::ZeroDenominator`] (naming `quantity` and `denominator_label`)
    /// if the denominator is zero; [`Error::OutOfRange`] if either input is
    /// negative; [`Error::Overflow`].
    ///
    /// ```
    /// use revops::Multiple;
    /// use revops::dec;
    /// let coverage = Multiple::from_quotient(dec!(300000), dec!(100000), "pipeline coverage", "remaining quota")?;
    /// assert_eq!(coverage.value(), dec!(3));
    /// assert!(Multiple::from_quotient(dec!(1), dec!(0), "x", "y").is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_quotient(
        numerator: Decimal,
        denominator: Decimal,
        quantity: &'static str,
        denominator_label: &'static str,
    ) -> Result<Multiple> {
        if denominator.is_zero() {
            return Err(Error::zero(quantity, denominator_label));
        }
        if numerator < Decimal::ZERO || denominator < Decimal::ZERO {
            return Err(Error::out_of_range(
                quantity,
                format!("{numerator} / {denominator}"),
                "non-negative inputs",
            ));
        }
        let q = numerator
            .checked_div(denominator)
            .ok_or_else(|| Error::overflow(quantity))?;
        Multiple::new(q)
    }

    /// The value as a decimal.
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Rounded to `dp` decimal places with an explicit strategy (for
    /// display: reports keep every digit). Rounding stays in the type's
    /// range, so it cannot fail.
    pub fn round_dp(self, dp: u32, strategy: rust_decimal::RoundingStrategy) -> Multiple {
        Multiple(self.0.round_dp_with_strategy(dp, strategy))
    }

    /// The multiple as a percent (`1.15` gives `115`).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] for values above `Decimal::MAX / 100`.
    pub fn as_percent(self) -> Result<Decimal> {
        self.0
            .checked_mul(HUNDRED)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("multiple as percent"))
    }
}

impl From<Ratio> for Multiple {
    /// Every ratio is a multiple (a share is a multiple of at most 1).
    fn from(r: Ratio) -> Multiple {
        Multiple(r.0)
    }
}

impl fmt::Display for Multiple {
    /// `4.2x` (two decimals at most unless a precision is given).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = f.precision().unwrap_or(2) as u32;
        write_trimmed(f, self.0, dp)?;
        f.write_str("x")
    }
}

impl fmt::Debug for Multiple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Multiple({})", self.0)
    }
}

/// A signed relative change: ROI (-0.25 is a 25% loss), growth (+0.12),
/// the change in sales-cycle length. Any decimal is valid.
///
/// # JSON form
///
/// A decimal string: `"-0.25"`.
///
/// # Example
///
/// ```
/// use revops::Change;
/// use revops::dec;
/// let roi = Change::between(dec!(1000), dec!(750))?; // spent 1000, got 750 back
/// assert_eq!(roi.value(), dec!(-0.25));
/// assert_eq!(roi.to_string(), "-25%");
/// assert!(Change::between(dec!(0), dec!(5)).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "crate::serde_util::StrictDecimal", into = "Decimal")
)]
pub struct Change(Decimal);

decimal_serde!(Change);

impl Change {
    /// No change.
    pub const ZERO: Change = Change(Decimal::ZERO);

    /// A change from a decimal fraction (`0.12` is +12%). Always valid: the
    /// `Result` keeps the constructor shape of the other quantities.
    ///
    /// # Errors
    ///
    /// None today.
    ///
    /// ```
    /// use revops::Change;
    /// use revops::dec;
    /// assert_eq!(Change::new(dec!(0.12))?.to_string(), "+12%");
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn new(value: Decimal) -> Result<Change> {
        Ok(Change(value.normalize()))
    }

    /// `(current - baseline) / |baseline|`: the relative change from a
    /// baseline to a current value. The absolute value in the denominator
    /// keeps the sign meaningful (an improvement from -10 to -5 is +50%).
    ///
    /// # Errors
    ///
    /// [`Error::ZeroDenominator`] if `baseline` is zero; [`Error::Overflow`].
    ///
    /// ```
    /// use revops::Change;
    /// use revops::dec;
    /// assert_eq!(Change::between(dec!(80), dec!(100))?.value(), dec!(0.25));
    /// assert_eq!(Change::between(dec!(-10), dec!(-5))?.value(), dec!(0.5));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn between(baseline: Decimal, current: Decimal) -> Result<Change> {
        if baseline.is_zero() {
            return Err(Error::zero("change", "baseline"));
        }
        let diff = current
            .checked_sub(baseline)
            .ok_or_else(|| Error::overflow("change"))?;
        let q = diff
            .checked_div(baseline.abs())
            .ok_or_else(|| Error::overflow("change"))?;
        Change::new(q)
    }

    /// The value as a decimal fraction.
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Rounded to `dp` decimal places with an explicit strategy (for
    /// display: reports keep every digit). Rounding stays in the type's
    /// range, so it cannot fail.
    pub fn round_dp(self, dp: u32, strategy: rust_decimal::RoundingStrategy) -> Change {
        Change(self.0.round_dp_with_strategy(dp, strategy))
    }

    /// Whether the change is below zero (a loss, a decline).
    pub fn is_negative(self) -> bool {
        self.0 < Decimal::ZERO
    }

    /// The change as a percent (`-0.25` gives `-25`).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] for values beyond `Decimal::MAX / 100`.
    pub fn as_percent(self) -> Result<Decimal> {
        self.0
            .checked_mul(HUNDRED)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("change as percent"))
    }
}

impl fmt::Display for Change {
    /// A signed percent: `+12%`, `-25%`, `0%` (two decimals at most unless a
    /// precision is given). Values too large for a percent show as a fraction.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = f.precision().unwrap_or(2) as u32;
        match self.as_percent() {
            Ok(p) => {
                if p > Decimal::ZERO {
                    f.write_str("+")?;
                }
                write_trimmed(f, p, dp)?;
                f.write_str("%")
            }
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Change({})", self.0)
    }
}
