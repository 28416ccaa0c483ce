//! Money arithmetic and allocation on any amounts, currencies and weights:
//! never a panic; two currencies never combine; allocations add back
//! exactly; sums are exact or an error.

#![no_main]

#[path = "common.rs"]
mod common;

use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::quantity::split_integer;
use revops::{Currency, Decimal, Money};

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let currencies = [Currency::USD, Currency::EUR, Currency::JPY, Currency::BHD];
    let cur = |b: &mut Bytes| currencies[usize::from(b.u8() % 4)];
    let x = Money::new(b.decimal(), cur(&mut b));
    let y = Money::new(b.decimal(), cur(&mut b));
    for r in [x.checked_add(y), x.checked_sub(y)] {
        match r {
            Ok(m) => {
                assert_eq!(x.currency(), y.currency());
                assert_eq!(m.currency(), x.currency());
            }
            Err(_) => {}
        }
    }
    if x.currency() == y.currency() {
        if let Ok(s) = x.checked_add(y) {
            // Exact: subtracting gives the operand back.
            assert_eq!(s.checked_sub(y).map(|m| m.amount()), Ok(x.amount()));
        }
    }
    let _ = x.checked_mul(b.decimal());
    let _ = x.checked_div(b.decimal());
    let _ = x.round(rust_decimal_round());
    let weights: Vec<Decimal> = (0..b.u8() % 9).map(|_| b.decimal()).collect();
    if let Ok(parts) = x.allocate(&weights) {
        assert_eq!(parts.len(), weights.len());
        let total = Money::checked_sum(parts, x.currency()).unwrap();
        assert_eq!(total.amount(), x.amount());
    }
    let iw: Vec<u64> = (0..b.u8() % 9).map(|_| b.count()).collect();
    let total = i128::from(b.u64() as i64) * i128::from(b.u32());
    let mut out = vec![0i128; iw.len()];
    if split_integer(total, &iw, &mut out).is_ok() {
        assert_eq!(out.iter().sum::<i128>(), total);
    }
});

fn rust_decimal_round() -> revops::RoundingStrategy {
    revops::RoundingStrategy::MidpointNearestEven
}
