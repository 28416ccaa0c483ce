#!/usr/bin/env python3
"""ClickHouse (chdb, in-process) and revops-datafusion on the same events,
in one run. Outside CI:

    pip install chdb==4.4.0
    cargo build --release --example gen_events --example sql
    target/release/examples/gen_events /tmp/events.parquet
    python3 benches/compare/clickhouse.py /tmp/events.parquet

Prints the best of N runs of:
  * ClickHouse, the funnel query on a Memory table (the data already loaded);
  * ClickHouse, the same query reading the Parquet file;
  * revops-datafusion's SQL shell, the same query reading the Parquet file
    (a fresh process: start-up, file read, query, output).
The in-memory DataFusion figure is the criterion bench's
(`cargo bench --bench window_funnel`), on the same generated events.
"""
import argparse
import subprocess
import time

import chdb
from chdb import session

WINDOW = 604800


def funnel(source):
    return (
        "SELECT level, count() AS users FROM (SELECT user_id, "
        f"windowFunnel({WINDOW})(ts, step = 0, step = 1, step = 2, step = 3) AS level "
        f"FROM {source} GROUP BY user_id) GROUP BY level ORDER BY level"
    )


DATAFUSION = (
    "SELECT level, count(*) AS users FROM (SELECT user_id, "
    f"window_funnel({WINDOW}, ts, step = 0, step = 1, step = 2, step = 3) AS level "
    "FROM events GROUP BY user_id) GROUP BY level ORDER BY level"
)


def best(f, runs):
    times = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("parquet")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--shell", default="target/release/examples/sql")
    a = ap.parse_args()
    settings = f"SETTINGS max_threads = {a.threads}"
    s = session.Session()
    s.query(
        "CREATE TABLE events ENGINE = Memory AS SELECT user_id, "
        f"toDateTime(ts) AS ts, step FROM file('{a.parquet}', Parquet)"
    )
    mem, mem_out = best(lambda: s.query(funnel("events") + " " + settings, "CSV"), a.runs)
    src = f"(SELECT user_id, toDateTime(ts) AS ts, step FROM file('{a.parquet}', Parquet))"
    from_file, _ = best(lambda: chdb.query(funnel(src) + " " + settings, "CSV"), a.runs)
    shell, shell_out = best(
        lambda: subprocess.run(
            [a.shell, "--table", f"events={a.parquet}", DATAFUSION],
            check=True,
            capture_output=True,
            text=True,
        ).stdout,
        a.runs,
    )
    print(f"ClickHouse {chdb.__version__}, {a.threads} threads, best of {a.runs}")
    print(f"  memory table query:        {mem * 1000:8.0f} ms")
    print(f"  from the Parquet file:     {from_file * 1000:8.0f} ms")
    print(f"revops-datafusion SQL shell, from the file: {shell * 1000:8.0f} ms")
    print("ClickHouse levels:\n" + str(mem_out).strip())
    print("revops levels:\n" + shell_out.strip())


if __name__ == "__main__":
    main()
