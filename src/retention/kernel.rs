//! The retention table's kernel: events bucketed by user (a counting
//! sort), each bucket's users counted with accumulators that stay in the
//! cache, the buckets shared out between threads.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use foldhash::fast::RandomState;

use super::{RetentionEvent, RETURN, START};
use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::{Calendar, TimeUnit};

/// Users per bucket (their accumulators, 32 bytes each, fit a core's
/// cache).
const BUCKET_BITS: u32 = 14;

/// One event, as the kernel reads it.
#[derive(Clone, Copy)]
struct Ev {
    ts: i64,
    by: u32,
    /// The user's place in its bucket (below 2^14).
    local: u16,
    kind: u8,
}

/// What one user's events say.
#[derive(Clone, Copy)]
struct User {
    /// The first start's time (`i64::MAX`: none).
    start: i64,
    /// Its breakdown value (a registry id).
    by: u32,
    /// Return periods after the cohort's, as bits (offsets below 64).
    mask: u64,
    /// The latest return period after the cohort's (-1: none).
    last: i64,
    /// The cohort's period (once the start is known).
    cohort: i64,
    /// In a bucket read once: the time of the latest return before any
    /// start (it counts if a start comes at the same time).
    early: i64,
}

const NO_USER: User = User {
    start: i64::MAX,
    by: u32::MAX,
    mask: 0,
    last: -1,
    cohort: 0,
    early: i64::MIN,
};

/// One cohort's counts: its users, and per period offset the users
/// retained `on` it and `on_or_after` it.
pub(super) struct Cells {
    pub(super) users: u64,
    pub(super) on: Vec<u64>,
    pub(super) on_or_after: Vec<u64>,
}

/// What the kernel found: cells by (breakdown id, cohort period), users
/// without a start, the latest time and the events after the as-of.
pub(super) struct Found {
    pub(super) cells: HashMap<(u32, i64), Cells, RandomState>,
    pub(super) without: u64,
    pub(super) latest: Option<i64>,
    pub(super) after: u64,
}

/// The table's rules, for the kernel.
#[derive(Clone, Copy)]
pub(super) struct Rules {
    pub(super) calendar: Calendar,
    pub(super) unit: TimeUnit,
    pub(super) periods: usize,
    pub(super) as_of: Option<i64>,
}

/// Users at or above this id are numbered through a map.
const DIRECT: u64 = 1 << 30;

/// One chunk's events in bucket order: bucket `b` is
/// `events[begins[b]..begins[b + 1]]`.
struct Part {
    events: Vec<Ev>,
    begins: Vec<usize>,
}

impl Part {
    fn bucket(&self, b: usize) -> &[Ev] {
        match (self.begins.get(b), self.begins.get(b + 1)) {
            (Some(&from), Some(&to)) => self.events.get(from..to).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// One chunk's first pass: the latest time, the events after the as-of,
/// the events counted, the largest user id, the bucket sizes (users by
/// their own ids below [`DIRECT`]).
struct Tally {
    latest: Option<i64>,
    after: u64,
    n: usize,
    max_id: u64,
    sizes: Vec<usize>,
}

/// Runs `f` on each item, on a thread each (the first on this one; the
/// item of a thread that cannot start runs here), the results in order.
/// Fewer results than items only if a thread stopped (a panic).
fn on_threads<A: Send, R: Send>(items: Vec<A>, f: impl Fn(A) -> R + Sync) -> Vec<R> {
    let slots: Vec<Mutex<Option<A>>> = items.into_iter().map(|a| Mutex::new(Some(a))).collect();
    let take = |i: usize| {
        slots
            .get(i)
            .and_then(|m| m.lock().ok())
            .and_then(|mut g| g.take())
    };
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..slots.len())
            .map(|i| std::thread::Builder::new().spawn_scoped(s, move || take(i).map(f)))
            .collect();
        let mut out = Vec::with_capacity(slots.len());
        out.extend(take(0).map(f));
        for (i, h) in (1..).zip(handles) {
            match h.ok().and_then(|h| h.join().ok()).flatten() {
                Some(r) => out.push(r),
                // The thread did not start: its item here.
                None => out.extend(take(i).map(f)),
            }
        }
        out
    })
}

