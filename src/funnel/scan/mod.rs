//! The per-user scans: ClickHouse's `windowFunnel` level computation (both
//! of its algorithms), the any-order funnel, and the counted chain.

use super::spec::{FunnelKind, FunnelSpec, Modes, MAX_STEPS};

/// One event of one user, ready for the scan: sorted by
/// `(ts, step, channel rank)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ev {
    pub ts: i64,
    /// The 0-based step, or `u8::MAX` for an event that matches no step.
    pub step: u8,
    /// The rank of the channel's name among all names (ties on the same
    /// second go to the lowest rank, the name that sorts first).
    pub rank: u32,
    /// The channel id (index into the registry).
    pub channel: u32,
}

/// The chain a user is counted by: the level reached and the entry
/// channel; its per-step timestamps are in [`Scratch::counted`] (kept out of
/// this struct so that nothing large is copied per user).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counted {
    pub level: usize,
    pub channel: u32,
    /// Whether an exclusion cut the chain short.
    pub disqualified: bool,
}

impl Counted {
    fn none() -> Counted {
        Counted {
            level: 0,
            channel: 0,
            disqualified: false,
        }
    }
}

/// `ts <= first + window`, without overflow.
#[inline]
pub(crate) fn within(ts: i64, first: i64, window: i64) -> bool {
    i128::from(ts) <= i128::from(first) + i128::from(window)
}

/// What ClickHouse's `windowFunnel` does with one event, by its modes,
/// before any window test: the one place where the modes' rules on the
/// order of events are decided (every scan that follows the modes asks
/// here; the default mode's fast paths have no such rule to ask about).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Gate {
    /// Look at the next event.
    Ignore,
    /// End the user's scan at the level reached.
    Stop,
    /// A first-step event: a new chain starts.
    First,
    /// A later step whose previous step has a chain: try to extend it.
    Extend,
}

/// The [`Gate`] of an event of step `step` in a funnel of `n` steps,
/// given whether a first-step event has been seen, whether a chain has
/// reached this step, and whether one has reached the previous step:
///
/// 1. a step at or past `n` matches no step: under `strict_order`, once a
///    first step has been seen, it ends the scan;
/// 2. step 0 starts a chain;
/// 3. under `strict_deduplication`, a step reached before ends the scan
///    (the fix of ClickHouse #37177);
/// 4. under `strict_order`, a step whose previous step has no chain ends
///    the scan, unless `allow_reentry` skips it;
/// 5. otherwise a step extends the previous step's chains, if any.
#[inline(always)]
pub(crate) fn gate(
    m: Modes,
    step: usize,
    n: usize,
    has_first: bool,
    have_step: impl FnOnce() -> bool,
    have_prev: impl FnOnce() -> bool,
) -> Gate {
    if step >= n {
        return if m.strict_order && has_first {
            Gate::Stop
        } else {
            Gate::Ignore
        };
    }
    if step == 0 {
        return Gate::First;
    }
    if m.strict_deduplication && have_step() {
        return Gate::Stop;
    }
    let prev = have_prev();
    if m.strict_order && has_first && !prev {
        return if m.allow_reentry {
            Gate::Ignore
        } else {
            Gate::Stop
        };
    }
    if prev {
        Gate::Extend
    } else {
        Gate::Ignore
    }
}

/// Scratch space reused across users.
pub(crate) struct Scratch {
    /// The counted chain's per-step timestamps (first `level` entries).
    pub counted: [i64; MAX_STEPS],
    /// The chains of `window_funnel`, one per level, by bound on the steps.
    chains4: [[i64; 4]; 4],
    chains8: [[i64; 8]; 8],
    chains: Box<[[i64; MAX_STEPS]; MAX_STEPS]>,
    /// Decoded events, for the specs that need them.
    pub evs: Vec<Ev>,
    /// The chain nodes of `plain`.
    nodes: Vec<(i64, usize)>,
    /// The chains of `strict_once`, per level, in creation order.
    once: Vec<Vec<Node>>,
    /// Per level, the first chain still in the window.
    once_start: [usize; MAX_STEPS],
}

