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
        self.shards[0].len() + self.shards[1].len()
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
/// An open-addressing table of 16-byte slots (the top 32 bits of the
/// key's hash and the key's number plus one; where the key's bytes are)
/// over the keys. A look-up costs one random memory access for the slot,
/// and one for the key it is checked against. A `HashMap<String, u64>`
/// costs three: its control bytes, its bucket, the string's heap memory.
///
/// Keys come in two ways. The generic ones (`id_hashed`: any `K`) are
/// kept in `keys`, each slot pointing to its number there. The CSV
/// reader's text keys (`ids_batch`: bytes) are kept in `text`, one byte
/// arena, each slot holding the key's place and length there, so that
/// checking a key reads its bytes straight from the slot (a `String`
/// would add a read of its header before its bytes). Text keys become
/// `K`s (`settle`) only when a generic look-up follows them: the numbers
/// stay those of first appearance either way.
#[derive(Clone, Debug)]
pub(crate) struct KeyTable<K> {
    slots: Vec<Slot>,
    /// The keys numbered `0..keys.len()`.
    keys: Vec<K>,
    /// Text keys as `[length: u32 LE][bytes]`, in the order of their
    /// numbers; those from `settled` on are numbered `keys.len()` and up.
    text: Vec<u8>,
    /// Where in `text` the first text key not yet in `keys` starts.
    settled: usize,
    /// Text keys not yet in `keys`.
    pending: usize,
    /// How a text key becomes a `K` (set by the first text key).
    to_key: Option<fn(&[u8]) -> K>,
}

/// A slot: `id` is 0 when empty, else `tag << 32 | (number + 1)`; `text`
/// is where the key's bytes are in the arena (`at << 24 | length`), or
/// [`NO_TEXT`] for a key kept only in `keys`.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    id: u64,
    /// Read only by the CSV reader's text look-ups.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    text: u64,
}

/// The `text` of a slot whose key is not in the arena.
const NO_TEXT: u64 = u64::MAX;

/// Longest text key the arena's slots can describe (16 MiB; a CSV row
/// is at most 1 MiB).
#[cfg(feature = "csv")]
const MAX_TEXT_KEY: usize = (1 << 24) - 1;

impl Slot {
    fn tag(self) -> u32 {
        (self.id >> 32) as u32
    }

    fn number(self) -> u32 {
        (self.id as u32).wrapping_sub(1)
    }
}

impl<K: Hash + Eq> KeyTable<K> {
    fn new() -> KeyTable<K> {
        KeyTable {
            slots: vec![Slot::default(); 1024],
            keys: Vec::new(),
            text: Vec::new(),
            settled: 0,
            pending: 0,
            to_key: None,
        }
    }

    /// Keys numbered.
    fn len(&self) -> usize {
        self.keys.len() + self.pending
    }

    /// Makes every text key a `K` in `keys`, so that generic look-ups
    /// can compare with them.
    fn settle(&mut self) {
        let Some(to_key) = self.to_key else {
            return;
        };
        while self.pending > 0 {
            let at = self.settled;
            let mut len = [0u8; 4];
            len.copy_from_slice(&self.text[at..at + 4]);
            let end = at + 4 + u32::from_le_bytes(len) as usize;
            self.keys.push(to_key(&self.text[at + 4..end]));
            self.settled = end;
            self.pending -= 1;
        }
    }

