//! Channels, touchpoints and journeys.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use super::team::labelled_enum;
use super::{InteractionMode, Stage, Team};
use crate::error::{Error, Result};
use crate::quantity::Money;

/// A marketing or sales channel, by name: `"email"`, `"paid_search"`,
/// `"webinar"`, `"store"`.
///
/// Names are trimmed and must be non-empty, at most 200 bytes, and must not
/// contain ` > ` (the path separator of attribution files). For fast
/// analysis, names are interned as [`ChannelId`]s in a [`Channels`] registry.
///
/// # JSON form
///
/// The name as a string: `"email"`.
///
/// ```
/// use revops::journey::Channel;
/// assert_eq!(Channel::new("  email ")?.as_str(), "email");
/// assert!(Channel::new("").is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Channel(String);

impl Channel {
    /// The longest name accepted, in bytes.
    pub const MAX_LEN: usize = 200;

    /// A channel named `name` (trimmed).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty or too long name, or one that
    /// contains `" > "` or a control character (a line end, a tab, NUL:
    /// none prints as part of a name).
    pub fn new(name: impl AsRef<str>) -> Result<Channel> {
        let name = name.as_ref().trim();
        if name.is_empty() {
            return Err(Error::invalid("channel", "the name is empty"));
        }
        if name.len() > Channel::MAX_LEN {
            return Err(Error::invalid(
                "channel",
                format!(
                    "the name is {} bytes, more than {}",
                    name.len(),
                    Channel::MAX_LEN
                ),
            ));
        }
        if name.contains(" > ") {
            return Err(Error::invalid(
                "channel",
                format!("{name:?} contains \" > \", the path separator"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "channel",
                format!("{name:?} contains a control character"),
            ));
        }
        Ok(Channel(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Channel {
    type Error = Error;
    fn try_from(s: String) -> Result<Channel> {
        Channel::new(s)
    }
}

impl From<Channel> for String {
    fn from(c: Channel) -> String {
        c.0
    }
}

/// A channel is looked up by its name: the registry's map answers
/// `get("email")` without building a `Channel` first.
impl std::borrow::Borrow<str> for Channel {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Channel({:?})", self.0)
    }
}

/// A compact handle for a channel interned in a [`Channels`] registry.
/// Ids are dense, from 0, in the order names were first interned.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelId(pub u32);

impl ChannelId {
    /// The id as an index into per-channel arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Interns channel names as dense [`ChannelId`]s, so that analyses work on
/// small integers and per-channel arrays instead of strings.
///
/// ```
/// use revops::journey::{Channel, Channels};
/// let mut reg = Channels::new();
/// let email = reg.intern(&Channel::new("email")?)?;
/// let ads = reg.intern(&Channel::new("ads")?)?;
/// assert_eq!(reg.intern(&Channel::new("email")?)?, email);
/// assert_eq!(reg.name(ads), Some("ads"));
/// assert_eq!(reg.len(), 2);
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # JSON form
///
/// The names in id order: `["ads", "email"]` (id 0 is `ads`). A name given
/// twice is refused on deserialization.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "Vec<Channel>", into = "Vec<Channel>")
)]
pub struct Channels {
    names: Vec<Channel>,
    ids: HashMap<Channel, ChannelId, foldhash::fast::RandomState>,
}

impl TryFrom<Vec<Channel>> for Channels {
    type Error = Error;
    fn try_from(names: Vec<Channel>) -> Result<Channels> {
        let mut reg = Channels::new();
        for n in &names {
            if reg.get(n.as_str()).is_some() {
                return Err(Error::invalid(
                    "channel registry",
                    format!("{n:?} is listed twice"),
                ));
            }
            reg.intern(n)?;
        }
        Ok(reg)
    }
}

impl From<Channels> for Vec<Channel> {
    fn from(c: Channels) -> Vec<Channel> {
        c.names
    }
}

impl Channels {
    /// An empty registry.
    pub fn new() -> Channels {
        Channels::default()
    }

    /// The id of `channel`, adding it if new.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] past `u32::MAX` channels.
    pub fn intern(&mut self, channel: &Channel) -> Result<ChannelId> {
        if let Some(&id) = self.ids.get(channel) {
            return Ok(id);
        }
        let id = ChannelId(
            u32::try_from(self.names.len()).map_err(|_| Error::overflow("channel registry"))?,
        );
        self.names.push(channel.clone());
        self.ids.insert(channel.clone(), id);
        Ok(id)
    }

    /// Interns a name given as text.
    ///
    /// # Errors
    ///
    /// As [`Channel::new`] and [`Channels::intern`].
    pub fn intern_str(&mut self, name: &str) -> Result<ChannelId> {
        match self.ids.get(name) {
            Some(&id) => Ok(id),
            None => self.intern(&Channel::new(name)?),
        }
    }

    /// The id of an already interned channel (no allocation: the map is
    /// looked up by the name itself).
    pub fn get(&self, name: &str) -> Option<ChannelId> {
        self.ids.get(name).copied()
    }

    /// The name behind `id`.
    pub fn name(&self, id: ChannelId) -> Option<&str> {
        self.names.get(id.index()).map(Channel::as_str)
    }

    /// The channel behind `id`.
    pub fn channel(&self, id: ChannelId) -> Option<&Channel> {
        self.names.get(id.index())
    }

    /// How many channels are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// All channels with their ids, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (ChannelId, &Channel)> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, c)| (ChannelId(i as u32), c))
    }
}

labelled_enum! {
    /// What happened at a touchpoint. Each kind belongs to one team, has an
    /// interaction mode and a journey stage (see the methods).
    ///
    /// | kind | team | interaction | stage |
    /// |---|---|---|---|
    /// | impression | marketing | indirect | awareness |
    /// | click, visit, email open, social engagement, content view, webinar, event, coupon | marketing | indirect | interest |
    /// | inquiry, call, meeting, demo, proposal, negotiation | sales | direct | decision |
    /// | purchase, upsell | sales | direct | purchase |
    /// | repeat purchase | marketing | indirect | retention |
    /// | referral, review | marketing | indirect | advocacy |
    pub enum TouchpointKind {
        /// An ad or post was shown.
        Impression => "impression",
        /// An ad or link was clicked.
        Click => "click",
        /// A visit to the website or the store.
        Visit => "visit",
        /// A marketing email was opened.
        EmailOpen => "email open",
        /// A like, share or comment on social media.
        SocialEngagement => "social engagement",
        /// An article, video or guide was read or watched.
        ContentView => "content view",
        /// A webinar was attended.
        Webinar => "webinar",
        /// A trade show or launch event was attended.
        Event => "event",
        /// A coupon or offer was claimed.
        CouponClaim => "coupon claim",
        /// The prospect asked a question (form, chat, phone, in store).
        Inquiry => "inquiry",
        /// A sales call.
        Call => "call",
        /// A meeting with a salesperson.
        Meeting => "meeting",
        /// A product demonstration.
        Demo => "demo",
        /// A tailored offer was sent.
        Proposal => "proposal",
        /// Price and terms were negotiated.
        Negotiation => "negotiation",
        /// The purchase itself.
        Purchase => "purchase",
        /// An add-on sold at purchase (dessert, accessory).
        Upsell => "upsell",
        /// A returning customer bought again.
        RepeatPurchase => "repeat purchase",
        /// The customer referred someone.
        Referral => "referral",
        /// The customer left a review.
        Review => "review",
    }
}

impl TouchpointKind {
    /// The team whose work this touch is.
    ///
    /// ```
    /// use revops::journey::{Team, TouchpointKind as K};
    /// assert_eq!(K::Impression.team(), Team::Marketing);
    /// assert_eq!(K::Meeting.team(), Team::Sales);
    /// ```
    pub fn team(self) -> Team {
        self.stage().owner()
    }

    /// Indirect (through media) for marketing's touches, direct (person to
    /// person) for sales's.
    pub fn interaction(self) -> InteractionMode {
        match self.team() {
            Team::Marketing => InteractionMode::Indirect,
            Team::Sales => InteractionMode::Direct,
        }
    }

    /// The journey stage the touch belongs to.
    pub fn stage(self) -> Stage {
        use TouchpointKind::*;
        match self {
            Impression => Stage::Awareness,
            Click | Visit | EmailOpen | SocialEngagement | ContentView | Webinar | Event
            | CouponClaim => Stage::Interest,
            Inquiry | Call | Meeting | Demo | Proposal | Negotiation => Stage::Decision,
            Purchase | Upsell => Stage::Purchase,
            RepeatPurchase => Stage::Retention,
            Referral | Review => Stage::Advocacy,
        }
    }
}

labelled_enum! {
    /// A milestone a touch marks, used by W-shaped and full-path attribution.
    pub enum Milestone {
        /// The prospect's first touch.
        FirstTouch => "first touch",
        /// The touch that created the lead.
        LeadCreated => "lead created",
        /// The touch that created the opportunity (deal).
        OpportunityCreated => "opportunity created",
        /// The touch that closed the deal.
        ClosedWon => "closed won",
    }
}

/// One interaction of a prospect with the company.
///
/// # JSON form
///
/// `{"at": "2026-03-02T10:00:00Z", "channel": "email", "kind": "email_open",
/// "cost": null, "milestone": null}` (`cost` and `milestone` may be omitted).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Touchpoint {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Through which channel.
    pub channel: Channel,
    /// What happened.
    pub kind: TouchpointKind,
    /// What this touch cost, if known (a click's price, a call's time).
    #[cfg_attr(feature = "serde", serde(default))]
    pub cost: Option<Money>,
    /// The milestone it marks, if any.
    #[cfg_attr(feature = "serde", serde(default))]
    pub milestone: Option<Milestone>,
}

impl Touchpoint {
    /// A touch with no cost and no milestone.
    pub fn new(at: DateTime<Utc>, channel: Channel, kind: TouchpointKind) -> Touchpoint {
        Touchpoint {
            at,
            channel,
            kind,
            cost: None,
            milestone: None,
        }
    }