/// Counts `events` (each user whole, read through `map`) on up to
/// `threads` threads: a first pass over chunks of the events (one a
/// thread) sizes the buckets, a second writes each event into its bucket
/// (each thread its chunk's places), then the buckets are counted.
pub(super) fn count<T: Sync>(
    events: &[T],
    map: &(impl Fn(&T) -> RetentionEvent + Sync),
    channels: &Channels,
    rules: Rules,
    threads: usize,
) -> Result<Found> {
    let observed = |e: &RetentionEvent| !rules.as_of.is_some_and(|a| e.ts > a);
    let counted = |e: &RetentionEvent| observed(e) && e.kind & (START | RETURN) != 0;
    let threads = threads.max(1);
    let chunks: Vec<&[T]> = events
        .chunks(events.len().div_ceil(threads).max(1))
        .collect();
    let tallies: Vec<Tally> = on_threads(chunks.clone(), |chunk: &[T]| {
        let mut t = Tally {
            latest: None,
            after: 0,
            n: 0,
            max_id: 0,
            sizes: Vec::new(),
        };
        for e in chunk.iter().map(map) {
            if !observed(&e) {
                t.after += 1;
                continue;
            }
            t.latest = Some(t.latest.map_or(e.ts, |l| l.max(e.ts)));
            if counted(&e) {
                t.n += 1;
                t.max_id = t.max_id.max(e.user);
                if e.user < DIRECT {
                    let b = (e.user >> BUCKET_BITS) as usize;
                    if t.sizes.len() <= b {
                        t.sizes.resize(b + 1, 0);
                    }
                    t.sizes[b] += 1;
                }
            }
        }
        t
    });
    if tallies.len() != chunks.len() {
        return Err(Error::invalid("retention", "a counting thread stopped"));
    }
    let n: usize = tallies.iter().map(|t| t.n).sum();
    let max_id = tallies.iter().map(|t| t.max_id).max().unwrap_or(0);
    let latest = tallies.iter().filter_map(|t| t.latest).max();
    let after: u64 = tallies.iter().map(|t| t.after).sum();
    // Users by their own ids when these are small (the readers number
    // users densely), numbered through a map (in order) otherwise.
    let dense = max_id < DIRECT && max_id < (n as u64).saturating_mul(4).saturating_add(1024);
    let mut ids: HashMap<u64, u32, RandomState> = HashMap::default();
    let mut sizes: Vec<Vec<usize>> = tallies.into_iter().map(|t| t.sizes).collect();
    if !dense {
        for (chunk, sz) in chunks.iter().zip(&mut sizes) {
            sz.clear();
            for e in chunk.iter().map(map).filter(counted) {
                let next = ids.len() as u32;
                let b = (*ids.entry(e.user).or_insert(next) >> BUCKET_BITS) as usize;
                if sz.len() <= b {
                    sz.resize(b + 1, 0);
                }
                sz[b] += 1;
            }
        }
    }
    let slot = |user: u64| -> u32 {
        if dense {
            user as u32
        } else {
            ids.get(&user).copied().unwrap_or(0)
        }
    };
    let buckets = sizes.iter().map(Vec::len).max().unwrap_or(0);
    let size = |b: usize, t: usize| sizes[t].get(b).copied().unwrap_or(0);
    // The buckets' places, bucket by bucket, each chunk's part in order.
    let mut starts = vec![0usize; buckets + 1];
    for b in 0..buckets {
        starts[b + 1] = starts[b] + (0..chunks.len()).map(|t| size(b, t)).sum::<usize>();
    }
    let empty = Ev {
        ts: 0,
        by: 0,
        local: 0,
        kind: 0,
    };
    // Each chunk's events in bucket order, written (and their memory
    // touched first) by the chunk's own thread.
    let work: Vec<(usize, &[T])> = chunks.iter().copied().enumerate().collect();
    let parts: Vec<Part> = on_threads(work, |(t, chunk): (usize, &[T])| {
        let mut begins = vec![0usize; buckets + 1];
        for b in 0..buckets {
            begins[b + 1] = begins[b] + size(b, t);
        }
        let mut events = vec![empty; begins[buckets]];
        let mut at = begins.clone();
        for e in chunk.iter().map(map).filter(counted) {
            let s = slot(e.user);
            let b = (s >> BUCKET_BITS) as usize;
            if let Some(place) = at.get(b).and_then(|&i| events.get_mut(i)) {
                *place = Ev {
                    ts: e.ts,
                    by: e.by.0,
                    local: (s & ((1 << BUCKET_BITS) - 1)) as u16,
                    kind: e.kind,
                };
                at[b] += 1;
            }
        }
        Part { events, begins }
    });
    if parts.len() != chunks.len() {
        return Err(Error::invalid("retention", "a counting thread stopped"));
    }
    // Buckets in contiguous runs of about equal events, one per thread.
    let threads = threads.clamp(1, buckets.max(1));
    let mut runs = Vec::with_capacity(threads);
    let mut from = 0;
    for t in 1..=threads {
        let goal = n * t / threads;
        let mut to = from;
        while to < buckets && (starts[to + 1] <= goal || t == threads) {
            to += 1;
        }
        runs.push((from, to));
        from = to;
    }
    let found: Vec<Result<Found>> =
        on_threads(runs.clone(), |run| buckets_of(&parts, run, channels, rules));
    if found.len() != runs.len() {
        return Err(Error::invalid("retention", "a counting thread stopped"));
    }
    let mut total = Found {
        cells: HashMap::default(),
        without: 0,
        latest,
        after,
    };
    for f in found {
        let f = f?;
        total.without = total
            .without
            .checked_add(f.without)
            .ok_or_else(|| Error::overflow("retention counts"))?;
        for (key, c) in f.cells {
            match total.cells.get_mut(&key) {
                None => {
                    total.cells.insert(key, c);
                }
                Some(t) => add_cells(t, &c)?,
            }
        }
    }
    Ok(total)
}

