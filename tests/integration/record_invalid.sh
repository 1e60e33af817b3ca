#!/usr/bin/env bash
# Issue 11, item 3: a record that cannot be scored is rejected on its own,
# with the message docs/scoring.md documents (field, value, reason), and
# the others are scored exactly as they would be alone.  Twelve kinds of
# invalid records over the flight and credit models, then a batch where
# valid and invalid records are mixed.
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared flights_scl.csv
DATA="$FERRY_SHARED/data/flights_scl.csv"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the models: flights (Fecha-I, OPERA, TIPOVUELO, MES) and credit (windows)
mkdir "$TMP/fl"
cp "$FERRY_SRC/examples/flight-delay/ferry.yaml" "$TMP/fl/"
FL() { "$FERRY_BIN" -C "$TMP/fl" --quiet --set "sources.flights.path=$DATA" "$@"; }
FL features build
FL train > /dev/null
"$FERRY_BIN" -q init credit-risk "$TMP/cr" --rows 8000 > /dev/null
CR() { "$FERRY_BIN" -C "$TMP/cr" --quiet "$@"; }
CR features build
CR train > /dev/null

# expect FILE LINE FIELD MESSAGE: the rejects file names the record
expect() {
  /usr/bin/python3 - "$@" <<'PY' || exit 1
import csv, sys
path, line, field, msg = sys.argv[1:]
rows = list(csv.DictReader(open(path, encoding="utf-8")))
hit = [r for r in rows if r["line"] == line]
if not hit:
    sys.exit(f"FAIL: line {line} not rejected in {path}: {rows}")
r = hit[0]
if r["column"] != field or msg not in r["reason"]:
    sys.exit(f"FAIL: line {line}: want column {field!r} and {msg!r}, got {r}")
PY
}

# flights: 8 kinds (line 2 is a good record)
printf 'Fecha-I,OPERA,TIPOVUELO,MES,extra\n' > "$TMP/f.csv"
{
  echo '2017-03-01 10:00:00,Grupo LATAM,N,3,x'
  echo '2017-03-01 10:00:00,Fly Nowhere,N,3,x'
  echo '2017-03-01 10:00:00,Grupo LATAM,O,3,x'
  echo '2017-03-01 10:00:00,Grupo LATAM,N,13,x'
  echo '2017-03-01 10:00:00,,N,3,x'
  echo '2017-02-30 10:00:00,Grupo LATAM,N,3,x'
  echo '01/03/2017 10:00,Grupo LATAM,N,3,x'
  echo '2017-03-01 10:00:00,Grupo LATAM,N'
  printf '2017-03-01 10:00:00,Grupo \xffLATAM,N,3,x\n'
} >> "$TMP/f.csv"
rc=0; FL predict --model flight-delay@1 --input "$TMP/f.csv" --output "$TMP/f_out.csv" \
  --rejects "$TMP/f_rej.csv" 2> "$TMP/err" || rc=$?
[ "$rc" -eq 3 ] || fail "flights: exit $rc, want 3: $(cat "$TMP/err")"
R="$TMP/f_rej.csv"
expect "$R" 3 OPERA "field 'OPERA': 'Fly Nowhere' is not a category the model was trained on (23 known"
expect "$R" 4 TIPOVUELO "field 'TIPOVUELO': 'O' is not a category the model was trained on (2 known"
expect "$R" 5 MES "field 'MES': '13' is not a category the model was trained on (12 known"
expect "$R" 6 OPERA "field 'OPERA': empty, and training had no empty value in it"
expect "$R" 7 Fecha-I "field 'Fecha-I': '2017-02-30 10:00:00' is not a valid datetime (format %Y-%m-%d %H:%M:%S)"
expect "$R" 8 Fecha-I "field 'Fecha-I': '01/03/2017 10:00' is not a valid datetime"
expect "$R" 9 "" "expected 5 fields, found 3"
expect "$R" 10 OPERA "field 'OPERA': is not valid UTF-8"
# each rejected record comes back as its own CSV line
grep -qF ',"2017-03-01 10:00:00,Fly Nowhere,N,3,x"' "$R" || fail "no record column: $(cat "$R")"
[ "$(wc -l < "$TMP/f_out.csv")" -eq 2 ] || fail "flights: want 1 scored record: $(cat "$TMP/f_out.csv")"
grep -q '^2,2017-03-01 10:00:00,' "$TMP/f_out.csv" || fail "flights: line 2 not scored"

