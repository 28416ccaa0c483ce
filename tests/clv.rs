//! The lifetime-value models held to their definitions: at the published
//! CDNOW parameters, every closed form equals a numerical integration of
//! the model's assumptions (no paper data needed); fits recover the
//! parameters of data simulated from the model; the RFM summary follows
//! `lifetimes`' rules.

use proptest::prelude::*;
use revops::Aggregate;

mod laws;
use revops::clv::*;
use revops::{dec, Currency, Money, NaiveDate};

/// BG/NBD at the CDNOW fit (FHL 2005, weeks).
fn cdnow() -> BgNbd {
    BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap()
}

/// Composite Simpson's rule with `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, lo: f64, hi: f64, n: usize) -> f64 {
    let h = (hi - lo) / n as f64;
    let mut s = f(lo) + f(hi);
    for i in 1..n {
        s += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// ∫∫ f(λ, p) Gamma(λ; r, α) Beta(p; a, b) dλ dp by quadrature: over λ,
/// Simpson's rule after λ = v^(1/r) (which removes the density's
/// singularity at 0 when r < 1); over p, tanh-sinh quadrature, which
/// takes the Beta density's singularities at both ends in its stride.
fn over_lambda_p(m: &BgNbd, f: impl Fn(f64, f64) -> f64) -> f64 {
    let [r, alpha, a, b] = m.params();
    let lg = |x: f64| libm_lgamma(x);
    let norm_l = (r * alpha.ln() - lg(r) - r.ln()).exp(); // α^r / (r Γ(r))
    let ln_beta = lg(a) + lg(b) - lg(a + b);
    // Tanh-sinh nodes on (0, 1): p, and the weight times the density.
    let h = 1.0 / 64.0;
    let nodes: Vec<(f64, f64)> = (-220i32..=220)
        .map(|k| {
            let t = f64::from(k) * h;
            let u = std::f64::consts::FRAC_PI_2 * t.sinh();
            let (p, q) = (
                1.0 / (1.0 + (-2.0 * u).exp()),
                1.0 / (1.0 + (2.0 * u).exp()),
            );
            let dp = h * std::f64::consts::FRAC_PI_2 * t.cosh() / (2.0 * u.cosh().powi(2));
            let dens = ((a - 1.0) * p.ln() + (b - 1.0) * q.ln() - ln_beta).exp();
            (p, dp * dens)
        })
        .filter(|&(p, w)| p > 0.0 && p < 1.0 && w.is_finite() && w > 0.0)
        .collect();
    let v_max = (60.0 / alpha).powf(r); // e^(−αλ) below e^−60 beyond
    simpson(
        |v| {
            let lambda = v.powf(1.0 / r);
            let inner: f64 = nodes.iter().map(|&(p, w)| f(lambda, p) * w).sum();
            inner * (-alpha * lambda).exp()
        },
        0.0,
        v_max,
        2000,
    ) * norm_l
}

/// `ln Γ` for the tests, by Lanczos (independent of the library's libm).
fn libm_lgamma(x: f64) -> f64 {
    // Lanczos approximation, g = 7, n = 9 (Numerical Recipes' coefficients).
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - libm_lgamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The individual-level likelihood of (x, t_x, T) given λ and p, from the
/// model's story: alive through T, or dropped out just after the x-th
/// repeat purchase at t_x.
fn individual_likelihood(x: u64, tx: f64, t: f64, lambda: f64, p: f64) -> f64 {
    let xf = x as f64;
    let alive = (1.0 - p).powf(xf) * lambda.powf(xf) * (-lambda * t).exp();
    if x == 0 {
        return alive;
    }
    alive + p * (1.0 - p).powf(xf - 1.0) * lambda.powf(xf) * (-lambda * tx).exp()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300)
}

#[test]
fn bgnbd_likelihood_equals_the_integral_of_its_definition() {
    let m = cdnow();
    for &(x, tx, t) in &[
        (0, 0.0, 38.86),
        (1, 5.0, 30.0),
        (2, 30.43, 38.86),
        (7, 35.5, 38.0),
    ] {
        let h = History::new(x, tx, t).unwrap();
        let want = over_lambda_p(&m, |l, p| individual_likelihood(x, tx, t, l, p));
        let got = m.log_likelihood(&h).unwrap().exp();
        assert!(close(got, want, 1e-6), "({x}, {tx}, {t}): {got} vs {want}");
    }
}

#[test]
fn bgnbd_predictions_equal_the_integrals_of_their_definitions() {
    let m = cdnow();
    // The paper's example: x = 2, t_x = 30.43, T = 38.86, the next 39 weeks.
    let h = History::new(2, 30.43, 38.86).unwrap();
    let e = m.conditional_expected_purchases(&h, 39.0).unwrap();
    assert!((e - 1.226).abs() < 5e-4, "{e}");
    for &(x, tx, t) in &[(2, 30.43, 38.86), (0, 0.0, 20.0), (5, 10.0, 36.0)] {
        let h = History::new(x, tx, t).unwrap();
        let lik = over_lambda_p(&m, |l, p| individual_likelihood(x, tx, t, l, p));
        // Alive at T: the first term of the likelihood.
        let alive = over_lambda_p(&m, |l, p| {
            (1.0 - p).powf(x as f64) * l.powf(x as f64) * (-l * t).exp()
        });
        assert!(
            close(m.probability_alive(&h).unwrap(), alive / lik, 1e-5),
            "({x}, {tx}, {t}): {} vs {}",
            m.probability_alive(&h).unwrap(),
            alive / lik
        );
        // Purchases in (T, T + 39] if alive: (1/p)(1 − e^(−λ p 39)).
        let future = over_lambda_p(&m, |l, p| {
            let alive = (1.0 - p).powf(x as f64) * l.powf(x as f64) * (-l * t).exp();
            alive
                * if p == 0.0 {
                    l * 39.0
                } else {
                    -(-l * p * 39.0).exp_m1() / p
                }
        });
        let got = m.conditional_expected_purchases(&h, 39.0).unwrap();
        assert!(
            close(got, future / lik, 1e-5),
            "({x}, {tx}, {t}): {got} vs {}",
            future / lik
        );
    }
    // A customer chosen at random: E[X(t)] and P(X(t) = n).
    for t in [1.0, 39.0, 78.0] {
        let want = over_lambda_p(&m, |l, p| {
            if p == 0.0 {
                l * t
            } else {
                -(-l * p * t).exp_m1() / p
            }
        });
        assert!(close(m.expected_purchases(t).unwrap(), want, 1e-6), "{t}");
        for n in 0..4u64 {
            let want = over_lambda_p(&m, |l, p| {
                let nf = n as f64;
                let poisson = |j: f64| (j * (l * t).ln() - l * t - libm_lgamma(j + 1.0)).exp();
                let alive = (1.0 - p).powf(nf) * if n == 0 { (-l * t).exp() } else { poisson(nf) };
                if n == 0 {
                    return alive;
                }
                let below: f64 = (0..n)
                    .map(|j| {
                        if j == 0 {
                            (-l * t).exp()
                        } else {
                            poisson(j as f64)
                        }
                    })
                    .sum();
                alive + p * (1.0 - p).powf(nf - 1.0) * (1.0 - below)
            });
            let got = m.probability_of_purchases(t, n).unwrap();
            assert!(close(got, want, 1e-6), "t = {t}, n = {n}: {got} vs {want}");
        }
    }
}

/// Gamma-Gamma at the CDNOW fit: the likelihood and the expected average
/// value equal integrals over ν (ν ~ Gamma(q, γ); the sum of x values given
/// ν is Gamma(px, ν)).
#[test]
fn gamma_gamma_equals_the_integrals_of_its_definition() {
    let m = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let [p, q, v] = m.params();
    for &(x, mx) in &[(1u64, 10.0), (2, 35.0), (6, 22.5), (20, 18.0)] {
        let xf = x as f64;
        // Density of the mean m_x given ν: x · Gamma(x m; px, ν).
        let dens = |nu: f64| {
            let s = xf * mx;
            (p * xf * nu.ln() + (p * xf - 1.0) * s.ln() - nu * s - libm_lgamma(p * xf)).exp() * xf
        };
        let prior = |nu: f64| (q * v.ln() + (q - 1.0) * nu.ln() - v * nu - libm_lgamma(q)).exp();
        let hi = 60.0 / v.min(xf * mx) * q.max(1.0) * 4.0;
        let lik = simpson(
            |nu| if nu == 0.0 { 0.0 } else { dens(nu) * prior(nu) },
            0.0,
            hi,
            20_000,
        );
        let got = m.log_likelihood(&Spend::new(x, mx).unwrap()).exp();
        assert!(close(got, lik, 1e-6), "({x}, {mx}): {got} vs {lik}");
        let mean = simpson(
            |nu| {
                if nu == 0.0 {
                    0.0
                } else {
                    p / nu * dens(nu) * prior(nu)
                }
            },
            0.0,
            hi,
            20_000,
        ) / lik;
        let e = m.conditional_expected_average_value(x, mx).unwrap();
        assert!(close(e, mean, 1e-6), "({x}, {mx}): {e} vs {mean}");
    }
}

/// MBG/NBD at parameters of CDNOW's size: the same checks against the
/// model's story, where a customer may also drop out right after the
/// first purchase (so with probability p there are no repeat purchases
/// and the customer is gone).
#[test]
fn mbgnbd_equals_the_integrals_of_its_definition() {
    let m = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
    let [r, alpha, a, b] = m.params();
    let as_bg = BgNbd::new(r, alpha, a, b).unwrap(); // for the quadrature only
    let alive_term = |x: u64, t: f64, l: f64, p: f64| {
        (1.0 - p).powf(x as f64 + 1.0) * l.powf(x as f64) * (-l * t).exp()
    };
    for &(x, tx, t) in &[
        (0u64, 0.0, 38.86),
        (1, 5.0, 30.0),
        (2, 30.43, 38.86),
        (6, 20.0, 39.0),
    ] {
        let h = History::new(x, tx, t).unwrap();
        let lik = over_lambda_p(&as_bg, |l, p| {
            alive_term(x, t, l, p)
                + p * (1.0 - p).powf(x as f64) * l.powf(x as f64) * (-l * tx).exp()
        });
        let got = m.log_likelihood(&h).unwrap().exp();
        assert!(close(got, lik, 1e-6), "({x}, {tx}, {t}): {got} vs {lik}");
        let alive = over_lambda_p(&as_bg, |l, p| alive_term(x, t, l, p));
        assert!(
            close(m.probability_alive(&h).unwrap(), alive / lik, 1e-5),
            "({x}, {tx}, {t})"
        );
        let future = over_lambda_p(&as_bg, |l, p| {
            alive_term(x, t, l, p)
                * if p == 0.0 {
                    l * 20.0
                } else {
                    -(-l * p * 20.0).exp_m1() / p
                }
        });
        let e = m.conditional_expected_purchases(&h, 20.0).unwrap();
        assert!(
            close(e, future / lik, 1e-5),
            "({x}, {tx}, {t}): {e} vs {}",
            future / lik
        );
    }
    for t in [1.0, 39.0] {
        let want = over_lambda_p(&as_bg, |l, p| {
            (1.0 - p)
                * if p == 0.0 {
                    l * t
                } else {
                    -(-l * p * t).exp_m1() / p
                }
        });
        assert!(close(m.expected_purchases(t).unwrap(), want, 1e-6), "{t}");
        for n in 0..4u64 {
            // Gone at once with probability p; else the BG/NBD process.
            let want = over_lambda_p(&as_bg, |l, p| {
                let nf = n as f64;
                let poisson = |j: f64| (j * (l * t).ln() - l * t - libm_lgamma(j + 1.0)).exp();
                let po = |j: u64| {
                    if j == 0 {
                        (-l * t).exp()
                    } else {
                        poisson(j as f64)
                    }
                };
                let mut bg = (1.0 - p).powf(nf) * po(n);
                if n > 0 {
                    let below: f64 = (0..n).map(po).sum();
                    bg += p * (1.0 - p).powf(nf - 1.0) * (1.0 - below);
                }
                (1.0 - p) * bg + if n == 0 { p } else { 0.0 }
            });
            let got = m.probability_of_purchases(t, n).unwrap();
            assert!(close(got, want, 1e-6), "t = {t}, n = {n}: {got} vs {want}");
        }
    }
}

/// The nodes and weights of ∫ f(v) Gamma(v; shape, rate) dv by Simpson's
/// rule over n panels after v = w^(1/shape): the integral is Σ weight ·
/// f(v). (Computed once, so a double integral costs one call of f a
/// node pair.)
fn gamma_nodes(shape: f64, rate: f64, n: usize) -> Vec<(f64, f64)> {
    let norm = (shape * rate.ln() - libm_lgamma(shape) - shape.ln()).exp();
    let w_max = (60.0 / rate).powf(shape);
    let h = w_max / n as f64;
    (0..=n)
        .map(|i| {
            let simpson = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let v = (i as f64 * h).powf(1.0 / shape);
            (v, simpson * h / 3.0 * norm * (-rate * v).exp())
        })
        .collect()
}

/// Pareto/NBD at the published CDNOW fit: the likelihood, P(alive) and the
/// expected purchases equal integrals over λ ~ Gamma(r, α) and μ ~
/// Gamma(s, β) of the model's story (purchases at rate λ until an
/// exponential lifetime of rate μ ends).
#[test]
fn pareto_nbd_equals_the_integrals_of_its_definition() {
    let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let [r, alpha, s, beta] = m.params();
    let (lambdas, mus) = (gamma_nodes(r, alpha, 2400), gamma_nodes(s, beta, 1200));
    let both = |f: &dyn Fn(f64, f64) -> f64| {
        let inner = |l: f64| mus.iter().map(|&(mu, w)| w * f(l, mu)).sum::<f64>();
        lambdas.iter().map(|&(l, w)| w * inner(l)).sum::<f64>()
    };
    for &(x, tx, t) in &[
        (0u64, 0.0, 38.86),
        (1, 5.0, 30.0),
        (2, 30.43, 38.86),
        (6, 20.0, 39.0),
        (3, 39.0, 39.0),
    ] {
        let xf = x as f64;
        let h = History::new(x, tx, t).unwrap();
        let alive = |l: f64, mu: f64| l.powf(xf) * (-(l + mu) * t).exp();
        let lik = both(&|l, mu| {
            // μ/(λ+μ) (e^−(λ+μ)t_x − e^−(λ+μ)T), 0 at λ = μ = 0.
            let k = l + mu;
            let died = if k == 0.0 {
                0.0
            } else {
                l.powf(xf) * mu / k * ((-k * tx).exp() - (-k * t).exp())
            };
            alive(l, mu) + died
        });
        let got = m.log_likelihood(&h).unwrap().exp();
        assert!(close(got, lik, 1e-6), "({x}, {tx}, {t}): {got} vs {lik}");
        let pa = both(&|l, mu| alive(l, mu)) / lik;
        assert!(
            close(m.probability_alive(&h).unwrap(), pa, 1e-5),
            "({x}, {tx}, {t})"
        );
        let per_life = |l: f64, mu: f64, t: f64| {
            if mu == 0.0 {
                l * t
            } else {
                l / mu * -(-mu * t).exp_m1()
            }
        };
        let future = both(&|l, mu| alive(l, mu) * per_life(l, mu, 39.0)) / lik;
        let e = m.conditional_expected_purchases(&h, 39.0).unwrap();
        assert!(close(e, future, 1e-5), "({x}, {tx}, {t}): {e} vs {future}");
    }
    for t in [1.0, 39.0] {
        let want = both(&|l, mu| {
            if mu == 0.0 {
                l * t
            } else {
                l / mu * -(-mu * t).exp_m1()
            }
        });
        assert!(close(m.expected_purchases(t).unwrap(), want, 1e-6), "{t}");
    }
    // P(X(t) = n): the story given λ and μ is "alive at t, n purchases in
    // t" or "died at τ < t, n purchases in τ":
    // e^−(λ+μ)t (λt)ⁿ/n! + μ/k (λ/k)ⁿ [1 − e^−kt Σ_{j≤n} (kt)^j/j!], k = λ+μ.
    for &(t, n) in &[(39.0, 0u64), (2.5, 2), (200.0, 7)] {
        let want = both(&|l, mu| {
            let k = l + mu;
            let nf = n as f64;
            let ln_fact = libm_lgamma(nf + 1.0);
            let alive = (-k * t + if n == 0 { 0.0 } else { nf * (l * t).ln() } - ln_fact).exp();
            if k == 0.0 {
                return alive;
            }
            let partial: f64 = (0..=n)
                .map(|j| (j as f64 * (k * t).ln() - libm_lgamma(j as f64 + 1.0) - k * t).exp())
                .sum();
            let ratio = if n == 0 {
                1.0
            } else {
                (nf * (l / k).ln()).exp()
            };
            alive + mu / k * ratio * (1.0 - partial).max(0.0)
        });
        let got = m.probability_of_purchases(t, n).unwrap();
        assert!(close(got, want, 1e-5), "P(X({t}) = {n}): {got} vs {want}");
    }
    // The distribution sums to 1, and its mean is E[X(t)] (a closed form of
    // its own), on both sides of α = β.
    for model in [
        m,
        ParetoNbd::new(1.2, 3.0, 0.4, 20.0).unwrap(),
        ParetoNbd::new(0.7, 25.0, 2.5, 4.0).unwrap(),
    ] {
        for t in [0.5, 39.0, 150.0] {
            let p: Vec<f64> = (0..2000)
                .map(|n| model.probability_of_purchases(t, n).unwrap())
                .collect();
            let total: f64 = p.iter().sum();
            let mean: f64 = p.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
            assert!(
                (total - 1.0).abs() < 1e-9,
                "{model:?} t = {t}: total {total}"
            );
            let e = model.expected_purchases(t).unwrap();
            assert!(
                close(mean, e, 1e-8),
                "{model:?} t = {t}: mean {mean} vs {e}"
            );
        }
    }
    assert_eq!(m.probability_of_purchases(0.0, 0).unwrap(), 1.0);
    assert_eq!(m.probability_of_purchases(0.0, 3).unwrap(), 0.0);
    assert!(m.probability_of_purchases(-1.0, 0).is_err());
    // Both branches of the series (α above and below β) against each other
    // near α = β: the likelihood is continuous there.
    let h = History::new(3, 12.0, 30.0).unwrap();
    let below = ParetoNbd::new(0.553, 11.669 - 1e-9, 0.606, 11.669).unwrap();
    let above = ParetoNbd::new(0.553, 11.669 + 1e-9, 0.606, 11.669).unwrap();
    let (lb, la) = (
        below.log_likelihood(&h).unwrap(),
        above.log_likelihood(&h).unwrap(),
    );
    assert!((lb - la).abs() < 1e-8, "{lb} vs {la}");
    // At α = β exactly the series is its first term.
    let equal = ParetoNbd::new(0.553, 11.669, 0.606, 11.669).unwrap();
    let le = equal.log_likelihood(&h).unwrap();
    assert!((le - la).abs() < 1e-8, "{le} vs {la}");
}

// ------------------------------------------------------------ simulation

/// SplitMix64: a small, seeded generator for the simulations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Gamma(shape k, scale 1), Marsaglia & Tsang (boosted below 1).
    fn gamma(&mut self, k: f64) -> f64 {
        if k < 1.0 {
            return self.gamma(k + 1.0) * self.uniform().powf(1.0 / k);
        }
        let d = k - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            if self.uniform().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }
    fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }
}

