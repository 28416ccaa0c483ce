//! The two passes of the partitioned grouping: pass 1 spreads the events
//! into partitions (in place, by blocks, or into a copy), pass 2 groups each
//! partition by user and sorts each user's events in time order.

use super::blocks::{into_blocks, Cursor};
use super::sorting::{sort4, sort8, step_order};
use super::*;

impl Partitioned {
    /// The event a key stands for.
    #[inline]
    pub(in crate::funnel) fn decode(&self, key: u64) -> Ev {
        let rank = (key & ((1 << STEP_SHIFT) - 1)) as u32;
        Ev {
            ts: self.keys.origin + (key >> TS_SHIFT) as i64,
            step: ((key >> STEP_SHIFT) & 0xFF) as u8,
            rank,
            channel: self
                .channel_of_rank
                .get(rank as usize)
                .copied()
                .unwrap_or(0),
        }
    }

    /// The instant a key's time counts from.
    pub(in crate::funnel) fn origin(&self) -> i64 {
        self.keys.origin
    }

    pub(in crate::funnel) fn parts(&self) -> usize {
        self.at.len().saturating_sub(1)
    }

    /// Partition `p`'s ranges of the data.
    #[inline]
    pub(in crate::funnel) fn part(&self, p: usize) -> &[[usize; 2]] {
        &self.ranges[self.at[p]..self.at[p + 1]]
    }

    /// The number of partition bits for `n` events.
    fn parts_bits_for(n: usize) -> u32 {
        (usize::BITS - (n >> PART_SHIFT).leading_zeros()).min(MAX_PART_BITS)
    }

    /// The partition of a hash (the top `parts_bits` bits; 0 for none).
    #[inline]
    pub(super) fn part_of(h: u64, parts_bits: u32) -> usize {
        ((h >> 1) >> (63 - parts_bits)) as usize
    }

    /// What both passes 1 share: the key tables and the number of
    /// partitions. Returns `None` for inputs whose timestamps span 2^35
    /// ticks (1,000 years of seconds, a year of milliseconds, 9.5 hours of
    /// microseconds) or more or with 2^19 channels or more (they are
    /// sorted instead); otherwise the number of partitions (none for no
    /// events).
    fn prepare(
        &mut self,
        events: &[FunnelEvent],
        ranks: &[u32],
        steps: usize,
    ) -> Result<Option<usize>> {
        self.ranges.clear();
        self.at.clear();
        if ranks.len() >= 1 << STEP_SHIFT {
            check_channels(events, ranks)?;
            return Ok(None);
        }
        let Some(first) = events.first() else {
            // Nothing to partition; `parts` says so.
            return Ok(Some(0));
        };
        // Keys count seconds from `origin`, 2^35 s before the first event.
        let Some(origin) = first.ts.checked_sub(1 << 35) else {
            check_channels(events, ranks)?;
            return Ok(None);
        };
        let Some(last_channel) = ranks.len().checked_sub(1) else {
            return Err(unknown_channel(first.channel));
        };
        let keys = &mut self.keys;
        keys.origin = origin;
        keys.last_channel = last_channel;
        for (code, b) in keys.step_bits.iter_mut().enumerate() {
            *b = step_order(code as u8, steps) << STEP_SHIFT;
        }
        keys.rank_bits.clear();
        keys.rank_bits.extend(ranks.iter().map(|&r| u64::from(r)));
        self.channel_of_rank.clear();
        self.channel_of_rank.resize(ranks.len(), 0);
        for (id, &r) in ranks.iter().enumerate() {
            self.channel_of_rank[r as usize] = id as u32;
        }
        self.parts_bits = Self::parts_bits_for(events.len());
        Ok(Some(1 << self.parts_bits))
    }

