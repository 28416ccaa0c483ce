//! The command as people meet it: help texts, usage errors (exit 2), the
//! text formats' golden outputs, input as analysts export it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn revops(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_revops"))
        .args(args)
        .output()
        .expect("cargo builds the revops binary for its tests")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A file with these contents, for one test.
fn file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("revops-command-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

const SUBCOMMANDS: [&str; 10] = [
    "funnel",
    "attribution",
    "pipeline",
    "clv",
    "catalogue",
    "retention",
    "lifecycle",
    "mrr",
    "pipeline-flow",
    "sequence",
];

#[test]
fn every_help_lists_columns_flags_and_two_examples() {
    for flag in ["--help", "-h"] {
        let top = revops(&[flag]);
        assert_eq!(top.status.code(), Some(0));
        let t = text(&top);
        for sub in SUBCOMMANDS {
            assert!(t.contains(sub), "{flag}: {sub} missing from\n{t}");
        }
        for sub in SUBCOMMANDS {
            let o = revops(&[sub, flag]);
            assert_eq!(o.status.code(), Some(0), "{sub} {flag}");
            let t = text(&o);
            assert!(t.lines().count() >= 8, "{sub} {flag}:\n{t}");
            assert!(t.contains("--format"), "{sub} {flag}:\n{t}");
            assert!(
                t.lines()
                    .filter(|l| l.starts_with(&format!("  revops {sub} ")))
                    .count()
                    >= 2,
                "{sub} {flag}: two examples\n{t}"
            );
            if sub != "catalogue" {
                assert!(t.contains("Input columns"), "{sub} {flag}:\n{t}");
            }
        }
    }
    let t = text(&revops(&["funnel", "--help"]));
    for word in [
        "strict_order",
        "allow_reentry",
        "7d",
        "user_id",
        "ts",
        "event",
        "ms",
    ] {
        assert!(t.contains(word), "funnel --help lacks {word}");
    }
    let t = text(&revops(&["attribution", "--help"]));
    for word in [
        "markov",
        "shapley_rate",
        "position_based",
        "first_touch",
        "USD",
    ] {
        assert!(t.contains(word), "attribution --help lacks {word}");
    }
    let t = text(&revops(&["clv", "--help"]));
    for word in [
        "pareto_nbd",
        "gamma_gamma",
        "monetary_value",
        "52",
        "--margin",
    ] {
        assert!(t.contains(word), "clv --help lacks {word}");
    }
}

#[test]
fn unknown_flags_and_flags_that_do_not_apply_are_usage_errors() {
    let funnel = data("funnel.csv");
    let named = data("funnel_named.csv");
    let attribution = data("attribution.csv");
    for args in [
        vec!["catalogue", "--bogus"],
        vec!["catalogue", "extra-argument"],
        vec!["funnel", &funnel, "--bogus", "1"],
        vec!["funnel", &funnel, "--order", "2"],
        vec!["funnel", &funnel, "--format", "xml"],
        vec!["funnel", &funnel, "--window", "1 day"],
        vec!["funnel", &funnel, "--ts-unit", "hours"],
        vec!["funnel", &funnel, "--steps", "0"],
        vec!["funnel", &funnel, "--steps", "a,a"],
        vec!["funnel", &funnel, "--breakdown", "plan"],
        vec!["funnel", &funnel, "--trend", "year"],
        vec!["funnel", &funnel, "--utc-offset", "+01:00"],
        vec![
            "funnel",
            &funnel,
            "--trend",
            "week",
            "--utc-offset",
            "+25:00",
        ],
        vec!["funnel", &funnel, "--time-to-convert-bins", "0"],
        vec!["funnel", &funnel, "--time-to-convert-bins", "many"],
        vec![
            "attribution",
            &attribution,
            "--model",
            "first",
            "--order",
            "2",
        ],
        vec!["attribution", &attribution, "--model", "nope"],
        vec!["clv", &data("clv.csv"), "--margin", "2"],
        vec!["clv", &data("clv.csv"), "--discount-rate", "-1"],
        vec!["clv", &data("clv.csv"), "--model", "nope"],
        vec![
            "clv",
            &data("sbg_survival.csv"),
            "--model",
            "sbg",
            "--horizon",
            "1.5",
        ],
        vec![
            "clv",
            &data("sbg_survival.csv"),
            "--model",
            "sbg",
            "--discount-rate",
            "0",
        ],
        vec![
            "clv",
            &data("sbg_survival.csv"),
            "--model",
            "sbg",
            "--input",
            "rfm",
        ],
        vec![
            "clv",
            &data("sbg_survival.csv"),
            "--model",
            "sbg",
            "--period",
            "hour",
        ],
        vec![
            "clv",
            &data("bgbb.csv"),
            "--model",
            "bgbb",
            "--input",
            "transactions",
        ],
        vec![
            "clv",
            &data("bgbb.csv"),
            "--model",
            "bgbb",
            "--horizon",
            "-1",
        ],
        vec!["clv", &data("clv.csv"), "--calibration-end", "2026-06-30"],
        vec![
            "clv",
            &data("clv_transactions.csv"),
            "--input",
            "transactions",
            "--calibration-end",
            "2026-13-01",
        ],
        vec![
            "clv",
            &data("clv_transactions.csv"),
            "--input",
            "transactions",
            "--calibration-end",
            "2026-07-01",
            "--observation-end",
            "2026-06-01",
        ],
        vec!["retention", &funnel],
        vec!["retention", &funnel, "--start-event", "0", "--periods", "0"],
        vec![
            "retention",
            &funnel,
            "--start-event",
            "0",
            "--period",
            "year",
        ],
        vec![
            "retention",
            &funnel,
            "--start-event",
            "0",
            "--utc-offset",
            "+25:00",
        ],
        vec![
            "retention",
            &funnel,
            "--start-event",
            "0",
            "--as-of",
            "March",
        ],
        vec![
            "retention",
            &funnel,
            "--start-event",
            "0",
            "--retention",
            "ever",
        ],
        // A bad pattern, a condition past the names, no names.
        vec!["sequence", &named, "--pattern", "(?1", "--events", "signup"],
        vec![
            "sequence",
            &named,
            "--pattern",
            "(?2)",
            "--events",
            "signup",
        ],
        vec!["sequence", &named, "--pattern", "(?1)", "--events", ","],
        vec!["sequence", &named, "--pattern", "(?1)"],
        vec!["lifecycle", &funnel],
        vec!["lifecycle", &funnel, "--event", "0", "--window", "7d"],
        vec!["mrr", &data("mrr_monthly.csv"), "--input", "daily"],
        vec!["mrr", &data("mrr_monthly.csv"), "--through", "2026-13"],
        vec!["mrr", &data("mrr_monthly.csv"), "--fx", "EUR"],
        vec!["mrr", &data("mrr_monthly.csv"), "--fx", "USD=1"],
        vec!["mrr", &data("mrr_monthly.csv"), "--currency", "XYZ"],
        vec!["mrr", &data("mrr_monthly.csv"), "--input", "subscriptions"],
        // A date that is no snapshot, dates out of order, a bad period, a
        // column that is not one.
        vec![
            "pipeline-flow",
            &data("pipeline_snapshots.csv"),
            "--from",
            "2026-01-06",
            "--to",
            "2026-02-02",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2026-04-01",
        ],
        vec![
            "pipeline-flow",
            &data("pipeline_snapshots.csv"),
            "--from",
            "2026-02-02",
            "--to",
            "2026-01-05",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2026-04-01",
        ],
        vec![
            "pipeline-flow",
            &data("pipeline_snapshots.csv"),
            "--from",
            "2026-01-05",
            "--to",
            "2026-02-02",
            "--period-start",
            "2026-04-01",
            "--period-end",
            "2026-01-01",
        ],
        vec![
            "pipeline-flow",
            &data("pipeline_snapshots.csv"),
            "--from",
            "2026-01-05",
            "--to",
            "2026-02-02",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2026-04-01",
            "--column",
            "owner=Owner",
        ],
        vec![
            "pipeline-flow",
            &data("pipeline_snapshots.csv"),
            "--from",
            "2026-01-05",
            "--to",
            "2026-02-02",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2026-04-01",
            "--column",
            "deal_id=Opportunity",
        ],
        vec![
            "pipeline-flow",
            &data("pipeline_snapshots.csv"),
            "--from",
            "2026-01-05",
        ],
        vec!["funnel"],
        vec!["nope"],
        vec![],
    ] {
        let o = revops(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(!o.stderr.is_empty(), "{args:?} said nothing");
    }
    // `-h` is help, never a file name.
    assert_eq!(revops(&["funnel", "-h"]).status.code(), Some(0));
}

#[test]
fn named_events_without_steps_are_a_usage_error() {
    let o = revops(&["funnel", &data("funnel_named.csv")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--steps"));
}

/// The same events written as analysts export them (text ids, ISO times,
/// step names, a window in days) give the report of their integer form.
#[test]
fn text_ids_iso_times_and_names_give_the_integer_files_report() {
    let names = ["signup", "activate", "trial", "paid"];
    let mut ints = String::from("user_id,ts,step,channel\n");
    let mut texts = String::from("user_id,ts,event,channel\n");
    let mut state: u64 = 7;
    for _ in 0..400 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let user = (state >> 33) % 60;
        let ts = 1_767_225_600 + ((state >> 13) % 1_000_000) as i64;
        let step = ((state >> 5) % 5) as usize; // 4: an event of no step
        let channel = ["ads", "email", "search"][((state >> 40) % 3) as usize];
        let at = revops::DateTime::from_timestamp(ts, 0).unwrap();
        ints.push_str(&format!("{user},{ts},{step},{channel}\n"));
        let event = names.get(step).copied().unwrap_or("page_view");
        let iso = if user % 2 == 0 {
            at.to_rfc3339()
        } else {
            at.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        texts.push_str(&format!(
            "user-{user:x}-{},{iso},{event},{channel}\n",
            user * 7
        ));
    }
    let (ints, texts) = (file("ints.csv", &ints), file("texts.csv", &texts));
    for mode in [
        &[][..],
        &["strict_order"],
        &["strict_once"],
        &["strict_order", "allow_reentry"],
        &["strict_increase"],
        &["strict_deduplication"],
    ] {
        let modes: Vec<&str> = mode.iter().flat_map(|m| ["--mode", m]).collect();
        let mut a_args = vec![
            "funnel",
            ints.to_str().unwrap(),
            "--steps",
            "4",
            "--window",
            "172800",
            "--format",
            "json",
        ];
        a_args.extend(&modes);
        let mut b_args = vec![
            "funnel",
            texts.to_str().unwrap(),
            "--steps",
            "signup,activate,trial,paid",
            "--window",
            "2d",
            "--format",
            "json",
        ];
        b_args.extend(&modes);
        let (a, b) = (revops(&a_args), revops(&b_args));
        assert_eq!(a.status.code(), Some(0), "{mode:?}");
        assert_eq!(b.status.code(), Some(0), "{mode:?}");
        let (a, b): (Value, Value) = (
            serde_json::from_slice(&a.stdout).unwrap(),
            serde_json::from_slice(&b.stdout).unwrap(),
        );
        let strip = |v: &Value| -> Value {
            let mut v = v.clone();
            for s in v["steps"].as_array_mut().unwrap() {
                s.as_object_mut().unwrap().remove("name");
            }
            for (_, r) in v["by_channel"].as_object_mut().unwrap() {
                for s in r["steps"].as_array_mut().unwrap() {
                    s.as_object_mut().unwrap().remove("name");
                }
            }
            v
        };
        assert_eq!(strip(&a)["steps"], strip(&b)["steps"], "{mode:?}");
        assert_eq!(strip(&a)["by_channel"], strip(&b)["by_channel"], "{mode:?}");
        assert_eq!(a["users_seen"], b["users_seen"], "{mode:?}");
        assert_eq!(b["steps"][1]["name"], "activate");
    }
}

/// `table` and `csv` of every subcommand on its sample print exactly the
/// committed `tests/golden/*.txt` (`REVOPS_BLESS=1` rewrites them).
#[test]
fn golden_tables_and_csv() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let period = [
        "--as-of",
        "2026-03-31",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-04-01",
        "--quota",
        "100000",
    ];
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("funnel", vec![data("funnel.csv")]),
        (
            "funnel-named",
            vec![
                data("funnel_named.csv"),
                "--steps".into(),
                "signup,activate,trial,paid".into(),
                "--breakdown".into(),
                "plan".into(),
            ],
        ),
        ("attribution", vec![data("attribution.csv")]),
        (
            "sequence",
            vec![
                data("funnel_named.csv"),
                "--pattern".into(),
                "(?1).*(?2)(?t<=604800)(?3)".into(),
                "--events".into(),
                "signup,trial,paid".into(),
            ],
        ),
        (
            "pipeline",
            std::iter::once(data("pipeline.csv"))
                .chain(period.iter().map(|s| s.to_string()))
                .collect(),
        ),
        (
            "clv",
            vec![data("clv.csv"), "--horizon".into(), "39".into()],
        ),
        (
            "clv-transactions",
            vec![
                data("clv_transactions.csv"),
                "--input".into(),
                "transactions".into(),
                "--period".into(),
                "week".into(),
                "--margin".into(),
                "0.3".into(),
            ],
        ),
        ("catalogue", vec![]),
        (
            "retention",
            vec![
                data("retention.csv"),
                "--start-event".into(),
                "signup".into(),
                "--return-event".into(),
                "login".into(),
                "--periods".into(),
                "5".into(),
                "--breakdown".into(),
                "country".into(),
            ],
        ),
        (
            "retention-offset",
            vec![
                data("retention.csv"),
                "--start-event".into(),
                "signup".into(),
                "--return-event".into(),
                "login".into(),
                "--periods".into(),
                "3".into(),
                "--utc-offset".into(),
                "+01:00".into(),
                "--as-of".into(),
                "2026-03-22".into(),
                "--retention".into(),
                "on_or_after".into(),
            ],
        ),
        (
            "lifecycle",
            vec![data("retention.csv"), "--event".into(), "login".into()],
        ),
        (
            "mrr",
            vec![data("mrr_monthly.csv"), "--fx".into(), "EUR=1.08".into()],
        ),
        (
            "mrr-subscriptions",
            vec![
                data("mrr_subscriptions.csv"),
                "--input".into(),
                "subscriptions".into(),
                "--fx".into(),
                "EUR=1.08".into(),
                "--through".into(),
                "2026-07".into(),
            ],
        ),
        (
            "clv-holdout",
            vec![
                data("clv_transactions.csv"),
                "--input".into(),
                "transactions".into(),
                "--period".into(),
                "week".into(),
                "--calibration-end".into(),
                "2026-06-30".into(),
            ],
        ),
        (
            "clv-bgbb",
            vec![data("bgbb.csv"), "--model".into(), "bgbb".into()],
        ),
        (
            "clv-sbg",
            vec![
                data("sbg_survival.csv"),
                "--model".into(),
                "sbg".into(),
                "--horizon".into(),
                "12".into(),
                "--discount-rate".into(),
                "0.1".into(),
            ],
        ),
        (
            "pipeline-flow",
            vec![
                data("pipeline_snapshots.csv"),
                "--from".into(),
                "2026-01-05".into(),
                "--to".into(),
                "2026-02-02".into(),
                "--period-start".into(),
                "2026-01-01".into(),
                "--period-end".into(),
                "2026-04-01".into(),
                "--fx".into(),
                "EUR=1.08".into(),
            ],
        ),
        (
            "funnel-trend",
            vec![
                data("funnel_named.csv"),
                "--steps".into(),
                "signup,activate,paid".into(),
                "--trend".into(),
                "week".into(),
                "--time-to-convert-bins".into(),
                "auto".into(),
            ],
        ),
    ];
    let bless = std::env::var_os("REVOPS_BLESS").is_some();
    let mut problems = Vec::new();
    for (name, args) in &cases {
        // The case's name is the subcommand, or the subcommand and a
        // variant after a dash.
        let sub = SUBCOMMANDS
            .iter()
            .copied()
            .filter(|s| *name == *s || name.starts_with(&format!("{s}-")))
            .max_by_key(|s| s.len())
            .unwrap();
        for format in ["table", "csv"] {
            let mut all: Vec<&str> = vec![sub];
            all.extend(args.iter().map(String::as_str));
            all.extend(["--format", format]);
            let o = revops(&all);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{all:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let got = text(&o);
            let path = root
                .join("tests/golden")
                .join(format!("{name}.{format}.txt"));
            if bless {
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if got != want {
                problems.push(format!("{all:?} differs from {}:\n{got}", path.display()));
            }
            if format == "table" {
                assert!(
                    got.lines().all(|l| l.chars().count() <= 100) || *name == "catalogue",
                    "{name}: a line over 100 columns"
                );
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
