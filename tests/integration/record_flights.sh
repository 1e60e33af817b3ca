#!/usr/bin/env bash
# Issue 11 on the real Santiago flights: every one of the 68,206 rows scored
# alone (`ferry predict`, one record at a time through the compiled plan)
# gets exactly its row of `features build` (all 41 model inputs equal as
# doubles) and XGBoost's own score for that row; then a model over the
# OPERA, TIPOVUELO and MES one-hots scores records carrying only those
# three fields (`models show` lists exactly them) with the batch's scores.
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared flights_scl.csv
DATA="$FERRY_SHARED/data/flights_scl.csv"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
F() { "$FERRY_BIN" -C "$TMP/p" --quiet --set "sources.flights.path=$DATA" "$@"; }

mkdir "$TMP/p"
cp "$FERRY_SRC/examples/flight-delay/ferry.yaml" "$TMP/p/"
F features build
F train > /dev/null
# every row (under ASan, every 8th: the same code, a quarter of the time)
STEP=1; [ "${FERRY_SANITIZE:-0}" = 1 ] && STEP=8
if [ "$STEP" = 1 ]; then
  cp "$DATA" "$TMP/in.csv"
  ROWS_ALL=""
else
  awk -v s="$STEP" 'NR == 1 || (NR - 2) % s == 0' "$DATA" > "$TMP/in.csv"
  ROWS_ALL=$(/usr/bin/python3 -c "print(','.join(str(i) for i in range(0, 68206, $STEP)))")
fi
F predict --model flight-delay@1 --input "$TMP/in.csv" --with-features --output "$TMP/all.csv"
/usr/bin/python3 "$FERRY_SRC/tests/integration/lib/same_features.py" \
  "$TMP/all.csv" "$TMP/p/out/features.csv" ${ROWS_ALL:+--rows "$ROWS_ALL"} \
  --model "$TMP/p/registry/flight-delay/versions/1/model.json"

# The three-field model: the label still needs Fecha-O at build time, but
# a record carries only what the model reads.
cat > "$TMP/p/ferry.yaml" <<'EOF'
name: flights3
sources:
  flights:
    path: data/flights.csv
    columns:
      Fecha-I: {type: datetime, format: "%Y-%m-%d %H:%M:%S"}
      Fecha-O: {type: datetime, format: "%Y-%m-%d %H:%M:%S"}
      OPERA: category
      TIPOVUELO: category
      MES: category
features:
  - name: delay
    expr: if(minutes_between(`Fecha-I`, `Fecha-O`) > 15, 1, 0)
  - onehot: OPERA
  - onehot: TIPOVUELO
  - onehot: MES
label: delay
model:
  num_rounds: 60
  params: {max_depth: 5, eta: 0.2}
split: {method: stratified, test_fraction: 0.3}
EOF
F features build
F train > /dev/null
F models show flights3 > "$TMP/show.txt"
grep -q "inputs      3 fields a record must carry" "$TMP/show.txt" || { cat "$TMP/show.txt"; exit 1; }
F models show flights3 --json | /usr/bin/python3 -c '
import json, sys
f = json.load(sys.stdin)["inputs"]["fields"]
names = [x["name"] for x in f]
assert names == ["OPERA", "TIPOVUELO", "MES"], names
assert all(x["type"] == "category" and not x["nullable"] for x in f), f
assert f[1]["values"] == ["N", "I"] and f[1]["unknown"] == "reject", f[1]
assert len(f[2]["values"]) == 12, f[2]
'
# records with only the three fields (every 50th flight), in another order
/usr/bin/python3 - "$DATA" "$TMP/three.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["MES", "OPERA", "TIPOVUELO"])
    for r in rows[::50]:
        w.writerow([r["MES"], r["OPERA"], r["TIPOVUELO"]])
PY
F predict --model flights3@1 --input "$TMP/three.csv" --with-features --output "$TMP/three_scored.csv"
ROWS=$(/usr/bin/python3 -c 'print(",".join(str(i) for i in range(0, 68206, 50)))')
/usr/bin/python3 "$FERRY_SRC/tests/integration/lib/same_features.py" \
  "$TMP/three_scored.csv" "$TMP/p/out/features.csv" --rows "$ROWS" \
  --model "$TMP/p/registry/flights3/versions/1/model.json"
head -1 "$TMP/three_scored.csv" | grep -q '^line,score,prediction,' || { head -1 "$TMP/three_scored.csv"; exit 1; }
echo "ok: 68,206 flights scored alone equal the batch; 3-field records score"
