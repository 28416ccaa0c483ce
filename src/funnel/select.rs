//! The exact time statistics of groups of accumulators (medians and 90th
//! percentiles by histogram selection) and their histograms, in one pass
//! pair over the times to each step.

use super::report::TimeStats;
use super::stats::Acc;
use crate::quantity::{mean_from_sum, quantile_by_rank, BinIndex, Ratio, TimeBins, TimeUnit};

/// The statistics of the times to step `k` for each accumulator and for
/// their union (last): [`group_stats`] with one group per accumulator and
/// one of all.
#[cfg(test)]
pub(super) fn step_stats(accs: &[&Acc], k: usize, prev: bool) -> Vec<Option<TimeStats>> {
    let mut groups: Vec<Vec<usize>> = (0..accs.len()).map(|i| vec![i]).collect();
    groups.push((0..accs.len()).collect());
    group_stats(accs, &groups, k, prev, None, &mut Scratch::default()).stats
}

/// The working memory of [`group_stats`], kept across its calls.
#[derive(Default)]
pub(super) struct Scratch {
    /// Per accumulator, its values per bucket.
    acc_hist: Vec<u32>,
    /// Per group, its values per bucket, then their prefix sums.
    group_hist: Vec<u64>,
}

/// What [`group_stats`] gives for the times to one step.
pub(super) struct Pass {
    /// Per group, the time statistics.
    pub(super) stats: Vec<Option<TimeStats>>,
    /// With histograms asked for and times to count: the bins, and each
    /// accumulator's users per bin.
    pub(super) hist: Option<(BinIndex, Vec<Vec<u64>>)>,
}

