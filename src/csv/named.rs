//! Analysts' event exports: `user_id,ts,event[,channel][,property...]`,
//! user ids of any text, times in any form
//! [`parse_instant`](crate::quantity::parse_instant) reads, events
//! by name, into a [`FunnelInput`].

use std::io::Read;

use super::named_rows::{Columns, NamedEventsRead, NamedOptions};
use super::rows::RowReader;
use super::{header, Rejects};
use crate::error::{Error, Result};
use crate::funnel::{FunnelInput, FunnelSpec};

/// Reads an event export as analysts have it: columns `user_id`, `ts`,
/// `event` (or `step`: the same column under its older name) and,
/// optionally, the breakdown column (`channel`, or the one
/// [`NamedOptions::breakdown`] names), in any order among others.
///
/// * `user_id`: any text (blanks around it trimmed), not empty;
/// * `ts`: as [`parse_instant`](crate::quantity::parse_instant) reads it, bare integers in
///   [`NamedOptions::ts_unit`]; a time finer than the spec's unit is
///   refused, never truncated;
/// * `event`: the event's name; names that are not steps of `spec` match
///   no step (counted by the report, never padded into it). For a spec of
///   numbered steps ([`FunnelSpec::new`]), the step's 0-based number, as
///   [`read_events`](super::read_events) reads it: a number at or past
///   the spec's steps matches no step, text that is not a number is
///   rejected;
/// * the breakdown value: a [`Channel`](crate::journey::Channel) name.
///
/// A row that cannot be used is rejected with its line and reason, as
/// [`read_events`](super::read_events) does.
///
/// ```
/// use revops::csv::{read_named_events, NamedOptions, RejectReason};
/// use revops::funnel::{FunnelSpec, Options};
/// use revops::TimeDelta;
/// let data = "user_id,ts,event,channel\n\
///             abc-1,2026-03-01T10:00:00Z,signup,ads\n\
///             abc-1,2026-03-01 10:30:00,paid,ads\n\
///             abc-2,1772359200,signup,email\n\
///             abc-3,yesterday,signup,email\n";
/// let spec = FunnelSpec::named(["signup", "paid"], TimeDelta::days(1))?;
/// let read = read_named_events(data.as_bytes(), &spec, &NamedOptions::default())?;
/// assert_eq!(read.rows, 4);
/// assert_eq!(read.rejects.listed[0].line, 5);
/// assert_eq!(read.rejects.listed[0].reason, RejectReason::Instant);
/// let report = read.input.analyze(Options::default())?;
/// assert_eq!((report.steps[0].users, report.steps[1].users), (2, 1));
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Io`] when the reader fails; [`Error::InvalidInput`] when the
/// input has no header, or the header lacks `user_id`, `ts`, `event` (or
/// `step`), or the breakdown column asked for.
pub fn read_named_events<R: Read>(
    input: R,
    spec: &FunnelSpec,
    opts: &NamedOptions,
) -> Result<NamedEventsRead> {
    let (rr, delimiter) = header(input, opts.delimiter)?;
    let cols = columns(&rr, delimiter, opts)?;
    let mut out = NamedEventsRead {
        input: FunnelInput::new(spec),
        rows: 0,
        rejects: Rejects::default(),
    };
    if let Some(bytes) = opts.size_hint {
        // About 60 bytes a row in such exports (a UUID, an ISO time); a
        // hint is only a hint: a reservation the allocator refuses is let
        // go, and the events grow as they would without.
        let rows = usize::try_from(bytes / 60)
            .unwrap_or(usize::MAX)
            .min(1 << 30);
        let _ = out.input.shards_and_events().1.try_reserve(rows);
    }
    super::named_fast::read(rr, &cols, spec, opts, &mut out, super::named_fast::CHUNK)?;
    Ok(out)
}

/// The columns of an events header, by the rules of [`read_named_events`].
pub(super) fn columns<R: Read>(
    rr: &RowReader<R>,
    delimiter: u8,
    opts: &NamedOptions,
) -> Result<Columns> {
    let header: Vec<String> = (0..rr.len())
        .map(|i| {
            rr.field(i)
                .and_then(|h| std::str::from_utf8(h).ok())
                .map_or(String::new(), |h| h.trim().to_string())
        })
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        column(name)
            .ok_or_else(|| Error::invalid("csv", format!("the header has no {name:?} column")))
    };
    Ok(Columns {
        user: need("user_id")?,
        ts: need("ts")?,
        event: column("event").or_else(|| column("step")).ok_or_else(|| {
            Error::invalid("csv", "the header has no \"event\" (or \"step\") column")
        })?,
        by: match &opts.breakdown {
            Some(name) => Some(need(name)?),
            None => column("channel"),
        },
        width: header.len(),
        delimiter,
    })
}
