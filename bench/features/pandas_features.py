#!/usr/bin/python3
"""The credit-risk features of examples/credit-risk/ferry.yaml, written the
way a data scientist would in vectorized pandas: the baseline of
bench/features/run.

usage: pandas_features.py LOANS.csv OUT.csv

Same semantics as ferry (and its generated SQL):
  - per customer id, loans ordered by (loan_date, file order); only earlier
    loans count (nb_previous_loans, avg_amount_loans_previous: null when
    there is none);
  - age / years_on_the_job in whole years: year difference minus one when
    the (month, day) of the loan date comes before the other date's;
  - job_start_date 3021-09-18 is the source's "not employed" placeholder:
    years_on_the_job is null there;
  - flag_own_car: 'N' -> 0, anything else -> 1.
Prints "pandas_s=S rows=N" (wall time of read + compute + write).
"""
import sys
import time

import numpy as np
import pandas as pd

PLACEHOLDER = "3021-09-18"


def whole_years(later, earlier):
    """Whole years from earlier to later (both datetime64 Series)."""
    md_l = later.dt.month * 100 + later.dt.day
    md_e = earlier.dt.month * 100 + earlier.dt.day
    return later.dt.year - earlier.dt.year - (md_l < md_e).astype("int64")


def main(src, dst):
    t0 = time.perf_counter()
    df = pd.read_csv(
        src,
        usecols=["id", "flag_own_car", "status", "birthday", "job_start_date",
                 "loan_date", "loan_amount"],
        dtype={"id": "int64", "flag_own_car": "category", "status": "int64",
               "loan_amount": "float64", "birthday": "string",
               "job_start_date": "string", "loan_date": "string"})
    # Dates beyond 2262 do not fit datetime64[ns]: drop the placeholder first.
    job = df.job_start_date.mask(df.job_start_date == PLACEHOLDER)
    fmt = "%Y-%m-%d"
    loan_date = pd.to_datetime(df.loan_date, format=fmt)
    birthday = pd.to_datetime(df.birthday, format=fmt)
    job_start = pd.to_datetime(job, format=fmt)

    # Point in time: stable sort by (id, loan_date, file order), then
    # cumulative counts/sums shifted by one row within each customer.
    order = pd.DataFrame({"id": df.id, "loan_date": loan_date,
                          "row": np.arange(len(df))})
    order = order.sort_values(["id", "loan_date", "row"], kind="stable")
    amount = df.loan_amount.reindex(order.index)
    g = amount.groupby(order.id.values, sort=False)
    nb = g.cumcount()
    prev_sum = g.cumsum().shift(1).where(nb > 0)
    avg = prev_sum / nb.where(nb > 0)

    out = pd.DataFrame({
        "id": df.id,
        "loan_date": df.loan_date,
        "loan_amount": df.loan_amount,
        "nb_previous_loans": nb.sort_index().astype("Int64"),
        "avg_amount_loans_previous": avg.sort_index(),
        "age": whole_years(loan_date, birthday).astype("Int64"),
        "years_on_the_job": whole_years(loan_date, job_start).astype("Int64"),
        "flag_own_car": (df.flag_own_car != "N").astype("int64"),
        "status": df.status,
    })
    out.loc[loan_date.isna(), ["nb_previous_loans",
                               "avg_amount_loans_previous"]] = pd.NA
    out.to_csv(dst, index=False, float_format=None)
    dt = time.perf_counter() - t0
    print("pandas_s=%.4f rows=%d" % (dt, len(out)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
