//! The shifted-beta-geometric model against Fader & Hardie's published
//! fits, its closed forms against independent computations, and
//! parameter recovery on customers drawn from the model.

use revops::clv::{FitOptions, Renewals, Sbg};
use revops::{Currency, Error, Money};

#[path = "draws/mod.rs"]
mod draws;
use draws::Rng;

const HIGH_END: [u64; 8] = [1000, 869, 743, 653, 593, 551, 517, 491];
const REGULAR: [u64; 8] = [1000, 631, 468, 382, 326, 289, 262, 241];

fn sig3(x: f64) -> String {
    format!("{:.2e}", x)
}

#[test]
fn published_segments_fit_to_three_digits() {
    // Fader & Hardie (2007), "How to project customer retention": the
    // high-end segment's α = 0.668, β = 3.806; the regular segment's
    // α = 0.704, β = 1.182.
    for (data, want) in [(HIGH_END, [0.668, 3.806]), (REGULAR, [0.704, 1.182])] {
        let fit = Sbg::fit(
            &Renewals::from_survival(&data).unwrap(),
            &FitOptions::default(),
        )
        .unwrap();
        let got = fit.params.params();
        assert_eq!(got.map(sig3), want.map(sig3), "{data:?}");
        assert!(fit
            .standard_errors
            .params()
            .iter()
            .all(|&s| s > 0.0 && s < 1.0));
        assert!(fit.log_likelihood < 0.0);
    }
}

/// The log-likelihood by the paper's recursion, `P(T = 1) = α/(α+β)`,
/// `P(T = t) = (β+t−2)/(α+β+t−1) P(T = t−1)`, each period's churned
/// customers times `ln P(T = t)` and the last period's survivors times
/// `ln S`.
fn recursion_log_likelihood(alpha: f64, beta: f64, active: &[u64]) -> f64 {
    let (mut p, mut s, mut ll) = (alpha / (alpha + beta), 1.0, 0.0);
    for t in 1..active.len() {
        if t > 1 {
            p *= (beta + t as f64 - 2.0) / (alpha + beta + t as f64 - 1.0);
        }
        s -= p;
        ll += (active[t - 1] - active[t]) as f64 * p.ln();
    }
    ll + active[active.len() - 1] as f64 * s.ln()
}

/// The reported log-likelihood is the paper's: −1611.2 (high end) and
/// −1680.3 (regular) at the published parameters, and the recursion's
/// value at any parameters.
#[test]
fn log_likelihood_is_the_papers() {
    for (data, [a, b], published) in [
        (HIGH_END, [0.668, 3.806], -1611.2),
        (REGULAR, [0.704, 1.182], -1680.3),
    ] {
        let renewals = Renewals::from_survival(&data).unwrap();
        let ll = Sbg::new(a, b).unwrap().log_likelihood(&renewals);
        assert_eq!(format!("{ll:.1}"), format!("{published:.1}"));
        for (a, b) in [(a, b), (0.3, 7.0), (2.5, 0.4)] {
            let ll = Sbg::new(a, b).unwrap().log_likelihood(&renewals);
            let want = recursion_log_likelihood(a, b, &data);
            assert!(
                (ll - want).abs() < 1e-10 * want.abs(),
                "{a} {b}: {ll} vs {want}"
            );
        }
        let fit = Sbg::fit(&renewals, &FitOptions::default()).unwrap();
        let [fa, fb] = fit.params.params();
        let want = recursion_log_likelihood(fa, fb, &data);
        assert!((fit.log_likelihood - want).abs() < 1e-10 * want.abs());
    }
}

