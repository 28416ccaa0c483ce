//! `rfm` through SQL over partitioned tables, equal to the library's
//! `clv::summarize` over the whole input, customer by customer.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Date32Array, Decimal128Array, Int64Array, RecordBatch,
    TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Field, Int64Type, Schema, TimeUnit, UInt64Type,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use revops::clv::{summarize, PeriodLength, Transaction};
use revops::{Currency, Decimal, Money, NaiveDate};

/// (customer, day since 2026-01-01, amount in cents)
type Tx = (i64, i32, i64);

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

fn epoch_days(day: i32) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    (start() - epoch).num_days() as i32 + day
}

fn context(tx: &[Tx], partitions: usize, timestamps: bool) -> SessionContext {
    let ts_type = if timestamps {
        DataType::Timestamp(TimeUnit::Millisecond, None)
    } else {
        DataType::Date32
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Int64, false),
        Field::new("day", ts_type, false),
        Field::new("amount", DataType::Decimal128(12, 2), false),
    ]));
    let batch = |rows: &[Tx]| {
        let day: Arc<dyn Array> = if timestamps {
            // Noon of the day, in milliseconds.
            Arc::new(TimestampMillisecondArray::from_iter_values(
                rows.iter()
                    .map(|r| i64::from(epoch_days(r.1)) * 86_400_000 + 43_200_000),
            ))
        } else {
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|r| epoch_days(r.1)),
            ))
        };
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                day,
                Arc::new(
                    Decimal128Array::from_iter_values(rows.iter().map(|r| i128::from(r.2)))
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
            ],
        )
        .unwrap()
    };
    let mut parts: Vec<Vec<Tx>> = vec![Vec::new(); partitions];
    for (i, t) in tx.iter().enumerate() {
        parts[i % partitions].push(*t);
    }
    let parts: Vec<Vec<RecordBatch>> = parts
        .iter()
        .map(|p| p.chunks(8).map(batch).collect())
        .collect();
    let mut ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    revops_datafusion::register_all(&mut ctx).unwrap();
    ctx.register_table("tx", Arc::new(MemTable::try_new(schema, parts).unwrap()))
        .unwrap();
    ctx
}

/// customer -> (frequency, recency, T, monetary value as a decimal string)
type Summary = BTreeMap<i64, Option<(u64, i64, i64, Option<String>)>>;

fn sql_summary(ctx: &SessionContext, period: &str, end: NaiveDate) -> Summary {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sql = format!(
        "SELECT customer, rfm(day, amount, '{period}', DATE '{end}') FROM tx GROUP BY customer"
    );
    let batches = rt
        .block_on(async { ctx.sql(&sql).await?.collect().await })
        .unwrap();
    let mut out = Summary::new();
    for b in &batches {
        let customers = b.column(0).as_primitive::<Int64Type>();
        let s = b.column(1).as_struct();
        let f = s.column(0).as_primitive::<UInt64Type>();
        let r = s.column(1).as_primitive::<Int64Type>();
        let t = s.column(2).as_primitive::<Int64Type>();
        let m = s.column(3).as_primitive::<Decimal128Type>();
        for i in 0..b.num_rows() {
            let v = if s.is_null(i) {
                None
            } else {
                let value = (!m.is_null(i)).then(|| {
                    Decimal::from_i128_with_scale(m.value(i), 6)
                        .normalize()
                        .to_string()
                });
                Some((f.value(i), r.value(i), t.value(i), value))
            };
            out.insert(customers.value(i), v);
        }
    }
    out
}

fn library_summary(tx: &[Tx], period: PeriodLength, end: NaiveDate) -> Summary {
    let t: Vec<Transaction<i64>> = tx
        .iter()
        .map(|&(c, d, cents)| Transaction {
            customer: c,
            date: start() + revops::TimeDelta::days(i64::from(d)),
            amount: Money::new(Decimal::new(cents, 2), Currency::USD),
        })
        .collect();
    let s = summarize(&t, period, end, Currency::USD).unwrap();
    let mut out: Summary = tx.iter().map(|t| (t.0, None)).collect();
    for c in s.customers {
        let value = c.monetary_value.map(|m| {
            m.amount()
                .round_dp_with_strategy(6, revops::RoundingStrategy::MidpointNearestEven)
                .normalize()
                .to_string()
        });
        out.insert(c.customer, Some((c.frequency, c.recency, c.age, value)));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rfm_equals_the_library(
        tx in prop::collection::vec((0i64..10, 0i32..120, -500i64..100_000), 0..80),
        partitions in 1usize..5,
        period in prop_oneof![Just(PeriodLength::Day), Just(PeriodLength::Week), Just(PeriodLength::Month)],
        end_day in 30i64..150,
        timestamps in any::<bool>(),
    ) {
        let end = start() + revops::TimeDelta::days(end_day);
        let ctx = context(&tx, partitions, timestamps);
        let got = sql_summary(&ctx, period.id(), end);
        prop_assert_eq!(got, library_summary(&tx, period, end));
    }
}

#[test]
fn worked_example() {
    // Customer 1: 10.00 and 5.00 on day 0 (one purchase), 20.00 on day 10,
    // 40.00 on day 20; customer 2: one purchase; customer 3: only after
    // the end.
    let tx = [
        (1, 0, 1000),
        (1, 0, 500),
        (1, 10, 2000),
        (1, 20, 4000),
        (2, 14, 700),
        (3, 40, 100),
    ];
    let ctx = context(&tx, 2, false);
    let end = start() + revops::TimeDelta::days(30);
    let got = sql_summary(&ctx, "day", end);
    assert_eq!(got[&1], Some((2, 20, 30, Some("30".to_string()))));
    assert_eq!(got[&2], Some((0, 0, 16, None)));
    assert_eq!(got[&3], None);
    for bad in [
        "SELECT rfm(day, amount, 'fortnight', DATE '2026-02-01') FROM tx",
        "SELECT rfm(day, amount, 'day') FROM tx",
        "SELECT rfm(customer, amount, 'day', DATE '2026-02-01') FROM tx",
        "SELECT rfm(day, 'x', 'day', DATE '2026-02-01') FROM tx",
        "SELECT rfm(day, amount, 'day', day) FROM tx",
        "SELECT rfm(day, amount, 'day', NULL) FROM tx",
    ] {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let r = rt.block_on(async { ctx.sql(bad).await?.collect().await });
        let message = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("rfm") || message.contains("period"),
            "{bad}: {message}"
        );
    }
}
