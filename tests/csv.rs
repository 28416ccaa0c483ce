//! The `csv` feature's event reader against an independent reference: the
//! general reader (`RowReader`, csv-core) and the standard parsers, row by
//! row, as the funnel tool read files before; on generated files with every
//! kind of row, line end and chunk size, on one thread and two.
#![cfg(feature = "csv")]

use std::collections::BTreeMap;

use proptest::prelude::*;
use revops::csv::{read_events, ReadOptions, RowReader};
use revops::funnel::FunnelEvent;
use revops::journey::Channels;

/// What the reference reads: events with channel names, rows, rejects.
#[derive(Debug, PartialEq)]
struct Seen {
    events: Vec<(u64, i64, u8, String)>,
    rows: u64,
    rejected: Vec<(u64, String)>,
    by_reason: BTreeMap<String, u64>,
    max_step: Option<u8>,
}

fn reference(data: &[u8], steps: Option<usize>) -> Seen {
    let delim = revops::csv::sniff_delimiter(data);
    let mut rr = RowReader::new(data, delim);
    let mut seen = Seen {
        events: vec![],
        rows: 0,
        rejected: vec![],
        by_reason: BTreeMap::new(),
        max_step: None,
    };
    rr.next_record().unwrap().unwrap();
    let width = rr.len();
    let names = ["user_id", "ts", "step", "channel"];
    let cols: Vec<usize> = names
        .iter()
        .map(|n| {
            (0..width)
                .find(|&i| std::str::from_utf8(rr.field(i).unwrap()).unwrap().trim() == *n)
                .unwrap()
        })
        .collect();
    let reject = |seen: &mut Seen, line: u64, r: &str| {
        seen.rejected.push((line, r.to_string()));
        *seen.by_reason.entry(r.to_string()).or_insert(0) += 1;
    };
    while let Some(info) = rr.next_record().unwrap() {
        seen.rows += 1;
        if info.too_long {
            reject(&mut seen, info.line, "the row is too long");
            continue;
        }
        if rr.len() != width {
            reject(&mut seen, info.line, "wrong number of fields");
            continue;
        }
        let f: Result<Vec<&str>, _> = cols
            .iter()
            .map(|&c| std::str::from_utf8(rr.field(c).unwrap()).map(str::trim))
            .collect();
        let Ok(f) = f else {
            reject(&mut seen, info.line, "a field is not valid UTF-8");
            continue;
        };
        let r = (|| {
            let user: u64 = f[0]
                .parse()
                .map_err(|_| "user_id is not an unsigned integer")?;
            let ts: i64 = f[1]
                .parse()
                .map_err(|_| "ts is not an integer number of seconds")?;
            let step: u64 = f[2].parse().map_err(|_| "step is not a step index")?;
            let step = match steps {
                Some(n) => {
                    if step < n as u64 {
                        step as u8
                    } else {
                        255
                    }
                }
                None if step < 32 => step as u8,
                None => return Err("step is 32 or more (a funnel has at most 32 steps)"),
            };
            let ch = revops::journey::Channel::new(f[3])
                .map_err(|_| "channel is not a valid channel name")?;
            Ok((user, ts, step, ch.as_str().to_string()))
        })();
        match r {
            Ok(e) => {
                seen.max_step = seen.max_step.max(Some(e.2));
                seen.events.push(e);
            }
            Err(reason) => reject(&mut seen, info.line, reason),
        }
    }
    seen
}

fn through_library(data: &[u8], opts: &ReadOptions) -> Seen {
    let r = read_events(data, opts).unwrap();
    let name = |ch: &Channels, e: &FunnelEvent| ch.name(e.channel).unwrap().to_string();
    Seen {
        events: r
            .events
            .iter()
            .map(|e| (e.user, e.ts, e.step, name(&r.channels, e)))
            .collect(),
        rows: r.rows,
        rejected: r
            .rejects
            .listed
            .iter()
            .map(|x| (x.line, x.reason.to_string()))
            .collect(),
        by_reason: r
            .rejects
            .by_reason
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        max_step: r.max_step,
    }
}

