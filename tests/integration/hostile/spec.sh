# Hostile project files: YAML bombs, deep nesting, expression chains,
# numbers out of range, invalid feature names (issue 10, items 2, 3, 4, 6
# and 12).  Sourced by ../hostile_input.sh in a fresh directory; see it for
# `hostile`.  Each case is a copy of one valid minimal project with one
# hostile change, so the message must name that file and line (or --set).

hostile_loans
hostile_spec ferry.yaml
# a real feature table, so the train cases below would train (and register
# a model) if their numbers were accepted
"$FERRY_BIN" --quiet features build > /dev/null || echo "spec.sh: setup build failed" >&2

# item 2: a billion laughs (~400 bytes; unchecked, 17 GB and minutes)
hostile_spec laughs.yaml "" "$(hostile_laughs)"
hostile "laughs.yaml:16: aliases expand to more than 10000 nodes" -f laughs.yaml features build

# item 3: 100,000 nested flow lists (79 s inside libyaml before)
{ printf 'name: deep\nsources: '; head -c 100000 /dev/zero | tr '\0' '['; echo; } > deep.yaml
hostile "deep.yaml:2: nesting deeper than 64" -f deep.yaml features build
{ printf 'name: deep\nsources: '; for i in $(seq 1 20000); do printf '{a: '; done; echo; } > deepmap.yaml
hostile "deepmap.yaml:2: nesting deeper than 64" -f deepmap.yaml features build
hostile "--set:1: nesting deeper than 64" --set "label=$(head -c 100000 /dev/zero | tr '\0' '[')" features build

# item 4: a 32,700-term chain under the 64 KiB expression limit (a stack
# overflow in xeval before): the feature and its line
hostile_spec chain.yaml "  - {name: chain, expr: \"amount$(python3 -c "print('-1' * 32700)")\"}"
hostile "chain.yaml:11: features[2] 'chain': expr 'amount-1-1" -f chain.yaml features build
hostile "more than 256 nested operations" -f chain.yaml features sql

# item 6: numbers out of range, refused with the key and its line
hostile_spec rounds.yaml "" "model: {num_rounds: -1}"
hostile "rounds.yaml:13: model: key 'num_rounds': -1 is out of range" -f rounds.yaml train
hostile_spec rounds2.yaml "" "model:
  type: xgboost
  num_rounds: 4294967297"
hostile "rounds2.yaml:15: model: key 'num_rounds': 4294967297 is out of range (an integer, 1 to 1000000)" -f rounds2.yaml train
hostile_spec lag.yaml "  - {name: prev, window: lag, of: amount, lag: 0}"
hostile "lag.yaml:11: features[2]: key 'lag': 0 is out of range" -f lag.yaml features build
hostile_spec folds.yaml "" "search: {method: grid, folds: -1, space: {max_depth: [2, 3]}}"
hostile "folds.yaml:13: search: key 'folds': -1 is out of range (an integer, 2 to 100)" -f folds.yaml train
hostile_spec logc.yaml "" "model: {type: logistic, C: 0}"
hostile "logc.yaml:13: model: key 'C': 0 is out of range" -f logc.yaml train
hostile_spec threads.yaml "" "model: {threads: 100000}"
hostile "threads.yaml:13: model: key 'threads': 100000 is out of range (an integer, 0 to 1024)" -f threads.yaml train
hostile "--set: model: key 'threads': 100000 is out of range" --set model.threads=100000 train
hostile "--set: model: key 'num_rounds': -1 is out of range" --set model.num_rounds=-1 train

# item 12: feature names that no expression or SQL export could name
hostile_spec empty.yaml '  - {name: "", expr: amount * 2}'
hostile "empty.yaml:11: features[2]: name '' is empty" -f empty.yaml features build
hostile_spec nul.yaml '  - {name: "a\0b", expr: amount * 2}'
hostile "nul.yaml:11: value contains a NUL character" -f nul.yaml features build
hostile_spec space.yaml '  - {name: "two words", expr: amount * 2}'
hostile "space.yaml:11: features[2]: name 'two words' has a character other than letters, digits and '_'" -f space.yaml features build

# a --set path 60,000 keys deep (a stack overflow in the override code)
hostile "more than 64 keys deep" --set "a$(python3 -c "print('.a' * 60000)")=1" features build

# a map of 100,000 keys with one duplicate at the end (a linear duplicate
# check per key took a minute)
hostile_spec manykeys.yaml "" "$(python3 -c "
print('search:')
print('  space:')
for i in range(100000): print('    k%d: [1]' % i)
print('    k77777: [2]')")"
hostile "manykeys.yaml:100015: duplicate key 'k77777'" -f manykeys.yaml features build
