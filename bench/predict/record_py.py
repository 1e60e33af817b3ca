#!/usr/bin/env python3
"""record_py.py - the raw-record side of bench/predict/run in Python.

  record_py.py prep LOANS FLIGHTS OUTDIR [--records N] [--seed S]
  record_py.py baseline credit|flights REGISTRY NAME RECORDS FERRY_SCORES
               [--loans LOANS] [--warmup N] [--timed N]

prep writes the records both sides score, as TSV (header, then one record a
line, raw text fields, no quoting: a value holding a tab or a newline is
refused):
  credit.tsv   N loans of the log (rows drawn at random, so customers with
               many earlier loans come up often) re-dated after the log's
               last day: new loans of EXISTING customers, whose window
               features (nb_previous_loans, avg_amount_loans_previous) come
               from every loan of theirs in the log, the history `features
               build` stored.  Dating them after the log keeps "the events
               before the record" unambiguous for both sides.
  flights.tsv  N rows of the flights file as they are.

baseline is what a Python service runs for one record (a dict of strings,
as a parsed JSON request gives it): a pandas DataFrame of one row, the
transforms of the project's ferry.yaml written in pandas, then
Booster.inplace_predict on that row with the model file the registry keeps
(the same XGBoost JSON ferry scores with).  The credit history is an
in-memory dict of per-customer (count, sum of loan_amount) built from the
log before timing, so the baseline pays no I/O for it.  Times --timed
records after --warmup (time.perf_counter around the whole record), then
compares its scores with ferry's (FERRY_SCORES: one score a line, in record
order, from bench_record) on those records.  The last line is machine
readable:  PYREC KIND median_us p99_us records max_abs_diff compared
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import random
import sys
import time

PLACEHOLDER_JOB_START = "3021-09-18"  # ferry.yaml: "not employed" -> null


def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        for r in [header] + rows:
            for v in r:
                if "\t" in v or "\n" in v or "\r" in v:
                    sys.exit(f"record_py: value {v!r} holds a tab or newline")
            f.write("\t".join(r) + "\n")


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    header = lines[0].split("\t")
    return header, [l.split("\t") for l in lines[1:] if l]


def prep(a):
    rng = random.Random(a.seed)
    with open(a.loans, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        loans = list(rd)
    di = header.index("loan_date")
    last = max(dt.date.fromisoformat(r[di]) for r in loans)
    recs = []
    for i in range(a.records):
        r = list(rng.choice(loans))
        # spread over 90 days after the log: ages and tenures vary as well
        r[di] = (last + dt.timedelta(days=1 + i % 90)).isoformat()
        recs.append(r)
    write_tsv(os.path.join(a.outdir, "credit.tsv"), header, recs)
    with open(a.flights, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        flights = list(rd)
    recs = [rng.choice(flights) for _ in range(a.records)]
    write_tsv(os.path.join(a.outdir, "flights.tsv"), header, recs)
    print(f"records: {a.records} credit loans of existing customers dated "
          f"{last + dt.timedelta(days=1)}..{last + dt.timedelta(days=90)} "
          f"(log ends {last}), {a.records} flights rows")


# ---- the per-record transforms, as a pandas service would write them ----

def years_between(a, b):
    """ferry's years_between (expr_func.c): whole years from a to b,
    counted like birthdays; null when either is null."""
    return (b.dt.year - a.dt.year
            - ((b.dt.month * 100 + b.dt.day) < (a.dt.month * 100 + a.dt.day)))


def credit_features(pd, np, rec, hist, order):
    df = pd.DataFrame([rec])
    loan = pd.to_datetime(df["loan_date"], format="%Y-%m-%d")
    birth = pd.to_datetime(df["birthday"], format="%Y-%m-%d")
    job = pd.to_datetime(df["job_start_date"].where(
        df["job_start_date"] != PLACEHOLDER_JOB_START), format="%Y-%m-%d")
    # window features over the customer's earlier loans (count, mean)
    n, total = hist.get(df["id"].iat[0], (0, 0.0))
    x = pd.DataFrame(index=df.index)
    x["nb_previous_loans"] = n
    x["avg_amount_loans_previous"] = total / n if n else np.nan
    x["age"] = years_between(birth, loan)
    x["years_on_the_job"] = years_between(job, loan)
    x["flag_own_car"] = np.where(df["flag_own_car"] == "N", 0, 1)
    return x[order]


def flights_features(pd, np, rec, hist, order):
    df = pd.DataFrame([rec])
    t = pd.to_datetime(df["Fecha-I"], format="%Y-%m-%d %H:%M:%S")
    md = t.dt.month * 100 + t.dt.day
    x = pd.DataFrame(index=df.index)
    # in_day_ranges(`Fecha-I`, '12-15..03-03', '07-15..07-31', '09-11..09-30')
    x["high_season"] = (((md >= 1215) | (md <= 303))
                        | ((md >= 715) & (md <= 731))
                        | ((md >= 911) & (md <= 930))).astype(int)
    h = t.dt.hour
    x["period_day"] = np.select([h.between(5, 11), h.between(12, 18)],
                                ["morning", "afternoon"], "night")
    for c in ("OPERA", "TIPOVUELO", "MES"):
        x[c] = df[c]
    # one-hots over the training vocabularies: get_dummies, then the
    # model's columns in its order (a category never seen gets all zeros)
    x = pd.get_dummies(x, columns=["period_day", "OPERA", "TIPOVUELO", "MES"],
                       prefix_sep="=")
    return x.reindex(columns=order, fill_value=0)


def load_version(registry, name):
    vdir = os.path.join(registry, name, "versions")
    v = max(int(d) for d in os.listdir(vdir) if d.isdigit())
    with open(os.path.join(vdir, str(v), "manifest.json"), encoding="utf-8") as f:
        man = json.load(f)
    return man, os.path.join(vdir, str(v), man["model"]["file"])


def baseline(a):
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    man, model_path = load_version(a.registry, a.name)
    order = [f["name"] for f in man["features"]]
    bst = xgb.Booster(model_file=model_path)
    bst.set_param({"nthread": 1})  # one record, one thread: its best setup
    header, rows = read_tsv(a.records)
    recs = [dict(zip(header, r)) for r in rows]
    hist = {}
    if a.kind == "credit":
        with open(a.loans, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                n, s = hist.get(r["id"], (0, 0.0))
                hist[r["id"]] = (n + 1, s + float(r["loan_amount"]))
        featurize = credit_features
    else:
        featurize = flights_features
    with open(a.ferry_scores, encoding="utf-8") as f:
        ferry = [float(l) for l in f.read().split()]
    if len(ferry) != len(recs):
        sys.exit(f"record_py: {len(ferry)} ferry scores for {len(recs)} records")
    need = a.warmup + a.timed
    if len(recs) < need:
        sys.exit(f"record_py: {len(recs)} records, need {need}")

    def score(rec):
        return float(bst.inplace_predict(featurize(pd, np, rec, hist, order))[0])

    for i in range(a.warmup):
        score(recs[i])
    us, diff, compared, mismatched = [], 0.0, 0, 0
    for i in range(a.warmup, need):
        t0 = time.perf_counter()
        s = score(recs[i])
        us.append((time.perf_counter() - t0) * 1e6)
        if math.isnan(ferry[i]):  # ferry rejected it (bench_record said why)
            mismatched += 1
            continue
        d = abs(s - ferry[i])
        if d > 1e-6 and mismatched < 3:
            x = featurize(pd, np, recs[i], hist, order).iloc[0]
            print(f"  python/ferry differ on record {i + 1}: python {s!r} "
                  f"ferry {ferry[i]!r}; python's non-zero features: "
                  + ", ".join(f"{k}={v}" for k, v in x.items() if v))
        mismatched += d > 1e-6
        diff = max(diff, d)
        compared += 1
    us.sort()
    med = us[len(us) // 2]
    p99 = us[min(len(us) - 1, int(0.99 * (len(us) - 1) + 0.5))]
    print(f"  python {a.kind}: median {med:.1f} us p99 {p99:.1f} us per record "
          f"over {len(us)} records after {a.warmup} warm-up (pandas "
          f"{pd.__version__}, xgboost {xgb.__version__}); max |python - ferry| "
          f"{diff:.3g} over {compared} records"
          + (f", {mismatched} MISMATCHED or rejected" if mismatched else ""))
    print(f"PYREC {a.kind} {med:.3f} {p99:.3f} {len(us)} {diff:.6g} {compared} "
          f"{mismatched}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prep")
    p.add_argument("loans")
    p.add_argument("flights")
    p.add_argument("outdir")
    p.add_argument("--records", type=int, default=20000)
    p.add_argument("--seed", type=int, default=11)
    b = sub.add_parser("baseline")
    b.add_argument("kind", choices=["credit", "flights"])
    b.add_argument("registry")
    b.add_argument("name")
    b.add_argument("records")
    b.add_argument("ferry_scores")
    b.add_argument("--loans")
    b.add_argument("--warmup", type=int, default=200)
    b.add_argument("--timed", type=int, default=2000)
    a = ap.parse_args()
    if a.cmd == "prep":
        prep(a)
    else:
        if a.kind == "credit" and not a.loans:
            sys.exit("record_py: baseline credit needs --loans")
        baseline(a)


if __name__ == "__main__":
    main()
