#!/usr/bin/env bash
# Issue 5 acceptance (import parity): a model trained with Python xgboost on
# ferry's credit features is imported into the registry, and ferry's scores
# of the raw records (each loan scored alone through the compiled scoring
# plan, its window features from the history of the loans before it, then
# the compiled trees) equal Python's within 1e-6 on every row.  The loans
# are scored as a stream: `features push --model` over a store built on
# the first customer's loans scores each one before appending it.
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
/usr/bin/python3 - "$TMP" <<'PY'
import sys
import pandas as pd
tmp = sys.argv[1]
d = pd.read_csv(f"{tmp}/loans.csv", dtype=str, keep_default_na=False)
first = d["id"] == d["id"].iloc[0]
d[first].to_csv(f"{tmp}/base.csv", index=False)
d[~first].to_csv(f"{tmp}/stream.csv", index=False)
open(f"{tmp}/rows.txt", "w").write(",".join(str(i) for i in (~first).to_numpy().nonzero()[0]))
PY
B=("$FERRY_BIN" -q -C "$FERRY_SRC/examples/credit-risk" --set "sources.loans.path=$TMP/base.csv"
   --set "output.dir=$TMP/outb" --set "registry.path=$TMP/reg")
"${B[@]}" features build
"${B[@]}" features push --input "$TMP/stream.csv" --model credit-py@1 --with-features \
  --output "$TMP/ferry_scores.csv"
# every loan's model inputs as it got them alone = its row of the batch
/usr/bin/python3 "$FERRY_SRC/tests/integration/lib/same_features.py" \
  "$TMP/ferry_scores.csv" "$TMP/out/features.csv" --rows "$(cat "$TMP/rows.txt")"
/usr/bin/python3 - "$TMP/py_scores.csv" "$TMP/ferry_scores.csv" "$TMP/rows.txt" <<'PY'
import sys
import numpy as np
import pandas as pd
rows = [int(x) for x in open(sys.argv[3]).read().split(",")]
py = pd.read_csv(sys.argv[1])["score"].values[rows]
fe = pd.read_csv(sys.argv[2])["score"].values
assert len(py) == len(fe) and len(fe) > 19900, (len(py), len(fe))
d = np.abs(py - fe)
print(f"import parity: {len(py)} rows, max |ferry - python| = {d.max():.3g}")
sys.exit(0 if d.max() <= 1e-6 else 1)
PY
