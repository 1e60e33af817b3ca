# bench/train/xgb_baseline.py - the python side of bench_train: train
# xgboost on the same rows with the same parameters (timed: read the CSV,
# build the DMatrix, 100 rounds), then load ferry's saved model and score the
# test rows with sklearn's roc_auc_score (the metrics_parity check).
# Usage: xgb_baseline.py features.csv parts.txt ferry_model.json nthread
#        max_depth rounds seed
# parts.txt: one digit per row (0 train, 1 valid, 2 test), ferry's split.
# Output: "xgb_s S", "auc_ferry_model A", "auc_python_model A".
import sys
import time

t0 = time.perf_counter()
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

feat, parts, model, nthread, depth, rounds, seed = sys.argv[1:8]
t_import = time.perf_counter() - t0

t0 = time.perf_counter()
df = pd.read_csv(feat)
part = np.frombuffer(open(parts, "rb").read().strip(), dtype=np.uint8) - ord("0")
y = df.pop("status").to_numpy()
X = df.to_numpy(dtype=np.float32)
tr = part == 0
dtrain = xgb.DMatrix(X[tr], label=y[tr], missing=np.nan,
                     feature_names=list(df.columns), nthread=int(nthread))
params = {"objective": "binary:logistic", "tree_method": "hist",
          "eval_metric": "auc", "max_depth": int(depth), "seed": int(seed),
          "nthread": int(nthread)}
bst = xgb.train(params, dtrain, num_boost_round=int(rounds))
xgb_s = time.perf_counter() - t0

te = part == 2
dtest = xgb.DMatrix(X[te], missing=np.nan, feature_names=list(df.columns))
ferry = xgb.Booster(model_file=model)
print("xgb_s", xgb_s)
print("import_s", t_import)
print("auc_ferry_model", repr(float(roc_auc_score(y[te], ferry.predict(dtest)))))
print("auc_python_model", repr(float(roc_auc_score(y[te], bst.predict(dtest)))))
