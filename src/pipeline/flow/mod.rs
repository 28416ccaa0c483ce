//! Pipeline flow from CRM snapshots: what came into a period's pipeline
//! between two snapshot dates, what grew, shrank, slipped out, was won,
//! lost or removed, in a waterfall that adds up exactly; slippage, time in
//! each stage, and how good the forecast calls were.
//!
//! A [`Deal`](super::Deal) keeps its stage history but not the history of
//! its close date and amount; weekly exports of the CRM (one row per deal
//! per snapshot, [`SnapshotRow`]) do. A deal absent from a snapshot was
//! not in the CRM then.
//!
//! | you have | call |
//! |---|---|
//! | snapshot rows | [`FlowState::add`] each, then [`FlowState::report`] with a [`FlowSpec`] → [`FlowReport`] |
//! | rows in partitions (by deal, or any split) | one [`FlowState`] each ([`Aggregate`](crate::Aggregate)), merged, then the report |
//! | several quarters' forecast calls | [`FlowState::forecasts`], then [`ForecastAccuracy::over`] |
//!
//! # The waterfall
//!
//! Between snapshot dates A < B (both dates of the rows) for a period
//! `[P0, P1)` of close dates, deal by deal:
//!
//! * a deal **in the period at A** (present, open, close date in the
//!   period) adds its A amount to `start`. At B: absent, its A amount goes
//!   to `removed`; present, the change of amount goes to `increased` or
//!   `decreased`, then its B amount to `pushed_out` if its B close date is
//!   outside the period, else to `won`, `lost` or `end` by its B status;
//! * any other deal whose B close date is in the period, unless closed
//!   (won or lost) at both dates, enters with its B amount: `created` if
//!   absent at A, `pulled_in` if present at A (a close date moved into the
//!   period, or a deal reopened); then its B amount goes to `won`, `lost`
//!   or `end` by its B status;
//! * so, exactly: `start + created + pulled_in + increased − decreased −
//!   pushed_out − won − lost − removed = end` (checked when the report is
//!   made; a property test checks it on random histories).
//!
//! Amounts are summed exactly per currency and converted into the report
//! currency at the [`FxRates`](crate::quantity::FxRates) of the spec, as the pipeline report does
//! (a deal whose amount changed currency between A and B has its change
//! computed converted). A deal with any amount in a currency without a
//! rate is left out and counted ([`FlowIgnored`]), as is a deal with two
//! different rows for one snapshot; a row repeated exactly counts once.
//!
//! # Slippage and close-date changes
//!
//! `slipped_deals`: the deals in the period at A, present at B with a
//! later close date. Close-date changes: over every deal, each pair of its
//! consecutive snapshots within `[A, B]` with different close dates is a
//! change (a push when later), with the days pushed and pulled and the
//! deals pushed more than once.
//!
//! # Stage durations
//!
//! Over every snapshot: a stay in a stage starts at the first snapshot
//! showing the deal open in it, and ends at the first later snapshot
//! showing another stage or the deal won or lost; its duration is the
//! difference of those snapshot dates, in days, so it is exact only to
//! the snapshot spacing ([`StageDurations::resolution_days`]). Stays with
//! no end seen (the deal open in the stage at its last snapshot) are
//! censored: counted apart, not measured. Mean, median and 90th
//! percentile follow the crate's quantile rule
//! ([`Distribution`](crate::quantity::Distribution)).
//!
//! # Forecast accuracy
//!
//! For a period, at each snapshot inside it: the **commit call** = won at
//! the snapshot with a close date in the period + open commit deals
//! closing in it; the **best-case call** = the commit call + open
//! best-case deals closing in it (Salesforce's roll-up, as
//! [`Forecast`](super::Forecast)). Each against what the period won: won
//! deals with a close date in it at the first snapshot on or after `P1`,
//! or the last snapshot if none ([`PeriodForecast::complete`] says which).
//! Per call the error (`call − actual`) and the absolute percentage error
//! (`|error| / actual`); over several periods, MAPE and bias
//! ([`ForecastAccuracy`]).
//!
//! # Example
//!
//! ```
//! use revops::pipeline::flow::{FlowSpec, FlowState, SnapshotRow};
//! use revops::pipeline::{DealStatus, ForecastCategory};
//! use revops::{Currency, Money, NaiveDate, Period};
//! let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
//! let mut st = FlowState::new();
//! let mut row = |snap, id, amount: &str, close, status| {
//!     st.add(&SnapshotRow {
//!         snapshot_date: snap, deal_id: id, amount: Money::parse(amount, "USD").unwrap(),
//!         stage: "proposal", close_date: close, status,
//!         forecast_category: ForecastCategory::Commit,
//!     })
//! };
//! let (a, b) = (d(1, 5), d(1, 12));
//! row(a, "grows", "1000", d(2, 10), DealStatus::Open)?;
//! row(b, "grows", "1500", d(2, 10), DealStatus::Open)?;
//! row(a, "slips", "800", d(3, 20), DealStatus::Open)?;
//! row(b, "slips", "800", d(4, 15), DealStatus::Open)?;
//! row(b, "new", "300", d(1, 10), DealStatus::Won)?;
//! let q1 = Period::new(d(1, 1), d(4, 1))?;
//! let r = st.report(&FlowSpec::new(a, b, q1, Currency::USD))?;
//! let usd = |a: &str| Money::parse(a, "USD").unwrap();
//! assert_eq!((r.start, r.created, r.increased), (usd("1800"), usd("300"), usd("500")));
//! assert_eq!((r.pushed_out, r.won, r.end), (usd("800"), usd("300"), usd("1500")));
//! assert_eq!(r.slipped_deals, 1);
//! # Ok::<(), revops::Error>(())
//! ```

mod durations;
mod forecast;
mod ledger;
mod report;
mod spec;
mod state;
#[cfg(feature = "serde")]
mod state_serde;
mod walk;
mod waterfall;

pub use report::{
    CloseDateChanges, DealCloseDateChanges, FlowDeals, FlowIgnored, FlowReport, ForecastAccuracy,
    ForecastCall, Movement, Movements, PeriodForecast, StageDuration, StageDurations,
};
pub use spec::{FlowSpec, SnapshotRow};
pub use state::FlowState;
