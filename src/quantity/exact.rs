//! Exact decimal addition: the one rule for sums in revops.
//!
//! `rust_decimal`'s `checked_add` returns `None` only when the integer part
//! overflows; when the exact sum needs more than 28 significant digits it
//! rounds silently (`100000000000000 + 0.123456789012345678` comes back as
//! `100000000000000.12345678901235`). revops never rounds without saying
//! so: these functions return the exact sum, or `None` when it cannot be
//! held in a `Decimal`.

use rust_decimal::Decimal;

use super::money::POW10;

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

/// `a − b`, exactly, or `None` as for [`add`].
pub(crate) fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    add(a, -b)
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
        assert_eq!(sub(d("0.3"), d("0.1")), Some(d("0.2")));
        // A sum exact only once trailing zeros are dropped still fits.
        let x = d("3961408125713216879677197516.8");
        assert_eq!(add(x, d("0.2")), Some(d("3961408125713216879677197517")));
    }
}
