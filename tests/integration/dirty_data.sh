#!/usr/bin/env bash
# Issue 10, item 13: dirty data that a build accepts is reported, whatever
# --quiet or --json say, and what it keeps is never pooled or mis-encoded.
#   - rejects within the budget: a warning on stderr with --quiet too, and
#     --json reports rows, rejected and the rejects file per source;
#   - null_keys: keep: rows without an entity key are kept, each its own
#     entity (a count window gives 0, not the number of other keyless rows),
#     and a window `by` a column with nulls pools nothing either;
#   - encoding: latin1: Latin-1 text reaches the feature CSV as UTF-8.
# (The refusals, with file:line:column, are in hostile/data.sh.)
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
cat > ferry.yaml <<'YAML'
name: dirty
sources:
  t:
    path: data.csv
    entity: id
    timestamp: day
    max_rejects: 5
    columns: {id: string, day: date, note: string, city: category}
features:
  - {name: n_prev, window: count}
  - {name: n_city, window: count, by: city}
output: {dir: out, carry: [id, day, note]}
YAML
printf 'id,day,note,city\na,2020-01-01,x,S\n,2020-01-02,y,T\nb,2020-01-03,z,\na,2020-01-04,w,S\n' > data.csv

# --quiet: nothing on stdout, the warning still on stderr
"$FERRY_BIN" --quiet features build > out.txt 2> err.txt
[ ! -s out.txt ] || { echo "--quiet printed: $(cat out.txt)" >&2; exit 1; }
grep -qF "warning: sources.t: 1 of 4 rows rejected (within the budget), listed in $TMP/out/rejects-t.csv" err.txt ||
  { echo "no rejects warning with --quiet: $(cat err.txt)" >&2; exit 1; }
grep -qx '3,id,,is empty: the entity key of sources.t (null_keys: keep accepts such rows)' out/rejects-t.csv

# --json: one document with the counts, the warning on stderr
"$FERRY_BIN" --json features build > out.json 2> err.txt
grep -qF "1 of 4 rows rejected" err.txt
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/out.json"))
s = d["sources"][0]
assert d["rows"] == 3 and s["name"] == "t", d
assert s["rows"] == 3 and s["rejected"] == 1, s
assert s["rejects"] == sys.argv[1] + "/out/rejects-t.csv", s
assert d["outputs"]["csv"] == sys.argv[1] + "/out/features.csv", d
PY

# null_keys: keep: the keyless rows are kept, never one pooled entity
printf 'id,day,note,city\na,2020-01-01,x,S\n,2020-01-02,y,\n,2020-01-03,z,\n,2020-01-04,w,\na,2020-01-05,v,S\n' > data.csv
"$FERRY_BIN" -q --set sources.t.null_keys=keep features build 2> err.txt
[ ! -s err.txt ] || { echo "unexpected stderr: $(cat err.txt)" >&2; exit 1; }
/usr/bin/python3 - "$TMP/out/features.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
got = [(r["id"], r["n_prev"], r["n_city"]) for r in rows]
# keyless rows: 0 previous events each (pooled, they would count 0, 1, 2);
# the null city rows likewise in the window by city
want = [("a", "0", "0"), ("", "0", "0"), ("", "0", "0"), ("", "0", "0"), ("a", "1", "1")]
assert got == want, got
PY

# encoding: latin1: transcoded, header included
printf 'id,day,note,city\na,2020-01-01,caf\xe9,Conc\xe9pci\xf3n\n' > data.csv
"$FERRY_BIN" -q --set sources.t.encoding=latin1 features build
grep -q "^a,2020-01-01,café,0,0$" out/features.csv || { cat out/features.csv >&2; exit 1; }
# the default, utf-8, refuses the same file and keeps the outputs
sha=$(sha256sum out/features.csv)
if "$FERRY_BIN" -q features build 2> err.txt; then echo "latin1 accepted as utf-8" >&2; exit 1; fi
grep -qF "data.csv:2: column note: 'caf\\xE9' is not valid UTF-8" err.txt
[ "$(sha256sum out/features.csv)" = "$sha" ]
echo "dirty data: rejects reported with --quiet and --json, keyless rows kept apart, latin1 transcoded"
