//! Exact decimal addition: the one rule for sums in revops.
//!
//! `rust_decimal`'s `checked_add` returns `None` only when the integer part
//! overflows; when the exact sum needs more than 28 significant digits it
//! rounds silently (`100000000000000 + 0.123456789012345678` comes back as
//! `100000000000000.12345678901235`). revops never rounds without saying
//! so: these functions return the exact sum, or `None` when it cannot be
//! held in a `Decimal`.

use rust_decimal::Decimal;

/// Powers of ten that fit in an `i128` (10^0 ..= 10^38).
pub(crate) const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `a + b`, exactly, or `None` when the exact sum does not fit a `Decimal`
/// (96-bit mantissa, at most 28 decimals).
pub(crate) fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let s = a.scale().max(b.scale());
    let up = |d: Decimal| -> Option<i128> {
        d.mantissa()
            .checked_mul(*POW10.get((s - d.scale()) as usize)? as i128)
    };
    let (ma, mb) = (up(a)?, up(b)?);
    let mut m = ma.checked_add(mb)?;
    let mut scale = s;
    // Trailing zeros can be dropped without changing the value.
    while scale > 0 && m % 10 == 0 && Decimal::try_from_i128_with_scale(m, scale).is_err() {
        m /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// `a + b`, exactly, or the reason it cannot be held: [`Error::Overflow`]
/// when the sum is beyond a `Decimal`'s range, [`Error::Inexact`] when it
/// is within it but needs more than 28 significant digits.
///
/// [`Error::Overflow`]: crate::Error::Overflow
/// [`Error::Inexact`]: crate::Error::Inexact
pub(crate) fn add_or_why(
    a: Decimal,
    b: Decimal,
    operation: &'static str,
) -> crate::error::Result<Decimal> {
    match add(a, b) {
        Some(s) => Ok(s),
        // `rust_decimal` fails only past the range; it rounds the rest.
        None if a.checked_add(b).is_some() => Err(crate::error::Error::Inexact {
            operation: operation.into(),
        }),
        None => Err(crate::error::Error::overflow(operation)),
    }
}

// Amounts as whole numbers of units at a given number of decimals: the
// integer form every exact split (attribution's ledger among them) works
// in.

/// A value as a whole number of units at its own precision: the
/// currency's minor unit, or more decimals when the value has more
/// (trailing zeros ignored). `None` only for a currency without a minor
/// unit.
pub(crate) fn own_units(amount: Decimal, exponent: u32) -> Option<(i128, u32)> {
    let (m, s) = (amount.mantissa(), amount.scale());
    if s <= exponent {
        // |m| < 2^96 and exponent <= 4: fits.
        return Some((
            m.checked_mul(*POW10.get((exponent - s) as usize)? as i128)?,
            exponent,
        ));
    }
    // Only a value finer than the minor unit pays for normalize.
    let n = amount.normalize();
    let s = n.scale().max(exponent);
    Some((
        n.mantissa()
            .checked_mul(*POW10.get((s - n.scale()) as usize)? as i128)?,
        s,
    ))
}

/// `units` at `from` decimals, written at `to >= from` decimals.
pub(crate) fn rescale(units: i128, from: u32, to: u32) -> Option<i128> {
    units.checked_mul(*POW10.get(to.checked_sub(from)? as usize)? as i128)
}

/// `units × 10^-scale` as a `Decimal` with the fewest decimals, but at
/// least `min_scale`; `None` if it does not fit.
pub(crate) fn units_to_decimal(mut units: i128, mut scale: u32, min_scale: u32) -> Option<Decimal> {
    while scale > 0 && units % 10 == 0 {
        units /= 10;
        scale -= 1;
    }
    // Show at least the minor unit, as far as the mantissa allows.
    while scale < min_scale {
        match units.checked_mul(10) {
            Some(u) if Decimal::try_from_i128_with_scale(u, scale + 1).is_ok() => {
                units = u;
                scale += 1;
            }
            _ => break,
        }
    }
    Decimal::try_from_i128_with_scale(units, scale).ok()
}

/// An exact running sum of amounts that are not negative, as whole units
/// at the finest scale seen: the fast form of an exact sum when the terms
/// mostly share a scale (money read from a file). Every term is at least
/// zero, so a partial sum passes `i128`'s bound only if the total does:
/// whether [`UnitSum::add`] fails does not depend on the order of the
/// terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UnitSum {
    scale: u32,
    units: i128,
}

