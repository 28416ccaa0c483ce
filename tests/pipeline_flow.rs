//! Pipeline flow from CRM snapshots: each movement worked by hand, slippage,
//! stage durations and forecast accuracy by hand, and the identity, an
//! independent join and the merge laws on random snapshot histories.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use revops::pipeline::flow::{
    FlowReport, FlowSpec, FlowState, ForecastAccuracy, Movement, SnapshotRow,
};
use revops::pipeline::{DealStatus, ForecastCategory};
use revops::quantity::FxRates;
use revops::{dec, Currency, Decimal, Error, Money, Multiple, NaiveDate, Period};

#[path = "laws/mod.rs"]
mod laws;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).expect("date")
}

fn usd(a: &str) -> Money {
    Money::parse(a, "USD").expect("money")
}

/// An owned snapshot row: (snapshot, deal, amount, currency, stage,
/// close, status, category).
#[derive(Clone, Debug)]
struct Owned {
    snap: NaiveDate,
    deal: String,
    amount: Money,
    stage: String,
    close: NaiveDate,
    status: DealStatus,
    category: ForecastCategory,
}

impl Owned {
    fn row(&self) -> SnapshotRow<'_> {
        SnapshotRow {
            snapshot_date: self.snap,
            deal_id: &self.deal,
            amount: self.amount,
            stage: &self.stage,
            close_date: self.close,
            status: self.status,
            forecast_category: self.category,
        }
    }
}

fn open(snap: NaiveDate, deal: &str, amount: &str, close: NaiveDate) -> Owned {
    Owned {
        snap,
        deal: deal.into(),
        amount: usd(amount),
        stage: "proposal".into(),
        close,
        status: DealStatus::Open,
        category: ForecastCategory::Pipeline,
    }
}

fn with(mut o: Owned, status: DealStatus) -> Owned {
    o.status = status;
    o
}

fn state(rows: &[Owned]) -> FlowState {
    let mut st = FlowState::new();
    for r in rows {
        st.add(&r.row()).expect("row");
    }
    st
}

fn q1() -> Period {
    Period::new(d(1, 1), d(4, 1)).expect("period")
}

/// Snapshots every Monday from January 5 to February 2; A = January 5,
/// B = February 2, the period Q1.
fn worked() -> Vec<Owned> {
    let (a, b) = (d(1, 5), d(2, 2));
    let mut v = vec![
        // Created and won between the dates: created 600, won 600; its
        // close date pulled from March 1 to February 1 (28 days).
        open(d(1, 12), "created-won", "500", d(3, 1)),
        with(open(b, "created-won", "600", d(2, 1)), DealStatus::Won),
        // Pulled in (close date May 10 to January 30: 100 days) and lost.
        open(a, "pulled-lost", "1000", d(5, 10)),
        with(open(b, "pulled-lost", "1000", d(1, 30)), DealStatus::Lost),
        // Grew 500, then pushed out (March 15 to April 20: 36 days).
        open(a, "grow-push", "2000", d(3, 15)),
        open(d(1, 19), "grow-push", "2500", d(4, 20)),
        open(b, "grow-push", "2500", d(4, 20)),
        // Removed from the CRM.
        open(a, "removed", "700", d(2, 28)),
        // Lost before A, reopened: pulled in with its B amount, open at
        // the end (January 3 to March 30: 86 days).
        with(open(a, "reopened", "400", d(1, 3)), DealStatus::Lost),
        open(b, "reopened", "450", d(3, 30)),
        // Close date moved within the period (+10, then -5 days), amount
        // down 100.
        open(a, "moved-within", "900", d(2, 10)),
        open(d(1, 12), "moved-within", "900", d(2, 20)),
        open(d(1, 26), "moved-within", "900", d(2, 15)),
        open(b, "moved-within", "800", d(2, 15)),
        // Pushed twice (+7, +12 days), still in the period.
        open(a, "double-push", "300", d(3, 1)),
        open(d(1, 12), "double-push", "300", d(3, 8)),
        open(d(1, 19), "double-push", "300", d(3, 20)),
        open(b, "double-push", "300", d(3, 20)),
        // Won before A: closed at both dates, no movement.
        with(open(a, "closed-both", "5000", d(1, 2)), DealStatus::Won),
        with(open(b, "closed-both", "5000", d(1, 2)), DealStatus::Won),
        // Outside the period at both dates.
        open(a, "outside", "100", d(6, 1)),
        open(b, "outside", "100", d(6, 1)),
    ];
    // Every Monday is a snapshot.
    v.push(open(d(1, 26), "outside", "100", d(6, 1)));
    v
}

