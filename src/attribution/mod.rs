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
//! assert_eq!(linear.total_value().amount(), dec!(100.00));
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

/// One channel's credit.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelCredit {
    /// The channel.
    pub channel: ChannelId,
    /// Credited conversions, exact to [`CONVERSION_SCALE`] decimals.
    pub conversions: Decimal,
    /// Credited value, exact to the currency's minor unit.
    pub value: Money,
}

/// The result of an attribution model: every channel seen in the input
/// (zero credit included), in channel-id order.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Attribution {
    /// The currency of every credited value.
    pub currency: Currency,
    /// The credits, one per channel seen.
    pub channels: Vec<ChannelCredit>,
    /// Rows that could not be used, with the reason, by input index.
    pub skipped: Vec<(usize, String)>,
}

impl Attribution {
    /// The credit of `channel`, if it was seen.
    pub fn credit(&self, channel: ChannelId) -> Option<&ChannelCredit> {
        self.channels.iter().find(|c| c.channel == channel)
    }

    /// The sum of credited conversions.
    pub fn total_conversions(&self) -> Decimal {
        self.channels.iter().map(|c| c.conversions).sum()
    }

    /// The sum of credited value, exact. It is zero if the sum overflows a
    /// `Decimal`, which only inputs whose values add past `Decimal::MAX` can
    /// cause.
    pub fn total_value(&self) -> Money {
        Money::checked_sum(self.channels.iter().map(|c| c.value), self.currency)
            .unwrap_or(Money::zero(self.currency))
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

/// Accumulates exact per-channel credits in integer units.
pub(crate) struct Ledger {
    currency: Currency,
    exponent: u32,
    seen: Vec<bool>,
    conv: Vec<i128>,
    value: Vec<i128>,
    skipped: Vec<(usize, String)>,
    scratch_conv: Vec<i128>,
    scratch_value: Vec<i128>,
}

impl Ledger {
    pub(crate) fn new(currency: Currency) -> Result<Ledger> {
        let exponent = currency.require_exponent("attribution")?;
        Ok(Ledger {
            currency,
            exponent,
            seen: Vec::new(),
            conv: Vec::new(),
            value: Vec::new(),
            skipped: Vec::new(),
            scratch_conv: Vec::new(),
            scratch_value: Vec::new(),
        })
    }

    fn grow(&mut self, id: ChannelId) {
        let i = id.index();
        if self.seen.len() <= i {
            self.seen.resize(i + 1, false);
            self.conv.resize(i + 1, 0);
            self.value.resize(i + 1, 0);
        }
    }

    /// Marks every channel of `path` as seen (credit or not).
    pub(crate) fn see(&mut self, path: &[ChannelId]) {
        for &c in path {
            self.grow(c);
            self.seen[c.index()] = true;
        }
    }

    /// Marks the row's channels as seen and returns its value in minor
    /// units when there is something to credit; a row whose value cannot be
    /// used (another currency, finer than the minor unit) is skipped and
    /// listed with the reason.
    pub(crate) fn creditable(&mut self, index: usize, row: &PathRow) -> Option<i128> {
        self.see(&row.path);
        if row.conversions == 0 && row.value.is_zero() {
            return None;
        }
        match self.minor_units(&row.value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.skip(index, e.to_string());
                None
            }
        }
    }

    pub(crate) fn skip(&mut self, row: usize, reason: impl Into<String>) {
        self.skipped.push((row, reason.into()));
    }

    /// The row's value in minor units, checked against the currency.
    pub(crate) fn minor_units(&self, value: &Money) -> Result<i128> {
        if value.currency() != self.currency {
            return Err(Error::CurrencyMismatch {
                operation: "attribution".into(),
                left: self.currency,
                right: value.currency(),
            });
        }
        value.to_minor_units()
    }

    /// Splits `conversions` and `value_minor` over `channels` by `weights`
    /// (integers, same length) and books the parts.
    pub(crate) fn book(
        &mut self,
        channels: &[ChannelId],
        weights: &[u64],
        conversions: u64,
        value_minor: i128,
    ) -> Result<()> {
        let n = channels.len();
        // One touch takes everything (first, last touch): no split needed.
        let mut nonzero = weights.iter().enumerate().filter(|(_, &w)| w > 0);
        if let (Some((k, _)), None) = (nonzero.next(), nonzero.next()) {
            let c = channels[k];
            self.grow(c);
            let i = c.index();
            self.seen[i] = true;
            self.conv[i] += i128::from(conversions) * CONVERSION_UNITS;
            self.value[i] += value_minor;
            for &other in channels {
                self.grow(other);
                self.seen[other.index()] = true;
            }
            return Ok(());
        }
        self.scratch_conv.clear();
        self.scratch_conv.resize(n, 0);
        self.scratch_value.clear();
        self.scratch_value.resize(n, 0);
        let conv_units = i128::from(conversions) * CONVERSION_UNITS;
        crate::quantity::split_integer(conv_units, weights, &mut self.scratch_conv)?;
        crate::quantity::split_integer(value_minor, weights, &mut self.scratch_value)?;
        for (k, &c) in channels.iter().enumerate() {
            self.grow(c);
            let i = c.index();
            self.seen[i] = true;
            self.conv[i] += self.scratch_conv[k];
            self.value[i] += self.scratch_value[k];
        }
        Ok(())
    }

    /// Books signed integer parts directly (already split exactly).
    pub(crate) fn book_parts(&mut self, channels: &[ChannelId], conv: &[i128], value: &[i128]) {
        for (k, &c) in channels.iter().enumerate() {
            self.grow(c);
            let i = c.index();
            self.seen[i] = true;
            self.conv[i] += conv[k];
            self.value[i] += value[k];
        }
    }

    pub(crate) fn finish(self) -> Result<Attribution> {
        let mut channels = Vec::new();
        for (i, seen) in self.seen.iter().enumerate() {
            if !seen {
                continue;
            }
            let conversions = Decimal::try_from_i128_with_scale(self.conv[i], CONVERSION_SCALE)
                .map_err(|_| Error::overflow("attribution: conversions"))?;
            let amount = Decimal::try_from_i128_with_scale(self.value[i], self.exponent)
                .map_err(|_| Error::overflow("attribution: value"))?;
            channels.push(ChannelCredit {
                channel: ChannelId(i as u32),
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

/// Splits `total` into parts proportional to signed `weights` whose sum is
/// not zero, exactly: cumulative rounding (half to even) of the running
/// share, as [`split_integer`](crate::quantity::split_integer) does for
/// non-negative weights. Used for credits that can be negative.
pub(crate) fn split_signed(total: i128, weights: &[i128]) -> Result<Vec<i128>> {
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
        running += w;
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
