//! The Pareto/NBD integral `U(A, c, z)` against its series, closed forms,
//! differences and mpmath, over parameters from tiny to huge.

use super::*;

/// The 20-point rule integrates every polynomial of degree up to 39
/// exactly: the even powers' integrals over [−1, 1] are 2/(k+1) (the
/// odd ones vanish by the table's symmetry), and the weights add to 2.
#[test]
fn gauss_legendre_table_is_exact_to_degree_39() {
    for k in (0..=38).step_by(2) {
        let sum: f64 = GAUSS_LEGENDRE_20
            .iter()
            .map(|&(x, w)| 2.0 * w * x.powi(k))
            .sum();
        let want = 2.0 / (k as f64 + 1.0);
        assert!((sum - want).abs() < 4e-16, "x^{k}: {sum} vs {want}");
    }
}

/// ln U by the direct series without a cap (where it converges in
/// reasonable time), for comparison.
fn direct(a: f64, c: f64, z: f64) -> f64 {
    let (mut p, mut sum) = (1.0f64, 0.0f64);
    for n in 0..2_000_000 {
        let k = n as f64;
        let t = p / (a + k);
        sum += t;
        if t < 1e-18 * sum && k > c * z / (1.0 - z) {
            break;
        }
        p *= (c + k) * z / (k + 1.0);
    }
    sum.ln()
}

/// The weighted sums behind the derivatives, `Σ tₙ hₙ`, `−Σ tₙ/(A+n)`
/// and `Σ tₙ n` (`hₙ = Σ_{k<n} 1/(c+k)`), uncapped.
fn direct_weighted(a: f64, c: f64, z: f64) -> [f64; 3] {
    let (mut p, mut h, mut sums) = (1.0f64, 0.0f64, [0.0f64; 3]);
    for n in 0..2_000_000 {
        let k = n as f64;
        let t = p / (a + k);
        let before = sums;
        sums[0] += t * h;
        sums[1] -= t / (a + k);
        sums[2] += t * k;
        if sums == before && k > c * z / (1.0 - z) {
            break;
        }
        h += 1.0 / (c + k);
        p *= (c + k) * z / (k + 1.0);
    }
    sums
}

/// The direct series stops only once the terms left cannot move the
/// sum or its derivative sums: it equals the uncapped sum to rounding.
#[test]
fn series_stops_only_when_the_rest_is_negligible() {
    let (mut worst, mut worst_d) = (0.0f64, 0.0f64);
    for &a in &[0.05, 0.7, 1.0, 4.0, 25.0] {
        for &c in &[0.02, 0.6, 1.0, 1.7, 12.0] {
            for &z in &[0.1f64, 0.5, 0.9, 0.97] {
                let got = series(a, c, z, &[]).unwrap();
                let want = direct(a, c, z);
                worst = worst.max((got.u.ln() - want).abs());
                // The derivative sums, to their own share.
                let [u_c, u_a, u_n] = direct_weighted(a, c, z);
                for (g, w) in [(got.u_c, u_c), (got.u_a, u_a), (got.u_n, u_n)] {
                    worst_d = worst_d.max((g - w).abs() / w.abs());
                }
            }
        }
    }
    assert!(worst < 2e-14, "{worst}");
    // The derivative sums stop when what is left is below 1e-12 of
    // each: that share, and nothing more, is what they may miss.
    assert!(worst_d < GRADIENT_TRUNCATION, "{worst_d}");
}

/// `ln U` in closed form for `A = 1` and `A = 2`, in logs: with `L =
/// −ln(1−z)` and `J₁(c) = ∫₀ᶻ (1−u)^−c du = expm1((c−1) L)/(c−1)`,
/// `U(1, c, z) = J₁(c)/z` and `U(2, c, z) = (J₁(c) − J₁(c−1))/z²`;
/// given `L` (which keeps its digits where `z` rounds to 1).
fn closed_form(a: f64, c: f64, l: f64) -> f64 {
    let z = -(-l).exp_m1();
    // ln J₁(c), without overflow when (c−1) L is large.
    let ln_j1 = |c: f64| {
        let e = (c - 1.0) * l;
        if e > 30.0 {
            e + (-(-e).exp()).ln_1p() - (c - 1.0).ln()
        } else {
            (e.exp_m1() / (c - 1.0)).ln()
        }
    };
    if a == 1.0 {
        ln_j1(c) - z.ln()
    } else {
        let (j, k) = (ln_j1(c), ln_j1(c - 1.0));
        j + (-(k - j).exp()).ln_1p() - 2.0 * z.ln()
    }
}

