# `ferry validate` on hostile and drifted project files (issue 10, item 16):
# it reads no data and writes nothing, yet refuses what `features build`
# and `train` would, naming the file and line.  Sourced by
# ../hostile_input.sh in a fresh directory; see it for `hostile`.

# the YAML windows.md used to show (kind/agg/value: not ferry's keys)
hostile_spec kind.yaml "  - {name: avg, kind: window, agg: mean, value: amount}"
hostile "kind.yaml:11: features[2]: unknown key 'kind'" -f kind.yaml validate
# an expression naming a column no source declares
hostile_spec col.yaml "  - {name: twice, expr: amout * 2}"
hostile "col.yaml:11: features[2] 'twice': expr 'amout * 2': 1:1: unknown column 'amout'" -f col.yaml validate
# a window frame that is no duration
hostile_spec over.yaml "  - {name: s, window: sum, of: amount, over: 3x}"
hostile "over.yaml:11: features[2] 's': duration '3x'" -f over.yaml validate
# the metric docs/registry.md used to name
hostile_spec metric.yaml
hostile "unknown metric 'roc_auc'" -f metric.yaml --set model.metric=roc_auc validate
# model.exclude naming a column the features do not make
hostile_spec excl.yaml "" "model: {exclude: [nb_loan]}"
hostile "excl.yaml:13: model: 'nb_loan' in exclude is not a column of the feature table" -f excl.yaml validate
# a billion laughs and a 32,700-term chain: refused as fast as by build
hostile_spec laughs.yaml "" "$(hostile_laughs)"
hostile "laughs.yaml" -f laughs.yaml validate
hostile_spec chain.yaml "  - {name: chain, expr: \"amount$(python3 -c "print('-1' * 32700)")\"}"
hostile "chain.yaml:11: features[2] 'chain'" -f chain.yaml validate
