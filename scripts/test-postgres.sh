#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL cluster on 127.0.0.1 for the history store's tests
# and benchmark, and prints the URL to export as WHEELWATCH_TEST_PG:
#
#   export WHEELWATCH_TEST_PG="$(scripts/test-postgres.sh)"
#
# Needs Debian's `postgresql` package (.ci/run installs it). initdb refuses to run as root, so
# the cluster belongs to the `postgres` user when this runs as root. Password authentication
# (scram-sha-256) on 127.0.0.1 only; data in a temporary directory. `scripts/test-postgres.sh
# stop` stops it.
set -euo pipefail

DIR="${WHEELWATCH_PG_DIR:-/tmp/wheelwatch-test-pg}"
PORT="${WHEELWATCH_PG_PORT:-55432}"
PASSWORD=wheelwatch-test
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ]; then
  echo "test-postgres: no PostgreSQL server found (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ "${1:-}" = stop ]; then
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi

if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    rm -rf "$DIR"
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_owner sh -c "umask 077; echo '$PASSWORD' > '$DIR/pwfile'"
    as_owner "$BIN/initdb" -D "$DIR/data" -U wheelwatch --pwfile="$DIR/pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-instructions \
      >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" \
    start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
fi
echo "postgres://wheelwatch:$PASSWORD@127.0.0.1:$PORT/postgres"
