//! The marketing-to-sales hand-off, measured from lead records.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use rust_decimal::Decimal;

use super::report::{HandoffIgnored, PipelineReport};
use crate::error::Result;
use crate::journey::{Lead, LifecycleStage, Team};
use crate::metrics::{alignment, sales};
use crate::quantity::{Distribution, Ratio};

/// The partial hand-off figures over some leads: [`add`](HandoffState::add),
/// [`merge`](HandoffState::merge), [`finish`](HandoffState::finish).
///
/// Definitions (each computed with the catalogue's function):
///
/// * handed off: leads with a hand-off time; **MQL acceptance rate** =
///   accepted by sales / handed off;
/// * **speed to lead**: first sales contact − hand-off, over leads with
///   both (median and p90, whole seconds, crate quantile rule);
/// * **SLA compliance**: handed-off leads first contacted within the SLA /
///   handed-off leads (a lead never contacted misses the SLA);
/// * **lead leakage**: MQLs (leads that reached the MQL stage) with neither
///   a first sales contact nor a sales decision / MQLs;
/// * **lead-to-customer rate**: leads that became customers / leads.
///
/// # JSON form
///
/// The partial state itself (counts, the delays' distribution, the SLA in
/// seconds), so a partition's state can be shipped and merged elsewhere.
/// Deserialization checks that the counts are consistent (no more accepted
/// and rejected leads than handed off, no more hand-offs than MQLs, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "HandoffRepr", into = "HandoffRepr")
)]
pub struct HandoffState {
    sla: TimeDelta,
    leads: u64,
    marketing_sourced: u64,
    mqls: u64,
    handed_off: u64,
    accepted: u64,
    rejected: u64,
    within_sla: u64,
    leaked: u64,
    customers: u64,
    delays: Distribution,
    ignored: BTreeMap<HandoffIgnored, u64>,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HandoffRepr {
    #[serde(with = "crate::quantity::serde_forms::seconds")]
    sla: TimeDelta,
    leads: u64,
    marketing_sourced: u64,
    mqls: u64,
    handed_off: u64,
    accepted: u64,
    rejected: u64,
    within_sla: u64,
    leaked: u64,
    customers: u64,
    delays: Distribution,
    ignored: BTreeMap<HandoffIgnored, u64>,
}

/// Whether `within_sla` can be the count of the delays within `sla`:
/// delays are kept in whole seconds (truncated), so it lies between the
/// count of delays below the SLA's whole seconds and the count at or
/// below them.
#[cfg(feature = "serde")]
fn within_sla_matches(within_sla: u64, delays: &Distribution, sla: TimeDelta) -> bool {
    let limit = sla.num_seconds();
    let (mut below, mut at_most) = (0u64, 0u64);
    for (v, n) in delays.iter() {
        if v < limit {
            below = below.saturating_add(n);
        }
        if v <= limit {
            at_most = at_most.saturating_add(n);
        }
    }
    (below..=at_most).contains(&within_sla)
}

#[cfg(feature = "serde")]
impl TryFrom<HandoffRepr> for HandoffState {
    type Error = crate::error::Error;
    fn try_from(r: HandoffRepr) -> Result<HandoffState> {
        let ok = r.marketing_sourced <= r.leads
            && r.mqls <= r.leads
            && r.customers <= r.leads
            && r.handed_off <= r.leads
            && r.accepted
                .checked_add(r.rejected)
                .is_some_and(|d| d <= r.handed_off)
            && r.within_sla <= r.handed_off
            && r.delays.count() <= r.handed_off
            && r.leaked <= r.mqls
            && r.ignored.values().all(|&c| c <= r.handed_off)
            && r.sla >= TimeDelta::zero()
            && !matches!(r.delays.min(), Some(m) if m < 0)
            && within_sla_matches(r.within_sla, &r.delays, r.sla);
        if !ok {
            return Err(crate::error::Error::invalid(
                "hand-off state",
                "the counts are inconsistent",
            ));
        }
        Ok(HandoffState {
            sla: r.sla,
            leads: r.leads,
            marketing_sourced: r.marketing_sourced,
            mqls: r.mqls,
            handed_off: r.handed_off,
            accepted: r.accepted,
            rejected: r.rejected,
            within_sla: r.within_sla,
            leaked: r.leaked,
            customers: r.customers,
            delays: r.delays,
            ignored: r.ignored,
        })
    }
}

#[cfg(feature = "serde")]
impl From<HandoffState> for HandoffRepr {
    fn from(s: HandoffState) -> HandoffRepr {
        HandoffRepr {
            sla: s.sla,
            leads: s.leads,
            marketing_sourced: s.marketing_sourced,
            mqls: s.mqls,
            handed_off: s.handed_off,
            accepted: s.accepted,
            rejected: s.rejected,
            within_sla: s.within_sla,
            leaked: s.leaked,
            customers: s.customers,
            delays: s.delays,
            ignored: s.ignored,
        }
    }
}

/// The alignment view of the hand-off.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct HandoffReport {
    /// Leads read.
    pub leads: u64,
    /// Leads that reached the MQL stage.
    pub mqls: u64,
    /// Leads handed to sales.
    pub handed_off: u64,
    /// Of those, accepted.
    pub accepted: u64,
    /// Of those, rejected.
    pub rejected: u64,
    /// Accepted / handed off.
    pub mql_acceptance_rate: Option<Ratio>,
    /// Median seconds from hand-off to first contact.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub speed_to_lead_median_seconds: Option<Decimal>,
    /// 90th percentile of the same.
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            deserialize_with = "crate::serde_util::decimal::option::deserialize"
        )
    )]
    pub speed_to_lead_p90_seconds: Option<Decimal>,
    /// The SLA, in seconds.
    pub sla_seconds: i64,
    /// Handed-off leads contacted within the SLA / handed off.
    pub sla_compliance_rate: Option<Ratio>,
    /// MQLs never followed up / MQLs.
    pub lead_leakage_rate: Option<Ratio>,
    /// Leads that became customers / leads.
    pub lead_to_customer_rate: Option<Ratio>,
    /// Leads sourced by marketing / leads.
    pub marketing_sourced_lead_share: Option<Ratio>,
    /// From the pipeline report, when given.
    pub marketing_sourced_pipeline_share: Option<Ratio>,
    /// From the pipeline report, when given.
    pub marketing_sourced_revenue_share: Option<Ratio>,
    /// Records not counted, by reason.
    pub ignored: BTreeMap<HandoffIgnored, u64>,
}

