//! Lifetime value under hostile input (hardening 4): bounded fits, exact
//! tails, a number or a reason for every customer. Each case is a class:
//! the test draws its members, not just the one that was reported.

use proptest::prelude::*;
use revops::clv::*;
use revops::Error;

fn histories(rows: &[(u64, f64, f64)]) -> Vec<History> {
    rows.iter()
        .map(|&(x, tx, t)| History::new(x, tx, t).unwrap())
        .collect()
}

/// A fit either gives finite parameters and standard errors or fails
/// with a reason: never a hang, never NaN.
fn fits_or_fails(hs: &[History]) {
    let o = FitOptions::default();
    let check = |name: &str, r: Result<Vec<f64>, Error>| match r {
        Ok(p) => assert!(p.iter().all(|v| v.is_finite() && *v > 0.0), "{name}: {p:?}"),
        Err(Error::NotConverged { .. } | Error::InvalidInput { .. }) => {}
        Err(e) => panic!("{name}: unexpected error {e}"),
    };
    check(
        "Pareto/NBD",
        ParetoNbd::fit(hs, &o).map(|f| [f.params.params(), f.standard_errors.params()].concat()),
    );
    check(
        "BG/NBD",
        BgNbd::fit(hs, &o).map(|f| [f.params.params(), f.standard_errors.params()].concat()),
    );
    check(
        "MBG/NBD",
        MbgNbd::fit(hs, &o).map(|f| [f.params.params(), f.standard_errors.params()].concat()),
    );
}

/// The 4-row file that ran 1,005 s: now a quick answer with its reason.
#[test]
fn pareto_nbd_four_row_file_answers_at_once() {
    let hs = histories(&[
        (0, 0.0, 3.1),
        (1, 0.1, 11.4),
        (1, 11.9, 30.9),
        (0, 0.0, 4.6),
    ]);
    match ParetoNbd::fit(&hs, &FitOptions::default()) {
        Err(Error::NotConverged { operation, .. }) => {
            assert!(operation.starts_with("Pareto/NBD fit: "), "{operation}");
            assert!(operation.len() > "Pareto/NBD fit: ".len(), "a reason");
        }
        other => panic!("{other:?}"),
    }
}

/// Every customer with t_x = T (184 s before), and every customer
/// without a repeat purchase.
#[test]
fn degenerate_files_answer_at_once() {
    fits_or_fails(&histories(&[
        (1, 5.0, 5.0),
        (2, 7.0, 7.0),
        (3, 9.0, 9.0),
        (1, 2.0, 2.0),
        (4, 11.0, 11.0),
    ]));
    fits_or_fails(&histories(&[(0, 0.0, 5.0); 12]));
}

