//! ClickHouse's `sequenceMatch` and `sequenceCount` over the rows of a
//! funnel ([`FunnelRow`](super::FunnelRow)): whether, and how many times,
//! a user's events follow a pattern such as "pricing page, then any
//! events, then a trial within a day".
//!
//! Compile the pattern once ([`SequencePattern::parse`]), then ask a
//! [`Sequence`] about each user's rows, or about many users at once:
//! [`SequenceState`] (the partial-state protocol) gives a
//! [`SequenceReport`] of how many users match and how often. The semantics are ClickHouse
//! 26.9's, read from its source and checked against it (chdb 4.4.0) case
//! by case; the one difference is that rows at the same time are ordered
//! by their conditions, so the result never depends on row order.
//!
//! | pattern | means |
//! |---|---|
//! | `(?N)` | an event meeting condition `N` (1-based) |
//! | `.` | any one event |
//! | `.*` | any events, or none |
//! | `(?t op N)` | the time from the event before to the event after is `op N` (`<`, `<=`, `>`, `>=`, `==`), with events between allowed |
//!
//! An *event* is a row meeting at least one condition; other rows are not
//! seen at all, not even by `.`.

mod matcher;
mod pattern;
mod state;

pub use matcher::{Sequence, MAX_ITERATIONS};
pub use pattern::SequencePattern;
pub use state::{SequenceIgnored, SequenceReport, SequenceRow, SequenceState};
