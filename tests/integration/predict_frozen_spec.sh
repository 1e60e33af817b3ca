#!/usr/bin/env bash
# predict_frozen_spec.sh - a registered version keeps the feature spec it
# was trained with: editing ferry.yaml afterwards must not change how that
# version featurizes raw records, and --set overrides given at training time
# are part of the frozen spec.
#
#   v1: trained on the generated project;  s1 = predict @1
#   edit ferry.yaml (age becomes a constant): predict @1 must still give s1
#   v2: trained on the edited file: its scores differ (the edit matters)
#   v3: trained on the edited file with --set restoring age: the same model
#       bytes as v1, and predict @3 (no --set) gives s1 again
set -euo pipefail
: "${FERRY_BIN:?}"
TMP=$(mktemp -d /tmp/ferry_frozen.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
F() { "$FERRY_BIN" -C "$TMP/p" --quiet "$@"; }
AGE='years_between(birthday, loan_date)'

"$FERRY_BIN" init credit-risk "$TMP/p" --rows 8000 >/dev/null
head -n 1501 "$TMP/p/data/loans.csv" >"$TMP/few.csv"
F features build
F train 2>/dev/null
F predict --model credit-risk@1 --input "$TMP/few.csv" --output "$TMP/s1.csv" 2>/dev/null
[ "$(wc -l <"$TMP/s1.csv")" -eq 1501 ] || die "expected 1500 scored rows"

grep -qF "expr: $AGE" "$TMP/p/ferry.yaml" || die "generated project changed shape"
sed -i "s/expr: $AGE/expr: 40/" "$TMP/p/ferry.yaml"
F predict --model credit-risk@1 --input "$TMP/few.csv" --output "$TMP/s1b.csv" 2>/dev/null
cmp -s "$TMP/s1.csv" "$TMP/s1b.csv" || die "v1 scored differently after the project file changed"

F features build
F train 2>/dev/null
F predict --model credit-risk@2 --input "$TMP/few.csv" --output "$TMP/s2.csv" 2>/dev/null
cmp -s "$TMP/s1.csv" "$TMP/s2.csv" && die "v2 (age constant) scored like v1: the edit had no effect"

F --set "features[2].expr=$AGE" features build
F --set "features[2].expr=$AGE" train 2>/dev/null
V="$TMP/p/registry/credit-risk/versions"
cmp -s "$V/1/model.json" "$V/3/model.json" || die "v3 (age restored by --set) is not v1's model"
F predict --model credit-risk@3 --input "$TMP/few.csv" --output "$TMP/s3.csv" 2>/dev/null
cmp -s "$TMP/s1.csv" "$TMP/s3.csv" || die "v3 ignored the --set it was trained with"
grep -qF "\"features[2].expr=$AGE\"" "$V/3/manifest.json" || die "manifest lacks spec_sets"
echo "predict_frozen_spec: v1 unchanged by an edit of ferry.yaml; v3 keeps its --set"

# scoring leaves the rejects file of the last build alone; a bad input
# record is rejected on its own (issue 11): the other records are scored as
# before, the run exits 3, and --rejects lists it (line, field, value, why)
B="$TMP/p/out/rejects-loans.csv"
[ -f "$B" ] || die "features build wrote no rejects file"
before=$(sha256sum <"$B")
{ cat "$TMP/few.csv"; echo "999999,5000019,F,N,40500.0,Working,Core staff,not-a-date,1987-06-20,2030-01-01,1.5,0"; } >"$TMP/bad_in.csv"
set +e
F predict --model credit-risk@1 --input "$TMP/bad_in.csv" --output "$TMP/s_bad.csv" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 3 ] || die "a rejected record: exit $rc, expected 3: $(cat "$TMP/err")"
grep -qF "line 1502: field 'birthday': 'not-a-date' is not a valid date" "$TMP/err" || die "the rejection is not named: $(cat "$TMP/err")"
[ "$(sha256sum <"$B")" = "$before" ] || die "predict overwrote the build's rejects file"
cmp -s "$TMP/s1.csv" "$TMP/s_bad.csv" || die "the good rows scored differently next to a bad one"
set +e
F predict --model credit-risk@1 --input "$TMP/bad_in.csv" \
    --output "$TMP/s_bad.csv" --rejects "$TMP/rej.csv" 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 3 ] || die "exit $rc with --rejects"
grep -qF "1502,birthday,not-a-date," "$TMP/rej.csv" || die "--rejects lacks the bad row: $(cat "$TMP/rej.csv")"
[ "$(sha256sum <"$B")" = "$before" ] || die "predict --rejects touched the build's rejects file"

# a damaged frozen spec is an error naming the manifest field or YAML line
/usr/bin/python3 - "$V/1/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["spec_sets"] = ["features[2].expr=x", 7]
json.dump(m, open(sys.argv[1], "w"))
PY
set +e
F predict --model credit-risk@1 --input "$TMP/few.csv" --output "$TMP/bad.csv" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || die "a damaged spec_sets was accepted"
grep -qF 'versions/1/manifest.json: $.spec_sets[1]: expected a string' "$TMP/err" || die "unclear error: $(cat "$TMP/err")"
[ ! -e "$TMP/bad.csv" ] || die "output written despite the error"
echo "predict_frozen_spec: a damaged spec_sets is refused: $(cat "$TMP/err")"
