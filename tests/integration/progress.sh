#!/usr/bin/env bash
# Long work shows progress (rate and ETA) on a terminal, and stays quiet when
# output is not a terminal or with --quiet.  `script` gives the build a pty.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
export FERRY_PROGRESS_INTERVAL=0   # every update, however fast the machine
"$FERRY_BIN" -q init credit-risk p --rows 200000
build() { script -qec "$FERRY_BIN $* -C p features build" /dev/null | tr '\r' '\n'; }
build > tty.log
grep -Eq "/s, ETA [0-9]+s" tty.log || { echo "no progress on a terminal:" >&2; cat tty.log >&2; exit 1; }
# reading the CSV shows records and their rate besides bytes
grep -Eq "loans.csv: .* bytes .*[0-9.]+[kMG]? rows \([0-9.]+[kMG]? rows/s\), ETA" tty.log ||
    { echo "no rows/s while reading the CSV:" >&2; cat tty.log >&2; exit 1; }
build --quiet > quiet.log
if grep -q "ETA" quiet.log; then echo "progress despite --quiet" >&2; exit 1; fi
"$FERRY_BIN" -C p features build > pipe.log 2>&1
if grep -q "ETA" pipe.log || grep -q $'\r' pipe.log; then echo "progress on a pipe" >&2; exit 1; fi
grep -q "features: 200,000 rows" pipe.log
echo "progress: on a terminal only; --quiet and pipes stay quiet"
