//! The user lifecycle (PostHog's): per period, the active users split
//! into new, returning and resurrecting, and the dormant ones.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::RetentionEvent;
use crate::error::{Error, Result};
use crate::quantity::{Calendar, PeriodLength, TimeUnit};

/// What a lifecycle counts: the calendar, the as-of time (the latest
/// event by default), the events' time unit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct LifecycleSpec {
    /// The periods.
    pub calendar: Calendar,
    /// Observation ends here (inclusive); `None`: the latest event.
    pub as_of: Option<DateTime<Utc>>,
    /// The events' time unit.
    pub unit: TimeUnit,
}

impl LifecycleSpec {
    /// Periods of `calendar`, events in seconds, up to the latest event.
    pub fn new(calendar: Calendar) -> LifecycleSpec {
        LifecycleSpec {
            calendar,
            as_of: None,
            unit: TimeUnit::Second,
        }
    }
}

/// The partial state of a lifecycle ([`Aggregate`](crate::Aggregate)):
/// per period, counts of new, returning, resurrecting and dormant users.
/// Every event whose kind is not 0 is activity.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "LifecycleRepr"))]
pub struct LifecycleState {
    spec: LifecycleSpec,
    latest: Option<i64>,
    /// Period → [new, returning, resurrecting, dormant].
    counts: BTreeMap<i64, [u64; 4]>,
    events_after_as_of: u64,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecycleRepr {
    spec: LifecycleSpec,
    latest: Option<i64>,
    counts: BTreeMap<i64, [u64; 4]>,
    events_after_as_of: u64,
}

#[cfg(feature = "serde")]
impl TryFrom<LifecycleRepr> for LifecycleState {
    type Error = Error;

    /// A state some input could give: every user dormant in a period was
    /// active in the one before (dormant ≤ the previous period's active).
    fn try_from(r: LifecycleRepr) -> Result<LifecycleState> {
        for (&p, c) in &r.counts {
            let before = r.counts.get(&(p - 1)).map_or(0u128, |b| {
                u128::from(b[0]) + u128::from(b[1]) + u128::from(b[2])
            });
            if u128::from(c[1]) + u128::from(c[3]) > before {
                return Err(Error::invalid(
                    "lifecycle state",
                    "more returning and dormant users than were active the period before",
                ));
            }
        }
        Ok(LifecycleState {
            spec: r.spec,
            latest: r.latest,
            counts: r.counts,
            events_after_as_of: r.events_after_as_of,
        })
    }
}

impl LifecycleState {
    /// An empty state for `spec`.
    pub fn new(spec: LifecycleSpec) -> LifecycleState {
        LifecycleState {
            spec,
            latest: None,
            counts: BTreeMap::new(),
            events_after_as_of: 0,
        }
    }

    /// Adds a batch of events that holds each of its users whole.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] for a count past `u64::MAX`.
    pub fn add(&mut self, events: &[RetentionEvent]) -> Result<()> {
        let unit = self.spec.unit;
        let cal = self.spec.calendar;
        let as_of = self.spec.as_of.map(|t| unit.floor_ticks_at(t));
        // Each user's active periods, in order.
        let mut active: Vec<(u64, i64)> = Vec::with_capacity(events.len());
        let mut after = 0u64;
        for e in events {
            if as_of.is_some_and(|a| e.ts > a) {
                after += 1;
                continue;
            }
            self.latest = Some(self.latest.map_or(e.ts, |l| l.max(e.ts)));
            if e.kind != 0 {
                active.push((e.user, cal.period_of_ticks(e.ts, unit)));
            }
        }
        active.sort_unstable();
        active.dedup();
        let mut counts = self.counts.clone();
        let mut bump = |p: i64, k: usize| -> Result<()> {
            let c = counts.entry(p).or_insert([0; 4]);
            c[k] = c[k]
                .checked_add(1)
                .ok_or_else(|| Error::overflow("lifecycle counts"))?;
            Ok(())
        };
        for (i, &(user, p)) in active.iter().enumerate() {
            let prev = i
                .checked_sub(1)
                .map(|j| active[j])
                .filter(|&(u, _)| u == user);
            let next = active.get(i + 1).filter(|&&(u, _)| u == user);
            match prev {
                None => bump(p, 0)?,
                Some((_, q)) if q == p - 1 => bump(p, 1)?,
                Some(_) => bump(p, 2)?,
            }
            if next.map_or(true, |&(_, q)| q != p + 1) {
                bump(p + 1, 3)?;
            }
        }
        self.counts = counts;
        self.events_after_as_of = self
            .events_after_as_of
            .checked_add(after)
            .ok_or_else(|| Error::overflow("lifecycle counts"))?;
        Ok(())
    }

