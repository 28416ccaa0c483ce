//! Field parsing for the fast path: ASCII trimming and integers read
//! eight digits at a time.

/// ASCII whitespace trimmed, as `str::trim` does for ASCII.
pub(super) fn trim(mut b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    while b.first().is_some_and(ws) {
        b = &b[1..];
    }
    while b.last().is_some_and(ws) {
        b = &b[..b.len() - 1];
    }
    b
}

/// The range `from..to` of `b` with ASCII whitespace trimmed from both
/// ends, as [`trim`] does.
pub(super) fn trim_range(b: &[u8], mut from: usize, mut to: usize) -> (usize, usize) {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    while from < to && ws(b[from]) {
        from += 1;
    }
    while to > from && ws(b[to - 1]) {
        to -= 1;
    }
    (from, to)
}

/// `str::parse::<u64>` on ASCII bytes: an optional `+`, then digits.
pub(super) fn parse_u64(b: &[u8]) -> Option<u64> {
    digits(b.strip_prefix(b"+").unwrap_or(b))
}

/// `str::parse::<i64>` on ASCII bytes: an optional sign, then digits.
pub(super) fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let v = i128::from(digits(rest)?);
    i64::try_from(if neg { -v } else { v }).ok()
}

/// The value of one or more ASCII digits, `None` for anything else or a
/// value past `u64::MAX`. Eight digits at a time (SWAR: one 64-bit word,
/// three multiplications), the rest one by one.
#[inline]
pub(super) fn digits(b: &[u8]) -> Option<u64> {
    let n = b.len();
    match n {
        0 => return None,
        1 => {
            let d = b[0].wrapping_sub(b'0');
            return (d <= 9).then_some(u64::from(d));
        }
        8..=16 => {
            // Two fixed loads, no loop: the last eight digits, and the
            // first n - 8 right-aligned behind '0's (the overlap shifted
            // out); every byte is checked by one of the two.
            let last = eight_digits(word(b, n - 8)?)?;
            if n == 8 {
                return Some(last);
            }
            let k = 16 - n; // 0..=7 leading zeros
            let fill = if k == 0 {
                0
            } else {
                0x3030_3030_3030_3030u64 >> (8 * (8 - k))
            };
            let first = eight_digits((word(b, 0)? << (8 * k)) | fill)?;
            return Some(first * 100_000_000 + last);
        }
        _ => {}
    }
    if n <= 19 {
        // At most 19 digits: below 10^19, no overflow possible.
        let mut v: u64 = 0;
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            v = v * 100_000_000 + eight_digits(u64::from_le_bytes(w))?;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The last digits right-aligned after leading zeros (built in a
            // register, not through memory): one more eight-digit step.
            let mut w = 0x3030_3030_3030_3030u64;
            let shift = 8 * (8 - rest.len() as u32);
            for (j, &c) in rest.iter().enumerate() {
                let at = shift + 8 * j as u32;
                w = (w & !(0xFF << at)) | (u64::from(c) << at);
            }
            v = v * POW10[rest.len()] + eight_digits(w)?;
        }
        return Some(v);
    }
    // Below 2^64 after each step, so the next one fits a u128.
    let mut v: u128 = 0;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        v = v * 100_000_000 + u128::from(eight_digits(u64::from_le_bytes(w))?);
        if v > u128::from(u64::MAX) {
            return None;
        }
    }
    for &c in chunks.remainder() {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u128::from(d);
    }
    u64::try_from(v).ok()
}

/// The eight bytes of `b` from `at`, little-endian.
#[inline]
pub(super) fn word(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Powers of ten up to 10^7.
const POW10: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// Eight ASCII digits in a little-endian word (the first digit in the
/// lowest byte) as their value, `None` unless all eight are digits.
#[inline]
pub(super) fn eight_digits(x: u64) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte 0x30..=0x39: high nibble 3, low nibble at most 9.
    if x & (0xF0 * ONES) != 0x30 * ONES
        || (x.wrapping_add(0x06 * ONES)) & (0xF0 * ONES) != 0x30 * ONES
    {
        return None;
    }
    let d = x - 0x30 * ONES;
    // Pairs, then quads, then the eight: each step merges neighbours.
    let d = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d.wrapping_mul(100) + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((d.wrapping_mul(10_000) + (d >> 32)) & 0xFFFF_FFFF)
}

#[cfg(test)]
mod digit_tests {
    use super::{digits, parse_i64, parse_u64};
    use proptest::prelude::*;

    proptest! {
        /// The SWAR separator search finds what memchr finds, NUL bytes
        /// and a NUL delimiter included.
        #[test]
        fn separators_equal_memchr(bytes in prop::collection::vec(prop::sample::select(vec![b'a', b',', b'\n', b';', 0u8, 0xFF, b'1']), 0..200), d in prop::sample::select(vec![b',', b';', b'\t', 0u8])) {
        let want: Vec<usize> = memchr::memchr2_iter(d, b'\n', &bytes).collect();
        let got: Vec<usize> = crate::csv::separators::Separators::new(&bytes, d).collect();
        prop_assert_eq!(got, want);
    }

    /// The byte parsers are the standard library's, on any ASCII.
    #[test]
    fn parsers_equal_the_standard_ones(s in "[-+0-9 a]{0,24}", n in any::<u64>(), m in any::<i64>()) {
            prop_assert_eq!(parse_u64(s.as_bytes()), s.parse::<u64>().ok());
            prop_assert_eq!(parse_i64(s.as_bytes()), s.parse::<i64>().ok());
            let t = n.to_string();
            prop_assert_eq!(digits(t.as_bytes()), Some(n));
            let t = m.to_string();
            prop_assert_eq!(parse_i64(t.as_bytes()), Some(m));
        }
    }

    #[test]
    fn edges() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(
            parse_u64(b"000000000000000000000001"),
            "000000000000000000000001".parse().ok()
        );
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_u64(b"12345678:"), None);
        assert_eq!(parse_u64(b"1234567/"), None);
    }
}