/// Three customers cannot determine four parameters: "too few
/// customers", not a failed search; Gamma-Gamma's three need three.
#[test]
fn too_few_customers_is_said_so() {
    let hs = histories(&[(1, 5.0, 9.0), (2, 7.0, 8.0), (0, 0.0, 9.0)]);
    for e in [
        BgNbd::fit(&hs, &FitOptions::default()).unwrap_err(),
        MbgNbd::fit(&hs, &FitOptions::default()).unwrap_err(),
        ParetoNbd::fit(&hs, &FitOptions::default()).unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
        assert!(e.to_string().contains("too few customers: 3"), "{e}");
    }
    let two = [Spend::new(1, 5.0).unwrap(), Spend::new(2, 7.0).unwrap()];
    let e = GammaGamma::fit(&two, &FitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("too few customers: 2"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random small and degenerate files (1 to 20 customers; all x = 0;
    /// every t_x = T; mixed) each fit or fail, in bounded work.
    #[test]
    fn small_files_fit_or_fail(
        rows in prop::collection::vec((0u64..6, 0.0f64..=1.0, 1u32..400), 1..=20),
        kind in 0u8..3,
    ) {
        let hs: Vec<History> = rows
            .iter()
            .map(|&(x, frac, t10)| {
                let t = f64::from(t10) / 10.0;
                let x = if kind == 1 { 0 } else { x };
                let tx = if x == 0 { 0.0 } else if kind == 2 { t } else { (frac * t).min(t) };
                History::new(x, tx, t).unwrap()
            })
            .collect();
        fits_or_fails(&hs);
    }
}

/// P(X(t) = n) of BG/NBD and MBG/NBD against the values
/// `tests/reference/clv_probabilities.py` computed at 50 digits: within
/// 1e-10 relative wherever the value is a normal `f64`, and 0 (never
/// negative) below that; each in bounded work however large n is.
#[test]
fn purchase_probabilities_equal_the_high_precision_reference() {
    let text = include_str!("reference/clv_probabilities.csv");
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let p: Vec<f64> = f[1..6].iter().map(|v| v.parse().unwrap()).collect();
        let n: u64 = f[6].parse().unwrap();
        let want: f64 = f[7].parse().unwrap();
        let got = match f[0] {
            "bgnbd" => BgNbd::new(p[0], p[1], p[2], p[3])
                .unwrap()
                .probability_of_purchases(p[4], n),
            _ => MbgNbd::new(p[0], p[1], p[2], p[3])
                .unwrap()
                .probability_of_purchases(p[4], n),
        }
        .unwrap();
        assert!(got >= 0.0, "{line}: {got}");
        if want >= f64::MIN_POSITIVE {
            assert!(
                (got - want).abs() <= 1e-10 * want,
                "{line}: {got:e} vs {want:e}"
            );
        } else {
            assert!(got < 1e-290, "{line}: {got:e}");
        }
        checked += 1;
    }
    assert!(checked > 50, "{checked}");
}

/// The BG/NBD tail that 1 − Σ made negative, over a grid of small t and
/// n: never negative, and falling with n.
#[test]
fn purchase_probabilities_are_never_negative() {
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let mbg = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
    for t in [1e-6, 1e-3, 0.1, 1.0] {
        let mut last = (f64::INFINITY, f64::INFINITY);
        for n in 2..40 {
            let p = (
                bg.probability_of_purchases(t, n).unwrap(),
                mbg.probability_of_purchases(t, n).unwrap(),
            );
            assert!(p.0 >= 0.0 && p.1 >= 0.0, "t {t} n {n}: {p:?}");
            assert!(p.0 <= last.0 && p.1 <= last.1, "t {t} n {n}");
            last = p;
        }
    }
    // Huge n answers (0 or a tiny positive number), at once.
    for n in [100_000_000u64, u64::MAX] {
        assert!(bg.probability_of_purchases(39.0, n).unwrap() >= 0.0);
        assert!(mbg.probability_of_purchases(39.0, n).unwrap() >= 0.0);
    }
}

/// A heavy buyer (x = 2,000 with t_x = T) gets a finite expectation, as
/// x = 1,000 does, and a = 1 gives the formula's limit, continuously.
#[test]
fn heavy_buyers_and_a_at_one_get_numbers() {
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let mbg = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
    for x in [1_000u64, 2_000, 100_000] {
        let h = History::new(x, 38.86, 38.86).unwrap();
        let e = bg.conditional_expected_purchases(&h, 39.0).unwrap();
        // About x/T purchases a week while alive, for 39 weeks.
        assert!(e.is_finite() && e > 0.5 * x as f64, "{x}: {e}");
        let e = mbg.conditional_expected_purchases(&h, 39.0).unwrap();
        assert!(e.is_finite() && e > 0.5 * x as f64, "{x}: {e}");
    }
    let h = History::new(2, 30.43, 38.86).unwrap();
    let at = |a: f64| {
        BgNbd::new(0.243, 4.414, a, 2.426)
            .unwrap()
            .conditional_expected_purchases(&h, 39.0)
            .unwrap()
    };
    let one = at(1.0);
    assert!(
        (at(1.0 + 1e-12) - one).abs() < 1e-9 * one,
        "{} vs {one}",
        at(1.0 + 1e-12)
    );
    assert!(((at(1.0 + 1e-3) + at(1.0 - 1e-3)) / 2.0 - one).abs() < 1e-5 * one);
    let m = MbgNbd::new(0.525, 6.183, 1.0, 1.614).unwrap();
    assert!(m.expected_purchases(39.0).unwrap() > 0.0);
}

/// Huge times give finite values or an error that names the input, never
/// NaN.
#[test]
fn huge_times_never_give_nan() {
    let p = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let h = History::new(3, 1e308, 1.7e308).unwrap();
    if let Ok(v) = p.conditional_expected_purchases(&h, 39.0) {
        assert!(v.is_finite(), "{v}");
    }
    if let Ok(v) = p.probability_alive(&h) {
        assert!(v.is_finite(), "{v}");
    }
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    for t in [1e300, f64::MAX] {
        if let Ok(v) = bg.conditional_expected_purchases(&h, t) {
            assert!(v.is_finite(), "{v}");
        }
        assert!(bg.probability_of_purchases(t, 3).unwrap().is_finite());
    }
    // A fit on times near f64's largest: no internal parameter message.
    let hs = histories(&[
        (1, 1e307, 1.7e308),
        (2, 5e307, 1.7e308),
        (0, 0.0, 1.6e308),
        (3, 1.7e308, 1.7e308),
        (1, 2e306, 1.2e308),
    ]);
    if let Err(e) = MbgNbd::fit(&hs, &FitOptions::default()) {
        assert!(!e.to_string().contains("must be finite"), "{e}");
    }
}

/// A horizon beyond 1e299 times α still answers: the expected purchases
/// reach their limit, E[1/p] = (a + b − 1)/(a − 1) purchases before the
/// customer drops out (MBG/NBD: b/(a − 1), the drop-out chance also
/// before the first purchase).
#[test]
fn expected_purchases_reach_their_limit_at_any_horizon() {
    let bg = BgNbd::new(0.243, 4.414, 2.5, 5.0).unwrap();
    let mbg = MbgNbd::new(0.243, 4.414, 2.5, 5.0).unwrap();
    for t in [1e250, 1e300, f64::MAX] {
        let got = bg.expected_purchases(t).unwrap();
        assert!((got - 6.5 / 1.5).abs() < 1e-12, "BG/NBD {t}: {got}");
        let got = mbg.expected_purchases(t).unwrap();
        assert!((got - 5.0 / 1.5).abs() < 1e-12, "MBG/NBD {t}: {got}");
    }
}

/// Heavy buyers (5,000 and 50,000 purchases) and drop-out Betas in the
/// thousands (a fit that found the drop-out chance nearly the same for
/// everyone) at horizons far beyond the customers' ages: finite values
/// that grow with the horizon toward the limit `C/(a−1) · P(alive)`
/// (these were `NotConverged`: the quadrature that takes over from the
/// series refused Betas narrower than about 1/3000 in logit).
#[test]
fn heavy_buyers_and_narrow_dropout_at_long_horizons() {
    for (a, b, x) in [
        (2.5, 2.426, 5000),
        (2.5, 2.426, 50_000),
        (2000.0, 3000.0, 2),
        (2000.0, 3000.0, 5000),
    ] {
        let bg = BgNbd::new(0.243, 4.414, a, b).unwrap();
        // The last purchase at the end of the observation: alive.
        let h = History::new(x, 38.86, 38.86).unwrap();
        let mut last = 0.0;
        for t in [39.0, 1e3, 1e5, 1e7, 1e12, 1e100] {
            let e = bg.conditional_expected_purchases(&h, t).unwrap();
            assert!(
                e.is_finite() && e >= last * (1.0 - 1e-12),
                "{a} {b} {x} {t}: {e} after {last}"
            );
            last = e;
        }
        let limit = (a + b + x as f64 - 1.0) / (a - 1.0) * bg.probability_alive(&h).unwrap();
        assert!(
            (last - limit).abs() < 1e-9 * limit,
            "{a} {b} {x}: {last} vs {limit}"
        );
        let limit = (a + b - 1.0) / (a - 1.0);
        let got = bg.expected_purchases(1e100).unwrap();
        assert!(
            (got - limit).abs() < 1e-9 * limit,
            "{a} {b}: {got} vs {limit}"
        );
    }
}

/// Pareto/NBD at s = 1 exactly, where the expectations' factor
/// [1 − (β/(β+t))^(s−1)]/(s−1) is its limit ln(1 + t/β): continuous with
/// s on either side.
#[test]
fn pareto_nbd_expectations_are_continuous_through_s_equal_to_one() {
    let h = History::new(2, 30.43, 38.86).unwrap();
    let at = |s: f64| {
        let m = ParetoNbd::new(0.553, 10.578, s, 11.669).unwrap();
        [
            m.expected_purchases(39.0).unwrap(),
            m.conditional_expected_purchases(&h, 39.0).unwrap(),
        ]
    };
    let (one, below, above) = (at(1.0), at(1.0 - 1e-7), at(1.0 + 1e-7));
    for i in 0..2 {
        assert!(one[i].is_finite() && one[i] > 0.0, "{one:?}");
        let mid = 0.5 * (below[i] + above[i]);
        assert!(
            (one[i] - mid).abs() < 1e-9 * mid,
            "{i}: {} vs {mid}",
            one[i]
        );
    }
}

/// Gamma-Gamma's conditional spend exists whenever p·x + q > 1, also
/// with a fitted q < 1; the correlation check holds at any scale.
#[test]
fn spend_predictions_where_the_formula_is_finite() {
    let m = GammaGamma::new(6.25, 0.8, 15.44).unwrap();
    let e = m.conditional_expected_average_value(2, 30.0).unwrap();
    let want = 6.25 * (15.44 + 2.0 * 30.0) / (6.25 * 2.0 + 0.8 - 1.0);
    assert!((e - want).abs() < 1e-12 * want);
    let tight = GammaGamma::new(0.05, 0.9, 1.0).unwrap();
    assert!(tight.conditional_expected_average_value(1, 5.0).is_err()); // 0.05 + 0.9 < 1
    assert!(tight.conditional_expected_average_value(3, 5.0).is_ok()); // 0.15 + 0.9 > 1
    for scale in [1e-300, 1.0, 1e300] {
        let s: Vec<Spend> = (1..50u64)
            .map(|x| Spend::new(x, x as f64 * scale).unwrap())
            .collect();
        let r = frequency_value_correlation(&s).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{scale}: {r}");
    }
}

/// A horizon of u32::MAX periods (85 GB before) is refused at once, in
/// code and on deserialization; Pareto/NBD feeds discounted CLV too.
#[test]
fn discounting_horizon_is_bounded() {
    use revops::{dec, Currency, Money, Ratio};
    let h = History::new(2, 30.43, 38.86).unwrap();
    let value = Money::new(dec!(35), Currency::USD);
    let mut d = Discounting {
        periods: u32::MAX,
        units_per_period: 4.33,
        discount_rate: 0.01,
        margin: Ratio::new(dec!(0.3)).unwrap(),
    };
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let e = discounted_clv(&bg, &h, value, &d).unwrap_err();
    assert!(e.to_string().contains("1 to 1200"), "{e}");
    // A discount rate must be finite and above −1, a period a positive,
    // finite length of time.
    let ok = Discounting { periods: 12, ..d };
    let rates = [-1.0, -2.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
    let units = [0.0, -4.33, f64::INFINITY, f64::NAN];
    let bad = rates
        .map(|discount_rate| {
            (
                Discounting {
                    discount_rate,
                    ..ok
                },
                "discount rate",
            )
        })
        .into_iter()
        .chain(units.map(|units_per_period| {
            (
                Discounting {
                    units_per_period,
                    ..ok
                },
                "length of time",
            )
        }));
    for (bad, says) in bad {
        let e = discounted_clv(&bg, &h, value, &bad).unwrap_err();
        assert!(e.to_string().contains(says), "{bad:?}: {e}");
    }
    let json =
        r#"{"periods":4294967295,"units_per_period":4.33,"discount_rate":0.01,"margin":"0.3"}"#;
    assert!(serde_json::from_str::<Discounting>(json).is_err());
    d.periods = Discounting::MAX_PERIODS;
    let ok: Discounting = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    assert_eq!(ok, d);
    let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let v = discounted_clv(&pareto, &h, value, &d).unwrap();
    assert_eq!(v.margin_per_period.len(), 1200);
    assert!(v.clv.amount() > dec!(0));
}

/// Horizons far beyond the customers' ages (`--horizon 1e7` nulled every
/// customer) give finite expectations that grow with the horizon, for
/// both models and a on both sides of 1; with a > 1 they approach the
/// limit `C/(a−1) · P(alive)` (finitely many purchases before dropping
/// out).
#[test]
fn long_horizons_give_finite_growing_values() {
    let h = History::new(2, 30.43, 38.86).unwrap();
    for a in [0.793, 1.0, 2.5] {
        let bg = BgNbd::new(0.243, 4.414, a, 2.426).unwrap();
        let mbg = MbgNbd::new(0.525, 6.183, a, 1.614).unwrap();
        let mut last = (0.0, 0.0);
        for t in [39.0, 1e3, 1e5, 1e7, 1e12, 1e100] {
            let e = (
                bg.conditional_expected_purchases(&h, t).unwrap(),
                mbg.conditional_expected_purchases(&h, t).unwrap(),
            );
            assert!(e.0.is_finite() && e.1.is_finite(), "a {a} t {t}: {e:?}");
            let rises = |now: f64, before: f64| now >= before * (1.0 - 1e-12);
            assert!(
                rises(e.0, last.0) && rises(e.1, last.1),
                "a {a} t {t}: {e:?} after {last:?}"
            );
            last = e;
        }
        if a > 1.0 {
            let limit = (a + 2.426 + 2.0 - 1.0) / (a - 1.0) * bg.probability_alive(&h).unwrap();
            assert!(
                (last.0 - limit).abs() < 1e-9 * limit,
                "{} vs {limit}",
                last.0
            );
        }
        assert!(bg.expected_purchases(1e7).unwrap().is_finite());
        assert!(mbg.expected_purchases(1e7).unwrap().is_finite());
    }
}

/// Pareto/NBD with α and β hundreds of orders of magnitude apart: the
/// likelihood answers and equals its closed form. At `r + s = 1` and no
/// repeat purchase, `s ∫_y^∞ (α+τ)^−r (β+τ)^−(s+1) dτ = expm1(s L_y)/(α
/// − β)`, `L_y = ln[(α+y)/(β+y)]`, so the likelihood is `r ln α + s ln β
/// + ln[(α+T)^−r (β+T)^−s + (e^(s L_0) − e^(s L_T))/(α − β)]`.
#[test]
fn pareto_nbd_likelihood_with_rates_far_apart() {
    let (r, s, big_t) = (0.4f64, 0.6f64, 1.0f64);
    for (alpha, beta) in [
        (3.0f64, 2.0f64),
        (1e150, 1e-150),
        (1e200, 1e-200),
        (1e-200, 1e200),
        // A subnormal rate: the value stays finite while ∂/∂ of that
        // rate overflows; the likelihood still answers.
        (1e200, 1e-310),
        (1e-310, 1e200),
        (1.0, 5e-324),
    ] {
        let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
        let got = m.log_likelihood(&History::new(0, 0.0, big_t).unwrap());
        let l = |y: f64| (alpha + y).ln() - (beta + y).ln();
        let (e0, e1) = (s * l(0.0), s * l(big_t));
        let (hi, lo) = (e0.max(e1), e0.min(e1));
        let died = hi + (-(lo - hi).exp_m1()).ln() - (alpha - beta).abs().ln();
        let alive = -r * (alpha + big_t).ln() - s * (beta + big_t).ln();
        let (top, low) = (died.max(alive), died.min(alive));
        let want = r * alpha.ln() + s * beta.ln() + top + (low - top).exp().ln_1p();
        assert!(
            got.as_ref()
                .is_ok_and(|v| (v - want).abs() < 1e-12 * want.abs().max(1.0)),
            "α {alpha:e} β {beta:e}: {got:?} vs {want:e}"
        );
    }
}
