//! A small quasi-Newton minimiser (BFGS with a backtracking line search)
//! for the models' few parameters, and the Hessian by differences of the
//! analytic gradient.
//!
//! Deterministic: the same objective and start give the same steps, bit
//! for bit. No randomness anywhere.

#![allow(clippy::needless_range_loop)] // small dense matrices read best by index

use crate::error::{Error, Result};

/// The most BFGS iterations before the fit is declared not converged.
pub(crate) const MAX_ITERATIONS: u64 = 1_000;

/// The most objective evaluations of one minimisation (iterations times
/// line-search steps): with every evaluation bounded, so is every fit.
pub(crate) const MAX_EVALUATIONS: u64 = 4_000;

/// Stop when every gradient component is below this (the objective is a
/// mean over customers, so this is scale-free in their number).
const GRADIENT_TOLERANCE: f64 = 1e-9;

/// The largest |ln θ| a fit accepts: beyond it a parameter is running to
/// 0 or to infinity (the likelihood's supremum is on the model's boundary),
/// and the "optimum" would be garbage.
pub(crate) const MAX_LOG_PARAMETER: f64 = 15.0;

/// Where a search stops as soon as a log-parameter passes it: the point
/// is then outside what [`interior`] accepts, and the search would only
/// follow the likelihood's rise toward the boundary.
const ESCAPE: f64 = MAX_LOG_PARAMETER + 1.0;

/// Refuses a minimum on the boundary of the parameter space (see
/// [`MAX_LOG_PARAMETER`]).
pub(crate) fn interior<const N: usize>(operation: &'static str, min: &Minimum<N>) -> Result<()> {
    if min.x.iter().all(|v| v.abs() <= MAX_LOG_PARAMETER) {
        Ok(())
    } else {
        Err(Error::NotConverged {
            operation: format!("{operation}: a parameter runs to 0 or to infinity (the likelihood has no maximum inside the model)").into(),
            iterations: min.iterations,
        })
    }
}

/// The standard errors of `θ = exp(y)` at a minimum of a mean objective
/// over `n` customers with Hessian `h` over `y`: `θᵢ · sqrt([H⁻¹]ᵢᵢ / n)`
/// (the delta method, `lifetimes`' rule).
///
/// # Errors
///
/// [`Error::NotConverged`] if the Hessian is not positive definite there
/// (singular, or a variance that is not positive): the point is not a
/// proper maximum of the likelihood, and the data do not determine the
/// parameters.
pub(crate) fn standard_errors<const N: usize>(
    operation: &'static str,
    h: &[[f64; N]; N],
    theta: &[f64; N],
    n: f64,
    iterations: u64,
) -> Result<[f64; N]> {
    let bad = || {
        Error::NotConverged {
        operation: format!("{operation}: the data do not determine the parameters (the likelihood is flat at its maximum)").into(),
        iterations,
    }
    };
    let inv = invert(h).ok_or_else(bad)?;
    let mut se = [0.0; N];
    for i in 0..N {
        let var = inv[i][i] / n;
        if !(var.is_finite() && var > 0.0) {
            return Err(bad());
        }
        se[i] = theta[i] * var.sqrt();
    }
    Ok(se)
}

/// The objective every fit minimises, from a total log-likelihood `ll`
/// over `n` customers and its gradient `g` over θ: `−ll/n + penalizer ·
/// Σ θ²` (`lifetimes`' penalized mean), with its gradient over `y = ln θ`;
/// infinite (and a zero gradient) when not finite, which the line search
/// reads as "too far".
pub(crate) fn penalized_mean<const N: usize>(
    ll: f64,
    g: &[f64; N],
    theta: &[f64; N],
    n: f64,
    penalizer: f64,
) -> (f64, [f64; N]) {
    let value = -ll / n + penalizer * theta.iter().map(|t| t * t).sum::<f64>();
    if !value.is_finite() {
        return (f64::INFINITY, [0.0; N]);
    }
    let grad = std::array::from_fn(|k| theta[k] * (-g[k] / n + 2.0 * penalizer * theta[k]));
    (value, grad)
}

