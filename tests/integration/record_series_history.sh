#!/usr/bin/env bash
# Issue 11, item 4 acceptance on a monthly series (examples/price-forecast:
# lags 1 and 12, rolling mean and std of 3 over one series, an as-of join
# to a macro series): the last 12 months, each scored alone with the
# history of the months before it (a store built without them, then
# `features push --model` month by month), equal their rows of
# `features build` over the whole series, features and score; the store
# after the push is the full build's store.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cp -r "$FERRY_SRC/examples/price-forecast" "$TMP/p"
rm -rf "$TMP/p/data" "$TMP/p/out" "$TMP/p/registry"
(cd "$TMP/p" && /usr/bin/python3 gen_data.py > /dev/null)
F() { "$FERRY_BIN" -C "$TMP/p" --quiet --set online.enabled=true "$@"; }
F features build 2> /dev/null   # the series' one bad row is within budget
F train > /dev/null
P="$TMP/p/data/precios.csv"
# the generated series ends with its bad row: the last 12 good months are
# the 12 data lines before it
n=$(wc -l < "$P")
head -n $((n - 13)) "$P" > "$TMP/base.csv"
{ head -1 "$P"; sed -n "$((n - 12)),$((n - 1))p" "$P"; } > "$TMP/push.csv"
[ "$(wc -l < "$TMP/push.csv")" -eq 13 ]
F --set "sources.precios.path=$TMP/base.csv" --set "output.dir=$TMP/outb" features build
F --set "sources.precios.path=$TMP/base.csv" --set "output.dir=$TMP/outb" \
  features push --input "$TMP/push.csv" --model price-forecast@1 --with-features \
  --output "$TMP/pushed.csv"
rows=$(/usr/bin/python3 -c "print(','.join(str(i) for i in range($n - 14, $n - 2)))")
/usr/bin/python3 "$FERRY_SRC/tests/integration/lib/same_features.py" \
  "$TMP/pushed.csv" "$TMP/p/out/features.csv" --rows "$rows" \
  --model "$TMP/p/registry/price-forecast/versions/1/model.json"
full=$(sqlite3 "$TMP/p/out/online.sqlite" "select value from meta where key='content_hash'")
pushed=$(sqlite3 "$TMP/outb/online.sqlite" "select value from meta where key='content_hash'")
[ "$full" = "$pushed" ] || { echo "store after push $pushed != full build $full"; exit 1; }
# a month scored alone through predict (history: the full store) and the
# as-of features of the next month
F features show --at 2022-01-01 > "$TMP/show.json"
/usr/bin/python3 - "$TMP/show.json" "$TMP/p/out/features.csv" <<'PY'
import json, sys
import pandas as pd
s = json.load(open(sys.argv[1]))
t = pd.read_csv(sys.argv[2])
last = t.iloc[-1]
assert s["precio_lag1"] == last["precio"], (s, last["precio"])
assert s["precio_lag12"] == t.iloc[-12]["precio"], s
print("features show: next month lag1 %.2f lag12 %.2f" % (s["precio_lag1"], s["precio_lag12"]))
PY
echo "ok: the last 12 months scored alone equal the batch; pushed store = full store"
