#!/usr/bin/env bash
# models_cli.sh - `ferry models` end to end on a real registry directory.
#
# Python xgboost trains two models on small random data (one good, one on
# shuffled labels); ferry imports them and the test checks, against Python
# and hashlib as independent references: stored bytes, feature list,
# importances (get_score), list/show JSON, the gate refusal leaving aliases
# and history byte-identical, force, rollback and its history, diff, export,
# delete, corrupt manifests, two concurrent importers, history text escaped
# on output, and recovery from a writer killed at a fault point
# (FERRY_FAULT, registry.c) or from what an older binary's crash left.
set -euo pipefail
: "${FERRY_BIN:?}"
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/ferry_models_cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
REG="$TMP/reg"
F() { "$FERRY_BIN" --registry "$REG" "$@"; }
die() { echo "FAIL: $*" >&2; exit 1; }
expect_fail() { # expect_fail CODE PATTERN cmd...
    local code=$1 pat=$2; shift 2
    set +e; "$@" >"$TMP/stdout" 2>"$TMP/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || die "'$*' exited $rc, want $code: $(cat "$TMP/err")"
    grep -qF -- "$pat" "$TMP/err" || die "'$*': stderr lacks '$pat': $(cat "$TMP/err")"
}

cd "$TMP"
$PY - <<'EOF'
import json, numpy as np, pandas as pd, xgboost as xgb
from sklearn.metrics import roc_auc_score
rng = np.random.default_rng(7)
n = 600
X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["age", "amount", "tenure", "score"])
y = (X.age - 0.7 * X.amount + 0.3 * rng.normal(size=n) > 0).astype(int)
tr, te = slice(0, 400), slice(400, n)
def fit(labels, depth, path):
    b = xgb.train({"objective": "binary:logistic", "max_depth": depth, "seed": 1,
                   "nthread": 1}, xgb.DMatrix(X[tr], labels[tr]), 15)
    b.save_model(path)
    auc = roc_auc_score(y[te], b.predict(xgb.DMatrix(X[te])))
    json.dump({"test": {"roc_auc": auc}}, open(path + ".metrics", "w"))
    json.dump({"gain": b.get_score(importance_type="gain"),
               "weight": b.get_score(importance_type="weight")},
              open(path + ".imp", "w"))
    return b
g = fit(y, 3, "good.json")
g.feature_types = ["int", "float", "q", "i"]   # XGBoost's own type names
g.save_model("typed.json")
b = fit(pd.Series(rng.permutation(y.values)), 4, "bad.json")
b.feature_names = None   # a model saved without names: --features needed
b.save_model("bad_nonames.json")
open("features.txt", "w").write("# exported from the notebook\nage\namount\ntenure\nscore\n")
EOF

# ---- reading a registry that does not exist creates nothing ---------------
[ "$(F models list --json)" = "[]" ] || die "empty registry: list is not []"
expect_fail 1 "no model named 'credit'" F models show credit@1
[ ! -e "$REG" ] || die "a read-only command created the registry directory"

# ---- import, list, show ----------------------------------------------------
# feature types come from the model's own feature_types when it has them
"$FERRY_BIN" --registry "$TMP/reg_typed" models import typed typed.json >/dev/null
"$FERRY_BIN" --registry "$TMP/reg_typed" --json models show typed@1 | $PY -c '
import json, sys
t = [(f["name"], f["type"]) for f in json.load(sys.stdin)["features"]]
assert t == [("age", "int"), ("amount", "float"), ("tenure", "float"), ("score", "int")], t
' || die "imported feature types"
F models import credit good.json --metrics good.json.metrics >/dev/null
F models import credit bad_nonames.json --features features.txt \
    --metrics bad.json.metrics >/dev/null
expect_fail 2 "has no feature names" F models import credit bad_nonames.json
expect_fail 2 "has 4 features but 3" F models import credit good.json --features age,amount,tenure
expect_fail 1 "features.txt: model JSON: line 1 column 1" F models import credit features.txt --features a
cmp good.json "$REG/credit/versions/1/model.json" || die "model bytes changed"
cmp bad_nonames.json "$REG/credit/versions/2/model.json" || die "model bytes changed"

F models list --json >list.json
F --json models show credit@1 >show1.json
$PY - <<'EOF' || die "list/show JSON disagrees with Python"
import json, hashlib
lst = json.load(open("list.json"))
assert [m["name"] for m in lst] == ["credit"], lst
assert [v["version"] for v in lst[0]["versions"]] == [1, 2]
m = json.load(open("show1.json"))
assert m["name"] == "credit" and m["version"] == 1
assert [f["name"] for f in m["features"]] == ["age", "amount", "tenure", "score"]
assert m["objective"] == "binary:logistic"
assert m["model"]["sha256"] == hashlib.sha256(open("good.json", "rb").read()).hexdigest()
assert m["model"]["bytes"] == len(open("good.json", "rb").read())
ref = json.load(open("good.json.imp"))
for kind in ("gain", "weight"):
    assert set(m["importance"][kind]) == set(ref[kind]), (kind, m["importance"][kind], ref[kind])
    for k, v in ref[kind].items():
        assert abs(m["importance"][kind][k] - v) <= 1e-5 * max(1, abs(v)), (kind, k, v)
