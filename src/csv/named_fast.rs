//! The named reader's fast path: chunks of whole lines, each split in two
//! and parsed on two threads (fields, times, event codes, breakdown
//! values, the users' hashes), then added in file order on this thread
//! (the users numbered in order of first appearance, as one pass would).
//! From the first quote or lone CR on, the general reader takes the rest.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::Read;

use foldhash::fast::RandomState;

use super::named_rows::{event_fields, general, Columns, NamedEventsRead, NamedOptions};
use super::separators::Separators;
use super::*;
use crate::funnel::users::{shard, user_number, KeyTable};
use crate::funnel::{FunnelEvent, FunnelSpec};

/// Bytes read per chunk.
pub(super) const CHUNK: usize = 16 << 20;

/// One row of a part, ready to add.
struct Row {
    hash: u64,
    /// The user key's place in the part's half of the region.
    user: (u32, u32),
    ts: i64,
    code: u8,
    /// The part's number of the breakdown value.
    value: u32,
}

/// What one thread parsed of its half of a region (the user keys stay
/// in the region's buffer, kept until they are numbered).
#[derive(Default)]
struct Part {
    rows: Vec<Row>,
    /// The part's breakdown values, by their number in `Row::value`.
    values: Vec<String>,
    /// The rows of each shard of the user table, by their place in
    /// `rows`.
    by_shard: [Vec<u32>; 2],
    /// Rejected rows: the line within the part, and why.
    rejects: Vec<(u64, RejectReason)>,
    /// Data rows read (rejected ones included).
    read: u64,
    /// Lines read.
    lines: u64,
}

/// What every part needs to know.
struct Context<'s> {
    cols: &'s Columns,
    spec: &'s FunnelSpec,
    opts: &'s NamedOptions,
    hasher: RandomState,
    codes: HashMap<&'s str, u8, RandomState>,
}

/// Reads the rows after the header: chunk by chunk while they hold no
/// quote or lone CR, then through [`general`].
pub(super) fn read<R: Read>(
    rr: RowReader<R>,
    cols: &Columns,
    spec: &FunnelSpec,
    opts: &NamedOptions,
    out: &mut NamedEventsRead,
    chunk: usize,
) -> Result<()> {
    let chunk = chunk.max(1);
    let mut codes: HashMap<&str, u8, RandomState> = HashMap::default();
    for (i, n) in spec.step_names().iter().enumerate() {
        codes.insert(n.as_str(), i as u8);
    }
    let cx = Context {
        cols,
        spec,
        opts,
        hasher: out.input.user_hasher(),
        codes,
    };
    let mut line = rr.line();
    let (mut src, first) = rr.into_parts();
    // Three buffers in turn: the region being parsed, the one before it
    // (whose user keys are numbered meanwhile: its rows point into it),
    // and the next one, read meanwhile.
    let mut bufs = [first, Vec::new(), Vec::new()];
    let mut cur = 0;
    let mut filled = bufs[cur].len();
    let mut eof = false;
    fill(&mut src, &mut bufs[cur], &mut filled, &mut eof, chunk)?;
    let mut pending: Option<Pending> = None;
    loop {
        let next = (cur + 1) % 3;
        let cut = whole_lines(&bufs[cur], filled, eof);
        if !eof && !bufs[cur][..filled].contains(&b'\n') {
            // A line longer than a row may be: the general reader's.
            if let Some(p) = pending.take() {
                add_all(&p.view(&bufs), p.line, out)?;
            }
            let mut head = std::mem::take(&mut bufs[cur]);
            head.truncate(filled);
            return by_general(head, Vec::new(), src, line, cols, spec, opts, out);
        }
        let last = eof && cut == filled;
        let earlier = pending.take();
        let (this_buf, earlier_buf, next_buf) = split3(&mut bufs, cur);
        let region = &this_buf[..cut];
        let rest = &this_buf[cut..filled];
        let earlier_view = earlier.as_ref().map(|p| Region {
            parts: &p.parts,
            bytes: &earlier_buf[..p.cut],
            split: p.split,
        });
        let earlier_ref = earlier_view.as_ref();
        // This thread takes a little less than half: it also reads the
        // next chunk.
        let mid = region.len() / 32 * 15;
        let split = memchr::memchr(b'\n', &region[mid..]).map_or(region.len(), |i| mid + i + 1);
        let (a, b) = region.split_at(split);
        let ((ta, tb), _) = out.input.shards_and_events();
        let cx_ref = &cx;
        let (mut next_filled, mut next_eof) = (0, eof);
        // This region's halves are parsed on two threads, each of which
        // then numbers the previous region's users of its shard; this one
        // then reads the rest of this chunk and more of the input into
        // the next buffer.
        let (first, second, read) = std::thread::scope(|s| {
            let tbr = &mut *tb;
            let hb = std::thread::Builder::new()
                .spawn_scoped(s, move || parse_and_number(b, 1, tbr, earlier_ref, cx_ref));
            let first = parse_and_number(a, 0, ta, earlier_ref, cx_ref);
            let read = if last {
                Ok(())
            } else {
                if next_buf.len() < rest.len() {
                    next_buf.resize(rest.len(), 0);
                }
                next_buf[..rest.len()].copy_from_slice(rest);
                next_filled = rest.len();
                fill(&mut src, next_buf, &mut next_filled, &mut next_eof, chunk)
            };
            let second = match hb {
                Ok(h) => h.join().ok(),
                Err(_) => None,
            };
            (first, second, read)
        });
        // The thread could not start (or stopped): here.
        let second = second.unwrap_or_else(|| parse_and_number(b, 1, tb, earlier_ref, cx_ref));
        read?;
        let ((pa, na), (pb, nb)) = (first, second);
        if let Some(p) = &earlier {
            add(&p.parts, p.line, na, nb, out)?;
        }
        let (Some(pa), Some(pb)) = (pa, pb) else {
            // A quote or a lone CR: the general reader from this region
            // on (its bytes, then the next buffer's, then the input's).
            let mut head = std::mem::take(&mut bufs[cur]);
            head.truncate(cut);
            let mut tail = std::mem::take(&mut bufs[next]);
            tail.truncate(if last { 0 } else { next_filled });
            return by_general(head, tail, src, line, cols, spec, opts, out);
        };
        let region_line = line;
        line += pa.lines + pb.lines;
        let this = Pending {
            parts: [pa, pb],
            buf: cur,
            split,
            cut,
            line: region_line,
        };
        if last {
            return add_all(&this.view(&bufs), this.line, out);
        }
        pending = Some(this);
        (filled, eof, cur) = (next_filled, next_eof, next);
    }
}

