//! Pass 1's in-place blocks, and a cursor over a partition's ranges.

use super::{mix, Blocks, Keys, Partitioned, BLOCK};
use crate::funnel::spec::FunnelEvent;
use crate::journey::ChannelId;

/// A position in a partition's ranges, for counting its records a few
/// at a time.
pub(super) struct Cursor<'a> {
    ranges: &'a [[usize; 2]],
    /// The range, and the position in the data.
    range: usize,
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The start of `ranges`.
    pub(super) fn new(ranges: &'a [[usize; 2]]) -> Cursor<'a> {
        Cursor {
            ranges,
            range: 0,
            at: ranges.first().map_or(0, |r| r[0]),
        }
    }

    /// Counts the next `budget` items (or all that are left) into
    /// `counts[bucket + 1]`.
    #[inline]
    pub(super) fn count<T>(
        &mut self,
        counts: &mut [usize],
        data: &[T],
        mut budget: usize,
        bucket: impl Fn(&T) -> usize,
    ) {
        let ranges = self.ranges;
        while budget > 0 {
            let Some(&[_, end]) = ranges.get(self.range) else {
                return;
            };
            let take = (end - self.at).min(budget);
            for x in &data[self.at..self.at + take] {
                counts[bucket(x) + 1] += 1;
            }
            self.at += take;
            budget -= take;
            if self.at == end {
                self.range += 1;
                if let Some(r) = ranges.get(self.range) {
                    self.at = r[0];
                }
            }
        }
    }
}

/// The in-place pass 1 over one thread's events (see
/// [`Partitioned::fill_in_place`]); returns the flags of [`Keys::key`].
pub(super) fn into_blocks(
    half: &mut [FunnelEvent],
    b: &mut Blocks,
    keys: &Keys,
    parts_bits: u32,
) -> u64 {
    let parts = 1usize << parts_bits;
    let Blocks {
        buf,
        fill,
        part_of_block,
        rest,
    } = b;
    if buf.len() < parts * BLOCK {
        buf.resize(parts * BLOCK, FunnelEvent::new(0, 0, 0, ChannelId(0)));
    }
    fill.clear();
    fill.resize(parts, 0);
    part_of_block.clear();
    let (mut bad, mut w) = (0u64, 0usize);
    for r in 0..half.len() {
        let e = half[r];
        bad |= keys.flag(&e);
        let p = Partitioned::part_of(mix(e.user), parts_bits);
        let f = fill[p];
        buf[p * BLOCK + f] = e;
        if f + 1 == BLOCK {
            // `w + BLOCK <= r + 1`: the block goes over events read.
            half[w..w + BLOCK].copy_from_slice(&buf[p * BLOCK..(p + 1) * BLOCK]);
            part_of_block.push(p as u16);
            w += BLOCK;
            fill[p] = 0;
        } else {
            fill[p] = f + 1;
        }
    }
    rest.clear();
    for (p, &f) in fill.iter().enumerate() {
        rest.push(w);
        half[w..w + f].copy_from_slice(&buf[p * BLOCK..p * BLOCK + f]);
        w += f;
    }
    rest.push(w);
    bad
}
