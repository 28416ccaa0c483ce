//! From the spans of every customer to the bridge and the cohorts: each
//! customer's months swept once, at the months where its MRR changes.

use rust_decimal::Decimal;

use super::report::{CustomerCounts, MonthBridge, MrrCohort, MrrReport};
use super::state::{MrrState, Span};
use super::MAX_MONTHS;
use crate::error::{Error, Result};
use crate::quantity::{exact, Change, Money, Month, Multiple, Ratio};

/// Per month, the sums of every movement (index: month − first), in
/// whole units of 10^-scale, every sum of amounts that are not negative
/// (a signed change is kept as its rises and its falls): such a sum passes
/// its bound only if its total does, so no order of the terms fails where
/// another would not.
struct Sums {
    scale: u32,
    new: Vec<u128>,
    expansion: Vec<u128>,
    contraction: Vec<u128>,
    churned: Vec<u128>,
    reactivation: Vec<u128>,
    /// Rises and falls of subscriptions' ARR.
    arr_up: Vec<u128>,
    arr_down: Vec<u128>,
    /// Rises and falls of monthly rows' MRR (their ARR is 12 × MRR).
    arr12_up: Vec<u128>,
    arr12_down: Vec<u128>,
    d_active: Vec<i64>,
    n_new: Vec<u64>,
    n_churned: Vec<u64>,
    n_reactivated: Vec<u64>,
}

/// A change of one customer's revenue: month, Δmrr, Δarr (subscriptions),
/// Δmrr of monthly rows (whose ARR is 12 × MRR).
type Step = (i32, Decimal, Decimal, Decimal);

