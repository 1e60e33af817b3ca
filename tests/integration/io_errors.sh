#!/usr/bin/env bash
# io_errors.sh - output targets and write errors (issue 10, items 5, 10, 11).
#
#   init      numeric options are parsed strictly (no sign, no junk, a
#             range); a refused or failed init leaves no directory behind
#             (a write cut short with `ulimit -f` mid-way through the data)
#   --output  a FIFO, a null device and a full device are written, never
#             replaced by a regular file; the full device fails with ENOSPC
#   stdout    every command that prints reports a write error on stdout
#             (`> /dev/full`): exit 2, "write error on standard output"
#
# Device nodes: as root the test makes its own (mknod c 1 3 / c 1 7 in the
# temp dir), so a binary that renames over its target cannot replace the
# system's /dev/null or /dev/full; otherwise it uses those (which a
# non-root rename cannot replace).
set -euo pipefail
: "${FERRY_BIN:?}"
TMP=$(mktemp -d /tmp/ferry_io_errors.XXXXXX)
READER=""
trap '[ -n "$READER" ] && kill "$READER" 2>/dev/null; rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
LIMIT=20; [ "${FERRY_SANITIZE:-0}" = 1 ] && LIMIT=120
run() { # run F ARGS...: ferry ARGS ($LIMIT s at most); sets RC and ERR (stderr)
  shift
  set +e; timeout "$LIMIT" "$FERRY_BIN" "$@" > "$TMP/stdout" 2> "$TMP/stderr"; RC=$?; set -e
  ERR=$(cat "$TMP/stderr")
}
F() { "$FERRY_BIN" "$@"; }
mkdir "$TMP/w"; cd "$TMP/w"

# ---- item 5: init --------------------------------------------------------
# (100000001: one past the cap; an old binary takes it and runs for long)
for bad in -5 +5 0 10x " 7" 1e3 0x10 99999999999999999999 100000001; do
  run F init credit-risk p5 --rows "$bad"
  [ "$RC" = 2 ] || fail "init --rows '$bad': exit $RC, want 2"
  grep -qF -- "--rows '$bad'" <<<"$ERR" || fail "init --rows '$bad': stderr: $ERR"
  [ ! -e p5 ] || { fail "init --rows '$bad' left p5 behind"; rm -rf p5; }
done
run F init credit-risk p5 --rows
[ "$RC" = 2 ] && grep -qF -- "--rows needs a value" <<<"$ERR" ||
  fail "init --rows without a value: exit $RC: $ERR"
run F demo d5 --rows -1
[ "$RC" = 2 ] && grep -qF -- "--rows '-1'" <<<"$ERR" || fail "demo --rows -1: exit $RC: $ERR"
[ ! -e d5 ] || { fail "demo --rows -1 left d5 behind"; rm -rf d5; }
# a write failing half-way (file size limit: EFBIG) removes what init made,
# the parent directories it created included
set +e
bash -c 'trap "" XFSZ; ulimit -f 16; exec "$0" init credit-risk a/b/p5 --rows 5000' \
  "$FERRY_BIN" > /dev/null 2> "$TMP/stderr"; RC=$?
set -e
[ "$RC" = 1 ] || fail "init cut short: exit $RC, want 1"
grep -qF "a/b/p5/data/loans.csv: write failed: File too large" "$TMP/stderr" ||
  fail "init cut short: stderr: $(cat "$TMP/stderr")"
[ ! -e a ] || { fail "init cut short left: $(find a | tr '\n' ' ')"; rm -rf a; }
# into an existing directory: it stays, the data/ made for it goes
mkdir keep
set +e
bash -c 'trap "" XFSZ; ulimit -f 16; exec "$0" init credit-risk keep --rows 5000' \
  "$FERRY_BIN" > /dev/null 2>&1; RC=$?
set -e
[ "$RC" = 1 ] && [ -d keep ] && [ -z "$(ls -A keep)" ] ||
  fail "init into an existing dir, cut short: exit $RC, left: $(find keep | tr '\n' ' ')"
rm -rf keep
# and the normal case still works, trailing slash included
F -q init credit-risk "p/" --rows 3000
[ -f p/ferry.yaml ] && [ "$(wc -l < p/data/loans.csv)" = 3001 ] || fail "init p/ failed"
[ -z "$(ls -d p.init.* 2>/dev/null)" ] || fail "init left its staging directory"