    /// Sets the cost.
    pub fn with_cost(mut self, cost: Money) -> Touchpoint {
        self.cost = Some(cost);
        self
    }

    /// Sets the milestone.
    pub fn with_milestone(mut self, milestone: Milestone) -> Touchpoint {
        self.milestone = Some(milestone);
        self
    }
}

/// How a journey ended: converted with a value, or not (yet).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Conversion {
    /// When the prospect converted.
    pub at: DateTime<Utc>,
    /// The value of the conversion (the sale).
    pub value: Money,
}

/// One prospect's touchpoints, in time order, and its outcome.
///
/// [`Journey::new`] sorts the touches by time, **stably** (touches at the
/// same instant keep their input order), and removes exact duplicates
/// (every field equal), counting them in
/// [`duplicates_removed`](Journey::duplicates_removed) so that nothing
/// disappears unreported.
///
/// ```
/// use revops::{TimeZone, Utc};
/// use revops::journey::{Channel, Journey, Stage, Touchpoint, TouchpointKind as K};
///
/// let t = |d| Utc.with_ymd_and_hms(2026, 5, d, 12, 0, 0).unwrap();
/// let ch = |n| Channel::new(n).unwrap();
/// let journey = Journey::new(vec![
///     Touchpoint::new(t(3), ch("sales_team"), K::Demo),
///     Touchpoint::new(t(1), ch("webinar"), K::Webinar),
///     Touchpoint::new(t(1), ch("webinar"), K::Webinar), // a duplicate
/// ]);
/// assert_eq!(journey.touches().len(), 2);
/// assert_eq!(journey.duplicates_removed(), 1);
/// assert_eq!(journey.first_touch().unwrap().kind, K::Webinar);
/// assert_eq!(journey.stage_of(1), Some(Stage::Decision));
/// assert_eq!(journey.duration(), Some(revops::TimeDelta::days(2)));
/// assert!(!journey.converted());
/// ```
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "JourneyRepr", into = "JourneyRepr")
)]
pub struct Journey {
    touches: Vec<Touchpoint>,
    conversion: Option<Conversion>,
    duplicates_removed: u64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JourneyRepr {
    touches: Vec<Touchpoint>,
    #[serde(default)]
    conversion: Option<Conversion>,
}

#[cfg(feature = "serde")]
impl TryFrom<JourneyRepr> for Journey {
    type Error = Error;
    fn try_from(r: JourneyRepr) -> Result<Journey> {
        let j = Journey::new(r.touches);
        match r.conversion {
            Some(c) => j.with_conversion(c),
            None => Ok(j),
        }
    }
}

#[cfg(feature = "serde")]
impl From<Journey> for JourneyRepr {
    fn from(j: Journey) -> JourneyRepr {
        JourneyRepr {
            touches: j.touches,
            conversion: j.conversion,
        }
    }
}

impl Journey {
    /// A journey from touches in any order (see the type's docs).
    pub fn new(mut touches: Vec<Touchpoint>) -> Journey {
        touches.sort_by_key(|t| t.at); // stable
        let before = touches.len();
        // Exact duplicates are adjacent only within one instant: each touch
        // is looked up among the earlier ones at the same time in a hash
        // set, so many touches at one instant cost O(n), not O(n²).
        let mut keep = vec![true; touches.len()];
        let mut group: std::collections::HashSet<&Touchpoint> = Default::default();
        for (i, t) in touches.iter().enumerate() {
            if i > 0 && touches[i - 1].at != t.at {
                group.clear();
            }
            keep[i] = group.insert(t);
        }
        drop(group);
        let kept: Vec<Touchpoint> = touches
            .into_iter()
            .zip(keep)
            .filter_map(|(t, k)| k.then_some(t))
            .collect();
        let duplicates_removed = (before - kept.len()) as u64;
        Journey {
            touches: kept,
            conversion: None,
            duplicates_removed,
        }
    }

