//! The Pareto/NBD likelihood's integral in bounded work for every
//! parameter: `U(A, c, z) = Σₙ (c)ₙ/n! zⁿ/(A+n)` for `A, c > 0` and
//! `0 ≤ z < 1`, with its derivatives, in log form.
//!
//! `U` is `z^−A J` with `J = ∫₀ᶻ u^(A−1) (1−u)^−c du`. Its power series
//! has positive terms and converges with ratio `z`, so it is summed
//! directly when it settles within a few hundred terms. Otherwise (`z`
//! near 1, or a large `c·z`) `J` is taken in three pieces, each in bounded
//! work:
//!
//! - `u ≤ u_L = 1/(2 max(c, 1))`: the same series, whose ratio is then at
//!   most 1/2;
//! - in `η = −ln(1−u)`, where `J`'s integrand is `f(η) = (1−e^−η)^(A−1)
//!   e^((c−1)η)` (concave in `ln f` for `A ≥ 1`, convex for `A ≤ 1`):
//!   20-point Gauss-Legendre panels from `η_L` to `η_U = ln(2 max(A−1,
//!   1))`, each no wider than its distance to the singularity at 0 and
//!   short enough that `ln f` moves by at most [`STEP`] across it;
//!   stretches where `f` is below `e^−CUT` of its largest value are
//!   skipped (located by bisection, which the shape of `ln f` makes
//!   exact);
//! - `η ≥ η_U`: the binomial series of `(1−e^−η)^(A−1)` integrated term by
//!   term in closed form (ratio at most 1/2 again).
//!
//! The relative error is of the order of 1e-14 at moderate parameters
//! (the quadrature's error is below 1e-25 of a panel; what is left is
//! rounding), and up to about 1e-12 with `A` in the thousands and beyond
//! (8e-13 against mpmath at `A = 1e5`, `c = 2`, `z = 0.9975`; the tests
//! hold 1e-12), plus the rounding of `ln f`'s terms of size `A ln z`:
//! an absolute error of about `ε A ln(1/z)` (3e-11 at `A = 1e7`, `z =
//! 0.99`; `ln u` itself is taken to full relative precision near `u =
//! 1`). The derivatives carry more: `∂ ln U/∂z` is `e^(ln f_u(z)
//! − ln J) − A/z`, whose exponent is a difference of two numbers of `ln
//! J`'s size, so its relative precision is a few ulps of `ln J = ln U +
//! A ln z` over the result (1e-5 at `c = 1e10`, 4e-5 at `A = 1e7`, `c =
//! 0.02`, `z = 0.99`); `∂ ln U/∂A` with `c` far above `A` (which the model never
//! asks: there `A = r + s + x > c − 1`) is a small difference of two
//! terms of `ln z`'s size, good to about 1e-8 absolutely at `c = 1e9`.
//! The work is at most
//! [`MAX_PANELS`] panels and a few hundred series terms, whatever the
//! parameters.

use crate::error::{Error, Result};

/// The positive nodes of 20-point Gauss-Legendre quadrature on [−1, 1]
/// and their weights (the rule is symmetric), to 20 digits as computed
/// (the nearest `f64` is what is used).
#[allow(clippy::excessive_precision)]
pub(super) const GAUSS_LEGENDRE_20: [(f64, f64); 10] = [
    (0.076_526_521_133_497_333_755, 0.152_753_387_130_725_850_7),
    (0.227_785_851_141_645_078_08, 0.149_172_986_472_603_746_79),
    (0.373_706_088_715_419_560_67, 0.142_096_109_318_382_051_33),
    (0.510_867_001_950_827_098, 0.131_688_638_449_176_626_9),
    (0.636_053_680_726_515_025_45, 0.118_194_531_961_518_417_31),
    (0.746_331_906_460_150_792_61, 0.101_930_119_817_240_435_04),
    (0.839_116_971_822_218_823_39, 0.083_276_741_576_704_748_725),
    (0.912_234_428_251_325_905_87, 0.062_672_048_334_109_063_57),
    (0.963_971_927_277_913_791_27, 0.040_601_429_800_386_941_331),
    (0.993_128_599_185_094_924_79, 0.017_614_007_139_152_118_312),
];

/// The most terms the direct series may need before the pieces are used
/// instead (an estimate from `c`, `z`).
const DIRECT_TERMS: f64 = 500.0;

