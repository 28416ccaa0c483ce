//! Multi-touch attribution: which channels get credit for each conversion,
//! exactly to the cent, and the return on each channel's spend.
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
//!   ([`rules::journey_weights`]).
//!
//! # Models
//!
//! * Rule-based ([`rules`]): first touch, last touch (optionally skipping a
//!   "direct" channel), linear, time decay, position-based (40/20/40),
//!   U-shaped, W-shaped, full path, custom weights, with a lookback window.
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
//! use revops::attribution::{rules, PathRow, Attribution};
//! use revops::journey::Channels;
//! use revops::{Currency, Money};
//! use rust_decimal_macros::dec;
//!
//! let mut ch = Channels::new();
//! let (search, email) = (ch.intern_str("search")?, ch.intern_str("email")?);
//! let rows = [
//!     PathRow::new(vec![search, email, email], 3, Money::new(dec!(100.00), Currency::USD), 7),
//! ];
//! let linear = rules::attribute(&rows, rules::Rule::Linear, Currency::USD)?;
//! // Three touches, one of them search: search gets 1/3 of 100.00.
//! assert_eq!(linear.credit(search).unwrap().value.amount(), dec!(33.33));
//! assert_eq!(linear.credit(email).unwrap().value.amount(), dec!(66.67));
//! assert_eq!(linear.total_value()?.amount(), dec!(100.00));
//! # Ok::<(), revops::Error>(())
//! ```

pub mod markov;
pub mod roi;
pub mod rules;
pub mod shapley;

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::journey::{ChannelId, Channels};
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
/// [`Attribution::skipped`]; the rest of the input is still attributed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
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
pub struct Skipped {
    /// The row's index in the input slice.
    pub row: usize,
    /// Why it was left out.
    pub reason: SkipReason,
}

/// One channel's credit.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelCredit {
    /// The channel.
    pub channel: ChannelId,
    /// Credited conversions, exact to [`CONVERSION_SCALE`] decimals.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    pub conversions: Decimal,
    /// Credited value, exact: it carries the currency's minor unit, or the
    /// finer decimals of the input values when they have more (see
    /// [Exactness](self#exactness)).
    pub value: Money,
}

/// The result of an attribution model: every channel seen in a kept row
/// (zero credit included), in channel-id order.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Attribution {
    /// The currency of every credited value.
    pub currency: Currency,
    /// The credits, one per channel seen in a kept row.
    pub channels: Vec<ChannelCredit>,
    /// Rows that were left out, with the reason, in input order.
    pub skipped: Vec<Skipped>,
}

impl Attribution {
    /// The credit of `channel`, if it was seen.
    pub fn credit(&self, channel: ChannelId) -> Option<&ChannelCredit> {
        self.channels.iter().find(|c| c.channel == channel)
    }

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
    /// [`currency`](Attribution::currency) (possible only for a value built
    /// or deserialized by hand).
    pub fn total_value(&self) -> Result<Money> {
        Money::checked_sum(self.channels.iter().map(|c| c.value), self.currency)
    }

    /// The credits sorted by channel name, for reports.
    pub fn by_name<'a>(&'a self, channels: &'a Channels) -> Vec<(&'a str, &'a ChannelCredit)> {
        let mut v: Vec<(&str, &ChannelCredit)> = self
            .channels
            .iter()
            .map(|c| (channels.name(c.channel).unwrap_or("?"), c))
            .collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }
}

/// Maps the channel ids of an input to dense slots `0..n`, so that memory
/// follows the number of distinct channels, never the size of an id (a
/// deserialized id of 4,294,967,295 costs one slot, not 4 billion).
pub(crate) struct ChannelIndex {
    ids: Vec<ChannelId>,
    /// `direct[id] = slot + 1` when the ids are dense enough for a table.
    direct: Vec<u32>,
}

impl ChannelIndex {
    /// The index of every id in `all`, in one read (paths are scattered
    /// in memory, so each read of them costs).
    pub(crate) fn new(all: impl Iterator<Item = ChannelId>) -> ChannelIndex {
        /// Ids below this get a direct table (4 MiB at most).
        const DIRECT: usize = 1 << 20;
        let mut present: Vec<u32> = Vec::new();
        let mut large: Vec<ChannelId> = Vec::new();
        for c in all {
            let i = c.index();
            if i < DIRECT {
                if present.len() <= i {
                    present.resize((i + 1).max(present.len() * 2).min(DIRECT), 0);
                }
                present[i] = 1;
            } else {
                large.push(c);
            }
        }
        if large.is_empty() {
            let mut ids = Vec::new();
            for (i, d) in present.iter_mut().enumerate() {
                if *d != 0 {
                    ids.push(ChannelId(i as u32));
                    *d = ids.len() as u32;
                }
            }
            return ChannelIndex {
                ids,
                direct: present,
            };
        }
        large.sort_unstable();
        large.dedup();
        let mut ids: Vec<ChannelId> = (0..present.len())
            .filter(|&i| present[i] != 0)
            .map(|i| ChannelId(i as u32))
            .collect();
        ids.extend(large);
        ChannelIndex {
            ids,
            direct: Vec::new(),
        }
    }

