//! The checks every metric shares: sums of counts, signs of amounts, an
//! amount per count.

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::quantity::Money;

/// Sums counts with overflow checking.
pub(crate) fn checked_count_sum(counts: &[u64], metric: &'static str) -> Result<u64> {
    counts.iter().try_fold(0u64, |acc, &c| {
        acc.checked_add(c).ok_or_else(|| Error::overflow(metric))
    })
}

/// Refuses a negative amount.
pub(crate) fn non_negative(m: Money, metric: &'static str, what: &'static str) -> Result<()> {
    if m.is_negative() {
        return Err(Error::out_of_range(
            format!("{metric}: {what}"),
            m,
            "[0, ∞)",
        ));
    }
    Ok(())
}

/// `amount / count` for a non-negative amount and a positive count.
pub(crate) fn money_per(
    amount: Money,
    count: u64,
    metric: &'static str,
    count_label: &'static str,
) -> Result<Money> {
    non_negative(amount, metric, "amount")?;
    if count == 0 {
        return Err(Error::zero(metric, count_label));
    }
    amount.checked_div(Decimal::from(count))
}
