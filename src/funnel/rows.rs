//! Funnels over *rows*, the form SQL engines call them in: one row has a
//! time and a set of conditions it meets, and one row may meet several
//! (`windowFunnel(window)(ts, event = 'a', price > 10, ...)`). Also
//! ClickHouse's `retention`.

use super::scan::{apply_exclusions, gate, scan, within, Counted, Ev, Gate, Scratch};
use super::spec::{FunnelKind, FunnelSpec, MAX_STEPS};

/// One row of a funnel in SQL form: its time and the conditions it meets.
///
/// Bit `k` of `conditions` (`k` below the spec's number of steps) says the
/// row meets step `k`'s condition; a higher bit `k` names the event code
/// `k` (for [`Exclusion`](super::Exclusion)s). A row with no bit set
/// matches no step: it matters only under `strict_order`, as in
/// ClickHouse, where it ends the scan once a step-1 row has been seen.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct FunnelRow {
    /// When, in ticks of the spec's [`TimeUnit`](crate::quantity::TimeUnit).
    pub ts: i64,
    /// Bit `k`: the row meets condition `k`.
    pub conditions: u32,
}

impl FunnelRow {
    /// A row.
    pub fn new(ts: i64, conditions: u32) -> FunnelRow {
        FunnelRow { ts, conditions }
    }
}

/// One event of a row, in ClickHouse's order: by time, then by condition
/// number (an event matching no step is condition 0), then by row. `tie`
/// comes before the row: 0 for every row keeps the rows' own order (as
/// ClickHouse does); the row's conditions make the order canonical.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Keyed {
    ts: i64,
    order: u8,
    tie: u32,
    row: usize,
    step: u8,
}

/// A chain of the row-aware every-chain scan: its first and last
/// timestamps and its last node in the arena.
#[derive(Clone, Copy, Debug)]
struct RowChain {
    first: i64,
    last: i64,
    node: usize,
}

/// A step of a chain: its time, its row, and the node of the step before
/// (`usize::MAX` at step 1).
#[derive(Clone, Copy, Debug)]
struct RowNode {
    ts: i64,
    row: usize,
    parent: usize,
}

/// The level of each user's (group's) rows under one [`FunnelSpec`]: the
/// per-user computation of ClickHouse's `windowFunnel` aggregate, for
/// query engines (the `revops-datafusion` crate calls it per group). Its
/// buffers are reused from one user to the next.
///
/// # Semantics
///
/// Exactly ClickHouse's, where a row that meets several conditions is one
/// event per condition, all at the row's time (the [module
/// docs](super) give the rules):
///
/// * the events are sorted by time, then by condition number; an event of
///   a row that meets no condition comes first;
/// * under `strict_once`, a chain never uses one row twice (a row meeting
///   steps 1 and 2 cannot be both steps of one chain, though it may start
///   one chain and extend another). Rows meeting one condition each take
///   the fast path of [`analyze`](super::analyze); when some row meets two
///   or more, every chain is kept, as ClickHouse keeps them (time and
///   memory grow with the number of chains, as in ClickHouse).
///
/// # Rows at the same time
///
/// Under `strict_once`, when some row meets two or more conditions, the
/// result can depend on the order of *different rows that share a
/// time*: ClickHouse breaks such ties by the order the rows reach the
/// aggregate, and so does [`level`](RowLevels::level). (ClickHouse 26.9
/// gives 4 for 17 rows in one order and 3 in another: the test
/// `clickhouse_breaks_ties_by_row_order` holds them.) In every other case
/// the order of the rows does not matter.
///
/// Where rows arrive in no fixed order (a query engine's partitions and
/// threads), [`level_any_order`](RowLevels::level_any_order) breaks those
/// ties by the rows' conditions instead: its result is the same for every
/// order, and is ClickHouse's for the rows sorted by time, then
/// conditions.
///
/// ```
/// use revops::funnel::{FunnelRow, FunnelSpec, Modes, RowLevels};
/// use revops::TimeDelta;
/// let spec = FunnelSpec::new(3, TimeDelta::seconds(100))?;
/// let mut levels = RowLevels::new(spec);
/// // At 10 a row meets step 1; at 20 one meets steps 2 and 3 at once.
/// let rows = [FunnelRow::new(20, 0b110), FunnelRow::new(10, 0b001)];
/// assert_eq!(levels.level(&rows), 3);
/// // Under strict_increase, step 3 must come strictly after step 2.
/// let mut modes = Modes::default();
/// modes.set("strict_increase")?;
/// let spec = FunnelSpec::new(3, TimeDelta::seconds(100))?.with_modes(modes)?;
/// assert_eq!(RowLevels::new(spec).level(&rows), 2);
/// # Ok::<(), revops::Error>(())
/// ```
pub struct RowLevels {
    spec: FunnelSpec,
    scratch: Scratch,
    keyed: Vec<Keyed>,
    evs: Vec<Ev>,
    levels: Vec<Vec<RowChain>>,
    nodes: Vec<RowNode>,
}

