//! Reading the tools' CSV layouts into the library's compact types, at
//! memory speed (feature `csv`, off by default).
//!
//! The library still does no I/O of its own: every reader here takes any
//! [`std::io::Read`] the caller opened (a file, a socket, a decompressor)
//! and streams it in chunks, so memory does not grow with the input
//! beyond what the result holds.
//!
//! * [`read_events`]: `user_id,ts,step,channel` (the funnel tool's
//!   layout, columns found by name in any order) into
//!   [`FunnelEvent`]s and their channel registry.
//! * [`RowReader`]: the general streaming CSV reader (quoted fields,
//!   any line ends) with exact line numbers, which the fast path falls
//!   back to.
//!
//! # Correctness
//!
//! Line numbers are those of the file (the header is line 1), for LF,
//! CRLF and CR line ends, blank lines and quoted fields that span lines.
//! A row that cannot be used is rejected with a fixed reason (no value
//! from the file) and its line: the first [`REJECTED_LISTED`] by line are
//! listed, all are counted, in total and by reason. A row longer than
//! [`MAX_ROW_BYTES`] is rejected without being held.
//!
//! # Speed
//!
//! While a chunk of the input holds no quote character and its lines end
//! in LF or CRLF, rows are split on bytes directly: no per-field
//! allocation, numbers parsed from their digits, each channel name
//! validated once. Such a chunk is cut at a line boundary and its halves
//! parsed on two threads when [`ReadOptions::threads`] allows. From the
//! first chunk with a quote or a lone CR on, the rest of the input goes
//! through [`RowReader`] (the `csv-core` parser) on one thread.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use foldhash::fast::RandomState;

use crate::error::{Error, Result};
use crate::funnel::{FunnelEvent, MAX_STEPS};
use crate::journey::{Channel, ChannelId, Channels};

mod digits;
mod general;
mod rows;
mod separators;

use digits::{parse_i64, parse_u64, trim};
use general::{slow, Names};
pub use rows::{RowInfo, RowReader};
use separators::Separators;

/// The longest row kept, in bytes of field data; a longer one is read
/// through (never held) and rejected.
pub const MAX_ROW_BYTES: usize = 1 << 20;
/// The most fields a row may have before it is read through and rejected.
pub const MAX_FIELDS: usize = 4096;

/// How many rejected rows are listed; the others are only counted.
pub const REJECTED_LISTED: usize = 1000;

/// One rejected row.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rejected {
    /// Its first line in the input (the header is line 1).
    pub line: u64,
    /// Why (`Display` gives the fixed text).
    pub reason: RejectReason,
}

/// The rows a reader rejected: the first [`REJECTED_LISTED`] by line, and
/// counts of all of them.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Rejects {
    /// The first rejected rows, by line.
    pub listed: Vec<Rejected>,
    /// All rejected rows.
    pub total: u64,
    /// All rejected rows by reason.
    pub by_reason: BTreeMap<RejectReason, u64>,
}

impl Rejects {
    /// Records a rejected row; rows come in the order of their lines.
    fn push(&mut self, line: u64, reason: RejectReason) {
        self.total += 1;
        *self.by_reason.entry(reason).or_insert(0) += 1;
        if self.listed.len() < REJECTED_LISTED {
            self.listed.push(Rejected { line, reason });
        }
    }
}

/// Options of [`read_events`].
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// The field delimiter; `None` takes `,` unless the header line has
    /// more `;` or tabs.
    pub delimiter: Option<u8>,
    /// The funnel's number of steps: a step at or above it matches no
    /// step (its code becomes 255). `None`: the steps come from the data,
    /// and a step of [`MAX_STEPS`] or more is a rejected row.
    pub steps: Option<usize>,
    /// Threads to parse with: 2 uses both cores where the format allows,
    /// 1 stays on the calling thread.
    pub threads: usize,
    /// Bytes read per chunk (8 MiB by default): the reader holds about
    /// two chunks besides its result.
    pub chunk_bytes: usize,
    /// The input's size in bytes, if known (a file's length): the result
    /// is sized once instead of growing.
    pub size_hint: Option<u64>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            delimiter: None,
            steps: None,
            threads: 2,
            chunk_bytes: CHUNK,
            size_hint: None,
        }
    }
}

