//! The command's stable interface (`cli/README.md`): exit codes, line
//! numbers in `rejected`, the capped list and its counts, `errors`, and
//! the golden outputs of every subcommand.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

fn run(name: &str, file_bytes: &[u8], args: &[&str]) -> Run {
    let dir = std::env::temp_dir().join(format!("revops-tools-{}-{}", std::process::id(), name));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.csv", fastrand_name(file_bytes, args)));
    std::fs::write(&path, file_bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_revops"))
        .arg(name)
        .arg(&path)
        .args(args)
        .output()
        .expect("cargo builds the revops binary for its tests");
    let _ = std::fs::remove_file(&path);
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A file name from the content (tests run in parallel).
fn fastrand_name(bytes: &[u8], args: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    args.hash(&mut h);
    h.finish()
}

fn rejected_lines(j: &Value) -> Vec<u64> {
    j["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect()
}

/// The same funnel file with every line ending, blank lines, a quoted
/// field over two lines and a row of invalid UTF-8: the bad rows are
/// reported at their own lines.
#[test]
fn funnel_line_numbers_for_every_line_ending() {
    for eol in ["\n", "\r\n", "\r"] {
        let mut f: Vec<u8> = Vec::new();
        let mut line = |s: &[u8]| {
            f.extend_from_slice(s);
            f.extend_from_slice(eol.as_bytes());
        };
        line(b"user_id,ts,step,channel"); // 1
        line(b"1,10,0,ads"); // 2
        line(b" ,10,0,ads"); // 3 empty user
        line(b""); // 4 blank
        line(b""); // 5 blank
        line(b"2,10,zz,ads"); // 6 bad step
        line(b"3,10,0,\"two"); // 7 quoted field over two lines: a channel
        line(b"lines\""); // 8 name with a line end, refused at line 7
        line(b"4,10,0,\xff\xfe"); // 9 invalid UTF-8
        line(b"5,10,1"); // 10 wrong field count
        line(b"6,11,1,ads"); // 11
        let r = run("funnel", &f, &[]);
        assert_eq!(r.code, 0, "{eol:?}: {}", r.stderr);
        assert_eq!(rejected_lines(&r.json), vec![3, 6, 7, 9, 10], "{eol:?}");
        assert_eq!(r.json["stats"]["rows"], 7, "{eol:?}");
        assert_eq!(r.json["stats"]["rejected_rows"], 5, "{eol:?}");
        assert_eq!(r.json["steps"][0]["users"], 1, "{eol:?}");
    }
}

#[test]
fn funnel_steps_past_32_are_rejected_rows_without_steps_flag() {
    let f = b"user_id,ts,step,channel\n1,1,0,a\n1,2,40,a\n1,3,18446744073709551615,a\n1,4,1,a\n";
    let r = run("funnel", f, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(rejected_lines(&r.json), vec![3, 4]);
    assert_eq!(r.json["steps"].as_array().unwrap().len(), 2);
    assert_eq!(r.json["steps"][1]["users"], 1);
    // With --steps, such rows are events that match no step.
    let r = run("funnel", f, &["--steps", "2"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.json["rejected"].as_array().unwrap().len(), 0);
}

#[test]
fn funnel_window_beyond_a_duration_is_a_usage_error() {
    let f = b"user_id,ts,step,channel\n1,1,0,a\n";
    let r = run("funnel", f, &["--window", "9223372036854775807"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(run("funnel", f, &["--window", "-1"]).code, 2);
    assert_eq!(run("funnel", f, &["--steps", "33"]).code, 2);
    // The file argument may come after the flags.
    let dir = std::env::temp_dir().join(format!("revops-tools-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("f.csv");
    std::fs::write(&p, f).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_revops"))
        .arg("funnel")
        .args(["--window", "60"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // An unreadable file is exit 1.
    let out = Command::new(env!("CARGO_BIN_EXE_revops"))
        .arg("funnel")
        .arg(dir.join("missing.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rejected_list_is_capped_and_counted_by_reason() {
    let mut f = String::from("user_id,ts,step,channel\n");
    for i in 0..2500 {
        if i % 2 == 0 {
            f.push_str(" ,1,0,a\n");
        } else {
            f.push_str("1,bad,0,a\n");
        }
    }
    let r = run("funnel", f.as_bytes(), &[]);
    assert_eq!(r.code, 0);
    let lines = rejected_lines(&r.json);
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines, (2..1002).collect::<Vec<u64>>());
    assert_eq!(r.json["stats"]["rejected_rows"], 2500);
    let by = &r.json["stats"]["rejected_by_reason"];
    assert_eq!(by["user_id is empty"], 1250);
    assert_eq!(
        by["ts is not a time (Unix time, or a date and time such as 2026-03-01T10:00:00Z)"],
        1250
    );
}

#[test]
fn attribution_skipped_rows_are_rejected_with_their_reason() {
    let f = b"path,total_conversions,total_conversion_value,total_null\r\na,1,10,0\r\nb,0,1000,1\r\n,3,5,0\r\nc > a,1,0.123456789012345678,2\r\n";
    for model in [
        "first",
        "last",
        "linear",
        "position",
        "markov",
        "shapley",
        "shapley_rate",
    ] {
        let r = run("attribution", f, &["--model", model]);
        assert_eq!(r.code, 0, "{model}: {}", r.stderr);
        assert_eq!(rejected_lines(&r.json), vec![3, 4], "{model}");
        assert_eq!(
            r.json["rejected"][0]["reason"],
            "the row has a value but no conversion"
        );
        assert_eq!(r.json["rejected"][1]["reason"], "the path has no channel");
        let names: Vec<&str> = r.json["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["channel"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "c"], "{model}");
        assert_eq!(
            r.json["totals"]["value"]["amount"], "10.123456789012345678",
            "{model}"
        );
        assert_eq!(r.json["errors"].as_array().unwrap().len(), 0);
        assert_eq!(r.json["stats"]["paths"], 2, "{model}");
    }
}

#[test]
fn attribution_total_beyond_decimal_is_null_with_its_reason() {
    let max = "79228162514264337593543950335";
    let f = format!(
        "path,total_conversions,total_conversion_value,total_null\na,1,{max},0\nb,1,{max},0\n"
    );
    let r = run("attribution", f.as_bytes(), &["--model", "last"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.json["totals"]["value"].is_null());
    assert_eq!(r.json["errors"][0]["figure"], "totals.value");
    assert_eq!(r.json["channels"][0]["value"]["amount"], max);
}

#[test]
fn pipeline_usage_errors_and_overflow() {
    let head =
        "id,created,closed,status,amount,currency,stage,probability,forecast_category,source\n";
    let f = format!("{head}D1,2026-01-05,2026-02-01,won,100,USD,closed,1,closed,marketing\n");
    let base = [
        "--as-of",
        "2026-03-31",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-04-01",
    ];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        run("pipeline", f.as_bytes(), &a)
    };
    assert_eq!(with(&[]).code, 0);
    assert_eq!(with(&["--quota", "-100"]).code, 2);
    assert_eq!(with(&["--fx", "USD=1.1"]).code, 2);
    assert_eq!(with(&["--fx", "EUR=1.1", "--fx", "EUR=1.2"]).code, 2);
    // Amounts that add past Decimal::MAX: the run still prints its JSON,
    // with the figures null and the reason under errors.
    let max = "79228162514264337593543950335";
    let f = format!(
        "{head}D1,2026-01-05,2026-02-01,won,{max},USD,closed,1,closed,marketing\nD2,2026-01-05,2026-02-01,won,{max},USD,closed,1,closed,sales\n"
    );
    let mut a: Vec<&str> = base.to_vec();
    a.extend_from_slice(&["--quota", "100"]);
    let r = run("pipeline", f.as_bytes(), &a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.json["won_revenue"].is_null());
    assert!(r.json["forecast"]["commit"].is_null());
    assert!(r.json["quota"].is_null());
    let figures: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["figure"].as_str().unwrap())
        .collect();
    assert!(figures.contains(&"won_revenue"), "{figures:?}");
    assert!(figures.contains(&"forecast.commit"), "{figures:?}");
    assert!(figures.contains(&"quota"), "{figures:?}");
    // The rest of the report is there.
    assert_eq!(r.json["won_count"], 2);
    assert_eq!(r.json["win_rate"], "1");
    assert_eq!(r.json["by_source"]["marketing"]["revenue"]["amount"], max);
    assert_eq!(r.json["open_pipeline"]["amount"], "0.00");
    assert_eq!(r.json["schema_version"], 1);
}

/// A row longer than the tools keep (an unclosed quote, say) is one
/// rejected row, read through without being held; lines after it are
/// still numbered right.
#[test]
fn overlong_rows_are_rejected_and_counted() {
    let mut f = b"user_id,ts,step,channel\n1,1,0,a\n2,1,0,\"".to_vec();
    for _ in 0..30_000 {
        f.extend_from_slice(
            b"0123456789012345678901234567890123456789012345678901234567890123456789\n",
        );
    }
    f.extend_from_slice(b"\"\n3,1,0,a\n");
    let r = run("funnel", &f, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(rejected_lines(&r.json), vec![3]);
    assert_eq!(r.json["rejected"][0]["reason"], "the row is too long");
    assert_eq!(r.json["steps"][0]["users"], 2);
    // The row after the long one is line 30,004.
    let mut g = f.clone();
    g.extend_from_slice(b" ,1,0,a\n");
    let r = run("funnel", &g, &[]);
    assert_eq!(rejected_lines(&r.json), vec![3, 30_005]);
}

/// Replaces the timings (which vary run to run) with 0, anywhere.
fn mask_timings(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k.ends_with("_ms") && x.is_number() {
                    *x = Value::from(0);
                } else {
                    mask_timings(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_timings),
        _ => {}
    }
}

/// Golden outputs: each tool on its sample in `tests/data` prints exactly
/// the committed `tests/golden/<tool>.json` (timings masked), so a change
/// of shape or of a figure shows in review. `REVOPS_BLESS=1 cargo test
/// --test tools golden` rewrites them after a deliberate change.
#[test]
fn golden_outputs() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cases: [(&str, &[&str]); 17] = [
        ("funnel", &[]),
        ("funnel", &["--mode", "strict_order", "--window", "3600"]),
        ("attribution", &["--model", "markov"]),
        (
            "pipeline",
            &[
                "--as-of",
                "2026-03-31",
                "--period-start",
                "2026-01-01",
                "--period-end",
                "2026-04-01",
                "--quota",
                "100000",
            ],
        ),
        ("clv", &["--model", "bgnbd", "--horizon", "39"]),
        ("clv", &["--model", "gamma_gamma"]),
        (
            "retention",
            &[
                "--start-event",
                "signup",
                "--return-event",
                "login",
                "--periods",
                "5",
                "--breakdown",
                "country",
            ],
        ),
        ("lifecycle", &["--event", "login"]),
        ("mrr", &["--fx", "EUR=1.08"]),
        (
            "mrr",
            &[
                "--input",
                "subscriptions",
                "--fx",
                "EUR=1.08",
                "--through",
                "2026-07",
            ],
        ),
        (
            "funnel",
            &[
                "--trend",
                "day",
                "--utc-offset",
                "+01:00",
                "--time-to-convert-bins",
                "4",
            ],
        ),
        (
            "pipeline-flow",
            &[
                "--from",
                "2026-01-05",
                "--to",
                "2026-02-02",
                "--period-start",
                "2026-01-01",
                "--period-end",
                "2026-04-01",
                "--fx",
                "EUR=1.08",
                "--deals",
            ],
        ),
        (
            "clv",
            &[
                "--model",
                "sbg",
                "--horizon",
                "12",
                "--discount-rate",
                "0.1",
            ],
        ),
        (
            "clv",
            &[
                "--model",
                "sbg",
                "--input",
                "subscriptions",
                "--observation-end",
                "2025-03-31",
            ],
        ),
        ("clv", &["--model", "bgbb", "--horizon", "5"]),
        (
            "clv",
            &[
                "--input",
                "transactions",
                "--period",
                "week",
                "--calibration-end",
                "2026-06-30",
            ],
        ),
        (
            "sequence",
            &["--pattern", "(?1).*(?2)", "--events", "signup,paid"],
        ),
    ];
    let bless = std::env::var_os("REVOPS_BLESS").is_some();
    let mut problems = Vec::new();
    for (i, (name, args)) in cases.iter().enumerate() {
        let sbg = args.contains(&"sbg");
        let sample = match (*name, args.first()) {
            ("clv", _) if sbg && args.contains(&"subscriptions") => "sbg_subscriptions",
            ("clv", _) if sbg => "sbg_survival",
            ("clv", _) if args.contains(&"bgbb") => "bgbb",
            ("clv", _) if args.contains(&"transactions") => "clv_transactions",
            ("lifecycle", _) => "retention",
            ("mrr", Some(&"--input")) => "mrr_subscriptions",
            ("mrr", _) => "mrr_monthly",
            ("pipeline-flow", _) => "pipeline_snapshots",
            ("sequence", _) => "funnel_named",
            _ => name,
        };
        let input =
            std::fs::read(root.join("../tests/data").join(format!("{sample}.csv"))).unwrap();
        let r = run(name, &input, args);
        assert_eq!(r.code, 0, "{name} {args:?}: {}", r.stderr);
        let mut got = r.json;
        mask_timings(&mut got);
        let path = root.join("tests/golden").join(format!("{i}-{name}.json"));
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Value = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if got != want {
            problems.push(format!(
                "{name} {args:?} differs from {}:\n{}",
                path.display(),
                serde_json::to_string_pretty(&got).unwrap()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// clv over transactions: a customer whose period sum does not fit a
/// decimal is rejected at its line and the run goes on; transactions after
/// the observation end are counted; a long horizon gives every customer a
/// number; too few customers is a figure error with exit 0.
#[test]
fn clv_counts_what_it_leaves_out_and_goes_on() {
    let big = "79228162514264337593543950335";
    let mut f = String::from("customer_id,date,amount\n");
    for (c, d, a) in [
        ("a", "2026-01-01", "10"),
        ("a", "2026-01-05", "20"),
        ("b", "2026-01-02", big),
        ("b", "2026-01-02", big),
        ("c", "2026-01-03", "5"),
        ("c", "2026-02-03", "7"),
        ("a", "2026-04-05", "1"),
    ] {
        f.push_str(&format!("{c},{d},{a}\n"));
    }
    let r = run(
        "clv",
        f.as_bytes(),
        &[
            "--input",
            "transactions",
            "--model",
            "bgnbd",
            "--observation-end",
            "2026-03-31",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(rejected_lines(&r.json), vec![4]);
    assert_eq!(r.json["stats"]["transactions_after_observation_end"], 1);
    assert_eq!(r.json["stats"]["customers"], 2);
    // Two customers cannot determine four parameters.
    assert!(r.json["params"].is_null());
    let reason = r.json["errors"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("too few customers"), "{reason}");

    let sample = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/clv.csv"),
    )
    .unwrap();
    let r = run("clv", &sample, &["--model", "bgnbd", "--horizon", "1e7"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let customers = r.json["customers"].as_array().unwrap();
    assert!(!customers.is_empty());
    assert!(customers.iter().all(|c| c["expected_purchases"].is_f64()));
    assert_eq!(r.json["stats"]["customer_errors"], 0);
}
