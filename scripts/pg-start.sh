#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite.
#
# stdout: two lines meant to be eval'd by the caller:
#   export SCALEGATE_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
#   export SCALEGATE_TEST_PG_DIR=/tmp/scalegate-pg.XXXXXX
# Everything else goes to stderr. Stop the server with: scripts/pg-stop.sh "$SCALEGATE_TEST_PG_DIR"
#
# Environment:
#   PG_BINDIR  directory holding pg_ctl/initdb/pg_isready (default: newest /usr/lib/postgresql/*/bin)
set -euo pipefail

log() { printf '%s\n' "pg-start: $*" >&2; }
die() { log "error: $*"; exit 1; }

find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/pg_ctl" ]] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    local best
    best=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$best" ]] || die "no PostgreSQL server binaries found under /usr/lib/postgresql/*/bin (install the 'postgresql' package)"
    dirname "$best"
}

BINDIR=$(find_bindir)

# When root, initdb/postgres refuse to run, so everything runs as the 'postgres' system user.
if [[ $(id -u) -eq 0 ]]; then
    RUN_AS_PG=1
    if ! id -u postgres >/dev/null 2>&1; then
        log "creating system user 'postgres'"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin postgres
    fi
else
    RUN_AS_PG=0
fi

# as_pg CMD ARGS... : run a command as the postgres user when we are root, directly otherwise.
as_pg() {
    if [[ $RUN_AS_PG -eq 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        local cmd
        cmd=$(printf '%q ' "$@")
        su postgres -s /bin/sh -c "$cmd"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Keep the path short: unix socket paths are limited to ~107 bytes.
TMP=$(mktemp -d /tmp/scalegate-pg.XXXXXX)
DATA=$TMP/data
SOCK=$TMP/sock
LOG=$TMP/postgres.log
STARTED=0

cleanup_on_failure() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        if [[ $STARTED -eq 1 ]]; then
            (cd "$TMP" && as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1) || true
        fi
        rm -rf -- "$TMP"
    fi
}
trap cleanup_on_failure EXIT

mkdir -p "$SOCK"
touch "$LOG"
printf '%s\n' "$BINDIR" >"$TMP/bindir"
touch "$TMP/.scalegate-pg"   # marker checked by pg-stop.sh before deleting
if [[ $RUN_AS_PG -eq 1 ]]; then
    chown -R postgres: "$TMP"
fi
chmod 700 "$TMP"

# Run from inside TMP so the postgres user is never left in an unreadable cwd (e.g. /root).
cd "$TMP"

log "initdb in $DATA (using $BINDIR)"
if ! as_pg "$BINDIR/initdb" -D "$DATA" --auth=trust -U postgres --encoding=UTF8 \
        --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1; then
    log "initdb with --locale=C.UTF-8 failed; retrying with --no-locale"
    rm -rf -- "$DATA"
    if ! as_pg "$BINDIR/initdb" -D "$DATA" --auth=trust -U postgres --encoding=UTF8 \
            --no-locale >"$TMP/initdb.log" 2>&1; then
        cat "$TMP/initdb.log" >&2
        die "initdb failed"
    fi
fi

# The port is chosen by binding port 0 and releasing it, so another process could grab it
# before postgres does; retry a few times with a fresh port in that case.
PORT=
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    log "starting server on 127.0.0.1:$port (attempt $attempt)"
    STARTED=1
    if as_pg "$BINDIR/pg_ctl" -w -t 30 -D "$DATA" -l "$LOG" \
            -o "-p $port -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
        PORT=$port
        break
    fi
    STARTED=0
    as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    log "server failed to start on port $port; log follows"
    tail -n 20 "$LOG" >&2 || true
done
if [[ -z "$PORT" ]]; then
    cat "$LOG" >&2 || true
    die "could not start PostgreSQL"
fi

PG_ISREADY=$BINDIR/pg_isready
[[ -x "$PG_ISREADY" ]] || PG_ISREADY=pg_isready
deadline=$((SECONDS + 30))
until "$PG_ISREADY" -q -h 127.0.0.1 -p "$PORT" -U postgres; do
    if ((SECONDS >= deadline)); then
        log "server not ready after 30s; log follows"
        cat "$LOG" >&2 || true
        die "PostgreSQL did not become ready"
    fi
    sleep 0.2
done

printf '%s\n' "$PORT" >"$TMP/port"
log "ready: 127.0.0.1:$PORT, dir $TMP"
printf 'export SCALEGATE_TEST_PG_URL=%q\n' "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
printf 'export SCALEGATE_TEST_PG_DIR=%q\n' "$TMP"
