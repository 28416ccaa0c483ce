//! The pipeline flow report and its parts.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::quantity::{Change, Currency, Money, Multiple, Period};

/// The movements of the waterfall, in its order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Movement {
    /// In the period at the first date: present, open, close date in it.
    Start,
    /// Entered the period and absent at the first date.
    Created,
    /// Entered the period and present at the first date (close date moved
    /// into it, or reopened).
    PulledIn,
    /// Amount grew between the dates.
    Increased,
    /// Amount shrank between the dates.
    Decreased,
    /// Close date moved out of the period.
    PushedOut,
    /// Won by the second date.
    Won,
    /// Lost by the second date.
    Lost,
    /// In the period at the first date, absent at the second.
    Removed,
    /// Open in the period at the second date.
    End,
}

impl Movement {
    /// Every movement, in the waterfall's order.
    pub const ALL: [Movement; 10] = [
        Movement::Start,
        Movement::Created,
        Movement::PulledIn,
        Movement::Increased,
        Movement::Decreased,
        Movement::PushedOut,
        Movement::Won,
        Movement::Lost,
        Movement::Removed,
        Movement::End,
    ];

    /// The name used in JSON and tables (`pulled_in`).
    pub fn name(self) -> &'static str {
        match self {
            Movement::Start => "start",
            Movement::Created => "created",
            Movement::PulledIn => "pulled_in",
            Movement::Increased => "increased",
            Movement::Decreased => "decreased",
            Movement::PushedOut => "pushed_out",
            Movement::Won => "won",
            Movement::Lost => "lost",
            Movement::Removed => "removed",
            Movement::End => "end",
        }
    }

    /// Whether it adds to the pipeline (`start`, `created`, `pulled_in`,
    /// `increased`) or takes from it (the others but `end`).
    pub fn adds(self) -> bool {
        matches!(
            self,
            Movement::Start | Movement::Created | Movement::PulledIn | Movement::Increased
        )
    }
}

/// One count or amount per movement.
///
/// ```
/// use revops::pipeline::flow::{Movement, Movements};
/// let mut c = Movements::<u64>::default();
/// *c.get_mut(Movement::Won) += 2;
/// assert_eq!(*c.get(Movement::Won), 2);
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Movements<T> {
    /// [`Movement::Start`].
    pub start: T,
    /// [`Movement::Created`].
    pub created: T,
    /// [`Movement::PulledIn`].
    pub pulled_in: T,
    /// [`Movement::Increased`].
    pub increased: T,
    /// [`Movement::Decreased`].
    pub decreased: T,
    /// [`Movement::PushedOut`].
    pub pushed_out: T,
    /// [`Movement::Won`].
    pub won: T,
    /// [`Movement::Lost`].
    pub lost: T,
    /// [`Movement::Removed`].
    pub removed: T,
    /// [`Movement::End`].
    pub end: T,
}

impl<T> Movements<T> {
    /// The value of `m`.
    pub fn get(&self, m: Movement) -> &T {
        match m {
            Movement::Start => &self.start,
            Movement::Created => &self.created,
            Movement::PulledIn => &self.pulled_in,
            Movement::Increased => &self.increased,
            Movement::Decreased => &self.decreased,
            Movement::PushedOut => &self.pushed_out,
            Movement::Won => &self.won,
            Movement::Lost => &self.lost,
            Movement::Removed => &self.removed,
            Movement::End => &self.end,
        }
    }

    /// The value of `m`, to change.
    pub fn get_mut(&mut self, m: Movement) -> &mut T {
        match m {
            Movement::Start => &mut self.start,
            Movement::Created => &mut self.created,
            Movement::PulledIn => &mut self.pulled_in,
            Movement::Increased => &mut self.increased,
            Movement::Decreased => &mut self.decreased,
            Movement::PushedOut => &mut self.pushed_out,
            Movement::Won => &mut self.won,
            Movement::Lost => &mut self.lost,
            Movement::Removed => &mut self.removed,
            Movement::End => &mut self.end,
        }
    }
}

