#!/usr/bin/env bash
# docs/reference.md must equal `ferry reference` (generated from the key and
# command tables), so the reference cannot drift from the code.
set -euo pipefail
if ! diff -u "$FERRY_SRC/docs/reference.md" <("$FERRY_BIN" reference); then
  echo "docs/reference.md is stale: run ferry reference > docs/reference.md" >&2
  exit 1
fi
echo "docs/reference.md matches the key table"