/// The rest of the input by the general reader: `head`, then `tail`,
/// then what `src` has not given yet, from line `line` on.
#[allow(clippy::too_many_arguments)]
fn by_general<R: Read>(
    head: Vec<u8>,
    tail: Vec<u8>,
    src: R,
    line: u64,
    cols: &Columns,
    spec: &FunnelSpec,
    opts: &NamedOptions,
    out: &mut NamedEventsRead,
) -> Result<()> {
    let rest = std::io::Cursor::new(head)
        .chain(std::io::Cursor::new(tail))
        .chain(src);
    general(
        RowReader::at_line(rest, cols.delimiter, line),
        cols,
        spec,
        opts,
        out,
    )
}

/// The buffer of the region at `cur`, the one before it, and the next
/// one (the buffers are used in turn).
fn split3(bufs: &mut [Vec<u8>; 3], cur: usize) -> (&Vec<u8>, &Vec<u8>, &mut Vec<u8>) {
    let [x, y, z] = bufs;
    match cur {
        0 => (x, z, y),
        1 => (y, x, z),
        _ => (z, y, x),
    }
}

/// A parsed region whose users are not numbered yet: its parts, where it
/// lies (`bufs[buf][..cut]`, split in halves at `split`) and its first
/// line.
struct Pending {
    parts: [Part; 2],
    buf: usize,
    split: usize,
    cut: usize,
    line: u64,
}

/// A parsed region with its bytes.
struct Region<'a> {
    parts: &'a [Part; 2],
    bytes: &'a [u8],
    split: usize,
}

impl Region<'_> {
    /// The two halves, as the parts were parsed.
    fn halves(&self) -> [&[u8]; 2] {
        let (a, b) = self.bytes.split_at(self.split);
        [a, b]
    }
}

impl Pending {
    fn view<'a>(&'a self, bufs: &'a [Vec<u8>; 3]) -> Region<'a> {
        Region {
            parts: &self.parts,
            bytes: &bufs[self.buf][..self.cut],
            split: self.split,
        }
    }
}

