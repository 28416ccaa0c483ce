//! Objectives, goals with pacing, and scorecards.
//!
//! The article's objectives are enum variants: four for marketing
//! ([`MarketingObjective`]) and four for sales ([`SalesObjective`]). Which
//! metrics measure which objective is recorded in one place only, the
//! metric catalogue ([`Metric::objectives`](crate::metrics::Metric::objectives)).
//!
//! A [`Goal`] is an objective, a typed [`Metric`](crate::metrics::Metric),
//! a [`Target`] (a [`Value`](crate::quantity::Value) of the metric's unit),
//! a [`Period`](crate::Period), a
//! [`Direction`] and a [`GoalKind`]. [`Goal::assess`] compares an actual
//! value with the target and, for cumulative goals, with the straight-line
//! pace. A [`Scorecard`] groups both teams' goals and flags goals that pull
//! against each other.
//!
//! The two teams side by side ([`TeamProfile`]) name their objectives and
//! metrics too.
//!
//! The words (the objectives, [`Direction`]) are defined with the metric
//! catalogue, which classifies every metric by them, and re-exported
//! here; goals, scorecards and profiles sit above the catalogue and name
//! its metrics.

mod goal;
mod profile;
mod scorecard;

pub use crate::metrics::objectives::{Direction, MarketingObjective, Objective, SalesObjective};
pub use goal::{Assessment, Goal, GoalKind, Pace, Target};
pub use profile::{ComparisonRow, TeamProfile};
pub use scorecard::{Conflict, Scorecard};
