//! The accumulators of counted chains, and the exact time-to-convert
//! statistics computed from them.

use crate::quantity::{mean_from_sum, quantile_by_rank, sort_i64, Ratio};

use super::report::{StepReport, TimeStats};

/// The counted chains of the users of one entry channel, by level: for a
/// user at level `L >= 2`, the `L - 1` times (seconds) from the chain's
/// first step to each later step, one row per user. A time from the
/// previous step is the difference of two neighbours in a row, so it is
/// not stored.
///
/// Rows are `u32` while every time fits (any window below 136 years: a
/// chain never spans more than its window); a time that does not fit turns
/// the whole accumulator to `i64` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Rows {
    Narrow(Vec<Vec<u32>>),
    Wide(Vec<Vec<i64>>),
}

/// Per-step accumulators for the users of one entry channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Acc {
    /// `at_level[k]`: users whose level is `k + 1` exactly.
    pub(super) at_level: Vec<u64>,
    /// Index `L - 1`: the rows of the users at level `L`.
    rows: Rows,
    /// The largest time in the rows (from the previous step or from the
    /// first: the latter bound the former).
    pub(super) max: i64,
}

impl Acc {
    pub(super) fn new(n: usize) -> Acc {
        Acc {
            at_level: vec![0; n],
            rows: Rows::Narrow(vec![Vec::new(); n]),
            max: 0,
        }
    }

    /// Empties the accumulator, keeping its memory.
    pub(super) fn clear(&mut self) {
        self.at_level.fill(0);
        self.max = 0;
        match &mut self.rows {
            Rows::Narrow(v) => v.iter_mut().for_each(Vec::clear),
            Rows::Wide(_) => self.rows = Rows::Narrow(vec![Vec::new(); self.at_level.len()]),
        }
    }

    fn widen(&mut self) {
        if let Rows::Narrow(v) = &self.rows {
            let wide = v
                .iter()
                .map(|l| l.iter().map(|&x| i64::from(x)).collect())
                .collect();
            self.rows = Rows::Wide(wide);
        }
    }

    /// Adds a user at `level` whose counted chain has timestamps `ts`.
    #[inline]
    pub(super) fn add(&mut self, level: usize, ts: &[i64], timed: bool) {
        self.at_level[level - 1] += 1;
        if !timed || level < 2 {
            return;
        }
        let chain = &ts[..level];
        let t0 = chain[0];
        self.max = self.max.max(chain[level - 1] - t0);
        if let Rows::Narrow(v) = &mut self.rows {
            let row = &mut v[level - 1];
            let before = row.len();
            for &t in &chain[1..] {
                match u32::try_from(t - t0) {
                    Ok(x) => row.push(x),
                    Err(_) => {
                        row.truncate(before);
                        break;
                    }
                }
            }
            if row.len() == before + level - 1 {
                return;
            }
            self.widen();
        }
        if let Rows::Wide(v) = &mut self.rows {
            v[level - 1].extend(chain[1..].iter().map(|&t| t - t0));
        }
    }

    #[cfg(feature = "serde")]
    /// The level counts and the rows as `i64` lists (index `L - 1`: the
    /// `L - 1` times of each user at level `L`, one after the other).
    pub(super) fn to_parts(&self) -> (Vec<u64>, Vec<Vec<i64>>) {
        let rows = match &self.rows {
            Rows::Narrow(v) => v
                .iter()
                .map(|r| r.iter().map(|&x| i64::from(x)).collect())
                .collect(),
            Rows::Wide(v) => v.clone(),
        };
        (self.at_level.clone(), rows)
    }

    #[cfg(feature = "serde")]
    /// The inverse of [`to_parts`](Acc::to_parts), checked: `n` levels;
    /// for a timed funnel, each level's rows hold `L - 1` times per user,
    /// non-decreasing, from 0 to `window`; an untimed one has no rows.
    pub(super) fn from_parts(
        n: usize,
        at_level: Vec<u64>,
        rows: Vec<Vec<i64>>,
        timed: bool,
        window: i64,
    ) -> std::result::Result<Acc, String> {
        if at_level.len() != n {
            return Err(format!("{} level counts for {n} steps", at_level.len()));
        }
        let rows = if rows.is_empty() {
            vec![Vec::new(); n]
        } else {
            rows
        };
        if rows.len() != n {
            return Err(format!("{} levels of times for {n} steps", rows.len()));
        }
        let mut max = 0i64;
        for (l, (r, &users)) in rows.iter().zip(&at_level).enumerate() {
            let want = if timed {
                u64::try_from(l).ok().and_then(|l| l.checked_mul(users))
            } else {
                Some(0)
            };
            if want != u64::try_from(r.len()).ok() {
                return Err(format!(
                    "level {} holds {} times, not {} per user for {users} users",
                    l + 1,
                    r.len(),
                    l
                ));
            }
            for row in r.chunks_exact(l.max(1)) {
                let mut prev = 0i64;
                for &t in row {
                    if t < prev || t > window {
                        return Err(format!(
                            "a chain's times must rise from 0 to the window ({window}), found {t} after {prev}"
                        ));
                    }
                    prev = t;
                }
                max = max.max(prev);
            }
        }
        let narrow = rows.iter().flatten().all(|&t| u32::try_from(t).is_ok());
        let rows = if narrow {
            Rows::Narrow(
                rows.iter()
                    .map(|r| r.iter().map(|&t| t as u32).collect())
                    .collect(),
            )
        } else {
            Rows::Wide(rows)
        };
        Ok(Acc {
            at_level,
            rows,
            max,
        })
    }

