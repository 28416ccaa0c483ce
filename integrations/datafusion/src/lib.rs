//! revops' analyses as [Apache DataFusion] aggregate functions:
//! ClickHouse's `windowFunnel`, `retention`, `sequenceMatch` and
//! `sequenceCount`, the lifetime-value models' RFM summary, and exact
//! multi-touch attribution, for SQL users, on one machine or a distributed
//! DataFusion engine (Ballista).
//!
//! ```sql
//! -- How far each user got through visit -> signup -> buy within 7 days.
//! SELECT user_id, window_funnel(604800, ts, event = 'visit', event = 'signup', event = 'buy') AS level
//! FROM events GROUP BY user_id;
//!
//! -- With ClickHouse's modes, comma-separated.
//! SELECT user_id, window_funnel(604800, 'strict_order,strict_deduplication', ts,
//!                               event = 'visit', event = 'signup', event = 'buy') AS level
//! FROM events GROUP BY user_id;
//!
//! -- Day-0 users who came back on day 1 and on day 2.
//! SELECT user_id, retention(day = 0, day = 1, day = 2) AS r FROM events GROUP BY user_id;
//!
//! -- Pricing, then a trial within a day; and how many times.
//! SELECT user_id, sequence_match('(?1)(?t<=86400)(?2)', ts, event = 'pricing', event = 'trial'),
//!        sequence_count('(?1).*(?2)', ts, event = 'pricing', event = 'trial')
//! FROM events GROUP BY user_id;
//!
//! -- Frequency, recency, T (weeks) and mean repeat value per customer.
//! SELECT customer_id, rfm(day, amount, 'week', DATE '2026-03-31') AS s
//! FROM transactions GROUP BY customer_id;
//!
//! -- Each channel's exact credit, Markov removal effects.
//! SELECT unnest(markov_attribution(string_to_array(path, ' > '), total_conversions,
//!        CAST(total_conversion_value AS DECIMAL(18, 2)), total_null)) FROM paths;
//! ```
//!
//! Register them with [`register_all`] (a `SessionContext` is a
//! [`FunctionRegistry`]), take the shared instances from [`all_udafs`], or
//! build calls for the DataFrame API with [`expr_fn`].
//!
//! # Semantics
//!
//! Exactly revops', which are ClickHouse's for the funnel functions: each
//! function calls the library's own per-group code
//! ([`revops::funnel::RowLevels`], [`revops::funnel::Retention`],
//! [`revops::funnel::Sequence`], [`revops::clv::summarize`],
//! [`revops::attribution::attribute`]) on the rows of the group, whatever
//! partitions they came from. A row with a
//! NULL argument is skipped, as ClickHouse skips it; a group with no rows
//! left has level 0 (and retention all zeros).
//!
//! # Distributed
//!
//! The partial state of each group travels between the partial and final
//! aggregations (and between machines) as Arrow arrays (a flat `Binary`
//! column of packed rows for the row functions, lists for `rfm` and the
//! attribution functions), so any engine that
//! runs DataFusion plans can run these functions, provided every process
//! that executes plans has them registered: the scheduler and each
//! executor of a Ballista cluster (see the crate README).
//!
//! # Speed
//!
//! In one process, [`OnePhaseRowAggregates`] with
//! [`with_own_grouping`](OnePhaseRowAggregates::with_own_grouping) runs
//! `window_funnel` and the sequence functions grouped by a user id in
//! [`RowGroupsExec`], an operator of their own (about half the time of
//! DataFusion's hash aggregation with millions of users; not for plans a
//! cluster ships to its executors).
//!
//! [Apache DataFusion]: https://datafusion.apache.org

#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The README's Rust blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

use std::sync::{Arc, LazyLock};

use datafusion_common::Result;
use datafusion_expr::registry::FunctionRegistry;
use datafusion_expr::AggregateUDF;

mod arena;
mod args;
mod attribution;
pub mod expr_fn;
mod one_phase;
mod retention;
mod rfm;
mod row_groups;
mod rows;
mod sequence;
mod state;
mod window_funnel;

pub use attribution::{Attribution, MarkovAttribution};
pub use one_phase::OnePhaseRowAggregates;
pub use retention::Retention;
pub use rfm::Rfm;
pub use row_groups::RowGroupsExec;
pub use sequence::{SequenceCount, SequenceMatch};
pub use window_funnel::WindowFunnel;

macro_rules! shared_udaf {
    ($(#[$doc:meta])* $fn:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $fn() -> Arc<AggregateUDF> {
            static UDAF: LazyLock<Arc<AggregateUDF>> =
                LazyLock::new(|| Arc::new(AggregateUDF::from(<$ty>::new())));
            Arc::clone(&UDAF)
        }
    };
}

shared_udaf!(
    /// The shared instance of [`WindowFunnel`].
    window_funnel_udaf,
    WindowFunnel
);
shared_udaf!(
    /// The shared instance of [`Retention`].
    retention_udaf,
    Retention
);
shared_udaf!(
    /// The shared instance of [`Rfm`].
    rfm_udaf,
    Rfm
);
shared_udaf!(
    /// The shared instance of [`SequenceMatch`].
    sequence_match_udaf,
    SequenceMatch
);
shared_udaf!(
    /// The shared instance of [`SequenceCount`].
    sequence_count_udaf,
    SequenceCount
);
shared_udaf!(
    /// The shared instance of [`Attribution`].
    attribution_udaf,
    Attribution
);
shared_udaf!(
    /// The shared instance of [`MarkovAttribution`].
    markov_attribution_udaf,
    MarkovAttribution
);

/// Every revops aggregate function: `window_funnel`, `retention`, `rfm`,
/// `sequence_match`, `sequence_count`, `attribution` and
/// `markov_attribution` (the shared instances).
pub fn all_udafs() -> Vec<Arc<AggregateUDF>> {
    vec![
        window_funnel_udaf(),
        retention_udaf(),
        rfm_udaf(),
        sequence_match_udaf(),
        sequence_count_udaf(),
        attribution_udaf(),
        markov_attribution_udaf(),
    ]
}

/// Every revops aggregate function, as values (a Ballista function
/// registry takes them by name).
pub fn functions() -> Vec<AggregateUDF> {
    all_udafs().iter().map(|f| f.as_ref().clone()).collect()
}

/// Registers every revops aggregate function in `registry` (a
/// `SessionContext`, a `SessionState`, or a Ballista function registry).
///
/// # Errors
///
/// What the registry's `register_udaf` returns.
pub fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for f in all_udafs() {
        registry.register_udaf(f)?;
    }
    Ok(())
}
