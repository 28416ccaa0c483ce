//! `attribution` and `markov_attribution` through SQL, over path rows
//! spread across partitions, equal to `revops::attribution::attribute` on
//! the same rows, exactly; the README's query as written; hostile
//! arguments as errors.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Decimal128Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use revops::attribution::{attribute, Model, PathRow, Records};
use revops::journey::Channels;
use revops::{Currency, Decimal, Money};

/// One path row: the path text (`' > '`-separated), conversions, value in
/// cents, nulls.
type Row = (String, i64, i64, i64);

fn table(rows: &[Row], partitions: usize) -> SessionContext {
    let config = SessionConfig::new().with_target_partitions(partitions);
    let mut ctx = SessionContext::new_with_config(config);
    revops_datafusion::register_all(&mut ctx).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("total_conversions", DataType::Int64, false),
        Field::new("total_conversion_value", DataType::Decimal128(12, 2), false),
        Field::new("total_null", DataType::Int64, false),
    ]));
    let batch = |rs: &[Row]| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(
                    rs.iter().map(|r| r.0.clone()),
                )),
                Arc::new(Int64Array::from_iter_values(rs.iter().map(|r| r.1))),
                Arc::new(
                    Decimal128Array::from_iter_values(rs.iter().map(|r| i128::from(r.2)))
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
                Arc::new(Int64Array::from_iter_values(rs.iter().map(|r| r.3))),
            ],
        )
        .unwrap()
    };
    let mut parts: Vec<Vec<Row>> = vec![Vec::new(); partitions];
    for (i, r) in rows.iter().enumerate() {
        parts[i % partitions].push(r.clone());
    }
    let parts: Vec<Vec<RecordBatch>> = parts
        .iter()
        .map(|p| p.chunks(3).map(batch).collect())
        .collect();
    let table = MemTable::try_new(schema.clone(), parts).unwrap();
    ctx.register_table("paths", Arc::new(table)).unwrap();
    ctx
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `(channel, conversions, value)` rows of a query, as text.
fn credits(batches: &[RecordBatch]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for b in batches {
        let (ch, c, v) = (b.column(0), b.column(1), b.column(2));
        let ch = datafusion::arrow::compute::cast(ch, &DataType::Utf8).unwrap();
        let ch = ch.as_string::<i32>();
        let c = c.as_primitive::<Decimal128Type>();
        let v = v.as_primitive::<Decimal128Type>();
        for i in 0..b.num_rows() {
            out.push((
                ch.value(i).to_string(),
                c.value_as_string(i),
                v.value_as_string(i),
            ));
        }
    }
    out
}

/// The library's credits on the same rows (values in whole cents, split
/// in a currency without a minor unit), in the same text form.
fn library(rows: &[Row], model: &Model) -> Vec<(String, String, String)> {
    // Channels numbered in name order, as the SQL functions number them.
    let mut ch = Channels::new();
    let mut names: Vec<&str> = rows.iter().flat_map(|r| r.0.split(" > ")).collect();
    names.sort_unstable();
    for n in names {
        ch.intern_str(n).unwrap();
    }
    let rows: Vec<PathRow> = rows
        .iter()
        .map(|(p, c, v, n)| {
            let path = p.split(" > ").map(|x| ch.intern_str(x).unwrap()).collect();
            // Whole cents: the SQL functions split at the value's scale.
            let value = Money::new(Decimal::from(*v), Currency::JPY);
            PathRow::new(path, *c as u64, value, *n as u64)
        })
        .collect();
    let report = attribute(
        Records::Paths {
            rows: &rows,
            channels: &ch,
        },
        model,
        Currency::JPY,
    )
    .unwrap();
    report
        .channels
        .iter()
        .map(|c| {
            let mut conv = c.conversions;
            conv.rescale(6);
            let value = Decimal::from_i128_with_scale(c.value.amount().mantissa(), 2);
            (
                c.channel.as_str().to_string(),
                conv.to_string(),
                value.to_string(),
            )
        })
        .collect()
}

fn sql(call: &str) -> String {
    format!(
        "SELECT get_field(c, 'channel'), get_field(c, 'conversions'), get_field(c, 'value') \
         FROM (SELECT unnest({call}) AS c FROM paths)"
    )
}

const ARGS: &str = "string_to_array(path, ' > '), total_conversions, \
    CAST(total_conversion_value AS DECIMAL(18, 2)), total_null";

