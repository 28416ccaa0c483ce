//! Matching a compiled pattern against one user's rows: ClickHouse's
//! `sequenceMatch` and `sequenceCount`.

use crate::error::{Error, Result};
use crate::funnel::rows::FunnelRow;
use crate::quantity::TimeUnit;

use super::pattern::{Action, SequencePattern, TimeOp};

/// The most matching steps one search may take (ClickHouse's
/// `sequence_match_max_iterations`): past it, the search is an error, not
/// a result.
pub const MAX_ITERATIONS: u64 = 1_000_000;

/// `sequenceMatch` and `sequenceCount` of one pattern over the rows of
/// one user at a time, with ClickHouse 26.9's semantics.
///
/// The events are the rows that meet at least one of the pattern's
/// conditions (bits `0..conditions` of [`FunnelRow::conditions`]; higher
/// bits are ignored), sorted by time, then by their set of conditions (as
/// a number, bit 0 lowest): the result does not depend on the order the
/// rows come in. ClickHouse keeps the arrival order of rows at the same
/// time, so the two agree whenever such rows come in that order.
///
/// * [`matches`](Sequence::matches): whether the pattern occurs. Without
///   a time condition, `.*` and `.` search every way to match (an
///   automaton over the events); with one, ClickHouse's backtracking
///   search decides, whose time conditions compare the time from the
///   event matched before the condition to the event after it, skipping
///   events as needed.
/// * [`count`](Sequence::count): how many non-overlapping matches the
///   backtracking search finds, each starting where the previous ended.
///
/// Before searching, ClickHouse answers `false`/0 at once when a
/// condition the pattern names is met by no event (so no step limit
/// applies then), and so does `Sequence`. ClickHouse's source also has a
/// quick check that the pattern's runs of conditions occur in order, but
/// as written (its closure copies the run's bounds when it is made, not
/// when it is called) the check always passes; it is left out here, so
/// that the step limit falls where ClickHouse's does.
///
/// A time condition's number is in seconds when the rows' times are in a
/// [`TimeUnit`] ([`with_unit`](Sequence::with_unit)), otherwise in the
/// rows' own ticks.
///
/// ```
/// use revops::funnel::{FunnelRow, Sequence, SequencePattern};
/// // Condition 1: viewed the pricing page; 2: started a trial.
/// let pattern = SequencePattern::parse("(?1).*(?2)", 2)?;
/// let mut seq = Sequence::new(pattern);
/// let rows = [
///     FunnelRow::new(30, 0b10),
///     FunnelRow::new(10, 0b01),
///     FunnelRow::new(20, 0b00), // meets no condition: not an event
///     FunnelRow::new(40, 0b01),
///     FunnelRow::new(50, 0b10),
/// ];
/// assert!(seq.matches(&rows)?);
/// assert_eq!(seq.count(&rows)?, 2);
/// // Within 15 ticks of the pricing page: only the second pair.
/// let mut quick = Sequence::new(SequencePattern::parse("(?1)(?t<15)(?2)", 2)?);
/// assert_eq!(quick.count(&rows)?, 1);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sequence {
    pattern: SequencePattern,
    /// Ticks of the rows' times per unit of a time condition.
    per_unit: i128,
    /// The automaton's states, when the pattern has no time condition.
    states: Vec<State>,
    events: Vec<FunnelRow>,
    stack: Vec<(usize, usize, usize)>,
    active: Vec<bool>,
    next: Vec<bool>,
}

/// A state of the automaton: what takes it to the next state, and whether
/// it loops on any event (a `.*` after it).
#[derive(Clone, Copy, Debug)]
struct State {
    step: Option<Action>,
    star: bool,
}

impl Sequence {
    /// The matcher of `pattern`, time conditions in the rows' own ticks.
    pub fn new(pattern: SequencePattern) -> Sequence {
        let mut states = vec![State {
            step: None,
            star: true,
        }];
        for &a in &pattern.actions[1..] {
            match a {
                Action::Condition(_) | Action::Any => {
                    if let Some(last) = states.last_mut() {
                        last.step = Some(a);
                    }
                    states.push(State {
                        step: None,
                        star: false,
                    });
                }
                Action::Star => {
                    if let Some(last) = states.last_mut() {
                        last.star = true;
                    }
                }
                Action::Time(..) => {}
            }
        }
        Sequence {
            pattern,
            per_unit: 1,
            states,
            events: Vec::new(),
            stack: Vec::new(),
            active: Vec::new(),
            next: Vec::new(),
        }
    }

    /// Times in `unit`, time conditions in seconds (ClickHouse's rule for
    /// a `DateTime` column, kept exact at any precision).
    pub fn with_unit(mut self, unit: TimeUnit) -> Sequence {
        self.per_unit = i128::from(unit.per_second());
        self
    }

    /// The pattern.
    pub fn pattern(&self) -> &SequencePattern {
        &self.pattern
    }

    /// Whether the pattern occurs in `rows` (one user's, in any order):
    /// ClickHouse's `sequenceMatch`.
    ///
    /// # Errors
    ///
    /// [`Error::IterationLimit`] when the search takes more than
    /// [`MAX_ITERATIONS`] steps (only with a time condition, as in
    /// ClickHouse).
    pub fn matches(&mut self, rows: &[FunnelRow]) -> Result<bool> {
        if !self.load(rows) {
            return Ok(false);
        }
        if !self.pattern.has_time() {
            return Ok(self.automaton());
        }
        let mut at = 0;
        self.search(&mut at)
    }

