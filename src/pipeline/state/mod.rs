//! The mergeable, serializable partial result of a pipeline analysis.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::deal::{Deal, DealStatus, ForecastCategory};
use super::report::{
    BySource, CycleDays, Forecast, Ignored, PipelineReport, QuotaPacing, SourceReport,
    StageConversion, StageReport, StageTime,
};
use super::spec::PipelineSpec;
use crate::error::{Error, Result};
use crate::journey::{Ownership, Team};
use crate::metrics::{alignment, sales};
use crate::objective::{Direction, Goal, GoalKind, Objective, SalesObjective, Target};
use crate::quantity::exact::WideSum;
use crate::quantity::{days_of_seconds, sort_i64, sorted_stats, Currency, Money, Period, Ratio};

#[cfg(feature = "serde")]
mod repr;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
struct StageAgg {
    open: u64,
    won: u64,
    lost: u64,
    open_amount: Sum,
    won_amount: Sum,
    lost_amount: Sum,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
struct SourceAgg {
    won: u64,
    lost: u64,
    open: u64,
    won_amount: Sum,
    open_amount: Sum,
}

/// An exact running sum of amounts (see [`WideSum`]): associative, so
/// partial states merge to the report of the whole, and read back as `None`
/// when the total does not fit a `Decimal`; the figure built on it is then
/// `None` in the report, named in [`PipelineReport::overflowed`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
struct Sum(WideSum);

impl Sum {
    fn add(&mut self, x: Decimal) {
        self.0.add(x);
    }

    fn merge(&mut self, o: Sum) {
        self.0.merge(&o.0);
    }

    fn value(&self) -> Option<Decimal> {
        self.0.value()
    }

    /// The exact sum of `parts`.
    #[cfg(feature = "serde")]
    fn of<'a>(parts: impl IntoIterator<Item = &'a Sum>) -> Sum {
        let mut total = Sum::default();
        for p in parts {
            total.merge(*p);
        }
        total
    }
}

/// The partial result over some deals: [`add`](PipelineState::add) deals,
/// [`merge`](PipelineState::merge) partitions, [`finish`](PipelineState::finish).
///
/// # JSON form
///
/// The partial state itself (counts, exact sums as decimal strings, the won
/// deals' sizes and cycles, the stage tables), so a partition's state can be
/// shipped and merged elsewhere. Deserialization checks that it is
/// consistent (the stage tables agree, every index is in range, the counts
/// of the breakdowns add up), so a hostile state is an error, never a later
/// panic.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "repr::PipelineStateRepr", into = "repr::PipelineStateRepr")
)]
pub struct PipelineState {
    spec: PipelineSpec,
    won: u64,
    lost: u64,
    open: u64,
    created_in_period: u64,
    won_of_created: u64,
    won_amount: Sum,
    lost_amount: Sum,
    open_amount: Sum,
    weighted: Sum,
    forecast: [Sum; 3], // commit, best case, pipeline (open deals)
    won_sizes: Vec<Decimal>,
    /// Cycle lengths of won deals, in seconds (sorted at finish).
    cycles: Vec<i64>,
    by_stage: Vec<(String, StageAgg)>,
    by_source: [SourceAgg; 2],
    /// History stage names, interned: the index is the stage's id below.
    history_stages: Vec<String>,
    /// The id of each history stage name.
    history_ids: HashMap<String, usize>,
    /// `(from, to)` → consecutive history entries (sparse: a deal's history
    /// adds one entry per step, never a row per stage).
    transitions: HashMap<(usize, usize), u64>,
    /// The index of each stage name in `by_stage`.
    stage_ids: HashMap<String, usize>,
    /// Entries into each history stage.
    entered: Vec<u64>,
    /// Ended stays in each history stage, in seconds.
    stays: Vec<Vec<i64>>,
    ignored: BTreeMap<Ignored, u64>,
    rates_used: BTreeMap<Currency, Decimal>,
}

impl PipelineState {
    /// An empty state.
    pub fn new(spec: PipelineSpec) -> PipelineState {
        PipelineState {
            spec,
            won: 0,
            lost: 0,
            open: 0,
            created_in_period: 0,
            won_of_created: 0,
            won_amount: Sum::default(),
            lost_amount: Sum::default(),
            open_amount: Sum::default(),
            weighted: Sum::default(),
            forecast: [Sum::default(); 3],
            won_sizes: Vec::new(),
            cycles: Vec::new(),
            by_stage: Vec::new(),
            by_source: [SourceAgg::default(), SourceAgg::default()],
            history_stages: Vec::new(),
            history_ids: HashMap::new(),
            transitions: HashMap::new(),
            stage_ids: HashMap::new(),
            entered: Vec::new(),
            stays: Vec::new(),
            ignored: BTreeMap::new(),
            rates_used: BTreeMap::new(),
        }
    }