/// Parses `half` (`None` if it holds a quote or a lone CR, which the
/// general reader takes), then numbers the previous region's users of
/// shard `me`.
fn parse_and_number(
    half: &[u8],
    me: usize,
    table: &mut KeyTable<String>,
    earlier: Option<&Region>,
    cx: &Context,
) -> (Option<Part>, Option<Result<Vec<u32>>>) {
    let p = (!quote_or_lone_cr(half)).then(|| parse_part(half, cx));
    (p, earlier.map(|r| numbers(r, me, table)))
}

/// The numbers of a region's users of shard `me`, in file order.
fn numbers(region: &Region, me: usize, table: &mut KeyTable<String>) -> Result<Vec<u32>> {
    let parts = &region.parts;
    let mut out = Vec::with_capacity(parts[0].by_shard[me].len() + parts[1].by_shard[me].len());
    let mut batch: Vec<(u64, &[u8])> = Vec::with_capacity(32);
    for (p, half) in parts.iter().zip(region.halves()) {
        for &i in &p.by_shard[me] {
            let r = &p.rows[i as usize];
            batch.push((r.hash, user(half, r)));
            if batch.len() == 32 {
                table.ids_batch(&batch, &mut out)?;
                batch.clear();
            }
        }
    }
    table.ids_batch(&batch, &mut out)?;
    Ok(out)
}

/// Adds both parts of a region (users numbered on this thread).
fn add_all(region: &Region, first_line: u64, out: &mut NamedEventsRead) -> Result<()> {
    let (ta, tb) = out.input.shards_and_events().0;
    let (na, nb) = std::thread::scope(|s| {
        let tbr = &mut *tb;
        let hb = std::thread::Builder::new().spawn_scoped(s, move || numbers(region, 1, tbr));
        let na = numbers(region, 0, ta);
        (na, hb.ok().and_then(|h| h.join().ok()))
    });
    // The thread could not start (or stopped): here.
    let nb = nb.unwrap_or_else(|| numbers(region, 1, tb));
    add(region.parts, first_line, Some(na), Some(nb), out)
}

/// Adds a region's events, its users numbered by shard (`na`, `nb`), and
/// its rejects to `out`, in file order.
fn add(
    parts: &[Part; 2],
    first_line: u64,
    na: Option<Result<Vec<u32>>>,
    nb: Option<Result<Vec<u32>>>,
    out: &mut NamedEventsRead,
) -> Result<()> {
    let numbers = [
        na.unwrap_or_else(|| Ok(Vec::new()))?,
        nb.unwrap_or_else(|| Ok(Vec::new()))?,
    ];
    let mut next = [numbers[0].iter(), numbers[1].iter()];
    let mut line = first_line;
    for p in parts {
        let mut ids = Vec::with_capacity(p.values.len());
        for v in &p.values {
            // Valid: rows with an invalid value were rejected by the part.
            ids.push(
                out.input
                    .registry_mut()
                    .intern_str(v)
                    .unwrap_or(ChannelId(u32::MAX)),
            );
        }
        let events = out.input.shards_and_events().1;
        events.reserve(p.rows.len());
        for r in &p.rows {
            let s = shard(r.hash);
            // Each shard numbered its own rows, one number each.
            let n = next[s].next().copied().unwrap_or(u32::MAX);
            events.push(FunnelEvent::new(
                user_number(s, n),
                r.ts,
                r.code,
                ids[r.value as usize],
            ));
        }
        out.rows += p.read;
        for &(l, reason) in &p.rejects {
            out.rejects.push(line + l, reason);
        }
        line += p.lines;
    }
    Ok(())
}

/// A row's user key, in its part's half of the region: its bytes
/// (checked to be UTF-8 when the row was parsed).
fn user<'b>(half: &'b [u8], r: &Row) -> &'b [u8] {
    let (from, len) = (r.user.0 as usize, r.user.1 as usize);
    half.get(from..from + len).unwrap_or_default()
}