/// The statistics of the times to step `k` (from the previous step if
/// `prev`, else from the first) of each group of accumulators (a group
/// lists indices into `accs`; groups may overlap, an accumulator belongs
/// to a few), and with `bins` the histogram of every accumulator on bins
/// chosen from all the times (in ticks of the unit given), computed
/// together: one read for the sums, the extremes and a histogram of each
/// accumulator's values by their top bits (a group's is the sum of its
/// members'), one to gather, per group, the values of the buckets that
/// hold the ranks the quantiles need (which alone are sorted) and to count
/// the bins. Wide rows (windows of 136 years or more) are sorted instead.
pub(super) fn group_stats(
    accs: &[&Acc],
    groups: &[Vec<usize>],
    k: usize,
    prev: bool,
    bins: Option<(&TimeBins, TimeUnit)>,
    scratch: &mut Scratch,
) -> Pass {
    let ng = groups.len();
    let huge = |a: &&Acc| {
        a.at_level
            .iter()
            .try_fold(0u32, |s, &c| s.checked_add(u32::try_from(c).ok()?))
            .is_none()
    };
    if accs.iter().any(|a| a.is_wide()) || accs.iter().any(huge) {
        return wide_stats(accs, groups, k, prev, bins);
    }
    // Narrow rows hold values below 2^32 only.
    let max = accs
        .iter()
        .map(|a| a.max)
        .max()
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX)) as u32;
    // Fewer buckets for many accumulators, so that their histograms stay
    // in the cache (the groups of a trend: a period's channels).
    let bits = match accs.len() {
        0..=32 => SELECT_BITS,
        33..=64 => SELECT_BITS - 1,
        _ => SELECT_BITS - 2,
    };
    let shift = (u32::BITS - max.leading_zeros()).saturating_sub(bits);
    let buckets = (max >> shift) as usize + 1;
    let width = buckets + 1;
    // One read: per accumulator, the count, the sum, the extremes and its
    // values in bucket b at acc_hist[i * width + b + 1] (32 bits: an
    // accumulator holds fewer than 2^32 users here, see below).
    let mut acc_count = vec![0u64; accs.len()];
    let mut acc_sum = vec![0u128; accs.len()];
    let (mut lo, mut hi) = (u32::MAX, 0u32);
    let acc_hist = &mut scratch.acc_hist;
    acc_hist.clear();
    acc_hist.resize(accs.len() * width, 0);
    for (i, (a, h)) in accs
        .iter()
        .zip(acc_hist.chunks_exact_mut(width))
        .enumerate()
    {
        let (mut c, mut s) = (0u64, 0u128);
        let (mut l, mut m) = (u32::MAX, 0u32);
        a.for_each_narrow(k, prev, |x| {
            h[(x >> shift) as usize + 1] += 1;
            c += 1;
            s += u128::from(x);
            l = l.min(x);
            m = m.max(x);
        });
        acc_count[i] = c;
        acc_sum[i] = s;
        lo = lo.min(l);
        hi = hi.max(m);
    }
    // Per group: the sums of its members', then prefix sums of the
    // histogram (at group_hist[g * width..]).
    let count: Vec<u64> = groups
        .iter()
        .map(|g| g.iter().map(|&i| acc_count[i]).sum())
        .collect();
    let sum: Vec<u128> = groups
        .iter()
        .map(|g| g.iter().map(|&i| acc_sum[i]).sum())
        .collect();
    let group_hist = &mut scratch.group_hist;
    group_hist.clear();
    group_hist.resize(ng * width, 0);
    for ((g, &c), h) in groups
        .iter()
        .zip(&count)
        .zip(group_hist.chunks_exact_mut(width))
    {
        if c == 0 {
            continue;
        }
        for &i in g {
            if acc_count[i] > 0 {
                for (x, &y) in h.iter_mut().zip(&acc_hist[i * width..(i + 1) * width]) {
                    *x += u64::from(y);
                }
            }
        }
        for b in 1..h.len() {
            h[b] += h[b - 1];
        }
    }
    let hist = |g: usize| &group_hist[g * width..(g + 1) * width];
    let total: u64 = acc_count.iter().sum();
    let index = match bins {
        Some((bins, unit)) if total > 0 => {
            let edges = bins.edges(unit, i64::from(lo), i64::from(hi), total);
            Some(BinIndex::new(&edges, i64::from(hi)))
        }
        _ => None,
    };
    let half = Ratio::from_counts(1, 2).ok();
    let p90 = Ratio::from_counts(9, 10).ok();
    let (Some(half), Some(p90)) = (half, p90) else {
        return Pass {
            stats: vec![None; ng],
            hist: None,
        };
    };
    // The ranks the quantile rule asks for, found by asking it with a
    // recording lookup; then the buckets holding them, per group.
    let wanted_buckets: Vec<Vec<usize>> = (0..ng)
        .map(|gi| {
            if count[gi] == 0 {
                return Vec::new();
            }
            let asked = std::cell::RefCell::new(Vec::new());
            let record = |r: u64| {
                asked.borrow_mut().push(r);
                Some(0)
            };
            let _ = quantile_by_rank(count[gi], half, record);
            let _ = quantile_by_rank(count[gi], p90, record);
            let mut b: Vec<usize> = asked
                .into_inner()
                .iter()
                .map(|&r| hist(gi).partition_point(|&c| c <= r) - 1)
                .collect();
            b.sort_unstable();
            b.dedup();
            b
        })
        .collect();
    // The groups of each accumulator; then, per accumulator, its values in
    // the buckets any of its groups wants (one look-up per value, in a
    // table of the accumulator's wanted buckets, reset after each), and
    // its users per bin.
    let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); accs.len()];
    for (gi, g) in groups.iter().enumerate() {
        if count[gi] > 0 {
            for &i in g {
                member_of[i].push(gi);
            }
        }
    }
    let mut table = vec![u8::MAX; buckets];
    let bins_n = index.as_ref().map_or(0, |x| x.edges().bins());
    let mut acc_bins: Vec<Vec<u64>> =
        Vec::with_capacity(if index.is_some() { accs.len() } else { 0 });
    // acc_lists[i]: (bucket, values) for each bucket accumulator i's groups want.
    let mut acc_lists: Vec<Vec<(usize, Vec<u32>)>> = vec![Vec::new(); accs.len()];
    for (i, a) in accs.iter().enumerate() {
        let mut per_bin = vec![0u64; bins_n];
        if acc_count[i] == 0 {
            if index.is_some() {
                acc_bins.push(per_bin);
            }
            continue;
        }
        let mut bs: Vec<usize> = member_of[i]
            .iter()
            .flat_map(|&gi| wanted_buckets[gi].iter().copied())
            .collect();
        bs.sort_unstable();
        bs.dedup();
        // A group wants at most a few buckets, an accumulator is in a few
        // groups: far below 255 buckets.
        bs.truncate(usize::from(u8::MAX));
        for (j, &b) in bs.iter().enumerate() {
            table[b] = j as u8;
        }
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); bs.len()];
        match &index {
            None => a.for_each_narrow(k, prev, |x| {
                if let Some(l) = lists.get_mut(usize::from(table[(x >> shift) as usize])) {
                    l.push(x);
                }
            }),
            Some(index) => {
                a.for_each_narrow(k, prev, |x| {
                    let b = (x >> shift) as usize;
                    if let Some(l) = lists.get_mut(usize::from(table[b])) {
                        l.push(x);
                    }
                    let bin = index.bin_of(i64::from(x));
                    if let Some(c) = bin.and_then(|b| per_bin.get_mut(b)) {
                        *c += 1;
                    }
                });
                acc_bins.push(per_bin);
            }
        }
        for &b in &bs {
            table[b] = u8::MAX;
        }
        acc_lists[i] = bs.into_iter().zip(lists).collect();
    }
    // gathered[g][j]: the values of group g's wanted bucket j, from its
    // members' lists.
    let mut gathered: Vec<Vec<Vec<u32>>> = wanted_buckets
        .iter()
        .enumerate()
        .map(|(gi, wb)| {
            wb.iter()
                .map(|&b| {
                    let mut v = Vec::new();
                    for &i in &groups[gi] {
                        let l = &acc_lists[i];
                        if let Ok(j) = l.binary_search_by_key(&b, |(bb, _)| *bb) {
                            v.extend_from_slice(&l[j].1);
                        }
                    }
                    v
                })
                .collect()
        })
        .collect();
    let stats = (0..ng)
        .map(|gi| {
            if count[gi] == 0 {
                return None;
            }
            for l in &mut gathered[gi] {
                l.sort_unstable();
            }
            let h = hist(gi);
            let nth = |r: u64| -> Option<i64> {
                let b = h.partition_point(|&c| c <= r) - 1;
                let j = wanted_buckets[gi].binary_search(&b).ok()?;
                let off = usize::try_from(r - h[b]).ok()?;
                gathered[gi][j].get(off).map(|&v| i64::from(v))
            };
            Some(TimeStats {
                count: count[gi],
                mean_seconds: mean_from_sum(i128::try_from(sum[gi]).ok()?, count[gi])?,
                median_seconds: quantile_by_rank(count[gi], half, nth)?,
                p90_seconds: quantile_by_rank(count[gi], p90, nth)?,
            })
        })
        .collect();
    Pass {
        stats,
        hist: index.map(|x| (x, acc_bins)),
    }
}