    /// Pass 1: one read of the events, scattering `[hash, key]` records
    /// into partitions of fixed capacity (a quarter more than the average
    /// partition, plus some room), while flagging times out of the keys'
    /// range and unregistered channels. Keys hold the time relative to the
    /// first event's. If a partition overflows (a user with a great many events,
    /// say), the partitions are sized exactly by a counting read and the
    /// scatter is done again. Returns `false` (nothing partitioned) where
    /// [`Partitioned::prepare`] does.
    pub(in crate::funnel) fn fill(
        &mut self,
        events: &[FunnelEvent],
        ranks: &[u32],
        steps: usize,
        threads: usize,
    ) -> Result<bool> {
        let Some(parts @ 1..) = self.prepare(events, ranks, steps)? else {
            // No partitions for no events.
            return Ok(events.is_empty());
        };
        let (n, parts_bits) = (events.len(), self.parts_bits);
        let part_of = |h: u64| Self::part_of(h, parts_bits);
        // On two threads, each scatters half of the events into its own
        // half of every partition's room (one thread below 2^16 events).
        let halves = halves(n, threads);
        let average = n / parts / halves;
        let room = average + average / 4 + 64;
        let total = room * halves * parts;
        // Fresh memory comes zeroed from the system (`vec!` of zeros asks
        // for it so), and pages that no record lands on are never touched;
        // memory kept from an earlier call is written over, not cleared.
        if self.recs.len() < total {
            // (The old memory goes back first, so both are never held.)
            self.recs = Vec::new();
            self.recs = vec![[0u64; 2]; total];
        }
        let keys = &self.keys;
        // Room `i` (of `room` records) belongs to partition i / halves and
        // to half i % halves.
        let mut rooms: [Vec<&mut [[u64; 2]]>; 2] = [Vec::new(), Vec::new()];
        for (i, r) in self.recs[..total].chunks_mut(room).enumerate() {
            rooms[i % halves].push(r);
        }
        let scatter = |events: &[FunnelEvent], rooms: &mut Vec<&mut [[u64; 2]]>| {
            let mut used = vec![0usize; parts];
            let (mut bad, mut overflow) = (0u64, false);
            for e in events {
                let h = mix(e.user);
                let (key, flag) = keys.key(e);
                bad |= flag;
                let p = part_of(h);
                let (r, u) = (&mut rooms[p], &mut used[p]);
                if let Some(slot) = r.get_mut(*u) {
                    *slot = [h, key];
                    *u += 1;
                } else {
                    overflow = true;
                }
            }
            (used, bad, overflow)
        };
        let [rooms0, rooms1] = &mut rooms;
        let (first_half, second_half) = events.split_at(if halves == 2 { n / 2 } else { n });
        let (used0, used1, bad, overflow) = std::thread::scope(|scope| {
            let other = (halves == 2).then(|| {
                let run = || scatter(second_half, rooms1);
                std::thread::Builder::new().spawn_scoped(scope, run)
            });
            let (u0, b0, o0) = scatter(first_half, rooms0);
            // If the system would not start the thread, everything is
            // done again by the exact path below, on this thread.
            let unscattered = (vec![0; parts], 0, true);
            let (u1, b1, o1) = match other {
                None => (vec![0; parts], 0, false),
                Some(Ok(h)) => h.join().unwrap_or(unscattered),
                Some(Err(_)) => unscattered,
            };
            (u0, u1, b0 | b1, o0 | o1)
        });
        if bad != 0 {
            check_channels(events, ranks)?;
            // A time out of the keys' range.
            return Ok(false);
        }
        if overflow {
            // Exact sizes: count, then scatter again.
            let mut counts = vec![0usize; parts + 1];
            for e in events {
                counts[part_of(mix(e.user)) + 1] += 1;
            }
            for i in 0..parts {
                counts[i + 1] += counts[i];
            }
            if self.recs.len() < n {
                self.recs.resize(n, [0u64; 2]);
            }
            let mut ends = counts[..parts].to_vec();
            let recs = &mut self.recs[..n];
            for e in events {
                let h = mix(e.user);
                let p = part_of(h);
                recs[ends[p]] = [h, self.keys.key(e).0];
                ends[p] += 1;
            }
            for p in 0..parts {
                self.at.push(self.ranges.len());
                self.ranges.push([counts[p], ends[p]]);
            }
        } else {
            for p in 0..parts {
                self.at.push(self.ranges.len());
                let a = p * halves * room;
                self.ranges.push([a, a + used0[p]]);
                if halves == 2 {
                    self.ranges.push([a + room, a + room + used1[p]]);
                }
            }
        }
        self.at.push(self.ranges.len());
        Ok(true)
    }

