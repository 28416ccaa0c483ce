//! The objectives of both teams and the direction of a metric: the
//! vocabulary the metric catalogue and the goals share.

use std::fmt;

use crate::journey::Team;

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

/// The objective in words: `raise demand`.
impl fmt::Display for MarketingObjective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Objective::Marketing(*self).describe())
    }
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

/// The objective in words: `turn prospects into customers`.
impl fmt::Display for SalesObjective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Objective::Sales(*self).describe())
    }
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

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::HigherIsBetter => "higher is better",
            Direction::LowerIsBetter => "lower is better",
        })
    }
}