/// [`group_stats`] for wide rows: every list sorted.
fn wide_stats(
    accs: &[&Acc],
    groups: &[Vec<usize>],
    k: usize,
    prev: bool,
    bins: Option<(&TimeBins, TimeUnit)>,
) -> Pass {
    let lists: Vec<Vec<i64>> = accs.iter().map(|a| a.times(k, prev)).collect();
    let stats = groups
        .iter()
        .map(|g| TimeStats::of_values(g.iter().flat_map(|&i| lists[i].iter().copied()).collect()))
        .collect();
    let all = lists.iter().flatten();
    let (lo, hi) = (all.clone().min().copied(), all.clone().max().copied());
    let total = lists.iter().map(Vec::len).sum::<usize>() as u64;
    let hist = match (bins, lo, hi) {
        (Some((bins, unit)), Some(lo), Some(hi)) => {
            let index = BinIndex::new(&bins.edges(unit, lo, hi, total), hi);
            let per_acc = lists
                .iter()
                .map(|l| {
                    let mut c = vec![0u64; index.edges().bins()];
                    for &x in l {
                        if let Some(v) = index.bin_of(x).and_then(|b| c.get_mut(b)) {
                            *v += 1;
                        }
                    }
                    c
                })
                .collect();
            Some((index, per_acc))
        }
        _ => None,
    };
    Pass { stats, hist }
}

/// The buckets of the histogram selection: at most 2^12 (32 KiB of
/// counts per group, which stay in the cache).
const SELECT_BITS: u32 = 12;

#[cfg(test)]
mod time_stats_tests {
    use super::step_stats;
    use crate::funnel::stats::Acc;
    use crate::quantity::Distribution;
    use proptest::prelude::*;