/// Close-date changes between the two dates, over every deal: each pair
/// of a deal's consecutive snapshots in `[from, to]` whose close dates
/// differ is one change, a push when the later date is later.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CloseDateChanges {
    /// Deals whose close date changed at least once.
    pub deals_changed: u64,
    /// Changes of close date.
    pub changes: u64,
    /// Changes to a later date.
    pub pushes: u64,
    /// Changes to an earlier date.
    pub pulls: u64,
    /// Days added by the pushes.
    pub days_pushed: u64,
    /// Days taken off by the pulls.
    pub days_pulled: u64,
    /// Deals pushed more than once.
    pub pushed_more_than_once: u64,
}

/// The time deals spent in one stage, from snapshots.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StageDuration {
    /// The stage.
    pub stage: String,
    /// Stays that ended (a later snapshot shows another stage, or the deal
    /// closed): the durations measured.
    pub measured: u64,
    /// Stays with no end seen: the deal is open in the stage at its last
    /// snapshot (still there at the file's last snapshot, or gone from the
    /// CRM). Not in the figures.
    pub censored: u64,
    /// Measured stays already under way at the file's first snapshot:
    /// measured from it, so shorter than they were.
    pub from_first_snapshot: u64,
    /// Mean days of the measured stays.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub mean_days: Option<Decimal>,
    /// Median days (the crate's quantile rule).
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub median_days: Option<Decimal>,
    /// 90th percentile of days.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub p90_days: Option<Decimal>,
}

/// Stage durations, and their resolution.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StageDurations {
    /// The longest gap between consecutive snapshot dates: a duration is
    /// a difference of snapshot dates, so the true one is within this
    /// many days of it (`None` with fewer than two snapshots).
    pub resolution_days: Option<i64>,
    /// Per stage, by name.
    pub stages: Vec<StageDuration>,
}

/// The forecast call at one snapshot inside a period, against what was
/// won by its end.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ForecastCall {
    /// The snapshot.
    pub snapshot: NaiveDate,
    /// Won at the snapshot, close date in the period.
    pub won_to_date: Money,
    /// The commit call: won to date + open commit deals closing in the
    /// period.
    pub commit: Money,
    /// The best-case call: the commit call + open best-case deals.
    pub best_case: Money,
    /// Won by the period's end (the same for every call of a period).
    pub actual_won: Money,
    /// `commit − actual_won` (above zero: the call was too high).
    pub commit_error: Money,
    /// `|commit_error| / actual_won`; `None` when nothing was won.
    pub commit_ape: Option<Multiple>,
    /// `best_case − actual_won`.
    pub best_case_error: Money,
    /// `|best_case_error| / actual_won`; `None` when nothing was won.
    pub best_case_ape: Option<Multiple>,
}

/// The calls of one period.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PeriodForecast {
    /// The period of close dates.
    pub period: Period,
    /// The snapshot that says what was won: the first on or after the
    /// period's end, or the last one (`None` without snapshots).
    pub final_snapshot: Option<NaiveDate>,
    /// Whether that snapshot is on or after the period's end (otherwise
    /// the outcome is not final).
    pub complete: bool,
    /// Won at the final snapshot, close date in the period.
    pub actual_won: Money,
    /// One call per snapshot inside the period, in order.
    pub calls: Vec<ForecastCall>,
}

