//! Every deal's rows together, in snapshot order, with few cache misses:
//! the state keeps its rows in buckets by the hash of the deal id, and
//! each bucket, small enough for the cache, is sorted by (hash, snapshot).
//! Ids with equal hashes are compared byte for byte, so a collision never
//! joins two deals.

use rust_decimal::Decimal;

use super::state::{FlowState, Row};
use crate::error::Result;
use crate::pipeline::{DealStatus, ForecastCategory};
use crate::quantity::text::same_bytes;
use crate::quantity::Currency;

/// One deal at one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Obs {
    pub(super) snapshot: i32,
    pub(super) close: i32,
    pub(super) amount: Decimal,
    pub(super) stage: u32,
    pub(super) currency: Currency,
    pub(super) status: DealStatus,
    pub(super) category: ForecastCategory,
}

impl Obs {
    fn of(r: &Row) -> Obs {
        Obs {
            snapshot: r.snapshot,
            close: r.close,
            amount: r.amount,
            stage: r.stage,
            currency: r.currency,
            status: r.status,
            category: r.category,
        }
    }

    /// Open (not won or lost).
    pub(super) fn open(&self) -> bool {
        self.status == DealStatus::Open
    }
}

/// What the walk set aside.
#[derive(Default)]
pub(super) struct Walked {
    /// Rows repeating another row of the same deal and snapshot exactly.
    pub(super) duplicate_rows: u64,
    /// Deals with two different rows for one snapshot (left out).
    pub(super) conflicting: Vec<String>,
}

/// Calls `deal(id, observations)` once per deal, its observations in
/// snapshot order with exact repeats dropped; deals with two different
/// rows for one snapshot are left out and listed.
pub(super) fn each_deal(
    st: &FlowState,
    mut deal: impl FnMut(&[u8], &[Obs]) -> Result<()>,
) -> Result<Walked> {
    let mut walked = Walked::default();
    // Per bucket: (hash, snapshot, row) as one integer, sorted.
    let mut keys: Vec<u128> = Vec::new();
    let mut obs: Vec<Obs> = Vec::new();
    for bucket in &st.buckets {
        let rows = &bucket.rows;
        let id = |k: u128| bucket.id(&rows[k as u32 as usize]);
        // The walk reads the bucket's ids in hash order: one read of a
        // byte per cache line first, in order, lets the prefetcher bring
        // them in (read in hash order from memory, each line is a miss).
        std::hint::black_box(bucket.ids.iter().step_by(64).fold(0u8, |a, &b| a ^ b));
        keys.clear();
        keys.extend(rows.iter().enumerate().map(|(k, r)| {
            // The snapshot, biased to sort as unsigned.
            let snap = (r.snapshot as u32) ^ 0x8000_0000;
            (u128::from(r.hash) << 64) | (u128::from(snap) << 32) | k as u128
        }));
        keys.sort_unstable();
        let mut i = 0;
        while i < keys.len() {
            let hash = (keys[i] >> 64) as u64;
            let mut j = i + 1;
            while j < keys.len() && (keys[j] >> 64) as u64 == hash {
                j += 1;
            }
            let group = &mut keys[i..j];
            let first = id(group[0]);
            if group.iter().any(|&k| !same_bytes(id(k), first)) {
                // Different ids with one hash: by id, then snapshot.
                group.sort_unstable_by(|&x, &y| (id(x), x).cmp(&(id(y), y)));
            }
            let mut g = 0;
            while g < group.len() {
                let head = id(group[g]);
                let mut h = g + 1;
                while h < group.len() && same_bytes(id(group[h]), head) {
                    h += 1;
                }
                obs.clear();
                let (mut conflict, mut repeats) = (false, 0);
                for &k in &group[g..h] {
                    let o = Obs::of(&rows[k as u32 as usize]);
                    match obs.last() {
                        Some(last) if last.snapshot == o.snapshot => {
                            if *last == o {
                                repeats += 1;
                            } else {
                                conflict = true;
                            }
                        }
                        _ => obs.push(o),
                    }
                }
                if conflict {
                    walked
                        .conflicting
                        .push(String::from_utf8_lossy(head).into_owned());
                } else {
                    walked.duplicate_rows += repeats;
                    deal(head, &obs)?;
                }
                g = h;
            }
            i = j;
        }
    }
    walked.conflicting.sort_unstable();
    Ok(walked)
}
