#!/usr/bin/env bash
# slow_predict_real_data.sh - ferry's tree predictor vs XGBoost 1.7.4 on
# every row of the raw numeric columns of flights_scl.csv and of a generated
# loan log (models trained here by Python xgboost; the feature tables
# themselves are checked with ferry-trained models in train_flight_delay.sh
# and slow_credit_full.sh), on every other objective ferry
# supports and on unbalanced lossguide trees; each also on 20,000 random
# rows drawn from the data's columns with 10% missing (the 100,000-row
# acceptance run is slow_predict_xgb_diff.sh).
# bench_predict_compare exits 1 when any prediction differs by more than 1e-6.
set -euo pipefail
: "${FERRY_BUILD:?}" "${FERRY_SHARED:?}" "${FERRY_SRC:?}"
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared flights_scl.csv gen_credit_risk.py
CMP="$FERRY_BUILD/bench_predict_compare"
[ -x "$CMP" ] || { echo "missing $CMP"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP" "$FERRY_SHARED/data" "$FERRY_SRC/tests/integration/ref" <<'PY'
import sys, subprocess, functools, numpy as np, pandas as pd, xgboost as xgb
out, data = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
import predict_models
rng = np.random.default_rng(11)
save = functools.partial(predict_models.save, out)
X, ybin, yreg, yprob, score = predict_models.synthetic(rng)
# the other objectives in ferry's table, once each
ypos = np.exp(score / 2).astype(np.float32)
for obj, y in (("binary:logitraw", ybin), ("binary:hinge", ybin),
               ("count:poisson", np.round(ypos)), ("reg:gamma", ypos),
               ("reg:tweedie", ypos), ("reg:pseudohubererror", yreg),
               ("reg:absoluteerror", yreg), ("reg:squaredlogerror", ypos)):
    save("obj_" + obj.replace(":", "_"), X, y, {"objective": obj, "max_depth": 5}, 50)
# lossguide trees are unbalanced and deeper than max_depth-limited ones
save("lossguide", X, ybin, {"objective": "binary:logistic", "grow_policy": "lossguide",
                            "max_leaves": 64, "max_depth": 0}, 60)

# flights: the raw numeric columns
f = pd.read_csv(f"{data}/flights_scl.csv", low_memory=False)
cols = ["DIA", "MES", "AÑO", "Vlo-I", "Vlo-O"]
F = pd.DataFrame({c: pd.to_numeric(f[c], errors="coerce") for c in cols}).astype(np.float32)
delay = (pd.to_datetime(f["Fecha-O"]) - pd.to_datetime(f["Fecha-I"])).dt.total_seconds() / 60
save("flights", F.values, (delay > 15).astype(int).values,
     {"objective": "binary:logistic", "max_depth": 6}, 200)

# a small loan log: its numeric columns
csv = f"{out}/loans_raw.csv"
with open(csv, "w") as fh:
    subprocess.run(["/usr/bin/python3", f"{data}/gen_credit_risk.py", "--rows", "20000",
                    "--customers", "1000"], stdout=fh, check=True)
L = pd.read_csv(csv)
num = [c for c in L.columns if pd.api.types.is_numeric_dtype(L[c]) and c not in ("status", "id", "loan_id")]
label = L["status"] if "status" in L.columns else L[num[-1]]
save("loans", L[num].astype(np.float32).values, label.values,
     {"objective": "binary:logistic", "max_depth": 6}, 200)
print("loan columns:", num)
PY

fail=0
for m in "$TMP"/*.json; do
    name=$(basename "$m" .json)
    "$CMP" "$m" "$TMP/$name.csv" --random 20000 --missing 0.1 --seed 7 || fail=1
done
exit $fail
