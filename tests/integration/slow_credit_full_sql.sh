#!/usr/bin/env bash
# Issue 4 acceptance on the full 777,715-row generated loan log: ferry's
# offline table equals, row for row, what the SQL from
# `ferry features sql --dialect sqlite` gives in sqlite3 (floats 1e-9).
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 "$FERRY_SHARED/data/gen_credit_risk.py" > "$TMP/loans.csv"
F=("$FERRY_BIN" -C "$FERRY_SRC/examples/credit-risk" --set "sources.loans.path=$TMP/loans.csv" --set "output.dir=$TMP/out")
"${F[@]}" features build | tee "$TMP/build.log"
grep -q "features: 777,715 rows" "$TMP/build.log"
"${F[@]}" features sql --dialect sqlite > "$TMP/q.sql"
sqlite3 "$TMP/s.db" ".import --csv $TMP/loans.csv loans"
sqlite3 -csv -header "$TMP/s.db" < "$TMP/q.sql" > "$TMP/sqlite.csv"
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/compare_csv.py" --label "full loan log: sqlite vs ferry" \
  "$TMP/sqlite.csv" "$TMP/out/features.csv"