/// Checks an objective's analytic gradient against central differences
/// at `y`, with and without a penalizer (the models' unit tests).
#[cfg(test)]
pub(crate) fn assert_gradient_matches<const N: usize>(
    objective: impl Fn(&[f64; N], f64) -> (f64, [f64; N]),
    y: [f64; N],
) {
    for pen in [0.0, 0.1] {
        let (_, g) = objective(&y, pen);
        for k in 0..N {
            let h = 1e-6;
            let (mut up, mut down) = (y, y);
            up[k] += h;
            down[k] -= h;
            let d = (objective(&up, pen).0 - objective(&down, pen).0) / (2.0 * h);
            assert!((g[k] - d).abs() < 1e-6, "{y:?} {k}: {} vs {d}", g[k]);
        }
    }
}

/// What a minimisation found.
pub(crate) struct Minimum<const N: usize> {
    /// The minimising point.
    pub(crate) x: [f64; N],
    /// The iterations it took.
    pub(crate) iterations: u64,
}

/// Minimises `f` (value and gradient) from `start` by BFGS with an Armijo
/// backtracking line search. A non-finite value counts as "too far" (the
/// step is halved), so the objective may return `f64::INFINITY` outside
/// its domain.
///
/// # Errors
///
/// [`Error::NotConverged`], with the reason, if the gradient has not
/// fallen below the tolerance after [`MAX_ITERATIONS`] or
/// [`MAX_EVALUATIONS`], or the line search cannot make progress from a
/// point that is not a minimum.
pub(crate) fn bfgs<const N: usize>(
    operation: &'static str,
    start: [f64; N],
    mut f: impl FnMut(&[f64; N]) -> (f64, [f64; N]),
) -> Result<Minimum<N>> {
    let not_converged = |why: &str, iterations| Error::NotConverged {
        operation: format!("{operation}: {why}").into(),
        iterations,
    };
    let evaluations = std::cell::Cell::new(0u64);
    let mut f = |y: &[f64; N]| {
        evaluations.set(evaluations.get() + 1);
        f(y)
    };
    let mut x = start;
    let (mut fx, mut g) = f(&x);
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid(
            operation,
            "the objective is not finite at the starting point",
        ));
    }
    // The inverse Hessian approximation, starting as the identity.
    let mut h = [[0.0; N]; N];
    for (i, row) in h.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for iteration in 0..MAX_ITERATIONS {
        if g.iter().all(|v| v.abs() < GRADIENT_TOLERANCE) {
            return Ok(Minimum {
                x,
                iterations: iteration,
            });
        }
        // The search direction d = −H g; if it does not descend, restart
        // from the steepest descent.
        let mut d = [0.0; N];
        for i in 0..N {
            d[i] = -(0..N).map(|j| h[i][j] * g[j]).sum::<f64>();
        }
        let mut slope: f64 = (0..N).map(|i| d[i] * g[i]).sum();
        if slope >= 0.0 || !slope.is_finite() {
            for (i, row) in h.iter_mut().enumerate() {
                *row = [0.0; N];
                row[i] = 1.0;
                d[i] = -g[i];
            }
            slope = -(0..N).map(|i| g[i] * g[i]).sum::<f64>();
        }
        // Backtracking: the largest step 2^-k (at most a move of 5 in any
        // log-parameter) with sufficient decrease.
        let longest = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut step = if longest > 5.0 { 5.0 / longest } else { 1.0 };
        let mut next = None;
        for _ in 0..60 {
            if evaluations.get() >= MAX_EVALUATIONS {
                return Err(not_converged(
                    "the likelihood's evaluations ran out (4,000) before its slope vanished",
                    iteration + 1,
                ));
            }
            let mut y = x;
            for i in 0..N {
                y[i] += step * d[i];
            }
            let (fy, gy) = f(&y);
            if fy.is_finite() && gy.iter().all(|v| v.is_finite()) && fy <= fx + 1e-4 * step * slope
            {
                next = Some((y, fy, gy));
                break;
            }
            step *= 0.5;
        }
        // A step too small to move any coordinate is no step at all.
        let next = next.filter(|(y, _, _)| y != &x);
        let Some((y, fy, gy)) = next else {
            // No decrease along a descent direction: at the floating-point
            // floor. Accept the point if its gradient is small relative to
            // the objective, else report the failure.
            let scale = 1.0 + fx.abs();
            if g.iter().all(|v| v.abs() < 1e-6 * scale) {
                return Ok(Minimum {
                    x,
                    iterations: iteration,
                });
            }
            return Err(not_converged(
                "no step along the descent direction raises the likelihood, and its slope has not vanished",
                iteration + 1,
            ));
        };
        // The BFGS update of the inverse Hessian, skipped when the
        // curvature condition fails (it would lose positive definiteness).
        let mut s = [0.0; N];
        let mut q = [0.0; N];
        for i in 0..N {
            s[i] = y[i] - x[i];
            q[i] = gy[i] - g[i];
        }
        let sq: f64 = (0..N).map(|i| s[i] * q[i]).sum();
        if sq > 1e-12 {
            let rho = 1.0 / sq;
            let mut hq = [0.0; N];
            for i in 0..N {
                hq[i] = (0..N).map(|j| h[i][j] * q[j]).sum();
            }
            let qhq: f64 = (0..N).map(|i| q[i] * hq[i]).sum();
            for i in 0..N {
                for j in 0..N {
                    h[i][j] +=
                        (1.0 + qhq * rho) * rho * s[i] * s[j] - rho * (hq[i] * s[j] + s[i] * hq[j]);
                }
            }
        }
        let change = (fx - fy).abs();
        if y.iter().any(|v| v.abs() > ESCAPE) {
            // Running to the boundary: the caller's `interior` refuses it.
            return Ok(Minimum {
                x: y,
                iterations: iteration + 1,
            });
        }
        x = y;
        fx = fy;
        g = gy;
        if change <= 1e-16 * (1.0 + fx.abs()) && g.iter().all(|v| v.abs() < 1e-6) {
            return Ok(Minimum {
                x,
                iterations: iteration + 1,
            });
        }
    }
    Err(not_converged(
        "the slope has not vanished after the iteration limit",
        MAX_ITERATIONS,
    ))
}

