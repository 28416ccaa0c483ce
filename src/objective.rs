//! Objectives, goals with pacing, and scorecards.
//!
//! The article's objectives are enum variants: four for marketing
//! ([`MarketingObjective`]) and four for sales ([`SalesObjective`]). Which
//! metrics measure which objective is recorded in one place only, the
//! metric catalogue (`metrics::Metric::objectives`); this module
//! does not import the metrics, and a [`Goal`] names its metric by id.
//!
//! A [`Goal`] is an objective, a metric, a [`Target`], a [`Period`], a
//! [`Direction`] and a [`GoalKind`]. [`Goal::assess`] compares an actual
//! value with the target and, for cumulative goals, with the straight-line
//! pace. A [`Scorecard`] groups both teams' goals and flags goals that pull
//! against each other.

use std::fmt;

use chrono::{NaiveDate, TimeDelta};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::journey::{Ownership, Team};
use crate::quantity::{Money, Multiple, Period, Ratio};

/// What marketing works toward.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MarketingObjective {
    /// Make the brand and its products known.
    BrandAwareness,
    /// Learn what customers need and shape products to meet it.
    CustomerNeeds,
    /// Keep customers over the long term.
    LongTermRelationships,
    /// Raise demand for the products and services.
    Demand,
}

/// What sales works toward.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SalesObjective {
    /// Complete transactions and bring in revenue.
    Revenue,
    /// Hit set targets such as a monthly quota.
    Targets,
    /// Turn prospects into customers.
    Conversion,
    /// Give buyers a satisfying purchase experience.
    PurchaseExperience,
}

/// An objective of either team.
///
/// # JSON form
///
/// `{"marketing": "brand_awareness"}` or `{"sales": "targets"}`.
///
/// ```
/// use revops::objective::{Objective, SalesObjective};
/// use revops::journey::Team;
/// assert_eq!(Objective::Sales(SalesObjective::Targets).team(), Team::Sales);
/// assert_eq!(Objective::ALL.len(), 8);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Objective {
    /// One of marketing's objectives.
    Marketing(MarketingObjective),
    /// One of sales's objectives.
    Sales(SalesObjective),
}

impl Objective {
    /// All eight objectives, marketing's first.
    pub const ALL: [Objective; 8] = [
        Objective::Marketing(MarketingObjective::BrandAwareness),
        Objective::Marketing(MarketingObjective::CustomerNeeds),
        Objective::Marketing(MarketingObjective::LongTermRelationships),
        Objective::Marketing(MarketingObjective::Demand),
        Objective::Sales(SalesObjective::Revenue),
        Objective::Sales(SalesObjective::Targets),
        Objective::Sales(SalesObjective::Conversion),
        Objective::Sales(SalesObjective::PurchaseExperience),
    ];

    /// The team the objective belongs to.
    pub fn team(self) -> Team {
        match self {
            Objective::Marketing(_) => Team::Marketing,
            Objective::Sales(_) => Team::Sales,
        }
    }

    /// A stable snake_case id: `brand_awareness`, `revenue`, ...
    pub fn id(self) -> &'static str {
        match self {
            Objective::Marketing(m) => match m {
                MarketingObjective::BrandAwareness => "brand_awareness",
                MarketingObjective::CustomerNeeds => "customer_needs",
                MarketingObjective::LongTermRelationships => "long_term_relationships",
                MarketingObjective::Demand => "demand",
            },
            Objective::Sales(s) => match s {
                SalesObjective::Revenue => "revenue",
                SalesObjective::Targets => "targets",
                SalesObjective::Conversion => "conversion",
                SalesObjective::PurchaseExperience => "purchase_experience",
            },
        }
    }

    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            Objective::Marketing(m) => match m {
                MarketingObjective::BrandAwareness => "make the brand and products known",
                MarketingObjective::CustomerNeeds => "understand needs and shape products",
                MarketingObjective::LongTermRelationships => "keep customers for the long term",
                MarketingObjective::Demand => "raise demand",
            },
            Objective::Sales(s) => match s {
                SalesObjective::Revenue => "close transactions and bring in revenue",
                SalesObjective::Targets => "hit targets such as monthly quotas",
                SalesObjective::Conversion => "turn prospects into customers",
                SalesObjective::PurchaseExperience => "make buying a good experience",
            },
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.describe(), self.team())
    }
}

/// Whether more of a metric is better or worse.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Direction {
    /// Revenue, win rate, leads.
    HigherIsBetter,
    /// Cost per lead, churn, cycle length.
    LowerIsBetter,
}

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

