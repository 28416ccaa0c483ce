//! Multi-touch attribution: which channels get credit for each conversion,
//! exactly to the cent, and the return on each channel's spend.
//!
//! | you have | call |
//! |---|---|
//! | journeys ([`Journey`](crate::journey::Journey)), a model by name (`"linear"`, `"markov:2"`, `"shapley"`) | [`attribute`]`(`[`Records::Journeys`]`, &model, currency)` → [`Report`] |
//! | path rows in ChannelAttribution's layout ([`PathRow`], channel ids of a [`Channels`] registry) | [`attribute`]`(`[`Records::Paths`]`, &model, currency)` → [`Report`] |
//! | a lookback window, the Markov transition matrix | [`attribute`]`(input, &model, `[`Options`]`)` |
//! | each touch's weight in one journey | [`Model::journey_weights`] |
//! | credits and each channel's spend | [`roi::roi_report`] |
//!
//! # Inputs
//!
//! * The compact form, [`PathRow`]: a path of [`ChannelId`]s with the number
//!   of journeys that followed it and converted (`conversions`), their total
//!   value, and the number that did not convert (`nulls`): the layout of
//!   ChannelAttribution's `path`, `total_conversions`,
//!   `total_conversion_value`, `total_null`.
//! * Journeys ([`Journey`](crate::journey::Journey)) with timestamps and
//!   milestones, for the models that need time or milestones
//!   ([`Model::needs_journeys`]).
//!
//! # Models
//!
//! * Rule-based: first touch, last touch (optionally skipping a "direct"
//!   channel), linear, time decay, position-based (40/20/40 or any
//!   shares), U-shaped, W-shaped, full path, custom weights per position.
//!   The first, last and linear rules match ChannelAttribution's
//!   `heuristic_models`. For the milestone rules, a milestone the journey
//!   does not mark is left out and the marked touches keep their own
//!   shares; when one touch marks several milestones its shares add up;
//!   when no other touch remains, the marked touches share everything in
//!   proportion to their shares.
//! * [`markov`]: Markov-chain removal effects of any order, computed exactly
//!   from the absorbing chain (the limit of ChannelAttribution's simulation).
//! * [`shapley`]: the simplified Shapley value (closed form) and the
//!   conversion-rate Shapley value (exact by subset sums up to 20 channels).
//!
//! # Exactness
//!
//! Every model produces weights; money is then split with the crate's exact
//! integer split ([`split_integer`](crate::quantity::split_integer), the
//! rule of [`Money::allocate`]), and conversions likewise in millionths of a
//! conversion ([`CONVERSION_SCALE`]). So each row's (rule models) or the
//! whole input's (data-driven models) credits add back **exactly** to its
//! conversions and value, and channel totals are exact sums.
//!
//! ```
//! use revops::attribution::{attribute, Records, Model, PathRow};
//! use revops::journey::Channels;
//! use revops::{Currency, Money};
//! use revops::dec;
//!
//! let mut ch = Channels::new();
//! let (search, email) = (ch.intern_str("search")?, ch.intern_str("email")?);
//! let rows = [
//!     PathRow::new(vec![search, email, email], 3, Money::new(dec!(100.00), Currency::USD), 7),
//! ];
//! let input = Records::Paths { rows: &rows, channels: &ch };
//! let linear = attribute(input, &Model::Linear, Currency::USD)?;
//! // Three touches, one of them search: search gets 1/3 of 100.00.
//! assert_eq!(linear.credit("search").unwrap().value.amount(), dec!(33.33));
//! assert_eq!(linear.credit("email").unwrap().value.amount(), dec!(66.67));
//! assert_eq!(linear.total_value()?.amount(), dec!(100.00));
//! # Ok::<(), revops::Error>(())
//! ```

mod entry;
pub mod markov;
mod model;
mod report;
pub mod roi;
mod rules;
pub mod shapley;

use rust_decimal::Decimal;

pub use entry::{attribute, Options, Records};
pub use markov::Transition;
pub use model::Model;
pub use report::{
    ChannelReport, Detail, MarkovDetail, RemovalEffect, Report, ShapleyDetail, ShapleyValue, Totals,
};

use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
use crate::quantity::exact::{own_units, rescale, units_to_decimal};
use crate::quantity::{Currency, Money};

/// Conversions are credited in millionths: a credit of `0.333333`
/// conversions is 333,333 units.
pub const CONVERSION_SCALE: u32 = 6;
const CONVERSION_UNITS: i128 = 1_000_000;

/// One row of the compact input: a path and what became of the journeys
/// that followed it.
///
/// # JSON form
///
/// `{"path": [0, 2, 1], "conversions": 3, "value": {"amount": "100", "currency": "USD"}, "nulls": 7}`
/// (channel ids of a [`Channels`] registry).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PathRow {
    /// The channels touched, in order (repeats allowed).
    pub path: Vec<ChannelId>,
    /// Journeys on this path that converted.
    pub conversions: u64,
    /// Their total conversion value.
    pub value: Money,
    /// Journeys on this path that did not convert.
    pub nulls: u64,
}

impl PathRow {
    /// A row.
    pub fn new(path: Vec<ChannelId>, conversions: u64, value: Money, nulls: u64) -> PathRow {
        PathRow {
            path,
            conversions,
            value,
            nulls,
        }
    }

    /// Why the crate-wide rule skips this row whatever the model, if it
    /// does: an empty path ([`SkipReason::EmptyPath`]) or a value without
    /// conversions ([`SkipReason::ValueWithoutConversions`]). (The currency
    /// and the size of the value are checked against the attribution.)
    pub fn skip_reason(&self) -> Option<SkipReason> {
        if self.path.is_empty() {
            Some(SkipReason::EmptyPath)
        } else if self.conversions == 0 && !self.value.is_zero() {
            Some(SkipReason::ValueWithoutConversions)
        } else {
            None
        }
    }

    /// Parses a ChannelAttribution path (`"search > email > email"`):
    /// channels separated by `>`, blanks around names ignored, empty names
    /// skipped (as ChannelAttribution does), interned in `channels`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a path with no channel.
    ///
    /// ```
    /// use revops::attribution::PathRow;
    /// use revops::journey::Channels;
    /// let mut ch = Channels::new();
    /// let p = PathRow::parse_path("search > email >  > email", &mut ch)?;
    /// assert_eq!(p.len(), 3);
    /// assert_eq!(ch.name(p[1]), Some("email"));
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn parse_path(text: &str, channels: &mut Channels) -> Result<Vec<ChannelId>> {
        let mut path = Vec::new();
        for part in text.split('>') {
            let name = part.trim();
            if !name.is_empty() {
                path.push(channels.intern_str(name)?);
            }
        }
        if path.is_empty() {
            return Err(Error::invalid(
                "attribution path",
                "the path has no channel",
            ));
        }
        Ok(path)
    }
}

/// Why a row (or journey) was left out of an attribution.
///
/// The rule is the same in every model: a row that cannot be credited
/// correctly is skipped whole (its channels, conversions, nulls and value
/// are not used) and listed with one of these reasons in
/// [`Report::skipped`]; the rest of the input is still attributed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum SkipReason {
    /// The path (or journey) has no touch: there is no one to credit.
    EmptyPath,
    /// The row carries a value but no conversion: a value belongs to
    /// conversions, so crediting it (or a refund) would move credit the
    /// wrong way.
    ValueWithoutConversions,
    /// The value is in another currency than the attribution's.
    CurrencyMismatch,
    /// The value, held exactly at the finest decimals of the input, does
    /// not fit the exact 128-bit ledger (about 1.7 × 10^38 units of the
    /// finest decimal).
    ValueTooLarge,
    /// The rule gives no touch any weight (a custom rule shorter than the
    /// path's first touch, for instance).
    NoWeight,
    /// No touch of the journey lies inside the lookback window.
    OutsideLookback,
}

impl SkipReason {
    /// A short, stable description (the same text as `Display`).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::EmptyPath => "the path has no channel",
            SkipReason::ValueWithoutConversions => "the row has a value but no conversion",
            SkipReason::CurrencyMismatch => "the value is in another currency",
            SkipReason::ValueTooLarge => {
                "the value is too large to keep exactly at the input's finest decimals"
            }
            SkipReason::NoWeight => "the rule gives no touch any weight",
            SkipReason::OutsideLookback => "no touch within the lookback window",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One input row (or journey) that an attribution left out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Skipped {
    /// The row's index in the input slice.
    pub row: usize,
    /// Why it was left out.
    pub reason: SkipReason,
}

/// One channel's credit, by id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct ChannelCredit {
    /// The channel.
    pub channel: ChannelId,
    /// Credited conversions, exact to [`CONVERSION_SCALE`] decimals.
    pub conversions: Decimal,
    /// Credited value, exact.
    pub value: Money,
}

