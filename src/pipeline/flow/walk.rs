//! Every deal's rows together, in snapshot order, in time linear in the
//! rows and with few cache misses: the rows are partitioned by a hash of
//! the deal id into buckets of about 2,048 rows (their ids copied along),
//! and each bucket, small enough for the cache, is sorted by (hash,
//! snapshot). Ids with equal hashes are compared byte for byte, so a
//! collision never joins two deals.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
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

/// A row in its bucket: the id is `bucket ids[id_at..id_at + id_len]`.
#[derive(Clone, Copy)]
struct Entry {
    hash: u64,
    id_at: u32,
    id_len: u32,
    obs: Obs,
}

/// What the walk set aside.
#[derive(Default)]
pub(super) struct Walked {
    /// Rows repeating another row of the same deal and snapshot exactly.
    pub(super) duplicate_rows: u64,
    /// Deals with two different rows for one snapshot (left out).
    pub(super) conflicting: Vec<String>,
}

/// The rows of each bucket, and their ids.
struct Buckets {
    entries: Vec<Vec<Entry>>,
    ids: Vec<Vec<u8>>,
}

fn partition(st: &FlowState) -> Buckets {
    let n = st.rows.len();
    let mut bits = 0u32;
    while bits < 16 && (n >> bits) > 2_048 {
        bits += 1;
    }
    let bucket = |h: u64| {
        if bits == 0 {
            0
        } else {
            (h >> (64 - bits)) as usize
        }
    };
    let hasher = RandomState::default();
    let hashes: Vec<u64> = st.rows.iter().map(|r| hasher.hash_one(st.id(r))).collect();
    let mut counts = vec![(0usize, 0usize); 1 << bits];
    for (r, &h) in st.rows.iter().zip(&hashes) {
        let c = &mut counts[bucket(h)];
        c.0 += 1;
        c.1 += r.id_len as usize;
    }
    let mut b = Buckets {
        entries: counts.iter().map(|c| Vec::with_capacity(c.0)).collect(),
        ids: counts.iter().map(|c| Vec::with_capacity(c.1)).collect(),
    };
    for (r, &h) in st.rows.iter().zip(&hashes) {
        let k = bucket(h);
        let ids = &mut b.ids[k];
        // A bucket's ids are a part of the state's: they fit a u32.
        let id_at = ids.len() as u32;
        ids.extend_from_slice(st.id(r));
        b.entries[k].push(Entry {
            hash: h,
            id_at,
            id_len: r.id_len,
            obs: Obs::of(r),
        });
    }
    b
}

/// Calls `deal(id, observations)` once per deal, its observations in
/// snapshot order with exact repeats dropped; deals with two different
/// rows for one snapshot are left out and listed.
pub(super) fn each_deal(
    st: &FlowState,
    mut deal: impl FnMut(&[u8], &[Obs]) -> Result<()>,
) -> Result<Walked> {
    let mut walked = Walked::default();
    let buckets = partition(st);
    let mut order: Vec<u32> = Vec::new();
    let mut obs: Vec<Obs> = Vec::new();
    for (entries, ids) in buckets.entries.iter().zip(&buckets.ids) {
        let id = |e: &Entry| &ids[e.id_at as usize..(e.id_at + e.id_len) as usize];
        // The walk reads the bucket's ids in hash order: one read of a
        // byte per cache line first, in order, lets the prefetcher bring
        // them in (read in hash order from memory, each line is a miss).
        std::hint::black_box(ids.iter().step_by(64).fold(0u8, |a, &b| a ^ b));
        order.clear();
        order.extend(0..entries.len() as u32);
        order.sort_unstable_by_key(|&i| {
            let e = &entries[i as usize];
            (e.hash, e.obs.snapshot)
        });
        let mut i = 0;
        while i < order.len() {
            let first = &entries[order[i] as usize];
            let mut j = i + 1;
            while j < order.len() && entries[order[j] as usize].hash == first.hash {
                j += 1;
            }
            let group = &mut order[i..j];
            if group
                .iter()
                .any(|&k| !same_bytes(id(&entries[k as usize]), id(first)))
            {
                // Different ids with one hash: by id, then snapshot.
                group.sort_unstable_by(|&x, &y| {
                    let (x, y) = (&entries[x as usize], &entries[y as usize]);
                    (id(x), x.obs.snapshot).cmp(&(id(y), y.obs.snapshot))
                });
            }
            let mut g = 0;
            while g < group.len() {
                let head = &entries[group[g] as usize];
                let mut h = g + 1;
                while h < group.len() && same_bytes(id(&entries[group[h] as usize]), id(head)) {
                    h += 1;
                }
                obs.clear();
                let (mut conflict, mut repeats) = (false, 0);
                for &k in &group[g..h] {
                    let o = entries[k as usize].obs;
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
                        .push(String::from_utf8_lossy(id(head)).into_owned());
                } else {
                    walked.duplicate_rows += repeats;
                    deal(id(head), &obs)?;
                }
                g = h;
            }
            i = j;
        }
    }
    walked.conflicting.sort_unstable();
    Ok(walked)
}
