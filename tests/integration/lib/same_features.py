#!/usr/bin/python3
"""same_features.py PREDICTED.csv FEATURES.csv [--rows R1,R2,...] [--model M.json]

Checks records scored one at a time (`ferry predict --with-features`)
against the batch feature table of `ferry features build`, row for row:
every model feature of PREDICTED (the columns after `prediction`/`score`)
must equal FEATURES' column of the same name exactly (same double; both
empty for null).  --rows maps predicted row i to feature-table row R_i
(default: the same row).  With --model, the scores are also compared with
XGBoost's own prediction over the feature table rows (|diff| <= 1e-6),
an independent implementation of the trees.  Prints one summary line;
exit 1 on the first mismatch, naming the row, the column and both values.
"""
import sys
import pandas as pd

args = sys.argv[1:]
pred_path, feat_path = args[0], args[1]
rows = None
model = None
if "--rows" in args:
    rows = [int(x) for x in args[args.index("--rows") + 1].split(",") if x]
if "--model" in args:
    model = args[args.index("--model") + 1]

pred = pd.read_csv(pred_path, keep_default_na=False, dtype=str)
feat = pd.read_csv(feat_path, keep_default_na=False, dtype=str)
cols = list(pred.columns)
first = cols.index("prediction") + 1 if "prediction" in cols else cols.index("score") + 1
names = cols[first:]
if not names:
    sys.exit("same_features: %s has no feature columns (--with-features?)" % pred_path)
if rows is None:
    rows = list(range(len(pred)))
if len(rows) != len(pred):
    sys.exit("same_features: %d predicted rows, %d mapped" % (len(pred), len(rows)))


def num(s):
    return None if s == "" else float(s)


for name in names:
    if name not in feat.columns:
        sys.exit("same_features: feature %s is not a column of %s" % (name, feat_path))
    a = pred[name].tolist()
    b = feat[name].tolist()
    for i, r in enumerate(rows):
        x, y = num(a[i]), num(b[r])
        if x != y and not (x is not None and y is not None and x != x and y != y):
            sys.exit("same_features: row %d (table row %d) %s: record %r, batch %r"
                     % (i, r, name, a[i], b[r]))
maxd = 0.0
if model:
    import numpy as np
    import xgboost as xgb
    bst = xgb.Booster()
    bst.load_model(model)
    X = np.array([[np.nan if v == "" else float(v) for v in feat[n].tolist()] for n in names],
                 dtype=np.float32).T[rows]
    ref = bst.inplace_predict(X)
    got = pred["score"].astype(float).to_numpy()
    maxd = float(np.max(np.abs(ref - got))) if len(got) else 0.0
    if maxd > 1e-6:
        sys.exit("same_features: scores differ from XGBoost by %g" % maxd)
print("same_features: %d records x %d features equal the batch table%s"
      % (len(pred), len(names), "; scores within %.2g of XGBoost" % maxd if model else ""))
