#!/usr/bin/env bash
# Full local/CI check: venv + deps (Java for Spark, Chromium for the browser tests), throwaway
# PostgreSQL, ruff, import-linter, mypy, pytest.
# Usage: scripts/test.sh [pytest args...]
# If SCALEGATE_TEST_PG_URL is already set, that database is used and no server is started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

START_TIME=$SECONDS
PG_DIR=
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '==> %s\n' "$*" >&2; }

# shellcheck disable=SC2317  # invoked via trap
on_exit() {
    local rc=$?
    if [[ -n "$PG_DIR" ]]; then
        say "stopping PostgreSQL"
        ./scripts/pg-stop.sh "$PG_DIR" || true
    fi
    say "finished in $((SECONDS - START_TIME))s (exit code $rc)"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run a command as root (via sudo when we are not root).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        say "need root (or sudo) to run: $*"
        return 1
    fi
}

apt_install() {
    say "apt-get install $*"
    as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends "$@"
}

newest_pg_ctl() {
    find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1 || true
}

# --- python environment -----------------------------------------------------------------
if ! .venv/bin/python -c '' >/dev/null 2>&1; then
    say "creating .venv"
    rm -rf .venv
    if ! python3 -m venv .venv; then
        # Debian's python3 ships without ensurepip unless python3-venv is installed.
        rm -rf .venv
        py_minor=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        apt_install python3-venv "python${py_minor}-venv"
        python3 -m venv .venv
    fi
fi

say "installing python packages"
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e '.[postgres,dev,spark]'

# --- Java, for the Spark tests -------------------------------------------------------------
if ! command -v java >/dev/null 2>&1; then
    say "java not found; installing a headless JRE for PySpark"
    # slim Debian images lack this folder, and the JRE's postinst fails without it
    as_root mkdir -p /usr/share/man/man1
    apt_install openjdk-17-jre-headless
fi

# --- Chromium, for the browser tests (Playwright drives Debian's; it never downloads one) ---
if [[ -z "${SCALEGATE_CHROMIUM:-}" ]] && ! command -v chromium >/dev/null 2>&1 \
    && ! command -v chromium-browser >/dev/null 2>&1; then
    say "chromium not found; installing Debian's for the web dashboard's browser tests"
    apt_install chromium
fi

# --- PostgreSQL ---------------------------------------------------------------------------
if [[ -n "${SCALEGATE_TEST_PG_URL:-}" ]]; then
    say "using existing database from SCALEGATE_TEST_PG_URL"
else
    if [[ -z "$(newest_pg_ctl)" ]]; then
        say "PostgreSQL server binaries not found; installing"
        # The package's postinst may create (and, with an init system, start) a default
        # 'main' cluster on port 5432. We never use it, and a failure there is not fatal for
        # us as long as the binaries got unpacked, so judge success by pg_ctl existing.
        if ! apt_install postgresql; then
            say "apt-get reported an error; checking whether the server binaries are usable anyway"
        fi
        if [[ -z "$(newest_pg_ctl)" ]]; then
            say "PostgreSQL installation failed: no /usr/lib/postgresql/*/bin/pg_ctl"
            exit 1
        fi
    fi
    say "starting throwaway PostgreSQL"
    unset SCALEGATE_TEST_PG_DIR
    pg_env=$(./scripts/pg-start.sh)
    eval "$pg_env"
    PG_DIR=${SCALEGATE_TEST_PG_DIR:?pg-start.sh did not report a directory}
fi
export SCALEGATE_TEST_PG_URL

# --- checks -------------------------------------------------------------------------------
# Every step runs even if an earlier one failed (more feedback per CI run); the script exits
# with the exit code of the first failing step. Set SCALEGATE_FAIL_FAST=1 to stop at the first
# failure instead.
FIRST_RC=0
FAILED_STEPS=()
run_step() {
    local name=$1
    shift
    say "$name"
    local rc=0
    "$@" || rc=$?
    if [[ $rc -ne 0 ]]; then
        say "FAILED: $name (exit code $rc)"
        FAILED_STEPS+=("$name")
        if [[ $FIRST_RC -eq 0 ]]; then
            FIRST_RC=$rc
        fi
        if [[ "${SCALEGATE_FAIL_FAST:-0}" == 1 ]]; then
            exit "$rc"
        fi
    fi
}

run_step "ruff check" .venv/bin/ruff check src tests
run_step "ruff format --check" .venv/bin/ruff format --check src tests

if [[ -f .importlinter ]] || grep -qE '^\[tool\.importlinter\]' pyproject.toml 2>/dev/null; then
    run_step "lint-imports" .venv/bin/lint-imports
else
    say "lint-imports: skipped (no import-linter config)"
fi

if grep -qE '^\[tool\.mypy\]' pyproject.toml 2>/dev/null; then
    run_step "mypy src" .venv/bin/mypy src
else
    say "mypy: skipped (no [tool.mypy] in pyproject.toml)"
fi

# pytest exit code 5 ("no tests collected") is non-zero and therefore a failure here too.
# Two workers by default (CI has 2 cores); later arguments win, so `-n 0` runs serially.
run_step "pytest" .venv/bin/python -m pytest -n "${SCALEGATE_TEST_WORKERS:-2}" "$@"

if [[ $FIRST_RC -ne 0 ]]; then
    say "failed steps: ${FAILED_STEPS[*]}"
fi
exit "$FIRST_RC"
