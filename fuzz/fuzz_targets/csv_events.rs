//! The `csv` feature's event reader on any bytes: never a panic; the fast
//! path (any chunk size, one thread or two) reads what a one-byte-chunk,
//! one-thread read does; line numbers rise; every event's channel is in
//! the registry.

#![no_main]

use libfuzzer_sys::fuzz_target;
use revops::csv::{read_events, EventsRead, ReadOptions};

fn read(data: &[u8], chunk: usize, threads: usize, steps: Option<usize>) -> Option<EventsRead> {
    let opts = ReadOptions {
        chunk_bytes: chunk,
        threads,
        steps,
        ..ReadOptions::default()
    };
    read_events(data, &opts).ok()
}

fuzz_target!(|data: &[u8]| {
    let (steps, data) = match data.split_first() {
        Some((&s, rest)) => ((s % 2 == 0).then_some(usize::from(s % 7) + 1), rest),
        None => (None, data),
    };
    // A header first, so that most inputs reach the rows.
    let mut input = b"user_id,ts,step,channel\n".to_vec();
    input.extend_from_slice(data);
    let base = read(&input, 1, 1, steps);
    for (chunk, threads) in [(8 << 20, 2), (64, 2), (7, 1)] {
        let other = read(&input, chunk, threads, steps);
        match (&base, &other) {
            (Some(a), Some(b)) => {
                assert_eq!(a.events, b.events);
                assert_eq!(a.rows, b.rows);
                assert_eq!(a.rejects, b.rejects);
                assert_eq!(a.max_step, b.max_step);
                let names = |r: &EventsRead| -> Vec<String> {
                    r.channels.iter().map(|(_, c)| c.as_str().to_string()).collect()
                };
                assert_eq!(names(a), names(b));
            }
            (None, None) => {}
            _ => panic!("one read failed and the other did not"),
        }
    }
    if let Some(r) = base {
        assert!(r.rejects.listed.windows(2).all(|w| w[0].line < w[1].line));
        assert!(r.events.iter().all(|e| r.channels.name(e.channel).is_some()));
        assert!(r.rejects.total + r.events.len() as u64 == r.rows);
    }
});