/// Per cohort (index: cohort month − first): customers, and per month
/// after it the rises and falls of its MRR and of Σ min(MRR, first MRR),
/// in units.
struct CohortSums {
    customers: u64,
    mrr_up: Vec<u128>,
    mrr_down: Vec<u128>,
    min_up: Vec<u128>,
    min_down: Vec<u128>,
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

/// `|d|` in whole units of 10^-`scale` (`d` has at most `scale` decimals:
/// every amount is a sum or difference of inputs with at most that many).
fn units(d: Decimal, scale: u32) -> Result<u128> {
    let d = d.abs();
    let (m, s) = if d.scale() > scale {
        let n = d.normalize();
        (n.mantissa(), n.scale())
    } else {
        (d.mantissa(), d.scale())
    };
    let up = scale
        .checked_sub(s)
        .and_then(|k| exact::POW10.get(k as usize))
        .ok_or(Error::Inexact {
            operation: "recurring revenue".into(),
        })?;
    u128::try_from(m)
        .ok()
        .and_then(|m| m.checked_mul(*up))
        .ok_or_else(|| Error::overflow("recurring revenue"))
}

/// `*slot += |d|` in units: to `up` when `d` rises, `down` when it falls.
fn push(up: &mut u128, down: &mut u128, d: Decimal, scale: u32) -> Result<()> {
    let u = units(d, scale)?;
    let slot = if d.is_sign_negative() { down } else { up };
    *slot = slot
        .checked_add(u)
        .ok_or_else(|| Error::overflow("recurring revenue"))?;
    Ok(())
}

/// `*slot += d` (not negative) in units.
fn push_amount(slot: &mut u128, d: Decimal, scale: u32) -> Result<()> {
    *slot = slot
        .checked_add(units(d, scale)?)
        .ok_or_else(|| Error::overflow("recurring revenue"))?;
    Ok(())
}

/// Units of 10^-`scale` as a decimal: at that scale when it fits, else
/// with trailing zeros dropped; an error when it cannot be held.
fn decimal(units: i128, scale: u32) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(units, scale)
        .ok()
        .or_else(|| exact::units_to_decimal(units, scale, 0))
        .ok_or_else(|| {
            if Decimal::try_from_i128_with_scale(units / 10i128.pow(scale.min(38)), 0).is_ok() {
                Error::Inexact {
                    operation: "recurring revenue".into(),
                }
            } else {
                Error::overflow("recurring revenue")
            }
        })
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
        let z = || vec![0u128; n];
        let mut s = Sums {
            scale: self.scale,
            new: z(),
            expansion: z(),
            contraction: z(),
            churned: z(),
            reactivation: z(),
            arr_up: z(),
            arr_down: z(),
            arr12_up: z(),
            arr12_down: z(),
            d_active: vec![0; n],
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
        // A customer whose sums fail is noted and the others go on: the
        // error reported is the gravest of all (an overflow before an
        // inexact sum), the same whatever order the customers are in.
        let mut failed: Option<Error> = None;
        let mut note = |r: Result<()>| {
            if let Err(e) = r {
                let overflow = |e: &Error| matches!(e, Error::Overflow { .. });
                if failed
                    .as_ref()
                    .map_or(true, |f| !overflow(f) && overflow(&e))
                {
                    failed = Some(e);
                }
            }
        };
        for c in 0..customers {
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
                note(w.rows(&rows, &mut s, &mut cohorts));
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
            note(w.steps(&steps, &mut s, &mut cohorts));
        }
        if let Some(e) = failed {
            return Err(e);
        }
        report.months = months(&s, first, currency)?;
        report.cohorts = cohort_rows(cohorts, first, n, self.scale, currency)?;
        Ok(report)
    }
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
            push(&mut s.arr12_up[k], &mut s.arr12_down[k], d12, s.scale)?;
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
        let sc = s.scale;
        let d_mrr = sub(next, cur)?;
        if monthly {
            push(&mut s.arr12_up[k], &mut s.arr12_down[k], d_mrr, sc)?;
        } else {
            push(&mut s.arr_up[k], &mut s.arr_down[k], d_arr, sc)?;
        }
        let (was, is) = (cur > Decimal::ZERO, next > Decimal::ZERO);
        s.d_active[k] += i64::from(is) - i64::from(was);
        match (was, is) {
            (false, true) if !self.had => {
                push_amount(&mut s.new[k], next, sc)?;
                s.n_new[k] += 1;
                self.had = true;
                let c = cohorts[k].get_or_insert_with(|| CohortSums {
                    customers: 0,
                    mrr_up: Vec::new(),
                    mrr_down: Vec::new(),
                    min_up: Vec::new(),
                    min_down: Vec::new(),
                });
                c.customers += 1;
                self.cohort = Some((k, next));
            }
            (false, true) => {
                push_amount(&mut s.reactivation[k], next, sc)?;
                s.n_reactivated[k] += 1;
            }
            (true, false) => {
                push_amount(&mut s.churned[k], cur, sc)?;
                s.n_churned[k] += 1;
            }
            (true, true) if next > cur => push_amount(&mut s.expansion[k], d_mrr, sc)?,
            (true, true) if next < cur => push_amount(&mut s.contraction[k], d_mrr, sc)?,
            _ => {}
        }
        if let Some((ck, v0)) = self.cohort {
            if let Some(c) = cohorts[ck].as_mut() {
                let j = k - ck;
                if c.mrr_up.len() <= j {
                    for v in [
                        &mut c.mrr_up,
                        &mut c.mrr_down,
                        &mut c.min_up,
                        &mut c.min_down,
                    ] {
                        v.resize(j + 1, 0);
                    }
                }
                push(&mut c.mrr_up[j], &mut c.mrr_down[j], d_mrr, sc)?;
                let d_min = sub(next.min(v0), cur.min(v0))?;
                push(&mut c.min_up[j], &mut c.min_down[j], d_min, sc)?;
            }
        }
        self.cur = next;
        Ok(())
    }
}

/// Units as an `i128` (sums of `u128` units stay below 2^127 or are an
/// overflow).
fn signed(u: u128) -> Result<i128> {
    i128::try_from(u).map_err(|_| Error::overflow("recurring revenue"))
}

