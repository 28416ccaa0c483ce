//! Grouping events by user, in time order: the two passes of the
//! partitioned grouping, and the sorting fallback. See the module docs of
//! [`funnel`](super) ("How it runs") for the design.

use super::scan::Ev;
use super::spec::FunnelEvent;
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};

mod blocks;
mod partition;
mod sorting;

pub(super) use sorting::group_by_sorting;

/// The rank of each channel's name in sorted order, by channel id.
pub(super) fn channel_ranks(channels: &Channels) -> Vec<u32> {
    let mut ids: Vec<(&str, u32)> = channels.iter().map(|(id, c)| (c.as_str(), id.0)).collect();
    ids.sort_unstable();
    let mut ranks = vec![0u32; ids.len()];
    for (rank, (_, id)) in ids.iter().enumerate() {
        ranks[*id as usize] = rank as u32;
    }
    ranks
}

pub(super) const TS_SHIFT: u32 = 28;
pub(super) const STEP_SHIFT: u32 = 19;

/// Partitions hold about 2^13 events or more (with their working copy
/// and bucket counts, within the L2 cache up to about 2^15)...
const PART_SHIFT: u32 = 13;
/// ...and there are at most 2^9 of them (few enough write streams for the
/// scatter of pass 1; measured best on 10 million events, where 2^8 and
/// 2^10 are slower).
const MAX_PART_BITS: u32 = 9;
/// The in-place pass 1 moves events in blocks of this many (12 KiB): long
/// enough for pass 2 to read a partition's blocks at the speed of
/// contiguous memory (blocks of 32 made pass 2 a third slower), with a
/// block buffer per partition of 6 MiB in all per thread at 2^9
/// partitions (measured on 10 million events: 64 to 1,024).
const BLOCK: usize = 512;

/// What turns an event into its key: `(ts - origin) << TS_SHIFT | step
/// order << STEP_SHIFT | rank`, whose integer order is the order of
/// `(ts, step order, rank)`.
struct Keys {
    /// 2^35 ticks before the first event.
    origin: i64,
    /// The step order bits of each step code.
    step_bits: [u64; 256],
    /// The rank of each channel id.
    rank_bits: Vec<u64>,
    /// The highest channel id registered.
    last_channel: usize,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            origin: 0,
            step_bits: [0; 256],
            rank_bits: Vec::new(),
            last_channel: 0,
        }
    }
}

impl Keys {
    /// The key, and a non-zero flag if the event's time is out of the
    /// key's range (the exact test: a negative difference wraps to 2^63
    /// or more) or its channel is not registered.
    #[inline]
    fn key(&self, e: &FunnelEvent) -> (u64, u64) {
        let off = e.ts.wrapping_sub(self.origin) as u64;
        let key = (off << TS_SHIFT)
            | self.step_bits[usize::from(e.step)]
            | self.rank_bits[e.channel.index().min(self.last_channel)];
        (key, self.flag(e))
    }

    /// The flag of [`Keys::key`] alone.
    #[inline]
    fn flag(&self, e: &FunnelEvent) -> u64 {
        let off = e.ts.wrapping_sub(self.origin) as u64;
        (off >> 36) | u64::from(e.channel.index() > self.last_channel)
    }

    /// An event's `[hash, key]` record.
    #[inline]
    fn record(&self, e: &FunnelEvent) -> [u64; 2] {
        [mix(e.user), self.key(e).0]
    }
}

/// Events grouped by pass 1 into partitions by the top bits of a hash of
/// the user. Pass 1 either scatters 16-byte records `[hash, key]` into
/// memory of its own ([`Partitioned::fill`]; the hash stands for the user:
/// the mixer is a bijection on u64, so equal hashes mean equal users), or
/// moves the caller's events in place ([`Partitioned::fill_in_place`]);
/// either way a partition is a list of ranges of that data.
#[derive(Default)]
pub(super) struct Partitioned {
    /// The records of [`Partitioned::fill`], in the partitions' ranges
    /// (anything else is memory kept from an earlier input).
    pub(super) recs: Vec<[u64; 2]>,
    /// Partition `p`'s ranges of the data are `ranges[at[p]..at[p + 1]]`.
    ranges: Vec<[usize; 2]>,
    at: Vec<usize>,
    parts_bits: u32,
    keys: Keys,
    /// The channel id of each rank.
    pub(super) channel_of_rank: Vec<u32>,
    /// The in-place pass 1's memory, per thread.
    blocks: [Blocks; 2],
}

/// The working memory of one thread of the in-place pass 1.
#[derive(Default)]
struct Blocks {
    /// A block buffer of `BLOCK` events per partition.
    buf: Vec<FunnelEvent>,
    /// The events in each partition's buffer.
    fill: Vec<usize>,
    /// The partition of each full block, in the order written.
    part_of_block: Vec<u16>,
    /// Where the partial blocks start, each partition's in turn.
    rest: Vec<usize>,
}

/// The working memory of pass 2 (one per thread).
#[derive(Default)]
pub(super) struct PassTwo {
    local: Vec<[u64; 2]>,
    sub_counts: Vec<usize>,
    next_counts: Vec<usize>,
    bounds: Vec<usize>,
    /// The keys of a user with more than 8 events.
    more: Vec<u64>,
}

/// Into how many halves pass 1 splits `n` events: two on two threads or
/// more from 2^16 events, else one.
fn halves(n: usize, threads: usize) -> usize {
    if threads >= 2 && n >= 1 << 16 {
        2
    } else {
        1
    }
}

/// The bucket bits of a partition of `len` records: about one bucket per
/// two events, so that most users (five events on average) still have a
/// bucket to themselves.
#[inline]
fn bucket_bits(len: usize) -> u32 {
    (usize::BITS - (len >> 1).leading_zeros()).clamp(1, 24)
}

/// The bucket of a user's hash in its partition: the `bits` bits below the
/// partition's `shift` top bits.
#[inline]
fn bucket_of(h: u64, shift: u32, bits: u32) -> usize {
    ((h << shift) >> (64 - bits)) as usize
}

/// Zeroed bucket counts for a partition of `len` records (`counts[b + 1]`
/// is to hold bucket `b`'s); returns the bucket bits.
#[inline]
fn reset_counts(counts: &mut Vec<usize>, len: usize) -> u32 {
    let bits = bucket_bits(len);
    counts.clear();
    counts.resize((1 << bits) + 1, 0);
    bits
}

/// The error for an event whose channel is not in the registry.
fn unknown_channel(c: ChannelId) -> Error {
    Error::invalid(
        "funnel",
        format!("channel id {} is not in the registry", c.0),
    )
}

/// An error for the first event whose channel is not in the registry.
fn check_channels(events: &[FunnelEvent], ranks: &[u32]) -> Result<()> {
    match events.iter().find(|e| e.channel.index() >= ranks.len()) {
        Some(e) => Err(unknown_channel(e.channel)),
        None => Ok(()),
    }
}

/// Which of `n` partitions a user belongs to: a fixed hash of the id, so
/// every event of a user lands in the same partition.
///
/// ```
/// let p = revops::funnel::partition_of(42, 4);
/// assert!(p < 4);
/// assert_eq!(p, revops::funnel::partition_of(42, 4));
/// ```
pub fn partition_of(user: u64, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    ((u128::from(mix(user)) * n as u128) >> 64) as usize
}

/// A 64-bit mixer: an xor-shift then a multiplication by an odd constant,
/// both invertible, so the mixer is a bijection on `u64` (equal hashes mean
/// equal users). Its high bits, which choose partitions and buckets, depend
/// on every bit of the id.
#[inline]
fn mix(x: u64) -> u64 {
    (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