/// The most terms of any series here (each converges with ratio at most
/// 1/2 where it is used, so about 60 suffice).
const MAX_TERMS: usize = 4096;

/// How far `ln f` may move across one quadrature panel.
const STEP: f64 = 8.0;

/// Below `e^−CUT` of the integrand's largest value, a stretch is skipped.
const CUT: f64 = 50.0;

/// The most quadrature panels of one integral.
pub(super) const MAX_PANELS: usize = 4096;

/// Where a series stops: when the terms left cannot add this share of
/// the sum.
const TRUNCATION: f64 = 1e-15;

/// The same for the sums behind the derivatives: the fit's gradient
/// needs far fewer digits than its likelihood (its tolerance is 1e-9).
const GRADIENT_TRUNCATION: f64 = 1e-12;

/// `ln U` and its derivatives over `c`, `A` and `z`; the last times `1 −
/// z`, which keeps it finite however near 1 `z` lies (`∂ ln U/∂z` itself
/// grows like `(c − 1)/(1 − z)`, past the largest `f64` once `1 − z` is
/// below about 1e-308).
#[derive(Clone, Copy, Debug)]
pub(super) struct LnU {
    pub(super) ln_u: f64,
    pub(super) d_c: f64,
    pub(super) d_a: f64,
    /// `(1 − z) ∂ ln U/∂z`.
    pub(super) d_z_1mz: f64,
}

fn not_converged(what: &'static str, iterations: usize) -> Error {
    Error::NotConverged {
        operation: what.into(),
        iterations: iterations as u64,
    }
}

/// `ln U(A, c, z)` with its derivatives, given `z` and `1 − z` as the
/// ratio `other / base` of two positive numbers (so that `1 − z` keeps
/// its digits when `z` rounds to 1). `recip` holds `1/k` for small `k`
/// (or is empty).
///
/// # Errors
///
/// [`Error::NotConverged`] if a bound is reached (not seen for finite
/// parameters) or the result is not finite.
pub(super) fn ln_u(
    a: f64,
    c: f64,
    z: f64,
    (other, base): (f64, f64),
    recip: &[f64],
) -> Result<LnU> {
    if z < f64::MIN_POSITIVE.sqrt() {
        // U is its first term; the second is below 1e-150 of it.
        return Ok(LnU {
            ln_u: -a.ln(),
            d_c: 0.0,
            d_a: -1.0 / a,
            // (1 − z rounds to 1.)
            d_z_1mz: c * a / (a + 1.0),
        });
    }
    let one_minus_z = other / base;
    let estimate = (c * z + 37.0) / one_minus_z;
    let out = if estimate <= DIRECT_TERMS {
        let s = series(a, c, z, recip)?;
        LnU {
            ln_u: s.u.ln(),
            d_c: s.u_c / s.u,
            d_a: s.u_a / s.u,
            d_z_1mz: s.u_n * one_minus_z / (z * s.u),
        }
    } else {
        // ln(1 − z), from the two numbers (it is only needed here).
        let ln_1mz = (other.ln() - base.ln()).min(0.0);
        by_pieces(a, c, z, ln_1mz, recip)?
    };
    if [out.ln_u, out.d_c, out.d_a, out.d_z_1mz]
        .iter()
        .all(|v| v.is_finite())
    {
        Ok(out)
    } else {
        Err(not_converged("Pareto/NBD likelihood integral", 0))
    }
}

/// The sums of the direct series: `U = Σ tₙ`, `∂U/∂c = Σ tₙ hₙ`, `∂U/∂A =
/// −Σ tₙ/(A+n)` and `Σ n tₙ` (`z ∂U/∂z`).
struct Sums {
    u: f64,
    u_c: f64,
    u_a: f64,
    u_n: f64,
}

/// The direct series (see [`Series`]).
fn series(a: f64, c: f64, z: f64, recip: &[f64]) -> Result<Sums> {
    let mut s = Series {
        z,
        da: a + 1.0,
        dc: c,
        nf: 0.0,
        p: 1.0,
        inv: 1.0 / a,
        h: 0.0,
        u: 0.0,
        u_h: 0.0,
        u_a: 0.0,
        u_n: 0.0,
    };
    let mut converged = recip.iter().skip(1).any(|&k| s.step(k));
    if !converged {
        let first = recip.len().max(1);
        converged = (first..MAX_TERMS).any(|k| s.step(1.0 / k as f64));
    }
    if !converged || !s.u.is_finite() {
        return Err(not_converged("Pareto/NBD likelihood series", MAX_TERMS));
    }
    Ok(Sums {
        u: s.u,
        u_c: s.u_h,
        u_a: s.u_a,
        u_n: s.u_n,
    })
}

