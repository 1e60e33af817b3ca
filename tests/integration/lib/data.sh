# Source this for the test data helpers:
#   need_shared FILE...   exit 77 (ctest's skip code, SKIP_RETURN_CODE in
#                         CMakeLists.txt) naming the first FILE missing from
#                         $FERRY_SHARED/data, the shared data beside the
#                         clone that is never copied into the repository
#   make_loans OUT ROWS   a loan log of ROWS rows at OUT from ferry's own
#                         generator (`ferry init credit-risk`, ROWS/20+1
#                         customers, seed 42): no file from outside the tree
need_shared() {
  local f
  for f in "$@"; do
    if [ ! -r "${FERRY_SHARED:-../shared}/data/$f" ]; then
      echo "skip: needs ${FERRY_SHARED:-../shared}/data/$f (the shared data beside the clone)"
      exit 77
    fi
  done
}

make_loans() {
  local out=$1 rows=$2 dir
  dir=$(mktemp -d)
  "$FERRY_BIN" -q init credit-risk "$dir/p" --rows "$rows" >/dev/null
  mv "$dir/p/data/loans.csv" "$out"
  rm -rf "$dir"
}
