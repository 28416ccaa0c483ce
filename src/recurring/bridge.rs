//! From the spans of every customer to the bridge and the cohorts: each
//! customer's months swept once, at the months where its MRR changes.

use rust_decimal::Decimal;

use super::report::{CustomerCounts, MonthBridge, MrrCohort, MrrReport};
use super::state::{MrrState, Span};
use super::MAX_MONTHS;
use crate::error::{Error, Result};
use crate::quantity::{exact, Change, Money, Month, Multiple, Ratio};

/// Per month, the sums of every movement (index: month − first).
#[derive(Default)]
struct Sums {
    /// Changes of the closing MRR, ARR and active customers.
    d_mrr: Vec<Decimal>,
    d_arr: Vec<Decimal>,
    /// Changes of the MRR of monthly rows, whose ARR is 12 × MRR.
    d_arr12: Vec<Decimal>,
    d_active: Vec<i64>,
    new: Vec<Decimal>,
    expansion: Vec<Decimal>,
    contraction: Vec<Decimal>,
    churned: Vec<Decimal>,
    reactivation: Vec<Decimal>,
    n_new: Vec<u64>,
    n_churned: Vec<u64>,
    n_reactivated: Vec<u64>,
}

/// A change of one customer's revenue: month, Δmrr, Δarr (subscriptions),
/// Δmrr of monthly rows (whose ARR is 12 × MRR).
type Step = (i32, Decimal, Decimal, Decimal);

/// Per cohort (index: cohort month − first): customers, and per month
/// after it the changes of its MRR and of Σ min(MRR, first MRR).
struct CohortSums {
    customers: u64,
    d_mrr: Vec<Decimal>,
    d_min: Vec<Decimal>,
}

/// `a += b`, exactly (the crate's exact sum: an error, never a rounding,
/// past 28 significant digits).
fn add(a: &mut Decimal, b: Decimal) -> Result<()> {
    *a = exact::add_or_why(*a, b, "recurring revenue")?;
    Ok(())
}

/// `a − b`, exactly.
fn sub(a: Decimal, b: Decimal) -> Result<Decimal> {
    exact::add_or_why(a, -b, "recurring revenue")
}

impl MrrState {
    /// The report.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the months span more than
    /// [`MAX_MONTHS`](super::MAX_MONTHS); [`Error::Overflow`] when a sum
    /// passes `Decimal`'s range; [`Error::Inexact`] when an exact sum
    /// needs more than its 28 significant digits (never rounded).
    pub fn finish(self) -> Result<MrrReport> {
        let currency = self.spec.currency();
        let mut report = MrrReport {
            currency,
            customers: self.names.len() as u64,
            months: Vec::new(),
            cohorts: Vec::new(),
        };
        if self.spans.is_empty() && self.rows.is_empty() {
            return Ok(report);
        }
        let first = self.first;
        let last = self.spec.through.map_or(self.last, Month::index);
        if last < first {
            return Ok(report);
        }
        if last - first >= MAX_MONTHS {
            return Err(Error::invalid(
                "recurring revenue",
                format!("the months span more than {MAX_MONTHS} (100 years)"),
            ));
        }
        let n = (last - first + 1) as usize;
        let z = || vec![Decimal::ZERO; n];
        let mut s = Sums {
            d_mrr: z(),
            d_arr: z(),
            d_arr12: z(),
            d_active: vec![0; n],
            new: z(),
            expansion: z(),
            contraction: z(),
            churned: z(),
            reactivation: z(),
            n_new: vec![0; n],
            n_churned: vec![0; n],
            n_reactivated: vec![0; n],
        };
        let mut cohorts: Vec<Option<CohortSums>> = (0..n).map(|_| None).collect();
        // The rows and spans by customer: counting sorts on the dense ids.
        let customers = self.names.len();
        let (row_at, row_order) = by_customer(customers, self.rows.iter().map(|r| r.customer));
        let (span_at, span_order) = by_customer(customers, self.spans.iter().map(|s| s.customer));
        let mut steps: Vec<Step> = Vec::new();
        let mut rows: Vec<(i32, Decimal)> = Vec::new();
        for c in canonical_order(&self.names) {
            let c = c as usize;
            let mut w = Walker::new(first, last);
            rows.clear();
            rows.extend(
                row_order[row_at[c]..row_at[c + 1]]
                    .iter()
                    .map(|&i| &self.rows[i as usize])
                    .filter(|r| r.month <= last)
                    .map(|r| (r.month, r.mrr)),
            );
            rows.sort_unstable_by_key(|x| (x.0, x.1, x.1.scale()));
            if span_at[c] == span_at[c + 1] {
                // Monthly rows only: walk them, a change only where the
                // MRR changes (most months it does not).
                w.rows(&rows, &mut s, &mut cohorts)?;
                continue;
            }
            // With subscriptions: every row and span as changes at its
            // first month and after its last.
            steps.clear();
            for &(m, v) in &rows {
                steps.push((m, v, Decimal::ZERO, v));
                if m < last {
                    steps.push((m + 1, -v, Decimal::ZERO, -v));
                }
            }
            for &i in &span_order[span_at[c]..span_at[c + 1]] {
                let sp: &Span = &self.spans[i as usize];
                if sp.from > last || sp.from >= sp.to {
                    continue;
                }
                steps.push((sp.from, sp.mrr, sp.arr, Decimal::ZERO));
                if sp.to <= last {
                    steps.push((sp.to, -sp.mrr, -sp.arr, Decimal::ZERO));
                }
            }
            steps.sort_unstable_by_key(|x| {
                (x.0, x.1, x.1.scale(), x.2, x.2.scale(), x.3, x.3.scale())
            });
            w.steps(&steps, &mut s, &mut cohorts)?;
        }
        report.months = months(&s, first, currency)?;
        report.cohorts = cohort_rows(cohorts, first, n, currency)?;
        Ok(report)
    }
}

