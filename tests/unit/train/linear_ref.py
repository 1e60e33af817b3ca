# Reference fit for test_linear.c: the sklearn pipeline linear.h mirrors.
# argv: path kind(ridge|logistic) strength(alpha|C) interactions(0|1)
#       k_best(0=all) standardize(0|1).  Input: whitespace table, last column
# is y.  Output (logistic also "lcoef_i" from lbfgs): "sel_i idx", "coef_i v", "intercept v", "pred_i v", "fscore_i".
import sys
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.feature_selection import SelectKBest, f_regression, f_classif
from sklearn.linear_model import Ridge, LogisticRegression

path, kind, strength = sys.argv[1], sys.argv[2], float(sys.argv[3])
inter, k, std = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
d = np.loadtxt(path, ndmin=2)
X, y = d[:, :-1], d[:, -1]
steps = []
if inter:
    steps.append(PolynomialFeatures(degree=2, interaction_only=True,
                                    include_bias=False))
steps.append(StandardScaler(with_mean=bool(std), with_std=bool(std)))
if k:
    steps.append(SelectKBest(f_classif if kind == "logistic" else f_regression,
                             k=k))
if kind == "ridge":
    steps.append(Ridge(alpha=strength))
else:
    # newton-cholesky (new in 1.2) reaches the optimum to ~1e-10; lbfgs, the
    # default, stops around 1e-6 of it and is checked loosely below.
    lb = make_pipeline(*steps, LogisticRegression(C=strength, tol=1e-12,
                                                  max_iter=100000)).fit(X, y)
    for i, v in enumerate(np.ravel(lb.steps[-1][1].coef_)):
        print("lcoef_%d" % i, repr(float(v)))
    steps.append(LogisticRegression(C=strength, tol=1e-12, max_iter=1000,
                                    solver="newton-cholesky"))
pipe = make_pipeline(*steps).fit(X, y)
model = pipe.steps[-1][1]
if k:
    sel = pipe.steps[-2][1]
    for i, j in enumerate(np.flatnonzero(sel.get_support())):
        print("sel_%d" % i, j)
    for i, v in enumerate(sel.scores_):
        print("fscore_%d" % i, repr(float(v)))
for i, v in enumerate(np.ravel(model.coef_)):
    print("coef_%d" % i, repr(float(v)))
print("intercept", repr(float(np.ravel([model.intercept_])[0])))
pred = pipe.predict_proba(X)[:, 1] if kind == "logistic" else pipe.predict(X)
for i, v in enumerate(pred[:20]):
    print("pred_%d" % i, repr(float(v)))
