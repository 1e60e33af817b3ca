#!/usr/bin/python3
"""Train an XGBoost model in Python on ferry's feature table (what a team
moving an existing model into ferry has), save it as JSON, and write the
Python scores of every row.

usage: train_py_model.py FEATURES.csv SCHEMA.json MODEL_OUT.json SCORES_OUT.csv FEATURES_OUT.txt
"""
import json
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

feat_csv, schema_path, model_out, scores_out, feats_out = sys.argv[1:6]
schema = json.load(open(schema_path))
features = [c["name"] for c in schema["columns"] if c["role"] == "feature"]
label = [c["name"] for c in schema["columns"] if c["role"] == "label"][0]
df = pd.read_csv(feat_csv)
X = df[features].astype(np.float32).values
y = df[label].values
booster = xgb.train({"objective": "binary:logistic", "max_depth": 5, "eta": 0.2,
                     "tree_method": "hist", "seed": 7, "nthread": 2},
                    xgb.DMatrix(X, label=y, missing=np.nan), num_boost_round=60)
booster.save_model(model_out)
scores = booster.inplace_predict(X)
pd.DataFrame({"score": scores.astype(np.float64)}).to_csv(scores_out, index=False, float_format="%.9g")
open(feats_out, "w").write(",".join(features))
print(f"python: trained on {len(df)} rows x {len(features)} features")