/// What [`read_events`] read.
#[derive(Clone, Debug)]
pub struct EventsRead {
    /// The events of the kept rows, in input order.
    pub events: Vec<FunnelEvent>,
    /// The registry of their channels.
    pub channels: Channels,
    /// The largest step index kept (`None` for no event).
    pub max_step: Option<u8>,
    /// Data rows read (blank lines are not rows), rejected ones included.
    pub rows: u64,
    /// The rejected rows.
    pub rejects: Rejects,
}

/// Why [`read_events`] rejected a row; `Display` gives the fixed text
/// the tools print (`rejected[].reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectReason {
    /// A row over [`MAX_ROW_BYTES`].
    TooLong,
    /// Not as many fields as the header.
    Fields,
    /// A wanted field is not UTF-8.
    Utf8,
    /// `user_id` is not a `u64`.
    User,
    /// `ts` is not an `i64`.
    Ts,
    /// `step` is not a `u64`.
    Step,
    /// Without a number of steps, a step of 32 or more.
    StepTooLarge,
    /// `channel` is not a valid [`Channel`] name.
    Channel,
}

impl RejectReason {
    /// The fixed text, as the tools print it.
    pub fn text(self) -> &'static str {
        match self {
            RejectReason::TooLong => "the row is too long",
            RejectReason::Fields => "wrong number of fields",
            RejectReason::Utf8 => "a field is not valid UTF-8",
            RejectReason::User => "user_id is not an unsigned integer",
            RejectReason::Ts => "ts is not an integer number of seconds",
            RejectReason::Step => "step is not a step index",
            RejectReason::StepTooLarge => "step is 32 or more (a funnel has at most 32 steps)",
            RejectReason::Channel => "channel is not a valid channel name",
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

/// The columns of the events layout.
const EVENT_COLUMNS: [&str; 4] = ["user_id", "ts", "step", "channel"];

/// Bytes read per chunk of the fast path.
const CHUNK: usize = 8 << 20;

/// Reads the funnel tool's layout, `user_id,ts,step,channel` (columns by
/// header name, in any order, others ignored), into funnel events.
///
/// `user_id` is an unsigned 64-bit integer, `ts` a signed one (in the unit
/// the spec will use), `step` a 0-based step index, `channel` a channel
/// name; fields are trimmed of whitespace. See the [module docs](self) for
/// the rules on lines and rejected rows.
///
/// # Errors
///
/// [`Error::Io`] when the reader fails; [`Error::InvalidInput`] when the
/// input has no header or the header lacks a column.
///
/// ```
/// use revops::csv::{read_events, ReadOptions, RejectReason};
/// let data = "user_id,ts,step,channel\n1,100,0,ads\n1,160,1,ads\nx,5,0,ads\n\n2,90,0,email\n";
/// let read = read_events(data.as_bytes(), &ReadOptions::default())?;
/// assert_eq!(read.events.len(), 3);
/// assert_eq!(read.rows, 4);
/// assert_eq!(read.rejects.listed[0].line, 4);
/// assert_eq!(read.rejects.listed[0].reason, RejectReason::User);
/// assert_eq!(read.rejects.listed[0].reason.to_string(), "user_id is not an unsigned integer");
/// assert_eq!(read.channels.len(), 2);
/// # Ok::<(), revops::Error>(())
/// ```
pub fn read_events<R: Read>(mut input: R, opts: &ReadOptions) -> Result<EventsRead> {
    // The first line, for the delimiter.
    let mut head = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < head.len() && !head[..got].contains(&b'\n') {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    head.truncate(got);
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&head));
    let mut rr = RowReader::new(std::io::Cursor::new(head).chain(input), delimiter);
    if rr.next_record().map_err(io)?.is_none() {
        return Err(Error::invalid("csv", "the input has no header"));
    }
    let width = rr.len();
    let mut cols = [0usize; 4];
    for (c, name) in cols.iter_mut().zip(EVENT_COLUMNS) {
        *c = (0..width)
            .find(|&i| {
                rr.field(i)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .is_some_and(|h| h.trim() == name)
            })
            .ok_or_else(|| Error::invalid("csv", format!("the header has no {name:?} column")))?;
    }
    let layout = Layout {
        delimiter,
        width,
        cols,
        steps: opts.steps,
    };
    let mut out = EventsRead {
        events: Vec::new(),
        channels: Channels::new(),
        max_step: None,
        rows: 0,
        rejects: Rejects::default(),
    };
    let mut names = Names::default();
    let line = rr.line();
    let (mut src, mut buf) = rr.into_parts();
    // `buf[..filled]` holds the input not parsed yet; the rest is room
    // kept from chunk to chunk (zeroed once, when it grows, not before
    // every read).
    let mut filled = buf.len();
    let mut line = line;
    let mut eof = false;
    let chunk = opts.chunk_bytes.max(1);
    if let Some(bytes) = opts.size_hint {
        // About 28 bytes a row in this layout; a hint is only a hint: a
        // reservation the allocator refuses (a hint past the machine's
        // memory) is let go, and the result grows as it would without.
        let rows = usize::try_from(bytes / 28)
            .unwrap_or(usize::MAX)
            .min(1 << 30);
        let _ = out.events.try_reserve(rows);
    }
    // The parts' event buffers, kept from chunk to chunk (their memory is
    // mapped once).
    let mut spare: Vec<Vec<FunnelEvent>> = Vec::new();
    // The last region's second part, added to the output during the next
    // region's parse (or at the end).
    let mut pending: Option<Part> = None;
    loop {
        // Fill the buffer to a chunk (or the end of the input).
        // (Past a chunk, reading goes on while no line has ended, up to a
        // row too long to keep.)
        while !eof
            && (filled < chunk || (filled <= MAX_ROW_BYTES + 1 && !buf[..filled].contains(&b'\n')))
        {
            let want = chunk.max(filled + 4096);
            if buf.len() < want {
                buf.resize(want, 0);
            }
            let n = loop {
                match src.read(&mut buf[filled..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io(e)),
                }
            };
            filled += n;
            eof = n == 0;
        }
        // The complete lines (everything, at the end of the input).
        let cut = if eof {
            filled
        } else {
            match buf[..filled].iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => filled,
            }
        };
        let region = &buf[..cut];
        let unusual = quote_or_lone_cr(region);
        let too_long_line = !eof && !buf[..filled].contains(&b'\n');
        if unusual || too_long_line {
            // The general reader from here to the end.
            if let Some(mut p) = pending.take() {
                names.absorb(&mut p, &mut out, false)?;
            }
            buf.truncate(filled);
            let rest = std::io::Cursor::new(std::mem::take(&mut buf)).chain(src);
            slow(
                RowReader::at_line(rest, delimiter, line),
                &layout,
                &mut names,
                &mut out,
            )?;
            break;
        }
        // Halves of a quarter chunk or more (at most 1 MiB) go to two threads.
        let split_at = (chunk / 4).min(1 << 20);
        // The previous region's second part goes into the output on this
        // thread while this region's second part is parsed on the other;
        // then this region's first part is parsed straight into the
        // output's vector.
        let earlier = pending.take();
        // Its vector, once emptied (back to `spare` after the parse).
        let mut emptied = None;
        let used = &mut emptied;
        let parts = parse_region(
            region,
            &layout,
            line,
            opts.threads,
            split_at,
            &mut spare,
            || {
                if let Some(mut p) = earlier {
                    names.absorb(&mut p, &mut out, false)?;
                    *used = Some(std::mem::take(&mut p.events));
                }
                Ok(std::mem::take(&mut out.events))
            },
        )?;
        spare.extend(emptied);
        for (i, mut p) in parts.into_iter().enumerate() {
            line += p.lines;
            if i == 0 {
                // Parsed into the output's vector.
                names.absorb(&mut p, &mut out, true)?;
            } else {
                pending = Some(p);
            }
        }
        buf.copy_within(cut..filled, 0);
        filled -= cut;
        if eof && filled == 0 {
            break;
        }
    }
    if let Some(mut p) = pending.take() {
        names.absorb(&mut p, &mut out, false)?;
    }
    Ok(out)
}

