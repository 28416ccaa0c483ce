//! The merge laws of the partial-state protocol ([`revops::Aggregate`]),
//! checked the same way for every state: included by the test files of
//! each analysis (`mod laws;`).

use std::fmt::Debug;

use revops::Aggregate;

/// For inputs cut into parts at `cuts` (positions into `inputs`, any
/// order, out-of-range ones ignored): each part's state, sent through its
/// JSON form, reads back to the same JSON; the parts merged in order finish into the
/// report of the whole; merging is associative (left and right folds
/// agree) and an empty state is its identity.
///
/// `add` adds a slice of inputs to a state (an input is whatever a
/// partition must hold whole: a deal, or a user's events).
pub fn merge_law<T, S, R>(
    inputs: &[T],
    cuts: &[usize],
    new: impl Fn() -> S,
    add: impl Fn(&mut S, &[T]),
    finish: impl Fn(S) -> R,
) where
    S: Aggregate + Clone,
    R: PartialEq + Debug,
{
    let mut whole = new();
    add(&mut whole, inputs);
    let want = finish(whole);

    let mut at: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| c <= inputs.len())
        .collect();
    at.push(0);
    at.push(inputs.len());
    at.sort_unstable();
    at.dedup();
    let parts: Vec<S> = at
        .windows(2)
        .map(|w| {
            let mut s = new();
            add(&mut s, &inputs[w[0]..w[1]]);
            // Equal as shipped: the JSON of the state read back is the JSON
            // sent (a state may lay out its slots differently in memory).
            let json = serde_json::to_string(&s).expect("a state serializes");
            let back: S = serde_json::from_str(&json).expect("a state reads back");
            let again = serde_json::to_string(&back).expect("a state serializes");
            assert_eq!(again, json, "a state does not read back to itself");
            back
        })
        .collect();

    // Left fold, from an empty state (the identity).
    let mut left = new();
    for p in &parts {
        left.merge(p).expect("states of one spec merge");
    }
    // Right fold: the last part first, each earlier part merged with it.
    let mut right: Option<S> = None;
    for p in parts.iter().rev() {
        let mut acc = p.clone();
        if let Some(r) = right {
            acc.merge(&r).expect("states of one spec merge");
        }
        right = Some(acc);
    }
    let right = right.unwrap_or_else(&new);
    assert_eq!(finish(left), want, "the merged parts differ from the whole");
    assert_eq!(finish(right), want, "merging is not associative here");
}