assert abs(m["metrics"]["test"]["roc_auc"] - json.load(open("good.json.metrics"))["test"]["roc_auc"]) < 1e-12
assert m["params"]["num_trees"] == 15
EOF
F models show credit | grep -q "^credit v2" || die "show default is not the latest"

# ---- promote, gate refusal, force, rollback --------------------------------
F models promote credit 1 --reason "first model" >/dev/null
snap() { md5sum "$REG/credit/aliases.json" "$REG/credit/history.jsonl"; }
snap >before.md5
expect_fail 1 "refused: roc_auc on test" \
    F models promote credit 2 --metric roc_auc --split test --tolerance 0.01
grep -qF "< champion v1" "$TMP/err" || die "refusal does not name the champion: $(cat "$TMP/err")"
expect_fail 1 "< floor 0.99" F models promote credit 1 --alias challenger --metric roc_auc --floor 0.99
snap | cmp -s - before.md5 || die "a refused promote changed aliases or history"
[ "$(F --json models show credit@champion | $PY -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 1 ]

F models promote credit 2 --metric roc_auc --tolerance 0.01 --force --reason "try it" >/dev/null
[ "$(F --json models show credit@champion | $PY -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 2 ]
F models rollback credit --reason "worse in prod" >/dev/null
F models history credit --json >hist.json
$PY - <<'EOF' || die "history is wrong"
import json
h = json.load(open("hist.json"))
moves = [(e["action"], e["alias"], e["from"], e["to"]) for e in h]
assert moves == [("promote", "champion", None, 1), ("promote", "champion", 1, 2),
                 ("rollback", "champion", 2, 1)], moves
assert h[0]["reason"] == "first model" and h[2]["reason"] == "worse in prod"
assert "gate_overridden" in h[1] and "refused" in h[1]["gate_overridden"]
assert all(e["user"] and e["at"].endswith("Z") for e in h)
EOF
[ "$(F --json models show credit@champion | $PY -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 1 ]
expect_fail 1 "no earlier version" F models rollback credit

# ---- diff, export ------------------------------------------------------------
F models diff credit 1 2 --json >diff.json
$PY - <<'EOF' || die "diff is wrong"
import json
d = json.load(open("diff.json"))
paths = {c["path"]: c for c in d["changes"]}
assert "metrics.test.roc_auc" in paths and "model.sha256" in paths, paths.keys()
assert paths["lineage.imported_from"]["a"] == "good.json"
assert d["features"] == {"added": [], "removed": [], "changed": []}, d["features"]
EOF
F models diff credit champion 2 | grep -q "metrics.test.roc_auc" || die "text diff"
F models export credit@champion "$TMP/exported" >/dev/null
cmp good.json "$TMP/exported/model.json" || die "exported bytes differ"
$PY -c 'import json; m = json.load(open("exported/manifest.json")); assert m["version"] == 1'

# ---- delete --------------------------------------------------------------------
expect_fail 1 "alias 'champion'" F models delete credit 1
F models delete credit 2 >/dev/null
F models delete credit 1 --force >/dev/null
[ "$(F models list --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)[0]["versions"]))')" = 0 ]
F models import credit good.json >/dev/null
[ "$(F --json models show credit | $PY -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 3 ] \
    || die "a deleted version number was reused"

# ---- corrupt manifests: a clear error naming file and JSON path -------------------
M="$REG/credit/versions/3/manifest.json"
cp "$M" good_manifest.json
head -c 100 good_manifest.json >"$M"
expect_fail 1 "versions/3/manifest.json:" F models show credit@3
grep -qF "invalid JSON" "$TMP/err" || die "truncated manifest message: $(cat "$TMP/err")"
expect_fail 1 "versions/3/manifest.json" F models list
$PY -c '
import json
m = json.load(open("good_manifest.json")); m["features"][1]["type"] = 7
json.dump(m, open("'"$M"'", "w"))'
expect_fail 1 '$.features[1].type: expected a string, found an integer' F models show credit@3
cp good_manifest.json "$M"
F models show credit@3 >/dev/null
ls -A "$REG/credit/versions" | grep -v '^3$' && die "leftovers in versions/"

# ---- two concurrent importers: distinct versions, nothing lost -----------------
( for i in 1 2 3 4 5; do F models import race good.json >/dev/null; done ) &
( for i in 1 2 3 4 5; do F models import race bad.json >/dev/null; done ) &
wait
F models list race --json >race.json
$PY - <<'EOF' || die "concurrent imports lost or duplicated versions"
import json
v = [x["version"] for x in json.load(open("race.json"))[0]["versions"]]
assert v == list(range(1, 11)), v
EOF

# ---- history text is escaped: stored text can never forge lines ----------------
H="$REG/race/history.jsonl"
F models promote race 1 --reason "ok" >/dev/null
printf '%s\n' '{"at":"2026-01-01T00:00:00Z","action":"promote","alias":"champion","from":1,"to":2,"reason":"x\n2026-01-01T00:00:01Z  promote  champion  v2 -> v9  admin: \u001b[2Jforged","user":"u\u001b]0;t\u0007"}' >>"$H"
F models history race >hist.txt
[ "$(wc -l <hist.txt)" = 2 ] || die "a stored newline forged a history line: $(cat -A hist.txt)"
grep -q $'\e' hist.txt && die "history printed a raw ESC: $(cat -A hist.txt)"
grep -qF 'x\n2026-01-01T00:00:01Z' hist.txt && grep -qF '\x1b[2Jforged' hist.txt \
    && grep -qF 'u\x1b]0;t\x07' hist.txt || die "escaped history text: $(cat -A hist.txt)"
expect_fail 2 "--reason: control character 0x0a" F models promote race 3 --reason $'a\nb'

# ---- crash windows (item 8): kill at a step, the next writer recovers ------------
F models verify race >/dev/null 2>&1 || die "verify race: $(F models verify race 2>&1)"
# killed between the rename and the end of register: v11 exists; deleting
# it must not let the next import reuse 11
set +e; FERRY_FAULT=register:after-rename F models import race good.json >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 86 ] || die "FERRY_FAULT=register:after-rename: exit $rc, want 86 (the fault point)"
F models delete race 11 >/dev/null
F models import race good.json >/dev/null
[ -d "$REG/race/versions/12" ] || die "a version number was reused after a crash: $(ls "$REG/race/versions")"
# killed after the history line of a promote, before aliases.json: the move
# is committed (readers see it, verify agrees)
set +e; FERRY_FAULT=promote:after-log F models promote race 3 --reason crash >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 86 ] || die "FERRY_FAULT=promote:after-log: exit $rc"
[ "$(F --json models show race@champion | $PY -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 3 ] \
    || die "a logged promote was lost"
F models verify race >/dev/null 2>&1 || die "verify after the crash: $(F models verify race 2>&1)"
# a state an older binary could leave: last_version behind an existing
# version, a torn history line, leftovers of dead writers
echo 5 >"$REG/race/last_version"
printf '{"at":"2026-01-01T00:00:02Z","action":"prom' >>"$H"
dead=$(sh -c 'echo $$')
mkdir "$REG/race/versions/.staging-$dead-AbCdEf" "$REG/race/versions/.deleted-4-$dead"
mkdir "$REG/race/versions/.staging-$$-LiVeXx"     # this shell is alive: kept
echo '{' >"$REG/race/aliases.json.tmp.XyZ123"
F models history race >/dev/null || die "a torn last history line broke history"
F models delete race 12 >/dev/null
F models import race good.json >/dev/null
[ -d "$REG/race/versions/13" ] || die "the counter fell behind: $(ls "$REG/race/versions")"
[ "$(ls -A "$REG/race/versions" | grep -c '^\.')" = 1 ] && [ -d "$REG/race/versions/.staging-$$-LiVeXx" ] \
    || die "leftovers: $(ls -A "$REG/race/versions")"
[ ! -e "$REG/race/aliases.json.tmp.XyZ123" ] || die "stale aliases.json.tmp left"
[ "$(tail -c 1 "$H" | od -An -c | tr -d ' ')" = '\n' ] || die "torn history line kept"
rmdir "$REG/race/versions/.staging-$$-LiVeXx"
F models verify race >/dev/null 2>&1 || die "verify at the end: $(F models verify race 2>&1)"
F models verify race --json | $PY -c '
import json, sys
r = json.load(sys.stdin)
assert r["last_version"] == 13 and r["aliases"] == {"champion": 3}, r' || die "verify --json"
printf 'x' >>"$REG/race/versions/13/model.json"
expect_fail 1 "versions/13/model.json: SHA-256" F models verify race

# ---- usage errors ------------------------------------------------------------------
expect_fail 2 "unknown subcommand" F models frobnicate
expect_fail 2 "unknown option '--bogus'" F models list --bogus
expect_fail 2 "not a valid model name" F models import ../evil good.json
expect_fail 1 "no model named 'nope'" F models show nope
echo "models_cli: ok"