    /// The slot of `id`; every id given to `new` has one.
    #[inline]
    pub(crate) fn slot(&self, id: ChannelId) -> Option<usize> {
        if self.direct.is_empty() {
            self.ids.binary_search(&id).ok()
        } else {
            match self.direct.get(id.index()) {
                Some(&s) if s > 0 => Some(s as usize - 1),
                _ => None,
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn id(&self, slot: usize) -> ChannelId {
        self.ids[slot]
    }
}

/// The number of decimals at which an attribution keeps values: the
/// currency's minor unit, or more when an input value has more (trailing
/// zeros ignored).
pub(crate) fn value_scale<'a>(
    currency: Currency,
    values: impl Iterator<Item = &'a Money>,
) -> Result<u32> {
    let exponent = currency.require_exponent("attribution")?;
    // Only a value with more decimals than the minor unit can raise the
    // scale, and then only by its significant ones (normalize is slow, so
    // it runs only there).
    Ok(values
        .filter(|m| m.currency() == currency && m.amount().scale() > exponent)
        .map(|m| m.amount().normalize().scale())
        .fold(exponent, u32::max))
}

fn missing_channel() -> Error {
    Error::invalid("attribution", "a channel id outside the input's index")
}

/// Accumulates exact per-channel credits in integer units: millionths of a
/// conversion and `10^-scale` of the currency.
pub(crate) struct Ledger {
    currency: Currency,
    scale: u32,
    index: ChannelIndex,
    seen: Vec<bool>,
    conv: Vec<i128>,
    value: Vec<i128>,
    skipped: Vec<Skipped>,
    scratch_conv: Vec<i128>,
    scratch_value: Vec<i128>,
}

impl Ledger {
    /// A ledger for the channels of `index`, keeping values at `scale`
    /// decimals (see [`value_scale`]).
    pub(crate) fn new(currency: Currency, scale: u32, index: ChannelIndex) -> Result<Ledger> {
        currency.require_exponent("attribution")?;
        let n = index.len();
        Ok(Ledger {
            currency,
            scale,
            index,
            seen: vec![false; n],
            conv: vec![0; n],
            value: vec![0; n],
            skipped: Vec::new(),
            scratch_conv: Vec::new(),
            scratch_value: Vec::new(),
        })
    }

    /// A ledger over the channels and values of `rows`.
    pub(crate) fn for_rows(rows: &[PathRow], currency: Currency) -> Result<Ledger> {
        let scale = value_scale(currency, rows.iter().map(|r| &r.value))?;
        let index = ChannelIndex::new(rows.iter().flat_map(|r| r.path.iter().copied()));
        Ledger::new(currency, scale, index)
    }

    pub(crate) fn index(&self) -> &ChannelIndex {
        &self.index
    }

    /// Marks every channel of `path` as seen (credit or not).
    pub(crate) fn see(&mut self, path: &[ChannelId]) -> Result<()> {
        for &c in path {
            let i = self.index.slot(c).ok_or_else(missing_channel)?;
            self.seen[i] = true;
        }
        Ok(())
    }

    /// The crate-wide rule for a row: an empty path, a value without
    /// conversions, a value in another currency or one too large to hold
    /// exactly makes the row skipped (listed, nothing of it used).
    /// Otherwise its channels are marked as seen and its value in units is
    /// returned.
    pub(crate) fn admit(&mut self, index: usize, row: &PathRow) -> Result<Option<i128>> {
        let reason = match row.skip_reason() {
            Some(reason) => reason,
            None => match self.units(&row.value) {
                Ok(v) => {
                    self.see(&row.path)?;
                    return Ok(Some(v));
                }
                Err(reason) => reason,
            },
        };
        self.skip(index, reason);
        Ok(None)
    }

    pub(crate) fn skip(&mut self, row: usize, reason: SkipReason) {
        self.skipped.push(Skipped { row, reason });
    }

    /// The value in units of `10^-scale`, or why it cannot be used.
    pub(crate) fn units(&self, value: &Money) -> std::result::Result<i128, SkipReason> {
        if value.currency() != self.currency {
            return Err(SkipReason::CurrencyMismatch);
        }
        let a = value.amount();
        let (m, s) = (a.mantissa(), a.scale());
        if s <= self.scale {
            crate::quantity::POW10
                .get((self.scale - s) as usize)
                .and_then(|&f| m.checked_mul(f as i128))
                .ok_or(SkipReason::ValueTooLarge)
        } else {
            // `value_scale` saw every value: the digits past `self.scale`
            // are trailing zeros.
            let f = crate::quantity::POW10[(s - self.scale) as usize] as i128;
            Ok(m / f)
        }
    }

    fn add_to(&mut self, c: ChannelId, conv: i128, value: i128) -> Result<()> {
        let i = self.index.slot(c).ok_or_else(missing_channel)?;
        self.seen[i] = true;
        self.conv[i] = self.conv[i]
            .checked_add(conv)
            .ok_or_else(|| Error::overflow("attribution: conversions"))?;
        self.value[i] = self.value[i]
            .checked_add(value)
            .ok_or_else(|| Error::overflow("attribution: value"))?;
        Ok(())
    }

    /// Splits `conversions` and `value_units` over `channels` by `weights`
    /// (integers, same length) and books the parts.
    pub(crate) fn book(
        &mut self,
        channels: &[ChannelId],
        weights: &[u64],
        conversions: u64,
        value_units: i128,
    ) -> Result<()> {
        let n = channels.len();
        let conv_units = i128::from(conversions) * CONVERSION_UNITS;
        // One touch takes everything (first, last touch): no split needed.
        let mut nonzero = weights.iter().enumerate().filter(|(_, &w)| w > 0);
        if let (Some((k, _)), None) = (nonzero.next(), nonzero.next()) {
            self.add_to(channels[k], conv_units, value_units)?;
            return self.see(channels);
        }
        self.scratch_conv.clear();
        self.scratch_conv.resize(n, 0);
        self.scratch_value.clear();
        self.scratch_value.resize(n, 0);
        crate::quantity::split_integer(conv_units, weights, &mut self.scratch_conv)?;
        crate::quantity::split_integer(value_units, weights, &mut self.scratch_value)?;
        for (k, &c) in channels.iter().enumerate() {
            let (cv, vv) = (self.scratch_conv[k], self.scratch_value[k]);
            self.add_to(c, cv, vv)?;
        }
        Ok(())
    }

    /// Books signed integer parts directly (already split exactly).
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

    pub(crate) fn finish(self) -> Result<Attribution> {
        let exponent = self.currency.require_exponent("attribution")?;
        let mut channels = Vec::new();
        for (i, seen) in self.seen.iter().enumerate() {
            if !seen {
                continue;
            }
            let conversions = Decimal::try_from_i128_with_scale(self.conv[i], CONVERSION_SCALE)
                .map_err(|_| Error::overflow("attribution: conversions"))?;
            let amount = units_to_decimal(self.value[i], self.scale, exponent)
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

/// `units × 10^-scale` as a `Decimal` with the fewest decimals, but at
/// least `min_scale`; `None` if it does not fit.
fn units_to_decimal(mut units: i128, mut scale: u32, min_scale: u32) -> Option<Decimal> {
    while scale > 0 && units % 10 == 0 {
        units /= 10;
        scale -= 1;
    }
    // Show at least the minor unit, as far as the mantissa allows.
    while scale < min_scale {
        match units.checked_mul(10) {
            Some(u) if Decimal::try_from_i128_with_scale(u, scale + 1).is_ok() => {
                units = u;
                scale += 1;
            }
            _ => break,
        }
    }
    Decimal::try_from_i128_with_scale(units, scale).ok()
}

/// Splits `total` into parts proportional to signed `weights` whose sum is
/// not zero, exactly: cumulative rounding (half to even) of the running
/// share, as [`split_integer`](crate::quantity::split_integer) does for
/// non-negative weights. Used for credits that can be negative.
pub(crate) fn split_signed(total: i128, weights: &[i128]) -> Result<Vec<i128>> {
    // total × running sum must fit in i128: the weights (fixed-point
    // images of real numbers) give up low bits when the total is large.
    let abs_sum = weights
        .iter()
        .try_fold(0u128, |a, &w| a.checked_add(w.unsigned_abs()))
        .ok_or_else(|| Error::overflow("attribution: weights"))?;
    let bits = |x: u128| 128 - x.leading_zeros();
    let excess = (bits(total.unsigned_abs()) + bits(abs_sum)).saturating_sub(126);
    let shifted: Vec<i128>;
    let weights = if excess > 0 {
        shifted = weights.iter().map(|&w| w >> excess).collect();
        &shifted[..]
    } else {
        weights
    };
    let sum: i128 = weights
        .iter()
        .try_fold(0i128, |a, &w| a.checked_add(w))
        .ok_or_else(|| Error::overflow("attribution: weights"))?;
    if sum == 0 {
        return Err(Error::InvalidWeights {
            reason: "the weights sum to zero".into(),
        });
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut running: i128 = 0;
    let mut prev: i128 = 0;
    for &w in weights {
        running = running
            .checked_add(w)
            .ok_or_else(|| Error::overflow("attribution: weights"))?;
        // round(total * running / sum), half to even, in i128 with checks.
        let num = total
            .checked_mul(running)
            .ok_or_else(|| Error::overflow("attribution: split"))?;
        let rounded = div_round_half_even(num, sum);
        out.push(rounded - prev);
        prev = rounded;
    }
    Ok(out)
}

fn div_round_half_even(num: i128, den: i128) -> i128 {
    let (mut q, mut r) = (num / den, num % den);
    // Make the remainder's sign follow the denominator's for comparison.
    if r != 0 && ((r < 0) != (den < 0)) {
        q -= 1;
        r += den;
    }
    // Now 0 <= r/den < 1: q = floor(num/den).
    let twice = r.unsigned_abs() * 2;
    let d = den.unsigned_abs();
    if twice > d || (twice == d && q % 2 != 0) {
        q + 1
    } else {
        q
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
