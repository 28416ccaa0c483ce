//! The chain's solver: expected conversions and value from every state,
//! per strongly connected component, exactly by elimination up to
//! [`DENSE_LIMIT`] states, else by Gauss–Seidel sweeps.

use super::chain::Chain;
use crate::error::{Error, Result};

/// The Gauss–Seidel stopping rule: the bound on the remaining error,
/// relative to the largest value, below this.
///
/// The bound is `Δ / (1 − ρ)`: the last sweep's largest change over one
/// minus the rate of contraction, the larger of the last sweep's and the
/// mean of the last 32. A component that contracts so slowly that the
/// changes reach rounding first (4 units of rounding of the largest
/// value) stops there, with a relative error of about `4ε / (1 − ρ)`
/// (about 10⁻¹² at ρ = 0.999; ε = 2.2·10⁻¹⁶).
const TOLERANCE: f64 = 1e-13;
/// The sweeps over which the Gauss–Seidel rate of contraction is also
/// measured (see [`TOLERANCE`]).
const RATE_SPAN: usize = 32;
/// A Gauss–Seidel change of at most this many units of rounding of the
/// largest value ends the sweeps: more cannot bring the values nearer.
const ROUNDING_FLOOR: f64 = 4.0;
/// The most Gauss–Seidel sweeps of one solve before
/// [`Error::NotConverged`].
const MAX_SWEEPS: usize = 100_000;
/// The largest strongly connected component solved exactly by
/// elimination; larger ones are solved by Gauss–Seidel sweeps.
const DENSE_LIMIT: usize = 256;

/// The transient chain in solvable form.
pub(super) struct System {
    /// Per transient state: transient targets with probabilities.
    pub(super) probs: Vec<Vec<(usize, f64)>>,
    /// Per transient state: `(p(conversion), p(conversion) · v̄)`.
    reward: Vec<(f64, f64)>,
    /// Per transient state: the probability of absorption in one step
    /// (conversion or null), summed from counts, never `1 − Σ p`.
    exit: Vec<f64>,
    /// Strongly connected components, each after every component it
    /// leads to (Tarjan's order).
    components: Vec<Vec<usize>>,
}

/// Tarjan's strongly connected components of the graph `edges` over
/// `0..n`, iteratively (no recursion, so no stack overflow on long chains),
/// in reverse topological order: a component comes after every component
/// it has an edge to.
pub(super) fn components(n: usize, edges: &[Vec<(usize, f64)>]) -> Vec<Vec<usize>> {
    const NONE: usize = usize::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut next = 0usize;
    // (node, position in its edge list)
    let mut call: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        call.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = call.last_mut() {
            if let Some(&(w, _)) = edges[v].get(*pos) {
                *pos += 1;
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comp.sort_unstable();
                    out.push(comp);
                }
            }
        }
    }
    out
}

impl System {
    pub(super) fn new(chain: &Chain) -> System {
        let n = chain.conv;
        let mut probs = Vec::with_capacity(n);
        let mut reward = vec![(0.0, 0.0); n];
        let mut exit = vec![0.0; n];
        for (s, row) in chain.out.iter().take(n).enumerate() {
            let total: u128 = row.iter().map(|&(_, c)| u128::from(c)).sum();
            if total == 0 {
                // A state no journey left (paths of rows without any
                // journey, conversions and nulls both 0): it leads
                // nowhere, so it converts with probability 0.
                exit[s] = 1.0;
                probs.push(Vec::new());
                continue;
            }
            let total = total as f64;
            let mut list = Vec::with_capacity(row.len());
            let mut absorbed: u128 = 0;
            for &(t, c) in row.iter().filter(|&&(_, c)| c > 0) {
                let p = c as f64 / total;
                if t == chain.conv {
                    let mean_value = if chain.value_conv[s] > 0 {
                        chain.value_sum[s] / chain.value_conv[s] as f64
                    } else {
                        0.0
                    };
                    reward[s] = (p, p * mean_value);
                    absorbed += u128::from(c);
                } else if t == chain.null {
                    absorbed += u128::from(c);
                } else {
                    list.push((t, p));
                }
            }
            exit[s] = absorbed as f64 / total;
            probs.push(list);
        }
        let components = components(n, &probs);
        System {
            probs,
            reward,
            exit,
            components,
        }
    }

    /// Solves for `(h(start), g(start))` with the states in `dead` sent to
    /// `(null)`, and the Gauss–Seidel sweeps used (0 when every component
    /// was solved by elimination).
    pub(super) fn solve(
        &self,
        dead: &[bool],
        full: Option<(&[f64], &[f64])>,
    ) -> Result<(Vec<f64>, Vec<f64>, usize)> {
        let n = self.probs.len();
        // With the full chain's solution given, only the components that
        // can reach a removed state change; the others keep their values,
        // and the iterative solves start from them.
        let (mut h, mut g) = match full {
            Some((h, g)) => (h.to_vec(), g.to_vec()),
            None => (vec![0.0f64; n], vec![0.0f64; n]),
        };
        let mut changed = vec![full.is_none(); n];
        let mut local = vec![usize::MAX; n];
        let mut sweeps = 0;
        let mut alive: Vec<usize> = Vec::new();
        for comp in &self.components {
            if full.is_some() {
                let affected = comp
                    .iter()
                    .any(|&s| dead[s] || self.probs[s].iter().any(|&(t, _)| changed[t]));
                if !affected {
                    continue;
                }
                for &s in comp {
                    changed[s] = true;
                    if dead[s] {
                        h[s] = 0.0;
                        g[s] = 0.0;
                    }
                }
            }
            alive.clear();
            alive.extend(comp.iter().copied().filter(|&s| !dead[s]));
            if alive.is_empty() {
                continue;
            }
            for (i, &s) in alive.iter().enumerate() {
                local[s] = i;
            }
            if alive.len() <= DENSE_LIMIT {
                self.eliminate(&alive, &local, dead, &mut h, &mut g);
            } else {
                sweeps = sweeps.max(self.sweep(&alive, &local, dead, &mut h, &mut g)?);
            }
            for &s in &alive {
                local[s] = usize::MAX;
            }
        }
        Ok((h, g, sweeps))
    }