/// A goal's target, or an actual value to compare with it.
///
/// # JSON form
///
/// Externally tagged: `{"ratio": "0.25"}`, `{"money": {"amount": "50000",
/// "currency": "USD"}}`, `{"count": 120}`, `{"duration_seconds": 86400}`,
/// `{"multiple": "3"}`, `{"decimal": "4.5"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Target {
    /// A proportion.
    Ratio(Ratio),
    /// An amount of money.
    Money(Money),
    /// A count.
    Count(u64),
    /// A duration, in whole seconds.
    DurationSeconds(i64),
    /// A multiple (ROAS, coverage).
    Multiple(Multiple),
    /// Any other number (a score).
    Decimal(
        #[cfg_attr(
            feature = "serde",
            serde(deserialize_with = "crate::serde_util::decimal::deserialize")
        )]
        Decimal,
    ),
}

impl Target {
    /// A duration target, in whole seconds (sub-second parts are dropped).
    pub fn duration(d: TimeDelta) -> Target {
        Target::DurationSeconds(d.num_seconds())
    }

    fn kind(&self) -> &'static str {
        match self {
            Target::Ratio(_) => "ratio",
            Target::Money(_) => "money",
            Target::Count(_) => "count",
            Target::DurationSeconds(_) => "duration",
            Target::Multiple(_) => "multiple",
            Target::Decimal(_) => "decimal",
        }
    }

    fn value(&self) -> Decimal {
        match *self {
            Target::Ratio(r) => r.value(),
            Target::Money(m) => m.amount(),
            Target::Count(c) => Decimal::from(c),
            Target::DurationSeconds(s) => Decimal::from(s),
            Target::Multiple(m) => m.value(),
            Target::Decimal(d) => d,
        }
    }

    /// Checks that `actual` is of the same kind (and currency) as `self`.
    fn comparable(&self, actual: &Target) -> Result<()> {
        match (self, actual) {
            (Target::Money(t), Target::Money(a)) if t.currency() != a.currency() => {
                Err(Error::CurrencyMismatch {
                    operation: "goal assessment".into(),
                    left: t.currency(),
                    right: a.currency(),
                })
            }
            _ if self.kind() == actual.kind() => Ok(()),
            _ => Err(Error::invalid(
                "goal assessment",
                format!(
                    "the actual value is a {} but the target is a {}",
                    actual.kind(),
                    self.kind()
                ),
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ratio(r) => write!(f, "{r}"),
            Target::Money(m) => write!(f, "{m}"),
            Target::Count(c) => write!(f, "{c}"),
            Target::DurationSeconds(s) => write!(f, "{s} s"),
            Target::Multiple(m) => write!(f, "{m}"),
            Target::Decimal(d) => write!(f, "{d}"),
        }
    }
}

/// A measurable goal: an objective, the metric that measures it, a target
/// over a period, a direction and a kind.
///
/// Rules, checked by [`Goal::new`]: the metric id is not blank; the target
/// is not negative; a higher-is-better target is above zero (there is
/// nothing to attain in "at least zero").
///
/// ```
/// use chrono::NaiveDate;
/// use revops::journey::Ownership;
/// use revops::objective::{Direction, Goal, GoalKind, Objective, SalesObjective, Target};
/// use revops::{Currency, Money, Period};
/// use revops::dec;
///
/// let d = |day| NaiveDate::from_ymd_opt(2026, 6, day).unwrap();
/// let quota = Goal::new(
///     Objective::Sales(SalesObjective::Targets),
///     "revenue",
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
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "GoalRepr", into = "GoalRepr"))]
pub struct Goal {
    objective: Objective,
    metric: String,
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
    metric: String,
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

/// The result of [`Goal::assess`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Assessment {
    /// How much of the target is attained: `actual / target` when higher is
    /// better, `target / actual` when lower is better (so above 1 always
    /// means better than the target). `None` only for a lower-is-better goal
    /// whose actual is zero: the best possible result, with no finite ratio.
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
    /// [`Error::InvalidInput`] for a blank metric id or an unreachable
    /// target; [`Error::OutOfRange`] for a negative target.
    pub fn new(
        objective: Objective,
        metric: impl Into<String>,
        owner: Ownership,
        target: Target,
        period: Period,
        direction: Direction,
        kind: GoalKind,
    ) -> Result<Goal> {
        let metric = metric.into();
        if metric.trim().is_empty() {
            return Err(Error::invalid("goal", "the metric id is blank"));
        }
        let t = target.value();
        if t < Decimal::ZERO {
            return Err(Error::out_of_range("goal target", t, "[0, ∞)"));
        }
        if direction == Direction::HigherIsBetter && t.is_zero() {
            return Err(Error::invalid(
                "goal",
                format!("{metric}: a higher-is-better target must be above zero"),
            ));
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
    /// The id of the metric that measures it.
    pub fn metric(&self) -> &str {
        &self.metric
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
    ///   `target / actual` (lower is better; `None` when actual is zero);
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
    /// [`Error::InvalidInput`] if `actual` is not of the target's kind;
    /// [`Error::CurrencyMismatch`]; [`Error::OutOfRange`] for a negative
    /// actual or tolerance; [`Error::Overflow`].
    pub fn assess_with_tolerance(
        &self,
        actual: Target,
        on: NaiveDate,
        tolerance: Decimal,
    ) -> Result<Assessment> {
        self.target.comparable(&actual)?;
        if tolerance < Decimal::ZERO {
            return Err(Error::out_of_range("pace tolerance", tolerance, "[0, ∞)"));
        }
        let a = actual.value();
        let t = self.target.value();
        if a < Decimal::ZERO {
            return Err(Error::out_of_range("goal actual", a, "[0, ∞)"));
        }
        let overflow = || Error::overflow("goal assessment");
        let higher = self.direction == Direction::HigherIsBetter;
        let attainment = if higher {
            // t > 0 by construction.
            Some(Multiple::new(a.checked_div(t).ok_or_else(overflow)?)?)
        } else if a.is_zero() {
            None
        } else {
            Some(Multiple::new(t.checked_div(a).ok_or_else(overflow)?)?)
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
                    let band = expected.checked_mul(tolerance).ok_or_else(overflow)?;
                    // expected and band are both >= 0: the difference cannot
                    // overflow, the sum can.
                    let lo = expected - band;
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

/// A conflict between goals, found by [`Scorecard::conflicts`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "kind"))]
pub enum Conflict {
    /// Marketing is judged on volume while sales is judged on conversion or
    /// efficiency, and no shared goal ties both to the outcome: marketing
    /// gains by sending more, weaker leads, which lowers sales's numbers.
    VolumeVersusQuality {
        /// The metric of marketing's volume goal.
        marketing_metric: String,
        /// The metric of sales's quality goal.
        sales_metric: String,
    },
    /// The two teams have goals on the same metric in opposite directions.
    OpposingDirections {
        /// The metric both teams target.
        metric: String,
    },
}

/// Both teams' goals for a period, with the checks of how they fit together.
///
/// # The conflict rule
///
/// [`Scorecard::conflicts`] reports:
///
/// 1. [`Conflict::VolumeVersusQuality`] for each pair of a marketing-only
///    goal on a *volume* metric ([`Scorecard::VOLUME_METRICS`]) and a
///    sales-only goal on a *quality* metric ([`Scorecard::QUALITY_METRICS`])
///    — **unless** the scorecard has a shared goal on an *outcome* metric
///    ([`Scorecard::OUTCOME_METRICS`], such as revenue or the lead-to-customer
///    rate), which makes both teams answer for the same result;
/// 2. [`Conflict::OpposingDirections`] when goals owned by different teams
///    target the same metric with opposite directions.
///
/// ```
/// use chrono::NaiveDate;
/// use revops::journey::Ownership;
/// use revops::objective::*;
/// use revops::{Period, Ratio};
///
/// let q = Period::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())?;
/// let leads = Goal::new(Objective::Marketing(MarketingObjective::Demand), "lead_count",
///     Ownership::Marketing, Target::Count(600), q, Direction::HigherIsBetter, GoalKind::Cumulative)?;
/// let win = Goal::new(Objective::Sales(SalesObjective::Conversion), "win_rate",
///     Ownership::Sales, Target::Ratio(Ratio::from_counts(30, 100)?), q, Direction::HigherIsBetter, GoalKind::Level)?;
/// let card = Scorecard::new(vec![leads, win]);
/// assert_eq!(card.conflicts().len(), 1);
/// assert!(card.shared_goals().is_empty());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scorecard {
    goals: Vec<Goal>,
}

impl Scorecard {
    /// Metrics that count how much marketing produces.
    pub const VOLUME_METRICS: &'static [&'static str] = &[
        "lead_count",
        "mql_count",
        "impressions",
        "reach",
        "website_visitors",
        "share_of_voice",
    ];
    /// Metrics that judge how well sales converts or how efficient it is.
    pub const QUALITY_METRICS: &'static [&'static str] = &[
        "win_rate",
        "close_rate",
        "average_deal_size",
        "sales_cycle_length",
        "mql_acceptance_rate",
    ];
    /// Metrics of the joint outcome, which a shared goal ties both teams to.
    pub const OUTCOME_METRICS: &'static [&'static str] = &[
        "revenue",
        "lead_to_customer_rate",
        "marketing_sourced_revenue_share",
        "customer_acquisition_cost",
        "ltv_to_cac",
        "pipeline_velocity",
    ];

    /// A scorecard of `goals`.
    pub fn new(goals: Vec<Goal>) -> Scorecard {
        Scorecard { goals }
    }

    /// Adds a goal.
    pub fn push(&mut self, goal: Goal) {
        self.goals.push(goal);
    }

    /// All goals.
    pub fn goals(&self) -> &[Goal] {
        &self.goals
    }

    /// The goals owned by `team`, alone or shared.
    pub fn goals_of(&self, team: Team) -> impl Iterator<Item = &Goal> {
        self.goals.iter().filter(move |g| g.owner.includes(team))
    }

    /// The goals both teams share.
    pub fn shared_goals(&self) -> Vec<&Goal> {
        self.goals
            .iter()
            .filter(|g| g.owner == Ownership::Shared)
            .collect()
    }

    /// Whether a shared goal on an outcome metric exists.
    pub fn has_shared_outcome(&self) -> bool {
        self.goals.iter().any(|g| {
            g.owner == Ownership::Shared && Scorecard::OUTCOME_METRICS.contains(&g.metric.as_str())
        })
    }

    /// The teams with no goal at all (not even a shared one).
    pub fn neglected_teams(&self) -> Vec<Team> {
        Team::ALL
            .into_iter()
            .filter(|&t| self.goals_of(t).next().is_none())
            .collect()
    }

    /// The conflicts between goals (see the type's docs for the rule).
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        let only = |o: Ownership| self.goals.iter().filter(move |g| g.owner == o);
        if !self.has_shared_outcome() {
            for m in only(Ownership::Marketing)
                .filter(|g| Scorecard::VOLUME_METRICS.contains(&g.metric.as_str()))
            {
                for s in only(Ownership::Sales)
                    .filter(|g| Scorecard::QUALITY_METRICS.contains(&g.metric.as_str()))
                {
                    out.push(Conflict::VolumeVersusQuality {
                        marketing_metric: m.metric.clone(),
                        sales_metric: s.metric.clone(),
                    });
                }
            }
        }
        // Opposing directions: one conflict per metric, in the order of the
        // metric's first conflicting pair (i, j), i < j. Goals are grouped
        // by metric, so this is O(n log n), not a scan of all pairs.
        let combo = |g: &Goal| -> u8 {
            let o = match g.owner {
                Ownership::Marketing => 0,
                Ownership::Sales => 1,
                Ownership::Shared => 2,
            };
            let d = match g.direction {
                Direction::HigherIsBetter => 0,
                Direction::LowerIsBetter => 1,
            };
            1 << (o * 2 + d)
        };
        // The combos (owner, direction) that conflict with combo bit `c`:
        // another owner and the other direction.
        let against = |c: u8| -> u8 {
            let (o, d) = (c.trailing_zeros() / 2, c.trailing_zeros() % 2);
            (0..3u32)
                .filter(|&x| x != o)
                .map(|x| 1u8 << (x * 2 + (1 - d)))
                .fold(0, |a, b| a | b)
        };
        let mut by_metric: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, g) in self.goals.iter().enumerate() {
            by_metric.entry(g.metric.as_str()).or_default().push(i);
        }
        let mut found: Vec<((usize, usize), &str)> = Vec::new();
        for (metric, idx) in &by_metric {
            // Combos present after each position, from the end.
            let mut suffix = vec![0u8; idx.len() + 1];
            for k in (0..idx.len()).rev() {
                suffix[k] = suffix[k + 1] | combo(&self.goals[idx[k]]);
            }
            let first = (0..idx.len()).find_map(|k| {
                let want = against(combo(&self.goals[idx[k]]));
                if suffix[k + 1] & want == 0 {
                    return None;
                }
                let j = idx[k + 1..]
                    .iter()
                    .find(|&&j| combo(&self.goals[j]) & want != 0)?;
                Some((idx[k], *j))
            });
            if let Some(pair) = first {
                found.push((pair, metric));
            }
        }
        found.sort_unstable();
        out.extend(
            found
                .into_iter()
                .map(|(_, metric)| Conflict::OpposingDirections {
                    metric: metric.to_string(),
                }),
        );
        out
    }
}
