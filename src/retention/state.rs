//! The retention table's partial state: counts by breakdown value and
//! cohort, added a batch of whole users at a time, merged by user
//! partition.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::kernel::{self, Cells, Rules};
use super::{Definition, RetentionEvent, RetentionSpec};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::{PeriodLength, Ratio, TimeUnit};

/// One cohort's users and, per period offset, the users retained by
/// each definition (whatever the as-of: the report cuts the cells).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
struct Counts {
    users: u64,
    on: Vec<u64>,
    on_or_after: Vec<u64>,
}

/// The partial state of a retention table ([`Aggregate`](crate::Aggregate)):
/// counts by breakdown value (by name, so that states of inputs with
/// other registries merge) and cohort. Add batches of events that hold
/// each of their users whole; merge the states of other user partitions;
/// finish into the [`RetentionReport`].
///
/// ```
/// use revops::quantity::{Calendar, PeriodLength};
/// use revops::retention::{Definition, RetentionEvent, RetentionSpec, RetentionState, START, RETURN};
/// use revops::journey::Channels;
/// let spec = RetentionSpec::new(Calendar::utc(PeriodLength::Day), 2, Definition::On)?;
/// let mut ch = Channels::new();
/// let by = ch.intern_str("all")?;
/// let day = 86_400;
/// let (mut a, mut b) = (RetentionState::new(spec), RetentionState::new(spec));
/// a.add(&[RetentionEvent { user: 1, ts: 0, kind: START, by },
///         RetentionEvent { user: 1, ts: day, kind: RETURN, by }], &ch)?;
/// b.add(&[RetentionEvent { user: 2, ts: 10, kind: START | RETURN, by }], &ch)?;
/// a.merge(&b)?;
/// let report = a.finish()?;
/// assert_eq!(report.cohorts[0].users, 2);
/// assert_eq!(report.cohorts[0].retained, vec![1, 1]);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "StateRepr"))]
pub struct RetentionState {
    spec: RetentionSpec,
    /// The latest event time seen, in ticks (the as-of by default).
    latest: Option<i64>,
    /// Breakdown value → cohort period → counts.
    groups: BTreeMap<String, BTreeMap<i64, Counts>>,
    /// Users with events but no start event observed.
    users_without_start: u64,
    /// Events after the as-of time, left out.
    events_after_as_of: u64,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    spec: RetentionSpec,
    latest: Option<i64>,
    groups: BTreeMap<String, BTreeMap<i64, Counts>>,
    users_without_start: u64,
    events_after_as_of: u64,
}

#[cfg(feature = "serde")]
impl TryFrom<StateRepr> for RetentionState {
    type Error = Error;

    /// A state some input could give: every cohort's rows as long as the
    /// spec's periods, no cell above the cohort's users, a user retained
    /// `on` a period also retained `on_or_after` it, `on_or_after` never
    /// rising from one period to the next.
    fn try_from(r: StateRepr) -> Result<RetentionState> {
        let bad = |why: &str| Err(Error::invalid("retention state", why.to_string()));
        for cohorts in r.groups.values() {
            for c in cohorts.values() {
                if c.on.len() != r.spec.periods || c.on_or_after.len() != r.spec.periods {
                    return bad("a cohort's cells do not match the spec's periods");
                }
                if c.users == 0 {
                    return bad("a cohort without users");
                }
                for (n, (&on, &after)) in c.on.iter().zip(&c.on_or_after).enumerate() {
                    if on > after || after > c.users {
                        return bad("a cell counts more users than it can");
                    }
                    if n > 0 && after > c.on_or_after[n - 1] {
                        return bad("on_or_after rises from one period to the next");
                    }
                }
            }
        }
        Ok(RetentionState {
            spec: r.spec,
            latest: r.latest,
            groups: r.groups,
            users_without_start: r.users_without_start,
            events_after_as_of: r.events_after_as_of,
        })
    }
}