/// Parses whole lines (the last one may lack its LF).
fn parse_part(bytes: &[u8], cx: &Context) -> Part {
    let cols = cx.cols;
    let mut p = Part {
        rows: Vec::with_capacity(bytes.len() / 64),
        ..Part::default()
    };
    // Valid UTF-8 as a whole (the usual case): fields are slices of it
    // (delimiters and line ends are ASCII, so every field starts and ends
    // on a character boundary); otherwise each field is checked alone.
    let whole = std::str::from_utf8(bytes).ok();
    let ascii = whole.is_some() && bytes.is_ascii();
    // A field, trimmed, and where it starts in `bytes`.
    let text = |(from, to): (usize, usize)| -> Option<(&str, usize)> {
        if ascii {
            // What `str::trim` does, on ASCII text.
            let (from, to) = super::digits::trim_range(bytes, from, to);
            return whole.and_then(|w| w.get(from..to)).map(|t| (t, from));
        }
        let field = match whole {
            Some(w) => w.get(from..to),
            None => std::str::from_utf8(&bytes[from..to]).ok(),
        }?;
        let start = field.trim_start();
        Some((start.trim_end(), from + (field.len() - start.len())))
    };
    // The part's breakdown values: their number, or `None` for a name
    // that is not a valid channel name.
    let mut local: HashMap<String, Option<u32>, RandomState> = HashMap::default();
    let mut last_value: Option<(&str, u32)> = None;
    // The wanted fields' slots: 0 user, 1 ts, 2 event, 3 breakdown.
    let wanted = [Some(cols.user), Some(cols.ts), Some(cols.event), cols.by];
    let n = bytes.len();
    let ends = Separators::new(bytes, cols.delimiter);
    let last = (n > 0 && bytes[n - 1] != b'\n').then_some(n);
    let (mut line_start, mut field_start, mut k) = (0usize, 0usize, 0usize);
    let mut f = [(0usize, 0usize); 4];
    for pos in ends.chain(last) {
        let at_delimiter = pos < n && bytes[pos] == cols.delimiter;
        let mut end = pos;
        if !at_delimiter && end > field_start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        for (slot, c) in f.iter_mut().zip(wanted) {
            if c == Some(k) {
                *slot = (field_start.min(end), end);
            }
        }
        if at_delimiter {
            k += 1;
            field_start = pos + 1;
            continue;
        }
        // A line end.
        let here = p.lines;
        p.lines += 1;
        let (fields, line_len) = (k + 1, end.saturating_sub(line_start));
        (line_start, field_start, k) = (pos + 1, pos + 1, 0);
        let row = std::mem::take(&mut f);
        if line_len == 0 {
            continue; // a blank line
        }
        p.read += 1;
        if line_len > MAX_ROW_BYTES && line_len - (fields - 1) > MAX_ROW_BYTES {
            p.rejects.push((here, RejectReason::TooLong));
            continue;
        }
        if fields != cols.width {
            p.rejects.push((here, RejectReason::Fields));
            continue;
        }
        let (Some((user, user_at)), Some((ts, _)), Some((event, _))) =
            (text(row[0]), text(row[1]), text(row[2]))
        else {
            p.rejects.push((here, RejectReason::Utf8));
            continue;
        };
        if user.is_empty() {
            p.rejects.push((here, RejectReason::UserEmpty));
            continue;
        }
        if event.is_empty() {
            p.rejects.push((here, RejectReason::EventEmpty));
            continue;
        }
        let by = match cols.by {
            Some(_) => match text(row[3]) {
                Some((b, _)) => b,
                None => {
                    p.rejects.push((here, RejectReason::Utf8));
                    continue;
                }
            },
            None => NamedOptions::NO_BREAKDOWN,
        };
        let codes = |e: &str| cx.codes.get(e).copied().or_else(|| cx.spec.code_of(e));
        let (ts, code) = match event_fields(cx.spec, cx.opts, codes, ts, event) {
            Ok(x) => x,
            Err(reason) => {
                p.rejects.push((here, reason));
                continue;
            }
        };
        // The breakdown value: most rows repeat the last one.
        let value = match last_value {
            Some((name, v)) if name == by => Some(v),
            _ => {
                let v = match local.get(by) {
                    Some(&v) => v,
                    None => {
                        let v = Channel::new(by).ok().map(|_| {
                            p.values.push(by.to_string());
                            (p.values.len() - 1) as u32
                        });
                        local.insert(by.to_string(), v);
                        v
                    }
                };
                if let Some(v) = v {
                    last_value = Some((by, v));
                }
                v
            }
        };
        let Some(value) = value else {
            p.rejects.push((here, RejectReason::Channel));
            continue;
        };
        // A region is a chunk (16 MiB) or a row (1 MiB) at most: its
        // offsets fit a u32.
        let hash = cx.hasher.hash_one(user);
        p.by_shard[shard(hash)].push(p.rows.len() as u32);
        p.rows.push(Row {
            hash,
            user: (user_at as u32, user.len() as u32),
            ts,
            code,
            value,
        });
    }
    p
}

#[cfg(test)]
#[path = "named_fast_tests.rs"]
mod tests;
