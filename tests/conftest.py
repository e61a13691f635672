"""Shared fixtures.

``db_url`` runs every storage test twice: on a fresh SQLite file and on a fresh schema of
the PostgreSQL server that ``scripts/test.sh`` starts (``SCALEGATE_TEST_PG_URL``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

# Property tests judge correctness, not speed: on a loaded 2-core CI machine (with Spark and
# PostgreSQL beside the suite) a per-example deadline only produces flaky failures.
settings.register_profile("scalegate", deadline=None)
settings.load_profile("scalegate")

PG_URL = os.environ.get("SCALEGATE_TEST_PG_URL")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SCALEGATE_* variable from the caller's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("SCALEGATE_") and key != "SCALEGATE_TEST_PG_URL":
            monkeypatch.delenv(key, raising=False)


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    url = sa.engine.make_url(PG_URL)
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each backend, private to this test."""
    if request.param == "sqlite":
        yield str(tmp_path / "scalegate.db")
        return
    if PG_URL is None:
        if os.environ.get("CI"):
            pytest.fail("SCALEGATE_TEST_PG_URL is not set; run the suite via scripts/test.sh")
        pytest.skip("PostgreSQL not available: run via scripts/test.sh")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(db_url: str):
    from scalegate.services.workspace import open_store

    s = open_store(db_url)
    yield s
    s.close()


TEAM = [
    ("ada", "admin", []),
    ("ben", "contributor", []),
    ("carla", "contributor", []),
    ("rita", "approver", ["risk"]),
    ("omar", "approver", ["business", "data"]),
    ("eve", "approver", ["executive"]),
    ("vic", "viewer", []),
]


@pytest.fixture
def team(store):
    """A store with an admin (ada), contributors, approvers and a viewer."""
    from scalegate.services import users

    for name, role, domains in TEAM:
        users.add(store, name, role=role, domains=domains, actor=None if name == "ada" else "ada")
    return store


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run the CLI in-process: ``cli("gate", "x", db=url)`` -> CliResult."""
    from scalegate.cli.app import run

    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str, db: str | None = None, actor: str | None = None) -> CliResult:
        argv: list[str] = []
        if db is not None:
            argv += ["--db", db]
        if actor is not None:
            argv += ["--as", actor]
        capsys.readouterr()
        code = run([*argv, *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke
