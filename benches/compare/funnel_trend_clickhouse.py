#!/usr/bin/env python3
"""`revops funnel --trend week --time-to-convert-bins auto` beside
ClickHouse (chdb, in-process) computing `windowFunnel` per user grouped by
`toMonday` of the user's first first-step event, on the same CSV file, in
one run. Outside CI:

    pip install chdb==4.4.0
    cargo build --release -p revops-cli
    cargo run --release -p revops-benches --example gen_events -- EVENTS.csv
    python3 benches/compare/funnel_trend_clickhouse.py EVENTS.csv --steps 5

The SQL (printed by the script) is

    SELECT toMonday(toDateTime(first)) AS week, level, count() AS users
    FROM (SELECT user_id, minIf(ts, step = 0) AS first,
                 windowFunnel(604800)(ts, step = 0, ..., step = 4) AS level
          FROM file(...) GROUP BY user_id HAVING level > 0)
    GROUP BY week, level ORDER BY week, level

The two place a user in a week by different rules: ClickHouse's query by
the user's first first-step event, revops by the earliest first-step event
from which a chain reaches the user's level (a user whose first visit led
nowhere and whose visit two weeks later converted is in the later week).
So the script checks that the totals per step agree and counts the users
the rules place differently (per step, the sum of |difference| per week
over 2); ClickHouse computes no histogram here, revops does. Prints the
best of N runs of each, end to end from the file.
"""
import argparse
import json
import subprocess
import time
from collections import defaultdict

import chdb


def query(src, steps, window, threads):
    conds = ", ".join(f"step = {k}" for k in range(steps))
    return (
        "SELECT toMonday(toDateTime(first)) AS week, level, count() AS users FROM ("
        f"SELECT user_id, minIf(ts, step = 0) AS first, windowFunnel({window})(ts, {conds}) AS level "
        f"FROM {src} GROUP BY user_id HAVING level > 0) "
        f"GROUP BY week, level ORDER BY week, level SETTINGS max_threads = {threads}"
    )


def best(f, runs):
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--window", type=int, default=604800)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tool", default="target/release/revops")
    a = ap.parse_args()
    schema = "user_id UInt64, ts UInt32, step UInt8, channel String"
    src = f"file('{a.csv}', 'CSVWithNames', '{schema}')"
    sql = query(src, a.steps, a.window, a.threads)
    print(sql)
    ch_time, ch_out = best(lambda: str(chdb.query(sql, "CSV")), a.runs)
    theirs = defaultdict(lambda: [0] * a.steps)
    for line in ch_out.strip().splitlines():
        week, level, users = line.split(",")
        week = week.strip('"')
        for k in range(int(level)):
            theirs[week][k] += int(users)

    def tool(extra):
        t0 = time.perf_counter()
        p = subprocess.run(
            [a.tool, "funnel", a.csv, "--steps", str(a.steps), "--window", str(a.window),
             "--format", "json"] + extra,
            check=True, capture_output=True, text=True,
        )
        return time.perf_counter() - t0, json.loads(p.stdout)

    plain = min((tool([]) for _ in range(a.runs)), key=lambda r: r[0])
    trend = min((tool(["--trend", "week", "--time-to-convert-bins", "auto"]) for _ in range(a.runs)),
                key=lambda r: r[0])
    report = trend[1]
    ours = {p["period"]: [s["users"] for s in p["steps"]] for p in report["trend"]}
    print(f"ClickHouse {chdb.__version__} (chdb), {a.threads} threads, best of {a.runs}")
    print(f"  windowFunnel by week of the first step, from the file: {ch_time * 1000:8.0f} ms")
    print(f"revops funnel, best of {a.runs}, end to end (fresh process)")
    print(f"  plain:                                {plain[0] * 1000:8.0f} ms "
          f"(analyse_ms {plain[1]['stats']['analyse_ms']})")
    print(f"  --trend week --time-to-convert-bins auto: {trend[0] * 1000:8.0f} ms "
          f"(analyse_ms {report['stats']['analyse_ms']}; {len(report['trend'])} weeks, "
          f"{len(report['time_to_convert'])} histograms)")
    total_ours = [sum(v[k] for v in ours.values()) for k in range(a.steps)]
    total_theirs = [sum(v[k] for v in theirs.values()) for k in range(a.steps)]
    print(f"users per step: revops {total_ours}, ClickHouse {total_theirs}")
    if total_ours != total_theirs:
        raise SystemExit("the totals disagree")
    weeks = set(ours) | set(theirs)
    moved = [sum(abs(ours.get(w, [0] * a.steps)[k] - theirs.get(w, [0] * a.steps)[k])
                 for w in weeks) // 2 for k in range(a.steps)]
    print(f"users in another week by the two rules, per step: {moved}")


if __name__ == "__main__":
    main()