    fn ignore(&mut self, reason: Ignored) {
        *self.ignored.entry(reason).or_insert(0) += 1;
    }

    /// The id of a history stage, interning it on first sight.
    fn history_stage(&mut self, name: &str) -> usize {
        if let Some(&i) = self.history_ids.get(name) {
            return i;
        }
        let i = self.history_stages.len();
        self.history_stages.push(name.to_string());
        self.history_ids.insert(name.to_string(), i);
        self.entered.push(0);
        self.stays.push(Vec::new());
        i
    }

    fn stage(&mut self, name: &str) -> &mut StageAgg {
        let i = match self.stage_ids.get(name) {
            Some(&i) => i,
            None => {
                let i = self.by_stage.len();
                self.by_stage.push((name.to_string(), StageAgg::default()));
                self.stage_ids.insert(name.to_string(), i);
                i
            }
        };
        &mut self.by_stage[i].1
    }

    /// Adds one deal under the counting rules of the module docs.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] only; a deal that cannot be used is counted
    /// under `ignored`, not refused.
    pub fn add(&mut self, deal: &Deal) -> Result<()> {
        let overflow = || Error::overflow("pipeline report");
        let currency = deal.amount().currency();
        // The one conversion rule, `FxRates::convert`; its two refusals are
        // counted apart.
        let amount = match self.spec.fx.convert(deal.amount()) {
            Ok(m) => m.amount(),
            Err(Error::CurrencyMismatch { .. }) => {
                self.ignore(Ignored::NoExchangeRate);
                return Ok(());
            }
            Err(_) => {
                self.ignore(Ignored::AmountOverflowsInReportCurrency);
                return Ok(());
            }
        };
        if currency != self.spec.currency() {
            if let Some(rate) = self.spec.fx.rate(currency) {
                self.rates_used.insert(currency, rate);
            }
        }
        let period = self.spec.period;
        if period.contains(deal.created().date_naive()) {
            self.created_in_period += 1;
        }
        let src = match deal.source() {
            Team::Marketing => 0,
            Team::Sales => 1,
        };
        match deal.status() {
            DealStatus::Open => {
                if deal.created().date_naive() > self.spec.as_of {
                    self.ignore(Ignored::OpenCreatedAfterAsOf);
                    return Ok(());
                }
                self.open += 1;
                self.open_amount.add(amount);
                let w = amount
                    .checked_mul(deal.probability().value())
                    .ok_or_else(overflow)?;
                self.weighted.add(w);
                let slot = match deal.forecast() {
                    ForecastCategory::Commit => Some(0),
                    ForecastCategory::BestCase => Some(1),
                    ForecastCategory::Pipeline => Some(2),
                    ForecastCategory::Closed | ForecastCategory::Omitted => None,
                };
                if let Some(k) = slot {
                    self.forecast[k].add(amount);
                }
                let st = self.stage(deal.stage());
                st.open += 1;
                st.open_amount.add(amount);
                let s = &mut self.by_source[src];
                s.open += 1;
                s.open_amount.add(amount);
            }
            DealStatus::Won | DealStatus::Lost => {
                // Validated: closed deals have a close time.
                let Some(closed) = deal.closed() else {
                    self.ignore(Ignored::ClosedWithoutCloseTime);
                    return Ok(());
                };
                if !period.contains(closed.date_naive()) {
                    self.ignore(Ignored::ClosedOutsidePeriod);
                    return Ok(());
                }
                if deal.status() == DealStatus::Won {
                    self.won += 1;
                    if period.contains(deal.created().date_naive()) {
                        self.won_of_created += 1;
                    }
                    self.won_amount.add(amount);
                    self.won_sizes.push(amount);
                    if let Some(c) = deal.cycle() {
                        self.cycles.push(c.num_seconds());
                    }
                    let st = self.stage(deal.stage());
                    st.won += 1;
                    st.won_amount.add(amount);
                    let s = &mut self.by_source[src];
                    s.won += 1;
                    s.won_amount.add(amount);
                } else {
                    self.lost += 1;
                    self.lost_amount.add(amount);
                    let st = self.stage(deal.stage());
                    st.lost += 1;
                    st.lost_amount.add(amount);
                    self.by_source[src].lost += 1;
                }
            }
        }
        // Stage histories.
        let h = deal.history();
        let mut prev: Option<usize> = None;
        for (i, e) in h.iter().enumerate() {
            let id = self.history_stage(&e.stage);
            self.entered[id] += 1;
            if let Some(p) = prev {
                *self.transitions.entry((p, id)).or_insert(0) += 1;
            }
            let end = match h.get(i + 1) {
                Some(next) => Some(next.entered_at),
                None => deal.closed(),
            };
            if let Some(end) = end {
                self.stays[id].push((end - e.entered_at).num_seconds());
            }
            prev = Some(id);
        }
        Ok(())
    }

