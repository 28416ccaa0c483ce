//! A transcription of ClickHouse 26.9's `sequenceMatch` and
//! `sequenceCount` (`AggregateFunctionSequenceMatch.h`), written from its
//! source on plain vectors: the independent reference that
//! `tests/sequence.rs` compares `revops::funnel::Sequence` with. Where
//! ClickHouse decides a time-free `sequenceMatch` with an automaton, this
//! file searches every way to match instead (a regular expression over the
//! events, tried from each start), so that part is checked against a
//! second formulation, not a copy.
//!
//! Rows are `(time, conditions)`; condition `k` is bit `k - 1`. Errors
//! (a bad pattern, the step limit) are `Err(())`.

#![allow(dead_code)]

/// ClickHouse's `sequence_match_max_iterations`.
pub const LIMIT: usize = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok {
    /// `(?k)`, 0-based bit.
    Cond(u32),
    Any,
    Star,
    /// `(?t op n)`: op as written.
    Time(&'static str, u64),
}

/// The tokens of `p` for `n` conditions, the implicit `.*` first.
pub fn parse(p: &str, n: usize) -> Result<Vec<Tok>, ()> {
    let mut toks = vec![Tok::Star];
    let mut s = p;
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix(".*") {
            toks.push(Tok::Star);
            s = rest;
        } else if let Some(rest) = s.strip_prefix('.') {
            toks.push(Tok::Any);
            s = rest;
        } else if let Some(rest) = s.strip_prefix("(?t") {
            let op = ["<=", "<", ">=", ">", "=="]
                .into_iter()
                .find(|o| rest.starts_with(o))
                .ok_or(())?;
            let rest = &rest[op.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let v: u64 = digits.parse().map_err(|_| ())?;
            if matches!(toks.last(), Some(Tok::Time(..))) {
                return Err(());
            }
            toks.push(Tok::Time(op, v));
            s = rest[digits.len()..].strip_prefix(')').ok_or(())?;
        } else if let Some(rest) = s.strip_prefix("(?") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let v: u64 = digits.parse().map_err(|_| ())?;
            if v == 0 || v > n as u64 {
                return Err(());
            }
            toks.push(Tok::Cond(v as u32 - 1));
            s = rest[digits.len()..].strip_prefix(')').ok_or(())?;
        } else {
            return Err(());
        }
    }
    Ok(toks)
}

/// The events: rows meeting a condition, conditions cut to `n`, sorted by
/// time then conditions.
fn events(rows: &[(i64, u32)], n: usize) -> Vec<(i64, u32)> {
    let mask = if n >= 32 { u32::MAX } else { (1 << n) - 1 };
    let mut ev: Vec<(i64, u32)> = rows
        .iter()
        .map(|&(t, c)| (t, c & mask))
        .filter(|&(_, c)| c != 0)
        .collect();
    ev.sort();
    ev
}

fn has(ev: (i64, u32), k: u32) -> bool {
    ev.1 & (1 << k) != 0
}

/// Every condition the pattern names is met by some event.
fn possible(toks: &[Tok], ev: &[(i64, u32)]) -> bool {
    toks.iter().all(|t| match t {
        Tok::Cond(k) => ev.iter().any(|&e| has(e, *k)),
        _ => true,
    })
}

/// Time-free patterns: does `toks[i..]` match the events from `e` on (any
/// events may follow)? Memoized on `(i, e)` in `memo`.
fn regex(toks: &[Tok], i: usize, ev: &[(i64, u32)], e: usize, memo: &mut [Option<bool>]) -> bool {
    let key = i * (ev.len() + 1) + e;
    if let Some(known) = memo[key] {
        return known;
    }
    let r = match toks.get(i) {
        None => true,
        Some(Tok::Cond(k)) => e < ev.len() && has(ev[e], *k) && regex(toks, i + 1, ev, e + 1, memo),
        Some(Tok::Any) => e < ev.len() && regex(toks, i + 1, ev, e + 1, memo),
        Some(Tok::Star) => (e..=ev.len()).any(|f| regex(toks, i + 1, ev, f, memo)),
        Some(Tok::Time(..)) => unreachable!("time-free patterns only"),
    };
    memo[key] = Some(r);
    r
}

