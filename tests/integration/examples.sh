#!/usr/bin/env bash
# examples.sh - every example runs with the one command its ferry.yaml
# documents (issue 10, item 15).  The command is read from the ferry.yaml's
# top comment (the line after "Run from the repository root:"), so the doc
# and the test cannot drift; README.md's examples table must show the same
# command.  It runs, with `ferry` on PATH, in a copy of the examples laid
# out as in the repository (no generated data copied along), and must build
# the features and register a model.  A command names no path outside the
# tree, except the real flights file in a `--set sources.X.path=` option,
# resolved against a `shared` directory beside the copy: the example that
# needs it is skipped, saying so, when $FERRY_SHARED/data lacks the file.
set -euo pipefail
: "${FERRY_BIN:?}" "${FERRY_SRC:?}"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin" "$TMP/repo"
ln -s "$FERRY_BIN" "$TMP/bin/ferry"
tar -C "$FERRY_SRC" --exclude='examples/*/data' --exclude='examples/*/gen' \
    --exclude='examples/*/out' --exclude='examples/*/registry' -cf - examples | tar -C "$TMP/repo" -xf -
[ -n "${FERRY_SHARED:-}" ] && ln -s "$FERRY_SHARED" "$TMP/shared"

ran=0 skipped=0
for yaml in "$FERRY_SRC"/examples/*/ferry.yaml; do
  name=$(basename "$(dirname "$yaml")")
  cmd=$(sed -n '/^# .*Run from the repository root:/{n;s/^#[[:space:]]*//;p;q}' "$yaml")
  if [ -z "$cmd" ]; then
    echo "FAIL: examples/$name/ferry.yaml: no command after '# ... Run from the repository root:'"; exit 1
  fi
  grep -qF -- "\`$cmd\`" "$FERRY_SRC/README.md" ||
    { echo "FAIL: README.md's examples table does not show examples/$name's command: $cmd"; exit 1; }
  # no path outside the tree but a --set sources.X.path= value
  outside=$(echo "$cmd" | sed -E 's/sources\.[A-Za-z0-9_-]+\.path=[^ ]*//g' | grep -oE '(^| )(/|\.\./)[^ ]*|\$PWD/\.\.[^ ]*' || true)
  [ -z "$outside" ] || { echo "FAIL: examples/$name: path outside the tree: $outside"; exit 1; }
  missing=""
  for need in $(echo "$cmd" | grep -oE 'sources\.[A-Za-z0-9_-]+\.path=\$PWD/\.\./shared/data/[^ ]*' | sed 's|.*/shared/data/||' | sort -u); do
    [ -r "${FERRY_SHARED:-/nonexistent}/data/$need" ] || missing="${FERRY_SHARED:-../shared}/data/$need"
  done
  if [ -n "$missing" ]; then
    echo "skip examples/$name: needs $missing"
    skipped=$((skipped + 1))
    continue
  fi
  echo "== examples/$name: $cmd"
  (cd "$TMP/repo" && PATH="$TMP/bin:$PATH" bash -euo pipefail -c "$cmd") > "$TMP/$name.log" 2>&1 ||
    { cat "$TMP/$name.log"; echo "FAIL: examples/$name: the documented command failed"; exit 1; }
  tail -n 3 "$TMP/$name.log"
  d="$TMP/repo/examples/$name"
  [ -s "$d/out/features.csv" ] || { echo "FAIL: examples/$name: no out/features.csv"; exit 1; }
  "$FERRY_BIN" -C "$d" models list | grep -q "^$name" ||
    { "$FERRY_BIN" -C "$d" models list; echo "FAIL: examples/$name: no registered model"; exit 1; }
  ran=$((ran + 1))
done
echo "examples: $ran ran, $skipped skipped"
[ "$ran" -gt 0 ]
