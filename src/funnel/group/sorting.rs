//! Sorting networks for a partition's few keys, and the general
//! grouping by sorting that takes over when partitioning does not apply.

use crate::funnel::scan::Ev;
use crate::funnel::spec::FunnelEvent;

/// A compare-exchange of two variables: the smaller goes to the first.
macro_rules! cx {
    ($x:ident, $y:ident) => {{
        let (lo, hi) = ($x.min($y), $x.max($y));
        $x = lo;
        $y = hi;
    }};
}

/// Sorts four keys with a sorting network of 5 compare-exchanges.
#[inline]
pub(in crate::funnel) fn sort4<T: Ord + Copy>(k: &mut [T; 4]) {
    let [mut a0, mut a1, mut a2, mut a3] = *k;
    cx!(a0, a2);
    cx!(a1, a3);
    cx!(a0, a1);
    cx!(a2, a3);
    cx!(a1, a2);
    *k = [a0, a1, a2, a3];
}

/// Sorts eight keys with a sorting network of 19 compare-exchanges (Knuth's
/// optimal-size network for 8 inputs), written out so that the keys stay in
/// registers, without branches (so random input costs no mispredictions).
/// Checked on every 0/1 input by the tests.
#[inline]
pub(in crate::funnel) fn sort8<T: Ord + Copy>(k: &mut [T; 8]) {
    let [mut a0, mut a1, mut a2, mut a3, mut a4, mut a5, mut a6, mut a7] = *k;
    cx!(a0, a2);
    cx!(a1, a3);
    cx!(a4, a6);
    cx!(a5, a7);
    cx!(a0, a4);
    cx!(a1, a5);
    cx!(a2, a6);
    cx!(a3, a7);
    cx!(a0, a1);
    cx!(a2, a3);
    cx!(a4, a5);
    cx!(a6, a7);
    cx!(a2, a4);
    cx!(a3, a5);
    cx!(a1, a4);
    cx!(a3, a6);
    cx!(a1, a2);
    cx!(a3, a4);
    cx!(a5, a6);
    *k = [a0, a1, a2, a3, a4, a5, a6, a7];
}

/// The order of events within one second: events matching no step first
/// (ClickHouse gives them condition 0), then steps in order; the raw code is
/// kept in the low 8 bits.
pub(super) fn step_order(step: u8, steps: usize) -> u64 {
    if usize::from(step) < steps {
        256 | u64::from(step)
    } else {
        u64::from(step)
    }
}

/// The general grouping: sort everything by `(user, ts, step order, rank)`.
pub(in crate::funnel) fn group_by_sorting(
    events: &[FunnelEvent],
    ranks: &[u32],
    steps: usize,
    mut f: impl FnMut(&[Ev]),
) {
    let mut all: Vec<(u64, Ev)> = events
        .iter()
        .map(|e| {
            (
                e.user,
                Ev {
                    ts: e.ts,
                    step: e.step,
                    rank: ranks[e.channel.index()],
                    channel: e.channel.0,
                },
            )
        })
        .collect();
    all.sort_unstable_by_key(|(u, e)| (*u, e.ts, step_order(e.step, steps), e.rank));
    let mut evs = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let user = all[i].0;
        evs.clear();
        while i < all.len() && all[i].0 == user {
            evs.push(all[i].1);
            i += 1;
        }
        f(&evs);
    }
}

#[cfg(test)]
mod network_tests {
    /// The 0-1 principle: a network sorts every input if it sorts every
    /// sequence of zeros and ones.
    #[test]
    fn networks_sort_every_binary_input() {
        for bits in 0u32..(1 << 8) {
            let mut k = [0u64; 8];
            for (i, x) in k.iter_mut().enumerate() {
                *x = u64::from((bits >> i) & 1);
            }
            let mut four = [k[0], k[1], k[2], k[3]];
            super::sort8(&mut k);
            assert!(k.windows(2).all(|w| w[0] <= w[1]), "8: bits={bits:b}");
            super::sort4(&mut four);
            assert!(four.windows(2).all(|w| w[0] <= w[1]), "4: bits={bits:b}");
        }
    }
}
