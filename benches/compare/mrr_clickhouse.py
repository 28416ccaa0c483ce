#!/usr/bin/env python3
"""`revops mrr` and ClickHouse (chdb, in-process) computing the same MRR
bridge from the same CSV file, in one run. Outside CI:

    pip install chdb==4.4.0
    cargo build --release -p revops-cli
    cargo run --release -p revops-benches --example gen_mrr -- MRR.csv
    python3 benches/compare/mrr_clickhouse.py MRR.csv

The SQL (printed by the script) sums duplicate customer-months, makes
every customer's months dense from its first row to the file's last month
(a month without a row is 0), takes the month before with `lagInFrame` and
whether the customer had MRR before with a running `max`, and sums each
movement per month with `sumIf`. Both are checked to give the same bridge
to the cent (new, expansion, contraction, churned, reactivation, closing
MRR). Prints the best of N runs of each, end to end from the file.
"""
import argparse
import json
import subprocess
import time
from decimal import Decimal

import chdb


def query(path, threads):
    src = (f"file('{path}', 'CSVWithNames', "
           "'customer_id String, month String, mrr Decimal(18, 2), currency String')")
    return f"""
WITH
r AS (
  SELECT customer_id, toUInt32(substring(month, 1, 4)) * 12 + toUInt32(substring(month, 6, 2)) - 1 AS m,
         sum(mrr) AS v
  FROM {src} GROUP BY customer_id, m
),
hi AS (SELECT max(m) AS hi FROM r),
dense AS (
  SELECT customer_id, arrayJoin(range(min(m), (SELECT hi FROM hi) + 1)) AS m FROM r GROUP BY customer_id
),
full AS (
  SELECT d.customer_id AS customer_id, d.m AS m, r.v AS v FROM dense AS d LEFT JOIN r USING (customer_id, m)
),
w AS (
  SELECT m, v,
    lagInFrame(v, 1, toDecimal128(0, 2)) OVER (PARTITION BY customer_id ORDER BY m ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev,
    max(v > 0) OVER (PARTITION BY customer_id ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS had
  FROM full
)
SELECT m,
  sumIf(v, prev = 0 AND v > 0 AND had = 0) AS new,
  sumIf(v - prev, prev > 0 AND v > prev) AS expansion,
  sumIf(prev - v, prev > 0 AND v > 0 AND v < prev) AS contraction,
  sumIf(prev, prev > 0 AND v = 0) AS churned,
  sumIf(v, prev = 0 AND v > 0 AND had = 1) AS reactivation,
  sum(v) AS mrr
FROM w GROUP BY m ORDER BY m
SETTINGS max_threads = {threads}
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
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tool", default="target/release/revops")
    a = ap.parse_args()
    sql = query(a.csv, a.threads)
    print(sql)
    ch_time, ch_out = best(lambda: str(chdb.query(sql, "CSV")), a.runs)
    theirs = []
    for line in ch_out.strip().splitlines():
        f = line.split(",")
        theirs.append([Decimal(x.strip('"')) for x in f[1:]])

    def tool():
        t0 = time.perf_counter()
        p = subprocess.run(
            ["/usr/bin/time", "-f", "%M", a.tool, "mrr", a.csv, "--format", "json"],
            check=True, capture_output=True, text=True,
        )
        return time.perf_counter() - t0, json.loads(p.stdout), int(p.stderr.strip().splitlines()[-1])

    runs = [tool() for _ in range(a.runs)]
    wall, report, _ = min(runs, key=lambda r: r[0])
    peak_mb = max(r[2] for r in runs) / 1024
    keys = ["new", "expansion", "contraction", "churned", "reactivation", "mrr"]
    ours = [[Decimal(mo[k]["amount"]) for k in keys] for mo in report["months"]]
    print(f"ClickHouse {chdb.__version__} (chdb), {a.threads} threads, best of {a.runs}")
    print(f"  the bridge from the file, end to end: {ch_time * 1000:8.0f} ms")
    print(f"revops mrr, best of {a.runs}, end to end (fresh process)")
    print(f"  {wall * 1000:8.0f} ms (parse_ms {report['stats']['parse_ms']}, "
          f"analyse_ms {report['stats']['analyse_ms']}), peak {peak_mb:.0f} MB; "
          f"{report['stats']['rows']} rows, {report['stats']['customers']} customers, "
          f"{len(report['months'])} months, {len(report['cohorts'])} cohorts")
    if ours != theirs:
        for i, (x, y) in enumerate(zip(ours, theirs)):
            if x != y:
                print(f"month {i}: revops {x}, ClickHouse {y}")
        raise SystemExit("the two bridges differ")
    print("the same bridge, to the cent, in every month")


if __name__ == "__main__":
    main()
