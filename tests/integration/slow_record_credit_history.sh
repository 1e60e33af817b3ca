#!/usr/bin/env bash
# Issue 11, item 4 acceptance on the full credit log (777,715 loans of the
# reference generator): for every loan of 200 random customers, the loan
# scored alone with its history from an online store built on the loans
# before it equals its row of `features build` over the whole log, features
# and score.  The store is built without those customers; their loans are
# then pushed in order with `features push --model`, which scores each one
# as of the events before it and appends it.  After the push the store is
# the full build's store, content hash for content hash (item 6).
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared gen_credit_risk.py
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 "$FERRY_SHARED/data/gen_credit_risk.py" > "$TMP/loans.csv"
mkdir "$TMP/p"
cp "$FERRY_SRC/examples/credit-risk/ferry.yaml" "$TMP/p/"
F() { "$FERRY_BIN" -C "$TMP/p" --quiet "$@"; }
F --set "sources.loans.path=$TMP/loans.csv" features build
F --set "sources.loans.path=$TMP/loans.csv" --set model.num_rounds=30 train > /dev/null
/usr/bin/python3 - "$TMP" <<'PY'
import sys
import numpy as np
import pandas as pd
tmp = sys.argv[1]
d = pd.read_csv(f"{tmp}/loans.csv", dtype=str, keep_default_na=False)
ids = d["id"].unique()
pick = set(np.random.default_rng(11).choice(ids, 200, replace=False))
m = d["id"].isin(pick).to_numpy()
d[~m].to_csv(f"{tmp}/base.csv", index=False)
d[m].to_csv(f"{tmp}/push.csv", index=False)
# feature-table row of each pushed loan (the table keeps file order)
open(f"{tmp}/rows.txt", "w").write(",".join(str(i) for i in np.flatnonzero(m)))
print(f"200 customers, {m.sum()} loans pushed, {len(d) - m.sum()} in the base store")
PY
F --set "sources.loans.path=$TMP/base.csv" --set "output.dir=$TMP/outb" features build
F --set "sources.loans.path=$TMP/base.csv" --set "output.dir=$TMP/outb" \
  features push --input "$TMP/push.csv" --model credit-risk@1 --with-features \
  --output "$TMP/pushed.csv"
/usr/bin/python3 "$FERRY_SRC/tests/integration/lib/same_features.py" \
  "$TMP/pushed.csv" "$TMP/p/out/features.csv" --rows "$(cat "$TMP/rows.txt")" \
  --model "$TMP/p/registry/credit-risk/versions/1/model.json"
full=$(sqlite3 "$TMP/p/out/online.sqlite" "select value from meta where key='content_hash'")
pushed=$(sqlite3 "$TMP/outb/online.sqlite" "select value from meta where key='content_hash'")
[ "$full" = "$pushed" ] || { echo "store after push $pushed != full build $full"; exit 1; }
# the same push again changes nothing (idempotent)
F --set "sources.loans.path=$TMP/base.csv" --set "output.dir=$TMP/outb" \
  features push --input "$TMP/push.csv"
again=$(sqlite3 "$TMP/outb/online.sqlite" "select value from meta where key='content_hash'")
[ "$again" = "$full" ] || { echo "a second push changed the store"; exit 1; }
echo "ok: every loan of 200 customers scored alone equals the batch; pushed store = full store ($full)"