/// How good the calls were over several periods.
///
/// ```
/// use revops::pipeline::flow::{ForecastAccuracy, ForecastCall, PeriodForecast};
/// use revops::{Money, Multiple, NaiveDate, Period};
/// let usd = |a: &str| Money::parse(a, "USD").unwrap();
/// let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
/// let call = |commit: &str, actual: &str| {
///     let error = usd(commit).checked_sub(usd(actual)).unwrap();
///     let ape = Multiple::from_quotient(error.amount().abs(), usd(actual).amount(), "ape", "actual").ok();
///     ForecastCall {
///         snapshot: d(2026, 2), won_to_date: usd("0"), commit: usd(commit), best_case: usd(commit),
///         actual_won: usd(actual), commit_error: error, commit_ape: ape,
///         best_case_error: error, best_case_ape: ape,
///     }
/// };
/// let q = |y, calls| PeriodForecast { period: Period::new(d(y, 1), d(y, 4)).unwrap(),
///     final_snapshot: Some(d(y, 4)), complete: true, actual_won: usd("100"), calls };
/// // Called 120 for 100, then 90 for 100.
/// let acc = ForecastAccuracy::over(&[q(2025, vec![call("120", "100")]), q(2026, vec![call("90", "100")])], Some(0))?;
/// assert_eq!(acc.commit_mape.unwrap().value(), revops::dec!(0.15));
/// assert_eq!(acc.commit_bias.unwrap().value(), revops::dec!(0.05));
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ForecastAccuracy {
    /// The calls counted.
    pub calls: u64,
    /// Mean absolute percentage error of the commit calls (over the calls
    /// of a period where something was won).
    pub commit_mape: Option<Multiple>,
    /// Σ (commit − actual) / Σ actual: above zero, calls too high.
    pub commit_bias: Option<Change>,
    /// Mean absolute percentage error of the best-case calls.
    pub best_case_mape: Option<Multiple>,
    /// Σ (best case − actual) / Σ actual.
    pub best_case_bias: Option<Change>,
}

impl ForecastAccuracy {
    /// MAPE and bias of the calls of `periods`: every call, or with
    /// `Some(k)` the `k`-th call of each period (the call at week 4 of
    /// every quarter: `Some(3)` with weekly snapshots), periods with fewer
    /// calls left out.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] for periods in different currencies;
    /// [`Error::Overflow`].
    pub fn over(periods: &[PeriodForecast], at: Option<usize>) -> Result<ForecastAccuracy> {
        let calls: Vec<&ForecastCall> = periods
            .iter()
            .flat_map(|p| match at {
                None => p.calls.iter().collect::<Vec<_>>(),
                Some(k) => p.calls.get(k).into_iter().collect(),
            })
            .collect();
        let mape = |ape: fn(&ForecastCall) -> Option<Multiple>| -> Result<Option<Multiple>> {
            let apes: Vec<Decimal> = calls
                .iter()
                .filter_map(|c| ape(c))
                .map(|m| m.value())
                .collect();
            if apes.is_empty() {
                return Ok(None);
            }
            let sum = apes
                .iter()
                .try_fold(Decimal::ZERO, |a, &b| a.checked_add(b))
                .ok_or_else(|| Error::overflow("forecast MAPE"))?;
            let mean = sum
                .checked_div(Decimal::from(apes.len()))
                .ok_or_else(|| Error::overflow("forecast MAPE"))?;
            Multiple::new(mean).map(Some)
        };
        let bias = |call: fn(&ForecastCall) -> Money| -> Result<Option<Change>> {
            let Some(first) = calls.first() else {
                return Ok(None);
            };
            let c: Currency = first.actual_won.currency();
            let called = Money::checked_sum(calls.iter().map(|x| call(x)), c)?;
            let actual = Money::checked_sum(calls.iter().map(|x| x.actual_won), c)?;
            if actual.is_zero() {
                return Ok(None);
            }
            Change::new(called.checked_sub(actual)?.ratio_to(actual)?).map(Some)
        };
        Ok(ForecastAccuracy {
            calls: calls.len() as u64,
            commit_mape: mape(|c| c.commit_ape)?,
            commit_bias: bias(|c| c.commit)?,
            best_case_mape: mape(|c| c.best_case_ape)?,
            best_case_bias: bias(|c| c.best_case)?,
        })
    }
}

/// What the report left out, by reason.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FlowIgnored {
    /// Rows that repeat another row of the same deal and snapshot exactly
    /// (counted once).
    pub duplicate_rows: u64,
    /// Deals with two different rows for one snapshot: left out of every
    /// figure (listed in [`FlowReport::deals`] when asked for).
    pub conflicting_deals: u64,
    /// Deals with an amount in a currency without an exchange rate: left
    /// out of every figure.
    pub deals_without_fx_rate: u64,
}

