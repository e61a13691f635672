"""The installed ``scalegate`` entry point, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import snapshot

SCALEGATE = Path(sys.executable).parent / "scalegate"


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    base.pop("COLUMNS", None)  # the default 80 columns must not wrap error messages
    base.update(env or {})
    return subprocess.run(
        [str(SCALEGATE), *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_entry_point_is_installed() -> None:
    assert SCALEGATE.exists(), f"no console script next to {sys.executable}"


def test_help(tmp_path: Path) -> None:
    r = run("--help", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for command in ("usecase", "gate", "promote", "approve", "waive", "portfolio", "demo"):
        assert command in r.stdout
    r = run("usecase", "--help", cwd=tmp_path)
    assert r.returncode == 0 and "add" in r.stdout and "edit" in r.stdout
    assert list(tmp_path.iterdir()) == []  # --help never creates a database


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """A working directory apart from the SQLite test database (which lives in tmp_path)."""
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.mark.slow
def test_demo_and_gate_exit_codes(db_url: str, cwd: Path) -> None:
    r = run("demo", "--no-serve", "--db", db_url, cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "created 9 use cases" in r.stdout and "stalled" in r.stdout
    assert r.stderr == ""
    r = run("--db", db_url, "gate", "churn-prediction", "--to", "production", cwd=cwd)
    assert r.returncode == 1, r.stderr
    assert "FAILS" in r.stdout and "missing approval from risk" in r.stdout
    r = run("--db", db_url, "gate", "fraud-alerts", "--json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["passed"] is True
    r = run("--db", db_url, "audit", "verify", cwd=cwd)
    assert r.returncode == 0 and "intact" in r.stdout
    assert list(cwd.iterdir()) == []


@pytest.mark.slow
def test_bad_input_exits_2_with_one_line(db_url: str, cwd: Path) -> None:
    r = run("--db", db_url, "user", "add", "ada", "--role", "admin", cwd=cwd)
    assert r.returncode == 0, r.stderr
    before = snapshot(db_url)
    bad = cwd / "policy.yaml"
    bad.write_text(
        "name: x\ngates:\n  pilot:\n    - id: a-rather-long-criterion-id\n"
        "      kind: no-such-kind-of-criterion-at-all\n",
        encoding="utf-8",
    )
    cases = [
        # longer than 80 columns: must still be one line when stderr is not a terminal
        (["--as", "ada", "policy", "apply", str(bad)], "policy.yaml, line 5"),
        (["--as", "ada", "usecase", "add", "Bad Slug"], "field 'slug'"),
        (["--as", "ada", "usecase", "add", "abc", "--kpi", "a:b:c"], "--kpi 'a:b:c'"),
        (["gate", "nope"], "unknown use case 'nope'"),
        (["--as", "ada", "promote", "--bogus"], "no such option: --bogus"),
    ]
    for args, expected in cases:
        r = run("--db", db_url, *args, cwd=cwd)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr + r.stdout, args
        assert expected in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert r.stderr.startswith("error: ")
    assert snapshot(db_url) == before


@pytest.mark.slow
def test_scalegate_db_and_user_from_the_environment(db_url: str, cwd: Path) -> None:
    env = {"SCALEGATE_DB": db_url}
    r = run("user", "add", "ada", "--role", "admin", cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    env["SCALEGATE_USER"] = "ada"
    r = run("usecase", "add", "from-env", "--name", "From env", cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    # the database named by SCALEGATE_DB holds it, created by the SCALEGATE_USER actor
    rows = snapshot(db_url)
    assert any("'from-env'" in row for row in rows["use_cases"])
    assert any("'usecase.created'" in row and "'ada'" in row for row in rows["audit_events"])
    # --db wins over SCALEGATE_DB
    other = cwd / "other.db"
    r = run("--db", str(other), "usecase", "list", "--json", cwd=cwd, env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == []
    assert sorted(p.name for p in cwd.iterdir()) == ["other.db"]


def test_default_database_is_scalegate_db_in_the_working_directory(tmp_path: Path) -> None:
    r = run("init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "scalegate.db").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_until_interrupted_and_its_login_works(tmp_path: Path, cwd: Path) -> None:
    """``scalegate demo`` ends by serving the demo; the printed login is a real one."""
    import signal
    import time

    import httpx

    from scalegate.services.demo import DEMO_PASSWORD

    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    db = tmp_path / "demo.db"
    proc = subprocess.Popen(
        [str(SCALEGATE), "demo", "--db", str(db), "--port", str(port)],
        cwd=cwd,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the demo server did not come up"
            time.sleep(0.3)
        r = httpx.post(f"{url}/api/v1/login", json={"username": "rita", "password": DEMO_PASSWORD})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        r = httpx.get(f"{url}/api/v1/portfolio", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["total"] == 9
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}" in out and DEMO_PASSWORD in out
    assert "Traceback" not in err


def test_demo_on_a_busy_port_fails_before_building(cwd: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run("demo", "--port", str(port), cwd=cwd)
    assert r.returncode == 2, r.stdout
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
    assert list(cwd.iterdir()) == []  # no database was created
