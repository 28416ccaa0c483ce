//! The mergeable partial state of pipeline flow: every snapshot row, in
//! compact form.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use chrono::NaiveDate;
use foldhash::fast::FixedState;
use rust_decimal::Decimal;

use super::SnapshotRow;
use crate::error::{Error, Result};
use crate::pipeline::{DealStatus, ForecastCategory};
use crate::quantity::Currency;

/// One snapshot row: the deal id is `ids[id_at..id_at + id_len]` of its
/// bucket, `hash` the id's, the stage an index into the stage names, dates
/// as days from the common era.
#[derive(Clone, Copy, Debug)]
pub(super) struct Row {
    pub(super) amount: Decimal,
    pub(super) hash: u64,
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
/// (any order; one deal's rows may be split across partitions, since the
/// report is asked of the merged state), merge the states of other
/// partitions, then ask for the [`FlowReport`](super::FlowReport) between
/// two snapshot dates ([`FlowState::report`], or
/// [`Aggregate::finish`](crate::Aggregate::finish) with the
/// [`FlowSpec`](super::FlowSpec)) or the forecast accuracy of several
/// periods ([`FlowState::forecasts`]).
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
    /// The rows by the top bits of their id's hash (none until the first
    /// row, then [`BUCKETS`]): a deal's rows share a bucket, so the report
    /// groups each bucket alone, in the cache.
    pub(super) buckets: Vec<Bucket>,
    rows: usize,
    pub(super) stages: Vec<Box<str>>,
    stage_ids: HashMap<Box<str>, u32>,
    /// The snapshot dates seen (days from the common era).
    pub(super) snapshots: BTreeSet<i32>,
    /// The last snapshot date added (most files hold a snapshot's rows
    /// together).
    last_snapshot: Option<i32>,
    /// Up to 16 stages of at most 16 bytes, by [`short_key`].
    short_stages: Vec<([u64; 3], u32)>,
}

/// A name of at most 16 bytes as its length and two words (the first and
/// the last 8 bytes, overlapping; a shorter name's bytes in the first):
/// equal keys, equal names.
#[inline]
fn short_key(b: &[u8]) -> Option<[u64; 3]> {
    let n = b.len();
    if n > 16 {
        return None;
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    if n >= 8 {
        return Some([n as u64, word(0), word(n - 8)]);
    }
    let w = b.iter().rev().fold(0u64, |w, &x| (w << 8) | u64::from(x));
    Some([n as u64, w, 0])
}

/// The rows whose id hashes to one bucket, and their ids one after the
/// other.
#[derive(Clone, Debug, Default)]
pub(super) struct Bucket {
    pub(super) rows: Vec<Row>,
    pub(super) ids: Vec<u8>,
}

impl Bucket {
    pub(super) fn id(&self, r: &Row) -> &[u8] {
        let at = r.id_at as usize;
        &self.ids[at..at + r.id_len as usize]
    }
}

/// How many buckets: 256, so that a million rows make buckets of a few
/// thousand (what a core's cache holds while it sorts one).
pub(super) const BUCKETS: usize = 256;

/// The id hash: fixed, so that the states of any partition bucket their
/// rows alike and merge bucket by bucket. Ids chosen to collide cost
/// time, not correctness: rows of one hash are told apart by their ids,
/// in O(n log n).
const HASH: FixedState = FixedState::with_seed(0x7265_766f_7073_666c);

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
        let id = row.deal_id.as_bytes();
        let hash = HASH.hash_one(id);
        if self.buckets.is_empty() {
            self.buckets = vec![Bucket::default(); BUCKETS];
        }
        let bucket = &mut self.buckets[(hash >> (64 - BUCKETS.trailing_zeros())) as usize];
        let id_at = u32::try_from(bucket.ids.len())
            .ok()
            .filter(|at| at.checked_add(id.len() as u32).is_some())
            .filter(|_| u32::try_from(id.len()).is_ok())
            .ok_or_else(|| Error::overflow("pipeline flow: more than 4 GiB of deal ids"))?;
        let snapshot = day(row.snapshot_date);
        if self.last_snapshot != Some(snapshot) {
            self.snapshots.insert(snapshot);
            self.last_snapshot = Some(snapshot);
        }
        bucket.ids.extend_from_slice(id);
        bucket.rows.push(Row {
            amount: row.amount.amount(),
            hash,
            id_at,
            id_len: id.len() as u32,
            snapshot,
            close: day(row.close_date),
            stage,
            currency: row.amount.currency(),
            status: row.status,
            category: row.forecast_category,
        });
        self.rows += 1;
        Ok(())
    }

    fn stage(&mut self, name: &str) -> Result<u32> {
        // A pipeline has a few stages with short names: those are found
        // by comparing three words, before the map is asked.
        let key = short_key(name.as_bytes());
        if let Some(k) = key {
            // Compared word by word, from registers.
            if let Some(&(_, s)) = self
                .short_stages
                .iter()
                .find(|x| x.0[0] == k[0] && x.0[1] == k[1] && x.0[2] == k[2])
            {
                return Ok(s);
            }
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
        if let Some(k) = key.filter(|_| self.short_stages.len() < 16) {
            self.short_stages.push((k, s));
        }
        Ok(s)
    }

    /// Adds every row of another partition's state.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] past 4 GiB of deal ids or 2^32 stages.
    pub fn merge(&mut self, other: &FlowState) -> Result<()> {
        if other.buckets.is_empty() {
            return Ok(());
        }
        if self.buckets.is_empty() {
            self.buckets = vec![Bucket::default(); BUCKETS];
        }
        let mut stage_map = Vec::with_capacity(other.stages.len());
        for name in &other.stages {
            stage_map.push(self.stage(name)?);
        }
        for (mine, theirs) in self.buckets.iter().zip(&other.buckets) {
            u32::try_from(mine.ids.len() + theirs.ids.len())
                .map_err(|_| Error::overflow("pipeline flow: more than 4 GiB of deal ids"))?;
        }
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            let shift = mine.ids.len() as u32;
            mine.ids.extend_from_slice(&theirs.ids);
            mine.rows.extend(theirs.rows.iter().map(|r| Row {
                id_at: r.id_at + shift,
                stage: stage_map[r.stage as usize],
                ..*r
            }));
        }
        self.rows += other.rows;
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
        self.rows
    }

    /// The rows with their names, sorted (for equality and the JSON form).
    pub(super) fn sorted_rows(&self) -> Vec<Named<'_>> {
        let mut v: Vec<Named<'_>> = self
            .buckets
            .iter()
            .flat_map(|b| {
                b.rows.iter().map(move |r| {
                    (
                        r.snapshot,
                        b.id(r),
                        r.amount,
                        r.currency,
                        &*self.stages[r.stage as usize],
                        r.close,
                        r.status,
                        r.category,
                    )
                })
            })
            .collect();
        v.sort();
        v
    }
}
