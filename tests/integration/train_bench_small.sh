#!/usr/bin/env bash
# train_bench_small.sh - the training bench end to end on a small loan log:
# generate, build features (pandas), train with ferry, train with python
# xgboost on the same rows, and require that python's predictions of
# ferry's saved model give ferry's test AUC (metrics_parity=yes).
# Skipped under the sanitizer build (XGBoost is not instrumented; minutes).
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared gen_credit_risk.py
if [ "${FERRY_SANITIZE:-0}" = "1" ]; then echo "skip under ASan"; exit 0; fi
out=$(BENCH_ROWS=20000 BENCH_CUSTOMERS=1000 BENCH_REPS=1 \
      FERRY_SHARED="$FERRY_SHARED" "$FERRY_BUILD/bench_train" "$FERRY_SRC")
echo "$out"
last=$(echo "$out" | tail -1)
case "$last" in
  "RESULT train "*"metrics_parity=yes") ;;
  *) echo "FAIL: $last"; exit 1 ;;
esac
echo "$out" | grep -q "search: 8 configs x 3 folds" || { echo "FAIL: no search"; exit 1; }
