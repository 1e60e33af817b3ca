#!/usr/bin/env bash
# serve.sh - `ferry serve` (issue 12, first slice), the real binary on a
# free 127.0.0.1 port (--port 0, read from its startup lines):
#   - a credit-risk project (8000 generated rows): the server's scores of
#     200 records equal `ferry predict --input` on the same records exactly
#   - 400/404/405/413/415 with {"error": {code, path, message}}, probes,
#     /v1/models; docs/serve.md's examples and route table as written
#   - SIGTERM: the request in flight is answered, new connections are
#     refused, exit 0
#   - a model that cannot score records: exit 1 naming it and why
# Every wait is bounded; the trap kills a server left running.
set -euo pipefail
: "${FERRY_BIN:?}" "${FERRY_SRC:?}"
TMP=$(mktemp -d /tmp/ferry_serve.XXXXXX)
SP=""
cleanup() {
  if [ -n "$SP" ]; then kill -KILL "$SP" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3
CHECK="$FERRY_SRC/tests/integration/lib/serve_check.py"
if [ "${FERRY_SANITIZE:-0}" = 1 ]; then
  # libh2o 2.2's caches left at exit (docs/serve.md)
  export LSAN_OPTIONS="suppressions=$FERRY_SRC/tests/integration/lib/lsan_h2o.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
F() { "$FERRY_BIN" -C "$TMP/p" --quiet "$@"; }

# start ARGS: the server in the background, PORT once it listens
start() {
  "$FERRY_BIN" -C "$TMP/p" serve --port 0 "$@" >"$TMP/out" 2>"$TMP/err" &
  SP=$!
  PORT=""
  for _ in $(seq 1 600); do
    PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$TMP/out")
    [ -n "$PORT" ] && return 0
    kill -0 "$SP" 2>/dev/null || die "server exited: $(cat "$TMP/err")"
    sleep 0.1
  done
  die "server did not listen within 60 s"
}
# stop_wait: wait (at most 30 s) for the server to exit; its status in RC
stop_wait() {
  for _ in $(seq 1 300); do
    kill -0 "$SP" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SP" 2>/dev/null && die "server still running 30 s after SIGTERM"
  RC=0; wait "$SP" || RC=$?
  SP=""
}

"$FERRY_BIN" init credit-risk "$TMP/p" --rows 8000 >/dev/null
F features build
F train 2>/dev/null
head -n 201 "$TMP/p/data/loans.csv" >"$TMP/recs.csv"
F predict --model credit-risk@latest --input "$TMP/recs.csv" --output "$TMP/scores.csv" 2>/dev/null || true

# the route table in the doc is the one the binary prints
"$FERRY_BIN" serve --routes >"$TMP/routes.md"
sed -n '/<!-- routes: begin -->/,/<!-- routes: end -->/p' "$FERRY_SRC/docs/serve.md" \
  | sed '1d;$d' >"$TMP/doc_routes.md"
diff "$TMP/routes.md" "$TMP/doc_routes.md" >&2 || die "docs/serve.md's routes differ from \`ferry serve --routes\`"

start --threads 2
grep -q '^  credit-risk v1 (latest)$' "$TMP/out" || die "startup lines: $(cat "$TMP/out")"
grep -q 'POST /v1/models/{name}/predict' "$TMP/out" || die "no routes printed"
timeout 120 $PY "$CHECK" "$PORT" parity "$TMP/recs.csv" "$TMP/scores.csv"
timeout 120 $PY "$CHECK" "$PORT" errors
timeout 60 $PY "$CHECK" "$PORT" docs "$FERRY_SRC/docs/serve.md"
timeout 60 $PY "$CHECK" "$PORT" drain "$SP"
stop_wait
[ "$RC" = 0 ] || die "exit status $RC after SIGTERM: $(cat "$TMP/err")"

# SIGINT stops it too
start --threads 1
kill -INT "$SP"
stop_wait
[ "$RC" = 0 ] || die "exit status $RC after SIGINT: $(cat "$TMP/err")"

# a model that cannot score records stops the start
$PY - "$TMP/alien.json" <<'PY'
import sys
import numpy as np
import xgboost as xgb
X = np.random.RandomState(0).rand(50, 1)
d = xgb.DMatrix(X, label=(X[:, 0] > .5).astype(int), feature_names=["zzz"])
xgb.train({"objective": "binary:logistic", "max_depth": 2}, d, 2).save_model(sys.argv[1])
PY
F models import alien "$TMP/alien.json" >/dev/null
RC=0; timeout 60 "$FERRY_BIN" -C "$TMP/p" serve --port 0 >"$TMP/out" 2>"$TMP/err" || RC=$?
[ "$RC" = 1 ] || die "serve with an unscorable model: exit $RC, expected 1"
grep -q "model 'alien' v1 cannot score records: .*'zzz'" "$TMP/err" || die "message: $(cat "$TMP/err")"
echo "serve: ok"