impl UnitSum {
    /// Adds `x` (not negative); `None` when the sum at the finest scale
    /// passes `i128` (38 digits).
    #[inline]
    pub(crate) fn add(&mut self, x: Decimal) -> Option<()> {
        debug_assert!(!x.is_sign_negative() || x.is_zero());
        let (m, s) = (x.mantissa(), x.scale());
        let m = if s == self.scale {
            m
        } else if s < self.scale {
            rescale(m, s, self.scale)?
        } else {
            self.units = rescale(self.units, self.scale, s)?;
            self.scale = s;
            m
        };
        self.units = self.units.checked_add(m)?;
        Some(())
    }

    /// The sum as a `Decimal` with at least `min_scale` decimals where the
    /// mantissa allows; `None` when it does not fit one.
    pub(crate) fn value(&self, min_scale: u32) -> Option<Decimal> {
        units_to_decimal(self.units, self.scale, min_scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn exact_or_none() {
        assert_eq!(add(d("1.10"), d("2.205")), Some(d("3.305")));
        assert_eq!(add(d("100000000000000"), d("0.123456789012345678")), None);
        assert_eq!(add(Decimal::MAX, Decimal::ONE), None);
        assert_eq!(add(Decimal::MAX, -Decimal::MAX), Some(Decimal::ZERO));
        assert_eq!(add(d("0.3"), -d("0.1")), Some(d("0.2")));
        // Past the range, or past 28 significant digits: each said so.
        assert!(matches!(
            add_or_why(Decimal::MAX, d("1"), "t"),
            Err(crate::error::Error::Overflow { .. })
        ));
        assert!(matches!(
            add_or_why(d("100"), -d("0.0000000000000000000000000001"), "t"),
            Err(crate::error::Error::Inexact { .. })
        ));
        // A sum exact only once trailing zeros are dropped still fits.
        let x = d("3961408125713216879677197516.8");
        assert_eq!(add(x, d("0.2")), Some(d("3961408125713216879677197517")));
        // Aligned to two places the mantissa passes 96 bits (5 × 10^30);
        // its trailing zeros come off until it fits again.
        let big = d("50000000000000000000000000000");
        assert_eq!(add(big, d("0.00")), Some(big));
        assert_eq!(add(d("0.00"), big), Some(big));
    }
}

/// 10^28: the fractional unit of [`WideSum`] (a `Decimal` has at most 28
/// decimals, so every `Decimal` is a whole number of these units).
const FRAC_ONE: i128 = 10_000_000_000_000_000_000_000_000_000;

/// An exact running sum of `Decimal`s that is associative and commutative
/// whatever the order, so that partial sums merge to the sum of the whole:
/// the integer part in an `i128` and the fractional part in units of
/// 10^-28. (Adding `Decimal`s one at a time is not associative once an
/// intermediate sum needs more than 28 significant digits.) The total is
/// read back as a `Decimal` when it fits one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "WideSumRepr", into = "WideSumRepr")
)]
pub(crate) struct WideSum {
    /// `floor(sum)`.
    whole: i128,
    /// `(sum − floor(sum)) × 10^28`, in `[0, 10^28)`.
    frac: i128,
    /// The integer part left `i128` (about 1.7 × 10^38): sticky.
    overflow: bool,
}

/// The serde form: the exact sum as a decimal string (integer part and up
/// to 28 decimals, which may exceed `Decimal`'s range), or `null` once it
/// overflowed.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct WideSumRepr(Option<String>);

