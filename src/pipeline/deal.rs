//! Deals: the records a CRM keeps about sales opportunities.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::journey::{Channel, Team};
use crate::quantity::{Money, Ratio};

/// Where a deal stands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DealStatus {
    /// Still being worked.
    Open,
    /// Closed and won.
    Won,
    /// Closed and lost.
    Lost,
}

impl std::fmt::Display for DealStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        })
    }
}

/// Parses `open`, `won` or `lost`, case-insensitively (blanks around
/// ignored).
///
/// ```
/// use revops::pipeline::DealStatus;
/// assert_eq!("Won".parse::<DealStatus>()?, DealStatus::Won);
/// assert!("maybe".parse::<DealStatus>().is_err());
/// # Ok::<(), revops::Error>(())
/// ```
impl std::str::FromStr for DealStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<DealStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(DealStatus::Open),
            "won" => Ok(DealStatus::Won),
            "lost" => Ok(DealStatus::Lost),
            _ => Err(Error::invalid("deal status", "expected open, won or lost")),
        }
    }
}

/// As [`ForecastCategory::parse`].
///
/// ```
/// use revops::pipeline::ForecastCategory;
/// assert_eq!("Best Case".parse::<ForecastCategory>()?, ForecastCategory::BestCase);
/// # Ok::<(), revops::Error>(())
/// ```
impl std::str::FromStr for ForecastCategory {
    type Err = Error;
    fn from_str(s: &str) -> Result<ForecastCategory> {
        ForecastCategory::parse(s)
    }
}

/// Salesforce's forecast categories.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ForecastCategory {
    /// Early or uncertain.
    Pipeline,
    /// Could close this period with luck.
    BestCase,
    /// The rep commits to closing it.
    Commit,
    /// Closed (won).
    Closed,
    /// Left out of the forecast.
    Omitted,
}

impl std::fmt::Display for ForecastCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ForecastCategory::Pipeline => "pipeline",
            ForecastCategory::BestCase => "best case",
            ForecastCategory::Commit => "commit",
            ForecastCategory::Closed => "closed",
            ForecastCategory::Omitted => "omitted",
        })
    }
}

impl ForecastCategory {
    /// Parses `pipeline`, `best_case` (or `best case`, `bestcase`),
    /// `commit`, `closed`, `omitted`, case-insensitively.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for anything else.
    pub fn parse(s: &str) -> Result<ForecastCategory> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "pipeline" => Ok(ForecastCategory::Pipeline),
            "best_case" | "bestcase" => Ok(ForecastCategory::BestCase),
            "commit" => Ok(ForecastCategory::Commit),
            "closed" => Ok(ForecastCategory::Closed),
            "omitted" => Ok(ForecastCategory::Omitted),
            _ => Err(Error::invalid(
                "forecast category",
                format!("{s:?} is not pipeline, best_case, commit, closed or omitted"),
            )),
        }
    }
}

/// One entry of a deal's stage history.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StageEntry {
    /// The stage entered.
    pub stage: String,
    /// When.
    pub entered_at: DateTime<Utc>,
}

/// A rule of [`Deal::new`]'s that a deal's fields can break, typed so
/// that a caller (a CSV tool, a service) can tell its users which one
/// without reading the error's text. `Display` gives it in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DealRule {
    /// The amount is negative.
    NegativeAmount,
    /// An open deal has a close time.
    OpenWithCloseTime,
    /// A won or lost deal has no close time.
    ClosedWithoutCloseTime,
    /// The close time is before the creation.
    ClosedBeforeCreated,
    /// The stage name is blank.
    BlankStage,
}

