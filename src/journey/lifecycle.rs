//! The lead lifecycle and the hand-off from marketing to sales.

use chrono::{DateTime, Utc};

use super::team::labelled_enum;
use super::{Channel, Team};
use crate::error::{Error, Result};

labelled_enum! {
    /// Where a contact stands in the lead lifecycle.
    ///
    /// The forward stages, in order: subscriber, lead, marketing-qualified
    /// lead (MQL), sales-qualified lead (SQL), opportunity, customer,
    /// evangelist. The step from MQL to SQL is the **hand-off** from
    /// marketing to sales.
    ///
    /// One side state, [`Recycled`](LifecycleStage::Recycled), is the only
    /// way back: a lead that sales rejected, or whose opportunity was lost,
    /// returns to marketing for nurturing. From there it can be qualified
    /// again (to MQL or any later stage).
    ///
    /// | stage | owner |
    /// |---|---|
    /// | subscriber, lead, MQL, recycled | marketing |
    /// | SQL, opportunity, customer | sales |
    /// | evangelist | marketing (advocacy) |
    pub enum LifecycleStage {
        /// Opted in to hear from the company (newsletter, blog).
        Subscriber => "subscriber",
        /// Gave contact details in exchange for something.
        Lead => "lead",
        /// Marketing judges the lead ready for sales.
        MarketingQualifiedLead => "marketing-qualified lead",
        /// Sales accepted the lead and will work it.
        SalesQualifiedLead => "sales-qualified lead",
        /// A deal is open.
        Opportunity => "opportunity",
        /// Bought.
        Customer => "customer",
        /// Recommends the company to others.
        Evangelist => "evangelist",
        /// Sent back to marketing for nurturing (rejected or lost).
        Recycled => "recycled",
    }
}

impl LifecycleStage {
    /// The team responsible for a contact in this stage.
    ///
    /// ```
    /// use revops::journey::{LifecycleStage, Team};
    /// assert_eq!(LifecycleStage::MarketingQualifiedLead.owner(), Team::Marketing);
    /// assert_eq!(LifecycleStage::SalesQualifiedLead.owner(), Team::Sales);
    /// ```
    pub fn owner(self) -> Team {
        use LifecycleStage::*;
        match self {
            Subscriber | Lead | MarketingQualifiedLead | Recycled | Evangelist => Team::Marketing,
            SalesQualifiedLead | Opportunity | Customer => Team::Sales,
        }
    }

    /// The position among the forward stages (0 = subscriber), or `None` for
    /// the recycled side state.
    pub fn rank(self) -> Option<u8> {
        use LifecycleStage::*;
        Some(match self {
            Subscriber => 0,
            Lead => 1,
            MarketingQualifiedLead => 2,
            SalesQualifiedLead => 3,
            Opportunity => 4,
            Customer => 5,
            Evangelist => 6,
            Recycled => return None,
        })
    }

    /// The forward stages, in order.
    pub const FORWARD: [LifecycleStage; 7] = [
        LifecycleStage::Subscriber,
        LifecycleStage::Lead,
        LifecycleStage::MarketingQualifiedLead,
        LifecycleStage::SalesQualifiedLead,
        LifecycleStage::Opportunity,
        LifecycleStage::Customer,
        LifecycleStage::Evangelist,
    ];

    /// Whether a move from `self` to `to` is allowed, and which forward
    /// stages it skips.
    ///
    /// * forward to any later stage (skipping is allowed and reported);
    /// * to `Recycled` from lead, MQL, SQL or opportunity;
    /// * from `Recycled` to MQL or any later forward stage;
    /// * nothing else: no standing still, no other way back.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming both stages.
    ///
    /// ```
    /// use revops::journey::LifecycleStage as L;
    /// assert_eq!(L::Lead.check_move(L::SalesQualifiedLead)?, vec![L::MarketingQualifiedLead]);
    /// assert!(L::Opportunity.check_move(L::Recycled).is_ok());
    /// assert!(L::Customer.check_move(L::Lead).is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn check_move(self, to: LifecycleStage) -> Result<Vec<LifecycleStage>> {
        use LifecycleStage::*;
        let refuse = |why: &str| {
            Err(Error::invalid(
                "lifecycle transition",
                format!("cannot move from {self} to {to}: {why}"),
            ))
        };
        match (self.rank(), to.rank()) {
            (Some(a), Some(b)) if b > a => {
                Ok(LifecycleStage::FORWARD[usize::from(a) + 1..usize::from(b)].to_vec())
            }
            (Some(_), Some(_)) => refuse("only forward moves, or a move to recycled, are allowed"),
            (Some(_), None) => match self {
                Lead | MarketingQualifiedLead | SalesQualifiedLead | Opportunity => Ok(Vec::new()),
                _ => refuse("only a lead, MQL, SQL or opportunity can be recycled"),
            },
            (None, Some(b)) if b >= 2 => Ok(Vec::new()),
            (None, Some(_)) => refuse("a recycled lead re-enters as an MQL or later"),
            (None, None) => refuse("the lead is already recycled"),
        }
    }
}