/// The result of an attribution model by channel id: every channel seen in
/// a kept row (zero credit included), in channel-id order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Attribution {
    /// The currency of every credited value.
    pub currency: Currency,
    /// The credits, one per channel seen in a kept row.
    pub channels: Vec<ChannelCredit>,
    /// Rows that were left out, with the reason, in input order.
    pub skipped: Vec<Skipped>,
}

impl Attribution {
    /// The sum of credited conversions, exact.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the sum does not fit a `Decimal` (only
    /// conversions adding up past about 7.9 × 10^22 can cause it).
    pub fn total_conversions(&self) -> Result<Decimal> {
        self.channels.iter().try_fold(Decimal::ZERO, |a, c| {
            a.checked_add(c.conversions)
                .ok_or_else(|| Error::overflow("attribution: total conversions"))
        })
    }

    /// The sum of credited value, exact.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the sum does not fit a `Decimal`;
    /// [`Error::CurrencyMismatch`] if a credit is not in
    /// [`currency`](Attribution::currency).
    pub fn total_value(&self) -> Result<Money> {
        Money::checked_sum(self.channels.iter().map(|c| c.value), self.currency)
    }
}

/// Maps the channel ids of an input to dense slots `0..n`, so that memory
/// follows the number of distinct channels, never the size of an id (a
/// deserialized id of 4,294,967,295 costs one slot, not 4 billion).
///
/// Slots are given in order of first sight, as the input is read once
/// (paths are scattered in memory, so every extra read of them costs);
/// [`canonical`](ChannelIndex::canonical) renumbers them by id where an
/// order-independent numbering matters.
#[derive(Default)]
pub(crate) struct ChannelIndex {
    /// The id of each slot.
    ids: Vec<ChannelId>,
    /// `direct[id] = slot + 1` for ids below [`DIRECT`].
    direct: Vec<u32>,
    /// Slots of larger ids.
    large: std::collections::HashMap<u32, u32>,
}

/// Ids below this are found through a direct table (4 MiB at most).
const DIRECT: usize = 1 << 20;

impl ChannelIndex {
    /// The index of every id in `all`, numbered by id.
    pub(crate) fn new(all: impl Iterator<Item = ChannelId>) -> ChannelIndex {
        let mut index = ChannelIndex::default();
        for c in all {
            index.insert(c);
        }
        index.canonical();
        index
    }

    /// The slot of `id`, given a new one on first sight.
    #[inline]
    pub(crate) fn insert(&mut self, id: ChannelId) -> usize {
        let i = id.index();
        if let Some(&s) = self.direct.get(i) {
            if s != 0 {
                return s as usize - 1; // the common case: seen before
            }
        }
        let next = self.ids.len() as u32 + 1;
        let entry = if i < DIRECT {
            if self.direct.len() <= i {
                let len = (i + 1).max(self.direct.len() * 2).min(DIRECT);
                self.direct.resize(len, 0);
            }
            &mut self.direct[i]
        } else {
            self.large.entry(id.0).or_insert(0)
        };
        if *entry == 0 {
            *entry = next;
            self.ids.push(id);
        }
        *entry as usize - 1
    }

    /// Renumbers the slots in id order.
    pub(crate) fn canonical(&mut self) {
        self.ids.sort_unstable();
        for (slot, c) in self.ids.iter().enumerate() {
            let v = slot as u32 + 1;
            match self.direct.get_mut(c.index()) {
                Some(d) => *d = v,
                None => {
                    self.large.insert(c.0, v);
                }
            }
        }
    }