/// A row of one of many kinds, valid or not.
fn row() -> impl Strategy<Value = String> {
    let user = prop_oneof![
        (0u64..50).prop_map(|u| u.to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("+7".to_string()),
        Just("-1".to_string()),
        Just(" 12 ".to_string()),
        Just("\u{a0}3\u{3000}".to_string()),
        Just("x".to_string()),
        Just("".to_string()),
    ];
    let ts = prop_oneof![
        (-1000i64..1000).prop_map(|t| t.to_string()),
        Just("-9223372036854775808".to_string()),
        Just("9223372036854775808".to_string()),
        Just("1.5".to_string()),
        Just("+-1".to_string()),
    ];
    let step = prop_oneof![
        (0u64..6).prop_map(|s| s.to_string()),
        Just("31".to_string()),
        Just("32".to_string()),
        Just("300".to_string()),
        Just("s".to_string()),
    ];
    let channel = prop_oneof![
        Just("ads".to_string()),
        Just("email".to_string()),
        Just(" web ".to_string()),
        Just("café".to_string()),
        Just("".to_string()),
        Just("a > b".to_string()),
        Just("x".repeat(201)),
    ];
    prop_oneof![
        8 => (user, ts, step, channel).prop_map(|(u, t, s, c)| format!("{u},{t},{s},{c}")),
        1 => Just(String::new()),
        1 => Just("1,2,3".to_string()),
        1 => Just("1,2,3,ads,extra".to_string()),
        1 => Just("\u{fffd}9,1,0,ads".to_string()),
    ]
}

fn file(rows: &[String], crlf: bool, trailing: bool) -> Vec<u8> {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut s = format!("user_id,ts,step,channel{nl}");
    s.push_str(&rows.join(nl));
    if trailing {
        s.push_str(nl);
    }
    s.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every row kind, LF or CRLF, with and without a last line end, any
    /// chunk size (rows across chunk ends), one thread or two, with and
    /// without a number of steps: what the reference reads.
    #[test]
    fn fast_reader_equals_the_reference(
        rows in prop::collection::vec(row(), 0..60),
        crlf in any::<bool>(),
        trailing in any::<bool>(),
        chunk in prop_oneof![Just(1usize), Just(7), Just(64), Just(300), Just(8 << 20)],
        threads in 1usize..3,
        steps in prop_oneof![Just(None), Just(Some(3usize))],
    ) {
        let data = file(&rows, crlf, trailing);
        let opts = ReadOptions { steps, threads, chunk_bytes: chunk, ..ReadOptions::default() };
        prop_assert_eq!(through_library(&data, &opts), reference(&data, steps));
    }

    /// Quotes and lone CRs (the general reader's part), from any row on.
    #[test]
    fn quotes_and_lone_crs_equal_the_reference(
        rows in prop::collection::vec(row(), 1..40),
        at in 0usize..40,
        kind in 0usize..3,
        chunk in prop_oneof![Just(16usize), Just(8 << 20)],
    ) {
        let mut rows = rows;
        let at = at % rows.len();
        rows[at] = match kind {
            0 => "\"5\",\"10\",\"1\",\"a,b\"".to_string(),
            1 => "6,11,0,\"multi\nline\"".to_string(),
            _ => "7,12,0,ads\r8,13,1,ads".to_string(),
        };
        let data = file(&rows, false, true);
        let opts = ReadOptions { chunk_bytes: chunk, ..ReadOptions::default() };
        prop_assert_eq!(through_library(&data, &opts), reference(&data, None));
    }
}

#[test]
fn a_row_too_long_is_one_rejected_row() {
    let mut data = b"user_id,ts,step,channel\n1,1,0,ads\n".to_vec();
    data.extend(std::iter::repeat(b'9').take(3 << 20));
    data.extend(b",1,0,ads\n2,2,0,ads\n");
    for chunk in [1 << 10, 8 << 20] {
        let opts = ReadOptions {
            chunk_bytes: chunk,
            ..ReadOptions::default()
        };
        let got = through_library(&data, &opts);
        assert_eq!(got, reference(&data, None));
        assert_eq!(got.rejected, vec![(3, "the row is too long".to_string())]);
        assert_eq!(got.events.len(), 2);
    }
}

#[test]
fn a_header_without_a_column_is_an_error() {
    let e = read_events(
        &b"user,ts,step,channel\n1,2,3,ads\n"[..],
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"user_id\""), "{e}");
    assert!(read_events(&b""[..], &ReadOptions::default()).is_err());
}

