# Source this to get a throwaway PostgreSQL 15 cluster on a loopback port:
#   pg_start            starts it (data in a temp dir owned by postgres)
#   pg_psql ARGS...     psql connected as user ferry to database postgres
#   pg_stop             stops it and removes the directory (also on EXIT)
# initdb refuses to run as root, so the cluster runs as the `postgres` user
# the Debian package creates.  Needs the postgresql package (scripts/deps).
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
PG_DIR=""
PG_PORT=""

pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  [ -x "$PG_BIN/initdb" ] || { echo "pg.sh: PostgreSQL binaries not found" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/ferry-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
  PG_PORT=$((20000 + RANDOM % 20000))
  pg_run "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U ferry >/dev/null
  pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null
  trap pg_stop EXIT
}

pg_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U ferry -d postgres "$@"
}

pg_stop() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
  PG_DIR=""
}
