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
//! * [`read_named_events`]: analysts' exports,
//!   `user_id,ts,event[,channel][,property...]` (ids of any text, times
//!   as dates or Unix ticks, events by name), into a
//!   [`FunnelInput`](crate::funnel::FunnelInput).
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
mod events;
mod general;
mod named;
mod named_fast;
mod named_rows;
mod part;
mod rows;
mod separators;

pub use events::read_events;
pub use named::read_named_events;
pub use named_rows::{NamedEventsRead, NamedOptions};
pub use rows::{RowInfo, RowReader};

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
    /// `user_id` is empty ([`read_named_events`]).
    UserEmpty,
    /// `ts` is in none of the forms [`parse_instant`](crate::quantity::parse_instant)
    /// reads, or out of range ([`read_named_events`]).
    Instant,
    /// `ts` is finer than the funnel's time unit ([`read_named_events`]).
    InstantTooFine,
    /// The event's name is empty ([`read_named_events`]).
    EventEmpty,
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
            RejectReason::UserEmpty => "user_id is empty",
            RejectReason::Instant => {
                "ts is not a time (Unix time, or a date and time such as 2026-03-01T10:00:00Z)"
            }
            RejectReason::InstantTooFine => "ts is finer than the funnel's time unit",
            RejectReason::EventEmpty => "the event's name is empty",
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

/// Bytes read per chunk of the fast path.
const CHUNK: usize = 8 << 20;

pub(super) fn io(e: std::io::Error) -> Error {
    Error::Io { source: e.into() }
}

/// An input whose first line was read ahead, then the rest.
pub(super) type Headed<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

/// A reader positioned after the header row, and the delimiter: the
/// first line is read (up to 64 KiB, across as many reads as it takes,
/// interrupted reads resumed) to find the delimiter when `delimiter` does
/// not give it, then read again as the header record.
///
/// # Errors
///
/// [`Error::Io`] when the reader fails; [`Error::InvalidInput`] when the
/// input has no header.
pub(super) fn header<R: Read>(
    mut input: R,
    delimiter: Option<u8>,
) -> Result<(RowReader<Headed<R>>, u8)> {
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
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&head));
    let mut rr = RowReader::new(std::io::Cursor::new(head).chain(input), delimiter);
    if rr.next_record().map_err(io)?.is_none() {
        return Err(Error::invalid("csv", "the input has no header"));
    }
    Ok((rr, delimiter))
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

/// Reads into `buf[*filled..]` until it holds a chunk (or the end of the
/// input); past a chunk, reading goes on while no line has ended, up to a
/// row too long to keep.
pub(super) fn fill<R: Read>(
    src: &mut R,
    buf: &mut Vec<u8>,
    filled: &mut usize,
    eof: &mut bool,
    chunk: usize,
) -> Result<()> {
    while !*eof
        && (*filled < chunk || (*filled <= MAX_ROW_BYTES + 1 && !buf[..*filled].contains(&b'\n')))
    {
        let want = chunk.max(*filled + 4096);
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let n = loop {
            match src.read(&mut buf[*filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        };
        *filled += n;
        *eof = n == 0;
    }
    Ok(())
}

/// The bytes of `buf[..filled]` up to its last line end (all of them at
/// the end of the input, `eof`).
pub(super) fn whole_lines(buf: &[u8], filled: usize, eof: bool) -> usize {
    if eof {
        return filled;
    }
    match buf[..filled].iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => filled,
    }
}

/// Whether `b` has a quote, or a CR that is not followed by LF: one pass
/// for both.
pub(super) fn quote_or_lone_cr(b: &[u8]) -> bool {
    memchr::memchr2_iter(b'"', b'\r', b).any(|at| b[at] == b'"' || b.get(at + 1) != Some(&b'\n'))
}