fn io(e: std::io::Error) -> Error {
    Error::Io { source: e.into() }
}

/// Whether `b` has a quote, or a CR that is not followed by LF: one pass
/// for both.
fn quote_or_lone_cr(b: &[u8]) -> bool {
    memchr::memchr2_iter(b'"', b'\r', b).any(|at| b[at] == b'"' || b.get(at + 1) != Some(&b'\n'))
}

/// The field delimiter, from the header line: `,` unless the header has
/// more `;` or tabs.
pub fn sniff_delimiter(data: &[u8]) -> u8 {
    let end = data
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(data.len());
    let first = &data[..end];
    let count = |c: u8| first.iter().filter(|&&b| b == c).count();
    [
        (b',', count(b',')),
        (b';', count(b';')),
        (b'\t', count(b'\t')),
    ]
    .into_iter()
    .max_by_key(|&(d, n)| (n, d == b','))
    .map_or(b',', |(d, _)| d)
}

#[derive(Clone, Copy)]
struct Layout {
    delimiter: u8,
    width: usize,
    cols: [usize; 4],
    steps: Option<usize>,
}

/// What one part of a chunk gave: events whose channels are indices into
/// `values` (this part's distinct channel bytes, with their validity),
/// rejects with lines relative to the part's first line (0-based), and the
/// lines it spanned.
struct Part {
    /// The part's events are `events[from..]`: a part parsed into the
    /// output's own vector (`from` its length before) is remapped in
    /// place instead of copied.
    events: Vec<FunnelEvent>,
    from: usize,
    values: Vec<(Vec<u8>, bool)>,
    rejects: Vec<(u64, RejectReason)>,
    rows: u64,
    lines: u64,
    first_line: u64,
    max_step: Option<u8>,
}