/// One deal's close-date changes between the two dates (a deal is listed
/// when its close date changed at least once).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DealCloseDateChanges {
    /// The deal.
    pub deal: String,
    /// Changes of its close date.
    pub changes: u64,
    /// Of which to a later date.
    pub pushes: u64,
    /// Days added by the pushes.
    pub days_pushed: u64,
    /// Days taken off by the pulls.
    pub days_pulled: u64,
}

/// The deals behind each figure, by id (sorted), when the spec asks for
/// them ([`FlowSpec::listing_deals`](super::FlowSpec::listing_deals)).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FlowDeals {
    /// The deals of each movement.
    pub movements: Movements<Vec<String>>,
    /// The slipped deals.
    pub slipped: Vec<String>,
    /// The deals pushed more than once between the dates.
    pub pushed_more_than_once: Vec<String>,
    /// Each deal's close-date changes between the dates, by deal.
    pub close_date_changes: Vec<DealCloseDateChanges>,
    /// The deals left out for conflicting rows.
    pub conflicting: Vec<String>,
    /// The deals left out for a currency without a rate.
    pub without_fx_rate: Vec<String>,
}

/// The pipeline's movement between two snapshots for a period of close
/// dates, with slippage, stage durations and forecast accuracy (the rules
/// are in the [module docs](super)).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FlowReport {
    /// The report currency.
    pub currency: Currency,
    /// The first snapshot date (A).
    pub from: NaiveDate,
    /// The second snapshot date (B).
    pub to: NaiveDate,
    /// The period of close dates.
    pub period: Period,
    /// Open in the period at A.
    pub start: Money,
    /// Absent at A, in the period at B.
    pub created: Money,
    /// Present at A outside the period (or closed), in it at B.
    pub pulled_in: Money,
    /// Amount increases of the deals in the period at A.
    pub increased: Money,
    /// Amount decreases of the deals in the period at A.
    pub decreased: Money,
    /// Close date moved out of the period (amount at B).
    pub pushed_out: Money,
    /// Won at B (amount at B).
    pub won: Money,
    /// Lost at B (amount at B).
    pub lost: Money,
    /// In the period at A, gone at B (amount at A).
    pub removed: Money,
    /// Open in the period at B: start + created + pulled_in + increased −
    /// decreased − pushed_out − won − lost − removed, exactly.
    pub end: Money,
    /// Deals per movement.
    pub counts: Movements<u64>,
    /// Deals in the period at A, present at B with a later close date.
    pub slipped_deals: u64,
    /// Close-date changes between A and B.
    pub close_date_changes: CloseDateChanges,
    /// Time in each stage, over every snapshot.
    pub stage_durations: StageDurations,
    /// The forecast call at each snapshot inside the period.
    pub forecast_accuracy: Vec<ForecastCall>,
    /// The snapshot that says what the period won (see
    /// [`PeriodForecast::final_snapshot`]).
    pub forecast_final_snapshot: Option<NaiveDate>,
    /// What was left out.
    pub ignored: FlowIgnored,
    /// The deals behind the figures, when asked for.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub deals: Option<FlowDeals>,
}

impl FlowReport {
    /// The amount of movement `m`.
    ///
    /// ```
    /// # use revops::pipeline::flow::{FlowReport, Movement};
    /// # fn f(r: &FlowReport) { let _ = r.amount(Movement::PulledIn); }
    /// ```
    pub fn amount(&self, m: Movement) -> Money {
        match m {
            Movement::Start => self.start,
            Movement::Created => self.created,
            Movement::PulledIn => self.pulled_in,
            Movement::Increased => self.increased,
            Movement::Decreased => self.decreased,
            Movement::PushedOut => self.pushed_out,
            Movement::Won => self.won,
            Movement::Lost => self.lost,
            Movement::Removed => self.removed,
            Movement::End => self.end,
        }
    }
}
