//! The fast path's driver: the header, then chunk after chunk of whole
//! lines parsed on up to two threads, handing the input to the general
//! reader from the first quote or lone CR on.

use std::io::Read;

use super::general::{absorb, slow};
use super::part::{parse_region, Layout, Part};
use super::*;

/// The columns of the events layout.
const EVENT_COLUMNS: [&str; 4] = ["user_id", "ts", "step", "channel"];

/// Reads the funnel tool's layout, `user_id,ts,step,channel` (columns by
/// header name, in any order, others ignored), into funnel events.
///
/// `user_id` is an unsigned 64-bit integer, `ts` a signed one (in the unit
/// the spec will use), `step` a 0-based step index, `channel` a channel
/// name; fields are trimmed of whitespace. See the [module docs](crate::csv) for
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
pub fn read_events<R: Read>(input: R, opts: &ReadOptions) -> Result<EventsRead> {
    let (rr, delimiter) = header(input, opts.delimiter)?;
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
        // Fill the buffer to a chunk (or the end of the input), then take
        // its complete lines (everything, at the end of the input).
        fill(&mut src, &mut buf, &mut filled, &mut eof, chunk)?;
        let cut = whole_lines(&buf, filled, eof);
        let region = &buf[..cut];
        let unusual = quote_or_lone_cr(region);
        let too_long_line = !eof && !buf[..filled].contains(&b'\n');
        if unusual || too_long_line {
            // The general reader from here to the end.
            if let Some(mut p) = pending.take() {
                absorb(&mut p, &mut out, false)?;
            }
            buf.truncate(filled);
            let rest = std::io::Cursor::new(std::mem::take(&mut buf)).chain(src);
            slow(RowReader::at_line(rest, delimiter, line), &layout, &mut out)?;
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
                    absorb(&mut p, &mut out, false)?;
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
                absorb(&mut p, &mut out, true)?;
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
        absorb(&mut p, &mut out, false)?;
    }
    Ok(out)
}
