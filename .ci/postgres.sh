#!/usr/bin/env bash
# A PostgreSQL server on loopback for the campaign-store tests.
#
#   eval "$(bash .ci/postgres.sh)"      # from .ci/run (or a shell)
#
# Installs Debian's postgresql when no server binaries are found (apt-get, as root or via
# sudo -n), starts a private cluster (initdb in $IONOPT_PG_DIR, default /tmp/ionopt-ci-pg,
# listening on 127.0.0.1:$IONOPT_PG_PORT, default 54329; no Unix socket in /var/run),
# creates role ionopt (password ionopt, CREATEDB: every test makes its own database) and
# database ionopt_test. Idempotent: an existing cluster is reused and started if needed.
# Progress goes to stderr; stdout carries only the export lines, also written to
# $IONOPT_PG_DIR/env.sh. Exits non-zero (and prints nothing on stdout) on failure.
set -euo pipefail

PGDIR="${IONOPT_PG_DIR:-/tmp/ionopt-ci-pg}"
PORT="${IONOPT_PG_PORT:-54329}"
DATA="$PGDIR/data"
LOG="$PGDIR/server.log"
URL="postgresql+psycopg://ionopt:ionopt@127.0.0.1:${PORT}/ionopt_test"

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

BIN=$(find_bin)
if [ -z "$BIN" ]; then
    say "no PostgreSQL server found; installing Debian's postgresql"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo -n"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN=$(find_bin)
    [ -n "$BIN" ] || { say "postgresql installed but initdb not found"; exit 1; }
fi

# PostgreSQL refuses to run as root: use the postgres user then (it exists once the
# package is installed), else the current user.
if [ "$(id -u)" -eq 0 ]; then
    RUNAS=(runuser -u postgres --)
    OWNER=postgres
else
    RUNAS=()
    OWNER=$(id -un)
fi

mkdir -p "$PGDIR"
chown "$OWNER" "$PGDIR"
chmod 700 "$PGDIR"

if [ ! -s "$DATA/PG_VERSION" ]; then
    say "initdb in $DATA"
    "${RUNAS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >&2 2>&1 \
        || "${RUNAS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >&2
fi

if ! "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "starting the server on 127.0.0.1:$PORT"
    "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c max_connections=200 -c fsync=on" >&2 \
        || { say "server failed to start; log:"; tail -n 30 "$LOG" >&2; exit 1; }
fi

PSQL=("${RUNAS[@]}" "$BIN/psql" -h "$PGDIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
"${PSQL[@]}" >&2 <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ionopt') THEN
        CREATE ROLE ionopt LOGIN PASSWORD 'ionopt' CREATEDB;
    ELSE
        ALTER ROLE ionopt LOGIN PASSWORD 'ionopt' CREATEDB;
    END IF;
END
$$;
SQL
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'ionopt_test'")" != "1" ]; then
    "${PSQL[@]}" -c "CREATE DATABASE ionopt_test OWNER ionopt" >&2
fi

ENV_LINES="export IONOPT_TEST_POSTGRES_URL='$URL'"
printf '%s\n' "$ENV_LINES" > "$PGDIR/env.sh"
say "ready: $URL (stop with: ${RUNAS[*]} $BIN/pg_ctl -D $DATA stop)"
printf '%s\n' "$ENV_LINES"
