#!/usr/bin/env bash
# online_verify.sh - issue 10, item 9: the online store is checked, not
# trusted.  An edited value, a deleted row or a damaged page makes
# `features show` fail with "online store is corrupt" naming the file (it
# used to serve the edited value, or say "no entity"), and the next
# `features build` rebuilds the store (it used to keep it: the content hash
# in meta still matched) and says so on stderr.
set -euo pipefail
: "${FERRY_BIN:?}"
TMP=$(mktemp -d /tmp/ferry_online_verify.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
F() { "$FERRY_BIN" "$@"; }
cd "$TMP"
F -q init credit-risk p --rows 4000
cd p
F -q features build
DB=$PWD/out/online.sqlite
ID=5000049
GOOD=$(F features show $ID)
grep -q '"loan_amount":' <<<"$GOOD" || fail "features show $ID: $GOOD"

show_corrupt() { # show_corrupt WHAT: features show must refuse, by file
  local rc=0
  F features show $ID > out.json 2> err.txt || rc=$?
  [ "$rc" = 1 ] || fail "$1: features show exit $rc, want 1 (stdout: $(cat out.json))"
  grep -qF "$DB: online store is corrupt" err.txt || fail "$1: features show stderr: $(cat err.txt)"
  [ ! -s out.json ] || fail "$1: features show served: $(cat out.json)"
}
build_repairs() { # build_repairs WHAT: the next build rebuilds the store
  F -q features build 2> err.txt || fail "$1: features build failed: $(cat err.txt)"
  grep -qF "$DB: online store is corrupt" err.txt && grep -qF "rebuilt it" err.txt ||
    fail "$1: features build did not report the repair: $(cat err.txt)"
  [ "$(F features show $ID)" = "$GOOD" ] || fail "$1: after the build, features show differs from the original"
  [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ] || fail "$1: rebuilt store fails integrity_check"
}

sqlite3 "$DB" "UPDATE features SET loan_amount = 999999 WHERE id = $ID"
show_corrupt "edited value"
build_repairs "edited value"

sqlite3 "$DB" "DELETE FROM features WHERE id = $ID"
show_corrupt "deleted row"
build_repairs "deleted row"

# a damaged page: the leaf that holds the entity, overwritten with junk
PAGE=$(sqlite3 "$DB" "SELECT pageno FROM dbstat WHERE name = 'features' AND pagetype = 'leaf'" 2>/dev/null | sed -n 2p)
[ -n "$PAGE" ] || PAGE=4
PSZ=$(sqlite3 "$DB" "PRAGMA page_size")
python3 -c "
import sys; f = open(sys.argv[1], 'r+b'); f.seek((int(sys.argv[2]) - 1) * int(sys.argv[3]))
f.write(b'\x5a' * int(sys.argv[3]))" "$DB" "$PAGE" "$PSZ"
show_corrupt "damaged page $PAGE"
build_repairs "damaged page $PAGE"

# a build with unchanged content and an intact store keeps the file
INODE=$(stat -c %i "$DB")
F -q features build 2> err.txt
[ ! -s err.txt ] || fail "unchanged build wrote to stderr: $(cat err.txt)"
[ "$(stat -c %i "$DB")" = "$INODE" ] || fail "an intact, unchanged store was rebuilt"

[ "$FAILS" = 0 ] || { echo "online_verify: $FAILS failure(s)" >&2; exit 1; }
echo "online_verify: ok"
