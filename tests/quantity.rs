//! Invariants of the typed quantities.

use chrono::NaiveDate;
use proptest::prelude::*;
use revops::dec;
use revops::quantity::{split_integer, Distribution};
use revops::{Change, Currency, Decimal, Error, Money, Multiple, Nps, Period, Ratio};
use rust_decimal::RoundingStrategy;

/// Any decimal: every mantissa up to 96 bits, every scale 0..=28, and the
/// extremes.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<u128>(), any::<bool>(), 0u32..=28).prop_map(|(m, neg, s)| {
            let m = (m >> 32) as i128; // 96 bits
            Decimal::from_i128_with_scale(if neg { -m } else { m }, s)
        }),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
        Just(Decimal::new(1, 28)),
        Just(Decimal::from_i128_with_scale((1i128 << 96) - 1, 28)),
    ]
}

fn any_currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::USD),
        Just(Currency::JPY),
        Just(Currency::KWD),
        Just(Currency::XAU),
        Just(Currency::EGP),
    ]
}

proptest! {
    #[test]
    fn from_counts_is_in_unit_interval(whole in 1u64.., frac in 0.0f64..=1.0) {
        let part = ((whole as f64) * frac) as u64;
        let part = part.min(whole);
        let r = Ratio::from_counts(part, whole).unwrap();
        prop_assert!(r.value() >= Decimal::ZERO && r.value() <= Decimal::ONE);
        prop_assert_eq!(r.complement().times(r) <= Ratio::ONE, true);
    }

    #[test]
    fn from_counts_rejects_invalid(part in any::<u64>(), whole in any::<u64>()) {
        let r = Ratio::from_counts(part, whole);
        if whole == 0 {
            let is_zero_denominator = matches!(r, Err(Error::ZeroDenominator { .. }));
            prop_assert!(is_zero_denominator);
        } else if part > whole {
            let exceeds = matches!(r, Err(Error::PartExceedsWhole { .. }));
            prop_assert!(exceeds);
        } else {
            prop_assert!(r.is_ok());
        }
    }

    #[test]
    fn ratio_new_matches_range(v in any_decimal()) {
        let in_range = v >= Decimal::ZERO && v <= Decimal::ONE;
        prop_assert_eq!(Ratio::new(v).is_ok(), in_range);
        prop_assert_eq!(Multiple::new(v).is_ok(), v >= Decimal::ZERO);
        let nps_ok = v >= dec!(-100) && v <= dec!(100);
        prop_assert_eq!(Nps::new(v).is_ok(), nps_ok);
    }

    /// The parts add back exactly, each part is within one minor unit of its
    /// exact share, and zero weights get nothing.
    #[test]
    fn allocation_is_exact(
        minor in -1_000_000_000_000i64..1_000_000_000_000,
        weights in prop::collection::vec(0u64..1_000_000, 1..40),
        cur in prop_oneof![Just(Currency::USD), Just(Currency::JPY), Just(Currency::KWD)],
    ) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let money = Money::from_minor(i128::from(minor), cur).unwrap();
        let parts = money.allocate_integer(&weights).unwrap();
        prop_assert_eq!(parts.len(), weights.len());
        let sum = Money::checked_sum(parts.iter().copied(), cur).unwrap();
        prop_assert_eq!(sum, money);
        let total_w: i128 = weights.iter().map(|&w| i128::from(w)).sum();
        for (p, &w) in parts.iter().zip(&weights) {
            let part = p.to_minor_units().unwrap();
            // |part * W - T * w| < W  <=>  |part - T*w/W| < 1
            let err = (part * total_w - i128::from(minor) * i128::from(w)).abs();
            prop_assert!(err < total_w, "part {} for weight {} of {}", part, w, total_w);
            if w == 0 {
                prop_assert_eq!(part, 0);
            }
        }
        // Decimal weights with the same proportions give the same split.
        let dec_weights: Vec<Decimal> = weights.iter().map(|&w| Decimal::new(w as i64, 6)).collect();
        prop_assert_eq!(money.allocate(&dec_weights).unwrap(), parts);
    }

    /// A negative amount splits as the mirror image of the positive one.
    #[test]
    fn negative_allocation_mirrors(minor in 0i64..1_000_000_000, weights in prop::collection::vec(1u64..1000, 1..10)) {
        let pos = Money::from_minor(i128::from(minor), Currency::USD).unwrap();
        let a = pos.allocate_integer(&weights).unwrap();
        let b = pos.negated().allocate_integer(&weights).unwrap();
        for (x, y) in a.iter().zip(&b) {
            prop_assert_eq!(x.negated(), *y);
        }
    }

    #[test]
    fn split_integer_adds_back_for_extremes(total in any::<i128>(), weights in prop::collection::vec(any::<u64>(), 1..40)) {
        let mut out = vec![0i128; weights.len()];
        match split_integer(total, &weights, &mut out) {
            Ok(()) => {
                let sum = out.iter().try_fold(0i128, |a, &b| a.checked_add(b));
                prop_assert_eq!(sum, Some(total));
            }
            Err(e) => {
                let zero_weights = weights.iter().all(|&w| w == 0);
                prop_assert!(zero_weights, "unexpected error {}", e);
            }
        }
    }

    #[test]
    fn invalid_weights_are_errors(weights in prop::collection::vec(-1000i64..1000, 0..10)) {
        let m = Money::new(dec!(100.00), Currency::USD);
        let ws: Vec<Decimal> = weights.iter().map(|&w| Decimal::from(w)).collect();
        let valid = !ws.is_empty() && ws.iter().all(|w| *w >= Decimal::ZERO) && ws.iter().any(|w| *w > Decimal::ZERO);
        let r = m.allocate(&ws);
        prop_assert_eq!(r.is_ok(), valid);
        if !valid {
            let is_weights_error = matches!(r, Err(Error::InvalidWeights { .. }));
            prop_assert!(is_weights_error);
        }
    }

    /// No Money operation panics, for any pair of decimals and currencies.
    #[test]
    fn money_never_panics(a in any_decimal(), b in any_decimal(), ca in any_currency(), cb in any_currency()) {
        let x = Money::new(a, ca);
        let y = Money::new(b, cb);
        let _ = x.checked_add(y);
        let _ = x.checked_sub(y);
        let _ = x.checked_mul(b);
        let _ = x.checked_div(b);
        let _ = x.ratio_to(y);
        let _ = x.negated();
        let _ = x.to_minor_units();
        let _ = x.to_string();
        let _ = x.partial_cmp(&y);
        for s in [RoundingStrategy::MidpointNearestEven, RoundingStrategy::AwayFromZero, RoundingStrategy::ToZero] {
            let _ = x.round(s);
            if let Ok(r) = x.round(s) {
                let _ = r.allocate(&[b.abs(), Decimal::ONE]);
                let _ = r.allocate_integer(&[u64::MAX, 1, 0]);
            }
        }
        let _ = x.allocate(&[a, b]);
        let _ = Money::checked_sum([x, y], ca);
        let _ = Change::between(a, b);
        let _ = Multiple::from_quotient(a, b, "q", "d");
        let _ = Ratio::new(a).map(|r| r.to_string());
        let _ = Change::new(a).map(|c| c.to_string());
    }

    #[test]
    fn overflow_is_an_error(c in any_currency()) {
        let max = Money::new(Decimal::MAX, c);
        let overflowed = matches!(max.checked_add(max), Err(Error::Overflow { .. }));
        prop_assert!(overflowed);
        let overflowed = matches!(max.checked_mul(dec!(2)), Err(Error::Overflow { .. }));
        prop_assert!(overflowed);
    }

    #[test]
    fn rounding_lands_on_grid(a in any_decimal(), c in prop_oneof![Just(Currency::USD), Just(Currency::JPY), Just(Currency::KWD)]) {
        let r = Money::new(a, c).round(RoundingStrategy::MidpointNearestEven).unwrap();
        prop_assert!(r.is_on_minor_unit_grid() || r.to_minor_units().is_err());
        // Within half a minor unit (not half a whole unit).
        let half = Decimal::new(5, c.exponent().unwrap() + 1);
        prop_assert!((r.amount() - a).abs() <= half || a.abs() > dec!(1e25), "{} -> {}", a, r.amount());
    }

    #[test]
    fn serde_round_trips(a in any_decimal(), c in any_currency(), whole in 1u64.., part_frac in 0u64..=1000, d0 in 0i32..20000, len in 1i64..2000) {
        let money = Money::new(a, c);
        let back: Money = serde_json::from_str(&serde_json::to_string(&money).unwrap()).unwrap();
        prop_assert_eq!(back, money);
        // Written with at least the minor unit's decimals; nothing cut.
        let minor = c.exponent().unwrap_or(0);
        prop_assert!(back.amount().scale() >= a.scale());
        if a.mantissa().abs() < 10i128.pow(20) {
            prop_assert_eq!(back.amount().scale(), a.scale().max(minor));
        }

        let ratio = Ratio::from_counts(whole / 1000 * part_frac, whole).unwrap();
        let back: Ratio = serde_json::from_str(&serde_json::to_string(&ratio).unwrap()).unwrap();
        prop_assert_eq!(back, ratio);

        if let Ok(m) = Multiple::new(a.abs()) {
            let back: Multiple = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            prop_assert_eq!(back, m);
        }
        let ch = Change::new(a).unwrap();
        let back: Change = serde_json::from_str(&serde_json::to_string(&ch).unwrap()).unwrap();
        prop_assert_eq!(back, ch);

        let start = NaiveDate::from_num_days_from_ce_opt(730_000 + d0).unwrap();
        let p = Period::new(start, start + chrono::TimeDelta::days(len)).unwrap();
        let back: Period = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        prop_assert_eq!(back, p);

        let nps = Nps::from_counts(part_frac, whole % 1000, 7).unwrap();
        let back: Nps = serde_json::from_str(&serde_json::to_string(&nps).unwrap()).unwrap();
        prop_assert_eq!(back, nps);

        let back: Currency = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        prop_assert_eq!(back, c);
    }

    /// Merging distributions equals building one over the whole input.
    #[test]
    fn distribution_merge_law(values in prop::collection::vec(-1_000_000i64..1_000_000, 0..200), split in 0usize..200) {
        let split = split.min(values.len());
        let whole: Distribution = Distribution::try_from_values(values.iter().copied()).unwrap();
        let mut a: Distribution = Distribution::try_from_values(values[..split].iter().copied()).unwrap();
        let b: Distribution = Distribution::try_from_values(values[split..].iter().copied()).unwrap();
        a.merge(&b).unwrap();
        prop_assert_eq!(&a, &whole);
        prop_assert_eq!(a.median(), whole.median());
        let back: Distribution = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(back, whole);
    }

    /// The quantile rule against a direct computation on a sorted vector.
    #[test]
    fn quantile_matches_reference(mut values in prop::collection::vec(-1000i64..1000, 1..100), p in 0u32..=100) {
        let d: Distribution = Distribution::try_from_values(values.iter().copied()).unwrap();
        values.sort_unstable();
        let p = Decimal::new(i64::from(p), 2);
        let h = Decimal::from(values.len() - 1) * p;
        let lo = h.floor();
        let i = usize::try_from(lo.mantissa() / 10i128.pow(lo.scale())).unwrap();
        let expected = if i + 1 < values.len() {
            Decimal::from(values[i]) + (h - lo) * Decimal::from(values[i + 1] - values[i])
        } else {
            Decimal::from(values[i])
        };
        prop_assert_eq!(d.quantile(Ratio::new(p).unwrap()).unwrap(), expected.normalize());
        let mean = Decimal::from(values.iter().sum::<i64>()) / Decimal::from(values.len());
        prop_assert_eq!(d.mean().unwrap(), mean.normalize());
    }

    #[test]
    fn elapsed_fraction_is_clamped_and_monotonic(len in 1i64..400, a in -500i64..900, b in -500i64..900) {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let p = Period::new(start, start + chrono::TimeDelta::days(len)).unwrap();
        let (a, b) = (a.min(b), a.max(b));
        let fa = p.elapsed_fraction(start + chrono::TimeDelta::days(a));
        let fb = p.elapsed_fraction(start + chrono::TimeDelta::days(b));
        prop_assert!(fa <= fb);
        prop_assert!(fb <= Ratio::ONE);
    }
}

