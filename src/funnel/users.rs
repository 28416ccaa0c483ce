//! The user keys of a [`FunnelInput`](super::FunnelInput), in two shards
//! by a bit of the key's hash, so that two threads can number the users
//! of one batch at once, a shard each.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;

use crate::error::Result;
#[cfg(feature = "csv")]
use crate::quantity::text::same_bytes;

/// The user keys in two shards (a key's shard is its hash's lowest bit).
/// A user's number is its number in its shard, times two, plus the
/// shard: numbers are unique, not dense.
#[derive(Clone, Debug)]
pub(crate) struct Users<K> {
    shards: [KeyTable<K>; 2],
    pub(crate) hasher: RandomState,
}

/// The shard of a key's hash.
#[inline]
pub(crate) fn shard(hash: u64) -> usize {
    (hash & 1) as usize
}

/// A user's number from its shard and its number there.
#[inline]
pub(crate) fn user_number(shard: usize, n: u32) -> u64 {
    (u64::from(n) << 1) | shard as u64
}

impl<K: Hash + Eq> Users<K> {
    pub(crate) fn new() -> Users<K> {
        Users {
            shards: [KeyTable::new(), KeyTable::new()],
            hasher: RandomState::default(),
        }
    }

    /// Distinct users.
    pub(crate) fn len(&self) -> usize {
        self.shards[0].keys.len() + self.shards[1].keys.len()
    }

    /// The number of `key`, adding it if new.
    pub(crate) fn id<Q>(&mut self, key: &Q) -> Result<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.id_hashed(self.hasher.hash_one(key), key)
    }

    /// [`id`](Self::id) with the key's hash (`hasher.hash_one(key)`)
    /// computed beforehand.
    #[inline]
    pub(crate) fn id_hashed<Q>(&mut self, hash: u64, key: &Q) -> Result<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let s = shard(hash);
        self.shards[s]
            .id_hashed(hash, key)
            .map(|n| user_number(s, n))
    }

    /// The numbers of `keys` (at most 32, hashed beforehand), in order:
    /// the look-ups issued together, their waits on memory overlapped.
    pub(crate) fn ids_hashed<Q>(&mut self, keys: &[(u64, &Q)], out: &mut [u64]) -> Result<()>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut known = [[u32::MAX; 32]; 2];
        let mut mine: [Vec<(u64, &Q)>; 2] = [Vec::with_capacity(32), Vec::with_capacity(32)];
        for &(h, k) in keys {
            mine[shard(h)].push((h, k));
        }
        for s in 0..2 {
            self.shards[s].known_hashed(&mine[s], &mut known[s]);
        }
        let mut next = [0usize; 2];
        for (&(hash, key), o) in keys.iter().zip(out.iter_mut()) {
            let s = shard(hash);
            let n = known[s][next[s]];
            next[s] += 1;
            *o = if n == u32::MAX {
                self.id_hashed(hash, key)?
            } else {
                user_number(s, n)
            };
        }
        Ok(())
    }

    /// Both shards, to number their keys on two threads.
    #[cfg(feature = "csv")]
    pub(crate) fn shards_mut(&mut self) -> (&mut KeyTable<K>, &mut KeyTable<K>) {
        let [a, b] = &mut self.shards;
        (a, b)
    }
}

/// One shard's user keys, numbered in order of first appearance.
///
/// An open-addressing table of 8-byte slots (the top 32 bits of the key's
/// hash, and the key's number plus one) over the keys kept in order of
/// arrival. A look-up costs one random memory access (the slot); the key
/// it is checked against was most often seen recently, so it is still in
/// the cache (an event log in time order has its active users near the
/// end of the list). A `HashMap<String, u64>` costs three: its control
/// bytes, its bucket, the string's heap memory.
#[derive(Clone, Debug)]
pub(crate) struct KeyTable<K> {
    /// 0 for an empty slot, else `tag << 32 | (number + 1)`.
    slots: Vec<u64>,
    keys: Vec<K>,
}

impl<K: Hash + Eq> KeyTable<K> {
    fn new() -> KeyTable<K> {
        KeyTable {
            slots: vec![0; 1024],
            keys: Vec::new(),
        }
    }

