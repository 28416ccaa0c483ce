//! The mergeable partial state of pipeline flow: every snapshot row, in
//! compact form.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::SnapshotRow;
use crate::error::{Error, Result};
use crate::pipeline::{DealStatus, ForecastCategory};
use crate::quantity::text::same_bytes;
use crate::quantity::Currency;

/// One snapshot row: the deal id is `ids[id_at..id_at + id_len]`, the
/// stage an index into the stage names, dates as days from the common era.
#[derive(Clone, Copy, Debug)]
pub(super) struct Row {
    pub(super) amount: Decimal,
    pub(super) id_at: u32,
    pub(super) id_len: u32,
    pub(super) snapshot: i32,
    pub(super) close: i32,
    pub(super) stage: u32,
    pub(super) currency: Currency,
    pub(super) status: DealStatus,
    pub(super) category: ForecastCategory,
}

/// The partial state of pipeline flow over some deals: add snapshot rows
/// (any order; a deal's rows may go to different states only if each
/// state is finished after merging), merge the states of other
/// partitions, then ask for the [`FlowReport`] between two snapshot dates
/// ([`FlowState::report`], or [`Aggregate::finish`](crate::Aggregate::finish)
/// with the [`FlowSpec`]) or the forecast accuracy of several periods
/// ([`FlowState::forecasts`]).
///
/// The state holds the rows themselves (about 40 bytes each plus the deal
/// id): which dates and periods are asked about is the report's choice,
/// not the state's.
///
/// # JSON form
///
/// `{"rows": [{"snapshot_date": "2026-01-05", "deal_id": "d-1", "amount":
/// {"amount": "1000", "currency": "USD"}, "stage": "proposal",
/// "close_date": "2026-03-15", "status": "open", "forecast_category":
/// "commit"}]}`; reading back checks every row as [`FlowState::add`]
/// does.
///
/// ```
/// use revops::pipeline::flow::{FlowState, SnapshotRow};
/// use revops::pipeline::{DealStatus, ForecastCategory};
/// use revops::{Aggregate, Money, NaiveDate};
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let row = |snap, id| SnapshotRow {
///     snapshot_date: snap, deal_id: id, amount: Money::parse("500", "USD").unwrap(),
///     stage: "proposal", close_date: d(3, 20), status: DealStatus::Open,
///     forecast_category: ForecastCategory::Commit,
/// };
/// let (mut east, mut west) = (FlowState::new(), FlowState::new());
/// east.add(&row(d(1, 5), "e-1"))?;
/// west.add(&row(d(1, 12), "w-1"))?;
/// east.merge(&west)?;
/// assert_eq!(east.snapshot_dates(), vec![d(1, 5), d(1, 12)]);
/// assert_eq!(east.rows(), 2);
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct FlowState {
    pub(super) rows: Vec<Row>,
    /// The deal ids of the rows, one after the other.
    pub(super) ids: Vec<u8>,
    pub(super) stages: Vec<Box<str>>,
    stage_ids: HashMap<Box<str>, u32>,
    /// The snapshot dates seen (days from the common era).
    pub(super) snapshots: BTreeSet<i32>,
    /// The last snapshot date added (most files hold a snapshot's rows
    /// together).
    last_snapshot: Option<i32>,
    last_stage: Option<u32>,
}

impl PartialEq for FlowState {
    /// Equal when they hold the same rows, whatever the order they came in.
    fn eq(&self, o: &FlowState) -> bool {
        self.snapshots == o.snapshots && self.sorted_rows() == o.sorted_rows()
    }
}

/// A row with its names, for comparisons and the JSON form.
type Named<'a> = (
    i32,
    &'a [u8],
    Decimal,
    Currency,
    &'a str,
    i32,
    DealStatus,
    ForecastCategory,
);

/// Days from the common era.
pub(super) fn day(d: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&d)
}

/// The date of `days` from the common era (every value stored came from a
/// date).
pub(super) fn date(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(NaiveDate::MIN)
}

impl FlowState {
    /// An empty state.
    pub fn new() -> FlowState {
        FlowState::default()
    }

