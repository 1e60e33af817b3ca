# Hostile models, manifests and registry files (issue 10, items 7, 8, 12).
# Sourced by ../hostile_input.sh in a fresh directory; see it for `hostile`.
# Every refusal leaves the registry byte-identical and creates nothing.

# Two trees over features a, b (binary:logistic); each case breaks one thing.
cat >m.json <<'EOF'
{"learner":{"feature_names":["a","b"],"feature_types":["float","float"],"gradient_booster":{"name":"gbtree","model":{"tree_info":[0,0],"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_conditions":[0.5,-0.25,0.75],"split_indices":[0,0,0],"default_left":[1,0,0],"loss_changes":[1.5,0,0],"tree_param":{"num_nodes":"3"}},{"left_children":[1,3,-1,-1,-1],"right_children":[2,4,-1,-1,-1],"split_conditions":[-1,2,-0.375,0.125,0.5],"split_indices":[1,0,0,0,0],"default_left":[0,1,0,0,0],"loss_changes":[2,1,0,0,0],"tree_param":{"num_nodes":"5"}}]}},"learner_model_param":{"base_score":"0.25","num_feature":"2","num_class":"0"},"objective":{"name":"binary:logistic"}}}
EOF
broken() { sed "$2" m.json >"$1"; cmp -s m.json "$1" && { echo "registry.sh: $1: the edit changed nothing" >&2; return 1; }; :; }
broken neg.json 's/"left_children":\[1,-1,-1\]/"left_children":[-5,-1,-1]/'
broken cyc.json 's/"left_children":\[1,3,-1,-1,-1\],"right_children":\[2,4,-1,-1,-1\]/"left_children":[1,3,1,-1,-1],"right_children":[2,4,3,-1,-1]/'
broken nan.json 's/"base_score":"0.25"/"base_score":"nan"/; s/binary:logistic/reg:squarederror/'
broken nodes.json 's/"num_nodes":"3"/"num_nodes":"4"/'
broken rank.json 's/binary:logistic/rank:pairwise/'
broken inf.json 's/-0.375,0.125,0.5/-0.375,1e39,0.5/'
broken multi.json 's/"num_class":"0"/"num_class":"3"/'

# imports predict would refuse or score wrongly: nothing is registered
# (the registry directory is not even created)
hostile "neg.json: learner.gradient_booster.model.trees[0]: node 0: children -5, 2 out of range" \
    --registry reg models import m neg.json
hostile "cyc.json: learner.gradient_booster.model.trees[1]: node 1 is reached twice" \
    --registry reg models import m cyc.json
hostile "nan.json: learner.learner_model_param.base_score: not a finite number" \
    --registry reg models import m nan.json
hostile "nodes.json: learner.gradient_booster.model.trees[0].left_children: expected 4 elements, found 3" \
    --registry reg models import m nodes.json
hostile "rank.json: learner.objective.name: 'rank:pairwise' is not supported" \
    --registry reg models import m rank.json
hostile "inf.json: learner.gradient_booster.model.trees[1].split_conditions[3]: leaf value is not a finite number" \
    --registry reg models import m inf.json
hostile "multi.json: learner.learner_model_param: 3 classes" \
    --registry reg models import m multi.json
hostile "m.json: feature list: \$.features[0]: 'b' is feature 1 of the model" \
    --registry reg models import m m.json --features b,a
hostile "m.json: the model has 2 features but 1 feature names" \
    --registry reg models import m m.json --features a
hostile "m.json: the model has 2 features but 3 feature names" \
    --registry reg models import m m.json --features a,b,c
hostile "m.json: feature 1: control character 0x1b" \
    --registry reg models import m m.json --features $'a,b\e[31m'
hostile "--objective reg:squarederror, but the model's \$.learner.objective.name is binary:logistic" \
    --registry reg models import m m.json --objective reg:squarederror

# a registry with v1, v2, champion on v2: bad aliases, versions, reasons
"$FERRY_BIN" --registry reg models import m m.json >/dev/null
"$FERRY_BIN" --registry reg models import m m.json >/dev/null
"$FERRY_BIN" --registry reg models promote m 1 --reason first >/dev/null
"$FERRY_BIN" --registry reg models promote m 2 --reason second >/dev/null
hostile "'latest' is not a valid alias name" --registry reg models promote m 1 --alias latest
hostile "'a/b' is not a valid alias name" --registry reg models promote m 1 --alias a/b
hostile "'v3' is not a valid alias name" --registry reg models promote m 1 --alias v3
hostile "'99999999999' is not a version number (1 to 2147483647)" --registry reg models promote m 99999999999
hostile "'v0' is not a version number" --registry reg models delete m v0
hostile "--reason: control character 0x0a at byte 3" \
    --registry reg models promote m 1 --reason $'ok\n2026-01-01T00:00:00Z  promote  champion  v1 -> v9  admin: forged'
hostile "--reason: control character 0x1b at byte 1" \
    --registry reg models rollback m --reason $'\e]0;pwned\a'
hostile "no model named 'nope'" --registry reg models promote nope 1

# damaged registry files: refused with the file named, nothing rewritten
mkdir -p bad1/m bad2/m bad3/m && touch bad1/.lock bad2/.lock bad3/.lock
cp -r reg/m/. bad1/m/ && echo 2147483647 >bad1/m/last_version
hostile "model 'm': version numbers are exhausted (v2147483647 was issued)" \
    --registry bad1 models import m m.json
cp -r reg/m/. bad2/m/ && echo 12abc >bad2/m/last_version
hostile "bad2/m/last_version: expected a version number from 0 to 2147483647" \
    --registry bad2 models import m m.json
cp -r reg/m/. bad3/m/ && printf '{"at":"x","action":"promote","alias":"champion","from":2,"to":"1"}\n' >>bad3/m/history.jsonl
hostile "bad3/m/history.jsonl:3: \$.from, \$.to: expected version numbers" \
    --registry bad3 models show m@champion
printf ' ' >>reg/m/versions/2/model.json
hostile "reg/m/versions/2/model.json: SHA-256" --registry reg models verify m

# a stored manifest whose feature list does not fit its model: predict
# refuses it (one short used to say "ferry: predict: ok", one extra in
# front shifted every score) and writes no output
mkdir -p proj
printf 'name: m\nsources:\n  s:\n    path: rows.csv\n    columns:\n      a: float\n      b: float\nfeatures:\n  - name: a\n    expr: a\n  - name: b\n    expr: b\n  - name: c\n    expr: a + b\nregistry:\n  path: preg\n' >proj/ferry.yaml
printf 'a,b\n0.1,-2\n3,1\n' >proj/rows.csv
"$FERRY_BIN" -C proj models import m ../m.json >/dev/null
"$FERRY_BIN" -C proj models import m ../m.json >/dev/null
/usr/bin/python3 - <<'PY'
import json
for v, feats in ((1, ["a"]), (2, ["c", "a", "b"])):
    p = "proj/preg/m/versions/%d/manifest.json" % v
    m = json.load(open(p))
    m["features"] = [{"name": n, "type": "float"} for n in feats]
    json.dump(m, open(p, "w"), indent=2)
PY
hostile "preg/m/versions/1/manifest.json: \$.features: 1 features, but the model reads 2" \
    -C proj predict --model m@1 --output out.csv
hostile "preg/m/versions/2/manifest.json: \$.features: 3 features, but the model reads 2" \
    -C proj predict --model m@2 --output out.csv
