//! Forecast calls at the snapshots inside a period, against what it won.

use super::ledger::Ledger;
use super::report::{ForecastCall, PeriodForecast};
use super::state::{date, day, FlowState};
use super::walk::Obs;
use crate::error::Result;
use crate::pipeline::{DealStatus, ForecastCategory};
use crate::quantity::{FxRates, Money, Multiple, Period};

/// Slots per snapshot inside a period: won, open commit, open best case.
const WON: usize = 0;
const COMMIT: usize = 1;
const BEST: usize = 2;

/// One period's sums.
struct One {
    period: Period,
    p0: i32,
    p1: i32,
    /// The snapshots inside the period, in order.
    inside: Vec<i32>,
    /// The final snapshot.
    last: Option<i32>,
    /// Three slots per snapshot inside, then the won total at the final
    /// snapshot.
    sums: Ledger,
}

/// The calls of several periods, filled deal by deal.
pub(super) struct Forecasts {
    periods: Vec<One>,
}

impl Forecasts {
    pub(super) fn new(st: &FlowState, periods: &[Period]) -> Forecasts {
        let periods = periods
            .iter()
            .map(|&period| {
                let (p0, p1) = (day(period.start()), day(period.end()));
                let inside: Vec<i32> = st.snapshots.range(p0..p1).copied().collect();
                let last = st
                    .snapshots
                    .range(p1..)
                    .next()
                    .or_else(|| st.snapshots.iter().next_back())
                    .copied();
                One {
                    period,
                    p0,
                    p1,
                    sums: Ledger::new(3 * inside.len() + 1),
                    inside,
                    last,
                }
            })
            .collect();
        Forecasts { periods }
    }

    /// Adds one deal's snapshots (in snapshot order).
    pub(super) fn deal(&mut self, obs: &[Obs]) -> Result<()> {
        for p in &mut self.periods {
            let closing = |o: &Obs| p.p0 <= o.close && o.close < p.p1;
            for o in obs.iter().filter(|o| closing(o)) {
                if let Ok(k) = p.inside.binary_search(&o.snapshot) {
                    let slot = match (o.status, o.category) {
                        (DealStatus::Won, _) => Some(WON),
                        (DealStatus::Open, ForecastCategory::Commit) => Some(COMMIT),
                        (DealStatus::Open, ForecastCategory::BestCase) => Some(BEST),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        p.sums.add(3 * k + slot, o.currency, o.amount)?;
                    }
                }
                if Some(o.snapshot) == p.last && o.status == DealStatus::Won {
                    p.sums.add(3 * p.inside.len(), o.currency, o.amount)?;
                }
            }
        }
        Ok(())
    }

    /// The periods' calls.
    pub(super) fn finish(self, fx: &FxRates) -> Result<Vec<PeriodForecast>> {
        self.periods
            .into_iter()
            .map(|p| {
                let actual = p.sums.total(3 * p.inside.len(), fx)?;
                let calls = p
                    .inside
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| {
                        let won = p.sums.total(3 * k + WON, fx)?;
                        let commit = won.checked_add(p.sums.total(3 * k + COMMIT, fx)?)?;
                        let best = commit.checked_add(p.sums.total(3 * k + BEST, fx)?)?;
                        let (commit_error, commit_ape) = error(commit, actual)?;
                        let (best_case_error, best_case_ape) = error(best, actual)?;
                        Ok(ForecastCall {
                            snapshot: date(s),
                            won_to_date: won,
                            commit,
                            best_case: best,
                            actual_won: actual,
                            commit_error,
                            commit_ape,
                            best_case_error,
                            best_case_ape,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(PeriodForecast {
                    period: p.period,
                    final_snapshot: p.last.map(date),
                    complete: p.last.is_some_and(|l| l >= p.p1),
                    actual_won: actual,
                    calls,
                })
            })
            .collect()
    }
}

/// `call − actual`, and its absolute value over `actual` (`None` when
/// `actual` is zero).
fn error(call: Money, actual: Money) -> Result<(Money, Option<Multiple>)> {
    let e = call.checked_sub(actual)?;
    if actual.is_zero() {
        return Ok((e, None));
    }
    let ape = e.amount().abs();
    let q = Multiple::from_quotient(
        ape,
        actual.amount(),
        "absolute percentage error",
        "won by the period's end",
    )?;
    Ok((e, Some(q)))
}
