#!/usr/bin/env bash
# Issues 4, 5 and 6 acceptance on the full 777,715-row generated loan log:
# ferry's offline table equals, row for row, what the SQL from
# `ferry features sql --dialect sqlite` gives in sqlite3 (floats 1e-9); then
# a model trains on it with a grouped split and scale_pos_weight: auto,
# prints AUC and the confusion matrix, and is registered as champion; then
# ferry's tree predictor scores every row of that feature table exactly as
# XGBoost does (bench_predict_compare exits 1 above 1e-6).
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared gen_credit_risk.py
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 "$FERRY_SHARED/data/gen_credit_risk.py" > "$TMP/loans.csv"
F=("$FERRY_BIN" -C "$FERRY_SRC/examples/credit-risk" --set "sources.loans.path=$TMP/loans.csv" --set "output.dir=$TMP/out"
   --set "registry.path=$TMP/reg")
"${F[@]}" features build | tee "$TMP/build.log"
grep -q "features: 777,715 rows" "$TMP/build.log"
"${F[@]}" features sql --dialect sqlite > "$TMP/q.sql"
sqlite3 "$TMP/s.db" ".import --csv $TMP/loans.csv loans"
sqlite3 -csv -header "$TMP/s.db" < "$TMP/q.sql" > "$TMP/sqlite.csv"
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/compare_csv.py" --label "full loan log: sqlite vs ferry" \
  "$TMP/sqlite.csv" "$TMP/out/features.csv"

"${F[@]}" train --promote | tee "$TMP/train.log"
grep -q "^test  (.*auc 0\.[0-9]" "$TMP/train.log"
grep -q "confusion at threshold" "$TMP/train.log"
grep -q "credit-risk@champion -> v1" "$TMP/train.log"
"${F[@]}" models show credit-risk@champion --json | /usr/bin/python3 -c '
import json, sys
m = json.load(sys.stdin)
spw = float(m["params"]["scale_pos_weight"])
print("credit: test auc %.4f, scale_pos_weight %.2f, rows %s" % (m["metrics"]["test"]["auc"], spw, m["rows"]))
assert spw > 20, spw  # ~1.5% positives: negatives/positives
'

/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/model_columns.py" \
  "$TMP/reg/credit-risk/versions/1/model.json" "$TMP/out/features.csv" "$TMP/table.csv"
"$FERRY_BUILD/bench_predict_compare" "$TMP/reg/credit-risk/versions/1/model.json" "$TMP/table.csv"
