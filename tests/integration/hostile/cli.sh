# Hostile command lines and options (issue 10, item 5 and others).
# Sourced by ../hostile_input.sh in a fresh directory; see it for `hostile`.
hostile "unknown command 'nosuch'" nosuch
hostile "init: --rows" init credit-risk proj --rows -5
