//! Pipeline flow on any snapshot rows: never a panic (hostile amounts and
//! rates, dates at chrono's ends, repeated and conflicting rows); when the
//! report is computed, every deal that enters the waterfall leaves it
//! once, no amount is negative, and splitting the rows and merging the
//! states (one of them through JSON) gives the same report.

#![no_main]

#[path = "common.rs"]
mod common;

use chrono::{NaiveDate, TimeDelta};
use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::pipeline::flow::{FlowSpec, FlowState, Movement, SnapshotRow};
use revops::pipeline::{DealStatus, ForecastCategory};
use revops::quantity::FxRates;
use revops::{Currency, Money, Period};

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let day0 = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let date = |b: &mut Bytes| match b.u8() % 16 {
        0 => NaiveDate::MIN,
        1 => NaiveDate::MAX,
        _ => day0 + TimeDelta::days(i64::from(b.u8() % 120) - 20),
    };
    let mut fx = FxRates::new(Currency::USD);
    let _ = fx.set(Currency::EUR, b.decimal());
    let (mut whole, mut left, mut right) = (FlowState::new(), FlowState::new(), FlowState::new());
    let mut n = 0;
    while !b.is_empty() && n < 300 {
        n += 1;
        let deal = format!("d{}", b.u8() % 8);
        let stage = ["a", "b", "c", "a-very-long-stage-name-past-sixteen"][usize::from(b.u8() % 4)];
        let currency = if b.u8() % 5 == 0 { Currency::EUR } else { Currency::USD };
        let row = SnapshotRow {
            snapshot_date: if b.u8() % 2 == 0 {
                day0 + TimeDelta::days(7 * i64::from(b.u8() % 6))
            } else {
                date(&mut b)
            },
            deal_id: &deal,
            amount: Money::new(b.decimal(), currency),
            stage,
            close_date: date(&mut b),
            status: [DealStatus::Open, DealStatus::Won, DealStatus::Lost][usize::from(b.u8() % 3)],
            forecast_category: [
                ForecastCategory::Pipeline,
                ForecastCategory::BestCase,
                ForecastCategory::Commit,
                ForecastCategory::Closed,
                ForecastCategory::Omitted,
            ][usize::from(b.u8() % 5)],
        };
        let a = whole.add(&row).is_ok();
        let part = if b.u8() % 2 == 0 { &mut left } else { &mut right };
        assert_eq!(a, part.add(&row).is_ok(), "a row is refused by one state only");
    }
    let json = serde_json::to_string(&right).unwrap();
    let right: FlowState = serde_json::from_str(&json).expect("a state reads back");
    left.merge(&right).unwrap();
    assert_eq!(left, whole, "the merged states hold other rows");
    let snaps = whole.snapshot_dates();
    if snaps.len() < 2 {
        return;
    }
    let (i, j) = (usize::from(b.u8()) % snaps.len(), usize::from(b.u8()) % snaps.len());
    let start = date(&mut b);
    let Some(end) = start.checked_add_signed(TimeDelta::days(1 + i64::from(b.u8()))) else {
        return;
    };
    let period = Period::new(start, end).unwrap();
    let spec = FlowSpec::new(snaps[i.min(j)], snaps[i.max(j)], period, Currency::USD)
        .with_fx(fx.clone())
        .listing_deals();
    let (r, m) = (whole.report(&spec), left.report(&spec));
    match (&r, &m) {
        (Ok(r), Ok(m)) => {
            assert_eq!(r, m, "merged states give another report");
            let c = &r.counts;
            assert_eq!(
                c.start + c.created + c.pulled_in,
                c.pushed_out + c.won + c.lost + c.removed + c.end,
                "a deal entered the waterfall and did not leave it once"
            );
            assert!(Movement::ALL.iter().all(|&x| !r.amount(x).is_negative()));
            let listed = r.deals.as_ref().unwrap();
            for x in Movement::ALL {
                assert_eq!(listed.movements.get(x).len() as u64, *c.get(x));
            }
            let per = &listed.close_date_changes;
            let ch = &r.close_date_changes;
            assert_eq!(per.len() as u64, ch.deals_changed);
            assert_eq!(per.iter().map(|d| d.changes).sum::<u64>(), ch.changes);
            assert_eq!(per.iter().map(|d| d.pushes).sum::<u64>(), ch.pushes);
            assert_eq!(per.iter().map(|d| d.days_pushed).sum::<u64>(), ch.days_pushed);
            assert_eq!(per.iter().map(|d| d.days_pulled).sum::<u64>(), ch.days_pulled);
        }
        (Err(_), Err(_)) => {}
        _ => panic!("the whole and the merged states disagree on an error: {r:?} / {m:?}"),
    }
    let _ = whole.forecasts(&[period], &fx);
});