/// The running state of the direct series: the n-th term is `tₙ = p
/// inv`, with `p = (c)ₙ zⁿ / n!`, `inv = 1/(A+n)`, `h = Σ_{k<n} 1/(c+k)`,
/// `da = A+n+1`, `dc = c+n`, `nf = n`.
struct Series {
    z: f64,
    da: f64,
    dc: f64,
    nf: f64,
    p: f64,
    inv: f64,
    h: f64,
    u: f64,
    u_h: f64,
    u_a: f64,
    u_n: f64,
}

impl Series {
    /// Adds the n-th term, given `1/(n+1)`, and moves to the next; true
    /// once the terms left cannot add [`TRUNCATION`] of the sum.
    ///
    /// What carries from one term to the next is kept to one product (p
    /// by the ratio (c+n) z/(n+1)) and the sums; one division a term:
    /// 1/(A+n+1) and 1/(c+n) share one.
    #[inline(always)]
    fn step(&mut self, one_over: f64) -> bool {
        let term = self.p * self.inv;
        self.u += term;
        self.u_h += term * self.h;
        self.u_a -= term * self.inv;
        self.u_n += term * self.nf;
        let both = 1.0 / (self.da * self.dc);
        // p_{n+1} = p_n f; the term ratio is f (A+n)/(A+n+1) < f.
        let f = self.dc * one_over * self.z;
        // (At n = 0 the term is the whole sum: never below the share.)
        if term < TRUNCATION * 1e3 * self.u {
            // Every later ratio is below ρ̄ = max(z, f): (c+k)/(k+1)
            // falls with k when c ≥ 1 and stays below 1 when c < 1. So
            // the terms left sum to less than rest = term · ρ̄/(1 − ρ̄),
            // and the weighted sums' terms left to less than rest times
            // their weight's bound: hₖ < h + (k−n)/(c+n), and k.
            let bound = self.z.max(f);
            if bound < 1.0 {
                let room = 1.0 - bound;
                let rest = term * bound / room;
                if rest < TRUNCATION * self.u
                    && rest * (self.h + 1.0 / (self.dc * room)) <= GRADIENT_TRUNCATION * self.u_h
                    && rest * (self.nf + 1.0 / room) <= GRADIENT_TRUNCATION * self.u_n
                {
                    return true;
                }
            }
        }
        self.h += self.da * both;
        self.p *= f;
        self.inv = self.dc * both;
        self.da += 1.0;
        self.dc += 1.0;
        self.nf += 1.0;
        false
    }
}

/// A piece of `J`: `e^m` times `s0` (the piece of `J`), `s1` (of `∫ ln u
/// f`, that is `∂J/∂A`) and `s2` (of `∫ η f`, that is `∂J/∂c`).
#[derive(Clone, Copy, Debug)]
struct Piece {
    m: f64,
    s0: f64,
    s1: f64,
    s2: f64,
}

impl Piece {
    const NONE: Piece = Piece {
        m: f64::NEG_INFINITY,
        s0: 0.0,
        s1: 0.0,
        s2: 0.0,
    };

    /// Adds `w e^ψ (1, l, e)`, rescaling when `ψ` is a new largest.
    #[inline]
    fn add(&mut self, psi: f64, w: f64, l: f64, e: f64) {
        if psi > self.m {
            let k = (self.m - psi).exp();
            self.s0 *= k;
            self.s1 *= k;
            self.s2 *= k;
            self.m = psi;
        }
        let t = w * (psi - self.m).exp();
        self.s0 += t;
        self.s1 += t * l;
        self.s2 += t * e;
    }

    /// The sum of two pieces.
    fn plus(self, o: Piece) -> Piece {
        let (hi, lo) = if self.m >= o.m { (self, o) } else { (o, self) };
        if lo.m == f64::NEG_INFINITY {
            return hi;
        }
        let k = (lo.m - hi.m).exp();
        Piece {
            m: hi.m,
            s0: hi.s0 + k * lo.s0,
            s1: hi.s1 + k * lo.s1,
            s2: hi.s2 + k * lo.s2,
        }
    }
}