    /// Adds the state of another user partition.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for states of different specs;
    /// [`Error::Overflow`] for a count past `u64::MAX` (the state is then
    /// unchanged).
    pub fn merge(&mut self, other: &LifecycleState) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::invalid(
                "lifecycle merge",
                "the states were computed for different specs",
            ));
        }
        let mut counts = self.counts.clone();
        for (&p, c) in &other.counts {
            let m = counts.entry(p).or_insert([0; 4]);
            for (x, y) in m.iter_mut().zip(c) {
                *x = x
                    .checked_add(*y)
                    .ok_or_else(|| Error::overflow("lifecycle merge"))?;
            }
        }
        let after = self
            .events_after_as_of
            .checked_add(other.events_after_as_of)
            .ok_or_else(|| Error::overflow("lifecycle merge"))?;
        self.counts = counts;
        self.events_after_as_of = after;
        self.latest = match (self.latest, other.latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// The lifecycle, from the first period with activity to the as-of
    /// period.
    pub fn finish(self) -> LifecycleReport {
        let unit = self.spec.unit;
        let cal = self.spec.calendar;
        let as_of = match self.spec.as_of {
            Some(t) => Some(unit.floor_ticks_at(t)),
            None => self.latest,
        };
        let last = as_of.map(|a| cal.period_of_ticks(a, unit));
        let first = self.counts.keys().next().copied();
        let row = |p: i64, c: [u64; 4]| LifecycleRow {
            period: cal.first_day(p).unwrap_or(NaiveDate::MIN),
            new: c[0],
            returning: c[1],
            resurrecting: c[2],
            dormant: 0i64.saturating_sub_unsigned(c[3]),
        };
        let mut rows = Vec::new();
        if let (Some(first), Some(last)) = (first, last) {
            if last.saturating_sub(first) < LifecycleReport::MAX_SPAN {
                // Every period from the first to the as-of, quiet ones
                // included.
                for p in first..=last {
                    rows.push(row(p, self.counts.get(&p).copied().unwrap_or([0; 4])));
                }
            } else if first <= last {
                // Events spread over more periods than a report lists:
                // the periods with counts only.
                rows.extend(self.counts.range(first..=last).map(|(&p, &c)| row(p, c)));
            }
        }
        LifecycleReport {
            period: cal.period,
            rows,
            events_after_as_of: self.events_after_as_of,
        }
    }
}

/// One period of a [`LifecycleReport`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LifecycleRow {
    /// The period, by its first day.
    pub period: NaiveDate,
    /// Active for the first time.
    pub new: u64,
    /// Active in the previous period too.
    pub returning: u64,
    /// Active, not in the previous period, but some time before.
    pub resurrecting: u64,
    /// Active in the previous period, not in this one: a count of 0 or
    /// less.
    pub dormant: i64,
}

/// Active users by lifecycle stage, per period: every period from the
/// first with activity to the as-of period, quiet ones included (when
/// they are fewer than [`MAX_SPAN`](LifecycleReport::MAX_SPAN); beyond,
/// the periods with counts only).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LifecycleReport {
    /// The period length.
    pub period: PeriodLength,
    /// The periods, oldest first.
    pub rows: Vec<LifecycleRow>,
    /// Events after the as-of time, left out.
    pub events_after_as_of: u64,
}

impl LifecycleReport {
    /// The most periods a report lists one by one (quiet ones included).
    pub const MAX_SPAN: i64 = 100_000;
}

/// The lifecycle of `events` (a whole input).
///
/// ```
/// use revops::quantity::{Calendar, PeriodLength};
/// use revops::retention::{lifecycle, LifecycleSpec, RetentionEvent, RETURN};
/// use revops::journey::ChannelId;
/// let spec = LifecycleSpec::new(Calendar::utc(PeriodLength::Day));
/// let day: i64 = 86_400;
/// let ev = |user, d: i64| RetentionEvent { user, ts: d * day, kind: RETURN, by: ChannelId::default() };
/// // User 1 on days 0, 1 and 3; user 2 on day 1.
/// let report = lifecycle(&spec, &[ev(1, 0), ev(1, 1), ev(1, 3), ev(2, 1)])?;
/// let r: Vec<_> = report.rows.iter().map(|r| (r.new, r.returning, r.resurrecting, r.dormant)).collect();
/// assert_eq!(r, vec![(1, 0, 0, 0), (1, 1, 0, 0), (0, 0, 0, -2), (0, 0, 1, 0)]);
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// As [`LifecycleState::add`].
pub fn lifecycle(spec: &LifecycleSpec, events: &[RetentionEvent]) -> Result<LifecycleReport> {
    let mut state = LifecycleState::new(*spec);
    state.add(events)?;
    Ok(state.finish())
}

impl crate::aggregate::Aggregate for LifecycleState {
    /// A batch of events (each of its users whole).
    type Input<'a>
        = &'a [RetentionEvent]
    where
        Self: 'a;
    type Context<'a>
        = ()
    where
        Self: 'a;
    type Output = LifecycleReport;

    fn add(&mut self, events: &[RetentionEvent]) -> Result<()> {
        LifecycleState::add(self, events)
    }

    fn merge(&mut self, other: &LifecycleState) -> Result<()> {
        LifecycleState::merge(self, other)
    }

    fn finish(self, (): ()) -> Result<LifecycleReport> {
        Ok(LifecycleState::finish(self))
    }
}