/// Customers drawn from BG/NBD (`lifetimes`' generator's story): T uniform
/// on [27, 39] weeks in steps of 1/7; a purchase process of rate λ; after
/// each repeat purchase, dropping out with probability p.
fn simulate_bgnbd(m: &BgNbd, n: usize, seed: u64) -> Vec<History> {
    let [r, alpha, a, b] = m.params();
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let t = 27.0 + (rng.next() % 85) as f64 / 7.0;
            let lambda = rng.gamma(r) / alpha;
            let p = rng.beta(a, b);
            let (mut x, mut now, mut last) = (0u64, 0.0, 0.0);
            loop {
                now += rng.exponential(lambda);
                if now > t {
                    break;
                }
                x += 1;
                last = now;
                if rng.uniform() < p {
                    break;
                }
            }
            History::new(x, last, t).unwrap()
        })
        .collect()
}

/// The unit of time is the caller's: times scaled by 1e-300 or 1e300
/// give the same r, a and b, and α scaled by the same factor.
#[test]
fn any_unit_of_time_fits_alike() {
    let data = simulate_bgnbd(&cdnow(), 2_000, 3);
    let fit = BgNbd::fit(&data, &FitOptions::default())
        .unwrap()
        .params
        .params();
    for scale in [1e-300, 1e300] {
        let scaled: Vec<History> = data
            .iter()
            .map(|h| History::new(h.frequency(), h.recency() * scale, h.age() * scale).unwrap())
            .collect();
        let got = BgNbd::fit(&scaled, &FitOptions::default())
            .unwrap()
            .params
            .params();
        for (i, want) in fit.into_iter().enumerate() {
            let want = if i == 1 { want * scale } else { want };
            assert!(
                (got[i] - want).abs() < 1e-6 * want,
                "{scale} {i}: {} vs {want}",
                got[i]
            );
        }
    }
}