/// A chain of `strict_once` at some level.
#[derive(Clone, Copy, Debug)]
struct Node {
    /// The timestamp of its step-0 event.
    first: i64,
    /// The timestamp of its last event (the one at this level).
    last: i64,
    /// The channel of its step-0 event.
    channel: u32,
    /// Its chain at the previous level (an index there).
    parent: u32,
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            counted: [0; MAX_STEPS],
            chains4: [[0; 4]; 4],
            chains8: [[0; 8]; 8],
            chains: Box::new([[0; MAX_STEPS]; MAX_STEPS]),
            evs: Vec::new(),
            nodes: Vec::new(),
            once: vec![Vec::new(); MAX_STEPS],
            once_start: [0; MAX_STEPS],
        }
    }
}

/// Scans one user's sorted events and returns the counted chain.
pub(crate) fn scan(spec: &FunnelSpec, events: &[Ev], s: &mut Scratch) -> Counted {
    let mut counted = match spec.kind {
        FunnelKind::AnyOrder => any_order(spec, events, s),
        FunnelKind::Ordered if spec.modes.strict_once => strict_once(spec, events, s),
        FunnelKind::Ordered if spec.steps <= 4 => {
            window_funnel::<4>(spec, events, &mut s.chains4, &mut s.counted)
        }
        FunnelKind::Ordered if spec.steps <= 8 => {
            window_funnel::<8>(spec, events, &mut s.chains8, &mut s.counted)
        }
        FunnelKind::Ordered => {
            window_funnel::<MAX_STEPS>(spec, events, &mut s.chains, &mut s.counted)
        }
    };
    apply_exclusions(spec, events, &s.counted, &mut counted);
    counted
}

/// ClickHouse's `getEventLevelNonStrictOnce`, keeping the chain behind each
/// level so that the counted chain can be reported. `N` is a bound on the
/// number of steps: the chains live in fixed-size arrays on the stack, and
/// extending one copies a whole array (no length-dependent copy), which
/// matters at millions of users.
fn window_funnel<const N: usize>(
    spec: &FunnelSpec,
    events: &[Ev],
    chain: &mut [[i64; N]; N],
    out: &mut [i64; MAX_STEPS],
) -> Counted {
    let n = usize::from(spec.steps).min(N);
    let m = spec.modes;
    let window = spec.window;
    // A chain's row is read only once `have` says it was written: the
    // rows are kept between users instead of being cleared.
    let mut have = [false; N];
    let mut last = [0i64; N];
    let mut chan = [0u32; N];
    let mut counted = [0i64; N];
    let mut best = Counted::none();
    let mut first_event = false;
    for e in events {
        let step = usize::from(e.step);
        match gate(m, step, n, first_event, || have[step], || have[step - 1]) {
            Gate::Stop => break,
            Gate::Ignore => {}
            Gate::First => {
                // A new chain starts; chains at higher levels are kept.
                // Two step-1 events in the same second give the same
                // chain; the first one (the name that sorts first) keeps
                // the channel.
                if !(have[0] && chain[0][0] == e.ts) {
                    have[0] = true;
                    chain[0][0] = e.ts;
                    last[0] = e.ts;
                    chan[0] = e.channel;
                }
                first_event = true;
                if best.level < 1 {
                    best.level = 1;
                    counted[0] = e.ts;
                    best.channel = chan[0];
                }
            }
            Gate::Extend => {
                let first = chain[step - 1][0];
                let mut matched = within(e.ts, first, window);
                if m.strict_increase {
                    matched = matched && last[step - 1] < e.ts;
                }
                if matched {
                    chain[step] = chain[step - 1];
                    chain[step][step] = e.ts;
                    have[step] = true;
                    last[step] = e.ts;
                    chan[step] = chan[step - 1];
                    if step + 1 > best.level {
                        best.level = step + 1;
                        counted = chain[step];
                        best.channel = chan[step];
                    }
                    if step + 1 == n {
                        break;
                    }
                }
            }
        }
    }
    out[..N].copy_from_slice(&counted);
    best
}

/// [`window_funnel`] in the default mode (no flags, no exclusions) run on
/// the grouping's sorted keys, `(ts - min_ts) << ts_shift | order <<
/// step_shift | rank` (see `Partitioned`), without decoding them into
/// events: the default mode ignores events that match no step (`order`
/// below 256), and a step's `order` is `256 + step`. The counted chain's
/// timestamps are left relative to the input's earliest (only their
/// differences are used), and the entry channel is returned as its rank.
pub(crate) fn plain_on_keys(
    spec: &FunnelSpec,
    keys: &[u64],
    ts_shift: u32,
    step_shift: u32,
    s: &mut Scratch,
) -> Counted {
    let n = usize::from(spec.steps);
    let w = spec.window;
    let nodes = &mut s.nodes;
    if n <= 8 {
        plain::<8>(n, w, keys, ts_shift, step_shift, nodes, &mut s.counted)
    } else {
        plain::<MAX_STEPS>(n, w, keys, ts_shift, step_shift, nodes, &mut s.counted)
    }
}