/// The bridge rows from the sums.
fn months(s: &Sums, first: i32, currency: crate::quantity::Currency) -> Result<Vec<MonthBridge>> {
    let sc = s.scale;
    let money = |u: i128| -> Result<Money> { Ok(Money::new(decimal(u, sc)?, currency)) };
    let ov = || Error::overflow("recurring revenue");
    let (mut closing, mut arr, mut arr12, mut active) = (0i128, 0i128, 0i128, 0i64);
    let n = s.new.len();
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let opening = closing;
        let opening_n = active;
        let [new, expansion, contraction, churned, reactivation] = [
            s.new[k],
            s.expansion[k],
            s.contraction[k],
            s.churned[k],
            s.reactivation[k],
        ]
        .map(signed);
        let (new, expansion, contraction, churned, reactivation) =
            (new?, expansion?, contraction?, churned?, reactivation?);
        let gained = new
            .checked_add(expansion)
            .and_then(|x| x.checked_add(reactivation))
            .ok_or_else(ov)?;
        let lost = contraction.checked_add(churned).ok_or_else(ov)?;
        closing = opening
            .checked_add(gained)
            .and_then(|x| x.checked_sub(lost))
            .ok_or_else(ov)?;
        arr = arr
            .checked_add(signed(s.arr_up[k])?)
            .and_then(|x| x.checked_sub(signed(s.arr_down[k]).ok()?))
            .ok_or_else(ov)?;
        arr12 = arr12
            .checked_add(signed(s.arr12_up[k])?)
            .and_then(|x| x.checked_sub(signed(s.arr12_down[k]).ok()?))
            .ok_or_else(ov)?;
        let arr_total = arr12
            .checked_mul(12)
            .and_then(|x| x.checked_add(arr))
            .ok_or_else(ov)?;
        active += s.d_active[k];
        let (gained_d, lost_d, opening_d) = (
            decimal(gained, sc)?,
            decimal(lost, sc)?,
            decimal(opening, sc)?,
        );
        let quick_ratio = if lost == 0 {
            None
        } else {
            Some(Multiple::from_quotient(
                gained_d,
                lost_d,
                "quick ratio",
                "contraction + churned",
            )?)
        };
        let (gross, net) = if opening == 0 {
            (None, None)
        } else {
            let gross = lost_d
                .checked_div(opening_d)
                .ok_or_else(|| Error::overflow("gross revenue churn"))?;
            let back = expansion.checked_add(reactivation).ok_or_else(ov)?;
            let net = decimal(lost.checked_sub(back).ok_or_else(ov)?, sc)?
                .checked_div(opening_d)
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
            opening_mrr: money(opening)?,
            mrr: money(closing)?,
            arr: money(arr_total)?,
            new: money(new)?,
            expansion: money(expansion)?,
            contraction: money(contraction)?,
            churned: money(churned)?,
            reactivation: money(reactivation)?,
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
    scale: u32,
    currency: crate::quantity::Currency,
) -> Result<Vec<MrrCohort>> {
    let ov = || Error::overflow("recurring revenue");
    let at = |v: &[u128], j: usize| -> Result<i128> { signed(v.get(j).copied().unwrap_or(0)) };
    let mut out = Vec::new();
    for (k, c) in cohorts.into_iter().enumerate() {
        let Some(c) = c else { continue };
        let (mut mrr, mut min) = (0i128, 0i128);
        let (mut mrrs, mut nrr, mut grr) = (Vec::new(), Vec::new(), Vec::new());
        let mut base = Decimal::ZERO;
        for j in 0..n - k {
            mrr = mrr
                .checked_add(at(&c.mrr_up, j)?)
                .and_then(|x| x.checked_sub(at(&c.mrr_down, j).ok()?))
                .ok_or_else(ov)?;
            min = min
                .checked_add(at(&c.min_up, j)?)
                .and_then(|x| x.checked_sub(at(&c.min_down, j).ok()?))
                .ok_or_else(ov)?;
            let (m, mi) = (decimal(mrr, scale)?, decimal(min, scale)?);
            if j == 0 {
                base = m;
            }
            mrrs.push(Money::new(m, currency));
            nrr.push(Multiple::from_quotient(
                m,
                base,
                "net revenue retention",
                "the cohort's first MRR",
            )?);
            let g = mi
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
