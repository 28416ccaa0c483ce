//! The common questions about marketing and sales, as typed decisions.
//!
//! Each function takes a description of the company's situation and returns
//! a [`Recommendation`]: a decision and the [`Reason`]s behind it, as data, so
//! that a service can render, translate or act on them.
//!
//! | question | function |
//! |---|---|
//! | When should we invest more in marketing than in sales? | [`investment_focus`] |
//! | How do strategies differ by product type? | [`strategy_for`] |
//! | Can one person cover both roles? | [`team_structure`] |
//! | How do we measure how well the teams work together? | [`cooperation_metrics`] |
//! | Which common mistakes are we making? | [`detect_mistakes`] |

use std::fmt;

use crate::journey::Team;
use crate::metrics::Metric;
use crate::objective::{Conflict, Scorecard};

/// A decision with the reasons for it.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recommendation<T> {
    /// What to do.
    pub decision: T,
    /// Why, most important first.
    pub reasons: Vec<Reason>,
}

/// A reason behind a recommendation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Reason {
    /// The company is new to its market: buyers must learn the brand first.
    NewToMarket,
    /// A new product is launching: buyers must learn what it is first.
    NewProductLaunch,
    /// Competition is fierce: the company must stand out.
    FierceCompetition,
    /// The brand is known and demand exists: converting it pays most.
    EstablishedDemand,
    /// The product is complex or expensive: buyers need education and advice.
    ComplexOrHighValueProduct,
    /// The product is simple and cheap: buyers decide fast.
    SimpleConsumerProduct,
    /// The company is small: one person or a small team can cover both roles.
    SmallCompany,
    /// The company has grown: separate teams bring focus and expertise.
    GrowingCompany,
}

/// Which side to weight the next investment toward.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum InvestmentFocus {
    /// Weight toward marketing: awareness and demand come first.
    Marketing,
    /// Weight toward sales: demand exists, convert it.
    Sales,
}

/// How crowded the market is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Competition {
    /// Few competitors.
    Low,
    /// Some competitors.
    Moderate,
    /// Many strong competitors.
    Fierce,
}

/// The company's situation, for [`investment_focus`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MarketSituation {
    /// The company has just entered its market.
    pub new_to_market: bool,
    /// A new product is being launched.
    pub launching_product: bool,
    /// How crowded the market is.
    pub competition: Competition,
}

/// When to invest more in marketing than in sales: when the company is new
/// to the market, is launching a product (buyers must get to know the brand
/// or product first), or faces fierce competition (it must differentiate).
/// Otherwise, with demand in place, weight toward sales.
///
/// ```
/// use revops::playbook::*;
/// let launch = MarketSituation { new_to_market: false, launching_product: true, competition: Competition::Moderate };
/// let r = investment_focus(launch);
/// assert_eq!(r.decision, InvestmentFocus::Marketing);
/// assert_eq!(r.reasons, vec![Reason::NewProductLaunch]);
///
/// let mature = MarketSituation { new_to_market: false, launching_product: false, competition: Competition::Low };
/// assert_eq!(investment_focus(mature).decision, InvestmentFocus::Sales);
/// ```
pub fn investment_focus(s: MarketSituation) -> Recommendation<InvestmentFocus> {
    let mut reasons = Vec::new();
    if s.new_to_market {
        reasons.push(Reason::NewToMarket);
    }
    if s.launching_product {
        reasons.push(Reason::NewProductLaunch);
    }
    if s.competition == Competition::Fierce {
        reasons.push(Reason::FierceCompetition);
    }
    if reasons.is_empty() {
        Recommendation {
            decision: InvestmentFocus::Sales,
            reasons: vec![Reason::EstablishedDemand],
        }
    } else {
        Recommendation {
            decision: InvestmentFocus::Marketing,
            reasons,
        }
    }
}

/// How complex a product is to understand and buy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Complexity {
    /// Understood at a glance (a t-shirt, a meal).
    Simple,
    /// Needs explanation, configuration or integration (enterprise software).
    Complex,
}

