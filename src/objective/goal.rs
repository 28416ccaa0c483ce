//! Goals with a typed metric and target, and their assessment against pace.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Direction, Objective};
use crate::error::{Error, Result};
use crate::journey::Ownership;
use crate::metrics::Metric;
use crate::quantity::{Multiple, Period, Unit, Value};

/// How a goal's actual value accrues over its period.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum GoalKind {
    /// Summed over the period (revenue, leads, deals): it has a pace.
    Cumulative,
    /// A rate or an average (win rate, CSAT, cycle length): no pace, a gap.
    Level,
}

/// A goal's target, or an actual value to compare with it: the same type
/// as a metric's result ([`Value`]), so what
/// [`Metric::evaluate`] returns can be assessed as is.
pub type Target = Value;

/// A measurable goal: an objective, the metric that measures it, a target
/// over a period, a direction and a kind.
///
/// Rules, checked by [`Goal::new`]: the target is of the metric's
/// [`Unit`](crate::quantity::Unit) (a revenue goal cannot aim at a ratio);
/// for the units that cannot be negative, the target is not negative and a
/// higher-is-better target is above zero (there is nothing to attain in "at
/// least zero"). Targets of the signed units (a [`Change`](crate::Change)
/// such as ROI, an [`Nps`](crate::Nps)) may have any sign.
///
/// ```
/// use revops::NaiveDate;
/// use revops::journey::Ownership;
/// use revops::metrics::Metric;
/// use revops::objective::{Direction, Goal, GoalKind, Objective, SalesObjective, Target};
/// use revops::{Currency, Money, Period};
/// use revops::dec;
///
/// let d = |day| NaiveDate::from_ymd_opt(2026, 6, day).unwrap();
/// let quota = Goal::new(
///     Objective::Sales(SalesObjective::Targets),
///     Metric::Revenue,
///     Ownership::Sales,
///     Target::Money(Money::new(dec!(30000), Currency::USD)),
///     Period::month_of(d(1)),
///     Direction::HigherIsBetter,
///     GoalKind::Cumulative,
/// )?;
/// let a = quota.assess(Target::Money(Money::new(dec!(12000), Currency::USD)), d(10))?;
/// assert_eq!(a.attainment.unwrap().value(), dec!(0.4)); // 12,000 / 30,000
/// // 10 of 30 days passed: 10,000 expected, 12,000 done: ahead of pace.
/// assert_eq!(a.pace, Some(revops::objective::Pace::Ahead));
///
/// // The target must be of the metric's unit.
/// assert!(Goal::new(
///     Objective::Sales(SalesObjective::Targets),
///     Metric::Revenue,
///     Ownership::Sales,
///     Target::Count(30),
///     Period::month_of(d(1)),
///     Direction::HigherIsBetter,
///     GoalKind::Cumulative,
/// ).is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "GoalRepr", into = "GoalRepr"))]
pub struct Goal {
    objective: Objective,
    metric: Metric,
    owner: Ownership,
    target: Target,
    period: Period,
    direction: Direction,
    kind: GoalKind,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalRepr {
    objective: Objective,
    metric: Metric,
    owner: Ownership,
    target: Target,
    period: Period,
    direction: Direction,
    kind: GoalKind,
}

#[cfg(feature = "serde")]
impl TryFrom<GoalRepr> for Goal {
    type Error = Error;
    fn try_from(r: GoalRepr) -> Result<Goal> {
        Goal::new(
            r.objective,
            r.metric,
            r.owner,
            r.target,
            r.period,
            r.direction,
            r.kind,
        )
    }
}

#[cfg(feature = "serde")]
impl From<Goal> for GoalRepr {
    fn from(g: Goal) -> GoalRepr {
        GoalRepr {
            objective: g.objective,
            metric: g.metric,
            owner: g.owner,
            target: g.target,
            period: g.period,
            direction: g.direction,
            kind: g.kind,
        }
    }
}

/// Where a cumulative goal stands against the straight line from zero at
/// the period's start to the target at its end.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Pace {
    /// The period has not started.
    NotStarted,
    /// Better than the expected value by more than the tolerance.
    Ahead,
    /// Within the tolerance of the expected value.
    OnTrack,
    /// Worse than the expected value by more than the tolerance.
    Behind,
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pace::NotStarted => "not started",
            Pace::Ahead => "ahead of pace",
            Pace::OnTrack => "on track",
            Pace::Behind => "behind pace",
        })
    }
}

