//! Durations and instants read from text as exports and people write
//! them: one rule for every reader (the `csv` readers, a command line, a
//! service's own configuration).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::time::{to_time_delta, TimeUnit};
use crate::error::{Error, Result};

/// Reads a duration: whole numbers with a unit, one or several in a row
/// (`7d`, `36h`, `90m`, `45s`, `250ms`, `2w`, `1d12h`), or a bare number
/// of seconds (`604800`, `1.5`). Blanks around the text are ignored.
///
/// | suffix | unit |
/// |---|---|
/// | `w` | week (7 days) |
/// | `d` | day (24 hours) |
/// | `h` | hour |
/// | `m` | minute |
/// | `s` | second |
/// | `ms` | millisecond |
///
/// ```
/// use revops::quantity::parse_duration;
/// use revops::TimeDelta;
/// assert_eq!(parse_duration("7d")?, TimeDelta::days(7));
/// assert_eq!(parse_duration("1d12h")?, TimeDelta::hours(36));
/// assert_eq!(parse_duration("604800")?, TimeDelta::days(7));
/// assert_eq!(parse_duration("1.5")?, TimeDelta::milliseconds(1500));
/// assert!(parse_duration("-1h").is_err());
/// assert!(parse_duration("7 days").is_err());
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for an empty or negative duration, an unknown
/// unit, a unit without a number, a duration past what a `TimeDelta`
/// holds, or a bare number finer than a nanosecond; the message names the
/// accepted forms.
pub fn parse_duration(text: &str) -> Result<TimeDelta> {
    let t = text.trim();
    let bad = |why: &str| {
        Error::invalid(
            "duration",
            format!(
                "{why} in {t:?}: write 7d, 36h, 90m, 45s, 250ms, 2w, 1d12h or seconds (604800)"
            ),
        )
    };
    if t.is_empty() {
        return Err(bad("nothing"));
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds = rust_decimal::Decimal::from_str_exact(t).map_err(|_| bad("not a number"))?;
        return to_time_delta(seconds, "duration");
    }
    let mut total = TimeDelta::zero();
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("a unit without a number"));
        }
        let n: i64 = rest[..digits]
            .parse()
            .map_err(|_| bad("a number too large"))?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let part = match &rest[..letters] {
            "w" => n.checked_mul(7).and_then(TimeDelta::try_days),
            "d" => TimeDelta::try_days(n),
            "h" => TimeDelta::try_hours(n),
            "m" => TimeDelta::try_minutes(n),
            "s" => TimeDelta::try_seconds(n),
            "ms" => TimeDelta::try_milliseconds(n),
            "" => return Err(bad("a number without a unit")),
            _ => return Err(bad("an unknown unit")),
        };
        rest = &rest[letters..];
        total = part
            .and_then(|p| total.checked_add(&p))
            .ok_or_else(|| bad("a duration too long"))?;
    }
    Ok(total)
}

/// Reads an instant in the forms exports use:
///
/// * a whole number: ticks of `unit` since the Unix epoch (`1767225600`
///   in seconds, `1767225600000` in milliseconds), negative before 1970;
/// * RFC 3339 / ISO 8601 with an offset: `2026-03-01T10:00:00Z`,
///   `2026-03-01T11:00:00.250+01:00`;
/// * a date and time without an offset, read as UTC: `2026-03-01
///   10:00:00`, `2026-03-01T10:00:00.250` (a space or `T`, up to nine
///   decimals of a second);
/// * a date alone, midnight UTC: `2026-03-01`.
///
/// ```
/// use revops::quantity::{parse_instant, TimeUnit};
/// use revops::{TimeZone, Utc};
/// let ten = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
/// assert_eq!(parse_instant("2026-03-01T10:00:00Z", TimeUnit::Second)?, ten);
/// assert_eq!(parse_instant("2026-03-01T11:00:00+01:00", TimeUnit::Second)?, ten);
/// assert_eq!(parse_instant("2026-03-01 10:00:00", TimeUnit::Second)?, ten);
/// assert_eq!(parse_instant("1772359200", TimeUnit::Second)?, ten);
/// assert_eq!(parse_instant("1772359200000", TimeUnit::Millisecond)?, ten);
/// assert!(parse_instant("01/03/2026", TimeUnit::Second).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for text in none of these forms, or an instant
/// out of `DateTime`'s range.
pub fn parse_instant(text: &str, unit: TimeUnit) -> Result<DateTime<Utc>> {
    let t = text.trim();
    let bad = || {
        Error::invalid(
            "instant",
            format!(
                "cannot read {t:?}: write Unix {}s, 2026-03-01T10:00:00Z (an offset), \
                 2026-03-01 10:00:00 (UTC) or 2026-03-01",
                unit.as_str()
            ),
        )
    };
    let digits = t.strip_prefix('-').unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let ticks: i64 = t.parse().map_err(|_| bad())?;
        return unit
            .duration(ticks)
            .ok()
            .and_then(|d| DateTime::UNIX_EPOCH.checked_add_signed(d))
            .ok_or_else(bad);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(at.and_utc());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return day
            .and_hms_opt(0, 0, 0)
            .map(|at| at.and_utc())
            .ok_or_else(bad);
    }
    Err(bad())
}

