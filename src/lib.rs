//! # revops: marketing and sales, in types
//!
//! Marketing creates awareness and demand; sales turns that demand into
//! closed deals and revenue. revops is a pure Rust library (no I/O, no
//! global state) that models both halves of that work and computes their
//! numbers exactly: money in [`rust_decimal::Decimal`] with its currency,
//! rates that cannot exceed 100%, and errors instead of panics.
//!
//! ```
//! use revops::{Currency, Money, Ratio};
//! use revops::dec;
//!
//! // Marketing: a campaign brought 2,000 visitors and 80 leads for 1,200 USD.
//! let spend = Money::new(dec!(1200), Currency::USD);
//! let visitor_to_lead = Ratio::from_counts(80, 2000)?;
//! let cost_per_lead = spend.checked_div(dec!(80))?;
//! assert_eq!(visitor_to_lead.to_string(), "4%");
//! assert_eq!(cost_per_lead.to_string(), "15.00 USD");
//!
//! // Sales: 12 of those leads bought; the revenue is credited across the
//! // three channels that touched them, exactly to the cent.
//! let revenue = Money::new(dec!(5000.00), Currency::USD);
//! let credit = revenue.allocate(&[dec!(0.4), dec!(0.2), dec!(0.4)])?;
//! assert_eq!(Money::checked_sum(credit, Currency::USD)?, revenue);
//! # Ok::<(), revops::Error>(())
//! ```
//!
//! # Overview
//!
//! Data flows one way, from typed values up to analyses:
//!
//! * [`quantity`]: the typed values everything else is built from:
//!   [`Money`] and [`Currency`], [`Ratio`] (in [0, 1]), [`Multiple`]
//!   (in [0, ∞)), [`Change`] (signed), [`Period`], [`Nps`], explicit
//!   [`FxRates`](quantity::FxRates), and the exact
//!   [`Distribution`](quantity::Distribution) used for medians.
//! * [`journey`]: the two teams and who owns what, the marketing-vs-sales
//!   comparison as data, the stages of the customer journey, a company's own
//!   funnel, the lead lifecycle and its hand-off, channels, touchpoints and
//!   journeys.
//! * [`objective`]: the objectives of each team, goals with targets, pacing
//!   and projections, and scorecards that flag goals pulling against each
//!   other.
//! * [`metrics`]: every standard marketing, sales, customer and alignment
//!   metric as a typed function, and the [`Metric`](metrics::Metric)
//!   catalogue.
//! * [`funnel`]: ordered, windowed funnels over event streams with the
//!   semantics of ClickHouse's `windowFunnel`, time to convert and an entry
//!   channel breakdown.
//! * [`attribution`]: rule-based, Markov and Shapley attribution, exact to
//!   the cent, and the channel ROI report.
//! * [`pipeline`]: the sales pipeline from CRM deals (forecast roll-up,
//!   velocity, quota pacing), the marketing-to-sales hand-off, and the
//!   pipeline's movement between weekly CRM snapshots
//!   ([`pipeline::flow`]: the waterfall, slippage, stage durations and
//!   forecast accuracy).
//! * [`clv`]: customer lifetime value: transactions to RFM, the BG/NBD,
//!   MBG/NBD, Pareto/NBD and Gamma-Gamma models, discounted CLV.
//! * [`playbook`]: the common questions about marketing and sales as typed
//!   decisions.
//! * [`Error`] and [`Result`]: one error type for the whole crate.
//!
//! The analyses keep a mergeable partial state (`FunnelState`,
//! `PipelineState`, `HandoffState`): compute it per partition, `merge`, then
//! `finish`; the result equals the analysis of the whole input.
//!
//! # Recipes
//!
//! * Any metric by name, from a service or a config file:
//!   [`Metric::from_id`](metrics::Metric::from_id) (`"win_rate"`), then
//!   [`Metric::evaluate_named`](metrics::Metric::evaluate_named) with its
//!   inputs by name ([`Metric::inputs`](metrics::Metric::inputs) lists
//!   them); or each metric as a plain function,
//!   [`metrics::marketing::return_on_ad_spend`] for one.
//! * Which channels deserve the credit? [`attribution::attribute`] over
//!   journeys or ChannelAttribution's path rows, with a
//!   [`Model`](attribution::Model) by name (`"markov:2"`, `"shapley"`,
//!   `"position_based"`), then [`attribution::roi::roi_report`].
//! * Where do prospects drop off? [`funnel::FunnelInput`] over your own
//!   user ids, step names and channel names, then
//!   [`FunnelInput::analyze`](funnel::FunnelInput::analyze): ClickHouse's
//!   `windowFunnel`, in every mode.
//! * Will sales make the quota? Deals from
//!   [`Deal::builder`](pipeline::Deal::builder), then
//!   [`pipeline::report`] with a quota, or [`objective::Goal::assess`].
//! * What moved in the quarter's pipeline since last week, and how good
//!   was the commit call? Weekly CRM exports into a
//!   [`FlowState`](pipeline::flow::FlowState), then
//!   [`FlowState::report`](pipeline::flow::FlowState::report) between two
//!   snapshot dates and
//!   [`ForecastAccuracy::over`](pipeline::flow::ForecastAccuracy::over).
//! * Do the teams work together? [`pipeline::HandoffState`] and the
//!   alignment metrics in [`metrics::alignment`].
//! * What is a customer worth, and is CAC paid back? [`clv::summarize`]
//!   the transactions, fit a [`clv::PurchaseModel`] ([`clv::BgNbd`],
//!   [`clv::ParetoNbd`]) and [`clv::GammaGamma`], then
//!   [`clv::discounted_clv`] into [`metrics::customer::ltv_to_cac`].
//!
//! # Policies
//!
//! ## Rounding
//!
//! revops never rounds a stored value. Money keeps every decimal a
//! computation produces (up to `Decimal`'s 28 significant digits) until you
//! call [`Money::round`] with a [`RoundingStrategy`]
//! you choose, or split it with [`Money::allocate`], which works in whole
//! minor units and refuses amounts that are not on that grid. Ratios,
//! multiples, changes and scores are exact decimals too; only their
//! `Display` rounds, for people (two decimals for percents and multiples,
//! one for NPS, banker's rounding).
//!
//! ## Quantiles
//!
//! Every median and percentile uses linear interpolation between closest
//! ranks (type 7: NumPy's and R's default, PostgreSQL's `percentile_cont`):
//! the median of an even count is the mean of the two middle values. It is
//! computed exactly by [`quantity::Distribution`], which is also mergeable,
//! so partial results computed on partitions combine into the exact answer.
//!
//! ## Errors, never panics
//!
//! Zero denominators, overflow, mismatched currencies, out-of-range values
//! and contradictory counts are all [`Error`] variants with the numbers that
//! caused them. Arithmetic inside revops is checked. What is promised, and
//! how it is held:
//!
//! * **No panic** on any input, deserialized states included: every sum,
//!   merge and count is checked (a `u64` count, an `i128` ledger, a
//!   [`Distribution`](quantity::Distribution) never saturates or wraps; it
//!   reports [`Error::Overflow`]), and ids read from outside (a channel id
//!   of 4,294,967,295 in a `PathRow`) index dense tables built from the
//!   input, never memory sized by the id. `tests/hardening.rs` keeps one
//!   regression test per case found by hostile input.
//! * **No silent rounding**: sums are exact or an error
//!   ([`Money::checked_add`] refuses a sum that needs more than 28
//!   significant digits instead of rounding it, as `rust_decimal` would);
//!   decimals are read from JSON strings and integers only, never from
//!   floats, and a numeral finer than a `Decimal` holds is an error.
//! * **No silent wrong answer from an iteration**: the Markov chain is
//!   solved exactly per strongly connected component, or by an iteration
//!   that returns [`Error::NotConverged`] instead of a result it cannot
//!   vouch for.
//! * **No unbounded time or memory from a small input**: the per-user
//!   funnel scans, the pipeline's stage tables, scorecard conflicts and
//!   journeys cost O(n log n) time and O(n) memory (plus the output), on
//!   every input shape; `benches/scaling.rs` shows each at n and 10n.
//!   The slow cases, each stated: Markov attribution needs one solve per
//!   channel, and a chain of thousands of channels in one strongly
//!   connected component takes seconds to minutes; conversion-rate
//!   Shapley attribution past its exact limit samples coalitions, each
//!   valued over every journey: about a minute at 100,000 journeys over
//!   100,000 channels (`benches/scaling.rs`, `benches/README.md`); a
//!   lifetime-value fit is bounded (at most
//!   4,000 likelihood evaluations, each O(1) per distinct (x, t_x, T):
//!   see [`clv`]; BG/BB's O(n − t_x) per distinct history, n at most
//!   [`MAX_OPPORTUNITIES`](clv::MAX_OPPORTUNITIES)), and discounted CLV at most
//!   [`Discounting::MAX_PERIODS`](clv::Discounting::MAX_PERIODS)
//!   predictions per customer, each a bounded series or quadrature (the
//!   BG/NBD family's expected purchases: a few dozen panels whatever the
//!   parameters and purchases, about 1,500 at horizons near `f64`'s
//!   largest).
//! * **Every skipped record counted, with its reason**: an analysis lists
//!   what it could not use (for attribution,
//!   [`attribution::Report::skipped`] with a
//!   [`SkipReason`](attribution::SkipReason); one rule for every model), and
//!   the `revops` command lists rejected rows by line, counted by reason.
//!
//! How it is tested: property tests state the invariants (credits add
//! back, counts never rise, merges equal the whole, serde round-trips and
//! validates); `tests/hardening.rs` keeps every hostile input found by hand
//! or by the fuzzers; and coverage-guided fuzz targets (`fuzz/`, run in CI
//! and for hours by hand, see `fuzz/README.md`) drive every parser and
//! analysis with arbitrary input, comparing the funnel with a literal
//! transcription of ClickHouse's functions.
//!
//! # Layers
//!
//! Modules import only from layers below their own, so the crate reads
//! from the bottom up and no change can tie two modules in a loop (CI
//! reads this table and the `crate::` paths of every file, and checks
//! that no two files import each other, directly or around a circle):
//!
//! | layer | modules | what they hold |
//! |---|---|---|
//! | 1 | `error` | the one [`Error`] type, no import from the crate |
//! | 2 | `serde_util` | serde helpers (feature `serde`) |
//! | 3 | `quantity` | typed values and every exact rule (splits, sums, quantiles, durations, periods) |
//! | 4 | `aggregate` | the partial-state protocol, [`Aggregate`] |
//! | 5 | `journey` | teams, stages, the lead lifecycle, channels and their registry, touchpoints, journeys |
//! | 6 | `metrics` | every metric as a function, and the catalogue that names them with their objectives |
//! | 7 | `objective` | goals with pacing, scorecards, the teams side by side |
//! | 8 | `funnel`, `attribution`, `clv`, `pipeline`, `retention`, `recurring` | the analyses, none importing another |
//! | 9 | `playbook` | the common questions, answered with the layers below |
//! | 10 | `csv`, `schema` | readers of files into the analyses' inputs (feature `csv`); JSON Schemas of the reports (feature `schemars`) |
//!
//! # Crate features
//!
//! * `serde` (default): `Serialize` and `Deserialize` for every public value.
//!   Deserialization validates (a JSON ratio of `1.5` is an error); decimals
//!   are written as strings to keep their precision.
//! * `schemars`: JSON Schemas of the reports ([`schema`]), so dashboards and
//!   services in other languages can validate what revops sends. Turns on
//!   `serde`.
//! * `csv`: streaming readers of the CSV layouts into the compact inputs
//!   ([`csv`]), from any `std::io::Read` that the caller opens: the core
//!   itself does no I/O.
//!
//! With no feature at all, the crate needs only `rust_decimal`, `chrono`,
//! `iso_currency`, `thiserror` and `libm`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod aggregate;
pub mod attribution;
pub mod clv;
#[cfg(feature = "csv")]
pub mod csv;
mod error;
pub mod funnel;
pub mod journey;
pub mod metrics;
pub mod objective;
pub mod pipeline;
pub mod playbook;
pub mod quantity;
pub mod recurring;
pub mod retention;
#[cfg(feature = "schemars")]
pub mod schema;
#[cfg(feature = "serde")]
mod serde_util;

