//! Attributing path rows in the tests: a registry of numbered channels and
//! the entry point in USD, shared by the test files that use them
//! (`mod paths;`).

use revops::attribution::{attribute, Model, Options, PathRow, Records, Report};
use revops::journey::Channels;
use revops::{Currency, Error};

/// A registry of `n` channels: id `k` is `ck`.
pub fn registry_of(n: u32) -> Channels {
    let mut ch = Channels::new();
    for k in 0..n {
        ch.intern_str(&format!("c{k}")).unwrap();
    }
    ch
}

/// Attributes path rows whose channels `ch` names, in USD.
pub fn run(r: &[PathRow], ch: &Channels, model: &Model) -> Result<Report, Error> {
    attribute(
        Records::Paths {
            rows: r,
            channels: ch,
        },
        model,
        Currency::USD,
    )
}

/// The Markov model of order `order` on path rows.
pub fn markov(r: &[PathRow], ch: &Channels, order: usize) -> Result<Report, Error> {
    run(r, ch, &Model::Markov { order })
}

/// The Markov model of order `order`, its transition matrix listed.
pub fn markov_with_transitions(r: &[PathRow], ch: &Channels, order: usize) -> Report {
    let records = Records::Paths {
        rows: r,
        channels: ch,
    };
    let with = Options::new(Currency::USD).with_transitions();
    attribute(records, &Model::Markov { order }, with).unwrap()
}
