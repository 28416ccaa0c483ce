//! The two teams, who owns what, and how their work differs.

use std::fmt;

/// One of the two revenue teams.
///
/// Marketing creates awareness and demand; sales turns demand into closed
/// deals and revenue. A stage of the customer journey is always led by
/// exactly one team (see [`Stage::owner`](super::Stage::owner)); metrics and
/// goals may be shared, which [`Ownership`] expresses.
///
/// # JSON form
///
/// `"marketing"` or `"sales"`.
///
/// ```
/// use revops::journey::Team;
/// assert_eq!(Team::Marketing.other(), Team::Sales);
/// assert_eq!(Team::Sales.to_string(), "sales");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Team {
    /// Creates awareness and demand: research, advertising, content, PR.
    Marketing,
    /// Converts demand into revenue: calls, demos, negotiation, closing.
    Sales,
}

impl Team {
    /// Both teams, marketing first.
    pub const ALL: [Team; 2] = [Team::Marketing, Team::Sales];

    /// The other team.
    pub fn other(self) -> Team {
        match self {
            Team::Marketing => Team::Sales,
            Team::Sales => Team::Marketing,
        }
    }

    /// A stable lower-case id: `marketing` or `sales`.
    pub fn id(self) -> &'static str {
        match self {
            Team::Marketing => "marketing",
            Team::Sales => "sales",
        }
    }
}

/// Parses `marketing` or `sales`, case-insensitively (blanks around ignored).
///
/// ```
/// use revops::journey::Team;
/// assert_eq!(" Sales ".parse::<Team>()?, Team::Sales);
/// assert!("ops".parse::<Team>().is_err());
/// # Ok::<(), revops::Error>(())
/// ```
impl std::str::FromStr for Team {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<Team> {
        match s.trim().to_ascii_lowercase().as_str() {
            "marketing" => Ok(Team::Marketing),
            "sales" => Ok(Team::Sales),
            _ => Err(crate::error::Error::invalid(
                "team",
                "expected marketing or sales",
            )),
        }
    }
}

impl fmt::Display for Team {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.id())
    }
}

/// Who a metric or a goal belongs to: one team, or both.
///
/// A journey stage can never be shared (its owner is a [`Team`]); a metric
/// such as the lead-to-customer rate or a revenue goal can be, because both
/// teams move it together.
///
/// # JSON form
///
/// `"marketing"`, `"sales"` or `"shared"`.
///
/// ```
/// use revops::journey::{Ownership, Team};
/// assert!(Ownership::Shared.includes(Team::Sales));
/// assert!(!Ownership::from(Team::Marketing).includes(Team::Sales));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Ownership {
    /// Marketing alone.
    Marketing,
    /// Sales alone.
    Sales,
    /// Both teams together.
    Shared,
}

impl Ownership {
    /// Whether `team` is (one of) the owner(s).
    pub fn includes(self, team: Team) -> bool {
        matches!(
            (self, team),
            (Ownership::Shared, _)
                | (Ownership::Marketing, Team::Marketing)
                | (Ownership::Sales, Team::Sales)
        )
    }

    /// The single owning team, or `None` when shared.
    pub fn team(self) -> Option<Team> {
        match self {
            Ownership::Marketing => Some(Team::Marketing),
            Ownership::Sales => Some(Team::Sales),
            Ownership::Shared => None,
        }
    }

    /// A stable id: `marketing`, `sales` or `shared`.
    pub fn id(self) -> &'static str {
        match self {
            Ownership::Marketing => "marketing",
            Ownership::Sales => "sales",
            Ownership::Shared => "shared",
        }
    }
}

impl From<Team> for Ownership {
    fn from(t: Team) -> Ownership {
        match t {
            Team::Marketing => Ownership::Marketing,
            Team::Sales => Ownership::Sales,
        }
    }
}

impl fmt::Display for Ownership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.id())
    }
}

macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $label:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// A short human label for rendering tables.
            pub fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label ),*
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.label())
            }
        }
    };
}
pub(crate) use labelled_enum;

labelled_enum! {
    /// What a team is there to do.
    pub enum Focus {
        /// Draw prospects in and create demand.
        CreateDemand => "attract prospects and create demand",
        /// Complete deals and bring in revenue.
        CloseDeals => "complete deals and bring in revenue",
    }
}

labelled_enum! {
    /// How wide a team's work reaches.
    pub enum Scope {
        /// The whole market and the brand.
        Wide => "wide",
        /// One prospect, one deal at a time.
        Narrow => "narrow",
    }
}

labelled_enum! {
    /// The time horizon a team plans for.
    pub enum Horizon {
        /// Months to years.
        LongTerm => "long-term",
        /// Days to weeks: this deal, this quarter.
        ShortTerm => "short-term",
    }
}

labelled_enum! {
    /// What a team's results are judged on in time.
    pub enum TimeGoal {
        /// Relationships that keep paying back.
        OngoingRelationships => "lasting relationships",
        /// Results now: signed deals, this month's number.
        ImmediateResults => "immediate results",
    }
}

labelled_enum! {
    /// How a team reaches the customer.
    pub enum InteractionMode {
        /// Through media: campaigns, ads, content, one-to-many.
        Indirect => "indirect (campaigns, ads, content)",
        /// Person to person: calls, meetings, demos.
        Direct => "direct (calls, meetings)",
    }
}

labelled_enum! {
    /// A kind of work a team does. Every activity belongs to exactly one team
    /// ([`Activity::team`]).
    pub enum Activity {
        /// Studying the market, competitors and customer needs.
        MarketResearch => "market research",
        /// Choosing whom to address.
        AudienceTargeting => "audience targeting",
        /// Paid campaigns on any medium.
        Advertising => "advertising",
        /// Press, events and public image.
        PublicRelations => "public relations",
        /// Articles, videos, webinars, newsletters.
        ContentCreation => "content creation",
        /// Building the brand's image over time.
        BrandBuilding => "brand building",
        /// Shaping products around the needs research found.
        ProductDevelopment => "product development input",
        /// Qualifying and answering inbound inquiries.
        Prospecting => "prospecting and inquiries",
        /// Showing the product to one prospect.
        Demonstration => "demonstrations",
        /// Writing a tailored offer.
        Proposal => "proposals and offers",
        /// Agreeing price and terms.
        Negotiation => "negotiation",
        /// Getting the signature or the payment.
        Closing => "closing deals",
        /// Checking in after contact or after the sale.
        FollowUp => "follow-up",
        /// Suggesting add-ons at the moment of purchase.
        Upselling => "upselling and add-ons",
    }
}

impl Activity {
    /// The team whose work this is.
    ///
    /// ```
    /// use revops::journey::{Activity, Team};
    /// assert_eq!(Activity::Advertising.team(), Team::Marketing);
    /// assert_eq!(Activity::Negotiation.team(), Team::Sales);
    /// ```
    pub fn team(self) -> Team {
        use Activity::*;
        match self {
            MarketResearch | AudienceTargeting | Advertising | PublicRelations
            | ContentCreation | BrandBuilding | ProductDevelopment => Team::Marketing,
            Prospecting | Demonstration | Proposal | Negotiation | Closing | FollowUp
            | Upselling => Team::Sales,
        }
    }

    /// How the activity reaches the customer: marketing's work is indirect,
    /// sales's work is direct.
    pub fn interaction(self) -> InteractionMode {
        match self.team() {
            Team::Marketing => InteractionMode::Indirect,
            Team::Sales => InteractionMode::Direct,
        }
    }
}