/// A fitted α past f64's largest on the caller's times is refused with
/// advice, not returned as infinity: customers with α about 1.4 times the
/// longest age, whose times are then scaled to 1.7e308.
#[test]
fn a_time_scale_whose_alpha_overflows_is_refused() {
    let data = simulate_bgnbd(&BgNbd::new(0.243, 80.0, 0.793, 2.426).unwrap(), 2_000, 0);
    let longest = data.iter().map(|h| h.age()).fold(0.0, f64::max);
    let alpha = BgNbd::fit(&data, &FitOptions::default())
        .unwrap()
        .params
        .params()[1];
    assert!(alpha > 1.2 * longest, "{alpha} vs {longest}");
    let scale = 1.7e308 / longest;
    let scaled: Vec<History> = data
        .iter()
        .map(|h| History::new(h.frequency(), h.recency() * scale, h.age() * scale).unwrap())
        .collect();
    let e = BgNbd::fit(&scaled, &FitOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("give the times in a larger unit"),
        "{e}"
    );
}

#[test]
fn bgnbd_fit_recovers_simulated_parameters() {
    let truth = cdnow();
    let data = simulate_bgnbd(&truth, 20_000, 7);
    let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let se = fit.standard_errors.params();
    for (i, name) in BgNbd::NAMES.iter().enumerate() {
        let (got, want) = (fit.params.params()[i], truth.params()[i]);
        // Within four standard errors, and the errors themselves sensible.
        assert!(
            (got - want).abs() < 4.0 * se[i],
            "{name}: {got} vs {want} (se {})",
            se[i]
        );
        assert!(se[i] < 0.5 * want, "{name}: se {}", se[i]);
    }
    // The fitted likelihood beats the truth's on its own data, and is the
    // fitted model's own over the customers.
    assert!(fit.log_likelihood >= truth.total_log_likelihood(&data).unwrap());
    let own = fit.params.total_log_likelihood(&data).unwrap();
    assert!((fit.log_likelihood - own).abs() < 1e-9 * own.abs(), "{own}");
    // Deterministic: the same data, the same fit, bit for bit.
    assert_eq!(BgNbd::fit(&data, &FitOptions::default()).unwrap(), fit);
    // A penalizer pulls the parameters toward zero.
    let pen = BgNbd::fit(&data, &FitOptions { penalizer: 0.1 }).unwrap();
    let norm = |p: [f64; 4]| p.iter().map(|x| x * x).sum::<f64>();
    assert!(norm(pen.params.params()) < norm(fit.params.params()));
}

