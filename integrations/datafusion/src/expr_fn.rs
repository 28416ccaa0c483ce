//! The functions as [`Expr`] builders for DataFusion's DataFrame API, as
//! DataFusion's own `functions_aggregate::expr_fn` offers its aggregates.
//!
//! ```
//! use datafusion_expr::{col, lit};
//! use revops_datafusion::expr_fn::{sequence_match, window_funnel};
//!
//! let level = window_funnel(
//!     lit(604_800),
//!     None,
//!     col("ts"),
//!     vec![col("event").eq(lit("visit")), col("event").eq(lit("buy"))],
//! );
//! let converted = sequence_match(
//!     lit("(?1)(?t<=86400)(?2)"),
//!     col("ts"),
//!     vec![col("event").eq(lit("pricing")), col("event").eq(lit("trial"))],
//! );
//! assert_eq!(level.schema_name().to_string().split('(').next(), Some("window_funnel"));
//! assert!(converted.schema_name().to_string().starts_with("sequence_match("));
//! // With a DataFrame: df.aggregate(vec![col("user_id")], vec![level.alias("level")])?
//! ```

use datafusion_expr::Expr;

use crate::{
    attribution_udaf, markov_attribution_udaf, retention_udaf, rfm_udaf, sequence_count_udaf,
    sequence_match_udaf, window_funnel_udaf,
};

/// `window_funnel(window, [modes,] ts, cond1, ..., condN)`
/// ([`WindowFunnel`](crate::WindowFunnel)).
pub fn window_funnel(window: Expr, modes: Option<Expr>, ts: Expr, conditions: Vec<Expr>) -> Expr {
    let mut args = vec![window];
    args.extend(modes);
    args.push(ts);
    args.extend(conditions);
    window_funnel_udaf().call(args)
}

/// `retention(cond1, ..., condN)` ([`Retention`](crate::Retention)).
pub fn retention(conditions: Vec<Expr>) -> Expr {
    retention_udaf().call(conditions)
}

/// `rfm(ts, amount, period, observation_end)` ([`Rfm`](crate::Rfm)).
pub fn rfm(ts: Expr, amount: Expr, period: Expr, observation_end: Expr) -> Expr {
    rfm_udaf().call(vec![ts, amount, period, observation_end])
}

/// `sequence_match(pattern, ts, cond1, ..., condN)`
/// ([`SequenceMatch`](crate::SequenceMatch)).
pub fn sequence_match(pattern: Expr, ts: Expr, conditions: Vec<Expr>) -> Expr {
    let mut args = vec![pattern, ts];
    args.extend(conditions);
    sequence_match_udaf().call(args)
}

/// `sequence_count(pattern, ts, cond1, ..., condN)`
/// ([`SequenceCount`](crate::SequenceCount)).
pub fn sequence_count(pattern: Expr, ts: Expr, conditions: Vec<Expr>) -> Expr {
    let mut args = vec![pattern, ts];
    args.extend(conditions);
    sequence_count_udaf().call(args)
}

/// `attribution(model, path, conversions, value, nulls)`
/// ([`Attribution`](crate::Attribution)).
pub fn attribution(model: Expr, path: Expr, conversions: Expr, value: Expr, nulls: Expr) -> Expr {
    attribution_udaf().call(vec![model, path, conversions, value, nulls])
}

/// `markov_attribution(path, conversions, value, nulls [, order])`
/// ([`MarkovAttribution`](crate::MarkovAttribution)).
pub fn markov_attribution(
    path: Expr,
    conversions: Expr,
    value: Expr,
    nulls: Expr,
    order: Option<Expr>,
) -> Expr {
    let mut args = vec![path, conversions, value, nulls];
    args.extend(order);
    markov_attribution_udaf().call(args)
}