    /// Adds every deal of `deals`.
    ///
    /// # Errors
    ///
    /// As [`PipelineState::add`].
    pub fn extend(&mut self, deals: &[Deal]) -> Result<()> {
        for d in deals {
            self.add(d)?;
        }
        Ok(())
    }

    /// Adds another partition's state.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for states of different specs;
    /// [`Error::Overflow`]. On error `self` is unchanged.
    pub fn merge(&mut self, o: &PipelineState) -> Result<()> {
        let mut m = self.clone();
        m.merge_in_place(o)?;
        *self = m;
        Ok(())
    }

    fn merge_in_place(&mut self, o: &PipelineState) -> Result<()> {
        if self.spec != o.spec {
            return Err(Error::invalid(
                "pipeline merge",
                "the states have different specs",
            ));
        }
        let overflow = || Error::overflow("pipeline report");
        let count = |a: &mut u64, b: u64| -> Result<()> {
            *a = a.checked_add(b).ok_or_else(overflow)?;
            Ok(())
        };
        count(&mut self.won, o.won)?;
        count(&mut self.lost, o.lost)?;
        count(&mut self.open, o.open)?;
        count(&mut self.created_in_period, o.created_in_period)?;
        count(&mut self.won_of_created, o.won_of_created)?;
        self.won_amount.merge(o.won_amount);
        self.lost_amount.merge(o.lost_amount);
        self.open_amount.merge(o.open_amount);
        self.weighted.merge(o.weighted);
        for k in 0..3 {
            self.forecast[k].merge(o.forecast[k]);
        }
        self.won_sizes.extend_from_slice(&o.won_sizes);
        self.cycles.extend_from_slice(&o.cycles);
        for (name, agg) in &o.by_stage {
            let st = self.stage(name);
            count(&mut st.open, agg.open)?;
            count(&mut st.won, agg.won)?;
            count(&mut st.lost, agg.lost)?;
            st.open_amount.merge(agg.open_amount);
            st.won_amount.merge(agg.won_amount);
            st.lost_amount.merge(agg.lost_amount);
        }
        for (a, b) in self.by_source.iter_mut().zip(&o.by_source) {
            count(&mut a.won, b.won)?;
            count(&mut a.lost, b.lost)?;
            count(&mut a.open, b.open)?;
            a.won_amount.merge(b.won_amount);
            a.open_amount.merge(b.open_amount);
        }
        let ids: Vec<usize> = o
            .history_stages
            .iter()
            .map(|n| self.history_stage(n))
            .collect();
        for (&(i, j), n) in &o.transitions {
            count(self.transitions.entry((ids[i], ids[j])).or_insert(0), *n)?;
        }
        for (i, n) in o.entered.iter().enumerate() {
            count(&mut self.entered[ids[i]], *n)?;
        }
        for (i, v) in o.stays.iter().enumerate() {
            self.stays[ids[i]].extend_from_slice(v);
        }
        for (k, v) in &o.ignored {
            count(self.ignored.entry(*k).or_insert(0), *v)?;
        }
        for (k, v) in &o.rates_used {
            self.rates_used.insert(*k, *v);
        }
        Ok(())
    }

