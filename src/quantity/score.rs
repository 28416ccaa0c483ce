//! Survey scores.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{Error, Result};

/// A Net Promoter Score in [-100, 100]: the percent of promoters minus the
/// percent of detractors.
///
/// The value is exact, not rounded: 1 promoter out of 3 answers is
/// `33.333...`. [`Display`](fmt::Display) rounds to one decimal (`33.3`).
///
/// # JSON form
///
/// A decimal string: `"33.3333333333333333333333333"`. Values outside
/// [-100, 100] are rejected.
///
/// # Example
///
/// ```
/// use revops::Nps;
/// // 6 promoters (9-10), 2 passives (7-8), 2 detractors (0-6):
/// let nps = Nps::from_counts(6, 2, 2)?;
/// assert_eq!(nps.to_string(), "40.0");
/// assert!(Nps::from_counts(0, 0, 0).is_err());
/// assert!(Nps::new(revops::dec!(101)).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "crate::serde_util::StrictDecimal", into = "Decimal")
)]
pub struct Nps(Decimal);

impl Nps {
    /// An NPS from a value in [-100, 100].
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] outside [-100, 100].
    ///
    /// ```
    /// use revops::Nps;
    /// use revops::dec;
    /// assert!(Nps::new(dec!(-100)).is_ok());
    /// assert!(Nps::new(dec!(-100.5)).is_err());
    /// ```
    pub fn new(value: Decimal) -> Result<Nps> {
        if value < -Decimal::ONE_HUNDRED || value > Decimal::ONE_HUNDRED {
            return Err(Error::out_of_range("NPS", value, "[-100, 100]"));
        }
        Ok(Nps(value.normalize()))
    }

    /// `net_promoter_score_from_counts`: `(promoters − detractors) /
    /// (promoters + passives + detractors) × 100`.
    ///
    /// # Errors
    ///
    /// [`Error::ZeroDenominator`] if there are no answers;
    /// [`Error::Overflow`] if the counts add past `u64::MAX`.
    ///
    /// ```
    /// use revops::Nps;
    /// use revops::dec;
    /// assert_eq!(Nps::from_counts(0, 0, 5)?.value(), dec!(-100));
    /// assert_eq!(Nps::from_counts(1, 2, 0)?.to_string(), "33.3");
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_counts(promoters: u64, passives: u64, detractors: u64) -> Result<Nps> {
        let total = promoters
            .checked_add(passives)
            .and_then(|t| t.checked_add(detractors))
            .ok_or_else(|| Error::overflow("net promoter score: answer count"))?;
        if total == 0 {
            return Err(Error::zero("net promoter score", "answers"));
        }
        let diff = i128::from(promoters) - i128::from(detractors);
        // |diff| <= total < 2^64: the numerator fits easily, and the quotient
        // is in [-100, 100].
        let num = Decimal::from(diff) * Decimal::ONE_HUNDRED;
        let v = num
            .checked_div(Decimal::from(total))
            .ok_or_else(|| Error::overflow("net promoter score"))?;
        Nps::new(v)
    }

    /// The score as a decimal in [-100, 100].
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Rounded to `dp` decimal places with an explicit strategy (for
    /// display: reports keep every digit). Rounding stays in the type's
    /// range, so it cannot fail.
    pub fn round_dp(self, dp: u32, strategy: rust_decimal::RoundingStrategy) -> Nps {
        Nps(self.0.round_dp_with_strategy(dp, strategy))
    }
}

impl TryFrom<Decimal> for Nps {
    type Error = Error;
    fn try_from(v: Decimal) -> Result<Nps> {
        Nps::new(v)
    }
}

#[cfg(feature = "serde")]
impl TryFrom<crate::serde_util::StrictDecimal> for Nps {
    type Error = Error;
    fn try_from(v: crate::serde_util::StrictDecimal) -> Result<Nps> {
        Nps::new(v.0)
    }
}

impl From<Nps> for Decimal {
    fn from(v: Nps) -> Decimal {
        v.0
    }
}

impl fmt::Display for Nps {
    /// One decimal, banker's rounding: `33.3`, `-100.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = f.precision().unwrap_or(1);
        let v = self
            .0
            .round_dp_with_strategy(dp as u32, RoundingStrategy::MidpointNearestEven);
        super::money::write_padded(f, v, dp as u32)
    }
}

impl fmt::Debug for Nps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nps({})", self.0)
    }
}