#[test]
fn projections_follow_the_closed_forms() {
    let fit = Sbg::fit(
        &Renewals::from_survival(&HIGH_END).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    let m = fit.params;
    let [a, b] = m.params();
    // S(t) as the product of the retention rates (β + i − 1) / (α + β + i − 1).
    let mut s = 1.0f64;
    for t in 1..=20u64 {
        let r = (b + t as f64 - 1.0) / (a + b + t as f64 - 1.0);
        assert!((m.retention_rate(t).unwrap() - r).abs() < 1e-15);
        s *= r;
        assert!((m.survival(t) - s).abs() < 1e-12, "S({t})");
        // P(T = t) = S(t − 1) − S(t).
        let p = m.survival(t - 1) - m.survival(t);
        assert!(
            (m.churn_probability(t).unwrap() - p).abs() < 1e-12,
            "P({t})"
        );
    }
    // Within the calibration years the model tracks the data it was fitted
    // to within 2 points of the cohort (year 1 is the farthest: 850.7
    // projected against 869).
    for (t, &active) in HIGH_END.iter().enumerate() {
        let projected = 1000.0 * m.survival(t as u64);
        assert!(
            (projected - active as f64).abs() < 20.0,
            "year {t}: {projected} vs {active}"
        );
    }
    // Retention rises with tenure (the paper's point: heterogeneity, not
    // customers changing).
    let rates: Vec<f64> = (1..=12).map(|t| m.retention_rate(t).unwrap()).collect();
    assert!(rates.windows(2).all(|w| w[0] < w[1]));
    // α < 1: the expected lifetime is infinite, and says so.
    assert!(matches!(
        m.expected_lifetime(),
        Err(Error::InvalidInput { .. })
    ));
    let finite = Sbg::new(3.0, 6.0).unwrap();
    let direct: f64 = (0..200_000u64).map(|t| finite.survival(t)).sum();
    assert!(
        (finite.expected_lifetime().unwrap() - direct).abs() < 1e-3,
        "{direct}"
    );
}

#[test]
fn derl_equals_the_discounted_sum_of_survival() {
    for (a, b) in [(0.668, 3.806), (0.704, 1.182), (3.0, 6.0), (0.2, 0.3)] {
        let m = Sbg::new(a, b).unwrap();
        for renewals in [0u64, 1, 4, 10] {
            for d in [0.05f64, 0.1, 0.5] {
                // Σ_{k ≥ 0} S(n + k) / S(n − 1) / (1 + d)^k, n = renewals + 1.
                let n = renewals + 1;
                let base = m.survival(n - 1);
                let mut sum = 0.0f64;
                for k in 0..20_000u64 {
                    let term = m.survival(n + k) / base / (1.0 + d).powi(k as i32);
                    sum += term;
                    if term < 1e-17 * sum {
                        break;
                    }
                }
                let derl = m.discounted_residual_lifetime(renewals, d).unwrap();
                assert!(
                    (derl - sum).abs() < 1e-9 * sum,
                    "{a} {b} {renewals} {d}: {derl} vs {sum}"
                );
            }
        }
    }
    let m = Sbg::new(0.668, 3.806).unwrap();
    let zero = m.discounted_residual_lifetime(0, 0.0).unwrap_err();
    assert!(
        matches!(zero, Error::InvalidInput { .. }) && zero.to_string().contains("discount rate"),
        "{zero}"
    );
    assert!(m.discounted_residual_lifetime(0, f64::NAN).is_err());
    // A customer's value is the margin times DERL, to the cent.
    let v = m
        .customer_value(Money::parse("100", "USD").unwrap(), 3, 0.1)
        .unwrap();
    let want = 100.0 * m.discounted_residual_lifetime(3, 0.1).unwrap();
    assert_eq!(v.currency(), Currency::USD);
    assert!((v.amount().to_string().parse::<f64>().unwrap() - want).abs() <= 0.005);
    assert!(m
        .customer_value(Money::parse("-1", "USD").unwrap(), 0, 0.1)
        .is_err());
}

#[test]
fn parameters_are_recovered_from_customers_drawn_from_the_model() {
    for (seed, (a, b)) in [(7u64, (0.668, 3.806)), (11, (2.5, 4.0))] {
        let mut rng = Rng(seed);
        let mut data = Renewals::new();
        // 20,000 customers, each observed for up to 8 periods, acquired
        // over 4 cohorts (so the censoring varies).
        for i in 0..20_000u64 {
            let horizon = 5 + i % 4;
            let theta = rng.beta(a, b);
            let mut t = 1;
            loop {
                if rng.uniform() < theta {
                    data.add_churned(t, 1).unwrap();
                    break;
                }
                if t == horizon {
                    data.add_active(t + 1, 1).unwrap();
                    break;
                }
                t += 1;
            }
        }
        let fit = Sbg::fit(&data, &FitOptions::default()).unwrap();
        for (k, (got, want)) in fit.params.params().iter().zip([a, b]).enumerate() {
            let se = fit.standard_errors.params()[k];
            assert!(
                (got - want).abs() < 2.0 * se,
                "seed {seed}: {got} vs {want} (se {se})"
            );
        }
    }
}

#[test]
fn renewals_are_checked_and_cohorts_pool() {
    assert!(Renewals::from_survival(&[]).is_err());
    assert!(Renewals::from_survival(&[0, 0]).is_err());
    assert!(Renewals::from_survival(&[10, 11]).is_err());
    let mut pooled = Renewals::from_survival(&HIGH_END).unwrap();
    pooled
        .merge(&Renewals::from_survival(&REGULAR).unwrap())
        .unwrap();
    let summed: Vec<u64> = HIGH_END.iter().zip(REGULAR).map(|(x, y)| x + y).collect();
    assert_eq!(pooled, Renewals::from_survival(&summed).unwrap());
    assert_eq!(pooled.customers(), 2000);
    // No one ever churns: the likelihood rises toward θ = 0, no maximum.
    let mut loyal = Renewals::new();
    loyal.add_active(5, 100).unwrap();
    assert!(matches!(
        Sbg::fit(&loyal, &FitOptions::default()),
        Err(Error::InvalidInput { .. })
    ));
    // One customer cannot determine two parameters.
    let mut one = Renewals::new();
    one.add_churned(2, 1).unwrap();
    assert!(matches!(
        Sbg::fit(&one, &FitOptions::default()),
        Err(Error::InvalidInput { .. })
    ));
    // A penalizer must be finite and not negative; 0 is no penalty.
    let data = Renewals::from_survival(&HIGH_END).unwrap();
    for penalizer in [-0.1, -1e-300, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let e = Sbg::fit(&data, &FitOptions { penalizer }).unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("penalizer"),
            "{penalizer}: {e}"
        );
    }
    assert!(Sbg::fit(&data, &FitOptions { penalizer: 0.0 }).is_ok());
    // The model and the data through JSON; invalid parameters refused.
    let m = Sbg::new(0.668, 3.806).unwrap();
    let back: Sbg = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);
    assert!(serde_json::from_str::<Sbg>(r#"{"alpha": -1.0, "beta": 2.0}"#).is_err());
    let back: Renewals = serde_json::from_str(&serde_json::to_string(&pooled).unwrap()).unwrap();
    assert_eq!(back, pooled);
}