#[test]
fn mbgnbd_fit_recovers_simulated_parameters() {
    let truth = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
    let [r, alpha, a, b] = truth.params();
    let mut rng = Rng(23);
    let data: Vec<History> = (0..20_000)
        .map(|_| {
            let t = 27.0 + (rng.next() % 85) as f64 / 7.0;
            let lambda = rng.gamma(r) / alpha;
            let p = rng.beta(a, b);
            let (mut x, mut now, mut last) = (0u64, 0.0, 0.0);
            // May drop out right after the first purchase.
            if rng.uniform() >= p {
                loop {
                    now += rng.exponential(lambda);
                    if now > t {
                        break;
                    }
                    x += 1;
                    last = now;
                    if rng.uniform() < p {
                        break;
                    }
                }
            }
            History::new(x, last, t).unwrap()
        })
        .collect();
    let fit = MbgNbd::fit(&data, &FitOptions::default()).unwrap();
    let se = fit.standard_errors.params();
    for (i, name) in MbgNbd::NAMES.iter().enumerate() {
        let (got, want) = (fit.params.params()[i], truth.params()[i]);
        assert!(
            (got - want).abs() < 4.0 * se[i],
            "{name}: {got} vs {want} (se {})",
            se[i]
        );
    }
    let own = fit.params.total_log_likelihood(&data).unwrap();
    assert!((fit.log_likelihood - own).abs() < 1e-9 * own.abs(), "{own}");
}