#[test]
fn out_of_range_json_is_rejected_with_a_clear_message() {
    let err = serde_json::from_str::<Ratio>("\"1.5\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ratio: 1.5 is outside the allowed range [0, 1]"),
        "{err}"
    );
    let err = serde_json::from_str::<Multiple>("\"-2\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("multiple: -2 is outside"), "{err}");
    let err = serde_json::from_str::<Nps>("\"300\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("NPS: 300 is outside"), "{err}");
    let err = serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XYZ"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown currency code \"XYZ\""), "{err}");
    let err =
        serde_json::from_str::<Period>(r#"{"start":"2026-02-01","end":"2026-01-01"}"#).unwrap_err();
    assert!(err.to_string().contains("must be after start"), "{err}");
    assert!(serde_json::from_str::<Money>(r#"{"amount":"abc","currency":"USD"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"USD","x":1}"#).is_err());
}

#[test]
fn json_forms_are_as_documented() {
    let m = Money::new(dec!(12.34), Currency::USD);
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"amount":"12.34","currency":"USD"}"#
    );
    // A JSON integer is accepted on input; a JSON float is refused (it may
    // already have lost digits), and so is a numeral too fine to hold.
    let back: Money = serde_json::from_str(r#"{"amount":"12.34","currency":"usd"}"#).unwrap();
    assert_eq!(back, m);
    let whole: Money = serde_json::from_str(r#"{"amount":12,"currency":"USD"}"#).unwrap();
    assert_eq!(whole, Money::new(dec!(12), Currency::USD));
    assert!(serde_json::from_str::<Money>(r#"{"amount":12.34,"currency":"USD"}"#).is_err());
    assert_eq!(
        serde_json::to_string(&Ratio::from_counts(1, 8).unwrap()).unwrap(),
        "\"0.125\""
    );
}

#[test]
fn the_message_reads_like_a_sentence() {
    let err =
        Ratio::from_counts_named(12, 10, "conversion rate", "conversions", "visitors").unwrap_err();
    assert_eq!(
        err.to_string(),
        "conversion rate: 12 conversions out of 10 visitors is more than 100%"
    );
}

#[test]
fn currencies_cover_every_exponent() {
    for (code, exp) in [
        ("JPY", Some(0)),
        ("KRW", Some(0)),
        ("USD", Some(2)),
        ("EUR", Some(2)),
        ("SAR", Some(2)),
        ("AED", Some(2)),
        ("EGP", Some(2)),
        ("KWD", Some(3)),
        ("BHD", Some(3)),
        ("OMR", Some(3)),
        ("JOD", Some(3)),
        ("XAU", None),
        ("XDR", None),
    ] {
        let c: Currency = code.to_lowercase().parse().unwrap();
        assert_eq!(c.code(), code);
        assert_eq!(c.exponent(), exp, "{code}");
    }
    for bad in ["", "US", "USDX", "ÜSD", "ZZZ"] {
        assert!(matches!(
            Currency::from_code(bad),
            Err(Error::UnknownCurrency { .. })
        ));
    }
}

#[test]
fn no_minor_unit_is_refused_for_round_and_allocate() {
    let gold = Money::new(dec!(2.5), Currency::XAU);
    assert!(matches!(
        gold.round(RoundingStrategy::MidpointNearestEven),
        Err(Error::NoMinorUnit { .. })
    ));
    assert!(matches!(
        gold.allocate(&[dec!(1), dec!(1)]),
        Err(Error::NoMinorUnit { .. })
    ));
    // Addition still works: the amount itself is fine.
    assert_eq!(gold.checked_add(gold).unwrap().amount(), dec!(5));
}

#[test]
fn allocation_hand_worked() {
    // 10.00 over weights 1,1,1 (hand): running shares 333.3, 666.7, 1000
    // cents round to 333, 667, 1000, so the parts are 333, 334, 333.
    let parts = Money::new(dec!(10), Currency::USD)
        .allocate_integer(&[1, 1, 1])
        .unwrap();
    let a: Vec<_> = parts.iter().map(|m| m.amount()).collect();
    assert_eq!(a, [dec!(3.33), dec!(3.34), dec!(3.33)]);
    // 1.00 over 0.3, 0.7: 30 and 70, nothing to round.
    let parts = Money::new(dec!(1), Currency::USD)
        .allocate(&[dec!(0.3), dec!(0.7)])
        .unwrap();
    assert_eq!(parts[0].amount(), dec!(0.30));
    // 0.04 over 1,2,2: running shares 0.8, 2.4, 4 cents round to 1, 2, 4,
    // so the parts are 1, 1, 2 cents.
    let parts = Money::new(dec!(0.04), Currency::USD)
        .allocate_integer(&[1, 2, 2])
        .unwrap();
    let a: Vec<_> = parts.iter().map(|m| m.amount()).collect();
    assert_eq!(a, [dec!(0.01), dec!(0.01), dec!(0.02)]);
    // 999.99 over 40/20/40: running shares 39999.6, 59999.4, 99999 cents
    // round to 40000, 59999, 99999: 400.00, 199.99, 400.00 (symmetric).
    let parts = Money::new(dec!(999.99), Currency::USD)
        .allocate(&[dec!(0.4), dec!(0.2), dec!(0.4)])
        .unwrap();
    let a: Vec<_> = parts.iter().map(|m| m.amount()).collect();
    assert_eq!(a, [dec!(400.00), dec!(199.99), dec!(400.00)]);
    // A half goes to the even neighbour: 0.01 over 1,1 -> running 0.5 -> 0,
    // then 1: [0, 1]; 0.03 over 1,1 -> running 1.5 -> 2: [2, 1].
    let parts = Money::new(dec!(0.01), Currency::USD)
        .allocate_integer(&[1, 1])
        .unwrap();
    assert_eq!(parts[0].amount(), dec!(0.00));
    assert_eq!(parts[1].amount(), dec!(0.01));
    let parts = Money::new(dec!(0.03), Currency::USD)
        .allocate_integer(&[1, 1])
        .unwrap();
    assert_eq!(parts[0].amount(), dec!(0.02));
    assert_eq!(parts[1].amount(), dec!(0.01));
    // Off-grid amounts are refused, not rounded silently.
    assert!(matches!(
        Money::new(dec!(0.001), Currency::USD).allocate_integer(&[1]),
        Err(Error::OffMinorUnitGrid { .. })
    ));
    // Decimal::MAX dollars cannot be expressed in cents inside a Decimal.
    assert!(Money::new(Decimal::MAX, Currency::USD)
        .allocate_integer(&[1, 1])
        .is_err());
    assert!(Money::new(Decimal::MAX, Currency::JPY)
        .allocate_integer(&[1, 1])
        .is_ok());
}

#[test]
fn displays() {
    assert_eq!(
        Money::new(dec!(12.5), Currency::USD).to_string(),
        "12.50 USD"
    );
    assert_eq!(
        Money::new(dec!(12.505), Currency::USD).to_string(),
        "12.505 USD"
    );
    assert_eq!(Money::new(dec!(3), Currency::JOD).to_string(), "3.000 JOD");
    assert_eq!(Ratio::from_counts(1, 3).unwrap().to_string(), "33.33%");
    assert_eq!(
        format!("{:.4}", Ratio::from_counts(1, 3).unwrap()),
        "33.3333%"
    );
    assert_eq!(Multiple::new(dec!(1.15)).unwrap().to_string(), "1.15x");
    assert_eq!(Change::new(dec!(-0.25)).unwrap().to_string(), "-25%");
    assert_eq!(Nps::from_counts(1, 2, 0).unwrap().to_string(), "33.3");
    let p = Period::month_of(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    assert_eq!(p.to_string(), "[2026-11-01, 2026-12-01)");
}

#[test]
fn nps_is_not_rounded() {
    let nps = Nps::from_counts(1, 2, 0).unwrap();
    assert_eq!(nps.value(), dec!(100) / dec!(3));
}

#[test]
fn types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Money>();
    check::<Ratio>();
    check::<Multiple>();
    check::<Change>();
    check::<Period>();
    check::<Nps>();
    check::<Distribution>();
    check::<Error>();
}

/// No position is favoured: over every total from 0 to 9,999 minor units,
/// equal weights give each position the same credit within a unit or two.
#[test]
fn split_is_unbiased_across_positions() {
    for n in 2..6usize {
        let weights = vec![1u64; n];
        let mut out = vec![0i128; n];
        let mut totals = vec![0i128; n];
        for t in 0..10_000i128 {
            split_integer(t, &weights, &mut out).unwrap();
            for (acc, p) in totals.iter_mut().zip(&out) {
                *acc += p;
            }
        }
        let (lo, hi) = (totals.iter().min().unwrap(), totals.iter().max().unwrap());
        assert!(hi - lo <= 2, "n={n}: {totals:?}");
    }
}

/// The rule, computed independently in i128: part i is
/// round_half_even(T * R_i / W) - round_half_even(T * R_(i-1) / W).
fn reference_split(total: i128, weights: &[u64]) -> Vec<i128> {
    let w: i128 = weights.iter().map(|&x| i128::from(x)).sum();
    let round = |num: i128| -> i128 {
        let (q, r) = (num.div_euclid(w), num.rem_euclid(w));
        if 2 * r > w || (2 * r == w && q % 2 != 0) {
            q + 1
        } else {
            q
        }
    };
    let t = total.abs();
    let mut running = 0i128;
    let mut prev = 0i128;
    let mut out = Vec::new();
    for &x in weights {
        running += i128::from(x);
        let r = round(t * running);
        out.push(if total < 0 { -(r - prev) } else { r - prev });
        prev = r;
    }
    out
}

proptest! {
    /// Both the fast (floating-point reciprocal) and the exact paths agree
    /// with the rule computed independently.
    #[test]
    fn split_matches_reference(total in -(1i64 << 40)..(1i64 << 40), small in any::<bool>(), weights in prop::collection::vec(0u64..1_000_000, 1..40)) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let total = if small { total >> 20 } else { total };
        let mut out = vec![0i128; weights.len()];
        split_integer(i128::from(total), &weights, &mut out).unwrap();
        prop_assert_eq!(out, reference_split(i128::from(total), &weights));
    }
}

// Generators aimed at boundaries (hardening 3).
proptest! {
    /// Exact halves with totals of 2^40 and more: the cumulative rule
    /// rounds each running share half to even, so two equal weights split
    /// an odd total with the extra unit on the even running share.
    #[test]
    fn split_exact_halves_large_totals(k in 0i128..(1 << 20), shift in 40u32..100, n in 2usize..6) {
        let total = ((k << shift) | 1) * if k % 2 == 0 { 1 } else { -1 };
        let weights = vec![1u64; 2 * n];
        let mut out = vec![0i128; 2 * n];
        split_integer(total, &weights, &mut out).unwrap();
        prop_assert_eq!(out.iter().sum::<i128>(), total);
        // Reference: part i = round_half_even(T(i+1)/W) − round_half_even(T·i/W).
        let w = 2 * n as i128;
        let rhe = |num: i128| -> i128 {
            let (q, r) = (num.div_euclid(w), num.rem_euclid(w));
            if 2 * r > w || (2 * r == w && q % 2 != 0) { q + 1 } else { q }
        };
        let sign = total.signum();
        let t = total.abs();
        for (i, part) in out.iter().enumerate() {
            let expect = rhe(t * (i as i128 + 1)) - rhe(t * i as i128);
            prop_assert_eq!(*part, sign * expect, "part {}", i);
        }
    }

    /// `part == whole` is 1 and `whole == 0` is an error, for every count.
    #[test]
    fn ratio_boundaries(whole in 0u64..u64::MAX) {
        if whole == 0 {
            prop_assert!(Ratio::from_counts(0, 0).is_err());
        } else {
            prop_assert_eq!(Ratio::from_counts(whole, whole).unwrap(), Ratio::ONE);
            prop_assert_eq!(Ratio::from_counts(0, whole).unwrap(), Ratio::ZERO);
            prop_assert!(Ratio::from_counts(whole, whole - 1).is_err() || whole == 1 && Ratio::from_counts(1, 0).is_err());
        }
    }

    /// Every two-operand Money operation refuses two currencies.
    #[test]
    fn two_currencies_never_combine(a in any_decimal(), b in any_decimal()) {
        let x = Money::new(a, Currency::USD);
        let y = Money::new(b, Currency::EUR);
        let mismatch = |r: Result<Money, Error>| matches!(r, Err(Error::CurrencyMismatch { .. }));
        prop_assert!(mismatch(x.checked_add(y)));
        prop_assert!(mismatch(x.checked_sub(y)));
        prop_assert!(mismatch(y.checked_sub(x)));
        prop_assert!(mismatch(Money::checked_sum([x, y], Currency::USD)));
        prop_assert!(mismatch(Money::checked_sum([x], Currency::EUR)));
        prop_assert!(x.partial_cmp(&y).is_none());
    }
}

/// Survivors of the first mutation run on `money.rs`, each now caught.
#[test]
fn minor_units_negation_and_the_grid() {
    // Trailing zeros past the minor unit are exact, not off the grid.
    assert_eq!(
        Money::new(dec!(12.300), Currency::USD)
            .to_minor_units()
            .unwrap(),
        1230
    );
    assert_eq!(
        Money::new(dec!(-12.3000), Currency::USD)
            .to_minor_units()
            .unwrap(),
        -1230
    );
    assert_eq!(
        Money::new(dec!(7.0), Currency::JPY)
            .to_minor_units()
            .unwrap(),
        7
    );
    assert_eq!(
        Money::new(dec!(1.2340), Currency::BHD)
            .to_minor_units()
            .unwrap(),
        1234
    );
    assert!(Money::new(dec!(12.305), Currency::USD)
        .to_minor_units()
        .is_err());
    assert!(Money::new(dec!(12.30), Currency::USD).is_on_minor_unit_grid());
    assert!(Money::new(dec!(12.300), Currency::USD).is_on_minor_unit_grid());
    assert!(!Money::new(dec!(0.001), Currency::USD).is_on_minor_unit_grid());
    assert!(!Money::new(dec!(0.5), Currency::JPY).is_on_minor_unit_grid());
    let m = Money::new(dec!(12.34), Currency::EUR);
    assert_eq!(m.negated(), Money::new(dec!(-12.34), Currency::EUR));
    assert_eq!(m.negated().negated(), m);
}

#[test]
fn money_display_pads_to_the_minor_unit_and_never_rounds() {
    assert_eq!(Money::new(dec!(5), Currency::JPY).to_string(), "5 JPY");
    assert_eq!(Money::new(dec!(5), Currency::USD).to_string(), "5.00 USD");
    assert_eq!(Money::new(dec!(5.5), Currency::USD).to_string(), "5.50 USD");
    assert_eq!(
        Money::new(dec!(5.25), Currency::USD).to_string(),
        "5.25 USD"
    );
    assert_eq!(
        Money::new(dec!(5.125), Currency::USD).to_string(),
        "5.125 USD"
    );
    assert_eq!(
        Money::new(dec!(1.5), Currency::BHD).to_string(),
        "1.500 BHD"
    );
    assert_eq!(
        format!("{:?}", Money::new(dec!(12.3), Currency::EUR)),
        "12.30 EUR"
    );
}

proptest! {
    /// `round_dp` stays in each type's range, for every strategy, and moves
    /// a value by less than one unit of the last place kept.
    #[test]
    fn round_dp_stays_in_range(num in 0u64..1_000_000, den in 1u64..1_000_000, dp in 0u32..6, s in 0usize..7, signed in -1_000_000i64..1_000_000) {
        use revops::RoundingStrategy as R;
        let strategy = [R::MidpointNearestEven, R::MidpointAwayFromZero, R::MidpointTowardZero, R::ToZero, R::AwayFromZero, R::ToNegativeInfinity, R::ToPositiveInfinity][s];
        let unit = Decimal::new(1, dp);
        let r = Ratio::from_counts(num.min(den), den).unwrap();
        let rr = r.round_dp(dp, strategy);
        prop_assert!(Ratio::new(rr.value()).is_ok());
        prop_assert!((rr.value() - r.value()).abs() < unit);
        let m = Multiple::new(Decimal::new(num as i64, 3)).unwrap();
        let mr = m.round_dp(dp, strategy);
        prop_assert!(Multiple::new(mr.value()).is_ok());
        prop_assert!((mr.value() - m.value()).abs() < unit);
        let c = Change::new(Decimal::new(signed, 4)).unwrap();
        prop_assert!((c.round_dp(dp, strategy).value() - c.value()).abs() < unit);
        let n = Nps::new(Decimal::new(signed / 10, 3)).unwrap();
        let nr = n.round_dp(dp, strategy);
        prop_assert!(Nps::new(nr.value()).is_ok());
        prop_assert!((nr.value() - n.value()).abs() < unit);
    }
}

/// The small accessors, held by tests rather than by doctests alone (the
/// mutation runs leave doctests out): a currency's name and debug form,
/// the rates a table holds, and a period's open end.
#[test]
fn accessors_and_boundaries() {
    assert_eq!(Currency::JPY.name(), "Japanese yen");
    assert_eq!(Currency::EUR.name(), "Euro");
    assert_eq!(format!("{:?}", Currency::USD), "USD");
    assert_eq!(format!("{:?}", Some(Currency::CHF)), "Some(CHF)");

    let mut fx = revops::quantity::FxRates::new(Currency::USD);
    assert_eq!(fx.rates().count(), 0);
    fx.set(Currency::EUR, dec!(1.08)).unwrap();
    fx.set(Currency::GBP, dec!(1.27)).unwrap();
    let rates: Vec<(Currency, Decimal)> = fx.rates().collect();
    assert_eq!(rates.len(), 2);
    assert!(rates.contains(&(Currency::EUR, dec!(1.08))));
    assert!(rates.contains(&(Currency::GBP, dec!(1.27))));

    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let june = Period::month_of(d(6, 1));
    assert!(june.contains(d(6, 1)));
    assert!(june.contains(d(6, 30)));
    assert!(!june.contains(d(7, 1)), "the end is open");
    assert!(!june.contains(d(5, 31)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    /// The fast path near its limit (products just below 2^52, quotients
    /// near 2^48): the floating-point estimate is off by one either way
    /// often enough here that both corrections run, and the result still
    /// equals the rule computed independently.
    #[test]
    fn split_fast_path_near_its_limit(t in (1i64 << 48)..(1i64 << 49), weights in prop::collection::vec(1u64..6, 1..4), negative in any::<bool>()) {
        let total = i128::from(if negative { -t } else { t });
        let mut out = vec![0i128; weights.len()];
        split_integer(total, &weights, &mut out).unwrap();
        prop_assert_eq!(out, reference_split(total, &weights));
    }
}

/// `Distribution`'s accessors, `Ratio::complement` and `and_then`,
/// `Change::is_negative` at zero, and the debug forms (held by doctests
/// alone before; the mutation runs leave doctests out).
#[test]
fn distribution_ratio_and_change_accessors() {
    let d = Distribution::try_from_values([5i64, -3, 5, 9]).unwrap();
    assert_eq!(d.min(), Some(-3));
    assert_eq!(d.max(), Some(9));
    assert_eq!(d.iter().collect::<Vec<_>>(), vec![(-3, 1), (5, 2), (9, 1)]);
    let empty = Distribution::default();
    assert_eq!(
        (empty.min(), empty.max(), empty.iter().count()),
        (None, None, 0)
    );

    let r = Ratio::from_counts(1, 4).unwrap();
    assert_eq!(r.complement().value(), dec!(0.75));
    assert_eq!(
        r.times(Ratio::from_counts(1, 2).unwrap()).value(),
        dec!(0.125)
    );
    assert_eq!(
        format!("{:?}", Multiple::new(dec!(2.5)).unwrap()),
        "Multiple(2.5)"
    );

    assert!(!Change::new(dec!(0)).unwrap().is_negative());
    assert!(Change::new(dec!(-0.1)).unwrap().is_negative());
    assert!(!Change::new(dec!(0.1)).unwrap().is_negative());
}

/// Ticks with more decimals than seconds can keep: rounded half to even to
/// the places left (28 − the unit's decimals), then the point moved; the
/// value stays within half a unit of the 28th place of the exact quotient.
#[test]
fn tick_seconds_round_past_28_places() {
    use revops::quantity::TimeUnit;
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    // 1.0000000000000000000000005 ns: 10^-9 s and 5 × 10^-34 s, which 28
    // places cannot hold.
    let got = TimeUnit::Nanosecond.seconds(d("1.0000000000000000000000005"));
    assert_eq!(got, d("0.0000000010000000000000000000"));
    // Written with the ticks' own decimals (25), not the zeros the unit
    // adds.
    assert_eq!(got.scale(), 25);
    // A tie at the 19th place of the ticks goes to even.
    let tie = TimeUnit::Nanosecond.seconds(d("2.00000000000000000015"));
    assert_eq!(tie, d("0.0000000020000000000000000002"));
    // Milliseconds keep 25 places of ticks.
    let ms = TimeUnit::Millisecond.seconds(d("0.12345678901234567890123456"));
    assert_eq!(ms, d("0.0001234567890123456789012346"));
    // Within the 28 places nothing is rounded.
    assert_eq!(TimeUnit::Microsecond.seconds(d("1.5")), d("0.0000015"));
    // Whole ticks that make whole seconds are written as whole seconds,
    // whatever the unit: 265,000 ms is `265`, as 265 s is.
    for unit in TimeUnit::ALL {
        let ticks = Decimal::from(265 * unit.per_second());
        assert_eq!(unit.seconds(ticks).to_string(), "265", "{unit}");
        let half = Decimal::from(265 * unit.per_second()) + d("0.50");
        assert_eq!(
            unit.seconds(half) * Decimal::from(unit.per_second()),
            half,
            "{unit}"
        );
    }
}

proptest! {
    /// A duration written with units reads back as the sum of its parts,
    /// and so does the same number of seconds written bare.
    #[test]
    fn durations_read_back(w in 0i64..100, d in 0i64..100, h in 0i64..100, m in 0i64..100, s in 0i64..100, ms in 0i64..1000) {
        use revops::quantity::parse_duration;
        use revops::TimeDelta;
        let want = TimeDelta::weeks(w) + TimeDelta::days(d) + TimeDelta::hours(h)
            + TimeDelta::minutes(m) + TimeDelta::seconds(s) + TimeDelta::milliseconds(ms);
        let text = format!("{w}w{d}d{h}h{m}m{s}s{ms}ms");
        prop_assert_eq!(parse_duration(&text).unwrap(), want);
        let seconds = format!("{}.{:03}", want.num_seconds(), want.subsec_nanos() / 1_000_000);
        prop_assert_eq!(parse_duration(&seconds).unwrap(), want);
    }

    /// An instant reads back from every form an export writes it in.
    #[test]
    fn instants_read_back(ms in -2_000_000_000_000i64..4_000_000_000_000, offset_minutes in -720i32..=840) {
        use revops::quantity::{parse_instant, TimeUnit};
        use revops::{TimeZone, Utc};
        let at = Utc.timestamp_millis_opt(ms).unwrap();
        let zone = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
        let forms = [
            at.to_rfc3339(),
            at.with_timezone(&zone).to_rfc3339(),
            at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
            ms.to_string(),
        ];
        for text in &forms {
            prop_assert_eq!(parse_instant(text, TimeUnit::Millisecond).unwrap(), at, "{}", text);
        }
    }
}