#[test]
fn each_movement_by_hand() {
    let st = state(&worked());
    let spec = FlowSpec::new(d(1, 5), d(2, 2), q1(), Currency::USD).listing_deals();
    let r = st.report(&spec).expect("report");
    let got: Vec<(Movement, Money, u64)> = Movement::ALL
        .iter()
        .map(|&m| (m, r.amount(m), *r.counts.get(m)))
        .collect();
    let want = [
        (Movement::Start, "3900", 4),
        (Movement::Created, "600", 1),
        (Movement::PulledIn, "1450", 2),
        (Movement::Increased, "500", 1),
        (Movement::Decreased, "100", 1),
        (Movement::PushedOut, "2500", 1),
        (Movement::Won, "600", 1),
        (Movement::Lost, "1000", 1),
        (Movement::Removed, "700", 1),
        (Movement::End, "1550", 3),
    ]
    .map(|(m, a, n)| (m, usd(a), n));
    assert_eq!(got, want);
    let deals = r.deals.as_ref().expect("listed");
    let names = |m| deals.movements.get(m).clone();
    assert_eq!(names(Movement::PulledIn), ["pulled-lost", "reopened"]);
    assert_eq!(names(Movement::Removed), ["removed"]);
    assert_eq!(
        names(Movement::End),
        ["double-push", "moved-within", "reopened"]
    );
    assert_eq!(r.slipped_deals, 3);
    assert_eq!(deals.slipped, ["double-push", "grow-push", "moved-within"]);
    let c = &r.close_date_changes;
    assert_eq!((c.deals_changed, c.changes), (6, 8));
    assert_eq!((c.pushes, c.days_pushed), (5, 36 + 86 + 10 + 7 + 12));
    assert_eq!((c.pulls, c.days_pulled), (3, 28 + 100 + 5));
    assert_eq!(c.pushed_more_than_once, 1);
    assert_eq!(deals.pushed_more_than_once, ["double-push"]);
    let per: BTreeMap<&str, (u64, u64, u64, u64)> = deals
        .close_date_changes
        .iter()
        .map(|c| {
            (
                c.deal.as_str(),
                (c.changes, c.pushes, c.days_pushed, c.days_pulled),
            )
        })
        .collect();
    assert_eq!(per.len(), 6);
    assert_eq!(per["moved-within"], (2, 1, 10, 5));
    assert_eq!(per["double-push"], (2, 2, 19, 0));
    assert_eq!(per["pulled-lost"], (1, 0, 0, 100));
    // Not listed unless asked.
    let plain = st
        .report(&FlowSpec::new(d(1, 5), d(2, 2), q1(), Currency::USD))
        .expect("report");
    assert!(plain.deals.is_none());
    assert_eq!(plain.end, r.end);
}

#[test]
fn the_dates_must_be_snapshots_in_order() {
    let st = state(&worked());
    for (a, b) in [
        (d(1, 6), d(2, 2)),
        (d(1, 5), d(2, 3)),
        (d(2, 2), d(1, 5)),
        (d(1, 5), d(1, 5)),
    ] {
        let e = st.report(&FlowSpec::new(a, b, q1(), Currency::USD));
        assert!(
            matches!(e, Err(Error::InvalidInput { .. })),
            "{a} {b}: {e:?}"
        );
    }
}

