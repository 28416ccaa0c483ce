//! The story examples print words, not Rust's `Debug` output: every enum,
//! list and optional value a reader sees is written for people.
//!
//! The examples are the binaries that `cargo test` builds beside the test
//! binaries (`target/<profile>/examples/`) when it runs without a target
//! filter, as `.ci/run` does; after `cargo test --test stories` alone, run
//! `cargo build --all-features --examples` first.

use std::path::PathBuf;
use std::process::Command;

/// The examples that tell a story in prose (the others print JSON).
const STORIES: [&str; 6] = [
    "tour",
    "tv_launch",
    "restaurant",
    "clothing_store",
    "software_company",
    "channel_roi",
];

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// What in `line` looks like `Debug` output, if anything: a struct's
/// `{ field:`, a list of variants `[Name`, `Some(`, a bare `None`, or an
/// enum variant's CamelCase name (`NewToMarket`).
fn debug_in(line: &str) -> Option<String> {
    let words: Vec<&str> = line
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if line.contains("Some(") {
        return Some("Some(".into());
    }
    if words.contains(&"None") {
        return Some("None".into());
    }
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        if b == b'[' && next.is_ascii_uppercase() {
            return Some(format!("[{}", next as char));
        }
        if b == b'{' && next == b' ' {
            let rest = &line[i + 2..];
            let field: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !field.is_empty() && rest[field.len()..].starts_with(':') {
                return Some(format!("{{ {field}:"));
            }
        }
    }
    words
        .iter()
        .find(|w| {
            // Capitalised, with a lower-case letter followed by a capital
            // (`NewToMarket`; not an acronym such as `SQLs`).
            let b = w.as_bytes();
            b[0].is_ascii_uppercase()
                && b.windows(2)
                    .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
        })
        .map(|w| w.to_string())
}

#[test]
fn the_detector_finds_debug_output() {
    for debug in [
        "  a new company should weight toward Marketing: [NewToMarket]",
        "    - ConflictingGoals { conflicts: [] }",
        "  pace Some(Ahead)",
        "  projected None",
        "  because FierceCompetition",
    ] {
        assert!(debug_in(debug).is_some(), "{debug}");
    }
    for words in [
        "  quota 120000.00 USD: 35% attained, behind pace, coverage 71%",
        "  ROAS 4.01x, ROI +301.04% (CAC 1750.00 USD, LTV:CAC 10.97x)",
        "  funnel users per step 2, 1, 1; [start] and {braces} in prose",
        "  mql_acceptance_rate = 80% (SQLs accepted by sales / MQLs handed off)",
    ] {
        assert_eq!(debug_in(words), None, "{words}");
    }
}

#[test]
fn stories_print_words_not_debug_output() {
    for name in STORIES {
        let out = Command::new(example(name))
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e} (build the examples first)"));
        assert!(out.status.success(), "{name} failed");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.lines().count() > 3, "{name} printed almost nothing");
        for (n, line) in text.lines().enumerate() {
            if let Some(found) = debug_in(line) {
                panic!("{name}, line {}: Debug output ({found}): {line}", n + 1);
            }
        }
    }
}
