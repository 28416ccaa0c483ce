//! How the two teams' work differs, as data: each team's profile and the
//! comparison table built from both.

use crate::journey::{Activity, Focus, Horizon, InteractionMode, Scope, Team, TimeGoal};
use crate::metrics::Metric;

/// One column of the marketing-vs-sales comparison, as data.
///
/// Render the comparison table from [`TeamProfile::comparison`]; classify a
/// piece of work with [`Activity::team`] or
/// [`TouchpointKind::team`](crate::journey::TouchpointKind::team).
///
/// ```
/// use revops::journey::{Horizon, Scope, Team};
/// use revops::metrics::Metric;
/// let m = Team::Marketing.profile();
/// assert_eq!((m.scope, m.horizon), (Scope::Wide, Horizon::LongTerm));
/// assert!(m.headline_metrics.contains(&Metric::BrandAwareness));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TeamProfile {
    /// The team described.
    pub team: Team,
    /// What it is there to do.
    pub focus: Focus,
    /// How wide its work reaches.
    pub scope: Scope,
    /// The horizon it plans for.
    pub horizon: Horizon,
    /// Its typical activities.
    pub activities: &'static [Activity],
    /// How it reaches customers.
    pub interaction: InteractionMode,
    /// What it is judged on in time.
    pub time_goal: TimeGoal,
    /// Its headline metrics in the metric catalogue.
    pub headline_metrics: &'static [Metric],
}

const MARKETING_ACTIVITIES: &[Activity] = &[
    Activity::MarketResearch,
    Activity::AudienceTargeting,
    Activity::Advertising,
    Activity::PublicRelations,
    Activity::ContentCreation,
    Activity::BrandBuilding,
    Activity::ProductDevelopment,
];

const SALES_ACTIVITIES: &[Activity] = &[
    Activity::Prospecting,
    Activity::Demonstration,
    Activity::Proposal,
    Activity::Negotiation,
    Activity::Closing,
    Activity::FollowUp,
    Activity::Upselling,
];

static MARKETING_PROFILE: TeamProfile = TeamProfile {
    team: Team::Marketing,
    focus: Focus::CreateDemand,
    scope: Scope::Wide,
    horizon: Horizon::LongTerm,
    activities: MARKETING_ACTIVITIES,
    interaction: InteractionMode::Indirect,
    time_goal: TimeGoal::OngoingRelationships,
    headline_metrics: &[Metric::BrandAwareness, Metric::LeadCount],
};

static SALES_PROFILE: TeamProfile = TeamProfile {
    team: Team::Sales,
    focus: Focus::CloseDeals,
    scope: Scope::Narrow,
    horizon: Horizon::ShortTerm,
    activities: SALES_ACTIVITIES,
    interaction: InteractionMode::Direct,
    time_goal: TimeGoal::ImmediateResults,
    headline_metrics: &[Metric::SalesVolume, Metric::ClosedDealCount],
};

/// One row of the comparison table: an aspect and each team's entry.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ComparisonRow {
    /// The aspect compared ("focus", "scope", ...).
    pub aspect: &'static str,
    /// Marketing's entry.
    pub marketing: String,
    /// Sales's entry.
    pub sales: String,
}

impl TeamProfile {
    /// The comparison table, one row per aspect, built from both profiles.
    ///
    /// ```
    /// use revops::objective::TeamProfile;
    /// let rows = TeamProfile::comparison();
    /// assert_eq!(rows[0].aspect, "focus");
    /// assert_eq!(rows.len(), 6);
    /// ```
    pub fn comparison() -> Vec<ComparisonRow> {
        let (m, s) = (Team::Marketing.profile(), Team::Sales.profile());
        let list = |acts: &[Activity]| {
            acts.iter()
                .map(|a| a.label())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let ids = |ms: &[Metric]| ms.iter().map(|m| m.id()).collect::<Vec<_>>().join(", ");
        let row = |aspect, marketing: String, sales: String| ComparisonRow {
            aspect,
            marketing,
            sales,
        };
        vec![
            row("focus", m.focus.label().into(), s.focus.label().into()),
            row(
                "scope",
                format!("{} and {}", m.scope, m.horizon),
                format!("{} and {}", s.scope, s.horizon),
            ),
            row("activities", list(m.activities), list(s.activities)),
            row(
                "interaction",
                m.interaction.label().into(),
                s.interaction.label().into(),
            ),
            row(
                "time goal",
                m.time_goal.label().into(),
                s.time_goal.label().into(),
            ),
            row("metrics", ids(m.headline_metrics), ids(s.headline_metrics)),
        ]
    }
}

impl Team {
    /// The comparison profile of this team (see [`TeamProfile`]).
    pub fn profile(self) -> &'static TeamProfile {
        match self {
            Team::Marketing => &MARKETING_PROFILE,
            Team::Sales => &SALES_PROFILE,
        }
    }
}
