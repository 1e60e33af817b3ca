#!/usr/bin/env bash
# Issue 10, item 1, on real data: 782 records of the flights file, its 64
# longest first and then its 718 shortest (both in file order), crashed the
# CSV reader on 13152cc at one thread ("realloc(): invalid next size": the
# value slab was sized from the first 64 rows).  The build must succeed at
# 1-4 threads and agree with pandas row by row.
set -euo pipefail
source "$FERRY_SRC/tests/integration/lib/data.sh"
need_shared flights_scl.csv
DATA="$FERRY_SHARED/data/flights_scl.csv"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 - "$DATA" "$TMP/s782.csv" <<'PY'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
rows = [x for x in lines[1:] if x]
by_len = sorted(range(len(rows)), key=lambda i: (len(rows[i]), i))
keep = sorted(by_len[-64:]) + sorted(by_len[:718])
with open(sys.argv[2], "wb") as f:
    f.write(lines[0] + b"\n" + b"".join(rows[i] + b"\n" for i in keep))
PY
for threads in 1 2 3 4; do
  rm -rf "$TMP/out"
  rc=0
  "$FERRY_BIN" -C "$FERRY_SRC/examples/flight-delay" \
    --set "sources.flights.path=$TMP/s782.csv" --set "sources.flights.threads=$threads" \
    --set "output.dir=$TMP/out" features build > "$TMP/build.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q "features: 782 rows" "$TMP/build.log"; then
    echo "threads=$threads: exit $rc"; cat "$TMP/build.log"; exit 1
  fi
  /usr/bin/python3 "$FERRY_SRC/tests/integration/ref/flights_ref.py" "$TMP/s782.csv" "$TMP/out/features.csv"
done
echo "ok: 782-row subset at threads 1-4"