#[test]
fn stage_durations_by_hand() {
    let s = |snap, deal: &str, stage: &str, status| Owned {
        stage: stage.into(),
        ..with(open(snap, deal, "100", d(3, 1)), status)
    };
    use DealStatus::{Lost, Open, Won};
    let rows = [
        s(d(1, 5), "x", "discovery", Open),
        s(d(1, 12), "x", "discovery", Open),
        s(d(1, 19), "x", "proposal", Open),
        s(d(2, 2), "x", "closed won", Won),
        s(d(1, 12), "y", "discovery", Open),
        s(d(1, 26), "y", "proposal", Open),
        s(d(2, 2), "y", "proposal", Open),
        s(d(1, 5), "z", "proposal", Open),
        s(d(1, 12), "z", "proposal", Lost),
        s(d(1, 5), "w", "discovery", Open),
        s(d(1, 12), "w", "proposal", Open),
        // Only ever seen in negotiation: censored, nothing measured.
        s(d(1, 26), "v", "negotiation", Open),
    ];
    let r = state(&rows)
        .report(&FlowSpec::new(d(1, 5), d(2, 2), q1(), Currency::USD))
        .expect("report");
    let sd = &r.stage_durations;
    assert_eq!(sd.resolution_days, Some(7));
    let by: BTreeMap<&str, _> = sd.stages.iter().map(|s| (s.stage.as_str(), s)).collect();
    assert_eq!(
        by.keys().copied().collect::<Vec<_>>(),
        ["discovery", "negotiation", "proposal"]
    );
    let neg = by["negotiation"];
    assert_eq!((neg.measured, neg.censored, neg.median_days), (0, 1, None));
    let disc = by["discovery"];
    // x and w from January 5 (the first snapshot), y from January 12.
    assert_eq!(
        (disc.measured, disc.censored, disc.from_first_snapshot),
        (3, 0, 2)
    );
    assert_eq!(disc.median_days, Some(dec!(14)));
    let prop = by["proposal"];
    // x: January 19 to February 2 (won), z: January 5 to 12 (lost); y
    // and w still in it at their last snapshots.
    assert_eq!(
        (prop.measured, prop.censored, prop.from_first_snapshot),
        (2, 2, 1)
    );
    assert_eq!(prop.median_days, Some(dec!(10.5)));
    assert_eq!(prop.p90_days, Some(dec!(13.3)));
    assert_eq!(prop.mean_days, Some(dec!(10.5)));
}

