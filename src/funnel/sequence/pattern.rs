//! The pattern language of ClickHouse's `sequenceMatch`, compiled once.

use crate::error::{Error, Result};
use crate::funnel::spec::MAX_STEPS;

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Action {
    /// `(?N)`: an event meeting condition `N` (bit `N - 1`).
    Condition(u32),
    /// `.`: any one event.
    Any,
    /// `.*`: any events, none included.
    Star,
    /// `(?t op N)`: the time since the previous event against `N` ticks.
    Time(TimeOp, u64),
}

/// The comparison of a time condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeOp {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `==`
    Eq,
}

impl TimeOp {
    pub(super) fn holds(self, elapsed: i128, limit: i128) -> bool {
        match self {
            TimeOp::Le => elapsed <= limit,
            TimeOp::Lt => elapsed < limit,
            TimeOp::Ge => elapsed >= limit,
            TimeOp::Gt => elapsed > limit,
            TimeOp::Eq => elapsed == limit,
        }
    }
}

/// A pattern of `sequenceMatch`/`sequenceCount`, checked against the
/// number of conditions it is used with.
///
/// The language is ClickHouse's: `(?N)` an event meeting condition `N`
/// (1-based), `.` any one event, `.*` any number of events, and
/// `(?t op secs)` (`op` one of `<`, `<=`, `>`, `>=`, `==`) a time
/// condition on the time from the event before it (which must be an event,
/// `.` or `.*`). No spaces. The pattern may match anywhere among the
/// events: it starts with an implicit `.*`.
///
/// ```
/// use revops::funnel::SequencePattern;
/// let p = SequencePattern::parse("(?1).*(?2)(?t<=3600)(?3)", 3)?;
/// assert_eq!(p.text(), "(?1).*(?2)(?t<=3600)(?3)");
/// assert!(p.has_time());
/// let err = SequencePattern::parse("(?1)(?4)", 3).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "sequence pattern \"(?1)(?4)\": condition 4 is not one of the 3 conditions at position 6"
///     );
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencePattern {
    text: String,
    conditions: usize,
    /// The actions, the implicit leading `.*` first.
    pub(super) actions: Vec<Action>,
    /// The conditions the pattern names, as bits.
    pub(super) needed: u32,
}

impl SequencePattern {
    /// Compiles `text` for use with `conditions` conditions (1 to 32).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the position for a symbol that is
    /// not part of the language, a number that does not parse (or is
    /// above `u64::MAX`), a missing `)`, an unknown time comparison, a
    /// condition outside `1..=conditions`, or a time condition that
    /// follows another time condition; [`Error::OutOfRange`] for
    /// `conditions` outside 1 to 32.
    pub fn parse(text: &str, conditions: usize) -> Result<SequencePattern> {
        if conditions == 0 || conditions > MAX_STEPS {
            return Err(Error::OutOfRange {
                quantity: "sequence conditions".into(),
                value: conditions.to_string(),
                range: format!("1 to {MAX_STEPS}").into(),
            });
        }
        let bytes = text.as_bytes();
        let mut actions = vec![Action::Star];
        let mut needed = 0u32;
        let mut pos = 0;
        let fail = |at: usize, reason: String| -> Error {
            Error::InvalidInput {
                what: format!("sequence pattern {text:?}").into(),
                reason: format!("{reason} at position {at}").into(),
            }
        };
        while pos < bytes.len() {
            let rest = &bytes[pos..];
            if rest.starts_with(b"(?t") {
                let at = pos;
                pos += 3;
                let ops: [(&[u8], TimeOp); 5] = [
                    (b"<=", TimeOp::Le),
                    (b"<", TimeOp::Lt),
                    (b">=", TimeOp::Ge),
                    (b">", TimeOp::Gt),
                    (b"==", TimeOp::Eq),
                ];
                let Some(&(sym, op)) = ops.iter().find(|(s, _)| bytes[pos..].starts_with(s)) else {
                    return Err(fail(
                        pos,
                        "a time condition needs <, <=, >, >= or ==".into(),
                    ));
                };
                pos += sym.len();
                let (n, next) = number(bytes, pos).map_err(|r| fail(pos, r))?;
                pos = next;
                if matches!(actions.last(), Some(Action::Time(..))) {
                    return Err(fail(
                        at,
                        "a time condition must follow an event, '.' or '.*', not another time condition"
                            .into(),
                    ));
                }
                actions.push(Action::Time(op, n));
            } else if rest.starts_with(b"(?") {
                pos += 2;
                let at = pos;
                let (n, next) = number(bytes, pos).map_err(|r| fail(pos, r))?;
                if n == 0 || n > conditions as u64 {
                    return Err(fail(
                        at,
                        format!("condition {n} is not one of the {conditions} conditions"),
                    ));
                }
                pos = next;
                // Below 32: checked against the conditions above.
                let bit = (n - 1) as u32;
                needed |= 1 << bit;
                actions.push(Action::Condition(bit));
            } else if rest.starts_with(b".*") {
                pos += 2;
                actions.push(Action::Star);
                continue;
            } else if rest.starts_with(b".") {
                pos += 1;
                actions.push(Action::Any);
                continue;
            } else {
                let symbol = text[pos..].chars().next().unwrap_or(' ');
                return Err(fail(pos, format!("unexpected {symbol:?}")));
            }
            if bytes.get(pos) != Some(&b')') {
                return Err(fail(pos, "expected ')'".into()));
            }
            pos += 1;
        }
        Ok(SequencePattern {
            text: text.to_owned(),
            conditions,
            actions,
            needed,
        })
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The number of conditions it was compiled for.
    pub fn conditions(&self) -> usize {
        self.conditions
    }

    /// Whether it holds a time condition `(?t ...)`.
    pub fn has_time(&self) -> bool {
        self.actions.iter().any(|a| matches!(a, Action::Time(..)))
    }
}

/// The decimal number at `pos`: its value and the position after it.
fn number(bytes: &[u8], pos: usize) -> std::result::Result<(u64, usize), String> {
    let digits = bytes[pos.min(bytes.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return Err("expected a number".into());
    }
    let mut n = 0u64;
    for &d in &bytes[pos..pos + digits] {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or_else(|| "a number above 18446744073709551615".to_string())?;
    }
    Ok((n, pos + digits))
}
