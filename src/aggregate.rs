//! The one partial-state protocol every analysis follows: add inputs to a
//! state, merge states of other partitions (other threads, other
//! machines, other days), finish into the report.
//!
//! | state | adds | finishes with | into |
//! |---|---|---|---|
//! | [`FunnelState`](crate::funnel::FunnelState) | a batch of events holding each of its users whole, with their registry | the channel registry | [`FunnelReport`](crate::funnel::FunnelReport) |
//! | [`PipelineState`](crate::pipeline::PipelineState) | a deal | nothing | [`PipelineReport`](crate::pipeline::PipelineReport) |
//! | [`HandoffState`](crate::pipeline::HandoffState) | a lead | the pipeline report, if any | [`HandoffReport`](crate::pipeline::HandoffReport) |
//! | [`FlowState`](crate::pipeline::flow::FlowState) | a CRM snapshot row | the [`FlowSpec`](crate::pipeline::flow::FlowSpec): dates, period, rates | [`FlowReport`](crate::pipeline::flow::FlowReport) |
//! | [`MrrState`](crate::recurring::MrrState) | a monthly row or a subscription ([`MrrInput`](crate::recurring::MrrInput)) | nothing | [`MrrReport`](crate::recurring::MrrReport) |
//! | [`RfmState`](crate::clv::RfmState) | a transaction | nothing | [`Summary`](crate::clv::Summary) |
//! | [`RetentionState`](crate::retention::RetentionState) | a batch of events holding each of its users whole, with their registry | nothing | [`RetentionReport`](crate::retention::RetentionReport) |
//! | [`LifecycleState`](crate::retention::LifecycleState) | a batch of events holding each of its users whole | nothing | [`LifecycleReport`](crate::retention::LifecycleReport) |
//!
//! The laws, tested for every implementation: the merge of the states of
//! any partition of the input (each sent through its JSON form on the
//! way) finishes into the report of the whole input; merging is
//! associative and an empty state is its identity; the order of inputs
//! does not matter. With the `serde` feature every state serializes, and
//! deserialization checks that the state is one some input could give.
//!
//! ```
//! use revops::pipeline::{Deal, DealStatus, ForecastCategory, PipelineSpec, PipelineState};
//! use revops::journey::Team;
//! use revops::{Aggregate, Currency, Money, NaiveDate, Period, Ratio, TimeZone, Utc};
//!
//! let q1 = Period::new(
//!     NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
//!     NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
//! )?;
//! let spec = PipelineSpec::new(q1, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), Currency::USD);
//! let t = |d| Utc.with_ymd_and_hms(2026, 2, d, 0, 0, 0).unwrap();
//! let deal = |id: &str, amount: &str| {
//!     Deal::new(id, t(1), Some(t(20)), DealStatus::Won, Money::parse(amount, "USD").unwrap(),
//!         "closed won", Ratio::ONE, ForecastCategory::Closed, Team::Sales).unwrap()
//! };
//! // Code written once for every analysis: merge the partitions' states.
//! fn merged<S: Aggregate>(parts: Vec<S>) -> revops::Result<Option<S>> {
//!     let mut parts = parts.into_iter();
//!     let Some(mut total) = parts.next() else { return Ok(None) };
//!     for p in parts {
//!         total.merge(&p)?;
//!     }
//!     Ok(Some(total))
//! }
//! let (mut east, mut west) = (PipelineState::new(spec.clone()), PipelineState::new(spec));
//! Aggregate::add(&mut east, &deal("e-1", "1200"))?;
//! Aggregate::add(&mut west, &deal("w-1", "800"))?;
//! let total = merged(vec![east, west])?.unwrap();
//! let report = Aggregate::finish(total, ())?;
//! assert_eq!(report.won_revenue, Some(Money::parse("2000", "USD")?));
//! # Ok::<(), revops::Error>(())
//! ```

use crate::error::Result;

/// A partial result that can be shipped: with the `serde` feature,
/// `Serialize` and `Deserialize` (every [`Aggregate`] is one); without
/// it, no requirement.
#[cfg(feature = "serde")]
pub trait Portable: serde::Serialize + serde::de::DeserializeOwned {}
#[cfg(feature = "serde")]
impl<T: serde::Serialize + serde::de::DeserializeOwned> Portable for T {}

/// A partial result that can be shipped: with the `serde` feature,
/// `Serialize` and `Deserialize` (every [`Aggregate`] is one); without
/// it, no requirement.
#[cfg(not(feature = "serde"))]
pub trait Portable {}
#[cfg(not(feature = "serde"))]
impl<T> Portable for T {}

/// The partial state of an analysis: [`add`](Aggregate::add) inputs,
/// [`merge`](Aggregate::merge) the states of other partitions,
/// [`finish`](Aggregate::finish) into the report (the module docs list
/// the implementations and their laws).
pub trait Aggregate: Sized + Portable {
    /// What one [`add`](Aggregate::add) takes.
    type Input<'a>
    where
        Self: 'a;
    /// What [`finish`](Aggregate::finish) needs besides the state (`()`
    /// when nothing).
    type Context<'a>
    where
        Self: 'a;
    /// The report.
    type Output;

    /// Adds one input (a deal, a lead, a transaction, or a batch of
    /// events that holds each of its users whole).
    ///
    /// # Errors
    ///
    /// As the state's own `add`; an input that cannot be used is counted
    /// with its reason where the analysis says so, not refused.
    fn add(&mut self, input: Self::Input<'_>) -> Result<()>;

    /// Adds the state of another partition.
    ///
    /// # Errors
    ///
    /// As the state's own `merge` (states of different specs, a count
    /// past `u64::MAX`).
    fn merge(&mut self, other: &Self) -> Result<()>;

    /// The report.
    ///
    /// # Errors
    ///
    /// As the state's own `finish`.
    fn finish(self, context: Self::Context<'_>) -> Result<Self::Output>;
}