#[test]
fn forecast_accuracy_by_hand() {
    use DealStatus::{Lost, Open, Won};
    use ForecastCategory::{BestCase, Closed, Commit, Pipeline};
    let f = |snap, deal: &str, amount: &str, close, status, category| Owned {
        category,
        ..with(open(snap, deal, amount, close), status)
    };
    let (s1, s2, s3) = (d(2, 1), d(3, 1), d(4, 5));
    let rows = [
        f(s1, "d1", "1000", d(3, 15), Open, Commit),
        f(s2, "d1", "1000", d(3, 15), Open, Commit),
        f(s3, "d1", "1000", d(3, 20), Won, Closed),
        f(s1, "d2", "500", d(3, 30), Open, BestCase),
        f(s2, "d2", "500", d(3, 30), Open, Commit),
        f(s3, "d2", "500", d(3, 30), Lost, Closed),
        f(s1, "d3", "200", d(1, 20), Won, Closed),
        f(s2, "d3", "200", d(1, 20), Won, Closed),
        f(s3, "d3", "200", d(1, 20), Won, Closed),
        f(s1, "d4", "800", d(3, 10), Open, Pipeline),
        f(s2, "d4", "800", d(3, 10), Open, BestCase),
        f(s3, "d4", "900", d(3, 28), Won, Closed),
        // Won between the first two snapshots: the calls' won-to-date differ.
        f(s1, "d7", "100", d(2, 20), Open, Pipeline),
        f(s2, "d7", "100", d(2, 20), Won, Closed),
        f(s3, "d7", "100", d(2, 20), Won, Closed),
        // Closing on the period's end (outside it) and before its start:
        // in no call and not in what was won.
        f(s1, "d5", "700", d(4, 1), Open, Commit),
        f(s3, "d5", "700", d(4, 1), Won, Closed),
        f(
            s1,
            "d6",
            "300",
            NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
            Won,
            Closed,
        ),
        f(
            s2,
            "d6",
            "300",
            NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
            Won,
            Closed,
        ),
        f(
            s3,
            "d6",
            "300",
            NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
            Won,
            Closed,
        ),
    ];
    let st = state(&rows);
    let r = st
        .report(&FlowSpec::new(s1, s2, q1(), Currency::USD))
        .expect("report");
    assert_eq!(r.forecast_final_snapshot, Some(s3));
    let calls: Vec<_> = r
        .forecast_accuracy
        .iter()
        .map(|c| {
            (
                c.snapshot,
                c.won_to_date,
                c.commit,
                c.best_case,
                c.actual_won,
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            (s1, usd("200"), usd("1200"), usd("1700"), usd("2200")),
            (s2, usd("300"), usd("1800"), usd("2600"), usd("2200")),
        ]
    );
    let ape = |n: Decimal| Some(Multiple::new(n / dec!(2200)).expect("ape"));
    let c = &r.forecast_accuracy;
    assert_eq!(
        (c[0].commit_error, c[0].commit_ape),
        (usd("-1000"), ape(dec!(1000)))
    );
    assert_eq!(
        (c[0].best_case_error, c[0].best_case_ape),
        (usd("-500"), ape(dec!(500)))
    );
    assert_eq!(
        (c[1].commit_error, c[1].commit_ape),
        (usd("-400"), ape(dec!(400)))
    );
    assert_eq!(
        (c[1].best_case_error, c[1].best_case_ape),
        (usd("400"), ape(dec!(400)))
    );
    // Over the two calls: MAPE (1000 + 400) / 2 / 2200, bias (1200 + 1800
    // - 4400) / 4400; best case (1700 + 2600 - 4400) / 4400.
    let per = st
        .forecasts(&[q1()], &FxRates::new(Currency::USD))
        .expect("forecasts");
    assert!(per[0].complete);
    let acc = ForecastAccuracy::over(&per, None).expect("accuracy");
    assert_eq!(acc.calls, 2);
    let mape = (dec!(1000) / dec!(2200) + dec!(400) / dec!(2200)) / dec!(2);
    assert_eq!(acc.commit_mape.map(|m| m.value()), Some(mape));
    assert_eq!(
        acc.commit_bias.map(|b| b.value()),
        Some(dec!(-1400) / dec!(4400))
    );
    assert_eq!(
        acc.best_case_bias.map(|b| b.value()),
        Some(dec!(-100) / dec!(4400))
    );
    // The call at the second snapshot of each period only.
    let second = ForecastAccuracy::over(&per, Some(1)).expect("accuracy");
    assert_eq!(second.calls, 1);
    assert_eq!(
        second.commit_mape.map(|m| m.value()),
        ape(dec!(400)).map(|m| m.value())
    );
    // Without a snapshot after the period, the last one decides, and says so.
    let early = state(&rows[..])
        .forecasts(
            &[Period::new(d(1, 1), d(6, 1)).expect("p")],
            &FxRates::new(Currency::USD),
        )
        .expect("f");
    assert!(!early[0].complete);
    assert_eq!(early[0].final_snapshot, Some(s3));
}

#[test]
fn repeats_count_once_and_conflicts_are_left_out() {
    let a = open(d(1, 5), "d", "100", d(2, 1));
    let b = open(d(1, 12), "d", "100", d(2, 1));
    let other = open(d(1, 12), "x", "50", d(2, 1));
    let clash = Owned {
        amount: usd("70"),
        ..open(d(1, 12), "x", "50", d(2, 1))
    };
    let st = state(&[a.clone(), b.clone(), b.clone(), other.clone(), clash]);
    let spec = FlowSpec::new(d(1, 5), d(1, 12), q1(), Currency::USD).listing_deals();
    let r = st.report(&spec).expect("report");
    assert_eq!(r.ignored.duplicate_rows, 1);
    assert_eq!(r.ignored.conflicting_deals, 1);
    assert_eq!(r.deals.expect("listed").conflicting, ["x"]);
    assert_eq!(
        (r.start, r.end, r.created),
        (usd("100"), usd("100"), usd("0"))
    );
}

#[test]
fn currencies_convert_and_a_missing_rate_leaves_the_deal_out() {
    let eur = |a: &str| Money::parse(a, "EUR").expect("eur");
    let mut x = open(d(1, 5), "eu", "100", d(2, 1));
    x.amount = eur("100");
    let mut y = open(d(1, 12), "eu", "100", d(2, 1));
    y.amount = usd("120");
    let mut z = open(d(1, 12), "gb", "10", d(2, 1));
    z.amount = Money::parse("10", "GBP").expect("gbp");
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, dec!(1.1)).expect("rate");
    let spec = FlowSpec::new(d(1, 5), d(1, 12), q1(), Currency::USD)
        .with_fx(fx)
        .listing_deals();
    let r = state(&[x, y, z]).report(&spec).expect("report");
    // 100 EUR at 1.1 is 110 USD; it became 120 USD: +10.
    assert_eq!(
        (r.start, r.increased, r.end),
        (usd("110"), usd("10"), usd("120"))
    );
    assert_eq!(r.ignored.deals_without_fx_rate, 1);
    assert_eq!(r.deals.expect("listed").without_fx_rate, ["gb"]);
}