/// `ln U` from `J` taken in the three pieces of the module docs.
fn by_pieces(a: f64, c: f64, z: f64, ln_1mz: f64, recip: &[f64]) -> Result<LnU> {
    let big_h = -ln_1mz; // η at u = z
    let ln_z = ln_u_of(big_h);
    let u_l = z.min(0.5 / c.max(1.0));
    // The lower piece: u_L^A U(A, c, u_L).
    let s = series(a, c, u_l, recip)?;
    let ln_ul = u_l.ln();
    let lower = Piece {
        m: a * ln_ul + s.u.ln(),
        s0: 1.0,
        s1: ln_ul + s.u_a / s.u,
        s2: s.u_c / s.u,
    };
    let eta_l = -(-u_l).ln_1p();
    let eta_u = (2.0 * (a - 1.0).max(1.0)).ln().max(eta_l);
    let middle = if big_h > eta_l {
        quadrature(a, c, eta_l, eta_u.min(big_h))?
    } else {
        Piece::NONE
    };
    let upper = if big_h > eta_u {
        binomial(a, c, eta_u, big_h)?
    } else {
        Piece::NONE
    };
    let total = lower.plus(middle).plus(upper);
    let ln_j = total.m + total.s0.ln();
    // ∂ ln J/∂z = f_u(z)/J, f_u(z) = z^(A−1) (1−z)^−c; times 1 − z.
    let d_z_1mz = ((a - 1.0) * ln_z - (c - 1.0) * ln_1mz - ln_j).exp() - a * ln_1mz.exp() / z;
    Ok(LnU {
        ln_u: ln_j - a * ln_z,
        d_c: total.s2 / total.s0,
        d_a: total.s1 / total.s0 - ln_z,
        d_z_1mz,
    })
}

/// `ln u = ln(1 − e^−η)` to full relative precision for every `η > 0`:
/// as the logarithm of `1 − e^−η` where that is at most 1/2, else as
/// `ln_1p(−e^−η)` (the logarithm of a number near 1 would keep only its
/// absolute precision, and `(A−1) ln u` would carry it times `A`).
#[inline]
fn ln_u_of(eta: f64) -> f64 {
    if eta < std::f64::consts::LN_2 {
        (-(-eta).exp_m1()).ln()
    } else {
        (-(-eta).exp()).ln_1p()
    }
}

/// `ln f(η) = (A−1) ln(1−e^−η) + (c−1) η`.
#[inline]
fn psi(a: f64, c: f64, eta: f64) -> f64 {
    (a - 1.0) * ln_u_of(eta) + (c - 1.0) * eta
}

/// `d ln f/dη = (A−1)/(e^η − 1) + (c−1)`.
#[inline]
fn dpsi(a: f64, c: f64, eta: f64) -> f64 {
    (a - 1.0) / eta.exp_m1() + (c - 1.0)
}

/// `∫ f` over `[lo, hi]` (with `∫ ln u f` and `∫ η f`) by Gauss-Legendre
/// panels; see the module docs.
fn quadrature(a: f64, c: f64, lo: f64, hi: f64) -> Result<Piece> {
    let psi = |e: f64| psi(a, c, e);
    let dpsi = |e: f64| dpsi(a, c, e);
    // The largest ln f on [lo, hi]: at an end, or at the mode when ln f
    // is concave with its top inside.
    let mode = if a > 1.0 && c < 1.0 {
        let m = ((a - 1.0) / (1.0 - c)).ln_1p();
        (m > lo && m < hi).then_some(m)
    } else {
        None
    };
    let top = mode
        .map_or(f64::NEG_INFINITY, psi)
        .max(psi(lo))
        .max(psi(hi));
    let target = top - CUT;
    let mut piece = Piece::NONE;
    let mut e = lo;
    for _ in 0..MAX_PANELS {
        if e >= hi {
            return Ok(piece);
        }
        if psi(e) < target {
            // Negligible here. The next point where ln f reaches the
            // target is the only crossing on [e, up] (ln f is concave or
            // convex), if there is one.
            let up = if psi(hi) >= target {
                hi
            } else {
                match mode {
                    Some(m) if m > e && dpsi(e) > 0.0 => m,
                    _ => return Ok(piece),
                }
            };
            // Any start within STEP below the target will do.
            let (mut below, mut above) = (e, up);
            for _ in 0..80 {
                let mid = 0.5 * (below + above);
                if mid <= below || mid >= above {
                    break;
                }
                let p = psi(mid);
                if p >= target {
                    above = mid;
                } else {
                    below = mid;
                    if p >= target - STEP {
                        break;
                    }
                }
            }
            e = below;
        }
        // The panel: no wider than its distance to the singularity at 0,
        // nor than 1, and ln f moving by at most about STEP across it.
        let mut h = (hi - e).min(1.0).min(e);
        let d0 = dpsi(e).abs();
        if d0 > 0.0 {
            h = h.min(STEP / d0);
        }
        // That is enough: dpsi is monotone, and at e + h its size is below
        // STEP/h + 1/e, or below 1 where it changes sign, so ln f moves by
        // at most STEP + 1 (the size at e + h times h, with h ≤ min(e, 1)).
        if e + h <= e {
            return Ok(piece);
        }
        let (mid, half) = (e + 0.5 * h, 0.5 * h);
        for &(x, w) in &GAUSS_LEGENDRE_20 {
            for eta in [mid - half * x, mid + half * x] {
                let ln_u = ln_u_of(eta);
                let psi = (a - 1.0) * ln_u + (c - 1.0) * eta;
                piece.add(psi, w * half, ln_u, eta);
            }
        }
        e += h;
    }
    Err(not_converged(
        "Pareto/NBD likelihood integral (quadrature panels)",
        MAX_PANELS,
    ))
}