    /// The number of the key whose hash is `hash`, adding it if new.
    #[inline]
    fn id_hashed<Q>(&mut self, hash: u64, key: &Q) -> Result<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.settle();
        let tag = (hash >> 32) as u32;
        let keys = &self.keys;
        let i = match self.probe(tag, |s| {
            keys.get(s.number() as usize)
                .is_some_and(|k| k.borrow() == key)
        }) {
            Ok(n) => return Ok(n),
            Err(empty) => empty,
        };
        let n = self.next_number()?;
        self.keys.push(key.to_owned());
        self.fill(i, tag, n, NO_TEXT);
        Ok(n)
    }

    /// Probes from the slot of `tag` on: `Ok` with the number of the
    /// first slot of that tag whose key `is_key` accepts, or `Err` with
    /// the first empty slot (where the key goes if new).
    #[inline]
    fn probe(&self, tag: u32, is_key: impl Fn(Slot) -> bool) -> std::result::Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            let s = self.slots[i];
            if s.id == 0 {
                return Err(i);
            }
            if s.tag() == tag && is_key(s) {
                return Ok(s.number());
            }
            i = (i + 1) & mask;
        }
    }

    /// The number a new key gets: numbers stay below `u32::MAX` (a slot
    /// keeps number + 1).
    fn next_number(&self) -> Result<u32> {
        u32::try_from(self.len())
            .ok()
            .filter(|&n| n < u32::MAX)
            .ok_or_else(|| crate::error::Error::overflow("funnel users"))
    }

    /// Fills the empty slot `i` with a new key's number, and grows the
    /// table past half full.
    fn fill(&mut self, i: usize, tag: u32, n: u32, text: u64) {
        self.slots[i] = Slot {
            id: (u64::from(tag) << 32) | u64::from(n + 1),
            text,
        };
        if self.len() * 2 > self.slots.len() {
            self.grow();
        }
    }

    /// For each key (at most 32, hashed beforehand), its number if its
    /// first slot holds it (`u32::MAX` otherwise: new, or further along
    /// the probe). The reads are independent of each other, so the
    /// processor overlaps their waits on memory: first the slots, then the
    /// keys they point to.
    fn known_hashed<Q>(&mut self, keys: &[(u64, &Q)], out: &mut [u32])
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.settle();
        let slot = self.first_slots(keys.iter().map(|k| k.0));
        let mut found: [Option<&K>; 32] = [None; 32];
        for ((&(hash, _), &s), f) in keys.iter().zip(&slot).zip(&mut found) {
            if s.id != 0 && s.tag() == (hash >> 32) as u32 {
                *f = self.keys.get(s.number() as usize);
            }
        }
        for (((&(_, key), &s), f), o) in keys.iter().zip(&slot).zip(&found).zip(out.iter_mut()) {
            *o = match f {
                Some(k) if (*k).borrow() == key => s.number(),
                _ => u32::MAX,
            };
        }
    }

    /// The first slot of each of (at most 32) hashes.
    fn first_slots(&self, hashes: impl Iterator<Item = u64>) -> [Slot; 32] {
        let mask = self.slots.len() - 1;
        let mut slot = [Slot::default(); 32];
        for (hash, s) in hashes.zip(&mut slot) {
            *s = self.slots[(hash >> 32) as usize & mask];
        }
        slot
    }

    /// Doubles the slots; the tags place them again without hashing.
    ///
    /// The new slots are zeroed by writing them, not taken zeroed from
    /// the allocator (`vec![0; n]`): those pages would be mapped to the
    /// shared zero page on their first read (the probe below), then
    /// copied on their first write, each copy a page fault and a TLB
    /// flush of every thread of the process.
    fn grow(&mut self) {
        let mut slots = Vec::with_capacity(self.slots.len() * 2);
        slots.resize(self.slots.len() * 2, Slot::default());
        let mask = slots.len() - 1;
        for &s in self.slots.iter().filter(|s| s.id != 0) {
            let mut i = s.tag() as usize & mask;
            while slots[i].id != 0 {
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
    /// first slots of all read together, then the keys they point to
    /// (their waits on memory overlapped), then the rest probed one by
    /// one and the new keys added to the arena. Keys are compared inline
    /// as 8-byte words (`quantity::text::same_bytes`).
    #[cfg(feature = "csv")]
    pub(crate) fn ids_batch(&mut self, keys: &[(u64, &[u8])], out: &mut Vec<u32>) -> Result<()> {
        self.to_key = Some(|b| String::from_utf8_lossy(b).into_owned());
        let slot = self.first_slots(keys.iter().map(|k| k.0));
        let mut found: [&[u8]; 32] = [&[]; 32];
        for ((&(hash, key), &s), f) in keys.iter().zip(&slot).zip(&mut found) {
            let len_may_match = s.text == NO_TEXT || s.text & 0xff_ffff == key.len() as u64;
            if s.id != 0 && s.tag() == (hash >> 32) as u32 && len_may_match {
                *f = self.kept(s);
            }
        }
        let mut hit = [u32::MAX; 32];
        for ((((_, key), s), f), h) in keys.iter().zip(&slot).zip(&found).zip(&mut hit) {
            // (An empty key, never found here, is looked up by `text_id`.)
            if !f.is_empty() && same_bytes(f, key) {
                *h = s.number();
            }
        }
        for (&(hash, key), &h) in keys.iter().zip(&hit) {
            out.push(if h == u32::MAX {
                self.text_id(hash, key)?
            } else {
                h
            });
        }
        Ok(())
    }

    /// A slot's key as bytes, from the arena or from `keys`.
    #[cfg(feature = "csv")]
    fn kept(&self, s: Slot) -> &[u8] {
        if s.text == NO_TEXT {
            return self
                .keys
                .get(s.number() as usize)
                .map_or(&[], |k| k.as_bytes());
        }
        let (at, len) = ((s.text >> 24) as usize, (s.text & 0xff_ffff) as usize);
        self.text.get(at + 4..at + 4 + len).unwrap_or_default()
    }

    /// The number of the text key whose hash is `hash`, adding it to the
    /// arena if new.
    #[cfg(feature = "csv")]
    fn text_id(&mut self, hash: u64, key: &[u8]) -> Result<u32> {
        let tag = (hash >> 32) as u32;
        let i = match self.probe(tag, |s| same_bytes(self.kept(s), key)) {
            Ok(n) => return Ok(n),
            Err(empty) => empty,
        };
        let n = self.next_number()?;
        let at = self.text.len();
        if key.len() > MAX_TEXT_KEY || at >= 1 << 40 {
            return Err(crate::error::Error::overflow("funnel user ids"));
        }
        self.text
            .extend_from_slice(&(key.len() as u32).to_le_bytes());
        self.text.extend_from_slice(key);
        self.pending += 1;
        self.fill(i, tag, n, (at as u64) << 24 | key.len() as u64);
        Ok(n)
    }
}

#[cfg(all(test, feature = "csv"))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Text batches and generic look-ups in any interleaving number the
    /// keys in order of first appearance, as a `HashMap` would, whatever
    /// the hashes (with few hashes shared by many keys: long probes, tags
    /// that match keys of other lengths and contents).
    fn check(ops: Vec<(bool, Vec<String>)>, hashes: u64) {
        let mut table: KeyTable<String> = KeyTable::new();
        let mut want: HashMap<String, u32> = HashMap::new();
        // `hashes` hashes in all, each the same for a key wherever it comes.
        let hash = |k: &str| {
            let h = k
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            (h % hashes).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        };
        for (batch, keys) in ops {
            let expected: Vec<u32> = keys
                .iter()
                .map(|k| {
                    let n = want.len() as u32;
                    *want.entry(k.clone()).or_insert(n)
                })
                .collect();
            let got: Vec<u32> = if batch {
                let mut out = Vec::new();
                for chunk in keys.chunks(32) {
                    let b: Vec<(u64, &[u8])> =
                        chunk.iter().map(|k| (hash(k), k.as_bytes())).collect();
                    table.ids_batch(&b, &mut out).unwrap();
                }
                out
            } else {
                keys.iter()
                    .map(|k| table.id_hashed(hash(k), k.as_str()).unwrap())
                    .collect()
            };
            assert_eq!(got, expected);
            assert_eq!(table.len(), want.len());
        }
        // Settled, every key is where its number says.
        table.settle();
        for (k, &n) in &want {
            assert_eq!(&table.keys[n as usize], k);
        }
    }

    proptest! {
        #[test]
        fn numbers_in_order_of_first_appearance(
            ops in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec("[ab]{0,3}|[a-z0-9-]{30,40}", 0..80)),
                1..12,
            )
        ) {
            check(ops, 5);
        }
    }

    #[test]
    fn growing_past_thousands_of_keys() {
        // Both ways in turn, across several doublings of the slots.
        let keys: Vec<String> = (0..5000u32).map(|i| format!("user-{}", i % 3000)).collect();
        let ops = keys
            .chunks(700)
            .enumerate()
            .map(|(i, c)| (i % 2 == 0, c.to_vec()))
            .collect();
        check(ops, 1000);
    }
}