    /// Exact solve of one component by GTH state elimination.
    fn eliminate(
        &self,
        alive: &[usize],
        local: &[usize],
        dead: &[bool],
        h: &mut [f64],
        g: &mut [f64],
    ) {
        let m = alive.len();
        let mut a = vec![0.0f64; m * m];
        // Outflow from each state to anything outside the remaining states.
        let mut o = vec![0.0f64; m];
        let mut bh = vec![0.0f64; m];
        let mut bg = vec![0.0f64; m];
        for (i, &s) in alive.iter().enumerate() {
            o[i] = self.exit[s];
            bh[i] = self.reward[s].0;
            bg[i] = self.reward[s].1;
            for &(t, p) in &self.probs[s] {
                if dead[t] {
                    o[i] += p;
                } else if local[t] != usize::MAX {
                    a[i * m + local[t]] += p;
                } else {
                    // A later component, already solved.
                    o[i] += p;
                    bh[i] += p * h[t];
                    bg[i] += p * g[t];
                }
            }
        }
        let mut d = vec![0.0f64; m];
        for k in 0..m {
            // The pivot 1 − a_kk, as a sum of the other outflows.
            let dk = o[k] + a[k * m + k + 1..(k + 1) * m].iter().sum::<f64>();
            d[k] = dk;
            if dk <= 0.0 {
                continue; // no way out: h = g = 0 (cannot happen for a fitted chain)
            }
            for i in k + 1..m {
                let aik = a[i * m + k];
                if aik == 0.0 {
                    continue;
                }
                let f = aik / dk;
                a[i * m + k] = 0.0;
                for j in k + 1..m {
                    let akj = a[k * m + j];
                    if akj != 0.0 {
                        a[i * m + j] += f * akj;
                    }
                }
                o[i] += f * o[k];
                bh[i] += f * bh[k];
                bg[i] += f * bg[k];
            }
        }
        let mut xh = vec![0.0f64; m];
        let mut xg = vec![0.0f64; m];
        for k in (0..m).rev() {
            if d[k] <= 0.0 {
                continue;
            }
            let (mut sh, mut sg) = (bh[k], bg[k]);
            for j in k + 1..m {
                let akj = a[k * m + j];
                sh += akj * xh[j];
                sg += akj * xg[j];
            }
            xh[k] = sh / d[k];
            xg[k] = sg / d[k];
        }
        for (i, &s) in alive.iter().enumerate() {
            h[s] = xh[i];
            g[s] = xg[i];
        }
    }

    /// Gauss–Seidel on one large component, stopped by the error bound.
    fn sweep(
        &self,
        alive: &[usize],
        local: &[usize],
        dead: &[bool],
        h: &mut [f64],
        g: &mut [f64],
    ) -> Result<usize> {
        // The part of each state's equation that comes from later
        // components is fixed: compute it once.
        let mut base: Vec<(f64, f64)> = Vec::with_capacity(alive.len());
        for &s in alive {
            let (mut bh, mut bg) = self.reward[s];
            for &(t, p) in &self.probs[s] {
                if !dead[t] && local[t] == usize::MAX {
                    bh += p * h[t];
                    bg += p * g[t];
                }
            }
            base.push((bh, bg));
        }
        let mut prev_delta = f64::INFINITY;
        // The changes of the last RATE_SPAN sweeps, by sweep number
        // modulo RATE_SPAN.
        let mut recent = [f64::INFINITY; RATE_SPAN];
        for sweep in 1..=MAX_SWEEPS {
            let mut delta = 0.0f64;
            let mut scale = 0.0f64;
            // From the last state to the first: later states tend to be
            // nearer the end of paths, so values flow back fast.
            for (i, &s) in alive.iter().enumerate().rev() {
                let (mut hs, mut gs) = base[i];
                for &(t, p) in &self.probs[s] {
                    if local[t] != usize::MAX {
                        hs += p * h[t];
                        gs += p * g[t];
                    }
                }
                delta = delta.max((hs - h[s]).abs()).max((gs - g[s]).abs());
                scale = scale.max(hs.abs()).max(gs.abs());
                h[s] = hs;
                g[s] = gs;
            }
            let scale = scale.max(f64::MIN_POSITIVE);
            if delta == 0.0 || delta <= ROUNDING_FLOOR * f64::EPSILON * scale {
                // Converged, or the changes are rounding: more sweeps
                // cannot bring the values nearer.
                return Ok(sweep);
            }
            // The rate of contraction, known from the second sweep on: the
            // larger of the last sweep's and the mean over the last
            // RATE_SPAN sweeps. One sweep's ratio alone turns noisy as the
            // changes near rounding (a ratio of 0.96 where the chain
            // contracts by 0.999 stopped a slow ring 40 times early).
            let span = std::mem::replace(&mut recent[sweep % RATE_SPAN], delta);
            let mut rate = delta / prev_delta;
            if span.is_finite() {
                rate = rate.max((delta / span).powf(1.0 / RATE_SPAN as f64));
            }
            if sweep > 1 && rate < 1.0 && delta / (1.0 - rate) <= TOLERANCE * scale {
                return Ok(sweep);
            }
            prev_delta = delta;
        }
        Err(Error::NotConverged {
            operation: "Markov attribution".into(),
            iterations: MAX_SWEEPS as u64,
        })
    }
}