/// How much a purchase costs the buyer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DealValue {
    /// An everyday purchase.
    Low,
    /// A considered purchase.
    High,
}

/// The length of the marketing cycle.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MarketingCycle {
    /// Long, educational: content, webinars, nurturing.
    LongEducational,
    /// Short, attractive: offers, ads, seasonal campaigns.
    QuickAttractive,
}

/// The style of selling.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SalesApproach {
    /// Consultative: discovery, demos, proposals, negotiation.
    Consultative,
    /// Direct and immediate: at the counter, the checkout, the booking.
    Direct,
}

/// A marketing and sales strategy for a product type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Strategy {
    /// How marketing should run.
    pub marketing: MarketingCycle,
    /// How sales should sell.
    pub sales: SalesApproach,
}

/// How strategies differ by product type: complex or high-value products
/// need a long, educational marketing cycle and consultative selling;
/// simple, everyday products need quick, attractive marketing and direct
/// selling.
///
/// ```
/// use revops::playbook::*;
/// let erp = strategy_for(Complexity::Complex, DealValue::High);
/// assert_eq!(erp.decision, Strategy { marketing: MarketingCycle::LongEducational, sales: SalesApproach::Consultative });
/// let tee = strategy_for(Complexity::Simple, DealValue::Low);
/// assert_eq!(tee.decision.sales, SalesApproach::Direct);
/// ```
pub fn strategy_for(complexity: Complexity, value: DealValue) -> Recommendation<Strategy> {
    if complexity == Complexity::Complex || value == DealValue::High {
        Recommendation {
            decision: Strategy {
                marketing: MarketingCycle::LongEducational,
                sales: SalesApproach::Consultative,
            },
            reasons: vec![Reason::ComplexOrHighValueProduct],
        }
    } else {
        Recommendation {
            decision: Strategy {
                marketing: MarketingCycle::QuickAttractive,
                sales: SalesApproach::Direct,
            },
            reasons: vec![Reason::SimpleConsumerProduct],
        }
    }
}

/// Who covers marketing and sales.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TeamStructure {
    /// One person, or one small team, covers both roles.
    Combined,
    /// Separate marketing and sales teams.
    Separate,
}

/// Whether one person (or one small team) can cover both roles: yes while
/// the company's revenue staff is below `threshold` people; from there,
/// separate teams bring focus and expertise. The threshold is the caller's
/// (the article gives no number; 10 is a common choice).
///
/// ```
/// use revops::playbook::*;
/// assert_eq!(team_structure(3, 10).decision, TeamStructure::Combined);
/// assert_eq!(team_structure(25, 10).decision, TeamStructure::Separate);
/// ```
pub fn team_structure(revenue_staff: u32, threshold: u32) -> Recommendation<TeamStructure> {
    if revenue_staff < threshold {
        Recommendation {
            decision: TeamStructure::Combined,
            reasons: vec![Reason::SmallCompany],
        }
    } else {
        Recommendation {
            decision: TeamStructure::Separate,
            reasons: vec![Reason::GrowingCompany],
        }
    }
}

/// The catalogue's metrics that measure how well marketing and
/// sales work together: the lead-to-customer (lead-to-sales) conversion
/// rate, the change in time to close and in average deal value against a
/// baseline, customer satisfaction, and brand loyalty (repeat purchases).
///
/// ```
/// use revops::metrics::Metric;
/// assert!(revops::playbook::cooperation_metrics().contains(&Metric::LeadToCustomerRate));
/// ```
pub fn cooperation_metrics() -> &'static [Metric] {
    &[
        Metric::LeadToCustomerRate,
        Metric::SalesCycleChange,
        Metric::AverageDealSizeChange,
        Metric::CustomerSatisfactionScore,
        Metric::RepeatPurchaseRate,
    ]
}

