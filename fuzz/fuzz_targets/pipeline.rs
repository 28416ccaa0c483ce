//! The pipeline report on any deals and specs: never a panic; counts add
//! up to the deals given; splitting the deals and merging the partial
//! states gives the same report.

#![no_main]

#[path = "common.rs"]
mod common;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use common::Bytes;
use libfuzzer_sys::fuzz_target;
use revops::journey::Team;
use revops::pipeline::{
    report, Deal, DealStatus, ForecastCategory, PipelineSpec, PipelineState, StageEntry,
};
use revops::quantity::FxRates;
use revops::{Currency, Decimal, Money, Period, Ratio};

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let at = |d: u16| Utc.from_utc_datetime(&day0.and_hms_opt(0, 0, 0).unwrap()) + TimeDelta::days(i64::from(d % 400));
    let Ok(period) = Period::new(day0, day0 + TimeDelta::days(1 + i64::from(b.u8()))) else {
        return;
    };
    let as_of = day0 + TimeDelta::days(i64::from(b.u8()));
    let mut spec = PipelineSpec::new(period, as_of, Currency::USD);
    let mut fx = FxRates::new(Currency::USD);
    if b.u8() % 2 == 0 {
        let _ = fx.set(Currency::EUR, b.decimal());
    }
    spec.fx = fx;
    if b.u8() % 2 == 0 {
        spec.quota = Some(Money::new(b.decimal().abs(), Currency::USD));
    }
    let mut deals = Vec::new();
    while !b.is_empty() && deals.len() < 200 {
        let created = b.u16();
        let status = [DealStatus::Open, DealStatus::Won, DealStatus::Lost][usize::from(b.u8() % 3)];
        let closed = (status != DealStatus::Open).then(|| at(created.saturating_add(b.u16() % 90)));
        let currency = if b.u8() % 4 == 0 { Currency::EUR } else { Currency::USD };
        let Ok(p) = Ratio::new(Decimal::new(i64::from(b.u8() % 101), 2)) else {
            continue;
        };
        let forecast = [
            ForecastCategory::Pipeline,
            ForecastCategory::BestCase,
            ForecastCategory::Commit,
            ForecastCategory::Closed,
            ForecastCategory::Omitted,
        ][usize::from(b.u8() % 5)];
        let source = if b.u8() % 2 == 0 { Team::Marketing } else { Team::Sales };
        let Ok(deal) = Deal::new(
            format!("D{}", deals.len()),
            at(created),
            closed,
            status,
            Money::new(b.decimal(), currency),
            format!("s{}", b.u8() % 6),
            p,
            forecast,
            source,
        ) else {
            continue;
        };
        let history: Vec<StageEntry> = (0..b.u8() % 5)
            .map(|k| StageEntry {
                stage: format!("h{}", b.u8() % 4),
                entered_at: at(created.saturating_add(u16::from(k))),
            })
            .collect();
        deals.push(deal.clone().with_history(history).unwrap_or(deal));
    }
    let Ok(whole) = report(spec.clone(), &deals) else {
        return;
    };
    let ignored: u64 = whole.ignored.values().sum();
    assert_eq!(
        whole.won_count + whole.lost_count + whole.open_count + ignored,
        deals.len() as u64
    );
    let cut = deals.len() / 3;
    let mut a = PipelineState::new(spec.clone());
    let mut c = PipelineState::new(spec);
    a.extend(&deals[..cut]).unwrap();
    c.extend(&deals[cut..]).unwrap();
    a.merge(&c).unwrap();
    assert_eq!(a.finish().unwrap(), whole);
});
