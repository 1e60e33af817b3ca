#!/usr/bin/python3
"""Independent computation of the flight-delay features with pandas, compared
with ferry's offline feature table row by row.

usage: flights_ref.py FLIGHTS_CSV FERRY_FEATURES_CSV
Exits non-zero and prints the first differences when they disagree.
"""
import sys

import numpy as np
import pandas as pd

src, got_path = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, low_memory=False, dtype=str)
got = pd.read_csv(got_path, low_memory=False)
fail = []

if len(got) != len(df):
    sys.exit(f"rows: ferry {len(got)}, pandas {len(df)}")

sched = pd.to_datetime(df["Fecha-I"], format="%Y-%m-%d %H:%M:%S")
oper = pd.to_datetime(df["Fecha-O"], format="%Y-%m-%d %H:%M:%S")
min_diff = (oper - sched).dt.total_seconds() / 60.0
delay = (min_diff > 15).astype(int)


def in_range(d, m1, d1, m2, d2):
    md = d.dt.month * 100 + d.dt.day
    lo, hi = m1 * 100 + d1, m2 * 100 + d2
    return (md >= lo) & (md <= hi) if lo <= hi else (md >= lo) | (md <= hi)


high = (in_range(sched, 12, 15, 3, 3) | in_range(sched, 7, 15, 7, 31)
        | in_range(sched, 9, 11, 9, 30)).astype(int)
h = sched.dt.hour
period = np.where((h >= 5) & (h < 12), "morning",
                  np.where((h >= 12) & (h < 19), "afternoon", "night"))


def check(name, expected):
    if name not in got.columns:
        fail.append(f"missing column {name}")
        return
    g = got[name]
    if expected.dtype.kind in "fi" and g.dtype.kind in "fib":
        bad = ~np.isclose(g.astype(float), expected.astype(float), rtol=1e-12, atol=1e-9)
    else:
        bad = g.astype(str).values != expected.astype(str).values
    n = int(np.sum(bad))
    if n:
        i = int(np.argmax(bad))
        fail.append(f"{name}: {n} rows differ; first row {i}: ferry {g.iloc[i]!r} pandas {expected.iloc[i] if hasattr(expected, 'iloc') else expected[i]!r}")


check("delay", delay)
check("min_diff", min_diff)
check("high_season", high)
check("period_day", pd.Series(period))

for col in ["OPERA", "TIPOVUELO", "MES"]:
    values = sorted(df[col].unique())
    cols = [c for c in got.columns if c.startswith(col + "=")]
    got_values = sorted(c[len(col) + 1:] for c in cols)
    if got_values != values:
        fail.append(f"one-hot {col}: ferry vocabulary {got_values} != pandas {values}")
        continue
    for v in values:
        check(f"{col}={v}", (df[col] == v).astype(int))

share = delay.mean() * 100
print(f"pandas: {len(df)} rows, {share:.2f}% delayed")
if fail:
    print("\n".join(fail))
    sys.exit(1)
print("flights: ferry equals pandas on every row of",
      ", ".join(["delay", "min_diff", "high_season", "period_day", "one-hot OPERA/TIPOVUELO/MES"]))
