# Dirty data in a source file (issue 10, items 12 and 13): rows with an
# empty entity key or timestamp, text that is not UTF-8, a file whose every
# row is rejected (even under a generous budget) or that has no data row,
# a selected column named twice in the header, bad null_keys/encoding keys.
# Each is refused naming file:line and column; the last good outputs (CSV,
# .fcol, schema, online store) stay byte-identical.
# Sourced by ../hostile_input.sh in a fresh directory; see it for `hostile`.
cat > ferry.yaml <<'YAML'
name: dirty
sources:
  t:
    path: data.csv
    entity: id
    timestamp: day
    columns: {id: string, amount: float, day: date, note: string, city: category}
features:
  - {name: n_prev, window: count}
output: {dir: out}
online: {enabled: true}
YAML
H='id,amount,day,note,city'
printf '%s\na,1.5,2020-01-01,x,Santiago\nb,2.5,2020-01-02,y,Temuco\na,3.5,2020-01-03,z,Santiago\n' "$H" > data.csv
"$FERRY_BIN" -q features build > /dev/null # the last good outputs

# an empty entity key would pool unrelated rows into one entity
printf '%s\na,1.5,2020-01-01,x,Santiago\n,2.5,2020-01-02,y,Temuco\n,3.5,2020-01-03,z,Temuco\n' "$H" > data.csv
hostile "data.csv:3: column id: '' is empty: the entity key of sources.t" features build
# quoted empty, or only under the budget: still named, still no outputs
printf '%s\na,1.5,2020-01-01,x,Santiago\n"",2.5,2020-01-02,y,Temuco\n' "$H" > data.csv
hostile "data.csv:3: column id: '' is empty" features build
# an event without a time is in no window
printf '%s\na,1.5,2020-01-01,x,Santiago\nb,2.5,,y,Temuco\n' "$H" > data.csv
hostile "data.csv:3: column day: '' is empty: the timestamp of sources.t" features build
# Latin-1 bytes in a string column, then in a quoted category value
printf '%s\na,1.5,2020-01-01,caf\xe9,Santiago\n' "$H" > data.csv
hostile "data.csv:2: column note: 'caf\\xE9' is not valid UTF-8" features build
printf '%s\na,1.5,2020-01-01,x,Santiago\nb,2.5,2020-01-02,y,"Conc\xe9pci\xf3n, ""8"""\n' "$H" > data.csv
hostile "data.csv:3: column city: 'Conc\\xE9pci\\xF3n, \"8\"' is not valid UTF-8" features build
# overlong '/' and a surrogate: not UTF-8 either
printf '%s\na,1.5,2020-01-01,\xc0\xaf,Santiago\nb,2.5,2020-01-02,\xed\xa0\x80,Temuco\n' "$H" > data.csv
hostile "data.csv:2: column note: '\\xC0\\xAF' is not valid UTF-8" features build
# every row rejected: a generous budget must not publish an empty table
printf '%s\n,1.5,2020-01-01,x,Santiago\nb,abc,2020-01-02,y,Temuco\n' "$H" > data.csv
hostile "2 of 2 rows rejected (budget 1000, and no row is left); first: $PWD/data.csv:2: column id" \
  --set sources.t.max_rejects=1000 features build
hostile "and no row is left" --set sources.t.max_reject_fraction=1 features build
# a header and nothing else
printf '%s\n' "$H" > data.csv
hostile "data.csv:2: no data rows after the header" features build
# which 'amount' did the spec mean?
printf 'id,amount,day,note,city,"amount"\na,1.5,2020-01-01,x,Santiago,9\n' > data.csv
hostile "data.csv:1: column 'amount' appears twice in the header (fields 2 and 6)" features build
# the keys that choose the behaviour are checked
printf '%s\na,1.5,2020-01-01,x,Santiago\n' "$H" > data.csv
hostile "sources.t: null_keys must be reject or keep, not 'pool'" --set sources.t.null_keys=pool features build
hostile "sources.t: encoding must be utf-8 or latin1, not 'cp1252'" --set sources.t.encoding=cp1252 features build
# a failed build says where every rejected row is listed
printf '%s\na,1.5,2020-01-01,x,Santiago\n,2.5,2020-01-02,y,Temuco\n' "$H" > data.csv
hostile "(all rejected rows are listed in $PWD/out/rejects-t.csv)" features build
