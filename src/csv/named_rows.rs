//! The named reader's types and its general path: row by row through
//! the CSV parser (quoted fields, lone CRs), with the rules both paths
//! share.

use std::hash::BuildHasher;
use std::io::Read;

use super::rows::RowReader;
use super::{io, RejectReason, Rejects};
use crate::error::Result;
use crate::funnel::{FunnelInput, FunnelSpec};
use crate::quantity::{instant_ticks, TicksError, TimeUnit};

/// How [`read_named_events`](super::read_named_events) reads.
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
    /// The input's size in bytes, if known (a file's length): the events
    /// are sized once instead of growing.
    pub size_hint: Option<u64>,
}

impl NamedOptions {
    /// The breakdown value of every event when there is no breakdown
    /// column.
    pub const NO_BREAKDOWN: &'static str = "all";
}

/// What [`read_named_events`](super::read_named_events) read.
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

/// Where the wanted fields are.
pub(super) struct Columns {
    pub(super) user: usize,
    pub(super) ts: usize,
    pub(super) event: usize,
    pub(super) by: Option<usize>,
    /// The header's number of fields.
    pub(super) width: usize,
    pub(super) delimiter: u8,
}

/// Why a row's fields cannot make an event, in the order the rules are
/// checked (the same on both paths): the time, then a numbered funnel's
/// step, then the breakdown value. `Ok` with the time in the spec's
/// ticks and the event's code.
pub(super) fn event_fields(
    spec: &FunnelSpec,
    opts: &NamedOptions,
    codes: impl Fn(&str) -> Option<u8>,
    ts: &str,
    event: &str,
) -> std::result::Result<(i64, u8), RejectReason> {
    let ticks = instant_ticks(ts, opts.ts_unit, spec.unit()).map_err(|e| match e {
        TicksError::Unreadable => RejectReason::Instant,
        TicksError::TooFine => RejectReason::InstantTooFine,
    })?;
    let code = match codes(event) {
        Some(c) => c,
        None if spec.step_names().is_empty() => match event.parse::<u64>() {
            // A numbered funnel's event is its step number.
            Ok(k) if k < spec.steps() as u64 => k as u8,
            Ok(_) => u8::MAX,
            Err(_) => return Err(RejectReason::Step),
        },
        None => u8::MAX,
    };
    Ok((ticks, code))
}

/// The rows from `rr` on, one at a time (quoted fields, lone CRs): the
/// general path.
pub(super) fn general<R: Read>(
    mut rr: RowReader<R>,
    cols: &Columns,
    spec: &FunnelSpec,
    opts: &NamedOptions,
    out: &mut NamedEventsRead,
) -> Result<()> {
    let codes = |e: &str| spec.code_of(e);
    while let Some(info) = rr.next_record().map_err(io)? {
        out.rows += 1;
        let reject = match row(
            &rr,
            info.too_long,
            cols.width,
            [cols.user, cols.ts, cols.event],
            cols.by,
        ) {
            Ok((user, ts, event, by)) => match event_fields(spec, opts, codes, ts, event) {
                Err(reason) => Some(reason),
                Ok((ticks, code)) => match out.input.registry_mut().intern_str(by) {
                    Err(_) => Some(RejectReason::Channel),
                    Ok(channel) => {
                        let hash = out.input.user_hasher().hash_one(user);
                        out.input.push_hashed(hash, user, ticks, code, channel)?;
                        None
                    }
                },
            },
            Err(reason) => Some(reason),
        };
        if let Some(reason) = reject {
            out.rejects.push(info.line, reason);
        }
    }
    Ok(())
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
