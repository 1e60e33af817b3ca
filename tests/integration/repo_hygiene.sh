#!/usr/bin/env bash
# Issue 10, item 17: a fuzzer's artifacts never land in the repository.
# libFuzzer writes crash-/leak-/timeout-/oom-/slow-unit-<sha1> files into
# its working directory; they are ignored, and none is tracked (a crash
# input that matters is renamed into fuzz/corpus/<target>/regress-*).
set -euo pipefail
cd "$FERRY_SRC"
git rev-parse --git-dir > /dev/null 2>&1 || { echo "skip: not a git checkout"; exit 77; }
tracked=$(git ls-files | grep -E '(^|/)(crash|leak|timeout|oom|slow-unit)-[0-9a-f]{40}$' || true)
if [ -n "$tracked" ]; then
  echo "fuzzer artifacts are tracked:" >&2; echo "$tracked" >&2; exit 1
fi
for a in crash leak timeout oom slow-unit; do
  name="$a-0123456789abcdef0123456789abcdef01234567"
  git check-ignore -q "$name" || { echo "$name is not ignored (.gitignore)" >&2; exit 1; }
done
echo "repo hygiene: no fuzzer artifact tracked, all five kinds ignored"