impl std::fmt::Debug for RowLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowLevels")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl RowLevels {
    /// The level computation of `spec`.
    pub fn new(spec: FunnelSpec) -> RowLevels {
        RowLevels {
            spec,
            scratch: Scratch::new(),
            keyed: Vec::new(),
            evs: Vec::new(),
            levels: vec![Vec::new(); MAX_STEPS],
            nodes: Vec::new(),
        }
    }

    /// The spec.
    pub fn spec(&self) -> &FunnelSpec {
        &self.spec
    }

    /// The level one user's rows reach (0 to the number of steps), the
    /// rows in any order of time: ClickHouse's `windowFunnel` result for
    /// the group when its rows arrive in this order (the order matters
    /// only for ties under `strict_once`: see [Rows at the same
    /// time](RowLevels#rows-at-the-same-time)).
    pub fn level(&mut self, rows: &[FunnelRow]) -> usize {
        self.level_with(rows, false)
    }

    /// The level one user's rows reach, the same for every order of the
    /// rows: [`level`](RowLevels::level) of the rows sorted by time, then
    /// by conditions. For rows that arrive in no fixed order, such as a
    /// query engine's.
    ///
    /// ```
    /// use revops::funnel::{FunnelRow, FunnelSpec, Modes, RowLevels};
    /// use revops::TimeDelta;
    /// let mut modes = Modes::default();
    /// modes.set("strict_once")?;
    /// let spec = FunnelSpec::new(3, TimeDelta::seconds(10))?.with_modes(modes)?;
    /// let mut levels = RowLevels::new(spec);
    /// let mut rows = vec![
    ///     FunnelRow::new(0, 0b001),
    ///     FunnelRow::new(5, 0b110),
    ///     FunnelRow::new(5, 0b010),
    /// ];
    /// let a = levels.level_any_order(&rows);
    /// rows.reverse();
    /// assert_eq!(levels.level_any_order(&rows), a);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn level_any_order(&mut self, rows: &[FunnelRow]) -> usize {
        self.level_with(rows, true)
    }

    fn level_with(&mut self, rows: &[FunnelRow], canonical: bool) -> usize {
        let n = self.spec.steps();
        let step_bits = if n >= 32 { u32::MAX } else { (1u32 << n) - 1 };
        self.keyed.clear();
        let mut shared_rows = false;
        for (row, r) in rows.iter().enumerate() {
            if r.conditions == 0 {
                self.keyed.push(Keyed {
                    ts: r.ts,
                    order: 0,
                    tie: 0,
                    row,
                    step: u8::MAX,
                });
                continue;
            }
            shared_rows |= (r.conditions & step_bits).count_ones() > 1;
            let mut bits = r.conditions;
            while bits != 0 {
                // Below 32: fits a u8.
                let k = bits.trailing_zeros() as u8;
                bits &= bits - 1;
                let is_step = usize::from(k) < n;
                self.keyed.push(Keyed {
                    ts: r.ts,
                    order: if is_step { k + 1 } else { 0 },
                    tie: if canonical { r.conditions } else { 0 },
                    row,
                    step: k,
                });
            }
        }
        self.keyed.sort_unstable();
        self.evs.clear();
        self.evs.extend(self.keyed.iter().map(|k| Ev {
            ts: k.ts,
            step: k.step,
            rank: 0,
            channel: 0,
        }));
        let row_aware =
            shared_rows && self.spec.modes.strict_once && self.spec.kind == FunnelKind::Ordered;
        if row_aware {
            let mut c = self.every_chain();
            apply_exclusions(&self.spec, &self.evs, &self.scratch.counted, &mut c);
            c.level
        } else {
            scan(&self.spec, &self.evs, &mut self.scratch).level
        }
    }

    /// ClickHouse's every-chain algorithm (`strict_once`) with its check
    /// that a chain does not use one row twice. Fills `scratch.counted`
    /// with the counted chain (the first to reach the highest level).
    fn every_chain(&mut self) -> Counted {
        let n = self.spec.steps();
        let m = self.spec.modes;
        let window = self.spec.window;
        for l in &mut self.levels[..n] {
            l.clear();
        }
        self.nodes.clear();
        let nodes = &mut self.nodes;
        let levels = &mut self.levels;
        let counted = &mut self.scratch.counted;
        let mut best = Counted {
            level: 0,
            channel: 0,
            disqualified: false,
        };
        let mut has_first = false;
        let mut reach = |level: usize, node: usize, nodes: &[RowNode], best: &mut Counted| {
            if level > best.level {
                best.level = level;
                let mut at = node;
                for slot in counted[..level].iter_mut().rev() {
                    if let Some(x) = nodes.get(at) {
                        *slot = x.ts;
                        at = x.parent;
                    }
                }
            }
        };
        for k in &self.keyed {
            let step = usize::from(k.step);
            let g = gate(
                m,
                step,
                n,
                has_first,
                || !levels[step].is_empty(),
                || !levels[step - 1].is_empty(),
            );
            if g == Gate::Stop {
                return best;
            }
            if g == Gate::First {
                let node = nodes.len();
                nodes.push(RowNode {
                    ts: k.ts,
                    row: k.row,
                    parent: usize::MAX,
                });
                levels[0].push(RowChain {
                    first: k.ts,
                    last: k.ts,
                    node,
                });
                has_first = true;
                reach(1, node, nodes, &mut best);
                if n == 1 {
                    return best;
                }
            } else if g == Gate::Extend {
                let (lo, hi) = levels.split_at_mut(step);
                let prev = &mut lo[step - 1];
                let next = &mut hi[0];
                let mut remaining = prev.len();
                let mut write = 0;
                for read in 0..prev.len() {
                    let c = prev[read];
                    let in_window = within(k.ts, c.first, window);
                    if !in_window && remaining > 1 {
                        // Out of the window: dropped, keeping at least one.
                        remaining -= 1;
                        continue;
                    }
                    prev[write] = c;
                    write += 1;
                    let ok = in_window
                        && !uses_row(nodes, c.node, k.row)
                        && (!m.strict_increase || c.last < k.ts);
                    if ok {
                        let node = nodes.len();
                        nodes.push(RowNode {
                            ts: k.ts,
                            row: k.row,
                            parent: c.node,
                        });
                        next.push(RowChain {
                            first: c.first,
                            last: k.ts,
                            node,
                        });
                        reach(step + 1, node, nodes, &mut best);
                        if step + 1 == n {
                            return best;
                        }
                    }
                }
                prev.truncate(write);
            }
        }
        best
    }
}

