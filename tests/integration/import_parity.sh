#!/usr/bin/env bash
# Issue 5 acceptance (import parity): a model trained with Python xgboost on
# ferry's credit features is imported into the registry, and ferry's scores
# of the raw records (ferry predict: raw CSV -> feature pipeline -> compiled
# trees) equal Python's within 1e-6 on every row.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
source "$FERRY_SRC/tests/integration/lib/data.sh"
make_loans "$TMP/loans.csv" 20000
F=("$FERRY_BIN" -q -C "$FERRY_SRC/examples/credit-risk" --set "sources.loans.path=$TMP/loans.csv"
   --set "output.dir=$TMP/out" --set "registry.path=$TMP/reg")
"${F[@]}" features build
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/train_py_model.py" "$TMP/out/features.csv" \
  "$TMP/out/features.schema.json" "$TMP/model.json" "$TMP/py_scores.csv" "$TMP/features.txt"
"${F[@]}" models import credit-py "$TMP/model.json" --features "$(cat "$TMP/features.txt")"
"${F[@]}" predict --model credit-py@1 --output "$TMP/ferry_scores.csv"
/usr/bin/python3 - "$TMP/py_scores.csv" "$TMP/ferry_scores.csv" <<'PY'
import sys
import numpy as np
import pandas as pd
py = pd.read_csv(sys.argv[1])["score"].values
fe = pd.read_csv(sys.argv[2])["score"].values
assert len(py) == len(fe) == 20000, (len(py), len(fe))
d = np.abs(py - fe)
print(f"import parity: {len(py)} rows, max |ferry - python| = {d.max():.3g}")
sys.exit(0 if d.max() <= 1e-6 else 1)
PY
