#!/usr/bin/env python3
"""`revops retention` and ClickHouse (chdb, in-process) on the same CSV
file, in one run: a weekly cohort table (cohort = the Monday of each user's
first `signup`, cell n = users with a `login` at or after their sign-up in
the week n weeks later). Outside CI:

    pip install chdb==4.4.0
    cargo build --release -p revops-cli
    cargo run --release -p revops-benches --example gen_year_events -- /tmp/year.csv
    python3 benches/compare/retention_clickhouse.py /tmp/year.csv --periods 12

Prints the best of N runs of ClickHouse reading the file and computing the
table (a `GROUP BY` over `toMonday` cohorts with `uniqExact`), and of the
command end to end (a fresh process) with its own parse_ms and analyse_ms
and its peak resident memory; checks that both give the same cells.
"""
import argparse
import json
import os
import subprocess
import time

import chdb


def query(path, periods, threads):
    src = (
        f"file('{path}', 'CSVWithNames', "
        "'user_id String, ts String, event String, country String')"
    )
    return f"""
WITH
  firsts AS (
    SELECT user_id, min(parseDateTimeBestEffort(ts)) AS start
    FROM {src} WHERE event = 'signup' GROUP BY user_id
  ),
  returns AS (
    SELECT user_id, parseDateTimeBestEffort(ts) AS t
    FROM {src} WHERE event = 'login'
  )
SELECT toMonday(f.start) AS cohort, -1 AS n, count() AS users FROM firsts AS f GROUP BY cohort
UNION ALL
SELECT toMonday(f.start) AS cohort,
       intDiv(dateDiff('day', toMonday(f.start), toMonday(r.t)), 7) AS n,
       uniqExact(f.user_id) AS users
FROM firsts AS f INNER JOIN returns AS r ON f.user_id = r.user_id
WHERE r.t >= f.start AND n < {periods}
GROUP BY cohort, n
ORDER BY cohort, n
SETTINGS max_threads = {threads}, session_timezone = 'UTC'
"""


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
    ap.add_argument("--periods", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tool", default="target/release/revops")
    a = ap.parse_args()
    ch_time, ch_out = best(
        lambda: str(chdb.query(query(a.csv, a.periods, a.threads), "CSV")), a.runs
    )
    theirs = {}
    for line in ch_out.strip().splitlines():
        cohort, n, users = line.replace('"', "").split(",")
        theirs.setdefault(cohort, {})[int(n)] = int(users)

    def tool():
        t0 = time.perf_counter()
        p = subprocess.run(
            ["/usr/bin/time", "-f", "%M", a.tool, "retention", a.csv,
             "--start-event", "signup", "--return-event", "login",
             "--period", "week", "--periods", str(a.periods), "--format", "json"],
            check=True, capture_output=True, text=True,
        )
        wall = time.perf_counter() - t0
        return wall, json.loads(p.stdout), int(p.stderr.strip().splitlines()[-1])

    runs = [tool() for _ in range(a.runs)]
    wall, report, _ = min(runs, key=lambda r: r[0])
    peak_mb = max(r[2] for r in runs) / 1024
    disagree = 0
    for c in report["cohorts"]:
        t = theirs.get(c["cohort"], {})
        if t.get(-1) != c["users"]:
            disagree += 1
        for n, users in enumerate(c["retained"]):
            if t.get(n, 0) != users:
                disagree += 1
    file_mb = os.path.getsize(a.csv) / 1e6
    print(f"ClickHouse {chdb.__version__} (chdb), {a.threads} threads, best of {a.runs}")
    print(f"  from the file, end to end:  {ch_time * 1000:8.0f} ms")
    print(f"revops retention, best of {a.runs}")
    print(f"  end to end (fresh process): {wall * 1000:8.0f} ms")
    print(f"  parse_ms {report['stats']['parse_ms']}, analyse_ms {report['stats']['analyse_ms']}")
    print(f"  peak resident memory:       {peak_mb:8.0f} MB (the file: {file_mb:.0f} MB)")
    print(f"cohorts: {len(report['cohorts'])}, cells that disagree: {disagree}")
    if disagree:
        raise SystemExit("the two disagree")


if __name__ == "__main__":
    main()