/// The Hessian of a function at `x` from central differences of its
/// analytic gradient (step `1e-5 · max(1, |xᵢ|)`), symmetrised.
pub(crate) fn hessian<const N: usize>(
    x: &[f64; N],
    mut gradient: impl FnMut(&[f64; N]) -> [f64; N],
) -> [[f64; N]; N] {
    let mut h = [[0.0; N]; N];
    for i in 0..N {
        let step = 1e-5 * x[i].abs().max(1.0);
        let (mut up, mut down) = (*x, *x);
        up[i] += step;
        down[i] -= step;
        let (gu, gd) = (gradient(&up), gradient(&down));
        for j in 0..N {
            h[i][j] = (gu[j] - gd[j]) / (2.0 * step);
        }
    }
    for i in 0..N {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    h
}

/// The inverse of a small matrix by Gauss–Jordan elimination with partial
/// pivoting; `None` if it is singular (or not finite).
pub(crate) fn invert<const N: usize>(m: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    let mut a = *m;
    let mut inv = [[0.0; N]; N];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for col in 0..N {
        let pivot = (col..N).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))?;
        if !a[pivot][col].is_finite() || a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..N {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for r in 0..N {
            if r != col {
                let factor = a[r][col];
                for j in 0..N {
                    a[r][j] -= factor * a[col][j];
                    inv[r][j] -= factor * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let m = bfgs("rosenbrock", [-1.2, 1.0], |x| {
            let (a, b) = (x[0], x[1]);
            let v = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let g = [
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ];
            (v, g)
        })
        .unwrap();
        assert!((m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6);
        // It stops on the gradient's tolerance, not before.
        let (a, b) = (m.x[0], m.x[1]);
        let g = [
            -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
            200.0 * (b - a * a),
        ];
        assert!(g.iter().all(|v| v.abs() < GRADIENT_TOLERANCE), "{g:?}");
    }

    /// A start where the value or any slope is not finite is refused
    /// before any step.
    #[test]
    fn refuses_a_start_that_is_not_finite() {
        for (v, g) in [
            (1.0, [f64::NAN, 0.0]),
            (1.0, [0.0, f64::INFINITY]),
            (f64::NAN, [0.0, 0.0]),
        ] {
            let mut calls = 0;
            let err = bfgs("start", [0.5, 0.5], |_| {
                calls += 1;
                (v, g)
            })
            .err()
            .unwrap_or_else(|| panic!("{v} {g:?} accepted"));
            assert!(err.to_string().contains("starting point"), "{err}");
            assert_eq!(calls, 1);
        }
    }

    /// No trial point moves more than 5 in any coordinate from the point
    /// it steps from, however steep the start: a steep quadratic from 1
    /// is searched between −4 and 1, and its minimum is found.
    #[test]
    fn a_step_moves_at_most_five() {
        let mut seen = Vec::new();
        let m = bfgs("steep", [1.0], |x| {
            seen.push(x[0]);
            (10.0 * x[0] * x[0], [20.0 * x[0]])
        })
        .unwrap();
        assert!(m.x[0].abs() < 1e-6, "{}", m.x[0]);
        assert!(seen.iter().all(|&x| (-4.0..=1.0).contains(&x)), "{seen:?}");
        assert!(seen.contains(&-4.0), "{seen:?}");
    }

    /// When no step along the slope decreases the value, a point whose
    /// slope is not small is reported as a failure, not a minimum: here
    /// the slope given is wrong (the value, |x|, rises every way from 0
    /// by more than rounding, so no step is ever accepted).
    #[test]
    fn a_slope_that_leads_nowhere_is_a_failure() {
        // Also for a steep wrong slope, whose first trial (x = 5, the
        // longest move) raises the value by less than the slope promises
        // to lower it.
        for slope in [-0.5, -1e5] {
            let err = bfgs("wrong slope", [0.0], |x| (x[0].abs(), [slope]))
                .err()
                .unwrap_or_else(|| panic!("accepted a rise along the slope {slope}"));
            assert!(
                matches!(err, Error::NotConverged { iterations: 1, .. }),
                "{slope}: {err:?}"
            );
        }
        // With a true slope of zero there, the same point is the minimum.
        let m = bfgs("floor", [0.0], |x| (x[0] * x[0] + 1.0, [2.0 * x[0]])).unwrap();
        assert_eq!((m.x, m.iterations), ([0.0], 0));
    }

    /// A minimisation running to the boundary stops at the first point
    /// past it, and counts the iteration that got there.
    #[test]
    fn a_run_to_the_boundary_stops_past_it() {
        let start = ESCAPE - 0.5;
        let m = bfgs("downhill", [start], |x| (-x[0], [-1.0])).unwrap();
        assert_eq!((m.x, m.iterations), ([start + 1.0], 1));
        // Past it is outside what the models accept.
        assert!(m.x[0] > MAX_LOG_PARAMETER);
    }

    /// The evaluation budget ends a search that would go on: here only
    /// every 20th evaluation is finite, so each iteration spends 20 (the
    /// first 19, after the start's), and the 4,000 run out with iteration
    /// 201 about to search.
    #[test]
    fn the_evaluation_budget_ends_the_search() {
        let mut calls = 0u64;
        let err = bfgs("budget", [1.0], |x| {
            calls += 1;
            let v = if calls % 20 == 0 || calls == 1 {
                x[0] * x[0]
            } else {
                f64::NAN
            };
            (v, [2.0 * x[0]])
        })
        .err()
        .expect("converged on 200 tiny steps");
        assert_eq!(calls, MAX_EVALUATIONS);
        assert!(
            matches!(
                err,
                Error::NotConverged {
                    iterations: 201,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("evaluations ran out"), "{err}");
    }

    /// A variance that is not positive is no standard error: a curvature
    /// so large that the variance underflows to 0 is refused like a
    /// negative one, and an ordinary one gives θ·√(H⁻¹/n).
    #[test]
    fn standard_errors_need_positive_variances() {
        let se = standard_errors("se", &[[4.0]], &[3.0], 1.0, 7).unwrap();
        assert_eq!(se, [1.5]);
        for h in [f64::MAX, -4.0] {
            let e = standard_errors("se", &[[h]], &[3.0], 1e20, 7).unwrap_err();
            assert!(
                matches!(e, Error::NotConverged { iterations: 7, .. }),
                "{h}: {e}"
            );
        }
    }

    /// A step that no longer changes a large value, to a point whose
    /// slope is small (below 1e-6, above the gradient tolerance), ends
    /// the search there, counting the iteration that made it.
    #[test]
    fn a_step_that_no_longer_changes_the_value_ends_the_search() {
        let m = bfgs("flat", [2.0], |x| {
            let d = x[0] - 1.0;
            (1e10 + 1e-7 * d * d, [2e-7 * d])
        })
        .unwrap();
        assert_eq!(m.iterations, 1);
        assert!(m.x[0] < 2.0 && m.x[0] > 1.9, "{:?}", m.x);
    }

    /// A start whose slope is already below the tolerance is the
    /// minimum, with no step taken (a step would still lower the value
    /// here).
    #[test]
    fn a_slope_below_the_tolerance_stops_at_once() {
        let start = 0.25 * GRADIENT_TOLERANCE;
        let m = bfgs("square", [start], |x| (x[0] * x[0], [2.0 * x[0]])).unwrap();
        assert_eq!((m.x, m.iterations), ([start], 0));
    }

    /// At the floating-point floor (no trial point lowers the value), a
    /// slope small against the value is a minimum; a value of 0 counts
    /// as 1.
    #[test]
    fn the_floor_with_a_small_slope_is_a_minimum() {
        let m = bfgs("floor", [0.25], |x| {
            let v = if x[0] == 0.25 { 0.0 } else { 1e-12 };
            (v, [1e-8])
        })
        .unwrap();
        assert_eq!((m.x, m.iterations), ([0.25], 0));
        // Small against the value: a slope of 1e-3 beside a value of 1e4
        // is, 0.1 is not.
        for (slope, ok) in [(1e-3, true), (0.1, false)] {
            let r = bfgs("floor", [0.25], |x| {
                let v = if x[0] == 0.25 { 1e4 } else { 1e4 + 1e-6 };
                (v, [slope])
            });
            assert_eq!(r.is_ok(), ok, "{slope}: {:?}", r.err());
        }
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        // f = x² + 3xy + 5y²: H = [[2, 3], [3, 10]], H⁻¹ = [[10, −3], [−3, 2]] / 11.
        let h = hessian(&[0.3, -0.7], |x| {
            [2.0 * x[0] + 3.0 * x[1], 3.0 * x[0] + 10.0 * x[1]]
        });
        assert!((h[0][0] - 2.0).abs() < 1e-6 && (h[0][1] - 3.0).abs() < 1e-6);
        let inv = invert(&h).unwrap();
        assert!((inv[0][0] - 10.0 / 11.0).abs() < 1e-6);
        assert!((inv[0][1] + 3.0 / 11.0).abs() < 1e-6);
        assert!(invert(&[[1.0, 2.0], [2.0, 4.0]]).is_none());
        // A pivot of 1e-300 is still one; below it, the matrix is singular.
        let tiny = invert(&[[1e-300]]).expect("a pivot of 1e-300");
        assert!((tiny[0][0] * 1e-300 - 1.0).abs() < 1e-15);
        assert!(invert(&[[1e-301]]).is_none());
        assert!(invert(&[[f64::NAN]]).is_none());
    }
}
