# bench/train/features.py - the credit feature table the bench trains on,
# until ferry's feature files replace it.  Point in time per loan:
#   nb_previous_loans          loans of the customer before this one, ordered
#                              by (loan_date, file order)
#   avg_amount_loans_previous  mean loan_amount of those loans (empty: none)
#   age, years_on_the_job      whole years at loan_date (job_start_date
#                              3021-09-18 is a placeholder -> empty)
#   flag_own_car               N -> 0, else 1
#   status                     the label
# Usage: features.py loans.csv features.csv
import sys
import numpy as np
import pandas as pd

src, dst = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, usecols=["id", "flag_own_car", "status", "birthday",
                               "job_start_date", "loan_date", "loan_amount"])
df["row"] = np.arange(len(df))
df = df.sort_values(["id", "loan_date", "row"], kind="mergesort")
g = df.groupby("id", sort=False)
df["nb_previous_loans"] = g.cumcount()
prev_sum = g["loan_amount"].cumsum() - df["loan_amount"]
df["avg_amount_loans_previous"] = prev_sum / df["nb_previous_loans"].replace(0, np.nan)
df = df.sort_values("row")


def whole_years(start, at):
    s = pd.to_datetime(start, errors="coerce")
    a = pd.to_datetime(at)
    yrs = a.dt.year - s.dt.year - ((a.dt.month * 100 + a.dt.day) <
                                   (s.dt.month * 100 + s.dt.day)).astype(int)
    return yrs


df["age"] = whole_years(df["birthday"], df["loan_date"])
job = df["job_start_date"].where(df["job_start_date"] != "3021-09-18")
df["years_on_the_job"] = whole_years(job, df["loan_date"])
df["flag_own_car"] = (df["flag_own_car"] != "N").astype(int)
out = df[["nb_previous_loans", "avg_amount_loans_previous", "age",
          "years_on_the_job", "flag_own_car", "status"]]
out.to_csv(dst, index=False, float_format="%.17g")