/// `∫_0^w e^−μt dt` for `μ ≥ 0`.
fn e1(mu: f64, w: f64) -> f64 {
    let x = mu * w;
    if x < 1e-8 {
        w * (1.0 - 0.5 * x)
    } else {
        w * -(-x).exp_m1() / x
    }
}

/// `∫_0^w t e^−μt dt` for `μ ≥ 0`.
fn e2(mu: f64, w: f64) -> f64 {
    let x = mu * w;
    if x < 0.5 {
        // w² Σ (−x)ᵏ / (k! (k+2)).
        let (mut sum, mut term) = (0.0, 1.0);
        for k in 0..24 {
            sum += term / (k as f64 + 2.0);
            term *= -x / (k as f64 + 1.0);
        }
        w * w * sum
    } else {
        (-(-x).exp_m1() - x * (-x).exp()) / (mu * mu)
    }
}

/// `∫ f` over `[lo, hi]` (with `∫ ln u f` and `∫ η f`) by the binomial
/// series `(1−e^−η)^(A−1) = Σ dₙ e^−nη`, `dₙ = (1−A)ₙ/n!`, each term
/// integrated in closed form; needs `max(A−1, 1) e^−lo ≤ 1/2`.
fn binomial(a: f64, c: f64, lo: f64, hi: f64) -> Result<Piece> {
    let m = (c - 1.0) * if c >= 1.0 { hi } else { lo };
    let w = hi - lo;
    // dₙ and ∂dₙ/∂A.
    let (mut d, mut dd) = (1.0f64, 0.0f64);
    let (mut s0, mut s1, mut s2) = (0.0f64, 0.0f64, 0.0f64);
    for n in 0..MAX_TERMS {
        let lam = c - 1.0 - n as f64;
        // ∫ e^λη and ∫ η e^λη over [lo, hi], over e^m (at most 1).
        let (ei, eeta) = if lam >= 0.0 {
            let k = (lam * hi - m).exp();
            let (x1, x2) = (e1(lam, w), e2(lam, w));
            (k * x1, k * (hi * x1 - x2))
        } else {
            let k = (lam * lo - m).exp();
            let (x1, x2) = (e1(-lam, w), e2(-lam, w));
            (k * x1, k * (lo * x1 + x2))
        };
        let (t0, t1, t2) = (d * ei, dd * ei, d * eeta);
        s0 += t0;
        s1 += t1;
        s2 += t2;
        let small = |t: f64, s: f64| t.abs() <= 1e-17 * s.abs();
        if n > 0 && small(t0, s0) && small(t1, s1) && small(t2, s2) {
            return Ok(Piece { m, s0, s1, s2 });
        }
        let f = 1.0 - a + n as f64;
        let next = n as f64 + 1.0;
        dd = (dd * f - d) / next;
        d = d * f / next;
        if d == 0.0 && dd == 0.0 {
            // A whole: the binomial is a polynomial.
            return Ok(Piece { m, s0, s1, s2 });
        }
    }
    Err(not_converged(
        "Pareto/NBD likelihood integral (binomial series)",
        MAX_TERMS,
    ))
}

#[cfg(test)]
#[path = "tail_tests.rs"]
mod tests;
