#!/usr/bin/env bash
# `ferry demo` runs the whole lifecycle on generated data with nothing else
# on the machine: init, features (offline + online), train + promote,
# registry, online lookup, predictions.  Run twice: a rerun must work too.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
"$FERRY_BIN" demo --rows 20000 > demo.log 2>&1
"$FERRY_BIN" demo --rows 20000 > demo2.log 2>&1
grep -q "features: 20,000 rows x 9 columns" demo.log
grep -q "registered credit-risk v1" demo2.log
grep -q "credit-risk@champion -> v1" demo.log
grep -q '"nb_previous_loans":' demo.log
grep -q "scored 20000 records with credit-risk v1" demo.log
test "$(wc -l < ferry-demo/out/predictions.csv)" -eq 20001
head -1 ferry-demo/out/predictions.csv | grep -q "score,prediction"
# the generator is deterministic: the same data twice
cmp <("$FERRY_BIN" init credit-risk a --rows 5000 >/dev/null && cat a/data/loans.csv) \
    <("$FERRY_BIN" init credit-risk b --rows 5000 >/dev/null && cat b/data/loans.csv)
echo "demo: lifecycle ran twice"
