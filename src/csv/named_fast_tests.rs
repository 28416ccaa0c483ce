//! The fast path equals the general reader on every input: the same
//! events (users numbered alike), rows and rejects, whatever the chunk
//! size, line ends, quotes, blank lines, bad fields and invalid UTF-8.

use proptest::prelude::*;

use super::super::header;
use super::super::named::columns;
use super::super::named_rows::{general, NamedEventsRead, NamedOptions};
use super::super::{RejectReason, Rejects};
use super::read;
use crate::funnel::{FunnelInput, FunnelSpec};
use crate::quantity::TimeUnit;
use chrono::TimeDelta;

/// What a read gave: the events (users by first appearance), the
/// breakdown values, rows, the listed rejects, all rejects.
type Seen = (
    Vec<crate::funnel::FunnelEvent>,
    Vec<String>,
    u64,
    Vec<(u64, RejectReason)>,
    u64,
);

fn run(data: &[u8], spec: &FunnelSpec, opts: &NamedOptions, chunk: Option<usize>) -> Seen {
    run_from(data, spec, opts, chunk)
}

fn run_from(
    src: impl std::io::Read,
    spec: &FunnelSpec,
    opts: &NamedOptions,
    chunk: Option<usize>,
) -> Seen {
    let (rr, delimiter) = header(src, opts.delimiter).unwrap();
    let cols = columns(&rr, delimiter, opts).unwrap();
    let mut out = NamedEventsRead {
        input: FunnelInput::new(spec),
        rows: 0,
        rejects: Rejects::default(),
    };
    match chunk {
        Some(c) => read(rr, &cols, spec, opts, &mut out, c).unwrap(),
        None => general(rr, &cols, spec, opts, &mut out).unwrap(),
    }
    let (events, registry) = out.input.compact();
    // Users are numbered by shard, with a hasher of each input's own:
    // compared by order of first appearance.
    let mut first: std::collections::HashMap<u64, u64> = Default::default();
    let events: Vec<crate::funnel::FunnelEvent> = events
        .iter()
        .map(|e| {
            let n = first.len() as u64;
            let mut e = *e;
            e.user = *first.entry(e.user).or_insert(n);
            e
        })
        .collect();
    let names = registry
        .iter()
        .map(|(_, c)| c.as_str().to_string())
        .collect();
    let rejects = out
        .rejects
        .listed
        .iter()
        .map(|r| (r.line, r.reason))
        .collect();
    (events, names, out.rows, rejects, out.rejects.total)
}

/// One field of a row, from a pool that holds every case the readers
/// tell apart.
fn field(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::sample::select(pool).prop_map(|s| s.as_bytes().to_vec()),
        1 => Just(vec![0xff, b'x']),
    ]
}

const USERS: &[&str] = &["u1", "abc-2", "3", " x ", "", "é", "u1\t"];
const TIMES: &[&str] = &[
    "2026-03-01T10:00:00Z",
    "2026-03-01 10:00:05",
    "1772359200",
    "2026-02-30T00:00:00Z",
    "bad",
    "2016-12-31T23:59:60Z",
    "2026-03-01T10:00:00.5Z",
    " 2026-03-01T10:00:07+01:00 ",
];
const EVENTS: &[&str] = &["signup", "paid", "page", "", "0", "1", "7"];
const CHANNELS: &[&str] = &["ads", "email", "", " web "];
const ENDS: &[&str] = &["\n", "\n", "\n", "\r\n", "\r", ""];

