# Reference for test_train.c: python xgboost loads ferry's saved JSON model
# and predicts the same rows; sklearn computes the AUC of those predictions.
# argv: model.json data.txt (features..., y) ferry_preds.txt
# Output: "maxdiff v" (python vs ferry predictions), "auc v", "rounds v".
import sys
import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

model, data, preds = sys.argv[1:4]
d = np.loadtxt(data, ndmin=2)
X, y = d[:, :-1], d[:, -1]
ferry = np.loadtxt(preds, ndmin=1)
b = xgb.Booster(model_file=model)
b.set_param({"nthread": 1})
p = b.predict(xgb.DMatrix(X.astype(np.float32), missing=np.nan,
                          feature_names=b.feature_names))
print("maxdiff", repr(float(np.max(np.abs(p - ferry)))))
print("auc", repr(float(roc_auc_score(y, p))))
print("rounds", b.num_boosted_rounds())
