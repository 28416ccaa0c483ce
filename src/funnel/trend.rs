//! Trends: the accumulators of each calendar period of entry, and the
//! period a user enters in.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::scan::Ev;
use super::stats::Acc;
use crate::quantity::{Calendar, TimeUnit};

/// The most periods a dense index spans (beyond, periods are looked up in
/// an ordered map): 2^16 days is 179 years.
const DENSE: usize = 1 << 16;

/// The accumulators of each period of entry, per channel slot (the slots
/// of the state's whole accumulators).
#[derive(Clone, Debug, Default)]
pub(super) struct Periods {
    /// `(period number, accumulators by channel slot)`, in order of first
    /// use.
    pub(super) slots: Vec<(i64, Vec<Option<Acc>>)>,
    /// `dense[p - lo]`: the slot of period `p` plus one (0: none yet).
    lo: i64,
    dense: Vec<u32>,
    /// Periods outside the dense index.
    sparse: BTreeMap<i64, u32>,
}

impl PartialEq for Periods {
    /// Equal when they hold the same accumulators for the same periods,
    /// whatever the order the periods were first used in.
    fn eq(&self, o: &Periods) -> bool {
        self.sorted() == o.sorted()
    }
}

impl Eq for Periods {}

impl Periods {
    /// The periods, in rising order.
    pub(super) fn sorted(&self) -> Vec<&(i64, Vec<Option<Acc>>)> {
        let mut v: Vec<_> = self.slots.iter().collect();
        v.sort_by_key(|(p, _)| *p);
        v
    }

    fn slot(&mut self, period: i64) -> usize {
        let off = period.wrapping_sub(self.lo) as u64;
        if let Some(&s) = self.dense.get(off as usize).filter(|_| off < DENSE as u64) {
            if s > 0 {
                return s as usize - 1;
            }
        } else if let Some(&s) = self.sparse.get(&period) {
            return s as usize;
        }
        let s = self.slots.len();
        self.slots.push((period, Vec::new()));
        if self.dense.is_empty() {
            self.lo = period;
            self.dense.push(0);
        }
        // Widen the dense index to take `period` if it stays small.
        let lo = self.lo.min(period);
        let hi = (self.lo.saturating_add(self.dense.len() as i64)).max(period.saturating_add(1));
        if (hi as i128 - lo as i128) <= DENSE as i128 {
            if lo < self.lo {
                let grow = (self.lo - lo) as usize;
                self.dense.splice(0..0, std::iter::repeat(0).take(grow));
                self.lo = lo;
            }
            let len = (hi - lo) as usize;
            if self.dense.len() < len {
                self.dense.resize(len, 0);
            }
            self.dense[(period - self.lo) as usize] = s as u32 + 1;
        } else {
            self.sparse.insert(period, s as u32);
        }
        s
    }

    /// The accumulator of `channel` in `period`.
    #[inline]
    pub(super) fn acc(&mut self, period: i64, channel: u32, n: usize) -> &mut Acc {
        let s = self.slot(period);
        let per = &mut self.slots[s].1;
        let i = channel as usize;
        if per.len() <= i {
            per.resize(i + 1, None);
        }
        per[i].get_or_insert_with(|| Acc::new(n))
    }

    /// Adds `other`'s accumulators, its channel slot `j` going to this
    /// state's slot `map[j]`.
    pub(super) fn merge(&mut self, other: &Periods, map: &[usize], n: usize) {
        for (p, per) in &other.slots {
            for (j, acc) in per.iter().enumerate() {
                if let (Some(acc), Some(&i)) = (acc, map.get(j)) {
                    self.acc(*p, i as u32, n).merge(acc);
                }
            }
        }
    }
}

/// Where a user enters a trend: the calendar, and the range of period
/// numbers whose first day chrono can write (a period beyond is reported
/// as the nearest such one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) calendar: Calendar,
    unit: TimeUnit,
    first: i64,
    last: i64,
}

impl Entry {
    pub(super) fn new(calendar: Calendar, unit: TimeUnit) -> Entry {
        let p = calendar.period;
        Entry {
            calendar,
            unit,
            // The first period whose first day is representable.
            first: p.index(NaiveDate::MIN) + 1,
            last: p.index(NaiveDate::MAX),
        }
    }

    /// The period holding the instant `ticks`.
    #[inline]
    pub(super) fn period(&self, ticks: i64) -> i64 {
        self.calendar
            .period_of_ticks(ticks, self.unit)
            .clamp(self.first, self.last)
    }

    /// The first day of period `p` (one the state holds, so within range).
    pub(super) fn first_day(&self, p: i64) -> NaiveDate {
        self.calendar
            .first_day(p.clamp(self.first, self.last))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// The period of a user's entry in a default-mode funnel: the period of
/// the earliest step-1 event from which a chain of the user's events
/// reaches `level` within the window (`evs` sorted; `counted` the start of
/// the counted chain, which is one such event, the latest to start).
///
/// A chain from a start `s` takes, for each later step in turn, the first
/// event of that step after the previous one: the earliest such event is
/// never worse, so `s` reaches `level` exactly when this greedy chain
/// does. Each start costs `level` binary searches over the positions of
/// each step's events; the search stops at the first start that reaches
/// the level or lies in the counted chain's period.
pub(super) fn entry_period(
    entry: &Entry,
    evs: &[Ev],
    n: usize,
    window: i64,
    level: usize,
    counted: i64,
) -> i64 {
    let at = entry.period(counted);
    let first = evs.iter().find(|e| e.step == 0).map_or(counted, |e| e.ts);
    if level < 2 || entry.period(first) == at {
        return at;
    }
    // positions[k - 1]: the indices of the step-k events, k in 1..level.
    let mut positions: Vec<Vec<usize>> = vec![Vec::new(); level - 1];
    for (i, e) in evs.iter().enumerate() {
        let k = usize::from(e.step);
        if (1..level.min(n)).contains(&k) {
            positions[k - 1].push(i);
        }
    }
    for (i, s) in evs.iter().enumerate() {
        if s.step != 0 {
            continue;
        }
        let p = entry.period(s.ts);
        if p >= at || s.ts >= counted {
            return at;
        }
        let mut pos = i;
        let reaches = positions.iter().all(|list| {
            let j = list.partition_point(|&x| x <= pos);
            match list.get(j) {
                Some(&x) if super::scan::within(evs[x].ts, s.ts, window) => {
                    pos = x;
                    true
                }
                _ => false,
            }
        });
        if reaches {
            return p;
        }
    }
    at
}