#[test]
fn hostile_rows_are_refused() {
    let mut st = FlowState::new();
    let mut r = open(d(1, 5), "", "1", d(2, 1));
    assert!(st.add(&r.row()).is_err());
    r.deal = "d".into();
    r.amount = usd("-1");
    assert!(st.add(&r.row()).is_err());
    r.amount = usd("1");
    r.stage = String::new();
    assert!(st.add(&r.row()).is_err());
    assert_eq!(st.rows(), 0);
    let json = r#"{"rows": [{"snapshot_date": "2026-01-05", "deal_id": "d", "amount": {"amount": "-5", "currency": "USD"}, "stage": "s", "close_date": "2026-02-01", "status": "open", "forecast_category": "commit"}]}"#;
    assert!(serde_json::from_str::<FlowState>(json).is_err());
    // Amounts with every scale, up to 28 decimals, sum exactly.
    let mut big = open(d(1, 5), "a", "1", d(2, 1));
    big.amount = Money::new(Decimal::new(1, 28), Currency::USD);
    let mut st = state(&[big.clone(), open(d(1, 12), "a", "79228162514", d(2, 1))]);
    big.snap = d(1, 12);
    big.deal = "b".into();
    st.add(&big.row()).expect("row");
    let r = st.report(&FlowSpec::new(d(1, 5), d(1, 12), q1(), Currency::USD));
    match r {
        Ok(r) => assert_eq!(r.end.amount(), dec!(79228162514) + Decimal::new(1, 28)),
        Err(e) => assert!(
            matches!(e, Error::Overflow { .. } | Error::Inexact { .. }),
            "{e:?}"
        ),
    }
}