impl fmt::Display for GoalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GoalKind::Cumulative => "cumulative",
            GoalKind::Level => "level",
        })
    }
}

/// The result of [`Goal::assess`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Assessment {
    /// How much of the target is attained: `actual / target` when higher is
    /// better, `target / actual` when lower is better (so above 1 always
    /// means better than the target). `None` for a lower-is-better goal
    /// whose actual is zero (the best possible result, with no finite
    /// ratio), and, for the signed units ([`Unit::Change`](crate::quantity::Unit::Change),
    /// [`Unit::Score`](crate::quantity::Unit::Score)), whenever the
    /// divisor is not above zero or the dividend is below it (a ratio of
    /// values of opposite signs means nothing).
    pub attainment: Option<Multiple>,
    /// Whether the target is met now (reached, or not exceeded when lower is
    /// better).
    pub met: bool,
    /// For cumulative goals: the value expected by the end of the assessed
    /// day on a straight line, `target * elapsed_days(on) / days`.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub expected_to_date: Option<Decimal>,
    /// For cumulative goals: where the actual stands against that line.
    pub pace: Option<Pace>,
    /// For cumulative goals: the run-rate projection to the period's end,
    /// `actual / elapsed_days * days`; `None` before the period starts.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub projected: Option<Decimal>,
    /// For level goals: `actual - target`, in the target's unit (positive is
    /// above the target, whichever direction is better).
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub gap: Option<Decimal>,
}

impl Goal {
    /// The default pace tolerance: within 5% of the expected value counts
    /// as on track.
    pub const PACE_TOLERANCE: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

    /// A validated goal (see the type's rules).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a target of another unit than the
    /// metric's, or an unreachable target; [`Error::OutOfRange`] for a
    /// negative target of an unsigned unit.
    pub fn new(
        objective: Objective,
        metric: Metric,
        owner: Ownership,
        target: Target,
        period: Period,
        direction: Direction,
        kind: GoalKind,
    ) -> Result<Goal> {
        if target.unit() != metric.unit() {
            return Err(Error::invalid(
                "goal",
                format!(
                    "{metric} is measured as a {} but the target is a {}",
                    metric.unit().id(),
                    target.unit().id()
                ),
            ));
        }
        if !signed(&target) {
            let t = target.as_decimal();
            if t < Decimal::ZERO {
                return Err(Error::out_of_range("goal target", t, "[0, ∞)"));
            }
            if direction == Direction::HigherIsBetter && t.is_zero() {
                return Err(Error::invalid(
                    "goal",
                    format!("{metric}: a higher-is-better target must be above zero"),
                ));
            }
        }
        Ok(Goal {
            objective,
            metric,
            owner,
            target,
            period,
            direction,
            kind,
        })
    }

    /// The objective the goal serves.
    pub fn objective(&self) -> Objective {
        self.objective
    }
    /// The metric that measures it.
    pub fn metric(&self) -> Metric {
        self.metric
    }
    /// Who owns it: one team or both.
    pub fn owner(&self) -> Ownership {
        self.owner
    }
    /// The target.
    pub fn target(&self) -> Target {
        self.target
    }
    /// The period.
    pub fn period(&self) -> Period {
        self.period
    }
    /// The direction.
    pub fn direction(&self) -> Direction {
        self.direction
    }
    /// The kind.
    pub fn kind(&self) -> GoalKind {
        self.kind
    }

    /// Assesses `actual` at the end of day `on`, with the default tolerance
    /// ([`Goal::PACE_TOLERANCE`]). See [`Goal::assess_with_tolerance`].
    ///
    /// # Errors
    ///
    /// As [`Goal::assess_with_tolerance`].
    pub fn assess(&self, actual: Target, on: NaiveDate) -> Result<Assessment> {
        self.assess_with_tolerance(actual, on, Goal::PACE_TOLERANCE)
    }

