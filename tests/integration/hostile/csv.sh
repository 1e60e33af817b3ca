# Hostile CSV sources (issue 10, item 1 and the reader's fatal errors).
# Sourced by ../hostile_input.sh in a fresh directory; see it for `hostile`.
# Every case is `features build` over a bad file set with --set; a good
# build first leaves outputs in out/ that no failed build may touch.
printf 'pad,y\na,1\n' > ok.csv
cat > ferry.yaml <<'YAML'
name: h
sources:
  s:
    path: ok.csv
    columns:
      y: int
features:
  - name: y2
    expr: y * 2
YAML
"$FERRY_BIN" -q features build > /dev/null
# the issue's repro: 64 long rows, then 5000 short ones; it overflowed the
# value slab on 13152cc (exit 134).  Here a second source is missing, or
# the last row is bad: the skewed file must be read before the clean error.
{
  echo 'pad,y'
  pad=$(printf '%060d' 0 | tr 0 x)
  for i in $(seq 0 63); do echo "$pad,$((i % 2))"; done
  for i in $(seq 0 4999); do echo ",$((i % 2))"; done
} > skew.csv
cat > two.yaml <<'YAML'
name: h
sources:
  s:
    path: skew.csv
    columns:
      y: int
  t:
    path: missing.csv
    columns:
      y: int
features:
  - name: y2
    expr: y * 2
output:
  dir: out
YAML
{ cat skew.csv; echo ',abc'; } > skew_bad.csv
printf 'pad,y\na,1\nb\0,2\n' > nul.csv
printf 'p\0d,y\na,1\n' > nul_header.csv
printf 'pad,y\na,1\n"b,2\nc,3\n' > unterminated.csv
: > empty.csv
printf 'pad,z\na,1\n' > no_column.csv
awk 'BEGIN { print "pad,y"; print "a,1"; s = ""; for (i = 0; i < 100000; i++) s = s ","; print s }' > wide_row.csv
awk 'BEGIN { print "pad,y"; s = "b,"; for (i = 0; i < 21; i++) s = s s; print s }' > long_line.csv
awk 'BEGIN { print "pad,y"; s = "q"; for (i = 0; i < 21; i++) s = s s; print "\"" s }' > long_quote.csv
awk 'BEGIN { s = "c0"; for (i = 1; i < 100000; i++) s = s ",c" i; print s }' > wide_header.csv
mkdir dir.csv

hostile "missing.csv: No such file" -f two.yaml features build
hostile "missing.csv: No such file" -f two.yaml --set sources.s.threads=1 features build
hostile "skew_bad.csv:5066: column y: 'abc' is not an integer" --set sources.s.path=skew_bad.csv features build
hostile "nul.csv:3: NUL byte in input" --set sources.s.path=nul.csv features build
hostile "nul_header.csv:1: NUL byte in header" --set sources.s.path=nul_header.csv features build
hostile "unterminated.csv:3: unterminated quoted field" --set sources.s.path=unterminated.csv features build
hostile "empty.csv:1: empty file" --set sources.s.path=empty.csv features build
hostile "no_column.csv:1: column 'y' not in header; did you mean 'z'" --set sources.s.path=no_column.csv features build
hostile "wide_row.csv:3: expected 2 fields, found 100001" --set sources.s.path=wide_row.csv features build
hostile "long_line.csv:2: line is" --set sources.s.path=long_line.csv features build
hostile "long_quote.csv:2: quoted field runs past max_line_bytes" --set sources.s.path=long_quote.csv features build
hostile "wide_header.csv:1: column 'y' not in header" --set sources.s.path=wide_header.csv features build
hostile "dir.csv: not a regular file" --set sources.s.path=dir.csv features build