    /// Pass 1 in place: the events themselves are moved into partitions,
    /// with no memory in proportion to them. Each thread reads its half
    /// of the events in order and copies each event into its partition's
    /// block buffer; a full buffer is written back over the half's events
    /// already read (the write position never passes the read position),
    /// and the partition of each block is noted. The partial blocks
    /// follow the full ones. A partition is then the list of its blocks
    /// and partial blocks: nothing is moved twice. Returns `false` where
    /// [`Partitioned::prepare`] does, or if an event's time is out of the
    /// keys' range (the events are then in some other order).
    pub(in crate::funnel) fn fill_in_place(
        &mut self,
        events: &mut [FunnelEvent],
        ranks: &[u32],
        steps: usize,
        threads: usize,
    ) -> Result<bool> {
        let Some(parts @ 1..) = self.prepare(events, ranks, steps)? else {
            // No partitions for no events.
            return Ok(events.is_empty());
        };
        let (n, parts_bits) = (events.len(), self.parts_bits);
        let halves = halves(n, threads);
        let mid = if halves == 2 { n / 2 } else { n };
        let keys = &self.keys;
        let [b0, b1] = &mut self.blocks;
        let (first_half, second_half) = events.split_at_mut(mid);
        let (mut bad, spawned) = std::thread::scope(|scope| {
            let other = (halves == 2).then(|| {
                let run = || into_blocks(second_half, b1, keys, parts_bits);
                std::thread::Builder::new().spawn_scoped(scope, run)
            });
            let bad = into_blocks(first_half, b0, keys, parts_bits);
            match other {
                None => Ok((bad, true)),
                Some(Ok(h)) => h
                    .join()
                    .map(|b| (bad | b, true))
                    .map_err(|_| Error::invalid("funnel", "a worker thread stopped")),
                Some(Err(_)) => Ok((bad, false)),
            }
        })?;
        if !spawned {
            // The system would not start the thread: the second half,
            // untouched, on this one.
            bad |= into_blocks(
                &mut events[mid..],
                &mut self.blocks[1],
                &self.keys,
                parts_bits,
            );
        }
        if bad != 0 {
            check_channels(events, ranks)?;
            return Ok(false);
        }
        // Each partition's ranges: its full blocks, then its partial
        // block, half by half (counted, then placed).
        let used = &self.blocks[..halves];
        self.at.resize(parts + 1, 0);
        for b in used {
            for &p in &b.part_of_block {
                self.at[usize::from(p) + 1] += 1;
            }
            for (count, w) in self.at[1..].iter_mut().zip(b.rest.windows(2)) {
                *count += usize::from(w[0] < w[1]);
            }
        }
        for p in 0..parts {
            self.at[p + 1] += self.at[p];
        }
        self.ranges.resize(self.at[parts], [0, 0]);
        let mut next = self.at[..parts].to_vec();
        for (h, b) in used.iter().enumerate() {
            let base = h * mid;
            for (i, &p) in b.part_of_block.iter().enumerate() {
                let p = usize::from(p);
                let start = base + i * BLOCK;
                self.ranges[next[p]] = [start, start + BLOCK];
                next[p] += 1;
            }
            for (slot, w) in next.iter_mut().zip(b.rest.windows(2)) {
                if w[0] < w[1] {
                    self.ranges[*slot] = [base + w[0], base + w[1]];
                    *slot += 1;
                }
            }
        }
        Ok(true)
    }

    /// Pass 2 over the records of [`Partitioned::fill`].
    pub(in crate::funnel) fn scan(
        &self,
        range: std::ops::Range<usize>,
        buf: &mut PassTwo,
        f: &mut impl FnMut(&[u64]),
    ) {
        self.scan_data(&self.recs, |r| r[0], |r| *r, range, buf, f);
    }

    /// Pass 2 over the events moved by [`Partitioned::fill_in_place`].
    pub(in crate::funnel) fn scan_events(
        &self,
        events: &[FunnelEvent],
        range: std::ops::Range<usize>,
        buf: &mut PassTwo,
        f: &mut impl FnMut(&[u64]),
    ) {
        let keys = &self.keys;
        self.scan_data(events, |e| mix(e.user), |e| keys.record(e), range, buf, f);
    }

