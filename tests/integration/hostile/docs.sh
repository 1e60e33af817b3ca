# `ferry validate` on hostile and drifted project files (issue 10, item 16):
# it reads no data and writes nothing, yet refuses what `features build`
# and `train` would, naming the file and line.  Sourced by
# ../hostile_input.sh in a fresh directory; see it for `hostile`.

vspec() { # vspec FILE [EXTRA_FEATURES] [EXTRA_TOP_LEVEL]
  cat > "$1" <<YAML
name: docs
sources:
  loans:
    path: loans.csv
    entity: id
    timestamp: loan_date
    columns: {id: int, loan_date: date, amount: float, bad: int}
features:
  - {name: nb_loans, window: count}
${2:-}
label: bad
${3:-}
YAML
}

# the YAML windows.md used to show (kind/agg/value: not ferry's keys)
vspec kind.yaml "  - {name: avg, kind: window, agg: mean, value: amount}"
hostile "kind.yaml:10: features[1]: unknown key 'kind'" -f kind.yaml validate
# an expression naming a column no source declares
vspec col.yaml "  - {name: twice, expr: amout * 2}"
hostile "col.yaml:10: features[1] 'twice': expr 'amout * 2': 1:1: unknown column 'amout'" -f col.yaml validate
# a window frame that is no duration
vspec over.yaml "  - {name: s, window: sum, of: amount, over: 3x}"
hostile "over.yaml:10: features[1] 's': duration '3x'" -f over.yaml validate
# the metric docs/registry.md used to name
vspec metric.yaml
hostile "unknown metric 'roc_auc'" -f metric.yaml --set model.metric=roc_auc validate
# model.exclude naming a column the features do not make
vspec excl.yaml "" "model: {exclude: [nb_loan]}"
hostile "excl.yaml:12: model: 'nb_loan' in exclude is not a column of the feature table" -f excl.yaml validate
# a billion laughs and a 32,700-term chain: refused as fast as by build
vspec laughs.yaml "" "$(python3 -c "
print('lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]')
for i in range(1, 10):
    print('lol%d: &l%d [%s]' % (i, i, ', '.join(['*l%d' % (i - 1)] * 10)))")"
hostile "laughs.yaml" -f laughs.yaml validate
vspec chain.yaml "  - {name: chain, expr: \"amount$(python3 -c "print('-1' * 32700)")\"}"
hostile "chain.yaml:10: features[1] 'chain'" -f chain.yaml validate
