#!/usr/bin/env python3
"""`revops funnel` and ClickHouse (chdb, in-process) on the same CSV file,
in one run. Outside CI:

    pip install chdb==4.4.0
    cargo build --release -p revops-cli
    python3 benches/compare/funnel_clickhouse.py EVENTS.csv --steps 5

With `--text`, the file has analysts' layout (`user_id,ts,event,channel`:
UUID ids, ISO 8601 times, step names; `text_events.py` writes it from the
integer file): ClickHouse reads the times with `parseDateTimeBestEffort`
and matches the names, the command gets `--steps visit,signup,...`.

EVENTS.csv has the funnel tool's layout (`user_id,ts,step,channel`, Unix
seconds); the end-to-end issue's file (10.4 million rows, 376 MB, the
`funnel_file` bench's data) is written by

    cargo run --release -p revops-benches --example gen_events -- EVENTS.csv
 Prints the best of N runs of:
  * ClickHouse reading the file and computing the funnel (end to end);
  * ClickHouse's query on a Memory table (the data already loaded);
  * the funnel tool, end to end (a fresh process), with its own parse_ms
    and analyse_ms, and its peak resident memory;
and checks that both count the same users at every step.
"""
import argparse
import json
import subprocess
import time

import chdb
from chdb import session


NAMES = ["visit", "signup", "activate", "trial", "paid"]


def query(source, steps, window, threads, text=False):
    if text:
        conds = ", ".join(f"event = '{NAMES[k]}'" for k in range(steps))
        ts = "parseDateTimeBestEffort(ts)"
    else:
        conds = ", ".join(f"step = {k}" for k in range(steps))
        ts = "ts"
    return (
        f"SELECT level, count() AS users FROM (SELECT user_id, windowFunnel({window})"
        f"({ts}, {conds}) AS level FROM {source} GROUP BY user_id) GROUP BY level "
        f"ORDER BY level SETTINGS max_threads = {threads}"
    )


def best(f, runs):
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def users_per_step(csv_levels, steps):
    """ClickHouse's level histogram to users reaching each step."""
    hist = {}
    for line in csv_levels.strip().splitlines():
        level, users = line.split(",")
        hist[int(level)] = int(users)
    return [sum(u for l, u in hist.items() if l >= k + 1) for k in range(steps)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--window", type=int, default=604800)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tool", default="target/release/revops")
    ap.add_argument("--text", action="store_true",
                    help="UUID ids, ISO times, step names (text_events.py)")
    a = ap.parse_args()
    if a.text:
        schema = "user_id String, ts String, event String, channel String"
        steps_flag = ",".join(NAMES[: a.steps])
    else:
        schema = "user_id UInt64, ts UInt32, step UInt8, channel String"
        steps_flag = str(a.steps)
    src = f"file('{a.csv}', 'CSVWithNames', '{schema}')"
    from_file, ch_out = best(
        lambda: str(chdb.query(query(src, a.steps, a.window, a.threads, a.text), "CSV")), a.runs
    )
    s = session.Session()
    s.query(f"CREATE TABLE events ENGINE = Memory AS SELECT * FROM {src}")
    mem, _ = best(
        lambda: str(s.query(query("events", a.steps, a.window, a.threads, a.text), "CSV")), a.runs
    )

    def tool():
        # Through /usr/bin/time for the tool's own peak memory: a child
        # forked from this process (which holds ClickHouse's table) would
        # count this process's pages until it execs.
        t0 = time.perf_counter()
        p = subprocess.run(
            ["/usr/bin/time", "-f", "%M", a.tool, "funnel", a.csv, "--steps", steps_flag,
             "--window", str(a.window), "--format", "json"],
            check=True, capture_output=True, text=True,
        )
        wall = time.perf_counter() - t0
        peak_kb = int(p.stderr.strip().splitlines()[-1])
        return wall, json.loads(p.stdout), peak_kb

    runs = [tool() for _ in range(a.runs)]
    wall, report, _ = min(runs, key=lambda r: r[0])
    peak_mb = max(r[2] for r in runs) / 1024
    ours = [s["users"] for s in report["steps"]]
    theirs = users_per_step(ch_out, a.steps)
    print(f"ClickHouse {chdb.__version__} (chdb), {a.threads} threads, best of {a.runs}")
    print(f"  from the file, end to end:  {from_file * 1000:8.0f} ms")
    print(f"  query on a Memory table:    {mem * 1000:8.0f} ms")
    print(f"revops funnel, best of {a.runs}")
    print(f"  end to end (fresh process): {wall * 1000:8.0f} ms")
    print(f"  parse_ms {report['stats']['parse_ms']}, analyse_ms {report['stats']['analyse_ms']}")
    import os
    file_mb = os.path.getsize(a.csv) / 1e6
    print(f"  peak resident memory:       {peak_mb:8.0f} MB (the file: {file_mb:.0f} MB)")
    print(f"users per step: revops {ours}, ClickHouse {theirs}")
    if ours != theirs:
        raise SystemExit("the two disagree")


if __name__ == "__main__":
    main()