/// One recorded move in a lead's lifecycle.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StageChange {
    /// The stage left.
    pub from: LifecycleStage,
    /// The stage entered.
    pub to: LifecycleStage,
    /// When.
    pub at: DateTime<Utc>,
    /// Forward stages passed over by this move (empty for a single step).
    pub skipped: Vec<LifecycleStage>,
}

/// Sales's verdict on a lead handed over by marketing.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "verdict"))]
pub enum SalesDecision {
    /// Accepted: the lead becomes sales-qualified.
    Accepted {
        /// When.
        at: DateTime<Utc>,
    },
    /// Rejected: the lead goes back to marketing (recycled).
    Rejected {
        /// When.
        at: DateTime<Utc>,
        /// Why, in sales's words.
        reason: String,
    },
}

/// `accepted` or `rejected: REASON`.
impl std::fmt::Display for SalesDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SalesDecision::Accepted { .. } => f.write_str("accepted"),
            SalesDecision::Rejected { reason, .. } => write!(f, "rejected: {reason}"),
        }
    }
}

impl SalesDecision {
    /// When the decision was made.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            SalesDecision::Accepted { at } | SalesDecision::Rejected { at, .. } => *at,
        }
    }

    /// Whether sales accepted the lead.
    pub fn is_accepted(&self) -> bool {
        matches!(self, SalesDecision::Accepted { .. })
    }
}

/// Where a lead came from.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeadSource {
    /// The channel that brought the lead.
    pub channel: Channel,
    /// Which team sourced it (marketing's campaigns or sales's outreach).
    pub sourced_by: Team,
}

/// A lead record: who it is, where it stands, and how the hand-off went.
///
/// Every change is timestamped and time only moves forward: an event dated
/// before the latest one already recorded is an error, and the lead is left
/// unchanged.
///
/// The hand-off protocol: marketing qualifies the lead
/// ([`LifecycleStage::MarketingQualifiedLead`]) and calls
/// [`hand_off`](Lead::hand_off); sales [`accept`](Lead::accept)s it (the lead
/// becomes an SQL) or [`reject`](Lead::reject)s it (the lead is recycled),
/// and [`record_first_contact`](Lead::record_first_contact) notes when a
/// salesperson first reached out. Interests and notes are what marketing
/// passes along so that sales can tailor the offer.
///
/// # Example
///
/// ```
/// use revops::{TimeZone, Utc};
/// use revops::journey::{Channel, Lead, LeadSource, LifecycleStage as L, Team};
///
/// let t = |h| Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
/// let source = LeadSource { channel: Channel::new("webinar")?, sourced_by: Team::Marketing };
/// let mut lead = Lead::new("lead-1", t(9), L::Lead, source);
/// lead.add_interest("CRM for a 10-person team");
/// lead.advance(L::MarketingQualifiedLead, t(10))?;
/// lead.hand_off(t(11))?;
/// lead.record_first_contact(t(12))?;
/// lead.accept(t(13))?;
/// assert_eq!(lead.stage(), L::SalesQualifiedLead);
/// assert_eq!(lead.speed_to_lead(), Some(revops::TimeDelta::hours(1)));
/// assert!(lead.advance(L::Opportunity, t(8)).is_err()); // time went backwards
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "LeadRepr"))]
pub struct Lead {
    id: String,
    created_at: DateTime<Utc>,
    stage: LifecycleStage,
    source: LeadSource,
    interests: Vec<String>,
    notes: Vec<String>,
    handoff_at: Option<DateTime<Utc>>,
    sales_decision: Option<SalesDecision>,
    first_sales_contact_at: Option<DateTime<Utc>>,
    transitions: Vec<StageChange>,
}