pub use aggregate::Aggregate;
/// The `chrono` types that appear in revops' signatures, so that a
/// dependent crate needs no `chrono` of its own to call them (the clock
/// included):
///
/// ```
/// use revops::{NaiveDate, TimeDelta, Utc};
/// let now = Utc::now();
/// assert!(now.date_naive() > NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
/// assert_eq!(TimeDelta::days(7).num_hours(), 168);
/// ```
pub use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, TimeZone, Utc};
pub use error::{Error, IoError, Result};
pub use quantity::{Change, Currency, Money, Multiple, Nps, Period, Ratio};
pub use rust_decimal::{Decimal, RoundingStrategy};

#[doc(hidden)]
pub use rust_decimal_macros as __decimal_macros;

/// A [`Decimal`] literal, checked at compile time: `dec!(12.34)`,
/// `dec!(-0.5)`, `dec!(1e-3)`. Usable in `const` items.
///
/// ```
/// use revops::{dec, Decimal};
/// const RATE: Decimal = dec!(0.125);
/// assert_eq!(RATE * dec!(8), dec!(1));
/// ```
#[macro_export]
macro_rules! dec {
    ($($t:tt)*) => {{
        #[allow(unused_imports)]
        use $crate::Decimal;
        $crate::__decimal_macros::dec!($($t)*)
    }};
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
