#!/usr/bin/env bash
# Issue 3 acceptance: bad input gets a clear message naming the file and
# line (or a rejects entry naming line, column and reason), and a failed
# build leaves the previous outputs byte-identical.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
cat > ferry.yaml <<'YAML'
name: bad-input
sources:
  t:
    path: data.csv
    max_line_bytes: 200
    entity: id
    columns: {id: int, amount: float, day: date, note: string}
features:
  - {name: double, expr: amount * 2}
output: {dir: out}
online: {enabled: true}
YAML
printf 'id,amount,day,note\n1,1.5,2020-01-01,a\n2,2.5,2020-01-02,"b, ""c"""\n' > data.csv
"$FERRY_BIN" -q features build
snapshot() { (cd out && sha256sum features.csv features.fcol features.schema.json online.sqlite); }
snapshot > before.sha
# idempotent: the same input builds byte-identical outputs
"$FERRY_BIN" -q features build
snapshot | cmp - before.sha

fails() { # fails NEEDLE [ferry args...]: the build fails, says NEEDLE, outputs intact
  local needle=$1; shift
  if "$FERRY_BIN" -q "$@" features build 2> err.txt; then
    echo "expected failure: $needle" >&2; exit 1
  fi
  if ! grep -qF -- "$needle" err.txt; then
    echo "message lacks '$needle':" >&2; cat err.txt >&2; exit 1
  fi
  snapshot | cmp -s - before.sha || { echo "outputs changed after: $needle" >&2; exit 1; }
  echo "ok: $(head -c 160 err.txt)"
}
long=$(head -c 300 /dev/zero | tr '\0' x)
# rows that do not parse: rejected with line, column and reason; over the
# budget (0 by default) the build fails and writes nothing
printf 'id,amount,day,note\n1,1.5,2020-01-01,a\n2,2.5\n3,abc,2020-01-03,x\n4,4.5,2020-13-01,y\n5,5.5,2020-01-05,%s\n' "$long" > data.csv
fails "data.csv: 4 of 5 rows rejected (budget 0); first: $TMP/data.csv:3: expected 4 fields, found 2"
grep -qx '3,,,"expected 4 fields, found 2"' out/rejects-t.csv
grep -qx '4,amount,abc,is not a number' out/rejects-t.csv
grep -qx '5,day,2020-13-01,is not a valid date (format %Y-%m-%d)' out/rejects-t.csv
grep -q '^6,,,"line is 318 bytes, longer than max_line_bytes (200)"' out/rejects-t.csv
fails "budget 3" --set sources.t.max_rejects=3
printf 'id,amount,day,note\n1,1.5,2020-01-01,"a\n2,2.5,2020-01-02,b\n' > data.csv
fails "data.csv:2: unterminated quoted field"
: > data.csv
fails "data.csv:1: empty file"
printf 'id,amount,note\n1,1.5,a\n' > data.csv
fails "data.csv:1: column 'day' not in header"
head -c 4096 /dev/urandom > data.csv; printf '\0' >> data.csv
fails "data.csv"
printf 'id,amount,day,note\n1,1.5,2020-01-01,a\n' > data.csv
sed 's/expr: amount/exrp: amount/' ferry.yaml > typo.yaml
fails "typo.yaml:9: features[0]: unknown key 'exrp' (did you mean 'expr'?)" -f typo.yaml
fails "ferry.yaml:9: features[0] 'double': expr 'amout * 2'" --set 'features[0].expr=amout * 2'
fails "unknown column 'amout' (did you mean 'amount'?)" --set 'features[0].expr=amout * 2'
# within the budget the build succeeds and reports the rejects
printf 'id,amount,day,note\n1,1.5,2020-01-01,a\n2,abc,2020-01-02,b\n' > data.csv
"$FERRY_BIN" --set sources.t.max_rejects=1 features build | grep -q "1 rows, 1 rejected"
echo "bad input: every case named its place; failed builds left outputs intact"