    /// Assesses `actual` (the value to date for cumulative goals, the
    /// current level for level goals) at the end of day `on`.
    ///
    /// * attainment: `actual / target` (higher is better) or
    ///   `target / actual` (lower is better; `None` when actual is zero, and
    ///   for signed units whenever the ratio would not be of a non-negative
    ///   value by a positive one);
    /// * cumulative goals: elapsed time counts day `on` itself, so on the
    ///   first day of a 30-day period 1/30 of the target is expected (never
    ///   zero, never a division by zero). Pace compares actual with that
    ///   expectation: within `tolerance` (relative: 0.05 = ±5%) is on track;
    ///   before the period starts the pace is
    ///   [`NotStarted`](Pace::NotStarted) and nothing is projected;
    /// * level goals: the gap `actual - target`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if `actual` is not of the target's unit;
    /// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for a negative
    /// tolerance, or a negative actual of an unsigned unit;
    /// [`Error::Overflow`].
    pub fn assess_with_tolerance(
        &self,
        actual: Target,
        on: NaiveDate,
        tolerance: Decimal,
    ) -> Result<Assessment> {
        comparable(&self.target, &actual)?;
        if tolerance < Decimal::ZERO {
            return Err(Error::out_of_range("pace tolerance", tolerance, "[0, ∞)"));
        }
        let a = actual.as_decimal();
        let t = self.target.as_decimal();
        let signed = signed(&actual);
        if a < Decimal::ZERO && !signed {
            return Err(Error::out_of_range("goal actual", a, "[0, ∞)"));
        }
        let overflow = || Error::overflow("goal assessment");
        let higher = self.direction == Direction::HigherIsBetter;
        let (num, den) = if higher { (a, t) } else { (t, a) };
        // Unsigned units: t > 0 when higher is better (by construction) and
        // a >= 0; only a zero actual of a lower-is-better goal has no ratio.
        // Signed units: a ratio only of a non-negative by a positive value.
        let attainment = if den <= Decimal::ZERO || num < Decimal::ZERO {
            None
        } else {
            Some(Multiple::new(num.checked_div(den).ok_or_else(overflow)?)?)
        };
        let met = if higher { a >= t } else { a <= t };
        let mut out = Assessment {
            attainment,
            met,
            expected_to_date: None,
            pace: None,
            projected: None,
            gap: None,
        };
        match self.kind {
            GoalKind::Level => out.gap = Some(a.checked_sub(t).ok_or_else(overflow)?),
            GoalKind::Cumulative => {
                let elapsed = self.period.elapsed_days(on);
                // target x elapsed / days: multiply first, so that 1/30 of
                // 30,000 is exactly 1,000.
                let expected = t
                    .checked_mul(Decimal::from(elapsed))
                    .and_then(|x| x.checked_div(Decimal::from(self.period.days())))
                    .ok_or_else(overflow)?;
                out.expected_to_date = Some(expected.normalize());
                if elapsed == 0 {
                    out.pace = Some(Pace::NotStarted);
                } else {
                    let band = expected.abs().checked_mul(tolerance).ok_or_else(overflow)?;
                    let lo = expected.checked_sub(band).ok_or_else(overflow)?;
                    let hi = expected.checked_add(band).ok_or_else(overflow)?;
                    let better = if higher { a > hi } else { a < lo };
                    let worse = if higher { a < lo } else { a > hi };
                    out.pace = Some(if better {
                        Pace::Ahead
                    } else if worse {
                        Pace::Behind
                    } else {
                        Pace::OnTrack
                    });
                    let projected = a
                        .checked_div(Decimal::from(elapsed))
                        .and_then(|r| r.checked_mul(Decimal::from(self.period.days())))
                        .ok_or_else(overflow)?;
                    out.projected = Some(projected.normalize());
                }
            }
        }
        Ok(out)
    }
}

/// Whether a value's unit admits negative values (a change, a score).
fn signed(v: &Value) -> bool {
    matches!(v.unit(), Unit::Change | Unit::Score)
}

/// Checks that `actual` is of the same unit (and currency) as `target`.
fn comparable(target: &Value, actual: &Value) -> Result<()> {
    match (target, actual) {
        (Value::Money(t), Value::Money(a)) if t.currency() != a.currency() => {
            Err(Error::CurrencyMismatch {
                operation: "goal assessment".into(),
                left: t.currency().code(),
                right: a.currency().code(),
            })
        }
        _ if target.unit() == actual.unit() => Ok(()),
        _ => Err(Error::invalid(
            "goal assessment",
            format!(
                "the actual value is a {} but the target is a {}",
                actual.unit().id(),
                target.unit().id()
            ),
        )),
    }
}