#[cfg(feature = "serde")]
impl From<WideSum> for WideSumRepr {
    fn from(w: WideSum) -> WideSumRepr {
        if w.overflow {
            return WideSumRepr(None);
        }
        // whole + frac / 10^28 with frac in [0, 10^28).
        let (neg, whole, frac): (bool, u128, i128) = if w.whole < 0 && w.frac > 0 {
            (true, (w.whole + 1).unsigned_abs(), FRAC_ONE - w.frac)
        } else {
            (w.whole < 0, w.whole.unsigned_abs(), w.frac)
        };
        let mut digits = format!("{frac:028}");
        while digits.ends_with('0') {
            digits.pop();
        }
        let sign = if neg { "-" } else { "" };
        WideSumRepr(Some(if digits.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{digits}")
        }))
    }
}

#[cfg(feature = "serde")]
impl TryFrom<WideSumRepr> for WideSum {
    type Error = crate::error::Error;
    fn try_from(r: WideSumRepr) -> crate::error::Result<WideSum> {
        let Some(text) = r.0 else {
            return Ok(WideSum {
                whole: 0,
                frac: 0,
                overflow: true,
            });
        };
        let bad = || {
            crate::error::Error::invalid("exact sum", format!("{text:?} is not a decimal numeral"))
        };
        let (neg, body) = match text.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, text.as_str()),
        };
        let (int, dec) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || dec.len() > 28
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !dec.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i128 = int.parse().map_err(|_| bad())?;
        let frac: i128 = if dec.is_empty() {
            0
        } else {
            format!("{dec:0<28}").parse().map_err(|_| bad())?
        };
        // The floor form: whole part rounded down, fraction in [0, 1).
        Ok(match (neg, frac) {
            (false, _) => WideSum {
                whole,
                frac,
                overflow: false,
            },
            (true, 0) => WideSum {
                whole: -whole,
                frac: 0,
                overflow: false,
            },
            (true, _) => WideSum {
                whole: -whole - 1,
                frac: FRAC_ONE - frac,
                overflow: false,
            },
        })
    }
}

impl WideSum {
    /// Adds `x` exactly.
    pub(crate) fn add(&mut self, x: Decimal) {
        let m = x.mantissa();
        let f = POW10[x.scale() as usize] as i128;
        self.add_parts(m.div_euclid(f), m.rem_euclid(f) * (FRAC_ONE / f), false);
    }

    /// Adds another partial sum.
    pub(crate) fn merge(&mut self, o: &WideSum) {
        self.add_parts(o.whole, o.frac, o.overflow);
    }

    fn add_parts(&mut self, whole: i128, frac: i128, overflow: bool) {
        let mut f = self.frac + frac; // both < 10^28: no overflow
        let mut carry = 0;
        if f >= FRAC_ONE {
            f -= FRAC_ONE;
            carry = 1;
        }
        match self
            .whole
            .checked_add(whole)
            .and_then(|w| w.checked_add(carry))
        {
            Some(w) if !overflow => {
                self.whole = w;
                self.frac = f;
            }
            _ => self.overflow = true,
        }
    }

    /// Below zero (an overflowed sum is neither).
    #[cfg(feature = "serde")]
    pub(crate) fn is_negative(&self) -> bool {
        !self.overflow && self.whole < 0
    }

    /// Larger than `o` (false when either overflowed: not comparable).
    #[cfg(feature = "serde")]
    pub(crate) fn exceeds(&self, o: &WideSum) -> bool {
        !self.overflow && !o.overflow && (self.whole, self.frac) > (o.whole, o.frac)
    }