#[test]
fn pareto_nbd_fit_recovers_simulated_parameters() {
    let truth = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let [r, alpha, s, beta] = truth.params();
    let mut rng = Rng(31);
    let data: Vec<History> = (0..20_000)
        .map(|_| {
            let t = 27.0 + (rng.next() % 85) as f64 / 7.0;
            let lambda = rng.gamma(r) / alpha;
            let mu = rng.gamma(s) / beta;
            let end = rng.exponential(mu).min(t);
            let (mut x, mut now, mut last) = (0u64, 0.0, 0.0);
            loop {
                now += rng.exponential(lambda);
                if now > end {
                    break;
                }
                x += 1;
                last = now;
            }
            History::new(x, last, t).unwrap()
        })
        .collect();
    let fit = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    let se = fit.standard_errors.params();
    for (i, name) in ParetoNbd::NAMES.iter().enumerate() {
        let (got, want) = (fit.params.params()[i], truth.params()[i]);
        assert!(
            (got - want).abs() < 4.0 * se[i],
            "{name}: {got} vs {want} (se {})",
            se[i]
        );
    }
    let ll = truth.total_log_likelihood(&data).unwrap();
    assert!(
        fit.log_likelihood >= ll - 1e-6,
        "{} vs {ll}",
        fit.log_likelihood
    );
    let own = fit.params.total_log_likelihood(&data).unwrap();
    assert!((fit.log_likelihood - own).abs() < 1e-9 * own.abs(), "{own}");
}

#[test]
fn gamma_gamma_fit_recovers_simulated_parameters() {
    let truth = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let [p, q, v] = truth.params();
    let mut rng = Rng(11);
    let data: Vec<Spend> = (0..20_000)
        .map(|_| {
            let x = 1 + rng.next() % 8;
            let nu = rng.gamma(q) / v;
            let total: f64 = (0..x).map(|_| rng.gamma(p) / nu).sum();
            Spend::new(x, total / x as f64).unwrap()
        })
        .collect();
    let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
    let se = fit.standard_errors.params();
    for (i, name) in GammaGamma::NAMES.iter().enumerate() {
        let (got, want) = (fit.params.params()[i], truth.params()[i]);
        assert!(
            (got - want).abs() < 4.0 * se[i],
            "{name}: {got} vs {want} (se {})",
            se[i]
        );
    }
    let own = fit.params.total_log_likelihood(&data);
    let sum: f64 = data.iter().map(|s| fit.params.log_likelihood(s)).sum();
    assert_eq!(own, sum);
    assert!((fit.log_likelihood - own).abs() < 1e-9 * own.abs(), "{own}");
    let r = frequency_value_correlation(&data).unwrap();
    assert!(r.abs() < 0.05, "independent by construction: {r}");
    // A penalizer pulls the parameters toward zero; a negative or NaN
    // one is refused.
    let pen = GammaGamma::fit(&data[..2_000], &FitOptions { penalizer: 0.1 }).unwrap();
    let free = GammaGamma::fit(&data[..2_000], &FitOptions::default()).unwrap();
    let norm = |m: &GammaGamma| m.params().iter().map(|v| v * v).sum::<f64>();
    assert!(norm(&pen.params) < norm(&free.params));
    for penalizer in [-0.1, f64::NAN] {
        assert!(GammaGamma::fit(&data, &FitOptions { penalizer }).is_err());
    }
    // The correlation needs two customers; two give ±1.
    assert_eq!(frequency_value_correlation(&[]), None);
    assert_eq!(frequency_value_correlation(&data[..1]), None);
    let two = [Spend::new(1, 5.0).unwrap(), Spend::new(2, 3.0).unwrap()];
    assert!((frequency_value_correlation(&two).unwrap() + 1.0).abs() < 1e-12);
}

#[test]
fn fits_refuse_what_they_cannot_do() {
    assert!(BgNbd::fit(&[], &FitOptions::default()).is_err());
    // A bad penalizer is refused as such (with enough customers that
    // nothing else is), by every four-parameter purchase model.
    let four: Vec<History> = [(1, 1.0, 2.0), (0, 0.0, 3.0), (2, 1.5, 2.5), (3, 2.0, 4.0)]
        .iter()
        .map(|&(x, t_x, t)| History::new(x, t_x, t).unwrap())
        .collect();
    for penalizer in [-1.0, -0.0001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let options = FitOptions { penalizer };
        for got in [
            BgNbd::fit(&four, &options).map(|_| ()),
            MbgNbd::fit(&four, &options).map(|_| ()),
            ParetoNbd::fit(&four, &options).map(|_| ()),
        ] {
            assert!(
                got.as_ref()
                    .is_err_and(|e| e.to_string().contains("penalizer")),
                "{penalizer}: {got:?}"
            );
        }
    }
    assert!(GammaGamma::fit(&[], &FitOptions::default()).is_err());
    // No repeat purchase at all: nothing determines a or b (and r runs to
    // 0): an error, not a parameter set.
    let zeros: Vec<History> = (0..50)
        .map(|_| History::new(0, 0.0, 30.0).unwrap())
        .collect();
    assert!(matches!(
        BgNbd::fit(&zeros, &FitOptions::default()),
        Err(revops::Error::NotConverged { .. })
    ));
    // Every customer spends the same: the spread parameters run off.
    let same: Vec<Spend> = (1..40).map(|x| Spend::new(x, 10.0).unwrap()).collect();
    assert!(GammaGamma::fit(&same, &FitOptions::default()).is_err());
    assert!(BgNbd::new(0.0, 1.0, 1.0, 1.0).is_err());
    assert!(BgNbd::new(1.0, f64::INFINITY, 1.0, 1.0).is_err());
    assert!(GammaGamma::new(1.0, 1.0, -2.0).is_err());
    assert!(Spend::new(0, 10.0).is_err());
    assert!(Spend::new(2, 0.0).is_err());
    // The population's mean spend, p v / (q − 1), finite only for q > 1.
    let m = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let mean = m.expected_average_value().unwrap();
    assert!((mean - 6.25 * 15.44 / 2.74).abs() < 1e-12, "{mean}");
    for q in [1.0, 0.9] {
        assert!(GammaGamma::new(6.25, q, 15.44)
            .unwrap()
            .expected_average_value()
            .is_err());
    }
    let spend = Spend::new(3, 20.5).unwrap();
    assert_eq!((spend.frequency(), spend.mean_value()), (3, 20.5));
    assert!(cdnow().expected_purchases(-1.0).is_err());
    // p·x + q ≤ 1: no finite posterior mean.
    assert!(GammaGamma::new(0.05, 0.9, 1.0)
        .unwrap()
        .conditional_expected_average_value(1, 5.0)
        .is_err());
}

