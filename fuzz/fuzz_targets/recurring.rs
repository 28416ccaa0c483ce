//! Recurring revenue on any monthly rows and subscriptions: never a panic
//! (hostile amounts, months far apart, dates at chrono's ends); when the
//! report is computed, every month's movements add up exactly and each
//! month opens at the last one's close; splitting the inputs and merging
//! the states gives the same report.

#![no_main]

#[path = "common.rs"]
mod common;

use chrono::{NaiveDate, TimeDelta};
use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::quantity::{BillingInterval, FxRates, Month};
use revops::recurring::{MrrSpec, MrrState, Subscription};
use revops::{Currency, Decimal, Money};

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let mut fx = FxRates::new(Currency::USD);
    let _ = fx.set(Currency::EUR, b.decimal());
    let mut spec = MrrSpec::with_fx(fx);
    if b.u8() % 4 == 0 {
        if let Some(m) = Month::from_index(24_000 + i32::from(b.u16() % 2_000)) {
            spec = spec.through(m);
        }
    }
    let (mut whole, mut left, mut right) = (
        MrrState::new(spec.clone()),
        MrrState::new(spec.clone()),
        MrrState::new(spec),
    );
    let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut n = 0;
    while !b.is_empty() && n < 300 {
        n += 1;
        let customer = format!("c{}", b.u8() % 6);
        let currency = if b.u8() % 5 == 0 { Currency::EUR } else { Currency::USD };
        let amount = Money::new(b.decimal(), currency);
        let side = b.u8() % 2 == 0;
        let results: Vec<bool> = if b.u8() % 2 == 0 {
            let month = match b.u8() % 8 {
                0 => Month::MIN,
                1 => Month::MAX,
                _ => Month::from_index(24_300 + i32::from(b.u8() % 40)).unwrap(),
            };
            let mut r = vec![whole.add_month(&customer, month, amount).is_ok()];
            let part = if side { &mut left } else { &mut right };
            r.push(part.add_month(&customer, month, amount).is_ok());
            r
        } else {
            let start = match b.u8() % 10 {
                0 => NaiveDate::MIN,
                1 => NaiveDate::MAX,
                _ => day0 + TimeDelta::days(i64::from(b.u16() % 1_500)),
            };
            let end = match b.u8() % 3 {
                0 => None,
                _ => start.checked_add_signed(TimeDelta::days(i64::from(b.u16() % 800))),
            };
            let interval = [
                BillingInterval::Week,
                BillingInterval::Month,
                BillingInterval::Quarter,
                BillingInterval::Year,
            ][usize::from(b.u8() % 4)];
            let Ok(s) = Subscription::new(&customer, start, end, amount, interval) else {
                continue;
            };
            let mut r = vec![whole.add_subscription(&s).is_ok()];
            let part = if side { &mut left } else { &mut right };
            r.push(part.add_subscription(&s).is_ok());
            r
        };
        assert_eq!(results[0], results[1], "an input is refused by one state only");
    }
    if left.merge(&right).is_err() {
        return;
    }
    let (a, c) = (whole.finish(), left.finish());
    match (&a, &c) {
        (Ok(r), Ok(m)) => {
            assert_eq!(r, m, "merged states give another report");
            let mut close = Decimal::ZERO;
            // The check's own sums are `Decimal`'s (which round past 28
            // digits): only where every figure is short enough to sum
            // exactly.
            let short = |d: Decimal| d.mantissa().unsigned_abs() < 10u128.pow(20);
            for x in &r.months {
                assert_eq!(x.opening_mrr.amount(), close);
                close = x.mrr.amount();
                let all = [x.opening_mrr, x.new, x.expansion, x.reactivation, x.contraction, x.churned, x.mrr];
                if !all.iter().all(|m| short(m.amount()) && m.amount().scale() <= 8) {
                    continue;
                }
                let sum = [x.new, x.expansion, x.reactivation]
                    .iter()
                    .try_fold(x.opening_mrr.amount(), |s, v| s.checked_add(v.amount()))
                    .and_then(|s| s.checked_sub(x.contraction.amount()))
                    .and_then(|s| s.checked_sub(x.churned.amount()));
                if let Some(sum) = sum {
                    assert_eq!(sum, x.mrr.amount(), "{}: the movements do not add up", x.month);
                }
            }
        }
        (Err(_), Err(_)) => {}
        _ => panic!("the whole and the merged states disagree on an error: {a:?} / {c:?}"),
    }
});
