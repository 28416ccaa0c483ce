//! Money allocation: the hot path of attribution.
//!
//! Compares `Money::allocate_integer` and `Money::allocate` (decimal weights)
//! with a naive baseline that splits in `Decimal` arithmetic and fixes the
//! last part up, as code without an integer fast path would.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use revops::dec;
use revops::{Currency, Decimal, Money};

/// The baseline: each share computed with Decimal multiply/divide and
/// rounding, the remainder dumped on the last part.
fn naive_allocate(total: Money, weights: &[Decimal]) -> Vec<Money> {
    let sum: Decimal = weights.iter().copied().sum();
    let mut parts: Vec<Money> = weights
        .iter()
        .map(|w| {
            Money::new(
                (total.amount() * *w / sum)
                    .round_dp_with_strategy(2, revops::RoundingStrategy::ToZero),
                total.currency(),
            )
        })
        .collect();
    let handed: Decimal = parts.iter().map(|m| m.amount()).sum();
    if let Some(last) = parts.last_mut() {
        *last = Money::new(last.amount() + total.amount() - handed, total.currency());
    }
    parts
}

fn bench_allocate(c: &mut Criterion) {
    let total = Money::new(dec!(1234567.89), Currency::USD);
    let int_weights: [u64; 8] = [
        400_000, 50_000, 25_000, 25_000, 50_000, 25_000, 25_000, 400_000,
    ];
    let dec_weights: [Decimal; 8] = [
        dec!(0.4),
        dec!(0.05),
        dec!(0.025),
        dec!(0.025),
        dec!(0.05),
        dec!(0.025),
        dec!(0.025),
        dec!(0.4),
    ];
    let mut group = c.benchmark_group("allocate_8_weights");
    group.bench_function("integer_weights", |b| {
        b.iter(|| black_box(total).allocate_integer(black_box(&int_weights)))
    });
    group.bench_function("decimal_weights", |b| {
        b.iter(|| black_box(total).allocate(black_box(&dec_weights)))
    });
    group.bench_function("naive_decimal_baseline", |b| {
        b.iter(|| naive_allocate(black_box(total), black_box(&dec_weights)))
    });
    group.finish();
}

criterion_group!(benches, bench_allocate);
criterion_main!(benches);
