#!/usr/bin/env bash
# Issue 5 acceptance: bad training input (missing label column, constant
# label, a feature of the wrong type, an empty split) is a clear error and
# nothing is written to the registry.
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
cat > ferry.yaml <<'YAML'
name: tb
sources:
  t:
    path: data.csv
    columns: {id: int, x: float, y: int, c: category}
features:
  - {name: x2, expr: x * 2}
  - {name: c, expr: c}
label: y
output: {dir: out}
registry: {path: reg}
model: {exclude: [c], num_rounds: 5}
split: {test_fraction: 0.25}
YAML
/usr/bin/python3 - > data.csv <<'PY'
import random
random.seed(1)
print("id,x,y,c")
for i in range(400):
    print(f"{i},{random.random()},{int(random.random() < 0.3)},{random.choice('ab')}")
PY
"$FERRY_BIN" -q features build
fails() {
  local needle=$1; shift
  if "$FERRY_BIN" -q "$@" 2> err.txt; then echo "expected failure: $needle" >&2; exit 1; fi
  grep -qF -- "$needle" err.txt || { echo "message lacks '$needle':" >&2; cat err.txt >&2; exit 1; }
  if [ -d reg/tb/versions ] && [ -n "$(ls -A reg/tb/versions)" ]; then
    echo "registry written after: $needle" >&2; exit 1
  fi
  echo "ok: $(cat err.txt)"
}
fails "label column nope not found" --set label=nope train
fails "feature column c is category; training needs numbers" --set 'model.exclude=[]' train
fails "feature column s not found" --set 'model.features=[x2, s]' train
fails "the test part is empty" --set split.method=time --set split.time_column=x2 --set split.test_from=1000 train
sed -i 's/,[01],\([ab]\)$/,0,\1/' data.csv   # every label 0
"$FERRY_BIN" -q features build
fails "constant" train
# a good run then writes exactly one version
sed -i '2s/,0,\([ab]\)$/,1,\1/;3s/,0,\([ab]\)$/,1,\1/;4s/,0,\([ab]\)$/,1,\1/;5s/,0,\([ab]\)$/,1,\1/' data.csv
"$FERRY_BIN" -q features build
"$FERRY_BIN" -q train
test "$(ls reg/tb/versions)" = 1
echo "train bad input: clear errors, registry untouched"
