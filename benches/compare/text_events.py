#!/usr/bin/env python3
"""Rewrites an integer event file (`user_id,ts,step,channel`, as
`gen_events` writes it) the way analysts export events: 36-character UUID
user ids, ISO 8601 times (UTC, `Z`) and step names, in the header
`user_id,ts,event,channel`. The same events, so both files give the same
funnel:

    python3 benches/compare/text_events.py EVENTS.csv EVENTS_TEXT.csv

Step k (0 to 4) is named by STEPS[k]; any other step number is
`page_view` (an event of no step). Deterministic: the same input gives
the same file.
"""
import hashlib
import sys
import time

STEPS = ["visit", "signup", "activate", "trial", "paid"]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    uuids = {}
    stamps = {}
    with open(src) as f, open(dst, "w") as out:
        f.readline()
        out.write("user_id,ts,event,channel\n")
        for line in f:
            user, ts, step, channel = line.rstrip("\n").split(",")
            u = uuids.get(user)
            if u is None:
                h = hashlib.md5(user.encode()).hexdigest()
                u = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
                uuids[user] = u
            t = stamps.get(ts)
            if t is None:
                t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))
                stamps[ts] = t
            k = int(step)
            event = STEPS[k] if k < len(STEPS) else "page_view"
            out.write(f"{u},{t},{event},{channel}\n")


if __name__ == "__main__":
    main()