/// Where no series could run (`c` up to 1e5, `z` up to 1 − 1e-9), the
/// result equals the closed forms; also with `c` a hair above a whole
/// number, where a binomial term's rate `c − 1 − n` is near 0.
#[test]
fn closed_forms_hold_far_beyond_the_series() {
    for a in [1.0, 2.0] {
        for c in [0.3, 1.7, 3.7, 40.5, 1e3, 1e5, 1.0 + 1e-10, 2.0 + 3e-10] {
            for other in [0.7, 0.1, 1e-3, 1e-9] {
                let got = ln_u(a, c, 1.0 - other, (other, 1.0), &[]).unwrap();
                let want = closed_form(a, c, -other.ln());
                assert!(
                    (got.ln_u - want).abs() < 1e-13 * want.abs().max(1.0),
                    "a {a} c {c} 1−z {other}: {} vs {want}",
                    got.ln_u
                );
            }
        }
    }
}

/// The closed forms hold however near 1 `z` lies: `1 − z` as the ratio
/// of two bases down to 1e-600 (`L` = 1,382), far below the smallest
/// `f64`, where every term of the upper piece's series sits at `e^−nL`
/// of its first and the first must not underflow.
#[test]
fn closed_forms_hold_at_any_distance_from_1() {
    for a in [1.0, 2.0] {
        for c in [0.3, 1.7, 3.7, 40.5, 1e3] {
            for (other, base) in [
                (1e-150f64, 1.0f64),
                (1e-300, 1.0),
                (1e-200, 1e200),
                (1e-300, 1e300),
            ] {
                let l = base.ln() - other.ln();
                let got = ln_u(a, c, 1.0, (other, base), &[]);
                let want = closed_form(a, c, l);
                assert!(
                    got.as_ref()
                        .is_ok_and(|u| (u.ln_u - want).abs() < 1e-13 * want.abs().max(1.0)),
                    "a {a} c {c} L {l}: {got:?} vs {want}"
                );
            }
        }
    }
}

