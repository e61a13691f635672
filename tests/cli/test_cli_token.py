"""`scalegate token`, `scalegate user password` and `scalegate serve`."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scalegate.services import audit, auth


def _token_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith("sg_")]
    assert len(lines) == 1, out
    return lines[0]


def test_token_create_list_revoke(cli, team, db_url: str) -> None:
    r = cli("token", "create", "--user", "vic", "--name", "dashboard", db=db_url, actor="ada")
    assert r.code == 0, r.err
    token = _token_line(r.out)
    assert "will not be shown again" in r.out
    assert auth.authenticate_token(team, token).username == "vic"
    listed = cli("token", "list", "--json", db=db_url, actor="ada")
    rows = json.loads(listed.out)
    assert [(t["username"], t["name"], t["prefix"]) for t in rows] == [
        ("vic", "dashboard", token[:9])
    ]
    assert token not in listed.out
    assert token not in cli("token", "list", db=db_url, actor="vic").out
    r = cli("token", "revoke", str(rows[0]["id"]), db=db_url, actor="vic")
    assert r.code == 0 and "revoked token" in r.out
    r = cli("token", "revoke", str(rows[0]["id"]), db=db_url, actor="ada")
    assert r.code == 2 and "already revoked" in r.err
    # the audit log never holds the token
    text = io.StringIO()
    audit.export(team, text)
    assert token not in text.getvalue()


def test_token_create_json_and_lifetimes(cli, team, db_url: str) -> None:
    r = cli("token", "create", "--expires", "never", "--json", db=db_url, actor="ben")
    data = json.loads(r.out)
    assert data["username"] == "ben" and data["expires_at"] is None
    assert data["token"].startswith("sg_")
    r = cli("token", "create", "--expires", "8h", "--json", db=db_url, actor="ben")
    data = json.loads(r.out)
    assert data["expires_at"] is not None


@pytest.mark.parametrize(
    ("args", "actor", "message"),
    [
        (("--user", "ada"), "ben", "needs the admin role"),
        (("--expires", "soon"), "ben", "--expires: cannot read 'soon'"),
        (("--expires", "0d"), "ben", "--expires"),
        (("--user", "ghost"), "ada", "unknown user 'ghost'"),
        ((), None, "--user"),
    ],
)
def test_token_create_refusals(cli, team, db_url: str, args, actor, message) -> None:
    r = cli("token", "create", *args, db=db_url, actor=actor)
    assert r.code == 2 and message in r.err, r.err
    assert "Traceback" not in r.err
    assert auth.list_tokens(team, actor="ada") == []


def test_user_password_from_stdin(cli, team, db_url: str, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a good long password\n"))
    r = cli("user", "password", "ben", "--password-stdin", db=db_url, actor="ben")
    assert r.code == 0, r.err
    assert auth.verify_password(team, "ben", "a good long password").username == "ben"
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    r = cli("user", "password", "ben", "--password-stdin", db=db_url, actor="ben")
    assert r.code == 2 and "at least 8 characters" in r.err
    monkeypatch.setattr(sys, "stdin", io.StringIO("a good long password\n"))
    r = cli("user", "password", "carla", "--password-stdin", db=db_url, actor="ben")
    assert r.code == 2 and "admin" in r.err


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}


def test_help_does_not_import_the_server(tmp_path: Path) -> None:
    code = (
        "import sys; from scalegate.cli.app import run; run(['--help']); "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=tmp_path
    )
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr
    assert "serve" in out.stdout and "token" in out.stdout


def test_serve_without_the_api_extra_names_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None; from scalegate.cli.app import run; "
        f"sys.exit(run(['--db', {str(tmp_path / 'x.db')!r}, 'serve']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=tmp_path
    )
    assert out.returncode == 2
    assert "pip install 'scalegate[api]'" in out.stderr and "Traceback" not in out.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_over_http(team, db_url: str, tmp_path: Path) -> None:
    import httpx

    token, _ = auth.create_token(team, "vic", "serve-test", actor="ada")
    port = _free_port()
    scalegate = Path(sys.executable).parent / "scalegate"
    proc = subprocess.Popen(
        [str(scalegate), "--db", db_url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"scalegate serve died: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("scalegate serve did not answer within 60 s")
            time.sleep(0.2)
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["username"] == "vic"
        assert httpx.get(f"{base}/api/v1/me").status_code == 401
    finally:
        proc.terminate()
        proc.communicate(timeout=30)  # also closes the pipe