    /// The report.
    ///
    /// An amount whose exact sum leaves `Decimal`'s range does not fail
    /// the report: that figure, and every figure computed from it, is
    /// `None` and named in [`PipelineReport::overflowed`]; the other
    /// figures are still computed.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] only for the cycle statistics; undefined figures
    /// (a win rate with no closed deal) are `None`.
    pub fn finish(mut self) -> Result<PipelineReport> {
        let cur = self.spec.currency();
        let m = |d: Decimal| Money::new(d.normalize(), cur);
        let mut overflowed: Vec<String> = Vec::new();
        let mut figure = |name: &str, sum: Sum| -> Option<Money> {
            let v = sum.value();
            if v.is_none() {
                overflowed.push(name.to_string());
            }
            v.map(m)
        };
        let won_revenue = figure("won_revenue", self.won_amount);
        let lost_amount = figure("lost_amount", self.lost_amount);
        let open_pipeline = figure("open_pipeline", self.open_amount);
        let weighted_pipeline = figure("weighted_pipeline", self.weighted);
        // The forecast rolls up: closed, + commit, + best case, + pipeline.
        let mut running = self.won_amount;
        let mut rolled = [Sum::default(); 3];
        for (k, r) in rolled.iter_mut().enumerate() {
            running.merge(self.forecast[k]);
            *r = running;
        }
        let forecast = Forecast {
            closed: won_revenue,
            commit: figure("forecast.commit", rolled[0]),
            best_case: figure("forecast.best_case", rolled[1]),
            pipeline: figure("forecast.pipeline", rolled[2]),
        };
        for (name, agg) in [
            ("marketing", &self.by_source[0]),
            ("sales", &self.by_source[1]),
        ] {
            if agg.won_amount.value().is_none() {
                overflowed.push(format!("by_source.{name}.revenue"));
            }
            if agg.open_amount.value().is_none() {
                overflowed.push(format!("by_source.{name}.open_pipeline"));
            }
        }
        for (name, agg) in &self.by_stage {
            for (what, sum) in [
                ("open_amount", agg.open_amount),
                ("won_amount", agg.won_amount),
                ("lost_amount", agg.lost_amount),
            ] {
                if sum.value().is_none() {
                    overflowed.push(format!("by_stage.{name}.{what}"));
                }
            }
        }
        let win_rate = sales::win_rate(self.won, self.lost).ok();
        let close_rate = sales::close_rate(self.won_of_created, self.created_in_period).ok();
        let average_deal_size =
            won_revenue.and_then(|w| sales::average_deal_size(w, self.won).ok());
        self.won_sizes.sort_unstable();
        let median_deal_size = crate::quantity::median_of_sorted(&self.won_sizes).map(m);
        let days = |s: Option<Decimal>| s.and_then(days_of_seconds).map(|x| x.normalize());
        sort_i64(&mut self.cycles);
        let cycle_stats = sorted_stats(&self.cycles);
        let cycle = CycleDays {
            mean_days: days(cycle_stats.map(|s| s.0)),
            median_days: days(cycle_stats.map(|s| s.1)),
            p90_days: days(cycle_stats.map(|s| s.2)),
        };
        let velocity = match (win_rate, average_deal_size, cycle_stats.map(|s| s.0)) {
            (Some(w), Some(size), Some(mean)) => {
                let cycle = crate::quantity::to_time_delta(mean, "pipeline velocity")?;
                sales::pipeline_velocity(self.open, w, size, cycle).ok()
            }
            _ => None,
        };
        let quota_attainment = match (self.spec.quota, won_revenue) {
            (Some(q), Some(won)) => sales::quota_attainment(won, q).ok(),
            _ => None,
        };
        let quota = match (self.spec.quota, won_revenue, open_pipeline) {
            // Pacing subtracts the won revenue from the quota: when that
            // difference cannot be held exactly (a tiny won amount against
            // a large quota), only the quota figures are lost.
            (Some(q), Some(won), Some(open)) => {
                match pacing(q, won, open, self.spec.period, self.spec.as_of) {
                    Ok(p) => Some(p),
                    Err(Error::Overflow { .. } | Error::Inexact { .. }) => {
                        overflowed.push("quota".into());
                        None
                    }
                    Err(e) => return Err(e),
                }
            }
            (Some(_), _, _) => {
                overflowed.push("quota".into());
                None
            }
            (None, _, _) => None,
        };
        let mk_open = self.by_source[0].open_amount.value().map(m);
        let mk_won = self.by_source[0].won_amount.value().map(m);
        let source_report = |s: &SourceAgg| SourceReport {
            won_count: s.won,
            lost_count: s.lost,
            open_count: s.open,
            win_rate: sales::win_rate(s.won, s.lost).ok(),
            revenue: s.won_amount.value().map(m),
            open_pipeline: s.open_amount.value().map(m),
        };
        let [mk, sl] = &self.by_source;
        let by_source = BySource {
            marketing: source_report(mk),
            sales: source_report(sl),
        };
        let mut by_stage: Vec<StageReport> = self
            .by_stage
            .iter()
            .map(|(name, a)| StageReport {
                stage: name.clone(),
                open_count: a.open,
                won_count: a.won,
                lost_count: a.lost,
                open_amount: a.open_amount.value().map(m),
                won_amount: a.won_amount.value().map(m),
                lost_amount: a.lost_amount.value().map(m),
            })
            .collect();
        by_stage.sort_by(|a, b| a.stage.cmp(&b.stage));
        let names = &self.history_stages;
        let mut stage_conversion: Vec<StageConversion> = Vec::new();
        // Every transition counted at least one deal (read states included).
        for (&(i, j), &n) in &self.transitions {
            stage_conversion.push(StageConversion {
                from: names[i].clone(),
                to: names[j].clone(),
                deals: n,
                rate: Ratio::from_counts(n, self.entered[i]).ok(),
            });
        }
        stage_conversion.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        let mut time_in_stage: Vec<StageTime> = Vec::new();
        for (i, v) in self.stays.iter_mut().enumerate() {
            if v.is_empty() {
                continue;
            }
            sort_i64(v);
            let st = sorted_stats(v);
            time_in_stage.push(StageTime {
                stage: names[i].clone(),
                stays: v.len() as u64,
                mean_days: days(st.map(|s| s.0)),
                median_days: days(st.map(|s| s.1)),
            });
        }
        time_in_stage.sort_by(|a, b| a.stage.cmp(&b.stage));
        Ok(PipelineReport {
            currency: cur,
            period: self.spec.period,
            as_of: self.spec.as_of,
            won_count: self.won,
            lost_count: self.lost,
            open_count: self.open,
            opportunities_created: self.created_in_period,
            won_revenue,
            lost_amount,
            win_rate,
            close_rate,
            average_deal_size,
            median_deal_size,
            cycle,
            open_pipeline,
            weighted_pipeline,
            pipeline_velocity_per_day: velocity,
            forecast,
            quota_attainment,
            quota,
            marketing_sourced_pipeline_share: mk_open
                .zip(open_pipeline)
                .and_then(|(a, b)| alignment::marketing_sourced_pipeline_share(a, b).ok()),
            marketing_sourced_revenue_share: mk_won
                .zip(won_revenue)
                .and_then(|(a, b)| alignment::marketing_sourced_revenue_share(a, b).ok()),
            by_source,
            by_stage,
            stage_conversion,
            time_in_stage,
            fx_rates_used: self.rates_used.into_iter().collect(),
            ignored: self.ignored,
            overflowed,
        })
    }
}