    /// The number of non-overlapping matches of the pattern in `rows`
    /// (one user's, in any order): ClickHouse's `sequenceCount`.
    ///
    /// # Errors
    ///
    /// [`Error::IterationLimit`] when one search takes more than
    /// [`MAX_ITERATIONS`] steps.
    pub fn count(&mut self, rows: &[FunnelRow]) -> Result<u64> {
        if !self.load(rows) {
            return Ok(0);
        }
        let mut at = 0;
        let mut n = 0u64;
        while at < self.events.len() && self.search(&mut at)? {
            n += 1;
        }
        Ok(n)
    }

    /// Takes the events of `rows`, sorted; false when a condition the
    /// pattern names is met by none of them (no match is possible).
    fn load(&mut self, rows: &[FunnelRow]) -> bool {
        let conditions = self.pattern.conditions();
        let mask = if conditions >= 32 {
            u32::MAX
        } else {
            (1u32 << conditions) - 1
        };
        self.events.clear();
        let mut met = 0u32;
        for r in rows {
            let c = r.conditions & mask;
            if c != 0 {
                met |= c;
                self.events.push(FunnelRow::new(r.ts, c));
            }
        }
        self.events.sort_unstable_by_key(|r| (r.ts, r.conditions));
        met & self.pattern.needed == self.pattern.needed
    }

    /// The automaton's answer: is the final state reached?
    fn automaton(&mut self) -> bool {
        let n = self.states.len();
        self.active.clear();
        self.active.resize(n, false);
        self.active[0] = true;
        let last = n - 1;
        let mut alive = true;
        for e in &self.events {
            if !alive || self.active[last] {
                break;
            }
            self.next.clear();
            self.next.resize(n, false);
            alive = false;
            for (s, state) in self.states.iter().enumerate() {
                if !self.active[s] {
                    continue;
                }
                let advance = match state.step {
                    Some(Action::Any) => true,
                    Some(Action::Condition(bit)) => e.conditions >> bit & 1 == 1,
                    _ => false,
                };
                if advance {
                    self.next[s + 1] = true;
                    alive = true;
                }
                if state.star {
                    self.next[s] = true;
                    alive = true;
                }
            }
            std::mem::swap(&mut self.active, &mut self.next);
        }
        self.active[last]
    }

    /// ClickHouse's backtracking search from event `*at`: true on a match,
    /// with `*at` after it (at least one past where it started).
    fn search(&mut self, at: &mut usize) -> Result<bool> {
        let actions = &self.pattern.actions;
        let events = &self.events;
        let n = events.len();
        let stack = &mut self.stack;
        stack.clear();
        let start = *at;
        let (mut a, mut e, mut base) = (0usize, start, start);
        let mut steps = 0u64;
        // Resumes the latest choice one event further on; false when none
        // is left.
        let backtrack = |stack: &mut Vec<(usize, usize, usize)>,
                         a: &mut usize,
                         e: &mut usize,
                         base: &mut usize| {
            while let Some((sa, se, sb)) = stack.pop() {
                (*a, *e, *base) = (sa, se + 1, sb);
                if *e != n {
                    return true;
                }
            }
            false
        };
        while a < actions.len() && e < n {
            match actions[a] {
                Action::Condition(bit) => {
                    if events[e].conditions >> bit & 1 == 1 {
                        base = e;
                        a += 1;
                        e += 1;
                    } else if !backtrack(stack, &mut a, &mut e, &mut base) {
                        break;
                    }
                }
                Action::Any => {
                    base = e;
                    a += 1;
                    e += 1;
                }
                Action::Star => {
                    stack.push((a, e, base));
                    base = e;
                    a += 1;
                }
                Action::Time(op, limit) => {
                    let elapsed = i128::from(events[e].ts) - i128::from(events[base].ts);
                    if op.holds(elapsed, i128::from(limit) * self.per_unit) {
                        stack.push((a, e, base));
                        base = e;
                        a += 1;
                    } else if matches!(op, TimeOp::Le | TimeOp::Lt) {
                        if !backtrack(stack, &mut a, &mut e, &mut base) {
                            break;
                        }
                    } else {
                        e += 1;
                        if e == n && !backtrack(stack, &mut a, &mut e, &mut base) {
                            break;
                        }
                    }
                }
            }
            steps += 1;
            if steps > MAX_ITERATIONS {
                return Err(limit());
            }
        }
        // What is left may match nothing: `.*`, and time conditions that
        // an empty gap meets.
        while a < actions.len()
            && matches!(
                actions[a],
                Action::Star
                    | Action::Time(TimeOp::Le | TimeOp::Lt, _)
                    | Action::Time(TimeOp::Ge, 0)
            )
        {
            a += 1;
        }
        *at = if e == start { e + 1 } else { e };
        Ok(a == actions.len())
    }
}

fn limit() -> Error {
    Error::IterationLimit {
        operation: "sequence match".into(),
        limit: MAX_ITERATIONS,
    }
}
