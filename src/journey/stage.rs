//! The stages of the customer journey, and a company's own funnel.

use std::fmt;

use super::team::labelled_enum;
use super::Team;
use crate::error::{Error, Result};

labelled_enum! {
    /// A stage of the default customer journey, in journey order (`Ord`).
    ///
    /// | stage | owner | phase |
    /// |---|---|---|
    /// | Awareness | marketing | early |
    /// | Interest | marketing | early |
    /// | Decision | sales | final |
    /// | Purchase | sales | final |
    /// | Retention | marketing | post-purchase |
    /// | Advocacy | marketing | post-purchase |
    ///
    /// Up to the purchase, every marketing-led stage comes before every
    /// sales-led one. After it, the long-term relationship (retention and
    /// advocacy) is led by marketing, one of whose objectives is to build
    /// lasting relationships; the purchase experience itself stays with sales.
    ///
    /// ```
    /// use revops::journey::{Phase, Stage, Team};
    /// assert!(Stage::Interest < Stage::Decision);
    /// assert_eq!(Stage::Decision.owner(), Team::Sales);
    /// assert_eq!(Stage::Retention.phase(), Phase::PostPurchase);
    /// ```
    pub enum Stage {
        /// The prospect learns the brand or product exists.
        Awareness => "awareness",
        /// The prospect looks closer: visits, reads, signs up.
        Interest => "interest",
        /// The prospect weighs the offer: inquiries, demos, proposals.
        Decision => "decision",
        /// The prospect buys.
        Purchase => "purchase",
        /// The customer stays and buys again.
        Retention => "retention",
        /// The customer recommends the brand.
        Advocacy => "advocacy",
    }
}

labelled_enum! {
    /// Where a stage sits in the journey.
    pub enum Phase {
        /// Awareness and interest.
        Early => "early",
        /// Decision and purchase.
        Final => "final",
        /// Retention and advocacy.
        PostPurchase => "post-purchase",
    }
}

impl Stage {
    /// The team that leads this stage. Never shared.
    pub fn owner(self) -> Team {
        match self {
            Stage::Decision | Stage::Purchase => Team::Sales,
            Stage::Awareness | Stage::Interest | Stage::Retention | Stage::Advocacy => {
                Team::Marketing
            }
        }
    }

    /// The phase of the journey this stage is in.
    pub fn phase(self) -> Phase {
        match self {
            Stage::Awareness | Stage::Interest => Phase::Early,
            Stage::Decision | Stage::Purchase => Phase::Final,
            Stage::Retention | Stage::Advocacy => Phase::PostPurchase,
        }
    }

    /// Whether the stage comes before or at the purchase (the acquisition
    /// part of the journey).
    pub fn is_acquisition(self) -> bool {
        self <= Stage::Purchase
    }
}

/// One stage of a company's own [`Funnel`].
///
/// ```
/// use revops::journey::{FunnelStage, Stage, Team};
/// let s = FunnelStage::new("Webinar signup", Team::Marketing).maps_to(Stage::Interest);
/// assert_eq!(s.name(), "Webinar signup");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct FunnelStage {
    name: String,
    owner: Team,
    #[cfg_attr(feature = "serde", serde(default))]
    default_stage: Option<Stage>,
}

impl FunnelStage {
    /// A stage named `name`, led by `owner`.
    pub fn new(name: impl Into<String>, owner: Team) -> FunnelStage {
        FunnelStage {
            name: name.into(),
            owner,
            default_stage: None,
        }
    }

    /// Maps this stage onto a stage of the default journey.
    pub fn maps_to(mut self, stage: Stage) -> FunnelStage {
        self.default_stage = Some(stage);
        self
    }

    /// The stage's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The team that leads it.
    pub fn owner(&self) -> Team {
        self.owner
    }

    /// The default journey stage it corresponds to, if declared.
    pub fn default_stage(&self) -> Option<Stage> {
        self.default_stage
    }
}