    /// The slot of `id`, if it has one.
    #[inline]
    pub(crate) fn slot(&self, id: ChannelId) -> Option<usize> {
        let s = match self.direct.get(id.index()) {
            Some(&s) => s,
            None => self.large.get(&id.0).copied().unwrap_or(0),
        };
        (s > 0).then(|| s as usize - 1)
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn id(&self, slot: usize) -> ChannelId {
        self.ids[slot]
    }
}

/// Accumulates exact per-channel credits in integer units: millionths of a
/// conversion and `10^-scale` of the currency.
///
/// **Per-value precision**: each row's value is split at its own precision
/// (the minor unit, or the value's own decimals when it has more), so a
/// row's credits depend on that row alone. The ledger keeps its sums at the
/// finest precision seen so far and raises it, exactly, when a finer value
/// arrives.
pub(crate) struct Ledger {
    currency: Currency,
    exponent: u32,
    scale: u32,
    index: ChannelIndex,
    seen: Vec<bool>,
    conv: Vec<i128>,
    value: Vec<i128>,
    /// The admitted rows' value at `scale`; `None` once it overflowed.
    total: Option<i128>,
    skipped: Vec<Skipped>,
    scratch_conv: Vec<i128>,
    scratch_value: Vec<i128>,
}

impl Ledger {
    /// An empty ledger in `currency`.
    ///
    /// # Errors
    ///
    /// [`Error::NoMinorUnit`] for a currency without minor unit.
    pub(crate) fn new(currency: Currency) -> Result<Ledger> {
        let exponent = currency.require_exponent("attribution")?;
        Ok(Ledger {
            currency,
            exponent,
            scale: exponent,
            index: ChannelIndex::default(),
            seen: Vec::new(),
            conv: Vec::new(),
            value: Vec::new(),
            total: Some(0),
            skipped: Vec::new(),
            scratch_conv: Vec::new(),
            scratch_value: Vec::new(),
        })
    }

    pub(crate) fn index(&self) -> &ChannelIndex {
        &self.index
    }

    /// The total value of the admitted rows, in the ledger's units.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if it does not fit the 128-bit ledger.
    pub(crate) fn total(&self) -> Result<i128> {
        self.total
            .ok_or_else(|| Error::overflow("attribution: total value"))
    }

    #[inline]
    fn slot(&mut self, c: ChannelId) -> usize {
        let i = self.index.insert(c);
        if i == self.seen.len() {
            self.seen.push(false);
            self.conv.push(0);
            self.value.push(0);
        }
        i
    }

    /// Marks every channel of `path` as seen (credit or not).
    pub(crate) fn see(&mut self, path: &[ChannelId]) {
        for &c in path {
            let i = self.slot(c);
            self.seen[i] = true;
        }
    }

    /// The crate-wide rule for a row: an empty path, a value without
    /// conversions, a value in another currency or one too large to hold
    /// exactly makes the row skipped (listed, nothing of it used).
    /// Otherwise its channels are marked as seen, its value is added to the
    /// total, and the value is returned as units at its own precision
    /// (units, decimals).
    pub(crate) fn admit(&mut self, index: usize, row: &PathRow) -> Option<(i128, u32)> {
        let reason = match row.skip_reason() {
            Some(reason) => reason,
            None => match self.value_units(&row.value) {
                Ok(v) => {
                    self.see(&row.path);
                    return Some(v);
                }
                Err(reason) => reason,
            },
        };
        self.skip(index, reason);
        None
    }

    pub(crate) fn skip(&mut self, row: usize, reason: SkipReason) {
        self.skipped.push(Skipped { row, reason });
    }

    /// A value as units at its own precision (units, decimals), the ledger
    /// raised to that precision and the value added to the total; or why it
    /// cannot be used.
    pub(crate) fn value_units(
        &mut self,
        value: &Money,
    ) -> std::result::Result<(i128, u32), SkipReason> {
        if value.currency() != self.currency {
            return Err(SkipReason::CurrencyMismatch);
        }
        if value.is_zero() {
            return Ok((0, self.exponent)); // most rows: nothing to convert
        }
        let (units, scale) =
            own_units(value.amount(), self.exponent).ok_or(SkipReason::ValueTooLarge)?;
        if scale > self.scale {
            self.raise(scale).ok_or(SkipReason::ValueTooLarge)?;
        }
        self.total = self
            .total
            .and_then(|t| t.checked_add(rescale(units, scale, self.scale)?));
        Ok((units, scale))
    }

