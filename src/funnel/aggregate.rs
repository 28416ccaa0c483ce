//! [`FunnelState`] under the common partial-state protocol: its events
//! go through the analyzer (which the state's own file does not import).

use super::report::FunnelReport;
use super::spec::FunnelEvent;
use super::state::FunnelState;
use crate::error::Result;
use crate::journey::Channels;

impl crate::aggregate::Aggregate for FunnelState {
    /// A batch of events (each of its users whole: a user's events split
    /// across batches count as two users) with the registry naming their
    /// channels.
    type Input<'a>
        = (&'a [FunnelEvent], &'a Channels)
    where
        Self: 'a;
    type Context<'a>
        = &'a Channels
    where
        Self: 'a;
    type Output = FunnelReport;

    fn add(&mut self, (events, channels): (&[FunnelEvent], &Channels)) -> Result<()> {
        self.add_events(events, channels)
    }

    fn merge(&mut self, other: &FunnelState) -> Result<()> {
        FunnelState::merge(self, other)
    }

    fn finish(self, channels: &Channels) -> Result<FunnelReport> {
        Ok(FunnelState::finish(self, channels))
    }
}