impl Part {
    /// Ends a row: its event (the channel numbered by `id_of`, which adds
    /// new names to `values` with [`new_value`]) or its reject.
    #[inline]
    fn take<'a>(
        &mut self,
        line: u64,
        event: std::result::Result<(u64, i64, u8, &'a [u8]), RejectReason>,
        id_of: impl FnOnce(&mut Vec<(Vec<u8>, bool)>, &'a [u8]) -> u32,
    ) {
        match event {
            Ok((user, ts, step, channel)) => {
                let idx = id_of(&mut self.values, channel);
                if !self.values.get(idx as usize).is_some_and(|v| v.1) {
                    self.rejects.push((line, RejectReason::Channel));
                    return;
                }
                self.max_step = self.max_step.max(Some(step));
                self.events
                    .push(FunnelEvent::new(user, ts, step, ChannelId(idx)));
            }
            Err(reason) => self.rejects.push((line, reason)),
        }
    }
}

/// Numbers a channel name not seen before in this part, with whether it
/// is a valid [`Channel`] name (checked once per name and part).
fn new_value(values: &mut Vec<(Vec<u8>, bool)>, channel: &[u8]) -> u32 {
    let ok = std::str::from_utf8(channel)
        .ok()
        .is_some_and(|s| Channel::new(s).is_ok());
    values.push((channel.to_vec(), ok));
    (values.len() - 1) as u32
}

/// Splits `region` (whole lines) in two at a line boundary when it is
/// large and threads allow, and parses the parts: the second on another
/// thread into a spare vector, the first on this one into the vector
/// `first` returns, which runs on this thread once the other has started
/// (the caller adds the previous region's second part to the output
/// there, while this region's second part is parsed).
fn parse_region(
    region: &[u8],
    layout: &Layout,
    line: u64,
    threads: usize,
    split_at: usize,
    spare: &mut Vec<Vec<FunnelEvent>>,
    first: impl FnOnce() -> Result<Vec<FunnelEvent>>,
) -> Result<Vec<Part>> {
    let mut buffer = || {
        let mut v = spare.pop().unwrap_or_default();
        v.clear();
        v
    };
    if threads >= 2 && region.len() >= split_at.max(2) {
        let mid = region.len() / 2;
        if let Some(i) = memchr::memchr(b'\n', &region[mid..]) {
            let (a, b) = region.split_at(mid + i + 1);
            let eb = buffer();
            let (pa, pb) = std::thread::scope(|s| {
                let hb = std::thread::Builder::new()
                    .spawn_scoped(s, move || parse_part(b, layout, 0, eb));
                let pa = first().map(|ea| parse_part(a, layout, line, ea));
                let pb = match hb {
                    Ok(h) => h.join().ok(),
                    Err(_) => None,
                };
                (pa, pb)
            });
            let pa = pa?;
            let mut pb = pb.unwrap_or_else(|| parse_part(b, layout, 0, Vec::new()));
            pb.first_line = line + pa.lines;
            return Ok(vec![pa, pb]);
        }
    }
    Ok(vec![parse_part(region, layout, line, first()?)])
}

/// Parses whole lines (the last one may lack its LF): one SIMD search for
/// delimiters and line ends over the part, fields as ranges of it.
fn parse_part(
    bytes: &[u8],
    layout: &Layout,
    first_line: u64,
    mut events: Vec<FunnelEvent>,
) -> Part {
    events.reserve(bytes.len() / 24);
    let mut p = Part {
        from: events.len(),
        events,
        values: Vec::new(),
        rejects: Vec::new(),
        rows: 0,
        lines: 0,
        first_line,
        max_step: None,
    };
    let mut local: HashMap<&[u8], u32, RandomState> = HashMap::default();
    let mut cache = [u32::MAX; 1 << CACHE_BITS];
    // For each of the first fields, which wanted slot it fills (4: none).
    let mut slot_of = [4u8; 64];
    for (slot, &c) in layout.cols.iter().enumerate() {
        if let Some(x) = slot_of.get_mut(c) {
            *x = slot as u8;
        }
    }
    let wide = layout.cols.iter().any(|&c| c >= slot_of.len());
    let n = bytes.len();
    // One pass over the part says whether any field can hold a non-ASCII
    // byte (the usual answer: none), so rows skip the check.
    let all_ascii = bytes.is_ascii();
    let ends = Separators::new(bytes, layout.delimiter);
    // A last line without its LF ends at the end of the part.
    let last = (n > 0 && bytes[n - 1] != b'\n').then_some(n);
    let (mut line_start, mut field_start, mut k) = (0usize, 0usize, 0usize);
    let mut f: [&[u8]; 4] = [&[]; 4];
    for pos in ends.chain(last) {
        if pos < n && bytes[pos] == layout.delimiter {
            if wide {
                for (slot, &c) in f.iter_mut().zip(&layout.cols) {
                    if c == k {
                        *slot = &bytes[field_start..pos];
                    }
                }
            } else if let Some(&s) = slot_of.get(k) {
                if let Some(x) = f.get_mut(usize::from(s)) {
                    *x = &bytes[field_start..pos];
                }
            }
            k += 1;
            field_start = pos + 1;
            continue;
        }
        // A line end.
        let here = p.lines;
        p.lines += 1;
        let mut end = pos;
        if end > field_start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        let (fields, line_len) = (k + 1, end.saturating_sub(line_start));
        let last_field = &bytes[field_start.min(end)..end];
        (line_start, field_start, k) = (pos + 1, pos + 1, 0);
        let row = std::mem::replace(&mut f, [&b""[..]; 4]);
        if line_len == 0 {
            continue; // a blank line
        }
        p.rows += 1;
        if line_len > MAX_ROW_BYTES && line_len - (fields - 1) > MAX_ROW_BYTES {
            p.rejects.push((here, RejectReason::TooLong));
            continue;
        }
        if fields != layout.width {
            p.rejects.push((here, RejectReason::Fields));
            continue;
        }
        let mut row = row;
        for (slot, &c) in row.iter_mut().zip(&layout.cols) {
            if c == fields - 1 {
                *slot = last_field;
            }
        }
        let event = event_of(row, layout.steps, all_ascii);
        p.take(here, event, |values, channel| {
            // A direct-mapped cache in front of the map: a row's channel
            // is most often found with one comparison.
            let key = cache_key(channel);
            let cached = cache[key];
            if values
                .get(cached as usize)
                .is_some_and(|(v, _)| v.as_slice() == channel)
            {
                return cached;
            }
            let idx = *local
                .entry(channel)
                .or_insert_with(|| new_value(values, channel));
            cache[key] = idx;
            idx
        });
    }
    p
}

/// Bits of the channel cache's index.
const CACHE_BITS: u32 = 10;

/// The channel cache's slot for a name: its length and its first and last
/// bytes, mixed.
#[inline]
fn cache_key(b: &[u8]) -> usize {
    let (first, last) = (
        b.first().copied().unwrap_or(0),
        b.last().copied().unwrap_or(0),
    );
    let x = (b.len() as u32)
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add(u32::from(first) << 8 | u32::from(last))
        .wrapping_mul(0x85EB_CA6B);
    (x >> (32 - CACHE_BITS)) as usize
}

/// The event of one row's wanted fields (`user_id, ts, step, channel`),
/// the channel as its trimmed bytes, or the reason to reject the row:
/// the tools' rules, in their order (UTF-8 first, then each field).
fn event_of(
    f: [&[u8]; 4],
    steps: Option<usize>,
    all_ascii: bool,
) -> std::result::Result<(u64, i64, u8, &[u8]), RejectReason> {
    if !all_ascii && f.iter().any(|x| !x.is_ascii()) {
        // The general rule: UTF-8, Unicode trimming, the standard parsers.
        let mut s = [""; 4];
        for (out, x) in s.iter_mut().zip(f) {
            *out = std::str::from_utf8(x)
                .map_err(|_| RejectReason::Utf8)?
                .trim();
        }
        let user: u64 = s[0].parse().map_err(|_| RejectReason::User)?;
        let ts: i64 = s[1].parse().map_err(|_| RejectReason::Ts)?;
        let step: u64 = s[2].parse().map_err(|_| RejectReason::Step)?;
        let step = step_code(step, steps)?;
        return Ok((user, ts, step, s[3].as_bytes()));
    }
    let user = parse_u64(trim(f[0])).ok_or(RejectReason::User)?;
    let ts = parse_i64(trim(f[1])).ok_or(RejectReason::Ts)?;
    let step = parse_u64(trim(f[2])).ok_or(RejectReason::Step)?;
    let step = step_code(step, steps)?;
    Ok((user, ts, step, trim(f[3])))
}

/// A step index as an event code: with a number of steps, a step at or
/// above it matches no step (255); without, a step of 32 or more is
/// refused.
fn step_code(step: u64, steps: Option<usize>) -> std::result::Result<u8, RejectReason> {
    match steps {
        Some(n) => Ok(if step < n as u64 { step as u8 } else { u8::MAX }),
        None if step < MAX_STEPS as u64 => Ok(step as u8),
        None => Err(RejectReason::StepTooLarge),
    }
}