impl Lead {
    /// A new lead, created at `created_at` in `stage`.
    pub fn new(
        id: impl Into<String>,
        created_at: DateTime<Utc>,
        stage: LifecycleStage,
        source: LeadSource,
    ) -> Lead {
        Lead {
            id: id.into(),
            created_at,
            stage,
            source,
            interests: Vec::new(),
            notes: Vec::new(),
            handoff_at: None,
            sales_decision: None,
            first_sales_contact_at: None,
            transitions: Vec::new(),
        }
    }

    /// The lead's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When it was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Its current stage.
    pub fn stage(&self) -> LifecycleStage {
        self.stage
    }

    /// Where it came from.
    pub fn source(&self) -> &LeadSource {
        &self.source
    }

    /// What marketing learned the lead cares about.
    pub fn interests(&self) -> &[String] {
        &self.interests
    }

    /// Free-form notes passed along with the lead.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// When marketing handed it to sales.
    pub fn handoff_at(&self) -> Option<DateTime<Utc>> {
        self.handoff_at
    }

    /// Sales's verdict, once given.
    pub fn sales_decision(&self) -> Option<&SalesDecision> {
        self.sales_decision.as_ref()
    }

    /// When sales first contacted the lead.
    pub fn first_sales_contact_at(&self) -> Option<DateTime<Utc>> {
        self.first_sales_contact_at
    }

    /// Every recorded transition, oldest first.
    pub fn transitions(&self) -> &[StageChange] {
        &self.transitions
    }

    /// Time from hand-off to first sales contact, once both happened.
    pub fn speed_to_lead(&self) -> Option<chrono::TimeDelta> {
        Some(self.first_sales_contact_at? - self.handoff_at?)
    }

    /// When the lead entered `stage` (the latest time, if more than once),
    /// or its creation time if it was created there.
    pub fn entered(&self, stage: LifecycleStage) -> Option<DateTime<Utc>> {
        self.transitions
            .iter()
            .rev()
            .find(|t| t.to == stage)
            .map(|t| t.at)
            .or_else(|| {
                (self.transitions.first().map_or(self.stage, |t| t.from) == stage)
                    .then_some(self.created_at)
            })
    }

    /// Adds an interest for sales to tailor the offer to.
    pub fn add_interest(&mut self, interest: impl Into<String>) {
        self.interests.push(interest.into());
    }

    /// Adds a note.
    pub fn add_note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The latest time recorded on the lead.
    fn last_event(&self) -> DateTime<Utc> {
        [
            Some(self.created_at),
            self.transitions.last().map(|t| t.at),
            self.handoff_at,
            self.sales_decision.as_ref().map(SalesDecision::at),
            self.first_sales_contact_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.created_at)
    }

    fn check_time(&self, at: DateTime<Utc>, what: &str) -> Result<()> {
        let last = self.last_event();
        if at < last {
            return Err(Error::invalid(
                "lead",
                format!(
                    "{}: {what} at {at} is before the latest recorded event at {last}",
                    self.id
                ),
            ));
        }
        Ok(())
    }

    /// Moves the lead to `to` at `at` (see [`LifecycleStage::check_move`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a move the lifecycle forbids or a time
    /// before the latest recorded event.
    pub fn advance(&mut self, to: LifecycleStage, at: DateTime<Utc>) -> Result<&StageChange> {
        self.check_time(at, "transition")?;
        let skipped = self.stage.check_move(to)?;
        self.transitions.push(StageChange {
            from: self.stage,
            to,
            at,
            skipped,
        });
        self.stage = to;
        // The vector was just pushed to.
        self.transitions
            .last()
            .ok_or_else(|| Error::invalid("lead", "no transition recorded"))
    }

    /// Marketing hands the lead to sales.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] unless the lead is an MQL not yet handed off,
    /// or if `at` is before the latest event.
    pub fn hand_off(&mut self, at: DateTime<Utc>) -> Result<()> {
        self.check_time(at, "hand-off")?;
        if self.stage != LifecycleStage::MarketingQualifiedLead || self.sales_decision.is_some() {
            return Err(Error::invalid(
                "lead",
                format!(
                    "{}: only an MQL awaiting sales can be handed off (stage: {})",
                    self.id, self.stage
                ),
            ));
        }
        self.handoff_at = Some(at);
        Ok(())
    }

