#!/usr/bin/env bash
# Issue 4 acceptance on a small generated loan log: ferry's offline table
# equals, row for row, what `ferry features sql` computes in SQLite and in a
# real PostgreSQL cluster the test starts itself (floats within 1e-9).
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/pg.sh"
TMP=$(mktemp -d); chmod 755 "$TMP"
cleanup() { pg_stop; rm -rf "$TMP"; }
trap cleanup EXIT
source "$FERRY_SRC/tests/integration/lib/data.sh"
make_loans "$TMP/loans.csv" 20000
F=("$FERRY_BIN" -q -C "$FERRY_SRC/examples/credit-risk" --set "sources.loans.path=$TMP/loans.csv" --set "output.dir=$TMP/out")
"${F[@]}" features build
"${F[@]}" features sql --dialect sqlite > "$TMP/q_sqlite.sql"
"${F[@]}" features sql --dialect postgres > "$TMP/q_pg.sql"

# SQLite: .import keeps the file order in rowid
sqlite3 "$TMP/s.db" ".import --csv $TMP/loans.csv loans"
sqlite3 -csv -header "$TMP/s.db" < "$TMP/q_sqlite.sql" > "$TMP/sqlite.csv"
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/compare_csv.py" --label "sqlite vs ferry" \
  "$TMP/sqlite.csv" "$TMP/out/features.csv"

# PostgreSQL: every CSV column as text plus _row in file order
pg_start
cols=$(head -1 "$TMP/loans.csv" | tr -d '\r' | sed 's/,/" TEXT, "/g; s/^/"/; s/$/" TEXT/')
collist=$(head -1 "$TMP/loans.csv" | tr -d '\r' | sed 's/,/", "/g; s/^/"/; s/$/"/')
pg_psql -c "CREATE TABLE loans ($cols, \"_row\" BIGSERIAL)"
pg_psql -c "\\copy loans($collist) FROM '$TMP/loans.csv' CSV HEADER"
pg_psql -c "SET extra_float_digits = 3" --csv -f "$TMP/q_pg.sql" > "$TMP/pg.csv"
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/compare_csv.py" --label "postgres vs ferry" \
  "$TMP/pg.csv" "$TMP/out/features.csv"
