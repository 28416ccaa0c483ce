//! Both teams' goals together, and the conflicts between them.

use std::fmt;

use super::{Direction, Goal};
use crate::journey::{Ownership, Team};
use crate::metrics::Metric;

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
        marketing_metric: Metric,
        /// The metric of sales's quality goal.
        sales_metric: Metric,
    },
    /// The two teams have goals on the same metric in opposite directions.
    OpposingDirections {
        /// The metric both teams target.
        metric: Metric,
    },
}

/// `marketing's lead count pulls against sales' win rate`.
impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |m: &Metric| m.name().to_lowercase();
        match self {
            Conflict::VolumeVersusQuality {
                marketing_metric,
                sales_metric,
            } => write!(
                f,
                "marketing's {} pulls against sales' {}",
                name(marketing_metric),
                name(sales_metric)
            ),
            Conflict::OpposingDirections { metric } => {
                write!(f, "the teams push {} in opposite directions", name(metric))
            }
        }
    }
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
/// use revops::NaiveDate;
/// use revops::journey::Ownership;
/// use revops::metrics::Metric;
/// use revops::objective::*;
/// use revops::{Period, Ratio};
///
/// let q = Period::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())?;
/// let leads = Goal::new(Objective::Marketing(MarketingObjective::Demand), Metric::LeadCount,
///     Ownership::Marketing, Target::Count(600), q, Direction::HigherIsBetter, GoalKind::Cumulative)?;
/// let win = Goal::new(Objective::Sales(SalesObjective::Conversion), Metric::WinRate,
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
    pub const VOLUME_METRICS: &'static [Metric] = &[
        Metric::LeadCount,
        Metric::ShareOfVoice,
        Metric::BrandAwareness,
        Metric::AverageFrequency,
    ];
    /// Metrics that judge how well sales converts or how efficient it is.
    pub const QUALITY_METRICS: &'static [Metric] = &[
        Metric::WinRate,
        Metric::CloseRate,
        Metric::AverageDealSize,
        Metric::SalesCycleLength,
        Metric::MeanSalesCycleLength,
        Metric::MqlAcceptanceRate,
    ];
    /// Metrics of the joint outcome, which a shared goal ties both teams to.
    pub const OUTCOME_METRICS: &'static [Metric] = &[
        Metric::Revenue,
        Metric::LeadToCustomerRate,
        Metric::MarketingSourcedRevenueShare,
        Metric::CustomerAcquisitionCost,
        Metric::LtvToCac,
        Metric::PipelineVelocity,
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
        self.goals.iter().filter(move |g| g.owner().includes(team))
    }

    /// The goals both teams share.
    pub fn shared_goals(&self) -> Vec<&Goal> {
        self.goals
            .iter()
            .filter(|g| g.owner() == Ownership::Shared)
            .collect()
    }

    /// Whether a shared goal on an outcome metric exists.
    pub fn has_shared_outcome(&self) -> bool {
        self.goals.iter().any(|g| {
            g.owner() == Ownership::Shared && Scorecard::OUTCOME_METRICS.contains(&g.metric())
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
        let only = |o: Ownership| self.goals.iter().filter(move |g| g.owner() == o);
        if !self.has_shared_outcome() {
            for m in only(Ownership::Marketing)
                .filter(|g| Scorecard::VOLUME_METRICS.contains(&g.metric()))
            {
                for s in only(Ownership::Sales)
                    .filter(|g| Scorecard::QUALITY_METRICS.contains(&g.metric()))
                {
                    out.push(Conflict::VolumeVersusQuality {
                        marketing_metric: m.metric(),
                        sales_metric: s.metric(),
                    });
                }
            }
        }
        // Opposing directions: one conflict per metric, in the order of the
        // metric's first conflicting pair (i, j), i < j. Goals are grouped
        // by metric, so this is O(n log n), not a scan of all pairs.
        let combo = |g: &Goal| -> u8 {
            let o = match g.owner() {
                Ownership::Marketing => 0,
                Ownership::Sales => 1,
                Ownership::Shared => 2,
            };
            let d = match g.direction() {
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
        let mut by_metric: std::collections::BTreeMap<Metric, Vec<usize>> = Default::default();
        for (i, g) in self.goals.iter().enumerate() {
            by_metric.entry(g.metric()).or_default().push(i);
        }
        let mut found: Vec<((usize, usize), Metric)> = Vec::new();
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
                found.push((pair, *metric));
            }
        }
        found.sort_unstable();
        out.extend(
            found
                .into_iter()
                .map(|(_, metric)| Conflict::OpposingDirections { metric }),
        );
        out
    }
}
