#!/usr/bin/env bash
# The floors of src/ (README.md, "Layout"): a subsystem includes only
# headers of floors below its own, so nothing runs upward and the lower
# floors (the tree evaluator above all) can be used without the upper ones.
# Checked from the #include "dir/file.h" lines of src/*/*.[ch]; a new
# folder must be given a floor here before it builds an edge.
set -euo pipefail
cd "$FERRY_SRC"
declare -A floor=(
  [base]=0
  [data]=1
  [predict]=2 [store]=2
  [project]=3 [features]=3 [registry]=3 [train]=3
  [scoring]=4
  [serve]=5
  [cli]=6
)
# features and project share floor 3 on purpose: ferry.yaml's loader
# (project.c) checks feature names with the expression language's lexical
# rule (features/expr.h: expr_ident_problem), and the pipeline reads the
# loaded project.  Only that pair may include each other.
same_floor_ok="features>project project>features"
bad=0 edges=0
while IFS=: read -r file inc; do
  from=${file#src/}; from=${from%%/*}
  to=${inc%%/*}
  [ "$from" = "$to" ] && continue
  edges=$((edges + 1))
  if [ -z "${floor[$from]+x}" ] || [ -z "${floor[$to]+x}" ]; then
    echo "$file includes $inc: no floor for '$from' or '$to' (tests/integration/layers.sh)" >&2
    bad=1; continue
  fi
  if [ "${floor[$to]}" -lt "${floor[$from]}" ]; then continue; fi
  if [ "${floor[$to]}" -eq "${floor[$from]}" ] &&
     [[ " $same_floor_ok " == *" $from>$to "* ]]; then continue; fi
  echo "$file includes $inc: $from (floor ${floor[$from]}) may not include $to (floor ${floor[$to]})" >&2
  bad=1
done < <(grep -H -o '^#include "[a-z_]*/[^"]*"' src/*/*.[ch] |
         sed 's/#include "\(.*\)"/\1/')
[ "$bad" -eq 0 ] || exit 1
echo "layers: $edges cross-folder includes, none runs upward"