/// The row limit is one rule on every reading path: a row whose fields
/// hold exactly `MAX_ROW_BYTES` bytes is kept, one byte more is too long,
/// whether the file goes through the fast reader or (after a quoted row)
/// the general one, in any chunk size.
#[test]
fn the_row_limit_is_the_same_on_every_path() {
    use revops::csv::MAX_ROW_BYTES;
    for extra in [-1i64, 0, 1] {
        for quoted_before in [false, true] {
            let mut data = b"user_id,ts,step,channel\n".to_vec();
            if quoted_before {
                data.extend(b"\"5\",\"10\",\"1\",\"a,b\"\n");
            }
            // Field bytes: "1" + "1" + "0" + the channel.
            let channel = (MAX_ROW_BYTES as i64 - 3 + extra) as usize;
            data.extend(b"1,1,0,");
            data.extend(std::iter::repeat(b'c').take(channel));
            data.extend(b"\n2,2,0,ads\n");
            for chunk in [1 << 10, 8 << 20] {
                let opts = ReadOptions {
                    chunk_bytes: chunk,
                    ..ReadOptions::default()
                };
                let got = through_library(&data, &opts);
                assert_eq!(
                    got,
                    reference(&data, None),
                    "extra {extra} quoted {quoted_before} chunk {chunk}"
                );
                let line = if quoted_before { 3 } else { 2 };
                let too_long = got
                    .rejected
                    .iter()
                    .any(|(l, r)| *l == line && r == "the row is too long");
                assert_eq!(
                    too_long,
                    extra > 0,
                    "extra {extra} quoted {quoted_before}: {:?}",
                    got.rejected
                );
            }
        }
    }
}

/// The general reader on its own (mutation run of `csv`, 2026-12-05):
/// line numbers under lone CRs, a read interrupted and resumed, an error
/// passed on, fields longer than its first buffer and more fields than its
/// first table, and `is_empty` after a row too long to keep.
#[test]
fn row_reader_lines_interruptions_and_growth() {
    // Lone CRs end lines as LF and CRLF do.
    let data = b"a,b\r1,2\r\r3,4\r\n5,6\n";
    let mut rr = RowReader::new(&data[..], b',');
    let mut lines = Vec::new();
    while let Some(info) = rr.next_record().unwrap() {
        assert!(!rr.is_empty());
        lines.push((info.line, rr.field(0).unwrap().to_vec()));
    }
    assert_eq!(
        lines,
        vec![
            (1, b"a".to_vec()),
            (2, b"1".to_vec()),
            (4, b"3".to_vec()),
            (5, b"5".to_vec())
        ]
    );

    // A reader interrupted once is read on; another error is passed on.
    struct Flaky<'a> {
        data: &'a [u8],
        interrupted: bool,
        fail: bool,
    }
    impl std::io::Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            if self.fail {
                return Err(std::io::Error::other("disk gone"));
            }
            let n = self.data.len().min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    let mut rr = RowReader::new(
        Flaky {
            data: b"x,y\n1,2\n",
            interrupted: false,
            fail: false,
        },
        b',',
    );
    assert!(rr.next_record().unwrap().is_some());
    assert_eq!(rr.next_record().unwrap().map(|i| i.line), Some(2));
    let mut bad = RowReader::new(
        Flaky {
            data: b"",
            interrupted: false,
            fail: true,
        },
        b',',
    );
    assert_eq!(bad.next_record().unwrap_err().to_string(), "disk gone");

    // A 5,000-byte field and 3,000 fields: kept whole, past the reader's
    // first buffer and field table.
    let long = "z".repeat(5_000);
    let many = vec!["f"; 3_000].join(",");
    let text = format!("h\n{long}\n{many}\n");
    let mut rr = RowReader::new(text.as_bytes(), b',');
    rr.next_record().unwrap();
    rr.next_record().unwrap();
    assert_eq!(rr.field(0).unwrap(), long.as_bytes());
    rr.next_record().unwrap();
    assert_eq!(rr.len(), 3_000);
    assert_eq!(rr.field(2_999).unwrap(), b"f");

    // A row too long to keep: no fields, so empty.
    let text = format!("h\n{}\nok\n", "q".repeat(revops::csv::MAX_ROW_BYTES + 10));
    let mut rr = RowReader::new(text.as_bytes(), b',');
    rr.next_record().unwrap();
    let info = rr.next_record().unwrap().unwrap();
    assert!(info.too_long && rr.is_empty());
    assert_eq!(rr.len(), 0);
    rr.next_record().unwrap();
    assert_eq!(rr.field(0).unwrap(), b"ok");
}

