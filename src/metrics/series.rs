//! A metric over time: the same catalogue metric evaluated period by
//! period, so that a dashboard draws its trend line.

use std::collections::BTreeMap;

use super::{Arg, Metric};
use crate::quantity::Value;

/// One period's named inputs of a [`MetricSeries`].
///
/// JSON: `{"period": "2026-03", "inputs": {"won": {"count": 18}, "lost":
/// {"count": 27}}}` (inputs by name, each an [`Arg`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct SeriesPoint {
    /// The period's label (a month `2026-03`, a week's first day, any text).
    pub period: String,
    /// The metric's inputs for the period, by name.
    pub inputs: BTreeMap<String, Arg>,
}

/// A catalogue metric and its inputs per period, in order.
///
/// JSON: `{"metric": "win_rate", "points": [...]}`.
///
/// ```
/// use revops::metrics::{Arg, Metric, MetricSeries, SeriesPoint};
/// let point = |period: &str, won, lost| SeriesPoint {
///     period: period.into(),
///     inputs: [("won".to_string(), Arg::Count(won)), ("lost".to_string(), Arg::Count(lost))].into(),
/// };
/// let series = MetricSeries {
///     metric: Metric::WinRate,
///     points: vec![point("2026-01", 18, 27), point("2026-02", 0, 0), point("2026-03", 30, 20)],
/// };
/// let line = series.evaluate();
/// assert_eq!(line[0].value.unwrap().to_string(), "40%");
/// // A period whose figure cannot be computed says why, and the line goes on.
/// assert!(line[1].value.is_none() && line[1].error.is_some());
/// assert_eq!(line[2].value.unwrap().to_string(), "60%");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct MetricSeries {
    /// The metric.
    pub metric: Metric,
    /// The inputs, period by period.
    pub points: Vec<SeriesPoint>,
}

/// One period's value of a [`MetricSeries`]: the value, or why there is
/// none (a zero denominator, a missing input...).
///
/// JSON: `{"period": "2026-03", "value": {"unit": "ratio", "value":
/// "0.6"}, "error": null}`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SeriesValue {
    /// The period's label.
    pub period: String,
    /// The metric's value, if it could be computed.
    pub value: Option<Value>,
    /// Why not, otherwise.
    pub error: Option<String>,
}

impl MetricSeries {
    /// The metric's value in each period, in order
    /// ([`Metric::evaluate_named`] per period).
    pub fn evaluate(&self) -> Vec<SeriesValue> {
        self.points
            .iter()
            .map(|p| {
                let r = self
                    .metric
                    .evaluate_named(p.inputs.iter().map(|(k, v)| (k.as_str(), v.clone())));
                SeriesValue {
                    period: p.period.clone(),
                    value: r.as_ref().ok().copied(),
                    error: r.err().map(|e| e.to_string()),
                }
            })
            .collect()
    }
}
