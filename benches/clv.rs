//! Lifetime-value fits: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on 2,357
//! customers (CDNOW's size and shape, drawn from the published CDNOW
//! parameters), against a derivative-free fit (Nelder–Mead on the public
//! log-likelihood) as the baseline in the same run; and BG/NBD on
//! 1,000,000 customers, the fit plus P(alive) and the expected purchases
//! of the next 39 weeks for every customer; and sBG and BG/BB on their
//! papers' data (the high-end segment's survival table, the donation
//! data's 22 patterns), each against Nelder–Mead in the same run. The
//! bars: sBG at most 0.1 ms, BG/BB at most 1 ms.

mod common;

use std::hint::black_box;

use common::Rng;
use criterion::{criterion_group, criterion_main, Criterion};
use revops::clv::{
    BgBb, BgNbd, DiscreteHistory, FitOptions, GammaGamma, History, MbgNbd, ParetoNbd, Renewals,
    Sbg, Spend,
};

/// A uniform number in (0, 1).
fn uniform(rng: &mut Rng) -> f64 {
    ((rng.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Gamma(k, 1), Marsaglia & Tsang (boosted below 1).
fn gamma(rng: &mut Rng, k: f64) -> f64 {
    if k < 1.0 {
        return gamma(rng, k + 1.0) * uniform(rng).powf(1.0 / k);
    }
    let d = k - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let (u1, u2) = (uniform(rng), uniform(rng));
        let x = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let v = (1.0 + c * x).powi(3);
        if v > 0.0 && uniform(rng).ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// Customers drawn from BG/NBD at the CDNOW parameters, T uniform on
/// [27, 39] weeks in steps of 1/7 week; with each customer's mean spend
/// drawn from Gamma-Gamma at the CDNOW parameters.
fn customers(n: usize, seed: u64) -> (Vec<History>, Vec<Spend>) {
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let (p, q, v) = (6.25, 3.74, 15.44);
    let mut rng = Rng(seed);
    let mut histories = Vec::with_capacity(n);
    let mut spends = Vec::new();
    for _ in 0..n {
        let t = 27.0 + rng.below(85) as f64 / 7.0;
        let lambda = gamma(&mut rng, r) / alpha;
        let x1 = gamma(&mut rng, a);
        let drop = x1 / (x1 + gamma(&mut rng, b));
        let (mut x, mut now, mut last) = (0u64, 0.0, 0.0);
        loop {
            now += -uniform(&mut rng).ln() / lambda;
            if now > t {
                break;
            }
            x += 1;
            last = now;
            if uniform(&mut rng) < drop {
                break;
            }
        }
        // Weeks to two decimals, as CDNOW's summary writes them.
        let round = |w: f64| (w * 100.0).round() / 100.0;
        histories
            .push(History::new(x, round(last).min(round(t)), round(t)).expect("a valid history"));
        if x > 0 {
            let nu = gamma(&mut rng, q) / v;
            let total: f64 = (0..x).map(|_| gamma(&mut rng, p) / nu).sum();
            spends.push(Spend::new(x, total / x as f64).expect("a positive spend"));
        }
    }
    (histories, spends)
}

/// Nelder–Mead over the logarithms of the parameters, minimising `f`:
/// the derivative-free baseline (what a fit without gradients does).
fn nelder_mead<const N: usize>(f: impl Fn(&[f64; N]) -> f64, start: [f64; N]) -> [f64; N] {
    let mut simplex: Vec<([f64; N], f64)> = (0..=N)
        .map(|i| {
            let mut x = start;
            if i > 0 {
                x[i - 1] += 0.5;
            }
            (x, f(&x))
        })
        .collect();
    for _ in 0..20_000 {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        if (simplex[N].1 - simplex[0].1).abs() < 1e-12 * (1.0 + simplex[0].1.abs()) {
            break;
        }
        let mut centroid = [0.0; N];
        for (x, _) in &simplex[..N] {
            for k in 0..N {
                centroid[k] += x[k] / N as f64;
            }
        }
        let towards = |c: f64| {
            let mut y = [0.0; N];
            for k in 0..N {
                y[k] = centroid[k] + c * (simplex[N].0[k] - centroid[k]);
            }
            (y, f(&y))
        };
        let reflected = towards(-1.0);
        if reflected.1 < simplex[0].1 {
            let expanded = towards(-2.0);
            simplex[N] = if expanded.1 < reflected.1 {
                expanded
            } else {
                reflected
            };
        } else if reflected.1 < simplex[N - 1].1 {
            simplex[N] = reflected;
        } else {
            let contracted = towards(0.5);
            if contracted.1 < simplex[N].1 {
                simplex[N] = contracted;
            } else {
                let best = simplex[0].0;
                for (x, v) in simplex.iter_mut().skip(1) {
                    for k in 0..N {
                        x[k] = best[k] + 0.5 * (x[k] - best[k]);
                    }
                    *v = f(x);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex[0].0
}

fn bench(c: &mut Criterion) {
    let (histories, spends) = customers(2_357, 2005);
    let opts = FitOptions::default();
    // The fits must agree before their times mean anything.
    let fit = BgNbd::fit(&histories, &opts).expect("BG/NBD fits");
    let nm = nelder_mead(
        |y: &[f64; 4]| {
            let [r, alpha, a, b] = y.map(f64::exp);
            BgNbd::new(r, alpha, a, b)
                .and_then(|m| m.total_log_likelihood(&histories))
                .map_or(f64::INFINITY, |ll| -ll)
        },
        [0.1; 4],
    );
    let nm_model = {
        let [r, alpha, a, b] = nm.map(f64::exp);
        BgNbd::new(r, alpha, a, b).expect("positive")
    };
    assert!((nm_model.total_log_likelihood(&histories).unwrap() - fit.log_likelihood).abs() < 1e-3);

    let mut g = c.benchmark_group("clv_2357_customers");
    g.sample_size(20);
    g.bench_function("bgnbd_fit", |b| {
        b.iter(|| BgNbd::fit(black_box(&histories), &opts).expect("fits"))
    });
    g.bench_function("mbgnbd_fit", |b| {
        b.iter(|| MbgNbd::fit(black_box(&histories), &opts).expect("fits"))
    });
    g.bench_function("pareto_nbd_fit", |b| {
        b.iter(|| ParetoNbd::fit(black_box(&histories), &opts).expect("fits"))
    });
    g.bench_function("gamma_gamma_fit", |b| {
        b.iter(|| GammaGamma::fit(black_box(&spends), &opts).expect("fits"))
    });
    g.bench_function("baseline_bgnbd_nelder_mead", |b| {
        b.iter(|| {
            nelder_mead(
                |y: &[f64; 4]| {
                    let [r, alpha, a, bb] = y.map(f64::exp);
                    BgNbd::new(r, alpha, a, bb)
                        .and_then(|m| m.total_log_likelihood(black_box(&histories)))
                        .map_or(f64::INFINITY, |ll| -ll)
                },
                [0.1; 4],
            )
        })
    });
    g.finish();

    // Contractual churn and discrete opportunities on their papers' data:
    // Fader & Hardie's high-end segment (1,000 customers, 8 counts) and
    // the donation data (11,104 donors in 22 patterns).
    let high_end = Renewals::from_survival(&[1000, 869, 743, 653, 593, 551, 517, 491])
        .expect("a survival table");
    let donations: Vec<(DiscreteHistory, u64)> = include_str!("../tests/data/bgbb.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<u64> = l
                .split(',')
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            DiscreteHistory::new(f[0], f[1], f[2])
                .ok()
                .map(|h| (h, f[3]))
        })
        .collect();
    let sbg_nm = |data: &Renewals| {
        nelder_mead(
            |y: &[f64; 2]| {
                let [a, b] = y.map(f64::exp);
                Sbg::new(a, b).map_or(f64::INFINITY, |m| -m.log_likelihood(data))
            },
            [0.1; 2],
        )
    };
    let bgbb_nm = |data: &[(DiscreteHistory, u64)]| {
        nelder_mead(
            |y: &[f64; 4]| {
                let [a, b, g, d] = y.map(f64::exp);
                BgBb::new(a, b, g, d).map_or(f64::INFINITY, |m| {
                    -data
                        .iter()
                        .map(|(h, c)| *c as f64 * m.log_likelihood(h))
                        .sum::<f64>()
                })
            },
            [0.1; 4],
        )
    };
    let sbg = Sbg::fit(&high_end, &opts).expect("sBG fits");
    let [a, b] = sbg_nm(&high_end).map(f64::exp);
    let nm_ll = Sbg::new(a, b).expect("positive").log_likelihood(&high_end);
    assert!(
        (nm_ll - sbg.log_likelihood).abs() < 1e-3,
        "{nm_ll} vs {}",
        sbg.log_likelihood
    );
    let bgbb = BgBb::fit_counts(&donations, &opts).expect("BG/BB fits");
    let [a, b, g, d] = bgbb_nm(&donations).map(f64::exp);
    let m = BgBb::new(a, b, g, d).expect("positive");
    let nm_ll: f64 = donations
        .iter()
        .map(|(h, c)| *c as f64 * m.log_likelihood(h))
        .sum();
    assert!(
        (nm_ll - bgbb.log_likelihood).abs() < 1e-3,
        "{nm_ll} vs {}",
        bgbb.log_likelihood
    );
    let mut g = c.benchmark_group("clv_published_data");
    g.sample_size(50);
    g.bench_function("sbg_fit_high_end", |b| {
        b.iter(|| Sbg::fit(black_box(&high_end), &opts).expect("fits"))
    });
    g.bench_function("baseline_sbg_nelder_mead", |b| {
        b.iter(|| sbg_nm(black_box(&high_end)))
    });
    g.bench_function("bgbb_fit_donations", |b| {
        b.iter(|| BgBb::fit_counts(black_box(&donations), &opts).expect("fits"))
    });
    g.bench_function("baseline_bgbb_nelder_mead", |b| {
        b.iter(|| bgbb_nm(black_box(&donations)))
    });
    g.finish();

    let (million, _) = customers(1_000_000, 39);
    let mut g = c.benchmark_group("clv_1m_customers");
    g.sample_size(10);
    g.bench_function("bgnbd_fit_and_predict_every_customer", |b| {
        b.iter(|| {
            let fit = BgNbd::fit(black_box(&million), &opts).expect("fits");
            let mut sum = 0.0;
            for h in &million {
                sum += fit.params.probability_alive(h).expect("finite");
                sum += fit
                    .params
                    .conditional_expected_purchases(h, 39.0)
                    .expect("a prediction");
            }
            sum
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
