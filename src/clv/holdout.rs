//! The calibration/holdout table analysts trust a model by: customers
//! grouped by what they did in the calibration period, each group's mean
//! predicted holdout purchases beside its mean actual ones.

use super::history::History;
use super::model::PurchaseModel;
use super::rfm::CalibrationHoldout;
use crate::error::{Error, Result};

/// One group of customers in a [`HoldoutTable`].
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct HoldoutRow {
    /// The group's least calibration value (frequency, or recency in
    /// periods).
    pub from: u64,
    /// Its greatest, inclusive; `None` for the last, open group (`k+`).
    pub to: Option<u64>,
    /// Customers in the group.
    pub customers: u64,
    /// Their mean expected purchases in the holdout, by the model.
    pub mean_predicted: f64,
    /// Their mean actual purchases (periods with one) in the holdout.
    pub mean_actual: f64,
}

/// Mean predicted against mean actual holdout purchases, by calibration
/// frequency and by calibration recency (`lifetimes`'
/// `plot_calibration_purchases_vs_holdout_purchases`, as numbers).
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct HoldoutTable {
    /// Customers counted.
    pub customers: u64,
    /// Their mean predicted holdout purchases.
    pub mean_predicted: f64,
    /// Their mean actual holdout purchases.
    pub mean_actual: f64,
    /// By calibration frequency: 0, 1, …, `k − 1` one by one, then `k`
    /// and more together.
    pub by_frequency: Vec<HoldoutRow>,
    /// By calibration recency (t_x, in periods), in buckets of equal
    /// width from 0 to the greatest recency.
    pub by_recency: Vec<HoldoutRow>,
}

/// One customer: calibration frequency and recency, predicted and actual
/// holdout purchases.
struct Scored {
    frequency: u64,
    recency: u64,
    predicted: f64,
    actual: f64,
}

/// The holdout table of `model` (fitted on the calibration period) over
/// `customers` ([`calibration_and_holdout`](super::calibration_and_holdout)):
/// each customer's prediction is
/// [`conditional_expected_purchases`](PurchaseModel::conditional_expected_purchases)
/// of their calibration history over their holdout's length; frequencies
/// `0 … k − 1` each a row and `k+` the last, recencies in
/// `recency_buckets` buckets of equal width. Groups without a customer
/// are left out.
///
/// ```
/// use revops::clv::{holdout_table, BgNbd, CalibrationHoldout, CustomerRfm};
/// let c = |id: &str, x, tx, t, holdout| CalibrationHoldout {
///     calibration: CustomerRfm { customer: id.to_string(), frequency: x, recency: tx, age: t, monetary_value: None },
///     holdout_frequency: holdout, holdout_monetary_value: None, holdout_duration: 26,
/// };
/// let customers = [c("a", 0, 0, 30, 0), c("b", 2, 20, 30, 1), c("c", 5, 29, 30, 3)];
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let table = holdout_table(&model, &customers, 2, 3)?;
/// // Frequency rows: 0, 1 (empty, left out), 2+.
/// assert_eq!(table.by_frequency.iter().map(|r| (r.from, r.to)).collect::<Vec<_>>(), [(0, Some(0)), (2, None)]);
/// assert_eq!(table.by_frequency[1].mean_actual, 2.0);
/// # Ok::<(), revops::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] for `k` or `recency_buckets` of 0, or a
/// customer whose summary breaks [`History`]'s rules or whose holdout is
/// negative; as the model's prediction.
pub fn holdout_table<M: PurchaseModel<History = History>, K>(
    model: &M,
    customers: &[CalibrationHoldout<K>],
    k: u64,
    recency_buckets: u64,
) -> Result<HoldoutTable> {
    const OP: &str = "holdout table";
    if k == 0 || recency_buckets == 0 {
        return Err(Error::invalid(
            OP,
            "the frequency groups and the recency buckets are at least 1",
        ));
    }
    let mut rows: Vec<Scored> = Vec::with_capacity(customers.len());
    for c in customers {
        if c.holdout_duration < 0 {
            return Err(Error::invalid(OP, "a holdout is shorter than 0 periods"));
        }
        let h = c.calibration.history()?;
        let predicted = model.conditional_expected_purchases(&h, c.holdout_duration as f64)?;
        rows.push(Scored {
            frequency: c.calibration.frequency,
            recency: c.calibration.recency.max(0) as u64,
            predicted,
            actual: c.holdout_frequency as f64,
        });
    }
    let max_recency = rows.iter().map(|r| r.recency).max().unwrap_or(0);
    // Width so that `recency_buckets` buckets of whole periods cover 0 to
    // the greatest recency.
    let width = (max_recency / recency_buckets + 1).max(1);
    let group = |key: &dyn Fn(&Scored) -> u64, bounds: &dyn Fn(u64) -> (u64, Option<u64>)| {
        let mut sums: std::collections::BTreeMap<u64, (u64, f64, f64)> = Default::default();
        for r in &rows {
            let e = sums.entry(key(r)).or_insert((0, 0.0, 0.0));
            e.0 += 1;
            e.1 += r.predicted;
            e.2 += r.actual;
        }
        sums.into_iter()
            .map(|(g, (n, p, a))| {
                let (from, to) = bounds(g);
                HoldoutRow {
                    from,
                    to,
                    customers: n,
                    mean_predicted: p / n as f64,
                    mean_actual: a / n as f64,
                }
            })
            .collect::<Vec<_>>()
    };
    let by_frequency = group(&|r| r.frequency.min(k), &|g| (g, (g < k).then_some(g)));
    let by_recency = group(&|r| r.recency / width, &|g| {
        (g * width, Some(g * width + width - 1))
    });
    let n = rows.len();
    let mean = |f: fn(&Scored) -> f64| {
        if n == 0 {
            0.0
        } else {
            rows.iter().map(f).sum::<f64>() / n as f64
        }
    };
    Ok(HoldoutTable {
        customers: n as u64,
        mean_predicted: mean(|r| r.predicted),
        mean_actual: mean(|r| r.actual),
        by_frequency,
        by_recency,
    })
}