/// Whether the chain ending at `node` uses `row`.
fn uses_row(nodes: &[RowNode], mut node: usize, row: usize) -> bool {
    while let Some(x) = nodes.get(node) {
        if x.row == row {
            return true;
        }
        node = x.parent;
    }
    false
}

/// ClickHouse's `retention(cond1, ..., condN)` for one group, as a
/// mergeable state: which conditions some row of the group met.
///
/// The result has one flag per condition: the first is whether some row
/// met condition 1; flag `k` is whether some row met condition 1 *and*
/// some row (the same or another) met condition `k`. Up to 32 conditions.
///
/// ```
/// use revops::funnel::Retention;
/// let mut day0 = Retention::default();
/// day0.add(0b001); // a row on day 0
/// let mut later = Retention::default();
/// later.add(0b100); // a row on day 2, seen by another partition
/// day0.merge(later);
/// assert_eq!(day0.flags(3), vec![true, false, true]);
/// // Without condition 1, nothing counts.
/// assert_eq!(later.flags(3), vec![false, false, false]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Retention {
    seen: u32,
}

impl Retention {
    /// The state that has seen the conditions of `seen` (bit `k`:
    /// condition `k + 1`), as [`seen`](Retention::seen) gives it back.
    pub fn from_seen(seen: u32) -> Retention {
        Retention { seen }
    }

    /// The conditions seen, bit `k` for condition `k + 1`.
    pub fn seen(self) -> u32 {
        self.seen
    }

    /// Adds a row meeting the conditions of `conditions` (bit `k`:
    /// condition `k + 1`).
    pub fn add(&mut self, conditions: u32) {
        self.seen |= conditions;
    }

    /// Adds what another part of the group saw.
    pub fn merge(&mut self, other: Retention) {
        self.seen |= other.seen;
    }

    /// The flags of the first `n` conditions (`n` at most 32; more are
    /// never set).
    pub fn flags(self, n: usize) -> Vec<bool> {
        let first = self.seen & 1 != 0;
        (0..n)
            .map(|k| first && k < 32 && self.seen & (1 << k) != 0)
            .collect()
    }
}
