# Hostile command lines and options (issue 10, item 5 and others).
# Sourced by ../hostile_input.sh in a fresh directory; see it for `hostile`.
hostile "unknown command 'nosuch'" nosuch
hostile "init: --rows" init credit-risk proj --rows -5

# Numeric options are parsed strictly (digits only, in range), by one helper.
hostile "init: --rows '10x'" init credit-risk proj --rows 10x
hostile "init: --rows '99999999999999999999'" init credit-risk proj --rows 99999999999999999999
hostile "init: --rows '+5'" init credit-risk proj --rows +5
hostile "demo: --rows '-1'" demo d --rows -1
hostile "models promote: --tolerance 'nan'" models promote m 1 --tolerance nan
# A missing option value is named, never taken for an unknown option (or,
# for --set, the command name swallowed as the value).
hostile "init: --rows needs a value" init credit-risk proj --rows
hostile "predict: --model needs a value" predict --model
hostile "features sql: --dialect needs a value" features sql --dialect
hostile "--registry needs a value" --registry
hostile "--set 'features': expected KEY=VALUE" --set features build
hostile "init: unknown option '--bogus'" init credit-risk proj --bogus
# -C and -f name what is wrong with the directory or file.
hostile "-C no-such-dir: cannot change directory: No such file or directory" -C no-such-dir features build
mkdir adir
hostile "adir: is a directory" -f adir features build
