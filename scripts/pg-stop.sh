#!/usr/bin/env bash
# Stop a server started by scripts/pg-start.sh and delete its directory.
# Usage: scripts/pg-stop.sh DIR   (DIR = $SCALEGATE_TEST_PG_DIR)
set -euo pipefail

log() { printf '%s\n' "pg-stop: $*" >&2; }

DIR=${1:-}
if [[ -z "$DIR" ]]; then
    log "usage: $0 DIR"
    exit 2
fi
if [[ ! -d "$DIR" ]]; then
    log "$DIR does not exist; nothing to do"
    exit 0
fi
if [[ ! -e "$DIR/.scalegate-pg" ]]; then
    log "refusing to touch $DIR: not created by pg-start.sh"
    exit 1
fi

DATA=$DIR/data
BINDIR=
[[ -r "$DIR/bindir" ]] && BINDIR=$(<"$DIR/bindir")
if [[ -z "$BINDIR" || ! -x "$BINDIR/pg_ctl" ]]; then
    BINDIR=$(dirname "$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1 || true)")
fi

as_pg() {
    if [[ $(id -u) -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        local cmd
        cmd=$(printf '%q ' "$@")
        su postgres -s /bin/sh -c "$cmd"
    fi
}

rc=0
if [[ -f "$DATA/postmaster.pid" ]]; then
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
    if ! (cd "$DIR" && as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null); then
        log "fast shutdown failed; trying immediate"
        (cd "$DIR" && as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 10 stop >/dev/null) || rc=1
    fi
    # Last resort: make sure the postmaster is really gone before deleting its files.
    # Only kill it if that pid really is the postmaster of this data dir (pid files can be stale).
    if [[ "${pid:-}" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
            && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DATA"; then
        log "postmaster $pid still alive; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        rc=1
    fi
fi

rm -rf -- "$DIR"
log "stopped and removed $DIR"
exit "$rc"