    /// Marks the journey as converted.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the conversion is before the first touch.
    pub fn with_conversion(mut self, conversion: Conversion) -> Result<Journey> {
        if let Some(first) = self.touches.first() {
            if conversion.at < first.at {
                return Err(Error::invalid(
                    "journey",
                    format!(
                        "the conversion at {} is before the first touch at {}",
                        conversion.at, first.at
                    ),
                ));
            }
        }
        self.conversion = Some(conversion);
        Ok(self)
    }

    /// The touches, in time order.
    pub fn touches(&self) -> &[Touchpoint] {
        &self.touches
    }

    /// How many exact duplicates [`Journey::new`] removed.
    pub fn duplicates_removed(&self) -> u64 {
        self.duplicates_removed
    }

    /// The first touch.
    pub fn first_touch(&self) -> Option<&Touchpoint> {
        self.touches.first()
    }

    /// The last touch.
    pub fn last_touch(&self) -> Option<&Touchpoint> {
        self.touches.last()
    }

    /// The journey stage of touch `index`.
    pub fn stage_of(&self, index: usize) -> Option<Stage> {
        self.touches.get(index).map(|t| t.kind.stage())
    }

    /// Time from the first touch to the conversion, or to the last touch
    /// when there is no conversion; `None` for an empty journey.
    pub fn duration(&self) -> Option<TimeDelta> {
        let first = self.touches.first()?.at;
        let end = match self.conversion {
            Some(c) => c.at,
            None => self.touches.last()?.at,
        };
        Some(end - first)
    }

    /// The conversion, if any.
    pub fn conversion(&self) -> Option<&Conversion> {
        self.conversion.as_ref()
    }

    /// Whether the prospect converted: a recorded conversion, or a purchase
    /// touch.
    pub fn converted(&self) -> bool {
        self.conversion.is_some()
            || self
                .touches
                .iter()
                .any(|t| t.kind == TouchpointKind::Purchase)
    }

    /// The index of the first touch marking `milestone`.
    pub fn milestone(&self, milestone: Milestone) -> Option<usize> {
        self.touches
            .iter()
            .position(|t| t.milestone == Some(milestone))
    }
}
