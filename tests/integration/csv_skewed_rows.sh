#!/usr/bin/env bash
# Issue 10, item 1: a file whose first rows are long and the rest short
# overflowed the CSV reader's value slab (13152cc: "realloc(): invalid next
# size", exit 134).  The issue's repro, at 1 to 4 threads and the default,
# must build with every row and value in place.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
pad=$(printf '%060d' 0 | tr 0 x)
{
  echo 'pad,y'
  for i in $(seq 0 63); do echo "$pad,$((i % 2))"; done
  for i in $(seq 0 4999); do echo ",$((i % 2))"; done
} > rows.csv
{ echo y2; for i in $(seq 0 5063); do echo $((i % 2 * 2)); done; } > want.csv
cat > ferry.yaml <<'YAML'
name: c
sources:
  s:
    path: rows.csv
    columns:
      y: int
features:
  - name: y2
    expr: y * 2
YAML
for threads in 0 1 2 3 4; do
  rm -rf out
  rc=0
  "$FERRY_BIN" --set "sources.s.threads=$threads" features build > build.log 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q "read s: 5064 rows, 0 rejected" build.log ||
     ! cmp -s out/features.csv want.csv; then
    echo "threads=$threads: exit $rc"; cat build.log
    diff want.csv out/features.csv 2>&1 | head -5
    exit 1
  fi
done
echo "ok: 5064 rows at threads 0-4"