impl RetentionState {
    /// An empty state for `spec`.
    pub fn new(spec: RetentionSpec) -> RetentionState {
        RetentionState {
            spec,
            latest: None,
            groups: BTreeMap::new(),
            users_without_start: 0,
            events_after_as_of: 0,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &RetentionSpec {
        &self.spec
    }

    /// Adds a batch of events that holds each of its users whole (a
    /// user's events split across batches count as two users), their
    /// breakdown values named by `channels`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a breakdown id `channels` does not
    /// name; [`Error::Overflow`] for a count past `u64::MAX`.
    pub fn add(&mut self, events: &[RetentionEvent], channels: &Channels) -> Result<()> {
        self.add_mapped(events, |e| *e, channels, 1)
    }

    /// [`add`](RetentionState::add) on up to `threads` threads (the same
    /// state).
    ///
    /// # Errors
    ///
    /// As [`add`](RetentionState::add).
    pub fn add_parallel(
        &mut self,
        events: &[RetentionEvent],
        channels: &Channels,
        threads: usize,
    ) -> Result<()> {
        self.add_mapped(events, |e| *e, channels, threads)
    }

    /// [`add_parallel`](RetentionState::add_parallel) over events of
    /// another compact form, read through `map` in place (no copy of
    /// them): the events are bucketed by user and the buckets counted
    /// apart, on up to `threads` threads.
    ///
    /// # Errors
    ///
    /// As [`add`](RetentionState::add).
    pub fn add_mapped<T: Sync>(
        &mut self,
        events: &[T],
        map: impl Fn(&T) -> RetentionEvent + Sync,
        channels: &Channels,
        threads: usize,
    ) -> Result<()> {
        let rules = Rules {
            calendar: self.spec.calendar,
            unit: self.spec.unit,
            periods: self.spec.periods,
            as_of: self.spec.as_of.map(|t| self.spec.unit.floor_ticks_at(t)),
        };
        let found = kernel::count(events, &map, channels, rules, threads)?;
        let mut groups = self.groups.clone();
        for ((by, cohort), c) in found.cells {
            let name = channels.name(ChannelId(by)).ok_or_else(|| {
                Error::invalid("retention", "a breakdown id the registry does not name")
            })?;
            let cells = groups.entry(name.to_string()).or_default();
            match cells.get_mut(&cohort) {
                Some(t) => {
                    let mut mine = Cells {
                        users: t.users,
                        on: std::mem::take(&mut t.on),
                        on_or_after: std::mem::take(&mut t.on_or_after),
                    };
                    let r = kernel::add_cells(&mut mine, &c);
                    (t.users, t.on, t.on_or_after) = (mine.users, mine.on, mine.on_or_after);
                    r?;
                }
                None => {
                    cells.insert(
                        cohort,
                        Counts {
                            users: c.users,
                            on: c.on,
                            on_or_after: c.on_or_after,
                        },
                    );
                }
            }
        }
        let add = |a: u64, b: u64| {
            a.checked_add(b)
                .ok_or_else(|| Error::overflow("retention counts"))
        };
        let without = add(self.users_without_start, found.without)?;
        let after = add(self.events_after_as_of, found.after)?;
        self.groups = groups;
        self.users_without_start = without;
        self.events_after_as_of = after;
        self.latest = match (self.latest, found.latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// Adds the state of another user partition.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for states of different specs;
    /// [`Error::Overflow`] for a count past `u64::MAX` (the state is then
    /// unchanged).
    pub fn merge(&mut self, other: &RetentionState) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::invalid(
                "retention merge",
                "the states were computed for different specs",
            ));
        }
        let mut groups = self.groups.clone();
        let add = |a: u64, b: u64| {
            a.checked_add(b)
                .ok_or_else(|| Error::overflow("retention merge"))
        };
        for (name, cohorts) in &other.groups {
            let mine = groups.entry(name.clone()).or_default();
            for (&cohort, c) in cohorts {
                let m = mine.entry(cohort).or_insert_with(|| Counts {
                    users: 0,
                    on: vec![0; c.on.len()],
                    on_or_after: vec![0; c.on_or_after.len()],
                });
                m.users = add(m.users, c.users)?;
                for (x, y) in m.on.iter_mut().zip(&c.on) {
                    *x = add(*x, *y)?;
                }
                for (x, y) in m.on_or_after.iter_mut().zip(&c.on_or_after) {
                    *x = add(*x, *y)?;
                }
            }
        }
        let without = add(self.users_without_start, other.users_without_start)?;
        let after = add(self.events_after_as_of, other.events_after_as_of)?;
        self.groups = groups;
        self.users_without_start = without;
        self.events_after_as_of = after;
        self.latest = match (self.latest, other.latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// The retention table.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] for a sum past `u64::MAX`.
    pub fn finish(self) -> Result<RetentionReport> {
        let spec = self.spec;
        let unit = spec.unit;
        let cal = spec.calendar;
        // The as-of instant, inclusive, in ticks.
        let as_of = match (spec.as_of, self.latest) {
            (Some(t), _) => Some(unit.floor_ticks_at(t)),
            (None, latest) => latest,
        };
        let (last_period, complete) = match as_of {
            Some(a) => (
                Some(cal.period_of_ticks(a, unit)),
                a.checked_add(1).is_some_and(|next| {
                    cal.period_of_ticks(next, unit) > cal.period_of_ticks(a, unit)
                }),
            ),
            None => (None, false),
        };
        let rows = |cohorts: &BTreeMap<i64, Counts>| -> Result<Vec<CohortRow>> {
            cohorts
                .iter()
                .map(|(&c, counts)| row(spec, c, counts, last_period, complete))
                .collect()
        };
        // The whole: every breakdown value's cohorts added up.
        let mut whole: BTreeMap<i64, Counts> = BTreeMap::new();
        for cohorts in self.groups.values() {
            for (&c, counts) in cohorts {
                let w = whole.entry(c).or_insert_with(|| Counts {
                    users: 0,
                    on: vec![0; counts.on.len()],
                    on_or_after: vec![0; counts.on_or_after.len()],
                });
                let add =
                    |a: u64, b: u64| a.checked_add(b).ok_or_else(|| Error::overflow("retention"));
                w.users = add(w.users, counts.users)?;
                for (x, y) in w.on.iter_mut().zip(&counts.on) {
                    *x = add(*x, *y)?;
                }
                for (x, y) in w.on_or_after.iter_mut().zip(&counts.on_or_after) {
                    *x = add(*x, *y)?;
                }
            }
        }
        let mut by_breakdown = BTreeMap::new();
        for (name, cohorts) in &self.groups {
            by_breakdown.insert(name.clone(), rows(cohorts)?);
        }
        Ok(RetentionReport {
            period: cal.period,
            definition: spec.definition,
            periods: spec.periods,
            as_of: as_of.and_then(|a| instant(a, unit)),
            cohorts: rows(&whole)?,
            by_breakdown,
            users_without_start: self.users_without_start,
            events_after_as_of: self.events_after_as_of,
        })
    }
}

/// The instant of `ticks` of `unit`.
fn instant(ticks: i64, unit: TimeUnit) -> Option<DateTime<Utc>> {
    unit.duration(ticks)
        .ok()
        .and_then(|d| DateTime::UNIX_EPOCH.checked_add_signed(d))
}

/// A cohort's row: its cells up to the as-of period.
fn row(
    spec: RetentionSpec,
    cohort: i64,
    counts: &Counts,
    last_period: Option<i64>,
    complete: bool,
) -> Result<CohortRow> {
    let observed = match last_period {
        Some(last) => usize::try_from(last.saturating_sub(cohort).saturating_add(1))
            .unwrap_or(0)
            .min(spec.periods),
        None => 0,
    };
    let cells = match spec.definition {
        Definition::On => &counts.on,
        Definition::OnOrAfter => &counts.on_or_after,
    };
    let retained: Vec<u64> = cells[..observed].to_vec();
    let rates = retained
        .iter()
        .map(|&n| Ratio::from_counts(n, counts.users))
        .collect::<Result<Vec<Ratio>>>()?;
    let partial = observed > 0
        && !complete
        && last_period == Some(cohort.saturating_add(observed as i64 - 1));
    Ok(CohortRow {
        cohort: spec.calendar.first_day(cohort).unwrap_or(NaiveDate::MIN),
        users: counts.users,
        retained,
        rates,
        partial,
    })
}

/// One cohort of a [`RetentionReport`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CohortRow {
    /// The cohort's period, by its first day.
    pub cohort: NaiveDate,
    /// The cohort's users.
    pub users: u64,
    /// Users retained `n` periods after the cohort's, up to the as-of
    /// period (a shorter list: later periods are not observed yet).
    pub retained: Vec<u64>,
    /// `retained[n] / users`.
    pub rates: Vec<Ratio>,
    /// The last cell is the as-of period, still in progress.
    pub partial: bool,
}

/// A retention table: the cohorts of the whole input, and by breakdown
/// value (of each user's first start event).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetentionReport {
    /// The period length.
    pub period: PeriodLength,
    /// The definition the cells follow.
    pub definition: Definition,
    /// The periods asked for.
    pub periods: usize,
    /// The end of observation (inclusive); `None` without events.
    pub as_of: Option<DateTime<Utc>>,
    /// The cohorts, oldest first.
    pub cohorts: Vec<CohortRow>,
    /// The same by breakdown value.
    pub by_breakdown: BTreeMap<String, Vec<CohortRow>>,
    /// Users with events but no start event (in no cohort).
    pub users_without_start: u64,
    /// Events after the as-of time, left out.
    pub events_after_as_of: u64,
}

/// The retention table of `events` (a whole input: every user's events
/// in it).
///
/// # Errors
///
/// As [`RetentionState::add`] and [`RetentionState::finish`].
pub fn analyze(
    spec: &RetentionSpec,
    events: &[RetentionEvent],
    channels: &Channels,
) -> Result<RetentionReport> {
    let mut state = RetentionState::new(*spec);
    state.add(events, channels)?;
    state.finish()
}

impl crate::aggregate::Aggregate for RetentionState {
    /// A batch of events (each of its users whole) with the registry
    /// naming their breakdown values.
    type Input<'a>
        = (&'a [RetentionEvent], &'a Channels)
    where
        Self: 'a;
    type Context<'a>
        = ()
    where
        Self: 'a;
    type Output = RetentionReport;

    fn add(&mut self, (events, channels): (&[RetentionEvent], &Channels)) -> Result<()> {
        RetentionState::add(self, events, channels)
    }

    fn merge(&mut self, other: &RetentionState) -> Result<()> {
        RetentionState::merge(self, other)
    }

    fn finish(self, (): ()) -> Result<RetentionReport> {
        RetentionState::finish(self)
    }
}