# ---- a project with a model, for the rest ---------------------------------
cd p
F -q features build
F -q train --promote > /dev/null

# ---- item 10: --output to a FIFO, a null device, a full device ------------
if [ "$(id -u)" = 0 ]; then
  mknod null c 1 3; mknod full c 1 7
  NULLDEV=$PWD/null FULLDEV=$PWD/full
else
  NULLDEV=/dev/null FULLDEV=/dev/full
fi
mkfifo fifo
timeout 30 cat fifo > fifo.out & READER=$!
run F predict --output fifo
[ "$RC" = 0 ] || fail "predict --output fifo: exit $RC: $ERR"
[ -p fifo ] || { fail "predict --output fifo replaced the FIFO: $(ls -l fifo)"; kill "$READER" 2>/dev/null || true; }
wait "$READER" || true; READER=""
[ "$(wc -l < fifo.out)" = 3001 ] || fail "the FIFO's reader got $(wc -l < fifo.out) lines, want 3001"
head -n1 fifo.out | grep -q "score" || fail "the FIFO's reader got no CSV header"

run F predict --output "$NULLDEV"
[ "$RC" = 0 ] || fail "predict --output $NULLDEV: exit $RC: $ERR"
[ -c "$NULLDEV" ] || fail "predict --output $NULLDEV: no longer a character device: $(ls -l "$NULLDEV")"

run F predict --output "$FULLDEV"
[ "$RC" = 1 ] || fail "predict --output $FULLDEV: exit $RC, want 1"
grep -qF "$FULLDEV: write failed: No space left on device" <<<"$ERR" ||
  fail "predict --output $FULLDEV: stderr: $ERR"
[ -c "$FULLDEV" ] || fail "predict --output $FULLDEV: no longer a character device: $(ls -l "$FULLDEV")"
ls "$(dirname "$FULLDEV")" | grep -q '^full\.tmp\.' && fail "a temporary was left beside $FULLDEV"

# the feature build's outputs go through the same writer: a FIFO as the CSV
mkfifo out/fifo.csv
timeout 30 cat out/fifo.csv > fifo2.out & READER=$!
run F --set output.name=fifo features build --no-online
[ "$RC" = 0 ] || fail "features build into a FIFO: exit $RC: $ERR"
[ -p out/fifo.csv ] || { fail "features build replaced the FIFO out/fifo.csv"; kill "$READER" 2>/dev/null || true; }
wait "$READER" || true; READER=""
cmp -s fifo2.out out/features.csv || fail "the FIFO's reader did not get the feature table"

# a directory where the output goes is refused before any work, by name
mkdir outdir
run F predict --output outdir
[ "$RC" = 1 ] && grep -qF "outdir: is a directory" <<<"$ERR" || fail "predict --output DIR: exit $RC: $ERR"
run F predict --output nodir/x.csv
[ "$RC" = 1 ] && grep -qF "nodir/x.csv: cannot be written: directory nodir" <<<"$ERR" ||
  fail "predict --output nodir/x.csv: exit $RC: $ERR"

# ---- item 11: write errors on stdout ---------------------------------------
check_stdout() { # check_stdout ARGS...: `ferry ARGS > full device` must fail
  set +e; "$FERRY_BIN" "$@" > /dev/full 2> "$TMP/stderr"; RC=$?; set -e
  [ "$RC" = 2 ] || fail "ferry $* > /dev/full: exit $RC, want 2"
  grep -qF "ferry: write error on standard output: No space left on device" "$TMP/stderr" ||
    fail "ferry $* > /dev/full: stderr: $(cat "$TMP/stderr")"
}
check_stdout features sql
check_stdout features sql --dialect postgres --ddl
check_stdout features show 5000049
check_stdout models list
check_stdout models list --json
check_stdout models show credit-risk
check_stdout models show credit-risk --json
check_stdout models history credit-risk
check_stdout reference
check_stdout help
# stdout closed with nothing to write is fine; a working stdout is fine
run F -q features build
[ "$RC" = 0 ] || fail "features build -q: exit $RC: $ERR"
F reference > ref.md && [ -s ref.md ] || fail "reference > file failed"

[ "$FAILS" = 0 ] || { echo "io_errors: $FAILS failure(s)" >&2; exit 1; }
echo "io_errors: ok"
