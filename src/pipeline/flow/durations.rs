//! Time in each stage, from the snapshots that show it.

use super::report::{StageDuration, StageDurations};
use super::state::FlowState;
use super::walk::Obs;
use crate::error::Result;
use crate::quantity::Distribution;

/// Per stage: measured days, censored stays, measured stays from the
/// first snapshot.
pub(super) struct Durations {
    first: Option<i32>,
    days: Vec<Distribution>,
    censored: Vec<u64>,
    from_first: Vec<u64>,
}

impl Durations {
    pub(super) fn new(st: &FlowState) -> Durations {
        let n = st.stages.len();
        Durations {
            first: st.snapshots.iter().next().copied(),
            days: vec![Distribution::new(); n],
            censored: vec![0; n],
            from_first: vec![0; n],
        }
    }

    /// Adds one deal's stays: a stay starts at a snapshot showing the deal
    /// open in a stage it was not open in at the snapshot before, and ends
    /// at the first later snapshot showing another stage or the deal
    /// closed.
    pub(super) fn deal(&mut self, obs: &[Obs]) -> Result<()> {
        let mut stay: Option<&Obs> = None;
        for o in obs {
            if let Some(s) = stay {
                if o.open() && o.stage == s.stage {
                    continue;
                }
                let k = s.stage as usize;
                self.days[k].add(i64::from(o.snapshot) - i64::from(s.snapshot))?;
                if Some(s.snapshot) == self.first {
                    self.from_first[k] += 1;
                }
                stay = None;
            }
            if o.open() {
                stay = Some(o);
            }
        }
        if let Some(s) = stay {
            self.censored[s.stage as usize] += 1;
        }
        Ok(())
    }

    pub(super) fn finish(self, st: &FlowState) -> StageDurations {
        let snaps: Vec<i32> = st.snapshots.iter().copied().collect();
        let resolution_days = snaps
            .windows(2)
            .map(|w| i64::from(w[1]) - i64::from(w[0]))
            .max();
        let mut stages: Vec<StageDuration> = (0..st.stages.len())
            .filter(|&k| !self.days[k].is_empty() || self.censored[k] > 0)
            .map(|k| StageDuration {
                stage: st.stages[k].to_string(),
                measured: self.days[k].count(),
                censored: self.censored[k],
                from_first_snapshot: self.from_first[k],
                mean_days: self.days[k].mean(),
                median_days: self.days[k].median(),
                p90_days: self.days[k].p90(),
            })
            .collect();
        stages.sort_by(|a, b| a.stage.cmp(&b.stage));
        StageDurations {
            resolution_days,
            stages,
        }
    }
}