/// The customers in an order that depends on their names only (a fixed
/// hash of the name, then the name): with each customer's changes in a
/// total order too, the same inputs, added in any order or merged from
/// any partition, are summed in the same order, so they give the same
/// report, and the same error when an exact sum needs more than 28
/// digits (which can depend on the order of the terms).
fn canonical_order(names: &[std::sync::Arc<str>]) -> Vec<u32> {
    use std::hash::BuildHasher;
    let fixed = foldhash::fast::FixedState::with_seed(0x5EED_0F_2026);
    let mut keys: Vec<(u64, u32)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (fixed.hash_one(&**n), i as u32))
        .collect();
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| names[a.1 as usize].cmp(&names[b.1 as usize]))
    });
    keys.into_iter().map(|k| k.1).collect()
}

/// The positions of each customer's items in `ids` order: `order[at[c]..
/// at[c + 1]]` are customer `c`'s indices.
fn by_customer(customers: usize, ids: impl Iterator<Item = u32> + Clone) -> (Vec<usize>, Vec<u32>) {
    let mut at = vec![0usize; customers + 1];
    for c in ids.clone() {
        at[c as usize + 1] += 1;
    }
    for i in 0..customers {
        at[i + 1] += at[i];
    }
    let mut next = at.clone();
    let mut order = vec![0u32; at[customers]];
    for (i, c) in ids.enumerate() {
        order[next[c as usize]] = i as u32;
        next[c as usize] += 1;
    }
    (at, order)
}

/// One customer's months, walked in order: its MRR, whether it ever had
/// MRR, and its cohort (month index and first MRR).
struct Walker {
    first: i32,
    last: i32,
    cur: Decimal,
    had: bool,
    cohort: Option<(usize, Decimal)>,
}

impl Walker {
    fn new(first: i32, last: i32) -> Walker {
        Walker {
            first,
            last,
            cur: Decimal::ZERO,
            had: false,
            cohort: None,
        }
    }

    /// Monthly rows, sorted by month (several in a month add up): the MRR
    /// is each month's rows, 0 in a month without one.
    fn rows(
        &mut self,
        rows: &[(i32, Decimal)],
        s: &mut Sums,
        cohorts: &mut [Option<CohortSums>],
    ) -> Result<()> {
        let mut i = 0;
        let mut prev_month = i32::MIN;
        while i < rows.len() {
            let m = rows[i].0;
            let mut v = rows[i].1;
            i += 1;
            while i < rows.len() && rows[i].0 == m {
                add(&mut v, rows[i].1)?;
                i += 1;
            }
            // A gap after MRR: down to 0 the month after the last row.
            if m > prev_month.saturating_add(1) && !self.cur.is_zero() {
                self.change(
                    prev_month + 1,
                    Decimal::ZERO,
                    Decimal::ZERO,
                    true,
                    s,
                    cohorts,
                )?;
            }
            if v != self.cur {
                self.change(m, v, Decimal::ZERO, true, s, cohorts)?;
            }
            prev_month = m;
        }
        if !self.cur.is_zero() && prev_month < self.last {
            self.change(
                prev_month + 1,
                Decimal::ZERO,
                Decimal::ZERO,
                true,
                s,
                cohorts,
            )?;
        }
        Ok(())
    }

