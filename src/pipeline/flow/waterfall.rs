//! The waterfall between two snapshots, slippage and close-date changes,
//! deal by deal, with the stage durations and the forecast calls filled
//! in the same walk.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::durations::Durations;
use super::forecast::Forecasts;
use super::ledger::Ledger;
use super::report::{
    CloseDateChanges, DealCloseDateChanges, FlowDeals, FlowIgnored, FlowReport, Movement,
    Movements, PeriodForecast,
};
use super::state::{day, FlowState};
use super::walk::{each_deal, Obs};
use super::{FlowSpec, SnapshotRow};
use crate::error::{Error, Result};
use crate::pipeline::DealStatus;
use crate::quantity::{exact, FxRates, Money, Period};

/// Ledger slots: one per movement, but the amount changes, kept as the
/// sums of their larger and smaller amounts (every sum is of amounts that
/// are not negative).
const START: usize = 0;
const CREATED: usize = 1;
const PULLED_IN: usize = 2;
const UP_TO: usize = 3;
const UP_FROM: usize = 4;
const DOWN_FROM: usize = 5;
const DOWN_TO: usize = 6;
const PUSHED_OUT: usize = 7;
const WON: usize = 8;
const LOST: usize = 9;
const REMOVED: usize = 10;
const END: usize = 11;
const SLOTS: usize = 12;

/// The deal-by-deal sums.
struct Flow<'a> {
    fx: &'a FxRates,
    a: i32,
    b: i32,
    p0: i32,
    p1: i32,
    sums: Ledger,
    counts: Movements<u64>,
    slipped: u64,
    changes: CloseDateChanges,
    deals: Option<FlowDeals>,
}

impl Flow<'_> {
    fn in_period(&self, o: &Obs) -> bool {
        self.p0 <= o.close && o.close < self.p1
    }

    fn list(&mut self, id: &[u8], m: Movement) {
        if let Some(d) = &mut self.deals {
            d.movements
                .get_mut(m)
                .push(String::from_utf8_lossy(id).into_owned());
        }
    }

    fn put(&mut self, id: &[u8], m: Movement, slot: usize, o: &Obs) -> Result<()> {
        self.sums.add(slot, o.currency, o.amount)?;
        *self.counts.get_mut(m) += 1;
        self.list(id, m);
        Ok(())
    }

    /// The amount at B goes out as won or lost, or stays to the end.
    fn close_out(&mut self, id: &[u8], o: &Obs) -> Result<()> {
        match o.status {
            DealStatus::Won => self.put(id, Movement::Won, WON, o),
            DealStatus::Lost => self.put(id, Movement::Lost, LOST, o),
            DealStatus::Open => self.put(id, Movement::End, END, o),
        }
    }

    /// The change of amount from `x` (at A) to `y` (at B): compared, and
    /// summed, in their currency, or converted when it changed.
    fn change(&mut self, id: &[u8], x: &Obs, y: &Obs) -> Result<()> {
        let ((xc, xa), (yc, ya)) = if x.currency == y.currency {
            ((x.currency, x.amount), (y.currency, y.amount))
        } else {
            let t = self.fx.target();
            let conv = |o: &Obs| self.fx.convert(Money::new(o.amount, o.currency));
            ((t, conv(x)?.amount()), (t, conv(y)?.amount()))
        };
        match ya.cmp(&xa) {
            Ordering::Greater => {
                self.sums.add(UP_TO, yc, ya)?;
                self.sums.add(UP_FROM, xc, xa)?;
                self.counts.increased += 1;
                self.list(id, Movement::Increased);
            }
            Ordering::Less => {
                self.sums.add(DOWN_FROM, xc, xa)?;
                self.sums.add(DOWN_TO, yc, ya)?;
                self.counts.decreased += 1;
                self.list(id, Movement::Decreased);
            }
            Ordering::Equal => {}
        }
        Ok(())
    }

    fn deal(&mut self, id: &[u8], obs: &[Obs]) -> Result<()> {
        let at = |d: i32| {
            obs.binary_search_by_key(&d, |o| o.snapshot)
                .ok()
                .map(|k| obs[k])
        };
        let (at_a, at_b) = (at(self.a), at(self.b));
        let started = at_a.filter(|x| x.open() && self.in_period(x));
        if let Some(x) = started {
            self.put(id, Movement::Start, START, &x)?;
            match at_b {
                None => self.put(id, Movement::Removed, REMOVED, &x)?,
                Some(y) => {
                    self.change(id, &x, &y)?;
                    if !self.in_period(&y) {
                        self.put(id, Movement::PushedOut, PUSHED_OUT, &y)?;
                    } else {
                        self.close_out(id, &y)?;
                    }
                    if y.close > x.close {
                        self.slipped += 1;
                        if let Some(d) = &mut self.deals {
                            d.slipped.push(String::from_utf8_lossy(id).into_owned());
                        }
                    }
                }
            }
        } else if let Some(y) = at_b.filter(|y| self.in_period(y)) {
            let closed_at_both = at_a.is_some_and(|x| !x.open()) && !y.open();
            if !closed_at_both {
                match at_a {
                    None => self.put(id, Movement::Created, CREATED, &y)?,
                    Some(_) => self.put(id, Movement::PulledIn, PULLED_IN, &y)?,
                }
                self.close_out(id, &y)?;
            }
        }
        // Close-date changes between consecutive snapshots in [A, B].
        let (mut changes, mut pushes, mut pushed, mut pulled) = (0u64, 0u64, 0u64, 0u64);
        let within = obs
            .iter()
            .skip_while(|o| o.snapshot < self.a)
            .take_while(|o| o.snapshot <= self.b);
        let mut prev: Option<&Obs> = None;
        for o in within {
            if let Some(p) = prev {
                let d = i64::from(o.close) - i64::from(p.close);
                if d != 0 {
                    changes += 1;
                    if d > 0 {
                        pushes += 1;
                        pushed += d.unsigned_abs();
                    } else {
                        pulled += d.unsigned_abs();
                    }
                }
            }
            prev = Some(o);
        }
        if changes > 0 {
            let c = &mut self.changes;
            c.deals_changed += 1;
            c.changes += changes;
            c.pushes += pushes;
            c.pulls += changes - pushes;
            c.days_pushed += pushed;
            c.days_pulled += pulled;
            if let Some(d) = &mut self.deals {
                d.close_date_changes.push(DealCloseDateChanges {
                    deal: String::from_utf8_lossy(id).into_owned(),
                    changes,
                    pushes,
                    days_pushed: pushed,
                    days_pulled: pulled,
                });
            }
        }
        if pushes > 1 {
            self.changes.pushed_more_than_once += 1;
            if let Some(d) = &mut self.deals {
                d.pushed_more_than_once
                    .push(String::from_utf8_lossy(id).into_owned());
            }
        }
        Ok(())
    }
}

