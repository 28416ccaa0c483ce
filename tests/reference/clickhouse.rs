//! Literal transcriptions of ClickHouse's `windowFunnel` level functions
//! (`AggregateFunctionWindowFunnel.cpp`), on (timestamp, condition) pairs:
//! the independent reference that the funnel tests and the fuzz target
//! (`fuzz/fuzz_targets/funnel.rs`) compare revops with. Included by path
//! from both, so there is one copy.
//!
//! Events are given per user, in ClickHouse's order: by time, then by
//! condition number, where an event matching no condition is condition 0.
//! `step` is the 0-based step, or any value `>= n` for no step.

#![allow(dead_code)]

/// 17 rows (time, condition bits) on which ClickHouse 26.9's
/// `windowFunnel(5, 'strict_deduplication', 'strict_once')` with four
/// conditions (condition `k` = bit `k`, one thread) depends on the rows'
/// order: 4 in this order, 3 in [`ORDER_SENSITIVE_SHUFFLED`]'s.
pub const ORDER_SENSITIVE_ROWS: [(i64, u32); 17] = [
    (5, 6),
    (0, 1),
    (6, 0),
    (0, 12),
    (0, 4),
    (0, 4),
    (6, 0),
    (0, 0),
    (6, 0),
    (6, 0),
    (6, 0),
    (0, 0),
    (5, 8),
    (5, 4),
    (0, 8),
    (0, 0),
    (6, 0),
];

/// [`ORDER_SENSITIVE_ROWS`] in another order: ClickHouse 26.9 gives 3.
pub const ORDER_SENSITIVE_SHUFFLED: [(i64, u32); 17] = [
    (6, 0),
    (6, 0),
    (6, 0),
    (0, 0),
    (0, 1),
    (5, 8),
    (6, 0),
    (5, 4),
    (0, 4),
    (0, 0),
    (6, 0),
    (0, 0),
    (5, 6),
    (0, 4),
    (6, 0),
    (0, 8),
    (0, 12),
];

/// The level of one user's events: `strict_once` picks ClickHouse's
/// every-chain algorithm, the other modes its one-chain algorithm.
pub fn level(events: &[(i64, u8)], n: usize, window: i64, modes: &[&str]) -> usize {
    if modes.contains(&"strict_once") {
        reference_level_strict_once(events, n, window, modes)
    } else {
        reference_level(events, n, window, modes)
    }
}

/// Sorts one user's events into ClickHouse's order.
pub fn clickhouse_order(events: &mut [(i64, u8)], n: usize) {
    events.sort_unstable_by_key(|&(ts, step)| {
        (
            ts,
            if usize::from(step) < n {
                u16::from(step) + 1
            } else {
                0
            },
            step,
        )
    });
}

/// ClickHouse's `getEventLevelStrictOnce`, transcribed literally on
/// (timestamp, condition) pairs (every chain kept, no de-duplication).
pub fn reference_level_strict_once(
    events: &[(i64, u8)],
    n: usize,
    window: i64,
    modes: &[&str],
) -> usize {
    let has = |m: &str| modes.contains(&m);
    let mut seqs: Vec<Vec<(i64, i64)>> = vec![Vec::new(); n];
    let mut has_first = false;
    let max_level =
        |s: &Vec<Vec<(i64, i64)>>| s.iter().rposition(|l| !l.is_empty()).map_or(0, |i| i + 1);
    for &(t, step) in events {
        let idx = if usize::from(step) < n {
            i64::from(step)
        } else {
            -1
        };
        if idx == -1 {
            if has("strict_order") && has_first {
                break;
            }
            continue;
        }
        let idx = idx as usize;
        if idx == 0 {
            seqs[0].push((t, t));
            has_first = true;
        } else if has("strict_deduplication") && !seqs[idx].is_empty() {
            return max_level(&seqs);
        } else if has("strict_order") && has_first && seqs[idx - 1].is_empty() {
            if has("allow_reentry") {
                continue;
            }
            return seqs.iter().position(|l| l.is_empty()).unwrap_or(n);
        } else if !seqs[idx - 1].is_empty() {
            let mut i = 0;
            while i < seqs[idx - 1].len() {
                let (first, last) = seqs[idx - 1][i];
                let mut ok = i128::from(t) <= i128::from(first) + i128::from(window);
                if !ok && seqs[idx - 1].len() > 1 {
                    seqs[idx - 1].remove(i);
                    continue;
                }
                if ok && has("strict_increase") {
                    ok = last < t;
                }
                if ok {
                    seqs[idx].push((first, t));
                    if idx + 1 == n {
                        return n;
                    }
                }
                i += 1;
            }
        }
    }
    max_level(&seqs)
}

