//! Every standard marketing, sales, customer and alignment metric, as a
//! typed function, and a machine-readable catalogue of them.
//!
//! * [`marketing`]: awareness, reach, clicks, cost per result, ROAS, ROI.
//! * [`sales`]: volume, revenue, win and close rates, deal size, cycle,
//!   pipeline velocity and coverage, quota attainment.
//! * [`customer`]: CAC, lifetime value, churn and retention, loyalty, NPS,
//!   CSAT, net and gross revenue retention, the magic number.
//! * [`alignment`]: how well the teams work together: MQL acceptance,
//!   speed to lead, SLA compliance, lead leakage, marketing-sourced share,
//!   and the change in cycle length and deal size against a baseline.
//!
//! Each function takes plain inputs (counts as `u64`, [`Money`](crate::Money),
//! [`Decimal`](crate::Decimal), [`TimeDelta`](crate::TimeDelta), [`Ratio`](crate::Ratio)) and returns a typed value inside
//! [`Result`]. Zero denominators, currency mismatches and
//! counts that contradict each other are errors, never NaN or a panic.
//! Each module's docs hold a table of its formulas.
//!
//! The [`Metric`] catalogue lists every metric with its stable id, name,
//! owner, unit, direction, formula, inputs and the [objectives](crate::objective::Objective)
//! it measures (the one place in revops that maps metrics to objectives),
//! and can evaluate any entry from typed arguments ([`Metric::evaluate`]),
//! or period by period into a trend line ([`MetricSeries`]).
//!
//! ```
//! use revops::metrics::{Arg, Metric, Value};
//!
//! let m = Metric::from_id("lead-to-sales conversion rate")?; // an alias
//! assert_eq!(m.id(), "lead_to_customer_rate");
//! let v = m.evaluate(&[Arg::Count(42), Arg::Count(300)])?;
//! assert_eq!(v.to_string(), "14%");
//! # Ok::<(), revops::Error>(())
//! ```

pub mod alignment;
mod args;
mod catalogue;
mod checks;
pub mod customer;
mod inputs;
pub mod marketing;
pub(crate) mod objectives;
pub mod sales;
mod series;

pub use crate::quantity::{Unit, Value};
pub use args::{Arg, ArgKind};
pub use catalogue::{Metric, MetricInfo};
pub use inputs::Input;
pub use series::{MetricSeries, SeriesPoint, SeriesValue};