impl DealRule {
    /// The first rule these fields break, in the order above; `None`
    /// when [`Deal::new`] accepts them.
    ///
    /// ```
    /// use revops::pipeline::{DealRule, DealStatus};
    /// use revops::{Money, TimeZone, Utc};
    /// let t = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    /// let usd = Money::parse("100", "USD")?;
    /// let rule = DealRule::first_broken(t, None, DealStatus::Won, usd, "closed won");
    /// assert_eq!(rule, Some(DealRule::ClosedWithoutCloseTime));
    /// assert_eq!(rule.unwrap().to_string(), "a won or lost deal has no close date");
    /// assert_eq!(DealRule::first_broken(t, None, DealStatus::Open, usd, "demo"), None);
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn first_broken(
        created: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
        status: DealStatus,
        amount: Money,
        stage: &str,
    ) -> Option<DealRule> {
        if amount.is_negative() {
            return Some(DealRule::NegativeAmount);
        }
        match (status, closed) {
            (DealStatus::Open, Some(_)) => return Some(DealRule::OpenWithCloseTime),
            (DealStatus::Won | DealStatus::Lost, None) => {
                return Some(DealRule::ClosedWithoutCloseTime)
            }
            (_, Some(c)) if c < created => return Some(DealRule::ClosedBeforeCreated),
            _ => {}
        }
        stage.trim().is_empty().then_some(DealRule::BlankStage)
    }
}

impl std::fmt::Display for DealRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DealRule::NegativeAmount => "amount is negative",
            DealRule::OpenWithCloseTime => "an open deal has a close date",
            DealRule::ClosedWithoutCloseTime => "a won or lost deal has no close date",
            DealRule::ClosedBeforeCreated => "closed before it was created",
            DealRule::BlankStage => "stage is blank",
        })
    }
}

/// A sales opportunity.
///
/// Rules checked by [`Deal::new`] (and on deserialization): the amount is
/// not negative; a won or lost deal has a close time, an open one has none;
/// the close time is not before creation; the stage history is in time
/// order, does not start before creation and enters no stage after the
/// close; the stage name is not blank.
///
/// ```
/// use revops::{TimeZone, Utc};
/// use revops::journey::Team;
/// use revops::pipeline::{Deal, DealStatus, ForecastCategory};
/// use revops::{Money, Ratio};
/// let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
/// let deal = Deal::new("D-1", t(2), Some(t(20)), DealStatus::Won, Money::parse("12000", "USD")?,
///     "closed won", Ratio::ONE, ForecastCategory::Closed, Team::Marketing)?;
/// assert_eq!(deal.cycle().unwrap().num_days(), 18);
/// assert!(Deal::new("D-2", t(2), None, DealStatus::Won, Money::parse("1", "USD")?,
///     "x", Ratio::ONE, ForecastCategory::Closed, Team::Sales).is_err()); // won without a close
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "DealRepr"))]
pub struct Deal {
    id: String,
    created: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
    status: DealStatus,
    loss_reason: Option<String>,
    amount: Money,
    stage: String,
    probability: Ratio,
    forecast: ForecastCategory,
    owner: Option<String>,
    source: Team,
    channel: Option<Channel>,
    history: Vec<StageEntry>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DealRepr {
    id: String,
    created: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
    status: DealStatus,
    #[serde(default)]
    loss_reason: Option<String>,
    amount: Money,
    stage: String,
    probability: Ratio,
    forecast: ForecastCategory,
    #[serde(default)]
    owner: Option<String>,
    source: Team,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    history: Vec<StageEntry>,
}

#[cfg(feature = "serde")]
impl TryFrom<DealRepr> for Deal {
    type Error = Error;
    fn try_from(r: DealRepr) -> Result<Deal> {
        let mut d = Deal::new(
            r.id,
            r.created,
            r.closed,
            r.status,
            r.amount,
            r.stage,
            r.probability,
            r.forecast,
            r.source,
        )?;
        d.loss_reason = r.loss_reason;
        d.owner = r.owner;
        d.channel = r.channel;
        d.with_history(r.history)
    }
}

impl Deal {
    /// A validated deal without history, owner, channel or loss reason
    /// (add them with the `with_` methods).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rule broken (see the type).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: impl Into<String>,
        created: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
        status: DealStatus,
        amount: Money,
        stage: impl Into<String>,
        probability: Ratio,
        forecast: ForecastCategory,
        source: Team,
    ) -> Result<Deal> {
        let id = id.into();
        let stage = stage.into();
        if let Some(rule) = DealRule::first_broken(created, closed, status, amount, &stage) {
            let why = match rule {
                DealRule::NegativeAmount => format!("the amount {amount} is negative"),
                DealRule::OpenWithCloseTime => "an open deal has no close time".into(),
                DealRule::ClosedWithoutCloseTime => "a won or lost deal needs a close time".into(),
                DealRule::ClosedBeforeCreated => format!(
                    "closed at {}, before it was created at {created}",
                    closed.unwrap_or(created)
                ),
                DealRule::BlankStage => "the stage is blank".into(),
            };
            return Err(Error::invalid("deal", format!("{id}: {why}")));
        }
        Ok(Deal {
            id,
            created,
            closed,
            status,
            loss_reason: None,
            amount,
            stage,
            probability,
            forecast,
            owner: None,
            source,
            channel: None,
            history: Vec::new(),
        })
    }