fn report(st: &FlowState, spec: &FlowSpec) -> Result<FlowReport> {
    let (a, b) = (day(spec.from), day(spec.to));
    for (name, d, date) in [("from", a, spec.from), ("to", b, spec.to)] {
        if !st.snapshots.contains(&d) {
            return Err(Error::invalid(
                "pipeline flow",
                format!("{name} {date} is not a snapshot date of the rows"),
            ));
        }
    }
    if a >= b {
        return Err(Error::invalid(
            "pipeline flow",
            format!("from {} is not before to {}", spec.from, spec.to),
        ));
    }
    let fx = &spec.fx;
    let mut flow = Flow {
        fx,
        a,
        b,
        p0: day(spec.period.start()),
        p1: day(spec.period.end()),
        sums: Ledger::new(SLOTS),
        counts: Movements::default(),
        slipped: 0,
        changes: CloseDateChanges::default(),
        deals: spec.list_deals.then(FlowDeals::default),
    };
    let mut durations = Durations::new(st);
    let mut forecasts = Forecasts::new(st, &[spec.period]);
    let mut without_fx: Vec<String> = Vec::new();
    let walked = each_deal(st, |id, obs| {
        if obs.iter().any(|o| fx.rate(o.currency).is_none()) {
            without_fx.push(String::from_utf8_lossy(id).into_owned());
            return Ok(());
        }
        flow.deal(id, obs)?;
        durations.deal(obs)?;
        forecasts.deal(obs)
    })?;
    without_fx.sort_unstable();
    let total = |slot| flow.sums.total(slot, fx);
    let diff = |hi, lo| -> Result<Money> { total(hi)?.checked_sub(total(lo)?) };
    let mut r = FlowReport {
        currency: fx.target(),
        from: spec.from,
        to: spec.to,
        period: spec.period,
        start: total(START)?,
        created: total(CREATED)?,
        pulled_in: total(PULLED_IN)?,
        increased: diff(UP_TO, UP_FROM)?,
        decreased: diff(DOWN_FROM, DOWN_TO)?,
        pushed_out: total(PUSHED_OUT)?,
        won: total(WON)?,
        lost: total(LOST)?,
        removed: total(REMOVED)?,
        end: total(END)?,
        counts: flow.counts,
        slipped_deals: flow.slipped,
        close_date_changes: flow.changes,
        stage_durations: durations.finish(st),
        forecast_accuracy: Vec::new(),
        forecast_final_snapshot: None,
        ignored: FlowIgnored {
            duplicate_rows: walked.duplicate_rows,
            conflicting_deals: walked.conflicting.len() as u64,
            deals_without_fx_rate: without_fx.len() as u64,
        },
        deals: None,
    };
    if let Some(p) = forecasts.finish(fx)?.pop() {
        r.forecast_accuracy = p.calls;
        r.forecast_final_snapshot = p.final_snapshot;
    }
    if let Some(mut d) = flow.deals {
        for m in Movement::ALL {
            d.movements.get_mut(m).sort_unstable();
        }
        d.slipped.sort_unstable();
        d.pushed_more_than_once.sort_unstable();
        d.close_date_changes
            .sort_unstable_by(|x, y| x.deal.cmp(&y.deal));
        d.conflicting = walked.conflicting;
        d.without_fx_rate = without_fx;
        r.deals = Some(d);
    }
    check_identity(&r)?;
    Ok(r)
}