/// The chains are kept as linked nodes `(ts, parent)`: extending one
/// writes one node instead of copying the chain (copies of just-written
/// timestamps stall on store forwarding), and only the counted chain is
/// read back, once, at the end.
fn plain<const N: usize>(
    n: usize,
    window: i64,
    keys: &[u64],
    ts_shift: u32,
    step_shift: u32,
    nodes: &mut Vec<(i64, usize)>,
    out: &mut [i64; MAX_STEPS],
) -> Counted {
    let n = n.min(N);
    nodes.clear();
    let mut have = [false; N];
    let mut first = [0i64; N];
    let mut last_node = [0usize; N];
    let mut chan = [0u32; N];
    let mut best = Counted::none();
    let mut best_node = 0usize;
    for &k in keys {
        let order = (k >> step_shift) & 0x1FF;
        let step = (order & 0xFF) as usize;
        if order < 0x100 || step >= n {
            continue;
        }
        // Below 2^36: no overflow.
        let ts = (k >> ts_shift) as i64;
        if step == 0 {
            if !(have[0] && first[0] == ts) {
                have[0] = true;
                first[0] = ts;
                chan[0] = (k & ((1 << step_shift) - 1)) as u32;
                last_node[0] = nodes.len();
                nodes.push((ts, usize::MAX));
            }
            if best.level < 1 {
                best.level = 1;
                best_node = last_node[0];
                best.channel = chan[0];
            }
        } else if have[step - 1] && ts - first[step - 1] <= window {
            // Keys are sorted, so `ts` is not before the chain's start.
            have[step] = true;
            first[step] = first[step - 1];
            chan[step] = chan[step - 1];
            last_node[step] = nodes.len();
            nodes.push((ts, last_node[step - 1]));
            if step + 1 > best.level {
                best.level = step + 1;
                best_node = last_node[step];
                best.channel = chan[step];
            }
            if step + 1 == n {
                break;
            }
        }
    }
    let mut at = best_node;
    for slot in out[..best.level].iter_mut().rev() {
        if let Some(&(ts, parent)) = nodes.get(at) {
            *slot = ts;
            at = parent;
        }
    }
    best
}