proptest! {
    /// P(alive) is a probability; P(X(t) = n) over n adds up to 1 and its
    /// mean is E[X(t)]; more time never lowers the expected purchases.
    #[test]
    fn bgnbd_probabilities_are_consistent(x in 0u64..30, frac in 0.0f64..1.0, t in 0.5f64..100.0) {
        let m = cdnow();
        let tx = if x == 0 { 0.0 } else { frac * t };
        let h = History::new(x, tx, t).unwrap();
        let pa = m.probability_alive(&h).unwrap();
        prop_assert!((0.0..=1.0).contains(&pa));
        let (mut total, mut mean) = (0.0, 0.0);
        for n in 0..400u64 {
            let pn = m.probability_of_purchases(t, n).unwrap();
            prop_assert!(pn >= -1e-12);
            total += pn;
            mean += n as f64 * pn;
        }
        prop_assert!((total - 1.0).abs() < 1e-6, "{}", total);
        let e = m.expected_purchases(t).unwrap();
        prop_assert!((mean - e).abs() < 1e-4 * e.max(1.0), "{} vs {}", mean, e);
        prop_assert!(m.expected_purchases(t * 1.5).unwrap() >= e);
        let c1 = m.conditional_expected_purchases(&h, t).unwrap();
        let c2 = m.conditional_expected_purchases(&h, 2.0 * t).unwrap();
        prop_assert!(c1 >= 0.0 && c2 >= c1);
    }
}

// ------------------------------------------------------------------ RFM

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn tx(c: u32, date: NaiveDate, amount: rust_decimal::Decimal) -> Transaction<u32> {
    Transaction {
        customer: c,
        date,
        amount: Money::new(amount, Currency::USD),
    }
}

#[test]
fn rfm_summary_by_week_and_month() {
    // Customer 1: Thu Jan 1, Sun Jan 4 (same week, Monday to Sunday), Mon
    // Jan 5, Feb 2; customer 2: one purchase; a transaction after the end.
    let t = [
        tx(1, day(1, 1), dec!(10)),
        tx(1, day(1, 4), dec!(5)),
        tx(1, day(1, 5), dec!(20)),
        tx(1, day(2, 2), dec!(30.5)),
        tx(2, day(1, 20), dec!(8)),
        tx(2, day(3, 2), dec!(99)),
    ];
    let s = summarize(&t, PeriodLength::Week, day(2, 28), Currency::USD).unwrap();
    assert_eq!(s.after_end, 1);
    let c1 = &s.customers[0];
    // Weeks: Dec 29–Jan 4 (first), Jan 5–11, Feb 2–8; end week Feb 23–Mar 1.
    assert_eq!((c1.frequency, c1.recency, c1.age), (2, 5, 8));
    assert_eq!(
        c1.monetary_value,
        Some(Money::new(dec!(25.25), Currency::USD))
    );
    let c2 = &s.customers[1];
    assert_eq!(
        (c2.frequency, c2.recency, c2.age, c2.monetary_value),
        (0, 0, 5, None)
    );
    assert_eq!(c2.history().unwrap(), History::new(0, 0.0, 5.0).unwrap());
    assert!(c2.spend().is_none());
    assert_eq!(c1.spend().unwrap().mean_value(), 25.25);

    let m = summarize(&t, PeriodLength::Month, day(3, 31), Currency::USD).unwrap();
    let c1 = &m.customers[0];
    // January (three purchases: one) and February.
    assert_eq!((c1.frequency, c1.recency, c1.age), (1, 1, 2));
    assert_eq!(
        c1.monetary_value,
        Some(Money::new(dec!(30.5), Currency::USD))
    );
    assert_eq!(m.after_end, 0);

    // Another currency is refused.
    let eur = [Transaction {
        customer: 1u32,
        date: day(1, 1),
        amount: Money::new(dec!(1), Currency::EUR),
    }];
    assert!(summarize(&eur, PeriodLength::Day, day(2, 1), Currency::USD).is_err());
}

#[test]
fn calibration_and_holdout_split() {
    let t = [
        tx(1, day(1, 1), dec!(10)),
        tx(1, day(1, 10), dec!(20)),
        tx(1, day(2, 5), dec!(7)),
        tx(1, day(2, 5), dec!(3)),
        tx(1, day(2, 20), dec!(30)),
        tx(2, day(2, 10), dec!(50)), // first buys in the holdout: left out
        tx(3, day(1, 31), dec!(4)),
    ];
    let (rows, after) =
        calibration_and_holdout(&t, PeriodLength::Day, day(1, 31), day(2, 28), Currency::USD)
            .unwrap();
    assert_eq!(after, 0);
    assert_eq!(rows.len(), 2);
    let c1 = &rows[0];
    assert_eq!(c1.calibration.customer, 1);
    assert_eq!(
        (
            c1.calibration.frequency,
            c1.calibration.recency,
            c1.calibration.age
        ),
        (1, 9, 30)
    );
    assert_eq!(c1.holdout_frequency, 2);
    assert_eq!(
        c1.holdout_monetary_value,
        Some(Money::new(dec!(20), Currency::USD))
    );
    assert_eq!(c1.holdout_duration, 28);
    let c3 = &rows[1];
    assert_eq!((c3.calibration.frequency, c3.calibration.age), (0, 0));
    assert_eq!((c3.holdout_frequency, c3.holdout_monetary_value), (0, None));
    assert!(
        calibration_and_holdout(&t, PeriodLength::Day, day(3, 1), day(2, 1), Currency::USD)
            .is_err()
    );
    // A holdout of no time: the calibration's customers with nothing in
    // it, and what follows counted as after the observation.
    let (rows, after) =
        calibration_and_holdout(&t, PeriodLength::Day, day(1, 31), day(1, 31), Currency::USD)
            .unwrap();
    assert_eq!((rows.len(), after), (2, 4));
    assert!(rows
        .iter()
        .all(|r| (r.holdout_frequency, r.holdout_duration) == (0, 0)));
}