    proptest! {
        /// The joint histogram selection over several accumulators gives,
        /// per accumulator and for their union, the statistics of
        /// `Distribution` over the times computed directly from the
        /// chains, for narrow and wide values, ties and spreads alike.
        #[test]
        fn selection_equals_the_distribution(
            scale in prop_oneof![Just(3u64), Just(5_000_000), Just(1 << 40)],
            raw in prop::collection::vec(
                prop::collection::vec((1usize..=4, prop::collection::vec(any::<u64>(), 4)), 0..120),
                1..4,
            ),
        ) {
            let n = 4;
            // chains[i]: (level, timestamps) of accumulator i's users.
            let chains: Vec<Vec<(usize, Vec<i64>)>> = raw
                .iter()
                .map(|users| {
                    users
                        .iter()
                        .map(|(level, steps)| {
                            let mut t = 1_000i64;
                            let ts = steps.iter().map(|&x| { t += (x % scale) as i64; t }).collect();
                            (*level, ts)
                        })
                        .collect()
                })
                .collect();
            let accs: Vec<Acc> = chains
                .iter()
                .map(|users| {
                    let mut a = Acc::new(n);
                    for (level, ts) in users {
                        a.add(*level, ts, true);
                    }
                    a
                })
                .collect();
            let refs: Vec<&Acc> = accs.iter().collect();
            for k in 1..n {
                for prev in [true, false] {
                    let got = step_stats(&refs, k, prev);
                    let mut union = Distribution::new();
                    let mut expect = Vec::new();
                    for users in &chains {
                        let mut d = Distribution::new();
                        for (level, ts) in users {
                            if *level > k {
                                let v = ts[k] - if prev { ts[k - 1] } else { ts[0] };
                                d.add(v).unwrap();
                                union.add(v).unwrap();
                            }
                        }
                        expect.push(d);
                    }
                    expect.push(union);
                    prop_assert_eq!(got.len(), expect.len());
                    for (g, d) in got.iter().zip(&expect) {
                        match g {
                            None => prop_assert!(d.is_empty()),
                            Some(s) => {
                                prop_assert_eq!(s.count, d.count());
                                prop_assert_eq!(Some(s.mean_seconds), d.mean());
                                prop_assert_eq!(Some(s.median_seconds), d.median());
                                prop_assert_eq!(Some(s.p90_seconds), d.p90());
                            }
                        }
                    }
                }
            }
        }
    }

    proptest! {
        /// Overlapping groups of many accumulators (more than 64: the
        /// coarser buckets), with histograms: each group's statistics are
        /// `Distribution`'s over its members' times, and each
        /// accumulator's bin counts are the edges' own placing of its times.
        #[test]
        fn groups_and_histograms_equal_the_direct_computation(
            scale in prop_oneof![Just(3u64), Just(5_000_000)],
            accs_n in prop_oneof![1usize..5, 65usize..80],
            raw in prop::collection::vec((0usize..80, 1usize..=3, any::<u64>(), any::<u64>()), 0..300),
            groups in prop::collection::vec(prop::collection::vec(0usize..80, 0..20), 1..6),
            bins_n in 1usize..30,
        ) {
            use crate::quantity::{TimeBins, TimeUnit};
            let n = 3;
            let mut chains: Vec<Vec<(usize, Vec<i64>)>> = vec![Vec::new(); accs_n];
            for (a, level, x, y) in raw {
                let ts = vec![0, (x % scale) as i64, (x % scale + y % scale) as i64];
                chains[a % accs_n].push((level, ts));
            }
            let accs: Vec<Acc> = chains
                .iter()
                .map(|users| {
                    let mut a = Acc::new(n);
                    for (level, ts) in users {
                        a.add(*level, ts, true);
                    }
                    a
                })
                .collect();
            let refs: Vec<&Acc> = accs.iter().collect();
            let groups: Vec<Vec<usize>> = groups
                .into_iter()
                .map(|g| {
                    let mut g: Vec<usize> = g.into_iter().map(|i| i % accs_n).collect();
                    g.sort_unstable();
                    g.dedup();
                    g
                })
                .collect();
            let bins = TimeBins::auto(bins_n).unwrap();
            for k in 1..n {
                for prev in [true, false] {
                    let pass = super::group_stats(&refs, &groups, k, prev, Some((&bins, TimeUnit::Second)), &mut super::Scratch::default());
                    let time = |ts: &[i64]| ts[k] - if prev { ts[k - 1] } else { ts[0] };
                    for (g, got) in groups.iter().zip(&pass.stats) {
                        let mut d = Distribution::new();
                        for &i in g {
                            for (level, ts) in &chains[i] {
                                if *level > k {
                                    d.add(time(ts)).unwrap();
                                }
                            }
                        }
                        match got {
                            None => prop_assert!(d.is_empty()),
                            Some(s) => {
                                prop_assert_eq!(s.count, d.count());
                                prop_assert_eq!(Some(s.mean_seconds), d.mean());
                                prop_assert_eq!(Some(s.median_seconds), d.median());
                                prop_assert_eq!(Some(s.p90_seconds), d.p90());
                            }
                        }
                    }
                    if let Some((index, counts)) = &pass.hist {
                        for (i, users) in chains.iter().enumerate() {
                            let mut want = vec![0u64; index.edges().bins()];
                            for (level, ts) in users {
                                if *level > k {
                                    want[index.edges().bin_of(time(ts)).unwrap()] += 1;
                                }
                            }
                            prop_assert_eq!(&counts[i], &want);
                        }
                    }
                }
            }
        }
    }
}