    /// Pass 2 over the partitions in `range` of `data` (`hash` and
    /// `record` give an item's hash and `[hash, key]` record). Each
    /// partition, small enough
    /// for the cache, is split by the next hash bits into about one bucket
    /// per two events (see [`bucket_bits`]), so that most users have a
    /// bucket to themselves. A bucket of one user with up to 8 events (the
    /// usual case) is sorted by key with a branch-free network on 64-bit
    /// keys; any other bucket is sorted as `[hash, key]` records and split
    /// into users. `f` gets each user's keys in order (see
    /// [`Partitioned::decode`]). A partition's buckets are counted during
    /// the previous partition's walk, a few records at a time, so that its
    /// memory is read while the CPU works on the other.
    fn scan_data<T>(
        &self,
        data: &[T],
        hash: impl Fn(&T) -> u64 + Copy,
        record: impl Fn(&T) -> [u64; 2],
        range: std::ops::Range<usize>,
        buf: &mut PassTwo,
        f: &mut impl FnMut(&[u64]),
    ) {
        let PassTwo {
            local,
            sub_counts,
            next_counts,
            bounds,
            more,
        } = buf;
        let shift = self.parts_bits;
        let len_of = |ranges: &[[usize; 2]]| ranges.iter().map(|r| r[1] - r[0]).sum::<usize>();
        if let Some(first) = range.clone().next() {
            let part = self.part(first);
            let bits = reset_counts(sub_counts, len_of(part));
            let mut all = Cursor::new(part);
            all.count(sub_counts, data, usize::MAX, |x| {
                bucket_of(hash(x), shift, bits)
            });
        }
        let last = range.end;
        for p in range {
            let part = self.part(p);
            let len = len_of(part);
            // The next partition's buckets are counted a few records at a
            // time during this partition's walk.
            let next: &[[usize; 2]] = if p + 1 < last { self.part(p + 1) } else { &[] };
            let next_len = len_of(next);
            let next_bits = reset_counts(next_counts, next_len);
            let next_bucket = |x: &T| bucket_of(hash(x), shift, next_bits);
            let mut ahead = Cursor::new(next);
            if len == 0 {
                std::mem::swap(sub_counts, next_counts);
                ahead.count(sub_counts, data, usize::MAX, next_bucket);
                continue;
            }
            let sub_bits = bucket_bits(len);
            let subs = 1usize << sub_bits;
            let sub_of = |h: u64| bucket_of(h, shift, sub_bits);
            // Exclusive prefix sums in place, and the bounds of the
            // non-empty buckets gathered without branches: the walk below
            // then reads them in sequence instead of looking each bucket's
            // end up from its first record. (Kept at their largest size:
            // every entry read is written first.)
            if bounds.len() < subs + 1 {
                bounds.resize(subs + 1, 0);
            }
            let (mut at, mut m) = (0usize, 0usize);
            for s in 0..subs {
                let c = sub_counts[s + 1];
                sub_counts[s] = at;
                bounds[m] = at;
                m += usize::from(c != 0);
                at += c;
            }
            bounds[m] = len;
            // Eight records of padding: the fast path reads eight at a time.
            if local.len() < len + 8 {
                local.resize(len + 8, [0; 2]);
            }
            local[len..len + 8].fill([u64::MAX; 2]);
            for r in part {
                for x in &data[r[0]..r[1]] {
                    let rec = record(x);
                    let s = sub_of(rec[0]);
                    local[sub_counts[s]] = rec;
                    sub_counts[s] += 1;
                }
            }
            let per_bucket = next_len.div_ceil(m.max(1));
            for w in bounds[..=m].windows(2) {
                ahead.count(next_counts, data, per_bucket, next_bucket);
                let (i, end) = (w[0], w[1]);
                let h0 = local[i][0];
                let count = end - i;
                let mut keys = [u64::MAX; 8];
                let mut other = 0u64;
                let eight = &local[i..i + 8];
                for ((j, k), r) in keys.iter_mut().enumerate().zip(eight) {
                    let mask = if j < count { u64::MAX } else { 0 };
                    other |= (r[0] ^ h0) & mask;
                    *k = r[1] | !mask;
                }
                if other == 0 && count <= 4 {
                    let mut four = [keys[0], keys[1], keys[2], keys[3]];
                    sort4(&mut four);
                    f(&four[..count]);
                } else if other == 0 && count <= 8 {
                    sort8(&mut keys);
                    f(&keys[..count]);
                } else if count <= 8 {
                    // Users sharing a bucket: the same network on
                    // `[hash, key]` as 128-bit keys.
                    let mut wide = [u128::MAX; 8];
                    for (w, r) in wide.iter_mut().zip(&local[i..end]) {
                        *w = (u128::from(r[0]) << 64) | u128::from(r[1]);
                    }
                    sort8(&mut wide);
                    let mut j = 0;
                    while j < count {
                        let user = (wide[j] >> 64) as u64;
                        let mut len = 0;
                        while j < count && (wide[j] >> 64) as u64 == user {
                            keys[len] = wide[j] as u64;
                            len += 1;
                            j += 1;
                        }
                        f(&keys[..len]);
                    }
                } else {
                    let bucket = &mut local[i..end];
                    bucket.sort_unstable();
                    let mut j = 0;
                    while j < bucket.len() {
                        let user = bucket[j][0];
                        more.clear();
                        while j < bucket.len() && bucket[j][0] == user {
                            more.push(bucket[j][1]);
                            j += 1;
                        }
                        f(more);
                    }
                }
            }
            ahead.count(next_counts, data, usize::MAX, next_bucket);
            std::mem::swap(sub_counts, next_counts);
        }
    }
}