/// Adds `c` into `t`.
pub(super) fn add_cells(t: &mut Cells, c: &Cells) -> Result<()> {
    let add = |a: u64, b: u64| {
        a.checked_add(b)
            .ok_or_else(|| Error::overflow("retention counts"))
    };
    t.users = add(t.users, c.users)?;
    for (x, y) in t.on.iter_mut().zip(&c.on) {
        *x = add(*x, *y)?;
    }
    for (x, y) in t.on_or_after.iter_mut().zip(&c.on_or_after) {
        *x = add(*x, *y)?;
    }
    Ok(())
}

/// The cells of the buckets `run` (a range of bucket numbers).
fn buckets_of(
    parts: &[Part],
    (from, to): (usize, usize),
    channels: &Channels,
    rules: Rules,
) -> Result<Found> {
    let Rules {
        calendar: cal,
        unit,
        periods,
        ..
    } = rules;
    let mut found = Found {
        cells: HashMap::default(),
        without: 0,
        latest: None,
        after: 0,
    };
    let mut users = vec![NO_USER; 1 << BUCKET_BITS];
    let mut seen = vec![false; 1 << BUCKET_BITS];
    let mut touched: Vec<u32> = Vec::new();
    let mut far: HashSet<(u32, i64)> = HashSet::new();
    let name = |id: u32| channels.name(ChannelId(id));
    for b in from..to {
        // The bucket's events, chunk after chunk: in file order.
        let evs = || parts.iter().flat_map(|p| p.bucket(b));
        let local = |e: &Ev| usize::from(e.local);
        // A bucket in time order (an export in time order gives one) is
        // read once: a user's first start comes before the returns that
        // count. A bucket out of order is read again, twice: the starts,
        // then the returns.
        let mut in_order = true;
        let mut previous = i64::MIN;
        for e in evs() {
            if e.ts < previous {
                in_order = false;
                break;
            }
            previous = e.ts;
            let s = local(e);
            if !seen[s] {
                seen[s] = true;
                touched.push(s as u32);
            }
            let u = &mut users[s];
            if e.kind & START != 0 {
                if e.ts < u.start {
                    u.start = e.ts;
                    u.by = e.by;
                    u.cohort = cal.period_of_ticks(e.ts, unit);
                    if u.early == e.ts {
                        // A return just before, in the same instant.
                        u.mask |= 1;
                        u.last = u.last.max(0);
                    }
                } else if e.ts == u.start && name(e.by) < name(u.by) {
                    // Ties: the breakdown value of the smaller name, so
                    // that the result does not depend on order.
                    u.by = e.by;
                }
            }
            if e.kind & RETURN != 0 {
                if u.start == i64::MAX {
                    u.early = e.ts;
                } else {
                    let n = cal.period_of_ticks(e.ts, unit) - u.cohort;
                    if n < 64 {
                        u.mask |= 1 << n;
                    } else if (n as usize) < periods {
                        far.insert((s as u32, n));
                    }
                    u.last = u.last.max(n);
                }
            }
        }
        if !in_order {
            for &s in &touched {
                users[s as usize] = NO_USER;
            }
            far.clear();
            for e in evs() {
                let s = local(e);
                if !seen[s] {
                    seen[s] = true;
                    touched.push(s as u32);
                }
                let u = &mut users[s];
                if e.kind & START == 0 {
                    continue;
                }
                if e.ts < u.start || (e.ts == u.start && name(e.by) < name(u.by)) {
                    u.start = e.ts;
                    u.by = e.by;
                }
            }
            for &s in &touched {
                let u = &mut users[s as usize];
                if u.start != i64::MAX {
                    u.cohort = cal.period_of_ticks(u.start, unit);
                }
            }
            // Each return's period after the cohort's.
            for e in evs().filter(|e| e.kind & RETURN != 0) {
                let s = local(e);
                let u = &mut users[s];
                if u.start == i64::MAX || e.ts < u.start {
                    continue;
                }
                let n = cal.period_of_ticks(e.ts, unit) - u.cohort;
                if n < 64 {
                    u.mask |= 1 << n;
                } else if (n as usize) < periods {
                    far.insert((s as u32, n));
                }
                u.last = u.last.max(n);
            }
        }
        // Each user into its cohort.
        for &s in &touched {
            let u = users[s as usize];
            if u.start == i64::MAX {
                found.without += 1;
                continue;
            }
            let c = found
                .cells
                .entry((u.by, u.cohort))
                .or_insert_with(|| Cells {
                    users: 0,
                    on: vec![0; periods],
                    on_or_after: vec![0; periods],
                });
            // (One thread's counts are bounded by the events it reads, a
            // `usize`: they cannot pass `u64::MAX`; threads' counts add
            // up through `add_cells`, checked.)
            c.users += 1;
            let mut mask = u.mask;
            while mask != 0 {
                let n = mask.trailing_zeros() as usize;
                if n < periods {
                    c.on[n] += 1;
                }
                mask &= mask - 1;
            }
            let reach = usize::try_from(u.last.saturating_add(1))
                .unwrap_or(0)
                .min(periods);
            for x in &mut c.on_or_after[..reach] {
                *x += 1;
            }
        }
        // The far offsets of long tables (64 periods and more).
        for &(s, n) in &far {
            let u = users[s as usize];
            if let Some(c) = found.cells.get_mut(&(u.by, u.cohort)) {
                c.on[n as usize] += 1;
            }
        }
        for &s in &touched {
            users[s as usize] = NO_USER;
            seen[s as usize] = false;
        }
        touched.clear();
        far.clear();
    }
    Ok(found)
}