    #[cfg(feature = "serde")]
    /// Users in the accumulator.
    pub(super) fn users(&self) -> Option<u64> {
        self.at_level
            .iter()
            .try_fold(0u64, |a, &b| a.checked_add(b))
    }

    /// Adds `o`'s level counts (not its times).
    #[cfg(feature = "serde")]
    pub(super) fn add_counts(&mut self, o: &Acc) {
        for (a, b) in self.at_level.iter_mut().zip(&o.at_level) {
            *a += b;
        }
    }

    /// Whether the rows are 64-bit (a window of 136 years or more).
    pub(super) fn is_wide(&self) -> bool {
        matches!(self.rows, Rows::Wide(_))
    }

    pub(super) fn merge(&mut self, o: &Acc) {
        for (a, b) in self.at_level.iter_mut().zip(&o.at_level) {
            *a += b;
        }
        self.max = self.max.max(o.max);
        if let Rows::Wide(_) = o.rows {
            self.widen();
        }
        match (&mut self.rows, &o.rows) {
            (Rows::Narrow(a), Rows::Narrow(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend_from_slice(y);
                }
            }
            (Rows::Wide(a), Rows::Narrow(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend(y.iter().map(|&v| i64::from(v)));
                }
            }
            (Rows::Wide(a), Rows::Wide(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend_from_slice(y);
                }
            }
            (Rows::Narrow(_), Rows::Wide(_)) => {}
        }
    }

    /// Calls `f` with every time to step `k >= 1` (from the previous step
    /// if `prev`, else from the first), for narrow rows.
    #[inline]
    pub(super) fn for_each_narrow(&self, k: usize, prev: bool, mut f: impl FnMut(u32)) {
        let Rows::Narrow(v) = &self.rows else {
            return;
        };
        for (l, rows) in v.iter().enumerate().skip(k) {
            // Rows of users at level l + 1 > k hold l values each.
            for row in rows.chunks_exact(l) {
                let x = row[k - 1];
                f(if prev && k >= 2 { x - row[k - 2] } else { x });
            }
        }
    }

    /// The same as a list, for any rows.
    pub(super) fn times(&self, k: usize, prev: bool) -> Vec<i64> {
        match &self.rows {
            Rows::Narrow(_) => {
                let mut out = Vec::new();
                self.for_each_narrow(k, prev, |x| out.push(i64::from(x)));
                out
            }
            Rows::Wide(v) => {
                let mut out = Vec::new();
                for (l, rows) in v.iter().enumerate().skip(k) {
                    for row in rows.chunks_exact(l) {
                        let x = row[k - 1];
                        out.push(if prev && k >= 2 { x - row[k - 2] } else { x });
                    }
                }
                out
            }
        }
    }
}

/// The step reports for one group, from its level counts and its
/// time-to-convert statistics per step (`None` for step 0).
pub(super) fn step_reports(
    at_level: &[u64],
    from_prev: &[Option<TimeStats>],
    from_first: &[Option<TimeStats>],
) -> Vec<StepReport> {
    let n = at_level.len();
    // users[k] = users with level >= k + 1
    let mut users = vec![0u64; n];
    let mut acc = 0u64;
    for k in (0..n).rev() {
        acc += at_level[k];
        users[k] = acc;
    }
    (0..n)
        .map(|k| {
            let prev = if k == 0 { None } else { Some(users[k - 1]) };
            StepReport {
                step: k,
                name: None,
                users: users[k],
                conversion_from_previous: prev.and_then(|p| Ratio::from_counts(users[k], p).ok()),
                conversion_from_first: Ratio::from_counts(users[k], users[0]).ok(),
                drop_off: if k + 1 < n {
                    users[k] - users[k + 1]
                } else {
                    0
                },
                time_from_previous: from_prev.get(k).cloned().flatten(),
                time_from_first: from_first.get(k).cloned().flatten(),
            }
        })
        .collect()
}

impl TimeStats {
    /// Figures counted in ticks of `unit`, in seconds.
    pub(super) fn in_seconds(self, unit: crate::quantity::TimeUnit) -> TimeStats {
        TimeStats {
            count: self.count,
            mean_seconds: unit.seconds(self.mean_seconds),
            median_seconds: unit.seconds(self.median_seconds),
            p90_seconds: unit.seconds(self.p90_seconds),
        }
    }

    /// The statistics of a list, by sorting it.
    pub(super) fn of_values(mut all: Vec<i64>) -> Option<TimeStats> {
        let n = all.len() as u64;
        if n == 0 {
            return None;
        }
        sort_i64(&mut all);
        let sum: i128 = all.iter().map(|&v| i128::from(v)).sum();
        let nth = |k: u64| usize::try_from(k).ok().and_then(|k| all.get(k)).copied();
        Some(TimeStats {
            count: n,
            mean_seconds: mean_from_sum(sum, n)?,
            median_seconds: quantile_by_rank(n, Ratio::from_counts(1, 2).ok()?, nth)?,
            p90_seconds: quantile_by_rank(n, Ratio::from_counts(9, 10).ok()?, nth)?,
        })
    }
}