    fn decide(&mut self, decision: SalesDecision, to: LifecycleStage) -> Result<()> {
        let at = decision.at();
        self.check_time(at, "sales decision")?;
        if self.handoff_at.is_none() || self.sales_decision.is_some() {
            return Err(Error::invalid(
                "lead",
                format!(
                    "{}: sales can decide once, on a lead that was handed off",
                    self.id
                ),
            ));
        }
        self.advance(to, at)?;
        self.sales_decision = Some(decision);
        Ok(())
    }

    /// Sales accepts the handed-off lead: it becomes an SQL.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the lead was not handed off, was already
    /// decided on, or `at` is before the latest event.
    pub fn accept(&mut self, at: DateTime<Utc>) -> Result<()> {
        self.decide(
            SalesDecision::Accepted { at },
            LifecycleStage::SalesQualifiedLead,
        )
    }

    /// Sales rejects the handed-off lead: it is recycled to marketing.
    ///
    /// # Errors
    ///
    /// As [`Lead::accept`].
    pub fn reject(&mut self, at: DateTime<Utc>, reason: impl Into<String>) -> Result<()> {
        self.decide(
            SalesDecision::Rejected {
                at,
                reason: reason.into(),
            },
            LifecycleStage::Recycled,
        )
    }

    /// Records the first time a salesperson contacted the lead. Later
    /// contacts are not first contacts and are refused.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if a first contact is already recorded, or
    /// `at` is before the latest event.
    pub fn record_first_contact(&mut self, at: DateTime<Utc>) -> Result<()> {
        self.check_time(at, "first contact")?;
        if self.first_sales_contact_at.is_some() {
            return Err(Error::invalid(
                "lead",
                format!("{}: a first sales contact is already recorded", self.id),
            ));
        }
        self.first_sales_contact_at = Some(at);
        Ok(())
    }
}

/// The unchecked serde shape of a [`Lead`]; [`Lead::validate`] checks it.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadRepr {
    id: String,
    created_at: DateTime<Utc>,
    stage: LifecycleStage,
    source: LeadSource,
    #[serde(default)]
    interests: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    handoff_at: Option<DateTime<Utc>>,
    #[serde(default)]
    sales_decision: Option<SalesDecision>,
    #[serde(default)]
    first_sales_contact_at: Option<DateTime<Utc>>,
    #[serde(default)]
    transitions: Vec<StageChange>,
}

#[cfg(feature = "serde")]
impl TryFrom<LeadRepr> for Lead {
    type Error = Error;
    fn try_from(r: LeadRepr) -> Result<Lead> {
        let lead = Lead {
            id: r.id,
            created_at: r.created_at,
            stage: r.stage,
            source: r.source,
            interests: r.interests,
            notes: r.notes,
            handoff_at: r.handoff_at,
            sales_decision: r.sales_decision,
            first_sales_contact_at: r.first_sales_contact_at,
            transitions: r.transitions,
        };
        lead.validate()?;
        Ok(lead)
    }
}

impl Lead {
    /// Checks a lead's history for consistency: transitions chain from one
    /// stage to the next in time order (none before creation), each move is
    /// allowed with the skipped stages it records, the current stage is the
    /// last one entered, and the hand-off, decision and first contact are not
    /// before creation. Deserialization runs this check.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the first inconsistency.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| Err(Error::invalid("lead", format!("{}: {why}", self.id)));
        let mut at = self.created_at;
        let mut stage = self.transitions.first().map_or(self.stage, |t| t.from);
        for t in &self.transitions {
            if t.from != stage {
                return bad(format!(
                    "a transition starts at {} but the lead was in {stage}",
                    t.from
                ));
            }
            if t.at < at {
                return bad(format!(
                    "the transition to {} at {} goes back in time",
                    t.to, t.at
                ));
            }
            if stage.check_move(t.to)? != t.skipped {
                return bad(format!(
                    "the transition to {} records the wrong skipped stages",
                    t.to
                ));
            }
            stage = t.to;
            at = t.at;
        }
        if stage != self.stage {
            return bad(format!(
                "the stage is {} but the history ends in {stage}",
                self.stage
            ));
        }
        for (what, time) in [
            ("hand-off", self.handoff_at),
            (
                "sales decision",
                self.sales_decision.as_ref().map(SalesDecision::at),
            ),
            ("first contact", self.first_sales_contact_at),
        ] {
            if let Some(t) = time {
                if t < self.created_at {
                    return bad(format!("the {what} at {t} is before the lead was created"));
                }
            }
        }
        if self.sales_decision.is_some() && self.handoff_at.is_none() {
            return bad("sales decided on a lead that was never handed off".into());
        }
        Ok(())
    }
}
