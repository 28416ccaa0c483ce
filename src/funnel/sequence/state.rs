//! [`SequenceState`]: the partial state of a sequence analysis over many
//! users, and its [`SequenceReport`].

use crate::error::{Error, Result};
use crate::funnel::rows::FunnelRow;
use crate::quantity::Ratio;

use super::matcher::Sequence;

/// One row of one user: who, when (in the ticks the [`Sequence`] reads),
/// and the conditions the row meets (bit `k` for condition `k + 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SequenceRow {
    /// The user's id.
    pub user: u64,
    /// When, in ticks.
    pub ts: i64,
    /// The conditions met, as bits.
    pub conditions: u32,
}

/// The rows of many users, in any order and from any number of parts:
/// [`add`](SequenceState::add) batches, [`merge`](SequenceState::merge)
/// partial states, then [`finish`](SequenceState::finish) with the
/// pattern's [`Sequence`]. Under the common protocol, an
/// [`Aggregate`](crate::Aggregate) whose context is the `Sequence`. A user
/// whose rows are split across states counts once: the rows are grouped
/// by user when the state finishes.
///
/// ```
/// use revops::funnel::sequence::{SequenceRow, SequenceState};
/// use revops::funnel::{Sequence, SequencePattern};
/// use revops::Aggregate;
/// let row = |user, ts, conditions| SequenceRow { user, ts, conditions };
/// let mut a = SequenceState::default();
/// a.add(&[row(1, 10, 0b01), row(2, 5, 0b10)])?;
/// let mut b = SequenceState::default();
/// b.add(&[row(1, 20, 0b10), row(1, 30, 0b01), row(1, 40, 0b10)])?;
/// a.merge(&b)?;
/// let mut seq = Sequence::new(SequencePattern::parse("(?1)(?2)", 2)?);
/// let report = a.finish(&mut seq)?;
/// assert_eq!((report.users, report.matched, report.matches), (2, 1, 2));
/// assert_eq!(report.match_rate.unwrap().to_string(), "50%");
/// // Users by their number of matches: one with none, one with two.
/// assert_eq!(report.users_by_matches, vec![(0, 1), (2, 1)]);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SequenceState {
    rows: Vec<SequenceRow>,
}

/// What a sequence analysis found over many users.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SequenceReport {
    /// The users with at least one row.
    pub users: u64,
    /// The users whose events follow the pattern (`sequenceMatch`).
    pub matched: u64,
    /// `matched / users`; `None` without users.
    pub match_rate: Option<Ratio>,
    /// The non-overlapping matches of every user, summed
    /// (`sequenceCount`).
    pub matches: u64,
    /// `(matches, users)`: how many users have each number of matches,
    /// by number; absent numbers have no user.
    pub users_by_matches: Vec<(u64, u64)>,
    /// Users left out, with the reason.
    pub ignored: SequenceIgnored,
}

/// The users a [`SequenceReport`] leaves out, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SequenceIgnored {
    /// Users whose search took more than
    /// [`MAX_ITERATIONS`](super::MAX_ITERATIONS) steps (ClickHouse would
    /// fail the whole query): in `users`, not in `matched`, `matches` or
    /// `users_by_matches`.
    pub over_step_limit: u64,
}

impl SequenceState {
    /// Adds rows.
    ///
    /// # Errors
    ///
    /// None today; fallible for the protocol.
    pub fn add(&mut self, rows: &[SequenceRow]) -> Result<()> {
        self.rows.extend_from_slice(rows);
        Ok(())
    }

    /// Adds another state's rows.
    ///
    /// # Errors
    ///
    /// None today; fallible for the protocol.
    pub fn merge(&mut self, other: &SequenceState) -> Result<()> {
        self.rows.extend_from_slice(&other.rows);
        Ok(())
    }

    /// The rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Groups the rows by user and asks `sequence` about each user.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a count passes `u64::MAX` (it cannot, with
    /// fewer rows than that).
    pub fn finish(mut self, sequence: &mut Sequence) -> Result<SequenceReport> {
        self.rows.sort_unstable_by_key(|r| r.user);
        let overflow = || Error::overflow("sequence report");
        let mut report = SequenceReport {
            users: 0,
            matched: 0,
            match_rate: None,
            matches: 0,
            users_by_matches: Vec::new(),
            ignored: SequenceIgnored::default(),
        };
        let mut by_matches: Vec<u64> = Vec::new();
        let mut rows: Vec<FunnelRow> = Vec::new();
        for user in self.rows.chunk_by(|a, b| a.user == b.user) {
            rows.clear();
            rows.extend(user.iter().map(|r| FunnelRow::new(r.ts, r.conditions)));
            report.users += 1;
            let (m, n) = match (sequence.matches(&rows), sequence.count(&rows)) {
                (Ok(m), Ok(n)) => (m, n),
                (Err(Error::IterationLimit { .. }), _) | (_, Err(Error::IterationLimit { .. })) => {
                    report.ignored.over_step_limit += 1;
                    continue;
                }
                (Err(e), _) | (_, Err(e)) => return Err(e),
            };
            report.matched += u64::from(m);
            report.matches = report.matches.checked_add(n).ok_or_else(overflow)?;
            // A user's count is at most the user's rows: fits a usize.
            let slot = usize::try_from(n).map_err(|_| overflow())?;
            if by_matches.len() <= slot {
                by_matches.resize(slot + 1, 0);
            }
            by_matches[slot] += 1;
        }
        report.users_by_matches = by_matches
            .iter()
            .enumerate()
            .filter(|(_, &u)| u > 0)
            .map(|(n, &u)| (n as u64, u))
            .collect();
        report.match_rate = (report.users > 0)
            .then(|| Ratio::from_counts(report.matched, report.users))
            .transpose()?;
        Ok(report)
    }
}

impl crate::aggregate::Aggregate for SequenceState {
    type Input<'a> = &'a [SequenceRow];
    type Context<'a> = &'a mut Sequence;
    type Output = SequenceReport;

    fn add(&mut self, rows: &[SequenceRow]) -> Result<()> {
        SequenceState::add(self, rows)
    }

    fn merge(&mut self, other: &SequenceState) -> Result<()> {
        SequenceState::merge(self, other)
    }

    fn finish(self, sequence: &mut Sequence) -> Result<SequenceReport> {
        SequenceState::finish(self, sequence)
    }
}