proptest! {
    /// The summary's rules on random transactions: frequency counts the
    /// distinct periods after the first; 0 ≤ recency ≤ T; the summary does
    /// not depend on the order of the transactions.
    #[test]
    fn rfm_rules_hold_in_any_order(raw in prop::collection::vec((0u32..6, 0u32..90, 1i64..1000), 1..80), seed in any::<u64>()) {
        let t: Vec<Transaction<u32>> = raw.iter().map(|&(c, d, a)| Transaction {
            customer: c,
            date: day(1, 1) + chrono::TimeDelta::days(i64::from(d)),
            amount: Money::new(rust_decimal::Decimal::new(a, 2), Currency::USD),
        }).collect();
        let end = day(1, 1) + chrono::TimeDelta::days(60);
        for period in [PeriodLength::Day, PeriodLength::Week, PeriodLength::Month] {
            let s = summarize(&t, period, end, Currency::USD).unwrap();
            let mut shuffled = t.clone();
            let mut r = Rng(seed);
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, (r.next() % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(&summarize(&shuffled, period, end, Currency::USD).unwrap(), &s);
            for c in &s.customers {
                let mut periods: Vec<i64> = t.iter()
                    .filter(|x| x.customer == c.customer && x.date <= end)
                    .map(|x| period.index(x.date))
                    .collect();
                periods.sort_unstable();
                periods.dedup();
                prop_assert_eq!(c.frequency as usize, periods.len() - 1);
                prop_assert!(0 <= c.recency && c.recency <= c.age);
                prop_assert!(c.history().is_ok());
            }
        }
    }
}

/// Discounted CLV: with no discount and the whole value as margin, the
/// periods telescope to the model's expectation over the horizon; the
/// discount is applied per period; the amounts are rounded to the cent;
/// CAC payback takes a period's margin as is.
#[test]
fn discounted_clv_follows_its_rule() {
    let m = cdnow();
    let h = History::new(2, 30.43, 38.86).unwrap();
    let usd = |a| Money::new(a, Currency::USD);
    let plain = Discounting {
        periods: 9,
        units_per_period: 52.0 / 12.0,
        discount_rate: 0.0,
        margin: revops::Ratio::ONE,
    };
    let v = discounted_clv(&m, &h, usd(dec!(35)), &plain).unwrap();
    let horizon = m
        .conditional_expected_purchases(&h, 9.0 * 52.0 / 12.0)
        .unwrap();
    let want = rust_decimal::Decimal::try_from(horizon * 35.0)
        .unwrap()
        .round_dp(2);
    assert_eq!(v.clv.amount(), want);
    assert_eq!(v.margin_per_period.len(), 9);
    // 1% a month, 25% margin: each period's share by hand.
    let d = Discounting {
        discount_rate: 0.01,
        margin: revops::Ratio::new(dec!(0.25)).unwrap(),
        ..plain
    };
    let v = discounted_clv(&m, &h, usd(dec!(35)), &d).unwrap();
    let mut total = 0.0;
    let mut prev = 0.0;
    for k in 1..=9 {
        let c = m
            .conditional_expected_purchases(&h, k as f64 * 52.0 / 12.0)
            .unwrap();
        total += (c - prev) * 35.0 * 0.25 / 1.01f64.powi(k);
        prev = c;
    }
    assert_eq!(
        v.clv.amount(),
        rust_decimal::Decimal::try_from(total).unwrap().round_dp(2)
    );
    // MBG/NBD works the same way.
    let mbg = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
    assert!(
        discounted_clv(&mbg, &h, usd(dec!(35)), &d)
            .unwrap()
            .clv
            .amount()
            > dec!(0)
    );
    // CAC payback from the first month's expected margin.
    let months = revops::metrics::customer::cac_payback_months(
        usd(dec!(10)),
        v.margin_per_period[0],
        revops::Ratio::ONE,
    )
    .unwrap();
    assert!(months > dec!(0));
    // Refused: a negative value, no period, a rate of -100% or less.
    assert!(discounted_clv(&m, &h, usd(dec!(-1)), &d).is_err());
    assert!(discounted_clv(&m, &h, usd(dec!(1)), &Discounting { periods: 0, ..d }).is_err());
    assert!(discounted_clv(
        &m,
        &h,
        usd(dec!(1)),
        &Discounting {
            discount_rate: -1.0,
            ..d
        }
    )
    .is_err());
    assert!(discounted_clv(
        &m,
        &h,
        usd(dec!(1)),
        &Discounting {
            units_per_period: f64::NAN,
            ..d
        }
    )
    .is_err());
}

proptest! {
    /// The RFM state's laws (`tests/laws`): any cut of the transactions
    /// (not only by customer: period totals add exactly), refunds and
    /// transactions after the end included, each part shipped as JSON,
    /// finishes into `summarize` over all of them.
    #[test]
    fn rfm_state_merge_law(
        rows in prop::collection::vec((0u32..6, 0u32..100, -500i64..20_000), 0..50),
        cuts in prop::collection::vec(0usize..50, 0..4),
        period in prop_oneof![Just(PeriodLength::Day), Just(PeriodLength::Week), Just(PeriodLength::Month)],
    ) {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        let tx: Vec<Transaction<u32>> = rows
            .iter()
            .map(|&(c, d, cents)| Transaction {
                customer: c,
                date: start + chrono::Days::new(u64::from(d)),
                amount: Money::new(rust_decimal::Decimal::new(cents, 2), Currency::USD),
            })
            .collect();
        let whole = summarize(&tx, period, end, Currency::USD).unwrap();
        laws::merge_law(
            &tx,
            &cuts,
            || RfmState::new(period, end, Currency::USD),
            |st, part| {
                for t in part {
                    Aggregate::add(st, t).unwrap();
                }
            },
            |st| {
                let s = Aggregate::finish(st, ()).unwrap();
                assert_eq!(s, whole);
                s
            },
        );
    }
}

/// Every lifetime-value value reads back from its JSON, and what no
/// input gives is refused.
#[test]
fn clv_values_round_trip_and_refuse_the_impossible() {
    fn round<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
        v: &T,
    ) {
        let json = serde_json::to_string(v).unwrap();
        assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v, "{json}");
    }
    round(&Spend::new(3, 41.5).unwrap());
    assert!(serde_json::from_str::<Spend>(r#"{"frequency":0,"mean_value":5.0}"#).is_err());
    assert!(serde_json::from_str::<Spend>(r#"{"frequency":2,"mean_value":-5.0}"#).is_err());
    let hs: Vec<History> = (0..60)
        .map(|i| {
            History::new(
                i % 5,
                if i % 5 == 0 {
                    0.0
                } else {
                    10.0 + (i % 7) as f64
                },
                30.0,
            )
            .unwrap()
        })
        .collect();
    if let Ok(fit) = BgNbd::fit(&hs, &FitOptions::default()) {
        round(&fit);
    }
    let t = Transaction {
        customer: "ann".to_string(),
        date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        amount: Money::new(dec!(19.90), Currency::EUR),
    };
    round(&t);
    let s = summarize(
        &[
            t.clone(),
            Transaction {
                date: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
                ..t
            },
        ],
        PeriodLength::Day,
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        Currency::EUR,
    )
    .unwrap();
    round(&s);
    // A one-time buyer has no value; a repeat buyer has one; recency
    // lies in [0, T] and is 0 without repeat purchases.
    let rfm = |f: u64, r: i64, t: i64, v: &str| {
        let text = format!(
            r#"{{"customer":"ann","frequency":{f},"recency":{r},"T":{t},"monetary_value":{v}}}"#
        );
        serde_json::from_str::<CustomerRfm<String>>(&text)
    };
    let value = r#"{"amount":"19.90","currency":"EUR"}"#;
    let once = rfm(0, 0, 30, "null").unwrap();
    assert_eq!((once.frequency, once.monetary_value), (0, None));
    round(&once);
    assert!(rfm(2, 8, 30, value).is_ok());
    for (f, r, t, v) in [
        (0, 4, 30, "null"),
        (0, 0, 30, value),
        (2, 8, 30, "null"),
        (2, 31, 30, value),
        (2, -1, 30, value),
    ] {
        assert!(rfm(f, r, t, v).is_err(), "{f} {r} {t} {v}");
    }
    let v = discounted_clv(
        &cdnow(),
        &History::new(2, 30.43, 38.86).unwrap(),
        Money::new(dec!(35), Currency::USD),
        &Discounting {
            periods: 3,
            units_per_period: 4.33,
            discount_rate: 0.01,
            margin: revops::Ratio::new(dec!(0.3)).unwrap(),
        },
    )
    .unwrap();
    round(&v);
}

/// The purchase-model trait gives each model's own answers: its named
/// parameters in the papers' order, and every method as the model's own.
#[test]
fn purchase_model_trait_is_each_models_own() {
    fn check<M: PurchaseModel<History = History>>(m: M, names: [&str; 4], params: [f64; 4]) {
        let named = m.named_params();
        assert_eq!(named.len(), 4, "{}", M::NAME);
        for ((n, v), (want_n, want_v)) in named.iter().zip(names.iter().zip(params)) {
            assert_eq!((n, *v), (want_n, want_v), "{}", M::NAME);
        }
        let h = History::new(2, 30.43, 38.86).unwrap();
        assert!(m.log_likelihood(&h).unwrap() < 0.0);
        let p = m.probability_alive(&h).unwrap();
        assert!(p > 0.0 && p < 1.0, "{}: {p}", M::NAME);
        assert!(m.expected_purchases(39.0).unwrap() > 0.0);
        assert!(m.conditional_expected_purchases(&h, 39.0).unwrap() > 0.0);
        let p0 = m.probability_of_purchases(39.0, 0).unwrap();
        assert!(p0 > 0.0 && p0 < 1.0);
    }
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let mbg = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
    let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    check(bg, BgNbd::NAMES, bg.params());
    check(mbg, MbgNbd::NAMES, mbg.params());
    check(pareto, ParetoNbd::NAMES, pareto.params());
    assert_eq!(
        (BgNbd::NAME, MbgNbd::NAME, ParetoNbd::NAME),
        ("BG/NBD", "MBG/NBD", "Pareto/NBD")
    );
    // The trait's methods are the models' own, value for value.
    let h = History::new(3, 20.0, 35.0).unwrap();
    assert_eq!(
        PurchaseModel::probability_alive(&pareto, &h).unwrap(),
        pareto.probability_alive(&h).unwrap()
    );
    assert_eq!(
        PurchaseModel::conditional_expected_purchases(&bg, &h, 10.0).unwrap(),
        bg.conditional_expected_purchases(&h, 10.0).unwrap()
    );
}

/// A customer without repeat purchases: the BG/NBD likelihood is the
/// chance of no purchase while alive, `(α / (α + T))^r` (Fader, Hardie &
/// Lee 2005, eq. 6 with x = 0), whatever a and b are.
#[test]
fn bgnbd_likelihood_without_repeat_purchases() {
    use revops::clv::{BgNbd, History};
    for (r, alpha, a, b, age) in [
        (0.243, 4.414, 0.793, 2.426, 38.86),
        (1.5, 0.7, 2.0, 0.4, 3.0),
        (0.05, 20.0, 0.1, 9.0, 120.0),
    ] {
        let m = BgNbd::new(r, alpha, a, b).unwrap();
        let h = History::new(0, 0.0, age).unwrap();
        let want = r * (alpha / (alpha + age)).ln();
        let got = m.log_likelihood(&h).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}

/// ₂F₁(p, q; c; z), summed term by term until the terms vanish.
fn hyp2f1_series(p: f64, q: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum, mut n) = (1.0f64, 1.0f64, 0.0f64);
    while term.abs() > 1e-17 * sum.abs() && n < 1e6 {
        term *= (p + n) * (q + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        n += 1.0;
    }
    sum
}

/// E[X(t)] and E[Y(t) | x = 0, T] where `a + b > 1` but `a · b < 1` (a =
/// 0.5, b = 0.8): the closed forms exist (only `a + b (+ x) ≤ 1` lacks
/// them) and equal FHL 2005 eq. 9 and eq. 10 (P(alive) = 1 without repeat
/// purchases), the hypergeometric function summed term by term here.
#[test]
fn bgnbd_expectations_with_a_below_one() {
    let (r, alpha, a, b) = (0.24, 4.41, 0.5, 0.8);
    let m = BgNbd::new(r, alpha, a, b).unwrap();
    let eq9 = |age: f64, t: f64| {
        let z = t / (alpha + age + t);
        let f = hyp2f1_series(r, b, a + b - 1.0, z);
        (a + b - 1.0) / (a - 1.0) * (1.0 - ((alpha + age) / (alpha + age + t)).powf(r) * f)
    };
    for t in [1.0, 10.0, 39.0] {
        let got = m.expected_purchases(t).unwrap();
        assert!(
            close(got, eq9(0.0, t), 1e-9),
            "t = {t}: {got} against {}",
            eq9(0.0, t)
        );
        let h = History::new(0, 0.0, 20.0).unwrap();
        let got = m.conditional_expected_purchases(&h, t).unwrap();
        assert!(
            close(got, eq9(20.0, t), 1e-9),
            "t = {t}: {got} against {}",
            eq9(20.0, t)
        );
    }
}