    /// Changes `(month, Δmrr, Δarr of subscriptions, Δmrr of monthly
    /// rows)`, sorted by month.
    fn steps(
        &mut self,
        steps: &[Step],
        s: &mut Sums,
        cohorts: &mut [Option<CohortSums>],
    ) -> Result<()> {
        let mut i = 0;
        while i < steps.len() {
            let m = steps[i].0;
            let (mut d_mrr, mut d_arr, mut d12) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            while i < steps.len() && steps[i].0 == m {
                add(&mut d_mrr, steps[i].1)?;
                add(&mut d_arr, steps[i].2)?;
                add(&mut d12, steps[i].3)?;
                i += 1;
            }
            // Nothing changes this month (a plan that goes on).
            if d_mrr.is_zero() && d_arr.is_zero() && d12.is_zero() {
                continue;
            }
            let mut next = self.cur;
            add(&mut next, d_mrr)?;
            let k = (m - self.first) as usize;
            add(&mut s.d_arr12[k], d12)?;
            self.change(m, next, d_arr, false, s, cohorts)?;
        }
        Ok(())
    }

    /// The MRR goes from `cur` to `next` in month `m` (with `d_arr` of
    /// subscriptions' ARR; with `monthly`, a monthly row's change, whose
    /// ARR is 12 × MRR): the movement, the deltas and the cohort's sums.
    fn change(
        &mut self,
        m: i32,
        next: Decimal,
        d_arr: Decimal,
        monthly: bool,
        s: &mut Sums,
        cohorts: &mut [Option<CohortSums>],
    ) -> Result<()> {
        let cur = self.cur;
        let k = (m - self.first) as usize;
        let d_mrr = sub(next, cur)?;
        add(&mut s.d_mrr[k], d_mrr)?;
        if monthly {
            add(&mut s.d_arr12[k], d_mrr)?;
        } else {
            add(&mut s.d_arr[k], d_arr)?;
        }
        let (was, is) = (cur > Decimal::ZERO, next > Decimal::ZERO);
        s.d_active[k] += i64::from(is) - i64::from(was);
        match (was, is) {
            (false, true) if !self.had => {
                add(&mut s.new[k], next)?;
                s.n_new[k] += 1;
                self.had = true;
                let c = cohorts[k].get_or_insert_with(|| CohortSums {
                    customers: 0,
                    d_mrr: Vec::new(),
                    d_min: Vec::new(),
                });
                c.customers += 1;
                self.cohort = Some((k, next));
            }
            (false, true) => {
                add(&mut s.reactivation[k], next)?;
                s.n_reactivated[k] += 1;
            }
            (true, false) => {
                add(&mut s.churned[k], cur)?;
                s.n_churned[k] += 1;
            }
            (true, true) if next > cur => add(&mut s.expansion[k], d_mrr)?,
            (true, true) if next < cur => add(&mut s.contraction[k], sub(cur, next)?)?,
            _ => {}
        }
        if let Some((ck, v0)) = self.cohort {
            if let Some(c) = cohorts[ck].as_mut() {
                let j = k - ck;
                if c.d_mrr.len() <= j {
                    c.d_mrr.resize(j + 1, Decimal::ZERO);
                    c.d_min.resize(j + 1, Decimal::ZERO);
                }
                add(&mut c.d_mrr[j], d_mrr)?;
                add(&mut c.d_min[j], sub(next.min(v0), cur.min(v0))?)?;
            }
        }
        self.cur = next;
        Ok(())
    }
}