/// start + created + pulled_in + increased − decreased − pushed_out − won
/// − lost − removed = end, exactly; only a conversion that rounded can
/// break it.
fn check_identity(r: &FlowReport) -> Result<()> {
    let mut v = Decimal::ZERO;
    for m in Movement::ALL {
        if m == Movement::End {
            continue;
        }
        let x = r.amount(m).amount();
        let x = if m.adds() { x } else { -x };
        v = exact::add_or_why(v, x, "pipeline flow")?;
    }
    if v != r.end.amount() {
        return Err(Error::Inexact {
            operation: "pipeline flow: a conversion rounded; the waterfall would not add up".into(),
        });
    }
    Ok(())
}

impl FlowState {
    /// The waterfall, slippage, stage durations and forecast accuracy
    /// `spec` asks for (the state is kept: ask again for other dates).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `spec.from` or `spec.to` is not a
    /// snapshot date of the state, or `from` is not before `to`;
    /// [`Error::Overflow`] when a sum passes 38 digits at its finest
    /// scale or does not fit a `Decimal`; [`Error::Inexact`] when a
    /// conversion at the spec's rates would round.
    pub fn report(&self, spec: &FlowSpec) -> Result<FlowReport> {
        report(self, spec)
    }

    /// The forecast calls of each of `periods` at the snapshots inside it,
    /// in `fx`'s currency (deals in a currency without a rate, or with
    /// conflicting rows, left out as in the report).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit.
    ///
    /// ```
    /// use revops::pipeline::flow::{FlowState, ForecastAccuracy, SnapshotRow};
    /// use revops::pipeline::{DealStatus, ForecastCategory};
    /// use revops::quantity::FxRates;
    /// use revops::{Currency, Money, NaiveDate, Period};
    /// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    /// let mut st = FlowState::new();
    /// for (snap, status) in [(d(1, 5), DealStatus::Open), (d(4, 6), DealStatus::Won)] {
    ///     st.add(&SnapshotRow { snapshot_date: snap, deal_id: "d-1",
    ///         amount: Money::parse("1000", "USD")?, stage: "proposal", close_date: d(3, 1),
    ///         status, forecast_category: ForecastCategory::Commit })?;
    /// }
    /// let q1 = Period::new(d(1, 1), d(4, 1))?;
    /// let f = st.forecasts(&[q1], &FxRates::new(Currency::USD))?;
    /// assert_eq!(f[0].final_snapshot, Some(d(4, 6)));
    /// assert_eq!(f[0].calls[0].commit, Money::parse("1000", "USD")?);
    /// assert!(f[0].calls[0].commit_error.is_zero());
    /// let acc = ForecastAccuracy::over(&f, None)?;
    /// assert!(acc.commit_mape.unwrap().value().is_zero());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn forecasts(&self, periods: &[Period], fx: &FxRates) -> Result<Vec<PeriodForecast>> {
        let mut f = Forecasts::new(self, periods);
        each_deal(self, |_, obs| {
            if obs.iter().any(|o| fx.rate(o.currency).is_none()) {
                return Ok(());
            }
            f.deal(obs)
        })?;
        f.finish(fx)
    }
}

impl crate::aggregate::Aggregate for FlowState {
    type Input<'a> = &'a SnapshotRow<'a>;
    type Context<'a> = &'a FlowSpec;
    type Output = FlowReport;

    fn add(&mut self, input: &SnapshotRow<'_>) -> Result<()> {
        FlowState::add(self, input)
    }

    fn merge(&mut self, other: &FlowState) -> Result<()> {
        FlowState::merge(self, other)
    }

    fn finish(self, spec: &FlowSpec) -> Result<FlowReport> {
        self.report(spec)
    }
}