/// The pieces agree with the direct series wherever both run, in
/// value and derivatives (the derivatives by differences).
#[test]
fn pieces_agree_with_the_series() {
    // (`by_pieces` directly: `ln_u` would take the series for the
    // smaller z.)
    // With A in the thousands the middle piece carries the integral and
    // ln f falls steeply from its top: the panels must follow its slope.
    // At A = 1.5 the binomial's A-derivative coefficient is exactly 0
    // at n = 2 while the series goes on.
    for &a in &[0.05, 0.7, 1.0, 1.3, 1.5, 4.0, 25.0, 300.0, 3000.0] {
        for &c in &[0.02, 0.6, 1.0, 1.7, 12.0, 150.0] {
            for &z in &[0.3f64, 0.5, 0.9, 0.99, 0.999] {
                let ln_1mz = f64::ln_1p(-z);
                if -c * ln_1mz > 500.0 {
                    continue; // the direct sum's terms would overflow
                }
                let got = by_pieces(a, c, z, ln_1mz, &[]).unwrap();
                let want = direct(a, c, z);
                assert!(
                    (got.ln_u - want).abs() < 1e-12 * want.abs().max(1.0),
                    "a {a} c {c} z {z}: {} vs {want}",
                    got.ln_u
                );
                let h = 1e-6;
                let dc = (direct(a, c + h, z) - direct(a, c - h, z)) / (2.0 * h);
                let da = (direct(a + h, c, z) - direct(a - h, c, z)) / (2.0 * h);
                let hz = h * (1.0 - z);
                let dz = (direct(a, c, z + hz) - direct(a, c, z - hz)) / (2.0 * hz);
                for (g, w) in [(got.d_c, dc), (got.d_a, da), (got.d_z_1mz / (1.0 - z), dz)] {
                    assert!(
                        (g - w).abs() < 1e-5 * w.abs().max(1.0),
                        "a {a} c {c} z {z}: {g} vs {w}"
                    );
                }
            }
        }
    }
}
/// Where `c` is far above `A` (up to 1e10), `∂ ln U/∂c` and `∂ ln
/// U/∂z` equal the differences of the values: the upper piece's series
/// must run until every sum has settled, each against its own size.
/// (`∂ ln U/∂z` is `e^(ln f_u(z) − ln J) − A/z`, a difference of two
/// logarithms about `ln U` in size: its relative precision is a few
/// ulps of `ln U`, 1e-5 at `c = 1e10`.)
#[test]
fn derivatives_equal_differences_at_large_c() {
    for &c in &[1e5, 1e7, 1e9, 1e10] {
        for &a in &[0.05, 0.7, 4.0, 25.0] {
            for &other in &[0.7, 0.1, 1e-3] {
                let at = |c: f64, other: f64| ln_u(a, c, 1.0 - other, (other, 1.0), &[]).unwrap();
                let here = at(c, other);
                // ln U is about −c ln(1−z): steps of c·1e-6 in c and
                // (1−z)·1e-6 in z move it by 1e-6 of itself, far above
                // its rounding, and the second-order error is 1e-13.
                let h = c * 1e-6;
                let d_c = (at(c + h, other).ln_u - at(c - h, other).ln_u) / (2.0 * h);
                assert!(
                    (here.d_c - d_c).abs() < 1e-8 * d_c.abs(),
                    "a {a} c {c} 1−z {other}: {} vs {d_c}",
                    here.d_c
                );
                let h = other * 1e-6;
                let d_z = (at(c, other - h).ln_u - at(c, other + h).ln_u) / (2.0 * h);
                let tolerance = 1e-8 + 8.9e-16 * here.ln_u.abs();
                assert!(
                    (here.d_z_1mz / other - d_z).abs() < tolerance * d_z.abs(),
                    "a {a} c {c} 1−z {other}: {} vs {d_z}",
                    here.d_z_1mz / other
                );
            }
        }
    }
}
/// With `A` at 1e5 and 1e7 the middle piece's panels follow a steep
/// slope, and `(A−1) ln u` must keep `ln u`'s relative precision where
/// `u` is near 1: the pieces equal `ln(₂F₁(c, A; A+1; z)/A)` from mpmath
/// at 40 digits (`mp.hyp2f1(c, A, A + 1, z, maxterms=10**7)`, or, for
/// z = 0.99 and 0.99999, `ln ∫₀ᶻ u^(A−1) (1−u)^−c du − A ln z` by
/// `mp.quad` in `z − u`) to the precision the module documents.
#[test]
fn large_a_equals_the_reference() {
    for &(a, c, z, want) in &[
        (1e5, 1.7, 0.999, 0.213_579_240_379_965_65),
        (1e5, 2.0, 0.9975, 0.462_086_473_936_854_2),
        (1e5, 150.0, 0.3, 41.987_673_484_412_62),
        (1e7, 0.999, 0.9999999, -0.532_603_950_776_147_6),
        (1e7, 0.02, 0.999999999, -15.784_920_071_077_924),
        (1e7, 30.0, 0.9999999, 464.022_430_655_927_4),
        (1e7, 0.02, 0.99, -16.025_992_445_236_557),
        (1e7, 1.5, 0.99999, 1.136_546_941_847_045_5),
    ] {
        let got = by_pieces(a, c, z, f64::ln_1p(-z), &[]).unwrap().ln_u;
        // 1e-12, and the rounding of ln f's terms of size A ln z.
        let tolerance = 1e-12 * f64::abs(want).max(1.0) + 4.0 * f64::EPSILON * a * -f64::ln(z);
        assert!(
            (got - want).abs() < tolerance,
            "a {a} c {c} z {z}: {got} vs {want}"
        );
    }
}
/// `1 − z` comes as a ratio `other/base` (the model's two bases, so it
/// is exact however close z is to 1): the result depends on the
/// ratio alone, on the series' side and on the pieces'.
#[test]
fn one_minus_z_depends_on_the_ratio_alone() {
    for &(a, c, other) in &[(2.5, 0.8, 0.4), (40.0, 3.0, 1e-3), (0.7, 12.0, 1e-7)] {
        let z = 1.0 - other;
        let want = ln_u(a, c, z, (other, 1.0), &[]).unwrap();
        for scale in [1e-3, 7.0, 1e6] {
            let got = ln_u(a, c, z, (other * scale, scale), &[]).unwrap();
            for (g, w) in [
                (got.ln_u, want.ln_u),
                (got.d_c, want.d_c),
                (got.d_a, want.d_a),
            ] {
                assert!(
                    (g - w).abs() <= 1e-13 * w.abs().max(1.0),
                    "a {a} c {c} 1−z {other} scale {scale}: {g} vs {w}"
                );
            }
        }
    }
}
/// The direct series refuses, rather than returning a partial sum,
/// when it cannot settle within its term limit (z so near 1 that the
/// terms fall by 1e-5 a step): `ln_u` never sends it there, the pieces
/// take over long before.
#[test]
fn series_refuses_what_it_cannot_sum() {
    let got = series(1.5, 1.0, 1.0 - 1e-5, &[]);
    assert!(matches!(got, Err(Error::NotConverged { .. })));
    assert!(ln_u(1.5, 1.0, 1.0 - 1e-5, (1e-5, 1.0), &[]).is_ok());
}

