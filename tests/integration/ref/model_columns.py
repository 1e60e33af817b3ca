"""model_columns.py MODEL.json TABLE.csv OUT.csv

Write the columns of a ferry feature table that an XGBoost JSON model reads,
in the model's feature order (learner.feature_names), so bench_predict_compare
can score every row of the table with ferry and with XGBoost.  Fails when the
model names a feature the table lacks.
"""
import json
import sys

import pandas as pd

model, table, out = sys.argv[1:4]
names = json.load(open(model))["learner"]["feature_names"]
t = pd.read_csv(table, low_memory=False)
missing = [n for n in names if n not in t.columns]
if missing:
    sys.exit(f"{table}: lacks model features {missing}")
t[names].to_csv(out, index=False)
print(f"{table}: {len(t)} rows x {len(names)} model features -> {out}")