    /// Sets the stage history.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if it is not in time order, starts before
    /// the deal was created, or enters a stage after the deal closed.
    pub fn with_history(mut self, history: Vec<StageEntry>) -> Result<Deal> {
        if let Some(first) = history.first() {
            if first.entered_at < self.created {
                return Err(Error::invalid(
                    "deal",
                    format!(
                        "{}: the history starts before the deal was created",
                        self.id
                    ),
                ));
            }
        }
        if history
            .windows(2)
            .any(|w| w[1].entered_at < w[0].entered_at)
        {
            return Err(Error::invalid(
                "deal",
                format!("{}: the stage history is not in time order", self.id),
            ));
        }
        // A stage entered after the close would have a negative stay.
        if let (Some(last), Some(closed)) = (history.last(), self.closed) {
            if last.entered_at > closed {
                return Err(Error::invalid(
                    "deal",
                    format!(
                        "{}: a stage was entered at {}, after the deal closed at {closed}",
                        self.id, last.entered_at
                    ),
                ));
            }
        }
        self.history = history;
        Ok(self)
    }

    /// Sets the owner.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Deal {
        self.owner = Some(owner.into());
        self
    }

    /// Sets the source channel.
    pub fn with_channel(mut self, channel: Channel) -> Deal {
        self.channel = Some(channel);
        self
    }

    /// Sets the loss reason (kept for lost deals only).
    pub fn with_loss_reason(mut self, reason: impl Into<String>) -> Deal {
        if self.status == DealStatus::Lost {
            self.loss_reason = Some(reason.into());
        }
        self
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// When it was created.
    pub fn created(&self) -> DateTime<Utc> {
        self.created
    }
    /// When it closed, if it did.
    pub fn closed(&self) -> Option<DateTime<Utc>> {
        self.closed
    }
    /// Its status.
    pub fn status(&self) -> DealStatus {
        self.status
    }
    /// Why it was lost, if known.
    pub fn loss_reason(&self) -> Option<&str> {
        self.loss_reason.as_deref()
    }
    /// Its amount.
    pub fn amount(&self) -> Money {
        self.amount
    }
    /// Its current stage.
    pub fn stage(&self) -> &str {
        &self.stage
    }
    /// The win probability of its stage.
    pub fn probability(&self) -> Ratio {
        self.probability
    }
    /// Its forecast category.
    pub fn forecast(&self) -> ForecastCategory {
        self.forecast
    }
    /// Its owner.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }
    /// Which team sourced it.
    pub fn source(&self) -> Team {
        self.source
    }
    /// The source channel.
    pub fn channel(&self) -> Option<&Channel> {
        self.channel.as_ref()
    }
    /// The stage history, oldest first.
    pub fn history(&self) -> &[StageEntry] {
        &self.history
    }
    /// Creation to close, for closed deals.
    pub fn cycle(&self) -> Option<chrono::TimeDelta> {
        Some(self.closed? - self.created)
    }
}