fn time_holds(op: &str, t: i64, base: i64, d: u64, per_unit: i128) -> bool {
    let (t, limit) = (i128::from(t), i128::from(base) + i128::from(d) * per_unit);
    match op {
        "<=" => t <= limit,
        "<" => t < limit,
        ">=" => t >= limit,
        ">" => t > limit,
        _ => t == limit,
    }
}

// ClickHouse's `couldMatchDeterministicParts` is not transcribed: its
// lambda captures the run's bounds by copy when it is created, before the
// loop moves them, so every call checks an empty run and it returns true
// without a step (chdb 4.4.0 agrees: a pattern whose later run never
// occurs hits the step limit in the search instead of answering 0).

/// ClickHouse's `backtrackingMatch` from `*it`.
fn backtracking(
    toks: &[Tok],
    ev: &[(i64, u32)],
    it: &mut usize,
    per_unit: i128,
) -> Result<bool, ()> {
    let end = ev.len();
    let begin = *it;
    let mut action = 0usize;
    let mut base = *it;
    let mut stack: Vec<(usize, usize, usize)> = Vec::new();
    let mut i = 0usize;
    while action != toks.len() && *it != end {
        let mut fail = false;
        match toks[action] {
            Tok::Cond(k) => {
                if has(ev[*it], k) {
                    base = *it;
                    action += 1;
                    *it += 1;
                } else {
                    fail = true;
                }
            }
            Tok::Any => {
                base = *it;
                action += 1;
                *it += 1;
            }
            Tok::Star => {
                stack.push((action, *it, base));
                base = *it;
                action += 1;
            }
            Tok::Time(op, d) => {
                if time_holds(op, ev[*it].0, ev[base].0, d, per_unit) {
                    stack.push((action, *it, base));
                    base = *it;
                    action += 1;
                } else if op == "<=" || op == "<" {
                    fail = true;
                } else {
                    *it += 1;
                    fail = *it == end;
                }
            }
        }
        if fail {
            let mut resumed = false;
            while let Some((a, e, b)) = stack.pop() {
                action = a;
                *it = e + 1;
                base = b;
                if *it != end {
                    resumed = true;
                    break;
                }
            }
            if !resumed {
                break;
            }
        }
        i += 1;
        if i > LIMIT {
            return Err(());
        }
    }
    if action != toks.len() {
        while action < toks.len()
            && matches!(
                toks[action],
                Tok::Star | Tok::Time("<=" | "<", _) | Tok::Time(">=", 0)
            )
        {
            action += 1;
        }
    }
    if *it == begin {
        *it += 1;
    }
    Ok(action == toks.len())
}

/// `sequenceMatch(pattern)(t, c1, ..., cn)` of one group's rows.
pub fn sequence_match(p: &str, n: usize, rows: &[(i64, u32)], per_unit: i128) -> Result<bool, ()> {
    let toks = parse(p, n)?;
    let ev = events(rows, n);
    if !possible(&toks, &ev) {
        return Ok(false);
    }
    if !toks.iter().any(|t| matches!(t, Tok::Time(..))) {
        let mut memo = vec![None; (toks.len() + 1) * (ev.len() + 1)];
        return Ok((0..=ev.len()).any(|s| regex(&toks, 0, &ev, s, &mut memo)));
    }
    let mut it = 0;
    backtracking(&toks, &ev, &mut it, per_unit)
}

/// `sequenceCount(pattern)(t, c1, ..., cn)` of one group's rows.
pub fn sequence_count(p: &str, n: usize, rows: &[(i64, u32)], per_unit: i128) -> Result<u64, ()> {
    let toks = parse(p, n)?;
    let ev = events(rows, n);
    if !possible(&toks, &ev) {
        return Ok(0);
    }
    let mut it = 0;
    let mut count = 0;
    while it != ev.len() && backtracking(&toks, &ev, &mut it, per_unit)? {
        count += 1;
    }
    Ok(count)
}