    /// Adds one snapshot row.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty deal id or stage or a negative
    /// amount; [`Error::Overflow`] past 4 GiB of deal ids or 2^32 stages.
    pub fn add(&mut self, row: &SnapshotRow<'_>) -> Result<()> {
        if row.deal_id.is_empty() {
            return Err(Error::invalid("snapshot row", "the deal id is empty"));
        }
        if row.stage.is_empty() {
            return Err(Error::invalid("snapshot row", "the stage is empty"));
        }
        if row.amount.is_negative() {
            return Err(Error::invalid("snapshot row", "the amount is negative"));
        }
        let stage = self.stage(row.stage)?;
        let id_at = u32::try_from(self.ids.len())
            .ok()
            .filter(|at| at.checked_add(row.deal_id.len() as u32).is_some())
            .filter(|_| u32::try_from(row.deal_id.len()).is_ok())
            .ok_or_else(|| Error::overflow("pipeline flow: more than 4 GiB of deal ids"))?;
        let snapshot = day(row.snapshot_date);
        if self.last_snapshot != Some(snapshot) {
            self.snapshots.insert(snapshot);
            self.last_snapshot = Some(snapshot);
        }
        self.ids.extend_from_slice(row.deal_id.as_bytes());
        self.rows.push(Row {
            amount: row.amount.amount(),
            id_at,
            id_len: row.deal_id.len() as u32,
            snapshot,
            close: day(row.close_date),
            stage,
            currency: row.amount.currency(),
            status: row.status,
            category: row.forecast_category,
        });
        Ok(())
    }

    fn stage(&mut self, name: &str) -> Result<u32> {
        if let Some(s) = self.last_stage {
            if same_bytes(self.stages[s as usize].as_bytes(), name.as_bytes()) {
                return Ok(s);
            }
        }
        // A pipeline has a few stages: scanned before the map is asked.
        if let Some(s) = self
            .stages
            .iter()
            .take(16)
            .position(|x| same_bytes(x.as_bytes(), name.as_bytes()))
        {
            self.last_stage = Some(s as u32);
            return Ok(s as u32);
        }
        let s = match self.stage_ids.get(name) {
            Some(&s) => s,
            None => {
                let s = u32::try_from(self.stages.len())
                    .map_err(|_| Error::overflow("pipeline flow: more than 2^32 stages"))?;
                self.stages.push(name.into());
                self.stage_ids.insert(name.into(), s);
                s
            }
        };
        self.last_stage = Some(s);
        Ok(s)
    }

    /// Adds every row of another partition's state.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] past 4 GiB of deal ids or 2^32 stages.
    pub fn merge(&mut self, other: &FlowState) -> Result<()> {
        let shift = u32::try_from(self.ids.len())
            .ok()
            .filter(|s| s.checked_add(other.ids.len() as u32).is_some())
            .filter(|_| u32::try_from(other.ids.len()).is_ok())
            .ok_or_else(|| Error::overflow("pipeline flow: more than 4 GiB of deal ids"))?;
        let mut stage_map = Vec::with_capacity(other.stages.len());
        for name in &other.stages {
            stage_map.push(self.stage(name)?);
        }
        self.ids.extend_from_slice(&other.ids);
        self.rows.reserve(other.rows.len());
        for r in &other.rows {
            self.rows.push(Row {
                id_at: r.id_at + shift,
                stage: stage_map[r.stage as usize],
                ..*r
            });
        }
        self.snapshots.extend(other.snapshots.iter().copied());
        self.last_snapshot = None;
        Ok(())
    }

    /// The snapshot dates seen, in order.
    pub fn snapshot_dates(&self) -> Vec<NaiveDate> {
        self.snapshots.iter().map(|&d| date(d)).collect()
    }

    /// How many rows the state holds.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// The rows with their names, sorted (for equality and the JSON form).
    pub(super) fn sorted_rows(&self) -> Vec<Named<'_>> {
        let mut v: Vec<Named<'_>> = self.rows.iter().map(|r| self.named(r)).collect();
        v.sort();
        v
    }

    pub(super) fn named(&self, r: &Row) -> Named<'_> {
        (
            r.snapshot,
            self.id(r),
            r.amount,
            r.currency,
            &*self.stages[r.stage as usize],
            r.close,
            r.status,
            r.category,
        )
    }

    pub(super) fn id(&self, r: &Row) -> &[u8] {
        let at = r.id_at as usize;
        &self.ids[at..at + r.id_len as usize]
    }
}