impl HandoffState {
    /// An empty state with the agreed follow-up time `sla`.
    pub fn new(sla: TimeDelta) -> HandoffState {
        HandoffState {
            sla,
            leads: 0,
            marketing_sourced: 0,
            mqls: 0,
            handed_off: 0,
            accepted: 0,
            rejected: 0,
            within_sla: 0,
            leaked: 0,
            customers: 0,
            delays: Distribution::new(),
            ignored: BTreeMap::new(),
        }
    }

    /// Adds one lead.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) if a count would pass
    /// `u64::MAX`.
    pub fn add(&mut self, lead: &Lead) -> Result<()> {
        // Every other count is at most `leads` (a state read from outside
        // is checked for it), so one test covers them all.
        self.leads = self
            .leads
            .checked_add(1)
            .ok_or_else(|| crate::error::Error::overflow("hand-off state"))?;
        if lead.source().sourced_by == Team::Marketing {
            self.marketing_sourced += 1;
        }
        let reached = |s: LifecycleStage| {
            lead.entered(s).is_some()
                || lead
                    .stage()
                    .rank()
                    .zip(s.rank())
                    .is_some_and(|(a, b)| a >= b)
        };
        if reached(LifecycleStage::MarketingQualifiedLead) {
            self.mqls += 1;
            if lead.first_sales_contact_at().is_none() && lead.sales_decision().is_none() {
                self.leaked += 1;
            }
        }
        if reached(LifecycleStage::Customer) {
            self.customers += 1;
        }
        if let Some(h) = lead.handoff_at() {
            self.handed_off += 1;
            match lead.sales_decision() {
                Some(d) if d.is_accepted() => self.accepted += 1,
                Some(_) => self.rejected += 1,
                None => {}
            }
            match lead.first_sales_contact_at() {
                Some(c) if c >= h => {
                    let delay = c - h;
                    self.delays.add(delay.num_seconds())?;
                    if delay <= self.sla {
                        self.within_sla += 1;
                    }
                }
                Some(_) => {
                    *self
                        .ignored
                        .entry(HandoffIgnored::ContactBeforeHandoff)
                        .or_insert(0) += 1;
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Adds another partition's state (the SLA of `self` is kept).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) if a count would pass
    /// `u64::MAX`; `self` is then unchanged.
    pub fn merge(&mut self, o: &HandoffState) -> Result<()> {
        let add = |a: u64, b: u64| {
            a.checked_add(b)
                .ok_or_else(|| crate::error::Error::overflow("hand-off merge"))
        };
        let mut m = self.clone();
        m.leads = add(m.leads, o.leads)?;
        m.marketing_sourced = add(m.marketing_sourced, o.marketing_sourced)?;
        m.mqls = add(m.mqls, o.mqls)?;
        m.handed_off = add(m.handed_off, o.handed_off)?;
        m.accepted = add(m.accepted, o.accepted)?;
        m.rejected = add(m.rejected, o.rejected)?;
        m.within_sla = add(m.within_sla, o.within_sla)?;
        m.leaked = add(m.leaked, o.leaked)?;
        m.customers = add(m.customers, o.customers)?;
        m.delays.merge(&o.delays)?;
        for (k, v) in &o.ignored {
            let e = m.ignored.entry(*k).or_insert(0);
            *e = add(*e, *v)?;
        }
        *self = m;
        Ok(())
    }

    /// The report; the marketing-sourced pipeline and revenue shares are
    /// taken from `pipeline` when given.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for checks.
    pub fn finish(self, pipeline: Option<&PipelineReport>) -> Result<HandoffReport> {
        Ok(HandoffReport {
            leads: self.leads,
            mqls: self.mqls,
            handed_off: self.handed_off,
            accepted: self.accepted,
            rejected: self.rejected,
            mql_acceptance_rate: alignment::mql_acceptance_rate(self.accepted, self.handed_off)
                .ok(),
            speed_to_lead_median_seconds: self.delays.median(),
            speed_to_lead_p90_seconds: self.delays.p90(),
            sla_seconds: self.sla.num_seconds(),
            sla_compliance_rate: alignment::sla_compliance_rate(self.within_sla, self.handed_off)
                .ok(),
            lead_leakage_rate: alignment::lead_leakage_rate(self.leaked, self.mqls).ok(),
            lead_to_customer_rate: sales::lead_to_customer_rate(self.customers, self.leads).ok(),
            marketing_sourced_lead_share: Ratio::from_counts(self.marketing_sourced, self.leads)
                .ok(),
            marketing_sourced_pipeline_share: pipeline
                .and_then(|p| p.marketing_sourced_pipeline_share),
            marketing_sourced_revenue_share: pipeline
                .and_then(|p| p.marketing_sourced_revenue_share),
            ignored: self.ignored,
        })
    }
}

impl crate::aggregate::Aggregate for HandoffState {
    type Input<'a>
        = &'a Lead
    where
        Self: 'a;
    type Context<'a>
        = Option<&'a PipelineReport>
    where
        Self: 'a;
    type Output = HandoffReport;

    fn add(&mut self, lead: &Lead) -> Result<()> {
        HandoffState::add(self, lead)
    }

    fn merge(&mut self, other: &HandoffState) -> Result<()> {
        HandoffState::merge(self, other)
    }

    fn finish(self, pipeline: Option<&PipelineReport>) -> Result<HandoffReport> {
        HandoffState::finish(self, pipeline)
    }
}