fn row() -> impl Strategy<Value = Vec<u8>> {
    (
        field(USERS),
        field(TIMES),
        field(EVENTS),
        field(CHANNELS),
        0usize..10,
        proptest::sample::select(ENDS),
    )
        .prop_map(|(u, t, e, c, shape, end)| {
            let mut r = Vec::new();
            match shape {
                // A blank line.
                0 => {}
                // A field short.
                1 => {
                    r.extend(&u);
                    r.push(b',');
                    r.extend(&t);
                }
                // A quoted channel.
                2 => {
                    for (i, f) in [&u, &t, &e].into_iter().enumerate() {
                        if i > 0 {
                            r.push(b',');
                        }
                        r.extend(f);
                    }
                    r.extend(b",\"ad,s\"");
                }
                _ => {
                    for (i, f) in [&u, &t, &e, &c].into_iter().enumerate() {
                        if i > 0 {
                            r.push(b',');
                        }
                        r.extend(f);
                    }
                }
            }
            r.extend(end.as_bytes());
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fast_path_equals_the_general_reader(
        rows in proptest::collection::vec(row(), 0..60),
        chunk in 1usize..200,
        numbered in any::<bool>(),
        header_crlf in any::<bool>(),
    ) {
        let mut data = b"user_id,ts,event,channel".to_vec();
        data.extend(if header_crlf { &b"\r\n"[..] } else { &b"\n"[..] });
        for r in &rows {
            data.extend(r);
        }
        let window = TimeDelta::days(1);
        let spec = if numbered {
            FunnelSpec::new(3, window)
        } else {
            FunnelSpec::named(["signup", "paid"], window)
        }
        .and_then(|s| s.with_unit(TimeUnit::Millisecond))
        .unwrap();
        let opts = NamedOptions::default();
        let slow = run(&data, &spec, &opts, None);
        // (`prop_assert!`, not `_eq!`: the values can be long.)
        prop_assert!(run(&data, &spec, &opts, Some(chunk)) == slow, "chunk {}", chunk);
        prop_assert!(run(&data, &spec, &opts, Some(super::CHUNK)) == slow);
    }
}

#[test]
fn rows_split_across_chunks_keep_their_lines() {
    let mut data = String::from("user_id,ts,event\n");
    for i in 0..500 {
        if i % 7 == 0 {
            data.push_str(",1,signup\n"); // an empty user
        } else {
            data.push_str(&format!("user-{},{},signup\n", i % 13, 1_772_359_200 + i));
        }
    }
    let spec = FunnelSpec::named(["signup"], TimeDelta::days(1)).unwrap();
    let opts = NamedOptions::default();
    let slow = run(data.as_bytes(), &spec, &opts, None);
    assert_eq!(slow.3.len(), 72);
    assert_eq!(slow.3[1], (9, RejectReason::UserEmpty));
    for chunk in [1, 17, 64, 1000, 1 << 20] {
        assert!(
            run(data.as_bytes(), &spec, &opts, Some(chunk)) == slow,
            "{chunk}"
        );
    }
}

/// A reader giving one line a read, as a pipe written line by line does.
struct LineByLine<'a>(&'a [u8]);

impl std::io::Read for LineByLine<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let line = self
            .0
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.0.len(), |i| i + 1);
        let n = line.min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Reads that end exactly at a line end, before the end of the input:
/// a chunk whose lines are all whole is not the last one.
#[test]
fn reads_ending_at_line_ends_lose_nothing() -> crate::error::Result<()> {
    let mut data = String::from("user_id,ts,event\n");
    for i in 0..300 {
        data.push_str(&format!("user-{},{},signup\n", i % 11, 1_772_359_200 + i));
    }
    let spec = FunnelSpec::named(["signup"], TimeDelta::days(1))?;
    let opts = NamedOptions::default();
    let slow = run(data.as_bytes(), &spec, &opts, None);
    assert_eq!(slow.2, 300);
    for chunk in [1, 17, 64, 1000] {
        let fast = run_from(LineByLine(data.as_bytes()), &spec, &opts, Some(chunk));
        assert!(fast == slow, "{chunk}");
    }
    Ok(())
}

/// `data` read by the fast path in chunks of `chunk` bytes.
fn read_fast(
    data: &[u8],
    spec: &FunnelSpec,
    opts: &NamedOptions,
    chunk: usize,
) -> crate::error::Result<NamedEventsRead> {
    let (rr, delimiter) = header(data, opts.delimiter)?;
    let cols = columns(&rr, delimiter, opts)?;
    let mut out = NamedEventsRead {
        input: FunnelInput::new(spec),
        rows: 0,
        rejects: Rejects::default(),
    };
    read(rr, &cols, spec, opts, &mut out, chunk)?;
    Ok(out)
}

/// The number of users once an event of each of `keys` is pushed.
fn users_with(out: &mut NamedEventsRead, keys: &[String]) -> crate::error::Result<usize> {
    for key in keys {
        out.input
            .push_ticks(key.as_str(), 1_772_400_000, "signup", "all")?;
    }
    Ok(out.input.users())
}