/// Why [`instant_ticks`] could not give a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg(feature = "csv")]
pub(crate) enum TicksError {
    /// Not an instant [`parse_instant`] reads, or out of range of the
    /// unit.
    Unreadable,
    /// An instant finer than the unit.
    TooFine,
}

/// The instant `text` writes (as [`parse_instant`] reads it, bare
/// integers in `ts_unit`), in ticks of `unit`: the readers' one rule.
/// `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DD HH:MM:SS` (what exports write
/// most) are read here directly, every other form by [`parse_instant`];
/// both give the same ticks.
#[cfg(feature = "csv")]
pub(crate) fn instant_ticks(
    text: &str,
    ts_unit: TimeUnit,
    unit: TimeUnit,
) -> std::result::Result<i64, TicksError> {
    if let Some(seconds) = whole_second_utc(text.trim().as_bytes()) {
        return seconds
            .checked_mul(unit.per_second())
            .ok_or(TicksError::Unreadable);
    }
    match parse_instant(text, ts_unit).map(|at| unit.ticks_at(at)) {
        Ok(Ok(ticks)) => Ok(ticks),
        Err(_) | Ok(Err(Error::Overflow { .. })) => Err(TicksError::Unreadable),
        Ok(Err(_)) => Err(TicksError::TooFine),
    }
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ`, `YYYY-MM-DDTHH:MM:SS` or
/// `YYYY-MM-DD HH:MM:SS` (UTC), or `None` for any other text (a leap
/// second, another form, an invalid date: [`parse_instant`] decides).
#[cfg(feature = "csv")]
fn whole_second_utc(b: &[u8]) -> Option<i64> {
    let b = match b.len() {
        20 if b[19] == b'Z' => &b[..19],
        19 => b,
        _ => return None,
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    // Days from 1970-01-01 (the proleptic Gregorian calendar, as chrono's).
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3_600 + mi * 60 + s)
}

/// Writes a number of seconds as people read a duration: the largest unit
/// that fits and the next one, rounded to that next unit (`2d 4h`,
/// `3h 20m`, `4m 13s`, `45s`, `250ms`), a lower part of zero left out
/// (`2d`). Below a second, whole milliseconds; `0s` for zero; a negative
/// duration gets a leading `-`. The inverse of [`parse_duration`] up to
/// the rounding.
///
/// ```
/// use revops::quantity::duration_text;
/// use revops::dec;
/// assert_eq!(duration_text(dec!(187200)), "2d 4h");
/// assert_eq!(duration_text(dec!(253.3333)), "4m 13s");
/// assert_eq!(duration_text(dec!(86399.9)), "1d");
/// assert_eq!(duration_text(dec!(0.25)), "250ms");
/// assert_eq!(duration_text(dec!(0)), "0s");
/// ```
pub fn duration_text(seconds: Decimal) -> String {
    let sign = if seconds.is_sign_negative() && !seconds.is_zero() {
        "-"
    } else {
        ""
    };
    let s = seconds.abs();
    // (unit in seconds, its suffix, the next unit down in seconds, its suffix)
    const UNITS: [(i64, &str, i64, &str); 3] = [
        (86_400, "d", 3_600, "h"),
        (3_600, "h", 60, "m"),
        (60, "m", 1, "s"),
    ];
    let round = |d: Decimal| d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    for (big, big_name, small, small_name) in UNITS {
        // Rounded to the smaller unit first, so 1d 23h 59m 40s is 2d and
        // 23h 59m 59.9s is 1d.
        let smalls = round(s / Decimal::from(small));
        let per = Decimal::from(big / small);
        let whole = (smalls / per).trunc();
        if whole >= Decimal::ONE {
            let rest = smalls - whole * per;
            return if rest.is_zero() {
                format!("{sign}{whole}{big_name}")
            } else {
                format!("{sign}{whole}{big_name} {rest}{small_name}")
            };
        }
    }
    let whole = round(s);
    if whole >= Decimal::ONE || s.is_zero() {
        return format!("{sign}{whole}s");
    }
    let ms = round(s * Decimal::from(1000));
    format!("{sign}{ms}ms")
}

/// Writes `value` rounded half away from zero to exactly `dp` decimals,
/// as a table for people shows it (`12.5` with 2 is `12.50`; `0.125` with
/// 2 is `0.13`): the one display rounding of money (to its currency's
/// minor unit), percents and multiples. Exact figures stay in the
/// reports; only their text for people is rounded.
///
/// ```
/// use revops::quantity::fixed_text;
/// use revops::dec;
/// assert_eq!(fixed_text(dec!(1227.2727272727272727272727273), 2), "1227.27");
/// assert_eq!(fixed_text(dec!(0.125), 2), "0.13");
/// assert_eq!(fixed_text(dec!(-0.125), 2), "-0.13");
/// assert_eq!(fixed_text(dec!(40000), 2), "40000.00");
/// assert_eq!(fixed_text(dec!(7), 0), "7");
/// ```
pub fn fixed_text(value: Decimal, dp: u32) -> String {
    let mut r = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        // No "-0.00".
        r = Decimal::ZERO;
    }
    let mut text = r.to_string();
    let scale = r.scale();
    if scale < dp {
        if scale == 0 {
            text.push('.');
        }
        for _ in scale..dp {
            text.push('0');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct reading of whole-second times gives what
    /// `parse_instant` gives, for every day of four centuries' worth of
    /// sampled dates, every unit, and the edges (leap days, the last
    /// second of a day, invalid dates, leap seconds).
    #[test]
    fn whole_second_times_read_directly_equal_parse_instant() {
        let mut texts: Vec<String> = Vec::new();
        let mut day = chrono::NaiveDate::from_ymd_opt(1800, 1, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2300, 1, 1).unwrap();
        let mut k = 0u32;
        while day < end {
            let (h, m, s) = (k % 24, (k * 7) % 60, (k * 13) % 60);
            texts.push(format!("{}T{h:02}:{m:02}:{s:02}Z", day));
            texts.push(format!("{} {h:02}:{m:02}:{s:02}", day));
            texts.push(format!("{}T23:59:59", day));
            day += chrono::TimeDelta::days(37);
            k += 1;
        }
        for bad in [
            "2026-02-29T10:00:00Z",
            "2024-02-29T10:00:00Z",
            "2026-13-01 00:00:00",
            "2026-04-31 00:00:00",
            "2026-01-01T24:00:00Z",
            "2026-01-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "2026-01-01T10:00:00+01:00",
            "2026-01-01x10:00:00Z",
            "+026-01-01T10:00:00Z",
            "2026-01-01T10:00:0aZ",
        ] {
            texts.push(bad.to_string());
        }
        for text in &texts {
            for unit in TimeUnit::ALL {
                let slow = match parse_instant(text, TimeUnit::Second).map(|at| unit.ticks_at(at)) {
                    Ok(Ok(t)) => Ok(t),
                    Err(_) | Ok(Err(Error::Overflow { .. })) => Err(TicksError::Unreadable),
                    Ok(Err(_)) => Err(TicksError::TooFine),
                };
                assert_eq!(
                    instant_ticks(text, TimeUnit::Second, unit),
                    slow,
                    "{text} {unit}"
                );
            }
        }
    }

    #[test]
    fn durations_every_unit_and_their_sums() {
        for (text, want) in [
            ("2w", TimeDelta::days(14)),
            ("3d", TimeDelta::days(3)),
            ("5h", TimeDelta::hours(5)),
            ("7m", TimeDelta::minutes(7)),
            ("9s", TimeDelta::seconds(9)),
            ("11ms", TimeDelta::milliseconds(11)),
            (
                "1w2d3h4m5s6ms",
                TimeDelta::milliseconds(((9 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000 + 6),
            ),
            (" 90m ", TimeDelta::minutes(90)),
            ("0", TimeDelta::zero()),
            ("0.001", TimeDelta::milliseconds(1)),
        ] {
            assert_eq!(parse_duration(text).unwrap(), want, "{text}");
        }
        for bad in [
            "",
            "d",
            "7",
            "x7d",
            "7x",
            "7dd",
            "-7d",
            "7 d",
            "1.5h",
            "99999999999999999999w",
        ] {
            if bad == "7" {
                continue; // a bare number is seconds
            }
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let e = parse_duration("7days").unwrap_err().to_string();
        assert!(e.contains("36h") && e.contains("\"7days\""), "{e}");
    }

    #[test]
    fn instants_in_every_form() {
        let want = DateTime::parse_from_rfc3339("2026-03-01T10:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        for text in [
            "2026-03-01T10:00:00.250Z",
            "2026-03-01T12:00:00.250+02:00",
            "2026-03-01 10:00:00.250",
            "2026-03-01T10:00:00.25",
            "1772359200250",
        ] {
            assert_eq!(
                parse_instant(text, TimeUnit::Millisecond).unwrap(),
                want,
                "{text}"
            );
        }
        let midnight = parse_instant("2026-03-01", TimeUnit::Second).unwrap();
        assert_eq!(midnight.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(
            parse_instant("-1", TimeUnit::Second).unwrap().to_rfc3339(),
            "1969-12-31T23:59:59+00:00"
        );
        for bad in [
            "",
            "-",
            "2026-13-01",
            "01/03/2026",
            "2026-03-01T10:00",
            "9223372036854775807",
        ] {
            assert!(parse_instant(bad, TimeUnit::Second).is_err(), "{bad}");
        }
    }
}

/// Whether two ids are equal: compared as 8-byte words inline (the last
/// one overlapping), with no call for ids of 8 bytes or more; the hot
/// comparison of every reader that groups rows by id.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let word = |x: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&x[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod same_bytes_tests {
    use super::same_bytes;

    #[test]
    fn every_length_and_every_differing_byte() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            for k in 0..n {
                let mut b = a.clone();
                b[k] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} {k}");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }
}
