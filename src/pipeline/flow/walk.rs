//! Every deal's rows together, in snapshot order, with few cache misses:
//! the state keeps its rows in buckets by the hash of the deal id, and
//! each bucket, small enough for the cache, is grouped by hash in a table
//! of its own, each group sorted by snapshot. Ids with equal hashes are
//! compared byte for byte, so a collision never joins two deals.

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
    const NONE: u32 = u32::MAX;
    let mut walked = Walked::default();
    // Per bucket, in the cache: an open-addressing table from the hash to
    // the first row with it, the other rows with it chained after that
    // one, and the first rows in the order they came.
    let (mut table, mut next, mut heads) = (Vec::<u32>::new(), Vec::<u32>::new(), Vec::new());
    let mut group: Vec<u32> = Vec::new();
    let mut obs: Vec<Obs> = Vec::new();
    for bucket in &st.buckets {
        let rows = &bucket.rows;
        let id = |k: u32| bucket.id(&rows[k as usize]);
        // The walk reads the bucket's ids by deal: one read of a byte per
        // cache line first, in order, lets the prefetcher bring them in
        // (read out of order from memory, each line is a miss).
        std::hint::black_box(bucket.ids.iter().step_by(64).fold(0u8, |a, &b| a ^ b));
        let cap = (rows.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        table.clear();
        table.resize(cap, NONE);
        next.clear();
        next.resize(rows.len(), NONE);
        heads.clear();
        for (k, r) in rows.iter().enumerate() {
            let k = k as u32;
            let mut slot = r.hash as usize & mask;
            loop {
                let e = table[slot];
                if e == NONE {
                    table[slot] = k;
                    heads.push(k);
                    break;
                }
                if rows[e as usize].hash == r.hash {
                    next[k as usize] = next[e as usize];
                    next[e as usize] = k;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        for &h in &heads {
            group.clear();
            let mut k = h;
            while k != NONE {
                group.push(k);
                k = next[k as usize];
            }
            let first = id(h);
            if group.iter().any(|&k| !same_bytes(id(k), first)) {
                // Different ids with one hash: by id, then snapshot.
                group.sort_unstable_by(|&x, &y| {
                    (id(x), rows[x as usize].snapshot).cmp(&(id(y), rows[y as usize].snapshot))
                });
            } else if group.len() > 1 {
                group.sort_unstable_by_key(|&k| rows[k as usize].snapshot);
            }
            let mut g = 0;
            while g < group.len() {
                let head = id(group[g]);
                let mut e = g + 1;
                while e < group.len() && same_bytes(id(group[e]), head) {
                    e += 1;
                }
                obs.clear();
                let (mut conflict, mut repeats) = (false, 0);
                for &k in &group[g..e] {
                    let o = Obs::of(&rows[k as usize]);
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
                g = e;
            }
        }
    }
    walked.conflicting.sort_unstable();
    Ok(walked)
}