/// ClickHouse's `getEventLevelStrictOnce`: every chain at every level is
/// kept, and an event extends each chain one level down that it can.
///
/// ClickHouse also checks that one row is not used twice in a chain (a row
/// can match several conditions there). A revops event matches exactly one
/// step, so that check can never fail and is not needed.
///
/// # Without the quadratic cost
///
/// ClickHouse keeps every chain; with alternating step events that is
/// O(n²) chains. revops keeps, at each level, only the chains that no
/// earlier chain *dominates*: chain `X`, created before `Y`, dominates `Y`
/// when `X` started no earlier (`X.first ≥ Y.first`); it also ended no
/// later, since chains are created in time order. Whenever `Y` can take an
/// event, so can `X` (the window is measured from the first event, and
/// `strict_increase` compares the last), and `X` comes first, so the level
/// reached and the counted chain (the first chain, in creation order, to
/// reach a level) are the same with or without `Y`, and so are the emptiness
/// checks of `strict_order` and `strict_deduplication`. The chains kept at
/// a level then have strictly increasing first timestamps and
/// non-decreasing last ones, so:
///
/// * the chains out of the window are a prefix (dropped, keeping at least
///   one, as ClickHouse does);
/// * the chains an event can extend are a contiguous range (binary search
///   on the last timestamp for `strict_increase`), its first element the
///   counted one;
/// * only the chains that start after the next level's newest one add a
///   chain there (binary search).
///
/// Each event costs O(log n) plus the chains it adds, and each level holds
/// at most one chain per step-0 event: O(n log n) time and O(n) memory per
/// user. A chain is a node (first and last timestamps, entry channel, and
/// its parent at the previous level), so its per-step timestamps are read
/// back only for the counted chain.
fn strict_once(spec: &FunnelSpec, events: &[Ev], s: &mut Scratch) -> Counted {
    let n = usize::from(spec.steps);
    let m = spec.modes;
    let window = spec.window;
    for l in &mut s.once[..n] {
        l.clear();
    }
    let start = &mut s.once_start;
    start[..n].fill(0);
    let mut best = Counted::none();
    let mut has_first = false;
    for e in events {
        let step = usize::from(e.step);
        let once = &s.once;
        let g = gate(
            m,
            step,
            n,
            has_first,
            || !once[step].is_empty(),
            || !once[step - 1].is_empty(),
        );
        if g == Gate::Stop {
            return best;
        }
        if g == Gate::First {
            let level0 = &mut s.once[0];
            if level0.last().map_or(true, |x| x.first < e.ts) {
                level0.push(Node {
                    first: e.ts,
                    last: e.ts,
                    channel: e.channel,
                    parent: 0,
                });
            }
            has_first = true;
            if best.level < 1 {
                best.level = 1;
                s.counted[0] = e.ts;
                best.channel = e.channel;
            }
        } else if g == Gate::Extend {
            let (lo, hi) = s.once.split_at_mut(step);
            let prev = &lo[step - 1];
            let next = &mut hi[0];
            // Drop the chains out of the window, keeping at least one.
            let mut a = start[step - 1];
            while a + 1 < prev.len() && !within(e.ts, prev[a].first, window) {
                a += 1;
            }
            start[step - 1] = a;
            if !within(e.ts, prev[a].first, window) {
                continue;
            }
            let b = if m.strict_increase {
                a + prev[a..].partition_point(|x| x.last < e.ts)
            } else {
                prev.len()
            };
            if a == b {
                continue;
            }
            if step + 1 > best.level {
                best.level = step + 1;
                best.channel = prev[a].channel;
                s.counted[step] = e.ts;
                let mut at = a;
                for k in (0..step).rev() {
                    let node = lo[k][at];
                    s.counted[k] = node.last;
                    at = node.parent as usize;
                }
                if step + 1 == n {
                    return best;
                }
            }
            let newest = next.last().map(|x| x.first);
            let from = match newest {
                Some(f) => a + prev[a..b].partition_point(|x| x.first <= f),
                None => a,
            };
            next.extend(prev[from..b].iter().enumerate().map(|(i, x)| Node {
                first: x.first,
                last: e.ts,
                channel: x.channel,
                parent: (from + i) as u32,
            }));
        }
    }
    best
}

/// The any-order funnel: the level is the largest number of distinct steps
/// that all occur within one window `[t, t + window]` starting at one of the
/// user's step events; the counted chain is the earliest such window, its
/// entry channel that of the event starting it. Per-step timestamps are not
/// meaningful without an order, so they are left at the window's start.
fn any_order(spec: &FunnelSpec, events: &[Ev], s: &mut Scratch) -> Counted {
    let n = usize::from(spec.steps);
    let mut best = Counted::none();
    let steps: Vec<&Ev> = events.iter().filter(|e| usize::from(e.step) < n).collect();
    let mut counts = [0u32; MAX_STEPS];
    let mut distinct = 0usize;
    let mut hi = 0usize;
    for lo in 0..steps.len() {
        let start = steps[lo];
        while hi < steps.len() && within(steps[hi].ts, start.ts, spec.window) {
            let k = usize::from(steps[hi].step);
            if counts[k] == 0 {
                distinct += 1;
            }
            counts[k] += 1;
            hi += 1;
        }
        if distinct > best.level {
            best.level = distinct;
            s.counted = [start.ts; MAX_STEPS];
            best.channel = start.channel;
        }
        let k = usize::from(start.step);
        counts[k] -= 1;
        if counts[k] == 0 {
            distinct -= 1;
        }
    }
    best
}

/// Cuts the counted chain at an exclusion: when an exclusion event falls
/// strictly between the chain's `from` and `to` steps, the user counts as
/// having reached `to` no more (level capped at `to`).
pub(crate) fn apply_exclusions(
    spec: &FunnelSpec,
    events: &[Ev],
    ts: &[i64; MAX_STEPS],
    c: &mut Counted,
) {
    if spec.kind == FunnelKind::AnyOrder {
        return;
    }
    for x in &spec.exclusions {
        if c.level <= x.to_step {
            continue;
        }
        let (a, b) = (ts[x.from_step], ts[x.to_step]);
        if events
            .iter()
            .any(|e| e.step == x.event && a < e.ts && e.ts < b)
        {
            c.level = x.to_step;
            c.disqualified = true;
        }
    }
}

#[cfg(test)]
mod tests;
