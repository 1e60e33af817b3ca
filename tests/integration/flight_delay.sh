#!/usr/bin/env bash
# Issue 3 acceptance: the flight-delay features from the real Santiago file,
# checked row by row against an independent pandas computation; the build
# reports 68,206 rows and an 18.49% share of delayed flights.
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared flights_scl.csv
DATA="$FERRY_SHARED/data/flights_scl.csv"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$FERRY_BIN" -C "$FERRY_SRC/examples/flight-delay" --set "sources.flights.path=$DATA" \
  --set "output.dir=$TMP/out" features build | tee "$TMP/build.log"
grep -q "features: 68,206 rows" "$TMP/build.log"
grep -q "label delay: 18.49% positive" "$TMP/build.log"
/usr/bin/python3 "$FERRY_SRC/tests/integration/ref/flights_ref.py" "$DATA" "$TMP/out/features.csv"
