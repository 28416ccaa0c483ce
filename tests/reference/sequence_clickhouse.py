#!/usr/bin/env python3
"""Writes tests/data/sequence_clickhouse.csv: random patterns and rows with
ClickHouse's own sequenceMatch and sequenceCount results (chdb, in
process), which tests/sequence.rs compares revops with. Outside CI:

    pip install chdb==4.4.0
    python3 tests/reference/sequence_clickhouse.py > tests/data/sequence_clickhouse.csv

Each case's rows are given to ClickHouse already sorted by time, then by
their conditions as a number, in one block on one thread: ClickHouse keeps
the arrival order of rows at one time, so it sees the order revops sorts
to. Three conditions: condition k is bit k - 1 of the row's value. Seeded.
"""
import random
import sys

import chdb

CASES = 400


def pattern(r):
    out = []
    for _ in range(r.randint(1, 6)):
        k = r.random()
        if k < 0.45:
            out.append(f"(?{r.randint(1, 3)})")
        elif k < 0.6:
            out.append(".")
        elif k < 0.75:
            out.append(".*")
        elif out and not out[-1].startswith("(?t"):
            op = r.choice(["<", "<=", ">", ">=", "=="])
            out.append(f"(?t{op}{r.randint(0, 6)})")
    return "".join(out) or "(?1)"


def main():
    r = random.Random(20261205)
    w = sys.stdout
    w.write("pattern,rows,match,count\n")
    for _ in range(CASES):
        p = pattern(r)
        rows = sorted(
            (r.randint(0, 12), r.randint(0, 7)) for _ in range(r.randint(0, 14))
        )
        if not rows:
            rows = [(0, 0)]
        arr = "[" + ",".join(f"({t},{c})" for t, c in rows) + "]"
        src = (
            "FROM (SELECT toDateTime(tupleElement(x, 1)) AS t, tupleElement(x, 2) AS c "
            f"FROM (SELECT arrayJoin({arr}) AS x)) SETTINGS max_threads = 1"
        )
        conds = "t, bitTest(c, 0), bitTest(c, 1), bitTest(c, 2)"
        res = []
        for f in ["sequenceMatch", "sequenceCount"]:
            try:
                v = chdb.query(f"SELECT {f}('{p}')({conds}) {src}", "CSV").bytes().decode().strip()
            except Exception as e:  # the pattern's or the limit's error
                v = "error"
            res.append(v)
        rows_text = " ".join(f"{t}:{c}" for t, c in rows)
        w.write(f"{p},{rows_text},{res[0]},{res[1]}\n")


if __name__ == "__main__":
    main()
