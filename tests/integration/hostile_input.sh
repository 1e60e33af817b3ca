#!/usr/bin/env bash
# Issue 10 acceptance: hostile input never crashes ferry.  Every case file in
# tests/integration/hostile/*.sh is sourced in a fresh temporary directory;
# it sets up its files and calls
#
#   hostile NEEDLE [ferry args...]
#
# once per case.  Each case must: exit 1 or 2 (never a signal, never 0),
# print NEEDLE (a fixed string naming the file, key, line or JSON path) on
# stderr, leave every file under the case directory byte-identical (sha256
# before/after; rejects-*.csv, which a failed build is meant to write, are
# ignored), finish within $HOSTILE_SECONDS (5) and, outside the sanitizer
# build (ASan reserves terabytes of address space), under ulimit -v 4000000.
# The run fails unless at least 40 cases ran.
set -euo pipefail
HOSTILE_SECONDS=${HOSTILE_SECONDS:-5}
[ "${FERRY_SANITIZE:-0}" = 1 ] && HOSTILE_SECONDS=60
ROOT=$(mktemp -d); trap 'rm -rf "$ROOT"' EXIT
NCASES=0
NFAIL=0

hostile_snapshot() { # every path (a directory left behind counts) + file hashes
  find . -mindepth 1 ! -name 'rejects-*' ! -name '.hostile.*' -printf '%y %p\n' | sort
  find . -type f ! -name 'rejects-*' ! -name '.hostile.*' -print0 | sort -z |
    xargs -0 -r sha256sum
}

hostile() { # hostile NEEDLE [ferry args...]
  local needle=$1; shift
  local rc=0 t0 t1 ms
  NCASES=$((NCASES + 1))
  hostile_snapshot > .hostile.before
  t0=$(date +%s%N)
  if [ "${FERRY_SANITIZE:-0}" = 1 ]; then
    timeout -s KILL "$HOSTILE_SECONDS" "$FERRY_BIN" "$@" > .hostile.out 2> .hostile.err < /dev/null || rc=$?
  else
    timeout -s KILL "$HOSTILE_SECONDS" bash -c 'ulimit -v 4000000; exec "$0" "$@"' \
      "$FERRY_BIN" "$@" > .hostile.out 2> .hostile.err < /dev/null || rc=$?
  fi
  t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
  local why=""
  if [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
    why="exit status $rc (want 1 or 2)"
  elif ! grep -qF -- "$needle" .hostile.err; then
    why="stderr lacks '$needle'"
  elif ! hostile_snapshot | cmp -s - .hostile.before; then
    why="files changed: $(hostile_snapshot | diff .hostile.before - | grep '^[<>]' | head -3 | tr '\n' ' ')"
  fi
  if [ -n "$why" ]; then
    NFAIL=$((NFAIL + 1))
    echo "FAIL [$HOSTILE_FILE] ferry $* : $why" >&2
    sed 's/^/    stderr: /' .hostile.err | head -5 >&2
  else
    printf 'ok   [%s] %5d ms  %s\n' "$HOSTILE_FILE" "$ms" "$(head -n1 .hostile.err | cut -c1-150)"
  fi
}

# Helpers for case files.
#   hostile_loans                 loans.csv: 40 loans of 10 customers, the
#                                 label alternating so a model can train
#   hostile_spec FILE [FEATS] [TOP]  a valid minimal project on loans.csv
#                                 (two features, on lines 9 and 10), FEATS
#                                 added from line 11 and TOP after the label
#   hostile_laughs                a ~400-byte "billion laughs" YAML block
hostile_loans() {
  {
    echo "id,loan_date,amount,bad"
    for i in $(seq 1 40); do
      printf '%d,2020-%02d-%02d,%d,%d\n' $((i % 10)) $((i % 12 + 1)) $((i % 28 + 1)) $((i * 37 % 1000)) $((i % 2))
    done
  } > loans.csv
}

hostile_spec() {
  cat > "$1" <<YAML
name: hostile
sources:
  loans:
    path: loans.csv
    entity: id
    timestamp: loan_date
    columns: {id: int, loan_date: date, amount: float, bad: int}
features:
  - {name: nb_loans, window: count}
  - {name: big, expr: amount > 500}
${2:-}
label: bad
${3:-}
YAML
}

hostile_laughs() {
  python3 -c "
print('lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]')
for i in range(1, 10):
    print('lol%d: &l%d [%s]' % (i, i, ', '.join(['*l%d' % (i - 1)] * 10)))"
}

for f in "$FERRY_SRC"/tests/integration/hostile/*.sh; do
  HOSTILE_FILE=$(basename "$f" .sh)
  dir="$ROOT/$HOSTILE_FILE"; mkdir -p "$dir"
  (cd "$dir" && source "$f" && echo "$NCASES $NFAIL" > "$ROOT/$HOSTILE_FILE.count")
  read -r n fl < "$ROOT/$HOSTILE_FILE.count" || { echo "FAIL [$HOSTILE_FILE] setup failed" >&2; exit 1; }
  NCASES=$n; NFAIL=$fl
done
echo "hostile input: $NCASES cases, $NFAIL failed"
[ "$NFAIL" -eq 0 ] || exit 1
[ "$NCASES" -ge 40 ] || { echo "hostile input: only $NCASES cases (want >= 40)" >&2; exit 1; }
