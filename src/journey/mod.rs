//! The customer journey: teams, stages, funnels, the lead lifecycle,
//! channels, touchpoints and journeys.
//!
//! Marketing leads the early stages of the journey (awareness, interest)
//! and the long-term relationship after the sale (retention, advocacy);
//! sales leads the final stages (decision, purchase). The hand-off between
//! them is the step from a marketing-qualified to a sales-qualified lead.
//!
//! * [`Team`], [`Ownership`] and what sets the teams apart ([`Activity`],
//!   [`InteractionMode`], ...; side by side in
//!   [`objective::TeamProfile`](crate::objective::TeamProfile)).
//! * [`Stage`] of the default journey and a company's own [`Funnel`].
//! * [`LifecycleStage`] and the [`Lead`] record with its hand-off.
//! * [`Channel`], [`Channels`], [`Touchpoint`] and [`Journey`].

mod lifecycle;
mod stage;
mod team;
mod touchpoint;

pub use lifecycle::{Lead, LeadSource, LifecycleStage, SalesDecision, StageChange};
pub use stage::{Funnel, FunnelStage, Phase, Stage};
pub use team::{Activity, Focus, Horizon, InteractionMode, Ownership, Scope, Team, TimeGoal};
pub use touchpoint::{
    Channel, ChannelId, Channels, Conversion, Journey, Milestone, Touchpoint, TouchpointKind,
};