/// The waterfall by an independent hash join over `Money`, deal by deal,
/// converting each amount.
fn oracle(rows: &[Owned], spec: &FlowSpec) -> (Vec<Money>, Vec<u64>, u64) {
    let mut by: BTreeMap<&str, BTreeMap<NaiveDate, &Owned>> = BTreeMap::new();
    for r in rows {
        by.entry(&r.deal).or_default().insert(r.snap, r);
    }
    let c = spec.fx.target();
    let conv = |m: Money| spec.fx.convert(m).expect("rate");
    let mut sums = vec![Money::zero(c); 10];
    let mut counts = vec![0u64; 10];
    let mut slipped = 0;
    let inp = |r: &Owned| spec.period.contains(r.close);
    let idx = |m: Movement| Movement::ALL.iter().position(|&x| x == m).expect("m");
    let mut put = |m: Movement, v: Money, sums: &mut Vec<Money>| {
        sums[idx(m)] = sums[idx(m)].checked_add(v).expect("sum");
        counts[idx(m)] += 1;
    };
    for snaps in by.values() {
        let (x, y) = (snaps.get(&spec.from), snaps.get(&spec.to));
        let out = |y: &Owned| match y.status {
            DealStatus::Won => Movement::Won,
            DealStatus::Lost => Movement::Lost,
            DealStatus::Open => Movement::End,
        };
        match (x, y) {
            (Some(x), _) if x.status == DealStatus::Open && inp(x) => {
                put(Movement::Start, conv(x.amount), &mut sums);
                match y {
                    None => put(Movement::Removed, conv(x.amount), &mut sums),
                    Some(y) => {
                        let delta = conv(y.amount).checked_sub(conv(x.amount)).expect("delta");
                        if delta.is_negative() {
                            put(Movement::Decreased, delta.negated(), &mut sums);
                        } else if !delta.is_zero() {
                            put(Movement::Increased, delta, &mut sums);
                        }
                        let m = if inp(y) { out(y) } else { Movement::PushedOut };
                        put(m, conv(y.amount), &mut sums);
                        if y.close > x.close {
                            slipped += 1;
                        }
                    }
                }
            }
            (x, Some(y)) if inp(y) => {
                let closed_both =
                    x.is_some_and(|x| x.status != DealStatus::Open) && y.status != DealStatus::Open;
                if !closed_both {
                    let m = if x.is_some() {
                        Movement::PulledIn
                    } else {
                        Movement::Created
                    };
                    put(m, conv(y.amount), &mut sums);
                    put(out(y), conv(y.amount), &mut sums);
                }
            }
            _ => {}
        }
    }
    (sums, counts, slipped)
}

/// Random histories: up to 12 deals over up to 6 weekly snapshots, each
/// present or not, amounts of 0 to 3 decimals in USD or EUR, close dates
/// around Q1, any status, stage and category; the rows shuffled.
fn histories() -> impl Strategy<Value = (Vec<Owned>, usize, usize)> {
    let obs = (
        any::<bool>(),
        0i64..200_000,
        0u32..4,
        any::<bool>(),
        0i64..150,
        0u8..3,
        0u8..5,
        0u8..3,
    );
    (
        2usize..7,
        prop::collection::vec(prop::collection::vec(obs, 6), 0..12),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(n, deals, i, j, shuffle)| {
            let mut rows = Vec::new();
            for (k, snaps) in deals.iter().enumerate() {
                for (s, &(present, units, scale, eur, close, status, cat, stage)) in
                    snaps.iter().take(n).enumerate()
                {
                    if !present {
                        continue;
                    }
                    let snap = d(1, 5) + chrono::Days::new(7 * s as u64);
                    let cur = if eur { Currency::EUR } else { Currency::USD };
                    rows.push(Owned {
                        snap,
                        deal: format!("deal-{k}"),
                        amount: Money::new(Decimal::new(units, scale), cur),
                        stage: ["discovery", "proposal", "negotiation"][stage as usize].into(),
                        close: NaiveDate::from_ymd_opt(2025, 12, 1).expect("date")
                            + chrono::Days::new(close as u64),
                        status: [DealStatus::Open, DealStatus::Won, DealStatus::Lost]
                            [status as usize],
                        category: [
                            ForecastCategory::Pipeline,
                            ForecastCategory::BestCase,
                            ForecastCategory::Commit,
                            ForecastCategory::Closed,
                            ForecastCategory::Omitted,
                        ][cat as usize],
                    });
                }
            }
            // A deterministic shuffle: rotate by a random amount, then
            // interleave from both ends.
            if !rows.is_empty() {
                let at = shuffle.index(rows.len());
                rows.rotate_left(at);
                let mut mixed = Vec::with_capacity(rows.len());
                let (mut lo, mut hi) = (0, rows.len());
                while lo < hi {
                    mixed.push(rows[lo].clone());
                    lo += 1;
                    if lo < hi {
                        hi -= 1;
                        mixed.push(rows[hi].clone());
                    }
                }
                rows = mixed;
            }
            (rows, i.index(usize::MAX), j.index(usize::MAX))
        })
}