    /// The exact sum, or `None` when it does not fit a `Decimal`.
    pub(crate) fn value(&self) -> Option<Decimal> {
        if self.overflow {
            return None;
        }
        let (mut frac, mut scale) = (self.frac, 28u32);
        while scale > 0 && frac % 10 == 0 {
            frac /= 10;
            scale -= 1;
        }
        let m = self
            .whole
            .checked_mul(POW10[scale as usize] as i128)?
            .checked_add(frac)?;
        Decimal::try_from_i128_with_scale(m, scale).ok()
    }
}

#[cfg(all(test, feature = "serde"))]
mod wide_serde_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn serde_form_is_the_exact_sum() {
        for (values, text) in [
            (vec!["-0.5", "0.25"], Some("-0.25")),
            (
                vec![
                    "79228162514264337593543950335",
                    "79228162514264337593543950335",
                ],
                Some("158456325028528675187087900670"),
            ),
            (
                vec!["-3", "0.0000000000000000000000000001"],
                Some("-2.9999999999999999999999999999"),
            ),
            (vec!["12"], Some("12")),
            (vec![], Some("0")),
        ] {
            let mut w = WideSum::default();
            for v in &values {
                w.add(Decimal::from_str(v).unwrap());
            }
            let json = serde_json::to_string(&w).unwrap();
            assert_eq!(json, serde_json::to_string(&text).unwrap());
            assert_eq!(serde_json::from_str::<WideSum>(&json).unwrap(), w);
        }
        for bad in [
            r#""1.2.3""#,
            r#""-""#,
            r#""1e5""#,
            r#"".5""#,
            r#""1.00000000000000000000000000001""#,
        ] {
            assert!(serde_json::from_str::<WideSum>(bad).is_err(), "{bad}");
        }
        let overflowed: WideSum = serde_json::from_str("null").unwrap();
        assert_eq!(overflowed.value(), None);
    }
}

#[cfg(test)]
mod wide_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn any_order_any_split() {
        let xs: Vec<Decimal> = [
            "23768448754279301278063185100.00",
            "0.5",
            "0.5",
            "-7.25",
            "6425.00",
            "-0.0000000000000000000000000001",
        ]
        .iter()
        .map(|s| Decimal::from_str(s).unwrap())
        .collect();
        let mut whole = WideSum::default();
        xs.iter().for_each(|&x| whole.add(x));
        for cut in 0..=xs.len() {
            let (mut a, mut b) = (WideSum::default(), WideSum::default());
            xs[..cut].iter().rev().for_each(|&x| a.add(x));
            xs[cut..].iter().for_each(|&x| b.add(x));
            a.merge(&b);
            assert_eq!(a, whole);
        }
        // 23768448754279301278063191518.75 − 10^-28 needs 57 digits.
        assert_eq!(whole.value(), None);
        let mut s = WideSum::default();
        s.add(Decimal::from_str("-0.5").unwrap());
        s.add(Decimal::from_str("0.25").unwrap());
        assert_eq!(s.value(), Some(Decimal::from_str("-0.25").unwrap()));
        let mut big = WideSum::default();
        big.add(Decimal::MAX);
        big.add(Decimal::MAX);
        assert_eq!(big.value(), None);
        big.add(-Decimal::MAX);
        assert_eq!(big.value(), Some(Decimal::MAX));
    }

    /// The JSON form of a sum: positive and negative, whole and fractional,
    /// between −1 and 0 and between 0 and 1 (each sign rule of the
    /// conversion from `floor + fraction`).
    #[cfg(feature = "serde")]
    #[test]
    fn json_form_of_every_sign_and_part() {
        for text in [
            "0.5",
            "-0.5",
            "-3",
            "3",
            "0",
            "-2.75",
            "12.25",
            "-0.0000000000000000000000000001",
        ] {
            let mut w = WideSum::default();
            w.add(Decimal::from_str(text).unwrap());
            let json = serde_json::to_string(&w).unwrap();
            assert_eq!(json, format!("\"{text}\""), "{text}");
            assert_eq!(serde_json::from_str::<WideSum>(&json).unwrap(), w);
        }
    }
}
