//! Analysts' event exports: `user_id,ts,event[,channel][,property...]`,
//! user ids of any text, times in any form [`parse_instant`] reads, events
//! by name, into a [`FunnelInput`].

use std::io::Read;

use super::rows::RowReader;
use super::{header, io, RejectReason, Rejects};
use crate::error::{Error, Result};
use crate::funnel::{FunnelInput, FunnelSpec};
use crate::quantity::{parse_instant, TimeUnit};

/// How [`read_named_events`] reads.
#[derive(Clone, Debug, Default)]
pub struct NamedOptions {
    /// The field delimiter; `None` takes `,` unless the header line has
    /// more `;` or tabs.
    pub delimiter: Option<u8>,
    /// The unit of a `ts` written as a bare integer (Unix seconds by
    /// default; milliseconds, micro- or nanoseconds as exports write
    /// them). Times written as dates are read whatever this says.
    pub ts_unit: TimeUnit,
    /// The column whose value breaks the report down (`by_channel`):
    /// `None` takes `channel` when the header has it, and otherwise puts
    /// every event under [`NamedOptions::NO_BREAKDOWN`].
    pub breakdown: Option<String>,
}

impl NamedOptions {
    /// The breakdown value of every event when there is no breakdown
    /// column.
    pub const NO_BREAKDOWN: &'static str = "all";
}

/// What [`read_named_events`] read.
#[derive(Clone, Debug)]
pub struct NamedEventsRead {
    /// The kept rows' events, ready to analyse
    /// ([`FunnelInput::analyze`]).
    pub input: FunnelInput<String>,
    /// Data rows read (blank lines are not rows), rejected ones included.
    pub rows: u64,
    /// The rejected rows.
    pub rejects: Rejects,
}

/// Reads an event export as analysts have it: columns `user_id`, `ts`,
/// `event` (or `step`: the same column under its older name) and,
/// optionally, the breakdown column (`channel`, or the one
/// [`NamedOptions::breakdown`] names), in any order among others.
///
/// * `user_id`: any text (blanks around it trimmed), not empty;
/// * `ts`: as [`parse_instant`] reads it, bare integers in
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
    let (mut rr, _) = header(input, opts.delimiter)?;
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
    let user_col = need("user_id")?;
    let ts_col = need("ts")?;
    let event_col = column("event")
        .or_else(|| column("step"))
        .ok_or_else(|| Error::invalid("csv", "the header has no \"event\" (or \"step\") column"))?;
    let by_col = match &opts.breakdown {
        Some(name) => Some(need(name)?),
        None => column("channel"),
    };
    let width = header.len();
    let numbered = spec.step_names().is_empty();

    let mut out = NamedEventsRead {
        input: FunnelInput::new(spec),
        rows: 0,
        rejects: Rejects::default(),
    };
    while let Some(info) = rr.next_record().map_err(io)? {
        out.rows += 1;
        let reject = match row(
            &rr,
            info.too_long,
            width,
            [user_col, ts_col, event_col],
            by_col,
        ) {
            Ok((user, ts, event, by)) => {
                match parse_instant(ts, opts.ts_unit).map(|at| spec.unit().ticks_at(at)) {
                    Err(_) | Ok(Err(Error::Overflow { .. })) => Some(RejectReason::Instant),
                    Ok(Err(_)) => Some(RejectReason::InstantTooFine),
                    // A numbered funnel's event must be a step number.
                    Ok(Ok(_))
                        if numbered
                            && spec.code_of(event).is_none()
                            && event.parse::<u64>().is_err() =>
                    {
                        Some(RejectReason::Step)
                    }
                    // A breakdown value is all `push_ticks` can refuse.
                    Ok(Ok(ticks)) => out
                        .input
                        .push_ticks(user, ticks, event, by)
                        .err()
                        .map(|_| RejectReason::Channel),
                }
            }
            Err(reason) => Some(reason),
        };
        if let Some(reason) = reject {
            out.rejects.push(info.line, reason);
        }
    }
    Ok(out)
}

/// A row's user, time, event and breakdown value, trimmed; or why not.
fn row<R: Read>(
    rr: &RowReader<R>,
    too_long: bool,
    width: usize,
    [user, ts, event]: [usize; 3],
    by: Option<usize>,
) -> std::result::Result<(&str, &str, &str, &str), RejectReason> {
    if too_long {
        return Err(RejectReason::TooLong);
    }
    if rr.len() != width {
        return Err(RejectReason::Fields);
    }
    let text = |i: usize| -> std::result::Result<&str, RejectReason> {
        let b = rr.field(i).unwrap_or(b"");
        std::str::from_utf8(b)
            .map(str::trim)
            .map_err(|_| RejectReason::Utf8)
    };
    let (u, t, e) = (text(user)?, text(ts)?, text(event)?);
    if u.is_empty() {
        return Err(RejectReason::UserEmpty);
    }
    if e.is_empty() {
        return Err(RejectReason::EventEmpty);
    }
    let b = match by {
        Some(i) => text(i)?,
        None => NamedOptions::NO_BREAKDOWN,
    };
    Ok((u, t, e, b))
}