/// Past `REJECTED_LISTED` rejected rows the list stops and the counts go
/// on.
#[test]
fn rejects_are_listed_up_to_the_limit_and_counted_beyond() {
    let n = revops::csv::REJECTED_LISTED + 5;
    let mut text = String::from("user_id,ts,step,channel\n");
    for _ in 0..n {
        text.push_str("x,1,0,ads\n");
    }
    text.push_str("1,1,0,ads\n");
    let r = read_events(text.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(r.rejects.listed.len(), revops::csv::REJECTED_LISTED);
    assert_eq!(r.rejects.total, n as u64);
    assert_eq!(r.rejects.by_reason.values().sum::<u64>(), n as u64);
    assert_eq!(r.rows, n as u64 + 1);
    assert_eq!(r.rejects.listed[0].line, 2);
}

/// A reader that gives at most `step` bytes a call, is interrupted every
/// third call, and fails for good after `fail_after` bytes if set.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
    calls: usize,
    fail_after: Option<usize>,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        if self.fail_after.is_some_and(|f| self.at >= f) {
            return Err(std::io::Error::other("disk gone"));
        }
        let n = self.step.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// `read_events` over a reader that trickles (a pipe, a socket): a file
/// larger than the first read (so the header's delimiter is found across
/// reads, and the rows come chunk after chunk), reads interrupted and
/// resumed, in every chunk size; a reader that fails is an error, not a
/// short result; a size hint past the machine's memory is let go, not an
/// abort (it once asked for 24 GiB; found by the mutation run of `csv`).
#[test]
fn read_events_over_a_trickling_reader() {
    let mut data = b"user_id;ts;step;channel\n".to_vec();
    let n = 5_000u64;
    for i in 0..n {
        data.extend(format!("{i};{};{};c{}\n", i * 10, i % 3, i % 5).as_bytes());
    }
    assert!(data.len() > 64 * 1024, "past the header's first read");
    let trickle = |fail_after| Trickle {
        data: data.clone(),
        at: 0,
        step: 7,
        calls: 0,
        fail_after,
    };
    for chunk in [1usize, 1000, 8 << 20] {
        for threads in [1, 2] {
            let opts = ReadOptions {
                chunk_bytes: chunk,
                threads,
                ..ReadOptions::default()
            };
            let read = read_events(trickle(None), &opts).unwrap();
            assert_eq!(read.rows, n, "chunk {chunk}");
            assert_eq!(read.rejects.listed.len(), 0, "chunk {chunk}");
            assert_eq!(read.events.len() as u64, n);
            assert_eq!(read.channels.len(), 5);
            let last = read.events.iter().max_by_key(|e| e.user).unwrap();
            assert_eq!(
                (last.user, last.ts, last.step),
                (n - 1, (n as i64 - 1) * 10, 1)
            );
            let Err(failing) = read_events(trickle(Some(data.len() / 2)), &opts) else {
                panic!("a reader failing half-way read as a whole file");
            };
            assert!(matches!(failing, revops::Error::Io { .. }), "{failing}");
            assert!(failing.to_string().contains("disk gone"), "{failing}");
            // The header's first read failing is an error too.
            assert!(read_events(trickle(Some(10)), &opts).is_err());
        }
    }
    let hinted = ReadOptions {
        size_hint: Some(u64::MAX),
        ..ReadOptions::default()
    };
    let read = read_events(&data[..], &hinted).unwrap();
    assert_eq!(read.events.len() as u64, n);
}

/// Analysts' exports: string ids, times in every form, events by name,
/// the breakdown column; each unusable row rejected with its reason.
#[test]
fn named_events_read_as_analysts_export_them() {
    use revops::csv::{read_named_events, NamedOptions, RejectReason};
    use revops::funnel::{FunnelSpec, Options};
    use revops::quantity::TimeUnit;
    use revops::TimeDelta;
    let spec = FunnelSpec::named(["signup", "activate", "paid"], TimeDelta::days(7)).unwrap();
    let data = "\
user_id;ts;step;country;channel
3f2c-uuid-1;2026-03-01T10:00:00Z;signup;DE;ads
3f2c-uuid-1;2026-03-01 11:00:00;activate;DE;ads
3f2c-uuid-1;1772364000;paid;DE;ads
9a7b-uuid-2;2026-03-02T09:00:00+01:00;signup;FR;email
9a7b-uuid-2;2026-03-02;newsletter_open;FR;email
;2026-03-02;signup;FR;email
x;soon;signup;FR;email
y;2026-03-02T09:00:00.5Z;signup;FR;email
z;2026-03-02;;FR;email
w;2026-03-02;signup;FR
v;2026-03-02;signup;FR;\x01
";
    let read = read_named_events(data.as_bytes(), &spec, &NamedOptions::default()).unwrap();
    assert_eq!(read.rows, 11);
    let reasons: Vec<(u64, RejectReason)> = read
        .rejects
        .listed
        .iter()
        .map(|r| (r.line, r.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (7, RejectReason::UserEmpty),
            (8, RejectReason::Instant),
            (9, RejectReason::InstantTooFine),
            (10, RejectReason::EventEmpty),
            (11, RejectReason::Fields),
            (12, RejectReason::Channel),
        ]
    );
    let report = read.input.analyze(Options::default()).unwrap();
    let users: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
    assert_eq!(users, [2, 1, 1]);
    assert_eq!(report.by_channel["ads"][2].users, 1);
    assert_eq!(report.by_channel["email"][0].users, 1);
    // Another breakdown column, and bare times in milliseconds.
    let opts = NamedOptions {
        breakdown: Some("country".into()),
        ts_unit: TimeUnit::Millisecond,
        ..NamedOptions::default()
    };
    let ms = "user_id,ts,event,country\na,1772359200000,signup,DE\nb,1772359200000,signup,FR\n";
    let read = read_named_events(ms.as_bytes(), &spec, &opts).unwrap();
    let report = read.input.analyze(Options::default()).unwrap();
    assert_eq!(report.by_channel["DE"][0].users, 1);
    assert_eq!(report.by_channel["FR"][0].users, 1);
    // Without a breakdown column, every event is under one value.
    let plain = "user_id,ts,event\na,0,signup\n";
    let read = read_named_events(plain.as_bytes(), &spec, &NamedOptions::default()).unwrap();
    let report = read.input.analyze(Options::default()).unwrap();
    assert_eq!(report.by_channel[NamedOptions::NO_BREAKDOWN][0].users, 1);
    // A header without the columns is an error that names the column.
    for (header, missing) in [
        ("id,ts,event\n", "user_id"),
        ("user_id,time,event\n", "ts"),
        ("user_id,ts,action\n", "event"),
    ] {
        let e = read_named_events(header.as_bytes(), &spec, &NamedOptions::default()).unwrap_err();
        assert!(e.to_string().contains(missing), "{e}");
    }
    let e = read_named_events(
        ms.as_bytes(),
        &spec,
        &NamedOptions {
            breakdown: Some("plan".into()),
            ..NamedOptions::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("plan"), "{e}");
}

proptest! {
    /// Reading an export equals pushing its rows into a `FunnelInput` by
    /// hand, whatever form each time is written in.
    #[test]
    fn named_events_equal_the_pushed_rows(
        rows in prop::collection::vec((0u8..6, 0i64..200_000, 0u8..4, 0u8..3, 0u8..3), 0..60),
    ) {
        use revops::csv::{read_named_events, NamedOptions};
        use revops::funnel::{FunnelInput, FunnelSpec, Options};
        use revops::{TimeDelta, TimeZone, Utc};
        let spec = FunnelSpec::named(["a", "b", "c"], TimeDelta::hours(20)).unwrap();
        let names = ["a", "b", "c", "other"];
        let mut text = String::from("user_id,ts,event,channel\n");
        let mut by_hand = FunnelInput::new(&spec);
        for &(user, s, event, channel, form) in &rows {
            let at = Utc.timestamp_opt(1_772_000_000 + s, 0).unwrap();
            let ts = match form {
                0 => at.timestamp().to_string(),
                1 => at.to_rfc3339(),
                _ => at.format("%Y-%m-%d %H:%M:%S").to_string(),
            };
            let (user, ch) = (format!("user-{user}"), format!("ch{channel}"));
            text.push_str(&format!("{user},{ts},{},{ch}\n", names[event as usize]));
            by_hand.push(user.as_str(), at, names[event as usize], &ch).unwrap();
        }
        let read = read_named_events(text.as_bytes(), &spec, &NamedOptions::default()).unwrap();
        prop_assert_eq!(read.rows, rows.len() as u64);
        prop_assert_eq!(read.rejects.total, 0);
        prop_assert_eq!(
            read.input.analyze(Options::default()).unwrap(),
            by_hand.analyze(Options::default()).unwrap()
        );
    }
}

/// The delimiter comes from the header line alone (whatever its line end),
/// and a tie or a header without any delimiter keeps `,`.
#[test]
fn the_delimiter_comes_from_the_header_alone() {
    use revops::csv::sniff_delimiter;
    assert_eq!(sniff_delimiter(b"a;b;c\n1,2,3\n"), b';');
    assert_eq!(sniff_delimiter(b"a,b\r\nx;y;z;w\r\n"), b',');
    assert_eq!(sniff_delimiter(b"a,b\rx;y;z;w\r"), b',');
    assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
    assert_eq!(sniff_delimiter(b"a,b;c\n"), b',');
    assert_eq!(sniff_delimiter(b"a,b\tc\n"), b',');
    assert_eq!(sniff_delimiter(b"user_id\n1\n"), b',');
    assert_eq!(sniff_delimiter(b""), b',');
}

/// Numbers of every length the fast path reads in different ways (one
/// digit, eight to sixteen in two loads, up to nineteen in steps of
/// eight, past that with an overflow check), with a sign or a `+`: what
/// `str::parse` reads, and a reject where it refuses.
#[test]
fn numbers_of_every_length_read_as_str_parse_does() {
    let mut data = String::from("user_id,ts,step,channel\n");
    let mut want: Vec<Option<(u64, i64)>> = Vec::new();
    let digits = "98765432109876543210987654";
    for n in 1..=21 {
        for start in [0, 1, 5] {
            let text = &digits[start..start + n];
            for (user, ts) in [
                (text.to_string(), text.to_string()),
                (format!("+{text}"), format!("-{text}")),
                (format!("0{text}"), format!("+{text}")),
            ] {
                data.push_str(&format!("{user},{ts},0,ads\n"));
                want.push(user.parse::<u64>().ok().zip(ts.parse::<i64>().ok()));
            }
        }
    }
    // The edges of u64 and i64, and digits far past any integer.
    let long = "9".repeat(45);
    for (user, ts) in [
        ("18446744073709551615", "9223372036854775807"),
        ("18446744073709551616", "-9223372036854775808"),
        ("000000000000000000000000000000007", "-9223372036854775809"),
        // u64::MAX reached exactly at the end of a whole eight-digit step.
        ("000018446744073709551615", "0"),
        (long.as_str(), "1"),
        ("1", long.as_str()),
    ] {
        data.push_str(&format!("{user},{ts},0,ads\n"));
        want.push(user.parse::<u64>().ok().zip(ts.parse::<i64>().ok()));
    }
    for threads in [1, 2] {
        let opts = ReadOptions {
            threads,
            ..ReadOptions::default()
        };
        let read = read_events(data.as_bytes(), &opts).unwrap();
        let kept: Vec<(u64, i64)> = read.events.iter().map(|e| (e.user, e.ts)).collect();
        let expect: Vec<(u64, i64)> = want.iter().flatten().copied().collect();
        assert_eq!(kept, expect, "threads {threads}");
        let rejected: Vec<u64> = read.rejects.listed.iter().map(|r| r.line).collect();
        let expect_rejected: Vec<u64> = want
            .iter()
            .enumerate()
            .filter(|(_, w)| w.is_none())
            .map(|(i, _)| i as u64 + 2)
            .collect();
        assert_eq!(rejected, expect_rejected, "threads {threads}");
    }
}

/// Wanted columns anywhere in a wide header: past the 64th column the
/// fast path finds the fields another way, with the same result.
#[test]
fn wanted_columns_past_the_sixty_fourth() {
    for offset in [0usize, 60, 64, 70] {
        let mut header: Vec<String> = (0..offset).map(|i| format!("extra{i}")).collect();
        header.extend(["channel", "step", "ts", "user_id"].map(String::from));
        header.push("last".into());
        let mut data = header.join(",") + "\n";
        for (user, ts, step, channel) in [(1, 10, 0, "ads"), (1, 20, 1, "ads"), (2, 5, 0, "email")]
        {
            let mut row: Vec<String> = (0..offset).map(|i| i.to_string()).collect();
            row.extend([
                channel.to_string(),
                step.to_string(),
                ts.to_string(),
                user.to_string(),
            ]);
            row.push("z".into());
            data.push_str(&(row.join(",") + "\n"));
        }
        let got = through_library(data.as_bytes(), &ReadOptions::default());
        assert_eq!(got, reference(data.as_bytes(), None), "offset {offset}");
        assert_eq!(got.events.len(), 3, "offset {offset}");
        assert!(
            got.rejected.is_empty(),
            "offset {offset}: {:?}",
            got.rejected
        );
    }
}

/// Blank lines that arrive a byte at a time (a pipe) are skipped before
/// the record, so that each record's line is its own.
#[test]
fn blank_lines_across_reads_keep_line_numbers() {
    struct ByteAtATime<'a>(&'a [u8]);
    impl std::io::Read for ByteAtATime<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let data = b"a,b\n\n\n\r\n1,2\n\n3,4\n";
    let mut rr = RowReader::new(ByteAtATime(&data[..]), b',');
    let mut lines = Vec::new();
    while let Some(info) = rr.next_record().unwrap() {
        lines.push((info.line, rr.field(0).unwrap().to_vec()));
    }
    assert_eq!(
        lines,
        vec![(1, b"a".to_vec()), (5, b"1".to_vec()), (7, b"3".to_vec())]
    );
}
