#!/usr/bin/env python3
"""Seeded inputs for the tools at 1,000,000 rows (benches/README.md):
/tmp/attr1m.csv (ChannelAttribution layout, 12 channels, 1 to 16 touches)
and /tmp/pipe1m.csv (the pipeline layout: half open, won and lost over
450 days). Run: python3 benches/compare/gen_1m_rows.py"""
import random, datetime
r = random.Random(2026)
chans = ["search","social","email","display","referral","direct","video","affiliate","podcast","partner","events","sms"]
with open('/tmp/attr1m.csv','w') as f:
    f.write("path,total_conversions,total_conversion_value,total_null\n")
    for i in range(1_000_000):
        n = 1 + min(int(r.expovariate(0.35)), 15)
        path = " > ".join(r.choice(chans) for _ in range(n))
        conv = r.choice([0,0,0,1,1,2,3])
        val = "%.2f" % (conv * r.uniform(20, 400)) if conv else "0"
        f.write(f"{path},{conv},{val},{r.randrange(0,20)}\n")
stages = [("prospecting",0.1),("qualification",0.2),("proposal",0.5),("negotiation",0.7)]
cats = ["pipeline","best_case","commit","omitted"]
srcs = ["marketing","sales"]
start = datetime.date(2025,1,1)
with open('/tmp/pipe1m.csv','w') as f:
    f.write("id,created,closed,status,amount,currency,stage,probability,forecast_category,source\n")
    for i in range(1_000_000):
        c = start + datetime.timedelta(days=r.randrange(0, 450))
        status = r.choice(["won","lost","open","open"])
        amt = "%.2f" % r.uniform(500, 90000)
        if status == "open":
            st, p = r.choice(stages)
            f.write(f"D-{i},{c},,open,{amt},USD,{st},{p},{r.choice(cats)},{r.choice(srcs)}\n")
        else:
            cl = c + datetime.timedelta(days=r.randrange(1, 120))
            st = "closed won" if status == "won" else "closed lost"
            p = 1 if status == "won" else 0
            f.write(f"D-{i},{c},{cl},{status},{amt},USD,{st},{p},closed,{r.choice(srcs)}\n")
