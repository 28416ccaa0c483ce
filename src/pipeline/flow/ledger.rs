//! Sums of amounts per slot and currency, exact, converted once per
//! currency at the end.

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::quantity::exact::{self, UnitSum};
use crate::quantity::{Currency, FxRates, Money};

/// `slots` exact sums per currency seen.
pub(super) struct Ledger {
    slots: usize,
    currencies: Vec<Currency>,
    sums: Vec<UnitSum>,
    last: usize,
}

impl Ledger {
    pub(super) fn new(slots: usize) -> Ledger {
        Ledger {
            slots,
            currencies: Vec::new(),
            sums: Vec::new(),
            last: 0,
        }
    }

    /// Adds `amount` (not negative) of `currency` to `slot`.
    #[inline]
    pub(super) fn add(&mut self, slot: usize, currency: Currency, amount: Decimal) -> Result<()> {
        if self.currencies.get(self.last) != Some(&currency) {
            self.last = match self.currencies.iter().position(|&c| c == currency) {
                Some(k) => k,
                None => {
                    self.currencies.push(currency);
                    self.sums
                        .extend(std::iter::repeat(UnitSum::default()).take(self.slots));
                    self.currencies.len() - 1
                }
            };
        }
        self.sums[self.last * self.slots + slot]
            .add(amount)
            .ok_or_else(|| Error::overflow("pipeline flow: a sum past 38 digits"))
    }

    /// The sum of `slot` in `fx`'s currency, each currency's sum
    /// converted at its rate and added in the order of the currency codes
    /// (not the order the rows came in: an exact sum that fails part way
    /// fails for every order of the rows).
    pub(super) fn total(&self, slot: usize, fx: &FxRates) -> Result<Money> {
        let mut order: Vec<(Currency, usize)> = self
            .currencies
            .iter()
            .enumerate()
            .map(|(k, &c)| (c, k))
            .collect();
        order.sort_unstable();
        let mut total = Decimal::ZERO;
        for (c, k) in order {
            let sum = self.sums[k * self.slots + slot]
                .value(0)
                .ok_or_else(|| Error::overflow("pipeline flow: a sum past a Decimal"))?;
            if sum.is_zero() {
                continue;
            }
            let v = fx.convert(Money::new(sum, c))?;
            total = exact::add_or_why(total, v.amount(), "pipeline flow")?;
        }
        Ok(Money::new(total, fx.target()))
    }
}
