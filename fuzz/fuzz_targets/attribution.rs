//! Every attribution model on any rows: never a panic, and whenever a model
//! gives a result, its credits add back exactly to the conversions and the
//! value of the rows it kept, and every skipped row has its reason.

#![no_main]

#[path = "common.rs"]
mod common;

use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::attribution::{attribute, Records, Model, PathRow, Report};
use revops::journey::{ChannelId, Channels};
use revops::{Currency, Decimal, Money};

fn check(rows: &[PathRow], a: &Report, exact_rows: bool) {
    let skipped: Vec<usize> = a.skipped.iter().map(|s| s.row).collect();
    let kept = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| !skipped.contains(i))
        .map(|(_, r)| r);
    let mut conv = Decimal::ZERO;
    // The reference sum, exact: adding Decimals one at a time may need more
    // digits than a Decimal holds on the way (then there is no reference).
    let mut value = Some(Money::zero(a.currency));
    for r in kept {
        conv += Decimal::from(r.conversions);
        value = value.and_then(|v| v.checked_add(r.value).ok());
    }
    let value = value.map(|m| m.amount());
    if let (Ok(total), true) = (a.total_conversions(), exact_rows) {
        assert_eq!(total, conv);
    }
    if let (Ok(total), Some(v)) = (a.total_value(), value) {
        assert_eq!(total.amount(), v);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let channels = 1 + u32::from(b.u8() % 24);
    let mut rows = Vec::new();
    while !b.is_empty() && rows.len() < 300 {
        let len = usize::from(b.u8() % 7);
        let path: Vec<ChannelId> = (0..len)
            .map(|_| match b.u8() {
                255 => ChannelId(u32::MAX),
                x => ChannelId(u32::from(x) % channels),
            })
            .collect();
        let conversions = b.count();
        let value = if b.u8() % 3 == 0 { Decimal::ZERO } else { b.decimal() };
        let currency = if b.u8() == 7 { Currency::EUR } else { Currency::USD };
        rows.push(PathRow::new(path, conversions, Money::new(value, currency), b.count()));
    }
    let mut registry = Channels::new();
    for i in 0..channels {
        registry.intern_str(&format!("c{i}")).unwrap();
    }
    let input = Records::Paths {
        rows: &rows,
        channels: &registry,
    };
    let weights = (b.u8(), b.u8());
    let mut models = vec![
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::position_based(),
        Model::Shapley,
        Model::ShapleyRate,
        "last_non_direct:c0".parse().unwrap(),
        Model::Custom {
            weights: vec![Decimal::from(weights.0), Decimal::from(weights.1)],
        },
    ];
    models.extend((1..=4).map(|order| Model::Markov { order }));
    for model in &models {
        if let Ok(a) = attribute(input, model, Currency::USD) {
            check(&rows, &a, true);
        }
    }
});