fn pacing(
    quota: Money,
    won: Money,
    open_pipeline: Money,
    period: Period,
    as_of: NaiveDate,
) -> Result<QuotaPacing> {
    let goal = Goal::new(
        Objective::Sales(SalesObjective::Targets),
        crate::metrics::Metric::Revenue,
        Ownership::Sales,
        Target::Money(quota),
        period,
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    );
    let (pace, expected, projected) = match goal {
        Ok(g) => {
            let a = g.assess(Target::Money(won), as_of)?;
            (a.pace, a.expected_to_date, a.projected)
        }
        Err(_) => (None, None, None),
    };
    let remaining = quota.checked_sub(won)?;
    let remaining_quota = if remaining.is_negative() {
        Money::zero(quota.currency())
    } else {
        remaining
    };
    let days_left = period.remaining_days(as_of);
    let gap_per_remaining_day = if days_left > 0 {
        Some(remaining_quota.checked_div(Decimal::from(days_left))?)
    } else {
        None
    };
    Ok(QuotaPacing {
        quota,
        pace,
        expected_to_date: expected.map(|e| Money::new(e, quota.currency())),
        projected: projected.map(|p| Money::new(p, quota.currency())),
        remaining_quota,
        gap_per_remaining_day,
        coverage: sales::pipeline_coverage(open_pipeline, remaining_quota).ok(),
    })
}

impl crate::aggregate::Aggregate for PipelineState {
    type Input<'a>
        = &'a Deal
    where
        Self: 'a;
    type Context<'a>
        = ()
    where
        Self: 'a;
    type Output = PipelineReport;

    fn add(&mut self, deal: &Deal) -> Result<()> {
        PipelineState::add(self, deal)
    }

    fn merge(&mut self, other: &PipelineState) -> Result<()> {
        PipelineState::merge(self, other)
    }

    fn finish(self, (): ()) -> Result<PipelineReport> {
        PipelineState::finish(self)
    }
}
