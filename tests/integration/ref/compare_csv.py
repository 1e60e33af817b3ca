#!/usr/bin/python3
"""Compare two CSV tables cell by cell: same header, same number of rows,
numbers within a relative tolerance, everything else exactly; empty cells
(null) only match empty cells.

usage: compare_csv.py EXPECTED.csv ACTUAL.csv [--rtol 1e-9] [--label NAME]
"""
import argparse
import csv
import math
import sys

ap = argparse.ArgumentParser()
ap.add_argument("expected")
ap.add_argument("actual")
ap.add_argument("--rtol", type=float, default=1e-9)
ap.add_argument("--label", default="tables")
args = ap.parse_args()


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


with open(args.expected, newline="", encoding="utf-8") as fa, \
        open(args.actual, newline="", encoding="utf-8") as fb:
    ra, rb = csv.reader(fa), csv.reader(fb)
    ha, hb = next(ra), next(rb)
    if ha != hb:
        sys.exit(f"{args.label}: headers differ:\n  {ha}\n  {hb}")
    rows = 0
    bad = 0
    for ia, (a, b) in enumerate(zip(ra, rb)):
        rows += 1
        for col, x, y in zip(ha, a, b):
            if x == y:
                continue
            nx, ny = num(x), num(y)
            ok = (nx is not None and ny is not None and
                  (math.isclose(nx, ny, rel_tol=args.rtol, abs_tol=1e-12) or
                   (math.isnan(nx) and math.isnan(ny))))
            if not ok:
                bad += 1
                if bad <= 10:
                    print(f"row {ia + 1} column {col}: expected {x!r} actual {y!r}")
    rest_a, rest_b = sum(1 for _ in ra), sum(1 for _ in rb)
    if rest_a or rest_b:
        sys.exit(f"{args.label}: row counts differ ({rows + rest_a} vs {rows + rest_b})")
    if bad:
        sys.exit(f"{args.label}: {bad} cells differ")
    print(f"{args.label}: {rows} rows x {len(ha)} columns equal (rtol {args.rtol})")
