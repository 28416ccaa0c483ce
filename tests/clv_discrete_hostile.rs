//! sBG and BG/BB on hostile input: every fit ends, with parameters or
//! with a reason; no panic, no figure silently not a number.

use revops::clv::{BgBb, DiscreteHistory, FitOptions, Renewals, Sbg, MAX_OPPORTUNITIES};
use revops::Error;

#[test]
fn sbg_on_degenerate_and_huge_tables() {
    let fit = |active: &[u64]| {
        Sbg::fit(
            &Renewals::from_survival(active).unwrap(),
            &FitOptions::default(),
        )
    };
    // Everyone leaves at the first renewal: θ runs to 1 (the search
    // stops on a flat ridge at α = 40,000, β = 3e-5 unless refused).
    assert!(matches!(fit(&[1000, 0]), Err(Error::InvalidInput { .. })));
    // Only the first renewal observed: one ratio, two parameters.
    assert!(matches!(fit(&[1000, 870]), Err(Error::InvalidInput { .. })));
    // Churn at the second renewal with no one followed past it reaches
    // beyond the first renewal, but everyone who faced the second left:
    // the refusal says the likelihood has no inner maximum, not that the
    // data end at the first renewal.
    let mut two = Renewals::new();
    two.add_churned(1, 130).unwrap();
    two.add_churned(2, 110).unwrap();
    two.add_active(2, 760).unwrap();
    let e = Sbg::fit(&two, &FitOptions::default()).unwrap_err();
    assert!(matches!(e, Error::NotConverged { .. }), "{e}");
    for table in [
        &[1000u64, 500, 500, 500][..],
        &[1000, 999, 998, 997],
        &[1000, 0, 0, 0],
        &[5, 4, 3, 2, 1, 0],
    ] {
        match fit(table) {
            Ok(f) => {
                let se = f.standard_errors.params();
                assert!(se.iter().all(|s| s.is_finite()), "{table:?}: {f:?}");
            }
            Err(e) => assert!(
                matches!(e, Error::NotConverged { .. } | Error::InvalidInput { .. }),
                "{table:?}: {e}"
            ),
        }
    }
    // No one ever leaves: θ runs to 0 (refused before the search, which
    // would stop on the flat likelihood short of the boundary).
    assert!(matches!(
        fit(&[1000, 1000, 1000]),
        Err(Error::InvalidInput { .. })
    ));
    // Counts at the edge of u64 and a thousand periods: a fit or a reason.
    let mut huge = Renewals::new();
    huge.add_churned(1, u64::MAX / 4).unwrap();
    huge.add_active(1000, u64::MAX / 4).unwrap();
    assert!(huge.add_active(1000, u64::MAX).is_err());
    let _ = Sbg::fit(&huge, &FitOptions::default());
    let long: Vec<u64> = (0..2000u64).map(|t| 1_000_000 - t * 400).collect();
    match fit(&long) {
        Ok(f) => assert!(f.params.params().iter().all(|p| p.is_finite() && *p > 0.0)),
        Err(e) => assert!(matches!(e, Error::NotConverged { .. }), "{e:?}"),
    }
    // Predictions far out stay numbers.
    let m = Sbg::new(1e-3, 1e3).unwrap();
    assert!(m.survival(u64::MAX).is_finite());
    assert!(m.retention_rate(u64::MAX).unwrap().is_finite());
    assert!(m
        .discounted_residual_lifetime(u64::MAX / 2, 0.5)
        .unwrap()
        .is_finite());
    // A series that would need more terms than the bound: a reason, fast.
    let slow = Sbg::new(1e-3, 1e3)
        .unwrap()
        .discounted_residual_lifetime(0, 1e-9);
    assert!(matches!(slow, Err(Error::NotConverged { .. })), "{slow:?}");
}

#[test]
fn bgbb_on_degenerate_and_long_histories() {
    let fit = |rows: &[((u64, u64, u64), u64)]| {
        let rows: Vec<(DiscreteHistory, u64)> = rows
            .iter()
            .map(|&((x, t, n), c)| (DiscreteHistory::new(x, t, n).unwrap(), c))
            .collect();
        BgBb::fit_counts(&rows, &FitOptions::default())
    };
    // No one ever buys: p runs to 0.
    assert!(fit(&[((0, 0, 6), 100)]).is_err());
    // Everyone buys every time: p runs to 1, θ to 0.
    assert!(fit(&[((6, 6, 6), 100)]).is_err());
    // The longest histories allowed, many patterns: it ends.
    let n = MAX_OPPORTUNITIES;
    let rows: Vec<((u64, u64, u64), u64)> = (1..=40u64)
        .map(|k| ((k, k * 20, n), 5 + k))
        .chain([((0, 0, n), 50)])
        .collect();
    match fit(&rows) {
        Ok(f) => assert!(f.params.params().iter().all(|p| p.is_finite() && *p > 0.0)),
        Err(e) => assert!(matches!(e, Error::NotConverged { .. }), "{e:?}"),
    }
    assert!(DiscreteHistory::new(0, 0, n + 1).is_err());
    // Counts that overflow when summed are refused.
    let h = DiscreteHistory::new(1, 1, 2).unwrap();
    assert!(BgBb::fit_counts(&[(h, u64::MAX), (h, 1)], &FitOptions::default()).is_err());
    // Terms of one likelihood more than 709 nats apart (alive through a
    // thousand opportunities against dropping out at once): summed in
    // the log domain from the larger, a finite log-likelihood.
    let quits = BgBb::new(1.0, 1.0, 1e3, 1e-3).unwrap();
    let ll = quits.log_likelihood(&DiscreteHistory::new(0, 0, n).unwrap());
    assert!(ll.is_finite() && ll < 0.0, "{ll}");
    // Extreme parameters: numbers or reasons, never NaN.
    for m in [
        BgBb::new(1e-6, 1e6, 1e6, 1e-6).unwrap(),
        BgBb::new(1e6, 1e-6, 1e-6, 1e6).unwrap(),
    ] {
        let h = DiscreteHistory::new(3, 5, n).unwrap();
        let results = [
            m.probability_alive(&h),
            m.conditional_expected_purchases(&h, n),
            m.expected_purchases(n),
            m.probability_of_purchases(n, 3),
        ];
        for v in results.into_iter().flatten() {
            assert!(v.is_finite() && v >= 0.0, "{v}");
        }
    }
}