    /// The number of the key whose hash is `hash`, adding it if new.
    #[inline]
    fn id_hashed<Q>(&mut self, hash: u64, key: &Q) -> Result<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.id_hashed_by(hash, key, <Q as PartialEq>::eq, |k| Ok(k.to_owned()))
    }

    /// [`id_hashed`](Self::id_hashed) for a key seen as an `R`: compared
    /// with the kept keys by `eq`, made a kept key by `own` when new.
    #[inline]
    fn id_hashed_by<Q, R>(
        &mut self,
        hash: u64,
        key: &R,
        eq: impl Fn(&Q, &R) -> bool,
        own: impl FnOnce(&R) -> Result<K>,
    ) -> Result<u32>
    where
        K: Borrow<Q>,
        Q: ?Sized,
        R: ?Sized,
    {
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                break;
            }
            if (s >> 32) as u32 == tag {
                let n = (s as u32).wrapping_sub(1);
                if self
                    .keys
                    .get(n as usize)
                    .is_some_and(|k| eq(k.borrow(), key))
                {
                    return Ok(n);
                }
            }
            i = (i + 1) & mask;
        }
        // New: numbers stay below u32::MAX (the slot keeps number + 1).
        let n = u32::try_from(self.keys.len())
            .ok()
            .filter(|&n| n < u32::MAX)
            .ok_or_else(|| crate::error::Error::overflow("funnel users"))?;
        self.slots[i] = (u64::from(tag) << 32) | u64::from(n + 1);
        self.keys.push(own(key)?);
        // At most half full.
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        Ok(n)
    }

    /// For each key (at most 32, hashed beforehand), its number if its
    /// first slot holds it (`u32::MAX` otherwise: new, or further along
    /// the probe). The reads are independent of each other, so the
    /// processor overlaps their waits on memory: first the slots, then the
    /// keys they point to.
    fn known_hashed<Q>(&self, keys: &[(u64, &Q)], out: &mut [u32])
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.known_hashed_by(keys, out, <Q as PartialEq>::eq);
    }

    /// [`known_hashed`](Self::known_hashed) for keys seen as `R`s,
    /// compared with the kept keys by `eq`.
    fn known_hashed_by<Q, R>(
        &self,
        keys: &[(u64, &R)],
        out: &mut [u32],
        eq: impl Fn(&Q, &R) -> bool,
    ) where
        K: Borrow<Q>,
        Q: ?Sized,
        R: ?Sized,
    {
        let mask = self.slots.len() - 1;
        let mut slot = [0u64; 32];
        for (&(hash, _), s) in keys.iter().zip(&mut slot) {
            *s = self.slots[(hash >> 32) as usize & mask];
        }
        // The keys the slots point to, all fetched before any is compared.
        let mut found: [Option<&K>; 32] = [None; 32];
        for ((&(hash, _), &s), f) in keys.iter().zip(&slot).zip(&mut found) {
            if s != 0 && (s >> 32) == (hash >> 32) {
                *f = self.keys.get((s as u32).wrapping_sub(1) as usize);
            }
        }
        for (((&(_, key), &s), f), o) in keys.iter().zip(&slot).zip(&found).zip(out.iter_mut()) {
            *o = match f {
                Some(k) if eq((*k).borrow(), key) => (s as u32).wrapping_sub(1),
                _ => u32::MAX,
            };
        }
    }

    /// Doubles the slots; the tags place them again without hashing.
    ///
    /// The new slots are zeroed by writing them, not taken zeroed from
    /// the allocator (`vec![0; n]`): those pages would be mapped to the
    /// shared zero page on their first read (the probe below), then
    /// copied on their first write, each copy a page fault and a TLB
    /// flush of every thread of the process (on the bench's 2-core VM,
    /// a tenth of the named reader's time).
    fn grow(&mut self) {
        let mut slots = Vec::with_capacity(self.slots.len() * 2);
        slots.resize(self.slots.len() * 2, 0u64);
        let mask = slots.len() - 1;
        for &s in self.slots.iter().filter(|&&s| s != 0) {
            let mut i = (s >> 32) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = s;
        }
        self.slots = slots;
    }
}

impl KeyTable<String> {
    /// The numbers of text `keys` given as their bytes (at most 32,
    /// hashed beforehand, each valid UTF-8), added to `out` in order: the
    /// look-ups issued together ([`known_hashed`](Self::known_hashed)),
    /// the new keys added. Keys are compared inline as 8-byte words
    /// (`quantity::text::same_bytes`), not through a call per key, and
    /// made text only when new.
    #[cfg(feature = "csv")]
    pub(crate) fn ids_batch(&mut self, keys: &[(u64, &[u8])], out: &mut Vec<u32>) -> Result<()> {
        let eq = |kept: &str, key: &[u8]| same_bytes(kept.as_bytes(), key);
        let own = |key: &[u8]| {
            String::from_utf8(key.to_vec()).map_err(|_| crate::error::Error::InvalidInput {
                what: "user id".into(),
                reason: "not UTF-8".into(),
            })
        };
        let mut known = [u32::MAX; 32];
        self.known_hashed_by(keys, &mut known, eq);
        for (&(hash, key), &n) in keys.iter().zip(&known) {
            out.push(if n == u32::MAX {
                self.id_hashed_by(hash, key, eq, own)?
            } else {
                n
            });
        }
        Ok(())
    }
}