/// The bridge rows from the sums.
fn months(s: &Sums, first: i32, currency: crate::quantity::Currency) -> Result<Vec<MonthBridge>> {
    let money = |v: Decimal| Money::new(v, currency);
    let (mut closing, mut arr, mut arr12, mut active) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, 0i64);
    let mut out = Vec::with_capacity(s.d_mrr.len());
    for k in 0..s.d_mrr.len() {
        let opening = closing;
        let opening_n = active;
        add(&mut closing, s.d_mrr[k])?;
        add(&mut arr, s.d_arr[k])?;
        add(&mut arr12, s.d_arr12[k])?;
        let mut arr_total = exact::mul_int_or_why(arr12, 12, "annual recurring revenue")?;
        add(&mut arr_total, arr)?;
        active += s.d_active[k];
        let lost = exact::add_or_why(s.contraction[k], s.churned[k], "recurring revenue")?;
        let mut gained = s.new[k];
        add(&mut gained, s.expansion[k])?;
        add(&mut gained, s.reactivation[k])?;
        let quick_ratio = if lost.is_zero() {
            None
        } else {
            Some(Multiple::from_quotient(
                gained,
                lost,
                "quick ratio",
                "contraction + churned",
            )?)
        };
        let (gross, net) = if opening.is_zero() {
            (None, None)
        } else {
            let gross = lost
                .checked_div(opening)
                .ok_or_else(|| Error::overflow("gross revenue churn"))?;
            let mut back = s.expansion[k];
            add(&mut back, s.reactivation[k])?;
            let net = sub(lost, back)?
                .checked_div(opening)
                .ok_or_else(|| Error::overflow("net revenue churn"))?;
            (
                Some(Ratio::new(gross.min(Decimal::ONE))?),
                Some(Change::new(net)?),
            )
        };
        let opening_n = u64::try_from(opening_n).unwrap_or(0);
        let month = Month::from_index(first + k as i32)
            .ok_or_else(|| Error::invalid("recurring revenue", "a month past year 9999"))?;
        out.push(MonthBridge {
            month,
            opening_mrr: money(opening),
            mrr: money(closing),
            arr: money(arr_total),
            new: money(s.new[k]),
            expansion: money(s.expansion[k]),
            contraction: money(s.contraction[k]),
            churned: money(s.churned[k]),
            reactivation: money(s.reactivation[k]),
            customers: CustomerCounts {
                opening: opening_n,
                active: u64::try_from(active).unwrap_or(0),
                new: s.n_new[k],
                churned: s.n_churned[k],
                reactivated: s.n_reactivated[k],
            },
            quick_ratio,
            gross_revenue_churn: gross,
            net_revenue_churn: net,
            logo_churn: Ratio::from_counts(s.n_churned[k], opening_n).ok(),
        });
    }
    Ok(out)
}

/// The cohort rows, each to the last month.
fn cohort_rows(
    cohorts: Vec<Option<CohortSums>>,
    first: i32,
    n: usize,
    currency: crate::quantity::Currency,
) -> Result<Vec<MrrCohort>> {
    let mut out = Vec::new();
    for (k, c) in cohorts.into_iter().enumerate() {
        let Some(c) = c else { continue };
        let len = n - k;
        let (mut mrr, mut min) = (Decimal::ZERO, Decimal::ZERO);
        let (mut mrrs, mut nrr, mut grr) = (Vec::new(), Vec::new(), Vec::new());
        let mut base = Decimal::ZERO;
        for j in 0..len {
            add(&mut mrr, c.d_mrr.get(j).copied().unwrap_or_default())?;
            add(&mut min, c.d_min.get(j).copied().unwrap_or_default())?;
            if j == 0 {
                base = mrr;
            }
            mrrs.push(Money::new(mrr, currency));
            nrr.push(Multiple::from_quotient(
                mrr,
                base,
                "net revenue retention",
                "the cohort's first MRR",
            )?);
            let g = min
                .checked_div(base)
                .ok_or_else(|| Error::overflow("gross revenue retention"))?;
            grr.push(Ratio::new(g.min(Decimal::ONE))?);
        }
        out.push(MrrCohort {
            cohort: Month::from_index(first + k as i32)
                .ok_or_else(|| Error::invalid("recurring revenue", "a month past year 9999"))?,
            customers: c.customers,
            mrr: mrrs,
            nrr,
            grr,
        });
    }
    Ok(out)
}
