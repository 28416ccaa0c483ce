//! The scans against ClickHouse's algorithms, restated.

use super::super::spec::Modes;
use super::*;
use proptest::prelude::*;

/// The chains of the every-chain algorithm as ClickHouse keeps them.
#[derive(Clone, Copy)]
struct Chain {
    last: i64,
    ts: [i64; MAX_STEPS],
    channel: u32,
}

fn push_chain(list: &mut Vec<Chain>, c: Chain) {
    if !list.iter().any(|x| x.ts[0] == c.ts[0] && x.last == c.last) {
        list.push(c);
    }
}

/// The previous implementation: every chain kept (deduplicated by
/// first and last timestamps), quadratic in the events.
fn strict_once_every_chain(
    spec: &FunnelSpec,
    events: &[Ev],
    once: &mut Vec<Vec<Chain>>,
    counted: &mut [i64; MAX_STEPS],
) -> Counted {
    let n = usize::from(spec.steps);
    let m = spec.modes;
    let window = spec.window;
    once.clear();
    once.resize(MAX_STEPS, Vec::new());
    let mut best = Counted::none();
    let mut has_first = false;
    for e in events {
        let step = usize::from(e.step);
        if step >= n {
            if m.strict_order && has_first {
                break;
            }
            continue;
        }
        if step == 0 {
            let mut ts = [0; MAX_STEPS];
            ts[0] = e.ts;
            push_chain(
                &mut once[0],
                Chain {
                    last: e.ts,
                    ts,
                    channel: e.channel,
                },
            );
            has_first = true;
            if best.level < 1 {
                best.level = 1;
                counted[0] = e.ts;
                best.channel = e.channel;
            }
        } else if m.strict_deduplication && !once[step].is_empty() {
            return best;
        } else if m.strict_order && has_first && once[step - 1].is_empty() {
            if m.allow_reentry {
                continue;
            }
            return best;
        } else if !once[step - 1].is_empty() {
            let (lo, hi) = once.split_at_mut(step);
            let prev = &mut lo[step - 1];
            let next = &mut hi[0];
            let mut i = 0;
            while i < prev.len() {
                let c = prev[i];
                let mut matched = within(e.ts, c.ts[0], window);
                if !matched && prev.len() > 1 {
                    // Out of the window: dropped, keeping at least one.
                    prev.remove(i);
                    continue;
                }
                if matched && m.strict_increase {
                    matched = c.last < e.ts;
                }
                if matched {
                    let mut ts = c.ts;
                    ts[step] = e.ts;
                    let new = Chain {
                        last: e.ts,
                        ts,
                        channel: c.channel,
                    };
                    push_chain(next, new);
                    if step + 1 > best.level {
                        best.level = step + 1;
                        counted[..=step].copy_from_slice(&ts[..=step]);
                        best.channel = c.channel;
                    }
                    if step + 1 == n {
                        return best;
                    }
                }
                i += 1;
            }
        }
    }
    best
}

proptest! {
    /// The dominance-pruned scan gives the level, the entry channel and
    /// the counted chain's timestamps of the every-chain scan, in every
    /// combination of modes.
    #[test]
    fn strict_once_equals_every_chain(
        raw in prop::collection::vec((0i64..40, 0u8..5, 0u32..4), 0..40),
        steps in 1usize..5,
        window in 0i64..20,
        bits in 0u8..16,
    ) {
        let mut evs: Vec<Ev> = raw
            .iter()
            .map(|&(ts, step, ch)| Ev { ts, step: if step >= 4 { u8::MAX } else { step }, rank: ch, channel: ch })
            .collect();
        evs.sort();
        let modes = Modes {
            strict_once: true,
            strict_deduplication: bits & 1 != 0,
            strict_order: bits & 2 != 0,
            strict_increase: bits & 4 != 0,
            allow_reentry: bits & 2 != 0 && bits & 8 != 0,
        };
        let spec = FunnelSpec::new(steps, chrono::TimeDelta::seconds(window))
            .unwrap()
            .with_modes(modes)
            .unwrap();
        let mut s = Scratch::new();
        let got = strict_once(&spec, &evs, &mut s);
        let mut once = Vec::new();
        let mut counted = [0i64; MAX_STEPS];
        let want = strict_once_every_chain(&spec, &evs, &mut once, &mut counted);
        prop_assert_eq!(got.level, want.level);
        if want.level > 0 {
            prop_assert_eq!(got.channel, want.channel);
            prop_assert_eq!(&s.counted[..want.level], &counted[..want.level]);
        }
    }
}

#[test]
fn strict_once_is_not_quadratic() {
    // 200,000 alternating step 0/1 events of one user: the every-chain
    // algorithm would keep ~10^10 chains.
    let evs: Vec<Ev> = (0..200_000i64)
        .map(|i| Ev {
            ts: i,
            step: (i % 2) as u8,
            rank: 0,
            channel: 0,
        })
        .collect();
    let modes = Modes {
        strict_once: true,
        ..Modes::default()
    };
    let spec = FunnelSpec::new(3, chrono::TimeDelta::seconds(1_000_000))
        .unwrap()
        .with_modes(modes)
        .unwrap();
    let mut s = Scratch::new();
    assert_eq!(strict_once(&spec, &evs, &mut s).level, 2);
    assert!(s.once[1].len() <= 100_000);
}