fn spec_for(rows: &[Owned], i: usize, j: usize) -> Option<FlowSpec> {
    let snaps: Vec<NaiveDate> = rows
        .iter()
        .map(|r| r.snap)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if snaps.len() < 2 {
        return None;
    }
    let (a, b) = (i % snaps.len(), j % snaps.len());
    let (a, b) = if a == b {
        (0, snaps.len() - 1)
    } else {
        (a.min(b), a.max(b))
    };
    let mut fx = FxRates::new(Currency::USD);
    fx.set(Currency::EUR, dec!(1.0834)).expect("rate");
    Some(FlowSpec::new(snaps[a], snaps[b], q1(), Currency::USD).with_fx(fx))
}

fn amounts(r: &FlowReport) -> Vec<Decimal> {
    Movement::ALL
        .iter()
        .map(|&m| r.amount(m).amount().normalize())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The waterfall adds up exactly, and equals a hash join over Money.
    #[test]
    fn identity_and_independent_join((rows, i, j) in histories()) {
        let Some(spec) = spec_for(&rows, i, j) else { return Ok(()) };
        let r = state(&rows).report(&spec).expect("report");
        let mut v = Money::zero(Currency::USD);
        for m in Movement::ALL {
            if m == Movement::End {
                continue;
            }
            let x = r.amount(m);
            v = if m.adds() { v.checked_add(x) } else { v.checked_sub(x) }.expect("sum");
        }
        prop_assert_eq!(v.amount().normalize(), r.end.amount().normalize());
        let (sums, counts, slipped) = oracle(&rows, &spec);
        let want: Vec<Decimal> = sums.iter().map(|m| m.amount().normalize()).collect();
        prop_assert_eq!(amounts(&r), want);
        let got: Vec<u64> = Movement::ALL.iter().map(|&m| *r.counts.get(m)).collect();
        prop_assert_eq!(got, counts);
        prop_assert_eq!(r.slipped_deals, slipped);
        // Every amount is at least zero.
        prop_assert!(Movement::ALL.iter().all(|&m| !r.amount(m).is_negative()));
    }

    /// Any split of the rows, each part through JSON, merged in either
    /// fold, gives the report of the whole.
    #[test]
    fn merge_laws((rows, i, j) in histories(), cuts in prop::collection::vec(0usize..80, 0..4)) {
        let Some(spec) = spec_for(&rows, i, j) else { return Ok(()) };
        let spec = spec.listing_deals();
        laws::merge_law(
            &rows,
            &cuts,
            FlowState::new,
            |s, part| {
                for r in part {
                    s.add(&r.row()).expect("row");
                }
            },
            |s| revops::Aggregate::finish(s, &spec).expect("report"),
        );
    }

    /// The rows in reverse give the same report, the same state, and the
    /// report survives JSON.
    #[test]
    fn order_and_json((rows, i, j) in histories()) {
        let Some(spec) = spec_for(&rows, i, j) else { return Ok(()) };
        let mut rev = rows.clone();
        rev.reverse();
        let (x, y) = (state(&rows), state(&rev));
        prop_assert_eq!(&x, &y);
        let r = x.report(&spec).expect("report");
        prop_assert_eq!(&r, &y.report(&spec).expect("report"));
        let back: FlowReport = serde_json::from_str(&serde_json::to_string(&r).expect("json")).expect("back");
        prop_assert_eq!(back, r);
    }
}
