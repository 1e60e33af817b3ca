# Reference values for test_metrics.c: scikit-learn 1.2 on the same labels
# and scores.  Input: "y s" lines; argv: path kind(class|reg) threshold.
# Output: "name value" lines with 17 significant digits.
import sys
import numpy as np
from sklearn import metrics as M

path, kind, thr = sys.argv[1], sys.argv[2], float(sys.argv[3])
d = np.loadtxt(path, ndmin=2)
y, s = d[:, 0], d[:, 1]
out = {}
if kind == "class":
    yp = (s >= thr).astype(int)
    out["auc"] = M.roc_auc_score(y, s)
    out["aucpr"] = M.average_precision_score(y, s)
    out["logloss"] = M.log_loss(y, s)
    out["accuracy"] = M.accuracy_score(y, yp)
    p, r, f, sup = M.precision_recall_fscore_support(y, yp, labels=[0, 1],
                                                     zero_division=0)
    out["precision"], out["recall"], out["f1"] = p[1], r[1], f[1]
    out["precision0"], out["recall0"], out["f10"] = p[0], r[0], f[0]
    cm = M.confusion_matrix(y, yp, labels=[0, 1])
    out["tn"], out["fp"], out["fn"], out["tp"] = cm[0, 0], cm[0, 1], cm[1, 0], cm[1, 1]
    pr, rc, th = M.precision_recall_curve(y, s)
    f1 = np.where(pr + rc > 0, 2 * pr * rc / np.where(pr + rc > 0, pr + rc, 1), 0)[:-1]
    out["bestf1"] = f1.max()
else:
    out["rmse"] = np.sqrt(M.mean_squared_error(y, s))
    out["mae"] = M.mean_absolute_error(y, s)
    out["r2"] = M.r2_score(y, s)
    out["mape"] = M.mean_absolute_percentage_error(y, s)
for k, v in out.items():
    print(k, repr(float(v)))