/// A user the fast path numbered is the same user when its key is pushed
/// (the key table keeps each key's text for look-ups by key).
#[test]
fn users_read_fast_are_found_by_later_pushes() -> crate::error::Result<()> {
    let mut data = String::from("user_id,ts,event\n");
    for i in 0..400 {
        data.push_str(&format!("user-{},{},signup\n", i % 37, 1_772_359_200 + i));
    }
    let spec = FunnelSpec::named(["signup"], TimeDelta::days(1))?;
    let opts = NamedOptions::default();
    let keys: Vec<String> = (0..38).map(|u| format!("user-{u}")).collect();
    for chunk in [1, 64, 1 << 20] {
        let mut out = read_fast(data.as_bytes(), &spec, &opts, chunk)?;
        assert_eq!(out.input.users(), 37);
        assert_eq!(users_with(&mut out, &keys[..37])?, 37, "chunk {chunk}");
        assert_eq!(users_with(&mut out, &keys[37..])?, 38, "chunk {chunk}");
    }
    Ok(())
}

/// Fields padded with Unicode spaces (valid UTF-8 that is not ASCII) are
/// trimmed as the general reader trims them, and the users' keys are the
/// trimmed text.
#[test]
fn unicode_spaces_are_trimmed_as_the_general_reader_does() -> crate::error::Result<()> {
    let mut data = String::from("user_id,ts,event\n");
    for i in 0..200 {
        data.push_str(&format!(
            "\u{3000}user-{}\u{a0},{},\u{2003}signup \n",
            i % 17,
            1_772_359_200 + i
        ));
    }
    let spec = FunnelSpec::named(["signup"], TimeDelta::days(1))?;
    let opts = NamedOptions::default();
    let slow = run(data.as_bytes(), &spec, &opts, None);
    assert_eq!((slow.0.len(), slow.3.len()), (200, 0));
    let keys: Vec<String> = (0..17).map(|u| format!("user-{u}")).collect();
    for chunk in [1, 64, 1 << 20] {
        assert!(
            run(data.as_bytes(), &spec, &opts, Some(chunk)) == slow,
            "{chunk}"
        );
        let mut out = read_fast(data.as_bytes(), &spec, &opts, chunk)?;
        assert_eq!(users_with(&mut out, &keys)?, 17, "chunk {chunk}");
    }
    Ok(())
}

/// One row limit on both paths: a row whose fields hold exactly
/// `MAX_ROW_BYTES` bytes is kept, one byte more is too long, in any chunk
/// size.
#[test]
fn the_row_limit_is_the_same_on_both_paths() -> crate::error::Result<()> {
    let spec = FunnelSpec::named(["signup"], TimeDelta::days(1))?;
    let opts = NamedOptions::default();
    for extra in [-1i64, 0, 1] {
        // Field bytes: the user, "1772359200", "signup" and "ads".
        let user = (super::super::MAX_ROW_BYTES as i64 - 19 + extra) as usize;
        let mut data = b"user_id,ts,event,channel\n".to_vec();
        data.extend(std::iter::repeat(b'u').take(user));
        data.extend(b",1772359200,signup,ads\nu2,1772359201,signup,ads\n");
        let slow = run(&data, &spec, &opts, None);
        let too_long = slow.3.contains(&(2, RejectReason::TooLong));
        assert_eq!(too_long, extra > 0, "extra {extra}: {:?}", slow.3);
        assert_eq!(slow.0.len(), if extra > 0 { 1 } else { 2 });
        for chunk in [1 << 10, 16 << 20] {
            assert!(
                run(&data, &spec, &opts, Some(chunk)) == slow,
                "extra {extra} chunk {chunk}"
            );
        }
    }
    Ok(())
}

/// A numbered funnel's events are step numbers: below the number of steps
/// a step, another number an event outside the funnel (kept, not a step),
/// anything else a rejected row.
#[test]
fn numbered_funnels_read_step_numbers() -> crate::error::Result<()> {
    let data = "user_id,ts,event\nu,1772359200,0\nu,1772359201,2\nu,1772359202,3\n\
                u,1772359203,7\nu,1772359204,x\nu,1772359205,1\n";
    let spec = FunnelSpec::new(3, TimeDelta::days(1))?;
    let opts = NamedOptions::default();
    let slow = run(data.as_bytes(), &spec, &opts, None);
    let steps: Vec<u8> = slow.0.iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![0, 2, u8::MAX, u8::MAX, 1]);
    assert_eq!(slow.3, vec![(6, RejectReason::Step)]);
    for chunk in [1, 1 << 20] {
        assert!(
            run(data.as_bytes(), &spec, &opts, Some(chunk)) == slow,
            "{chunk}"
        );
    }
    Ok(())
}
