"""Shared by the slow predictor tests: save a Python-trained XGBoost model
with the rows it was trained on, and the synthetic data set both use.

Imported from tests/integration/slow_predict_*.sh (their ref dir is put on
sys.path); not a test by itself.
"""
import numpy as np
import pandas as pd
import xgboost as xgb


def save(out, name, X, y, params, rounds):
    """Train and write OUT/NAME.json (the model) and OUT/NAME.csv (X)."""
    # one thread: on a loaded 2-core box, OpenMP workers spin against each
    # other and 2 threads trained 13x slower than 1 (3.1 s vs 0.23 s for 100
    # trees); this made the differential test take 233 s
    p = {"tree_method": "hist", "nthread": 1, "seed": 0, "eta": 0.3}
    p.update(params)
    xgb.train(p, xgb.DMatrix(X, y), rounds).save_model(f"{out}/{name}.json")
    pd.DataFrame(X).to_csv(f"{out}/{name}.csv", index=False, na_rep="")


def synthetic(rng):
    """3,000 x 12 normals, 15% missing, a label that depends on missingness:
    X, binary label, regression target, probability target."""
    X = rng.normal(size=(3000, 12)).astype(np.float32)
    X[rng.random(X.shape) < 0.15] = np.nan
    Z = np.nan_to_num(X, nan=1.5)
    score = Z[:, 0] * Z[:, 1] + np.sin(2 * Z[:, 2]) + 0.5 * Z[:, 3] + rng.normal(size=3000) * 0.3
    return X, (score > 0).astype(int), score.astype(np.float32), 1 / (1 + np.exp(-score)), score