/// A common mistake in running marketing and sales.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "kind"))]
pub enum Mistake {
    /// No goal is shared: nothing makes the teams coordinate (and their
    /// messages to customers can contradict each other).
    NoCoordination,
    /// One team has no goals at all: the company focuses on one side only.
    OneSideNeglected {
        /// The neglected team.
        team: Team,
    },
    /// Goals that pull the teams in different directions.
    ConflictingGoals {
        /// The conflicts found (see [`Scorecard::conflicts`]).
        conflicts: Vec<Conflict>,
    },
}

/// Finds the common mistakes visible in a scorecard: no shared goal (no
/// coordination), a team without goals (one side neglected), and goals that
/// conflict ([`Scorecard::conflicts`]). An empty list means none was found.
///
/// ```
/// use revops::objective::Scorecard;
/// use revops::playbook::{detect_mistakes, Mistake};
/// use revops::journey::Team;
/// let empty = Scorecard::default();
/// let found = detect_mistakes(&empty);
/// assert!(found.contains(&Mistake::NoCoordination));
/// assert!(found.contains(&Mistake::OneSideNeglected { team: Team::Sales }));
/// ```
pub fn detect_mistakes(card: &Scorecard) -> Vec<Mistake> {
    let mut out = Vec::new();
    if card.shared_goals().is_empty() {
        out.push(Mistake::NoCoordination);
    }
    for team in card.neglected_teams() {
        out.push(Mistake::OneSideNeglected { team });
    }
    let conflicts = card.conflicts();
    if !conflicts.is_empty() {
        out.push(Mistake::ConflictingGoals { conflicts });
    }
    out
}

/// `a`, `a and b`, `a, b and c`: a list as a sentence reads it.
fn prose<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(if i + 1 == items.len() { " and " } else { ", " })?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

/// Words for each variant of a plain enum, in one place.
macro_rules! words {
    ($t:ty { $($v:ident => $w:literal),* $(,)? }) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $(<$t>::$v => $w),* })
            }
        }
    };
}

words!(Reason {
    NewToMarket => "the company is new to its market",
    NewProductLaunch => "a new product is launching",
    FierceCompetition => "competition is fierce",
    EstablishedDemand => "the brand is known and demand exists",
    ComplexOrHighValueProduct => "the product is complex or expensive",
    SimpleConsumerProduct => "the product is simple and cheap",
    SmallCompany => "the company is small",
    GrowingCompany => "the company has grown",
});

words!(InvestmentFocus {
    Marketing => "marketing",
    Sales => "sales",
});

words!(Competition {
    Low => "little competition",
    Moderate => "moderate competition",
    Fierce => "fierce competition",
});

words!(Complexity {
    Simple => "simple",
    Complex => "complex",
});

words!(DealValue {
    Low => "low value",
    High => "high value",
});

words!(MarketingCycle {
    LongEducational => "a long, educational marketing cycle",
    QuickAttractive => "a quick, attractive marketing cycle",
});

words!(SalesApproach {
    Consultative => "consultative selling",
    Direct => "direct selling",
});

words!(TeamStructure {
    Combined => "one team for marketing and sales",
    Separate => "separate marketing and sales teams",
});

/// `marketing, because the company is new to its market and competition
/// is fierce`.
impl<T: fmt::Display> fmt::Display for Recommendation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.decision)?;
        if !self.reasons.is_empty() {
            f.write_str(", because ")?;
            prose(f, &self.reasons)?;
        }
        Ok(())
    }
}

/// `a quick, attractive marketing cycle and direct selling`.
impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} and {}", self.marketing, self.sales)
    }
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mistake::NoCoordination => {
                f.write_str("no goal is shared, so nothing makes the teams coordinate")
            }
            Mistake::OneSideNeglected { team } => write!(f, "{team} has no goals at all"),
            Mistake::ConflictingGoals { conflicts } => {
                f.write_str("goals pull the teams apart: ")?;
                prose(f, conflicts)
            }
        }
    }
}