/// ClickHouse's `getEventLevelNonStrictOnce`, transcribed literally on
/// (timestamp, condition) pairs, as an independent reference.
pub fn reference_level(events: &[(i64, u8)], n: usize, window: i64, modes: &[&str]) -> usize {
    let has = |m: &str| modes.contains(&m);
    let mut ts: Vec<Option<(i64, i64)>> = vec![None; n];
    let mut first_event = false;
    let max_level =
        |ts: &Vec<Option<(i64, i64)>>| ts.iter().rposition(|t| t.is_some()).map_or(0, |i| i + 1);
    for &(t, step) in events {
        let idx = if usize::from(step) < n {
            i64::from(step)
        } else {
            -1
        };
        if has("strict_order") && idx == -1 {
            if first_event {
                break;
            }
            continue;
        }
        if idx == -1 {
            continue;
        }
        let idx = idx as usize;
        if idx == 0 {
            ts[0] = Some((t, t));
            first_event = true;
        } else if has("strict_deduplication") && ts[idx].is_some() {
            return max_level(&ts);
        } else if has("strict_order") && first_event && ts[idx - 1].is_none() {
            if has("allow_reentry") {
                continue;
            }
            return ts.iter().position(|x| x.is_none()).unwrap_or(n);
        } else if let Some((first, last)) = ts[idx - 1] {
            let mut ok = i128::from(t) <= i128::from(first) + i128::from(window);
            if has("strict_increase") {
                ok = ok && last < t;
            }
            if ok {
                ts[idx] = Some((first, t));
                if idx + 1 == n {
                    return n;
                }
            }
        }
    }
    max_level(&ts)
}

/// ClickHouse's `windowFunnel` on rows that may meet several conditions
/// (`rows`: (timestamp, bit k = condition k + 1)), transcribed literally:
/// `add` makes one event per true condition (and, under `strict_order`, one
/// condition-0 event for a row meeting none), each row with its own id;
/// the events are sorted by (timestamp, condition, id); `strict_once`
/// checks that a chain does not use one row's id twice.
pub fn reference_level_rows(rows: &[(i64, u32)], n: usize, window: i64, modes: &[&str]) -> usize {
    let has = |m: &str| modes.contains(&m);
    let mut events: Vec<(i64, usize, usize)> = Vec::new();
    for (id, &(t, conds)) in rows.iter().enumerate() {
        let mut any = false;
        for i in (1..=n).rev() {
            if conds & (1 << (i - 1)) != 0 {
                events.push((t, i, id + 1));
                any = true;
            }
        }
        if has("strict_order") && !any {
            events.push((t, 0, id + 1));
        }
    }
    if events.is_empty() {
        return 0;
    }
    if !has("strict_order") && n == 1 {
        return 1;
    }
    events.sort();
    if !has("strict_once") {
        let pairs: Vec<(i64, u8)> = events
            .iter()
            .map(|&(t, i, _)| (t, if i == 0 { n as u8 } else { (i - 1) as u8 }))
            .collect();
        return reference_level(&pairs, n, window, modes);
    }
    // (first, last, path of ids by level)
    let mut seqs: Vec<Vec<(i64, i64, Vec<usize>)>> = vec![Vec::new(); n];
    let mut has_first = false;
    let max_level = |s: &Vec<Vec<(i64, i64, Vec<usize>)>>| {
        s.iter().rposition(|l| !l.is_empty()).map_or(0, |i| i + 1)
    };
    for &(t, cond, id) in &events {
        if cond == 0 {
            if has("strict_order") && has_first {
                break;
            }
            continue;
        }
        let idx = cond - 1;
        if idx == 0 {
            seqs[0].push((t, t, vec![id]));
            has_first = true;
        } else if has("strict_deduplication") && !seqs[idx].is_empty() {
            return max_level(&seqs);
        } else if has("strict_order") && has_first && seqs[idx - 1].is_empty() {
            if has("allow_reentry") {
                continue;
            }
            return seqs.iter().position(|l| l.is_empty()).unwrap_or(n);
        } else if !seqs[idx - 1].is_empty() {
            let mut i = 0;
            while i < seqs[idx - 1].len() {
                let (first, last, path) = seqs[idx - 1][i].clone();
                let mut ok = i128::from(t) <= i128::from(first) + i128::from(window);
                if !ok && seqs[idx - 1].len() > 1 {
                    seqs[idx - 1].remove(i);
                    continue;
                }
                if ok {
                    ok = !path.contains(&id);
                }
                if ok && has("strict_increase") {
                    ok = last < t;
                }
                if ok {
                    let mut p = path;
                    p.push(id);
                    seqs[idx].push((first, t, p));
                    if idx + 1 == n {
                        return n;
                    }
                }
                i += 1;
            }
        }
    }
    max_level(&seqs)
}