fn rows_strategy() -> impl Strategy<Value = Vec<Row>> {
    let channel = prop_oneof![
        Just("search"),
        Just("email"),
        Just("social"),
        Just("direct"),
        Just("display")
    ];
    prop::collection::vec(
        (
            prop::collection::vec(channel, 1..5),
            0i64..4,
            0i64..50_000,
            0i64..6,
        ),
        1..30,
    )
    .prop_map(|v| {
        v.into_iter()
            // A value belongs to conversions: none without one.
            .map(|(p, c, val, n)| (p.join(" > "), c, if c == 0 { 0 } else { val }, n))
            .filter(|r| r.1 + r.3 > 0)
            .collect()
    })
    .prop_filter("a converting row", |rows: &Vec<Row>| {
        rows.iter().any(|r| r.1 > 0)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every path model, 1 to 4 partitions: the SQL credits are the
    /// library's, exactly, and add back to the rows' value.
    #[test]
    fn equals_the_library(rows in rows_strategy(), partitions in 1usize..5) {
        let rt = runtime();
        let ctx = table(&rows, partitions);
        for model in ["first", "last", "linear", "position_based", "markov", "markov:2", "shapley"] {
            let q = sql(&format!("attribution('{model}', {ARGS})"));
            let got = credits(&rt.block_on(async { ctx.sql(&q).await?.collect().await }).unwrap());
            let want = library(&rows, &model.parse().unwrap());
            prop_assert_eq!(&got, &want, "model {}", model);
            let total: i64 = rows.iter().map(|r| r.2).sum();
            let credited: Decimal = got.iter().map(|g| g.2.parse::<Decimal>().unwrap()).sum();
            prop_assert_eq!(credited, Decimal::new(total, 2));
        }
        let q = sql(&format!("markov_attribution({ARGS}, 2)"));
        let got = credits(&rt.block_on(async { ctx.sql(&q).await?.collect().await }).unwrap());
        prop_assert_eq!(got, library(&rows, &Model::Markov { order: 2 }));
    }
}

/// The README's Markov query, as written, on four path rows.
#[test]
fn the_readme_query_gives_one_row_per_channel() {
    let rows: Vec<Row> = vec![
        ("eta > iota > alpha > eta".into(), 1, 55, 3),
        ("iota > iota > iota > iota".into(), 2, 200, 3),
        ("alpha > iota > alpha > alpha".into(), 2, 23, 0),
        ("beta > eta".into(), 1, 30, 1),
    ];
    let ctx = table(&rows, 2);
    let q = "SELECT get_field(c, 'channel'), get_field(c, 'conversions'), get_field(c, 'value') \
             FROM (SELECT unnest(markov_attribution(string_to_array(path, ' > '), total_conversions, \
             CAST(total_conversion_value AS DECIMAL(18, 2)), total_null)) AS c FROM paths)";
    let got = credits(
        &runtime()
            .block_on(async { ctx.sql(q).await?.collect().await })
            .unwrap(),
    );
    let names: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "eta", "iota"]);
    assert_eq!(got, library(&rows, &Model::Markov { order: 1 }));
}

#[test]
fn hostile_arguments_are_errors_not_panics() {
    let rows: Vec<Row> = vec![("a > b".into(), 1, 100, 0)];
    let ctx = table(&rows, 2);
    let rt = runtime();
    for (call, says) in [
        (
            "attribution('linear', string_to_array(path, ' > '), total_conversions, CAST(total_conversion_value AS DOUBLE), total_null)",
            "cannot hold cents exactly",
        ),
        (&*format!("attribution('time_decay', {ARGS})"), "needs journeys"),
        (&*format!("attribution('nope', {ARGS})"), "attribution model"),
        (&*format!("attribution(NULL, {ARGS})"), "the model is NULL"),
        (&*format!("attribution(path, {ARGS})"), "must be a constant"),
        (&*format!("markov_attribution({ARGS}, 9)"), "Markov order must be 1 to 4"),
        (&*format!("markov_attribution({ARGS}, total_null)"), "must be a constant"),
        ("markov_attribution(path, total_conversions, total_conversion_value, total_null)", "list of channel names"),
        (
            "markov_attribution(string_to_array(path, ' > '), -total_conversions, total_conversion_value, total_null)",
            "must not be negative",
        ),
        ("markov_attribution(string_to_array(path, ' > '), total_conversions)", "arguments"),
    ] {
        let q = sql(call);
        let err = rt
            .block_on(async { ctx.sql(&q).await?.collect().await })
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{call}: {err}");
    }
    // No rows: an empty list, no error.
    let q = format!("SELECT attribution('linear', {ARGS}) AS c FROM paths WHERE total_null > 5");
    let out = rt
        .block_on(async { ctx.sql(&q).await?.collect().await })
        .unwrap();
    assert_eq!(out[0].column(0).as_list::<i32>().value(0).len(), 0);
}
