//! The channel ROI report: spend against attributed conversions and revenue.

use rust_decimal::Decimal;

use super::Report;
use crate::error::Result;
use crate::journey::Channel;
use crate::metrics::marketing;
use crate::quantity::{Change, Currency, FxRates, Money, Multiple, Ratio};

/// One channel's row of the ROI report.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RoiRow {
    /// The channel's name.
    pub channel: String,
    /// Spend in the report currency.
    pub spend: Money,
    /// Attributed conversions.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    pub conversions: Decimal,
    /// Attributed revenue in the report currency.
    pub revenue: Money,
    /// `(revenue − spend) / spend`; `None` without spend.
    pub roi: Option<Change>,
    /// `revenue / spend`; `None` without spend (or with negative revenue).
    pub roas: Option<Multiple>,
    /// `spend / conversions`, rounded half to even to the minor unit; `None`
    /// without conversions.
    pub cost_per_acquisition: Option<Money>,
    /// The channel's share of total attributed revenue; `None` when the
    /// total is not positive or the share is negative.
    pub revenue_share: Option<Ratio>,
}

/// The ROI report: one row per channel with spend or credit, sorted by
/// name, and the totals.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RoiReport {
    /// The rows.
    pub rows: Vec<RoiRow>,
    /// Total spend.
    pub total_spend: Money,
    /// Total attributed revenue.
    pub total_revenue: Money,
    /// Overall ROI; `None` without spend.
    pub total_roi: Option<Change>,
}

/// Builds the ROI report of an attribution [`Report`] against `spend` per
/// channel name. Channels with spend but no credit and with credit but no
/// spend are all shown. Amounts in other currencies are converted with
/// `fx` (rates into `currency`); without a rate they are an error, never a
/// silent sum.
///
/// # Errors
///
/// [`Error::CurrencyMismatch`](crate::Error::CurrencyMismatch) for an amount with no exchange rate;
/// [`Error::Overflow`](crate::Error::Overflow).
///
/// ```
/// use revops::attribution::{attribute, roi::roi_report, Records, Model, PathRow};
/// use revops::journey::{Channel, Channels};
/// use revops::quantity::FxRates;
/// use revops::{Currency, Money};
/// use revops::dec;
/// let usd = |a| Money::new(a, Currency::USD);
/// let mut ch = Channels::new();
/// let rows = [PathRow::new(vec![ch.intern_str("ads")?], 4, usd(dec!(1000)), 0)];
/// let report = attribute(Records::Paths { rows: &rows, channels: &ch }, &Model::LastTouch, Currency::USD)?;
/// let spend = [(Channel::new("ads")?, usd(dec!(250)))];
/// let r = roi_report(&report, &spend, Currency::USD, &FxRates::new(Currency::USD))?;
/// assert_eq!(r.rows[0].roi.unwrap().value(), dec!(3));
/// assert_eq!(r.rows[0].cost_per_acquisition.unwrap().amount(), dec!(62.50));
/// # Ok::<(), revops::Error>(())
/// ```
pub fn roi_report(
    report: &Report,
    spend: &[(Channel, Money)],
    currency: Currency,
    fx: &FxRates,
) -> Result<RoiReport> {
    let mut ids: Vec<&Channel> = report.channels.iter().map(|c| &c.channel).collect();
    ids.extend(spend.iter().map(|(c, _)| c));
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::with_capacity(ids.len());
    let mut total_spend = Money::zero(currency);
    let mut total_revenue = Money::zero(currency);
    let mut raw = Vec::new();
    for id in ids {
        let mut s = Money::zero(currency);
        for (_, m) in spend.iter().filter(|(c, _)| c == id) {
            s = s.checked_add(fx.convert(*m)?)?;
        }
        let (conv, rev) = match report.credit(id.as_str()) {
            Some(c) => (c.conversions, fx.convert(c.value)?),
            None => (Decimal::ZERO, Money::zero(currency)),
        };
        total_spend = total_spend.checked_add(s)?;
        total_revenue = total_revenue.checked_add(rev)?;
        raw.push((id, s, conv, rev));
    }
    for (id, s, conv, rev) in raw {
        let roi = if s.is_zero() {
            None
        } else {
            Some(marketing::marketing_roi(rev, s)?)
        };
        let roas = if s.is_zero() || rev.is_negative() {
            None
        } else {
            Some(marketing::return_on_ad_spend(rev, s)?)
        };
        let cpa = if conv > Decimal::ZERO {
            Some(
                s.checked_div(conv)?
                    .round(rust_decimal::RoundingStrategy::MidpointNearestEven)?,
            )
        } else {
            None
        };
        let share = if total_revenue.amount() > Decimal::ZERO {
            rev.ratio_to(total_revenue)
                .ok()
                .and_then(|q| Ratio::new(q).ok())
        } else {
            None
        };
        rows.push(RoiRow {
            channel: id.as_str().to_string(),
            spend: s,
            conversions: conv,
            revenue: rev,
            roi,
            roas,
            cost_per_acquisition: cpa,
            revenue_share: share,
        });
    }
    rows.sort_by(|a, b| a.channel.cmp(&b.channel));
    let total_roi = if total_spend.is_zero() {
        None
    } else {
        Some(marketing::marketing_roi(total_revenue, total_spend)?)
    };
    Ok(RoiReport {
        rows,
        total_spend,
        total_revenue,
        total_roi,
    })
}