/// Builds a [`Deal`] field by field, by name, so that no two strings or
/// dates can be swapped by position; every rule of [`Deal::new`] is checked
/// at [`build`](DealBuilder::build).
///
/// Required: `created`, `amount`, `stage`, `source`. Defaults: open (no
/// close time), probability 0, forecast category `pipeline`, no owner,
/// channel, loss reason or history.
///
/// ```
/// use revops::journey::Team;
/// use revops::pipeline::{Deal, ForecastCategory};
/// use revops::{Money, Ratio, TimeZone, Utc};
/// let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
/// let deal = Deal::builder("D-1")
///     .created(t(2))
///     .won_at(t(20))
///     .amount(Money::parse("12000", "USD")?)
///     .stage("closed won")
///     .probability(Ratio::ONE)
///     .forecast(ForecastCategory::Closed)
///     .source(Team::Marketing)
///     .owner("ana")
///     .build()?;
/// assert_eq!(deal.cycle().unwrap().num_days(), 18);
/// // A missing field is an error that names it.
/// let err = Deal::builder("D-2").created(t(2)).stage("new").source(Team::Sales).build();
/// assert!(err.unwrap_err().to_string().contains("amount"));
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct DealBuilder {
    id: String,
    created: Option<DateTime<Utc>>,
    closed: Option<DateTime<Utc>>,
    status: DealStatus,
    amount: Option<Money>,
    stage: Option<String>,
    probability: Ratio,
    forecast: ForecastCategory,
    source: Option<Team>,
    owner: Option<String>,
    channel: Option<Channel>,
    loss_reason: Option<String>,
    history: Vec<StageEntry>,
}

impl Deal {
    /// A [`DealBuilder`] for the deal `id`.
    pub fn builder(id: impl Into<String>) -> DealBuilder {
        DealBuilder {
            id: id.into(),
            created: None,
            closed: None,
            status: DealStatus::Open,
            amount: None,
            stage: None,
            probability: Ratio::ZERO,
            forecast: ForecastCategory::Pipeline,
            source: None,
            owner: None,
            channel: None,
            loss_reason: None,
            history: Vec::new(),
        }
    }
}

impl DealBuilder {
    /// When the deal was created (required).
    pub fn created(mut self, at: DateTime<Utc>) -> Self {
        self.created = Some(at);
        self
    }

    /// Open: no close time (the default).
    pub fn open(mut self) -> Self {
        self.status = DealStatus::Open;
        self.closed = None;
        self
    }

    /// Won, closed at `at`.
    pub fn won_at(mut self, at: DateTime<Utc>) -> Self {
        self.status = DealStatus::Won;
        self.closed = Some(at);
        self
    }

    /// Lost, closed at `at`.
    pub fn lost_at(mut self, at: DateTime<Utc>) -> Self {
        self.status = DealStatus::Lost;
        self.closed = Some(at);
        self
    }

    /// The amount (required).
    pub fn amount(mut self, amount: Money) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The current stage's name (required).
    pub fn stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = Some(stage.into());
        self
    }

    /// The probability to close (default 0).
    pub fn probability(mut self, p: Ratio) -> Self {
        self.probability = p;
        self
    }

    /// The forecast category (default `pipeline`).
    pub fn forecast(mut self, category: ForecastCategory) -> Self {
        self.forecast = category;
        self
    }

    /// Which team sourced the deal (required).
    pub fn source(mut self, team: Team) -> Self {
        self.source = Some(team);
        self
    }

    /// The owner.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// The source channel.
    pub fn channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }

    /// The loss reason (kept for lost deals only).
    pub fn loss_reason(mut self, reason: impl Into<String>) -> Self {
        self.loss_reason = Some(reason.into());
        self
    }

    /// The stage history, in time order.
    pub fn history(mut self, history: Vec<StageEntry>) -> Self {
        self.history = history;
        self
    }

    /// The deal.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming a missing required field, or the rule
    /// of [`Deal::new`] that the fields break.
    pub fn build(self) -> Result<Deal> {
        let missing =
            |field: &str| Error::invalid("deal", format!("{}: the {field} is required", self.id));
        let created = self.created.ok_or_else(|| missing("creation time"))?;
        let amount = self.amount.ok_or_else(|| missing("amount"))?;
        let stage = self.stage.clone().ok_or_else(|| missing("stage"))?;
        let source = self.source.ok_or_else(|| missing("source"))?;
        let mut d = Deal::new(
            self.id,
            created,
            self.closed,
            self.status,
            amount,
            stage,
            self.probability,
            self.forecast,
            source,
        )?;
        d.owner = self.owner;
        d.channel = self.channel;
        if let Some(reason) = self.loss_reason {
            d = d.with_loss_reason(reason);
        }
        d.with_history(self.history)
    }
}