/// `ln_u` sends the direct series only what it can sum: across `1 − z`
/// from 0.5 down to 1e-4, and `c` from 0.01 (where the series' terms
/// are small and slow to fall) to 60, at every size of `A`, it answers
/// and equals the uncapped sum.
#[test]
fn the_series_gets_only_what_it_can_sum() {
    for &a in &[0.3, 1.0, 50.0, 1e5] {
        for &c in &[0.01, 0.03, 0.08, 0.3, 1.0, 5.0, 60.0] {
            for i in 0..=32 {
                let other = 0.5 * 5000f64.powf(-f64::from(i) / 32.0);
                let z = 1.0 - other;
                if -c * other.ln() > 500.0 {
                    continue; // the direct sum's terms would overflow
                }
                let got = ln_u(a, c, z, (other, 1.0), &[]);
                let want = direct(a, c, z);
                assert!(
                    got.as_ref()
                        .is_ok_and(|u| (u.ln_u - want).abs() < 1e-12 * want.abs().max(1.0)),
                    "a {a} c {c} 1 − z {other}: {got:?} vs {want}"
                );
            }
        }
    }
}
/// `c` so large that the series hands over at a `z` near 0 (`c z` from
/// 466 to 1,192): ln u near the top end is ln of a small number, which
/// keeps its digits only when taken as `ln(−expm1(−η))`. `z = 2^−k`, so
/// that `1 − z` is exact too. Against `ln(₂F₁(c, A; A+1; z)/A)` from
/// mpmath at 40 digits (`mp.hyp2f1(c, A, A + 1, z, maxterms=10**7)`).
#[test]
fn large_c_at_small_z_equals_the_reference() {
    for &(a, c, k, want) in &[
        (2.5, 1e12, 30, 924.484_358_304_484_7),
        (0.5, 1e11, 27, 738.445_272_530_964_3),
        (30.0, 1e10, 23, 1_184.985_445_412_968_8),
        (1.0, 1e12, 31, 459.517_828_897_124_6),
        (0.05, 2e13, 35, 575.711_643_316_941),
    ] {
        let z = f64::powi(2.0, -k);
        let got = ln_u(a, c, z, (1.0 - z, 1.0), &[]).unwrap().ln_u;
        assert!(
            (got - want).abs() < 1e-13 * want,
            "a {a} c {c} z {z}: {got} vs {want} ({:e})",
            (got - want) / want
        );
    }
}