/// A company's own ordered acquisition stages, up to the purchase.
///
/// Rules, checked by [`Funnel::new`] (and on deserialization):
///
/// * at least two stages;
/// * names are unique (compared after trimming, case-insensitively) and
///   not blank;
/// * owners never go back from sales to marketing: once sales leads, it
///   leads to the end. A funnel may belong to one team only (a sales team's
///   deal stages), so the hand-off point is optional;
/// * mapped default stages, where given, never go backwards and stay within
///   the acquisition part of the journey (up to [`Stage::Purchase`]), and a
///   stage's owner matches the owner of the default stage it maps to.
///
/// # JSON form
///
/// `{"stages": [{"name": "Visit", "owner": "marketing", "default_stage": "interest"}, ...]}`.
///
/// # Example
///
/// ```
/// use revops::journey::{Funnel, FunnelStage, Team};
///
/// let saas = Funnel::new(vec![
///     FunnelStage::new("Webinar", Team::Marketing),
///     FunnelStage::new("Trial", Team::Marketing),
///     FunnelStage::new("Demo", Team::Sales),
///     FunnelStage::new("Subscription", Team::Sales),
/// ])?;
/// assert_eq!(saas.handoff(), Some(2));
/// assert_eq!(saas.index_of("demo"), Some(2));
///
/// let backwards = Funnel::new(vec![
///     FunnelStage::new("Call", Team::Sales),
///     FunnelStage::new("Ad", Team::Marketing),
/// ]);
/// assert!(backwards.is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "FunnelRepr", into = "FunnelRepr"))]
pub struct Funnel {
    stages: Vec<FunnelStage>,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FunnelRepr {
    stages: Vec<FunnelStage>,
}

#[cfg(feature = "serde")]
impl TryFrom<FunnelRepr> for Funnel {
    type Error = Error;
    fn try_from(r: FunnelRepr) -> Result<Funnel> {
        Funnel::new(r.stages)
    }
}

#[cfg(feature = "serde")]
impl From<Funnel> for FunnelRepr {
    fn from(f: Funnel) -> FunnelRepr {
        FunnelRepr { stages: f.stages }
    }
}

impl Funnel {
    /// A validated funnel (see the type's rules).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rule broken and the stage.
    pub fn new(stages: Vec<FunnelStage>) -> Result<Funnel> {
        let bad = |reason: String| Err(Error::invalid("funnel", reason));
        if stages.len() < 2 {
            return bad(format!(
                "a funnel needs at least two stages, got {}",
                stages.len()
            ));
        }
        let mut seen: Vec<String> = Vec::with_capacity(stages.len());
        let mut prev: Option<&FunnelStage> = None;
        for s in &stages {
            let key = s.name.trim().to_lowercase();
            if key.is_empty() {
                return bad("a stage name is blank".into());
            }
            if seen.contains(&key) {
                return bad(format!("stage name {:?} is used twice", s.name));
            }
            seen.push(key);
            if let Some(d) = s.default_stage {
                if !d.is_acquisition() {
                    return bad(format!(
                        "stage {:?} maps to {d}, after the purchase; a funnel ends at the purchase",
                        s.name
                    ));
                }
                if d.owner() != s.owner {
                    return bad(format!(
                        "stage {:?} is led by {} but maps to {d}, which {} leads",
                        s.name,
                        s.owner,
                        d.owner()
                    ));
                }
            }
            if let Some(p) = prev {
                if p.owner == Team::Sales && s.owner == Team::Marketing {
                    return bad(format!(
                        "stage {:?} goes back from sales to marketing after {:?}",
                        s.name, p.name
                    ));
                }
                if let (Some(a), Some(b)) = (p.default_stage, s.default_stage) {
                    if b < a {
                        return bad(format!(
                            "stage {:?} maps to {b}, before {a} of the stage {:?} ahead of it",
                            s.name, p.name
                        ));
                    }
                }
            }
            prev = Some(s);
        }
        Ok(Funnel { stages })
    }

    /// The article's four-stage journey: awareness and interest (marketing),
    /// then decision and purchase (sales).
    ///
    /// ```
    /// use revops::journey::Funnel;
    /// let f = Funnel::standard();
    /// assert_eq!(f.len(), 4);
    /// assert_eq!(f.handoff(), Some(2));
    /// ```
    pub fn standard() -> Funnel {
        let stage = |s: Stage| FunnelStage::new(s.label(), s.owner()).maps_to(s);
        Funnel {
            stages: vec![
                stage(Stage::Awareness),
                stage(Stage::Interest),
                stage(Stage::Decision),
                stage(Stage::Purchase),
            ],
        }
    }

    /// The stages, in order.
    pub fn stages(&self) -> &[FunnelStage] {
        &self.stages
    }

    /// The number of stages (at least 2).
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// Always `false`: a funnel has at least two stages.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// The stage at `index`.
    pub fn get(&self, index: usize) -> Option<&FunnelStage> {
        self.stages.get(index)
    }

    /// The index of the stage named `name` (trimmed, case-insensitive).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let key = name.trim().to_lowercase();
        self.stages
            .iter()
            .position(|s| s.name.trim().to_lowercase() == key)
    }

    /// The stage named `name`.
    pub fn by_name(&self, name: &str) -> Option<&FunnelStage> {
        self.index_of(name).and_then(|i| self.stages.get(i))
    }

    /// The index of the first sales-led stage when the funnel starts with
    /// marketing: where marketing hands prospects to sales. `None` for a
    /// funnel led by one team throughout.
    pub fn handoff(&self) -> Option<usize> {
        let first = self.stages.first()?.owner;
        if first == Team::Sales {
            return None;
        }
        self.stages.iter().position(|s| s.owner == Team::Sales)
    }
}

impl fmt::Display for Funnel {
    /// `Awareness > Interest > Decision > Purchase`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(" > ")?;
            }
            f.write_str(&s.name)?;
        }
        Ok(())
    }
}