# credit: 5 kinds, then the history missing altogether
printf 'id,flag_own_car,birthday,job_start_date,loan_date,loan_amount\n' > "$TMP/c.csv"
{
  echo '5000049,N,1980-01-01,2010-01-01,2020-01-01,100'
  echo '12x,N,1980-01-01,2010-01-01,2020-01-01,100'
  echo '5000049,N,1980-01-01,2010-01-01,2020-01-01,"12,5"'
  echo ',N,1980-01-01,2010-01-01,2020-01-01,100'
  echo '5000049,N,1980-01-01,2010-01-01,2020-01-01,1e999'
  echo '5000049,N,1980-01-01,2010-01-01,,100'
} >> "$TMP/c.csv"
rc=0; CR predict --model credit-risk@1 --input "$TMP/c.csv" --output "$TMP/c_out.csv" \
  --rejects "$TMP/c_rej.csv" 2> "$TMP/err" || rc=$?
[ "$rc" -eq 3 ] || fail "credit: exit $rc, want 3: $(cat "$TMP/err")"
R="$TMP/c_rej.csv"
expect "$R" 3 id "field 'id': '12x' is not an integer"
expect "$R" 4 loan_amount "field 'loan_amount': '12,5' is not a number"
expect "$R" 5 id "field 'id': empty, and an event needs its entity key"
expect "$R" 6 loan_amount "field 'loan_amount': '1e999' is out of range for a number"
expect "$R" 7 loan_date "field 'loan_date': empty, and an event needs its time"
# a column the model needs is missing from the file: nothing to score
cut -d, -f1-5 "$TMP/c.csv" > "$TMP/c5.csv"
rc=0; CR predict --model credit-risk@1 --input "$TMP/c5.csv" > /dev/null 2> "$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "no column 'loan_amount' (credit-risk v1 needs id, flag_own_car, birthday, job_start_date, loan_date, loan_amount" "$TMP/err" \
  || fail "missing column: exit $rc: $(cat "$TMP/err")"
# no online store: window features are refused, never computed without history
mv "$TMP/cr/out/online.sqlite" "$TMP/away.sqlite"
rc=0; CR predict --model credit-risk@1 --input "$TMP/c.csv" --output /dev/null \
  --rejects "$TMP/c_rej2.csv" 2> "$TMP/err" || rc=$?
[ "$rc" -eq 3 ] || fail "no store: exit $rc"
expect "$TMP/c_rej2.csv" 2 id "feature 'nb_previous_loans': window features need the entity's history"
mv "$TMP/away.sqlite" "$TMP/cr/out/online.sqlite"

# a mixed batch: 300 real flights with every third one broken, each good
# record scored as it is alone
/usr/bin/python3 - "$DATA" "$TMP/mixed.csv" "$TMP/good.csv" "$TMP/bad_lines.txt" <<'PY'
import csv, sys
src, mixed, good, bad = sys.argv[1:]
rows = list(csv.DictReader(open(src, encoding="utf-8")))[:300]
breaks = [("OPERA", "Nobody Air"), ("MES", "0"), ("TIPOVUELO", ""), ("Fecha-I", "ayer")]
cols = ["Fecha-I", "OPERA", "TIPOVUELO", "MES"]
bad_lines = []
with open(mixed, "w", newline="") as f, open(good, "w", newline="") as g:
    wm, wg = csv.writer(f), csv.writer(g)
    wm.writerow(cols); wg.writerow(cols)
    for i, r in enumerate(rows):
        v = [r[c] for c in cols]
        if i % 3 == 2:
            c, x = breaks[(i // 3) % len(breaks)]
            v[cols.index(c)] = x
            bad_lines.append(str(i + 2))
        else:
            wg.writerow(v)
        wm.writerow(v)
open(bad, "w").write(",".join(bad_lines))
PY
rc=0; FL predict --model flight-delay@1 --input "$TMP/mixed.csv" --output "$TMP/m_out.csv" \
  --rejects "$TMP/m_rej.csv" 2> /dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "mixed: exit $rc"
FL predict --model flight-delay@1 --input "$TMP/good.csv" --output "$TMP/g_out.csv" 2> /dev/null
/usr/bin/python3 - "$TMP/m_out.csv" "$TMP/g_out.csv" "$TMP/m_rej.csv" "$TMP/bad_lines.txt" <<'PY'
import csv, sys
m = list(csv.DictReader(open(sys.argv[1])))
g = list(csv.DictReader(open(sys.argv[2])))
rej = [r["line"] for r in csv.DictReader(open(sys.argv[3]))]
bad = open(sys.argv[4]).read().split(",")
assert rej == bad, (rej[:5], bad[:5])
assert len(m) == 200 and len(g) == 200, (len(m), len(g))
assert [r["score"] for r in m] == [r["score"] for r in g], "a good record scored differently next to bad ones"
assert not set(r["line"] for r in m) & set(bad)
print("mixed: 200 scored as alone, 100 rejected at their lines")
PY
echo "ok: 13 kinds of invalid records rejected with their messages; mixed batch"
