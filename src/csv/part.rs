//! One part of the input, parsed: the layout's columns, the rows of a
//! region of whole lines on one thread, the channel names seen and the
//! rejects, each line numbered.

use super::digits::{parse_i64, parse_u64, trim};
use super::separators::Separators;
use super::*;

#[derive(Clone, Copy)]
pub(super) struct Layout {
    pub(super) delimiter: u8,
    pub(super) width: usize,
    pub(super) cols: [usize; 4],
    pub(super) steps: Option<usize>,
}

/// What one part of a chunk gave: events whose channels are indices into
/// `values` (this part's distinct channel bytes, with their validity),
/// rejects with lines relative to the part's first line (0-based), and the
/// lines it spanned.
pub(super) struct Part {
    /// The part's events are `events[from..]`: a part parsed into the
    /// output's own vector (`from` its length before) is remapped in
    /// place instead of copied.
    pub(super) events: Vec<FunnelEvent>,
    pub(super) from: usize,
    pub(super) values: Vec<(Vec<u8>, bool)>,
    pub(super) rejects: Vec<(u64, RejectReason)>,
    pub(super) rows: u64,
    pub(super) lines: u64,
    pub(super) first_line: u64,
    pub(super) max_step: Option<u8>,
}

impl Part {
    /// Ends a row: its event (the channel numbered by `id_of`, which adds
    /// new names to `values` with [`new_value`]) or its reject.
    #[inline]
    pub(super) fn take<'a>(
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
pub(super) fn new_value(values: &mut Vec<(Vec<u8>, bool)>, channel: &[u8]) -> u32 {
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
pub(super) fn parse_region(
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
pub(super) fn parse_part(
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
pub(super) fn cache_key(b: &[u8]) -> usize {
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
pub(super) fn event_of(
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
pub(super) fn step_code(step: u64, steps: Option<usize>) -> std::result::Result<u8, RejectReason> {
    match steps {
        Some(n) => Ok(if step < n as u64 { step as u8 } else { u8::MAX }),
        None if step < MAX_STEPS as u64 => Ok(step as u8),
        None => Err(RejectReason::StepTooLarge),
    }
}
