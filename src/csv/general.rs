//! A part's events into the output (channels numbered by its registry),
//! and the rest of an input that the fast path hands to the general
//! reader.

use std::collections::HashMap;
use std::io::Read;

use foldhash::fast::RandomState;

use super::part::{event_of, new_value, Layout, Part};
use super::*;

/// Adds a part's events (channels renumbered by the output's registry)
/// and rejects (lines made absolute) to `out`; `in_place` when the part
/// was parsed into `out.events` itself (taken out of `out` meanwhile),
/// which it then becomes again.
pub(super) fn absorb(p: &mut Part, out: &mut EventsRead, in_place: bool) -> Result<()> {
    let mut remap = Vec::with_capacity(p.values.len());
    for (bytes, ok) in &p.values {
        let id = match std::str::from_utf8(bytes) {
            Ok(name) if *ok => out.channels.intern_str(name)?,
            // Never used: rows with an invalid channel were rejected.
            _ => ChannelId(u32::MAX),
        };
        remap.push(id);
    }
    if in_place {
        // The part was parsed into the output's vector (see Part).
        for e in p.events.get_mut(p.from..).unwrap_or_default() {
            e.channel = remap[e.channel.index()];
        }
        out.events = std::mem::take(&mut p.events);
    } else {
        out.events.reserve(p.events.len());
        out.events.extend(p.events.drain(p.from..).map(|mut e| {
            e.channel = remap[e.channel.index()];
            e
        }));
    }
    out.rows += p.rows;
    out.max_step = out.max_step.max(p.max_step);
    for &(l, r) in &p.rejects {
        out.rejects.push(p.first_line + l, r);
    }
    Ok(())
}

/// The rest of the input through the general reader.
pub(super) fn slow<R: Read>(
    mut rr: RowReader<R>,
    layout: &Layout,
    out: &mut EventsRead,
) -> Result<()> {
    let mut part = Part {
        events: Vec::new(),
        from: 0,
        values: Vec::new(),
        rejects: Vec::new(),
        rows: 0,
        lines: 0,
        first_line: 0,
        max_step: None,
    };
    let mut local: HashMap<Vec<u8>, u32, RandomState> = HashMap::default();
    while let Some(info) = rr.next_record().map_err(io)? {
        part.rows += 1;
        if info.too_long {
            part.rejects.push((info.line, RejectReason::TooLong));
            continue;
        }
        if rr.len() != layout.width {
            part.rejects.push((info.line, RejectReason::Fields));
            continue;
        }
        let f = layout.cols.map(|c| rr.field(c).unwrap_or(b""));
        let event = event_of(f, layout.steps, false);
        part.take(info.line, event, |values, channel| {
            match local.get(channel) {
                Some(&i) => i,
                None => {
                    let i = new_value(values, channel);
                    local.insert(channel.to_vec(), i);
                    i
                }
            }
        });
    }
    absorb(&mut part, out, false)
}