    /// Raises the ledger to `scale` decimals, all or nothing.
    fn raise(&mut self, scale: u32) -> Option<()> {
        let value: Vec<i128> = self
            .value
            .iter()
            .map(|&v| rescale(v, self.scale, scale))
            .collect::<Option<_>>()?;
        self.value = value;
        self.total = self.total.and_then(|t| rescale(t, self.scale, scale));
        self.scale = scale;
        Some(())
    }

    #[inline]
    fn add_to(&mut self, c: ChannelId, conv: i128, value: i128) -> Result<()> {
        let i = self.slot(c);
        self.seen[i] = true;
        self.conv[i] = self.conv[i]
            .checked_add(conv)
            .ok_or_else(|| Error::overflow("attribution: conversions"))?;
        self.value[i] = self.value[i]
            .checked_add(value)
            .ok_or_else(|| Error::overflow("attribution: value"))?;
        Ok(())
    }

    /// Splits `conversions` and `value` (units at `value_scale` decimals,
    /// as [`admit`](Ledger::admit) gives them) over `channels` by `weights`
    /// (integers, same length) and books the parts. The caller has marked
    /// the row's channels as seen.
    pub(crate) fn book(
        &mut self,
        channels: &[ChannelId],
        weights: &[u64],
        conversions: u64,
        (value, value_scale): (i128, u32),
    ) -> Result<()> {
        let n = channels.len();
        let conv_units = i128::from(conversions) * CONVERSION_UNITS;
        let to = self.scale;
        let up = move |v: i128| {
            rescale(v, value_scale, to).ok_or_else(|| Error::overflow("attribution: value"))
        };
        // One touch takes everything (first, last touch): no split needed.
        let mut nonzero = weights.iter().enumerate().filter(|(_, &w)| w > 0);
        if let (Some((k, _)), None) = (nonzero.next(), nonzero.next()) {
            // (The caller has marked the other touches as seen.)
            let v = up(value)?;
            return self.add_to(channels[k], conv_units, v);
        }
        self.scratch_conv.clear();
        self.scratch_conv.resize(n, 0);
        self.scratch_value.clear();
        self.scratch_value.resize(n, 0);
        crate::quantity::split_integer(conv_units, weights, &mut self.scratch_conv)?;
        crate::quantity::split_integer(value, weights, &mut self.scratch_value)?;
        for (k, &c) in channels.iter().enumerate() {
            let (cv, vv) = (self.scratch_conv[k], up(self.scratch_value[k])?);
            self.add_to(c, cv, vv)?;
        }
        Ok(())
    }

    /// Books signed integer parts directly (already split exactly, values
    /// in the ledger's units).
    pub(crate) fn book_parts(
        &mut self,
        channels: &[ChannelId],
        conv: &[i128],
        value: &[i128],
    ) -> Result<()> {
        for (k, &c) in channels.iter().enumerate() {
            self.add_to(c, conv[k], value[k])?;
        }
        Ok(())
    }

    /// The credits of every seen channel, in channel-id order.
    pub(crate) fn finish(self) -> Result<Attribution> {
        let mut slots: Vec<usize> = (0..self.seen.len()).filter(|&i| self.seen[i]).collect();
        slots.sort_unstable_by_key(|&i| self.index.id(i));
        let mut channels = Vec::with_capacity(slots.len());
        for i in slots {
            let conversions = Decimal::try_from_i128_with_scale(self.conv[i], CONVERSION_SCALE)
                .map_err(|_| Error::overflow("attribution: conversions"))?;
            let amount = units_to_decimal(self.value[i], self.scale, self.exponent)
                .ok_or_else(|| Error::overflow("attribution: value"))?;
            channels.push(ChannelCredit {
                channel: self.index.id(i),
                conversions: conversions.normalize(),
                value: Money::new(amount, self.currency),
            });
        }
        Ok(Attribution {
            currency: self.currency,
            channels,
            skipped: self.skipped,
        })
    }
}

/// Turns non-negative real weights into integers with the same proportions
/// (to 2^-50 of the largest), for [`split_integer`](crate::quantity::split_integer).
pub(crate) fn float_weights(w: &[f64]) -> Vec<u64> {
    let max = w.iter().copied().fold(0.0f64, f64::max);
    if max <= 0.0 || !max.is_finite() {
        return vec![0; w.len()];
    }
    w.iter()
        .map(|&x| {
            if x > 0.0 && x.is_finite() {
                ((x / max) * (1u64 << 50) as f64).round() as u64
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
