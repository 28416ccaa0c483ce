//! The ledger's arithmetic, and the compact form's channel ids at their
//! limits (ids no registry could hold, which only the internal functions
//! see: [`attribute`] refuses an id its registry does not name).

use super::*;
use crate::dec;

#[test]
fn float_weights_keep_proportions_at_any_magnitude() {
    for scale in [1e-9, 1.0, 1e6, 1e300] {
        let w = float_weights(&[scale, 2.0 * scale, 0.0, 4.0 * scale]);
        assert_eq!(w[3], 1 << 50, "the largest weight is 2^50");
        assert_eq!((w[0] * 4, w[1] * 2, w[2]), (w[3], w[3], 0), "{scale}");
    }
    assert_eq!(float_weights(&[0.0, -1.0]), vec![0, 0]);
    assert_eq!(float_weights(&[f64::INFINITY, 1.0]), vec![0, 0]);
}

#[test]
fn units_show_at_least_the_minor_unit() {
    // 2000 units of 10^-2 is "20.00", not "20".
    assert_eq!(units_to_decimal(2000, 2, 2).unwrap().to_string(), "20.00");
    assert_eq!(units_to_decimal(20, 0, 2).unwrap().to_string(), "20.00");
    assert_eq!(units_to_decimal(2005, 3, 2).unwrap().to_string(), "2.005");
    assert_eq!(units_to_decimal(7, 0, 0).unwrap().to_string(), "7");
}

fn usd(a: Decimal) -> Money {
    Money::new(a, Currency::USD)
}

/// Every model over rows with raw channel ids, as the internal functions
/// see them.
fn all_models(r: &[PathRow]) -> Vec<(String, Result<Attribution>)> {
    let mut out = vec![
        (
            "first".into(),
            rules::attribute(r, &rules::Rule::FirstTouch, Currency::USD),
        ),
        (
            "last".into(),
            rules::attribute(r, &rules::Rule::LastTouch, Currency::USD),
        ),
        (
            "linear".into(),
            rules::attribute(r, &rules::Rule::Linear, Currency::USD),
        ),
        ("shapley".into(), shapley::simplified(r, Currency::USD)),
        (
            "shapley_rate".into(),
            shapley::conversion_rate(r, Currency::USD).map(|(a, _)| a),
        ),
    ];
    for order in 1..=4 {
        out.push((
            format!("markov{order}"),
            markov::markov(r, order, Currency::USD).map(|m| m.attribution),
        ));
    }
    out
}

/// The class: every tuple of every length up to the order, over channel
/// sets of every size up to five with ids from 0 to u32::MAX, is its own
/// state of the Markov chain.
#[test]
fn markov_state_keys_are_injective_for_every_order_and_channel_count() {
    // Ids on both sides of every internal boundary: 16-bit, the direct
    // table's 2^20, and the largest.
    let pool = [0u32, 65_535, (1 << 20) - 1, 1 << 20, u32::MAX];
    for order in 1..=4usize {
        for k in 1..=pool.len() {
            let ids = &pool[..k];
            let mut tuples: Vec<Vec<u32>> = vec![Vec::new()];
            let mut all: Vec<Vec<u32>> = Vec::new();
            for _ in 0..order {
                tuples = tuples
                    .iter()
                    .flat_map(|t| {
                        ids.iter().map(move |&c| {
                            let mut t = t.clone();
                            t.push(c);
                            t
                        })
                    })
                    .collect();
                all.extend(tuples.iter().cloned());
            }
            // At order 1 a path of length 1 is a state; at order k every
            // path of length 1..=k is one state of its whole length.
            let rows: Vec<PathRow> = all
                .iter()
                .map(|t| {
                    PathRow::new(
                        t.iter().map(|&c| ChannelId(c)).collect(),
                        1,
                        usd(dec!(0)),
                        1,
                    )
                })
                .filter(|r| order > 1 || r.path.len() == 1)
                .collect();
            let m = markov::markov(&rows, order, Currency::USD).unwrap();
            assert_eq!(m.states, rows.len(), "order {order}, {k} channels");
            assert_eq!(m.attribution.channels.len(), k);
        }
    }
}

/// A channel id of 4,294,967,295 costs one slot, not 4 billion, in every
/// model.
#[test]
fn channel_ids_from_outside_cost_no_memory() {
    let rows = [PathRow::new(
        vec![ChannelId(u32::MAX), ChannelId(3)],
        2,
        usd(dec!(10)),
        1,
    )];
    for (model, a) in all_models(&rows) {
        let a = a.unwrap();
        assert_eq!(a.channels.len(), 2, "{model}");
        assert_eq!(a.total_value().unwrap(), usd(dec!(10)), "{model}");
    }
}
