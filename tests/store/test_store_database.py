"""Opening the store: URL resolution, SQLite set-up, write locking and clear errors."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from scalegate.errors import StoreError
from scalegate.store import Store, resolve_url
from scalegate.store.database import WRITE_LOCK_KEY, redact
from scalegate.store.tables import audit_events, evidence

# ---------------------------------------------------------------------------- resolve_url


def test_plain_relative_path_becomes_an_absolute_sqlite_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_url("work.db") == f"sqlite:///{tmp_path.resolve() / 'work.db'}"
    assert resolve_url(Path("sub") / "x.db") == f"sqlite:///{tmp_path.resolve() / 'sub' / 'x.db'}"
    assert resolve_url("  work.db  ") == f"sqlite:///{tmp_path.resolve() / 'work.db'}"


def test_absolute_path(tmp_path: Path) -> None:
    assert resolve_url(tmp_path / "a.db") == f"sqlite:///{tmp_path.resolve() / 'a.db'}"


def test_home_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_url("~/scalegate.db") == f"sqlite:///{tmp_path.resolve() / 'scalegate.db'}"


def test_path_with_spaces_and_unicode(tmp_path: Path) -> None:
    folder = tmp_path / "my data é"
    folder.mkdir()
    url = resolve_url(folder / "ws.db")
    assert url == f"sqlite:///{folder.resolve() / 'ws.db'}"
    with Store(url) as store:
        assert store.current_revision() is not None
    assert (folder / "ws.db").exists()


@pytest.mark.parametrize(
    "given",
    [
        "postgres://ada:s3cret@db.example:5432/sg",
        "postgresql://ada:s3cret@db.example:5432/sg",
        "postgresql+psycopg2://ada:s3cret@db.example:5432/sg",
        "postgresql+psycopg://ada:s3cret@db.example:5432/sg",
    ],
)
def test_postgres_urls_use_psycopg3(given: str) -> None:
    # the password must survive: it is what connects
    assert resolve_url(given) == "postgresql+psycopg://ada:s3cret@db.example:5432/sg"


def test_sqlite_urls_pass_through(tmp_path: Path) -> None:
    assert resolve_url(f"sqlite:///{tmp_path}/x.db") == f"sqlite:///{tmp_path}/x.db"
    assert resolve_url("sqlite://") == "sqlite://"


@pytest.mark.parametrize(
    "url", ["mysql://u:p@host/db", "oracle+cx_oracle://u@h/db", "mssql+pyodbc://h/db"]
)
def test_unsupported_scheme_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match="unsupported database") as info:
        resolve_url(url)
    assert "postgresql://" in str(info.value)  # says what to use instead


def test_unparseable_url_is_refused() -> None:
    with pytest.raises(StoreError, match="cannot parse database URL"):
        resolve_url("://nothing")


@pytest.mark.parametrize("blank", ["", "   "])
def test_empty_url_is_refused(blank: str) -> None:
    with pytest.raises(StoreError, match="empty database URL"):
        resolve_url(blank)


def test_directory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory") as info:
        resolve_url(str(tmp_path))
    assert str(tmp_path) in str(info.value)
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)  # type: ignore[arg-type]


def test_missing_parent_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "deeper" / "x.db"
    with pytest.raises(StoreError) as info:
        Store(str(target))
    message = str(info.value)
    assert "does not exist" in message
    assert str(tmp_path / "nope" / "deeper") in message
    assert not (tmp_path / "nope").exists()  # nothing was created on the way


def test_redact_hides_the_password() -> None:
    assert redact("postgresql+psycopg://ada:s3cret@h/db") == "postgresql+psycopg://ada:***@h/db"
    assert redact("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite, just some text " * 100)
    with pytest.raises(StoreError, match="cannot open database") as info:
        Store(str(bogus))
    assert "not a database" in str(info.value)


# ---------------------------------------------------------------------------- SQLite set-up


def test_sqlite_pragmas_are_in_effect(tmp_path: Path) -> None:
    with Store(str(tmp_path / "p.db")) as store:
        assert store.is_sqlite
        for tx in (store.read, store.write):
            with tx() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    # WAL is a property of the file: a plain sqlite3 connection sees it too
    raw = sqlite3.connect(tmp_path / "p.db")
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    with Store(str(tmp_path / "fk.db")) as store:
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), store.write() as conn:
            conn.execute(
                sa.insert(evidence).values(
                    use_case_id=12345,
                    kind="note",
                    status="info",
                    summary="",
                    payload={},
                    sha256="0" * 64,
                    created_at=datetime.now(UTC),
                    created_by="ada",
                )
            )
        with store.read() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(evidence)).scalar() == 0


def test_sqlite_write_takes_the_write_lock_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a second writer is locked out before the first one writes anything,
    so two appends can never read the same chain head."""
    path = tmp_path / "lock.db"
    with Store(str(path)) as store:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with store.write():
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                # readers are not blocked (WAL)
                assert other.execute("SELECT count(*) FROM audit_events").fetchone() == (0,)
            other.execute("BEGIN IMMEDIATE")  # free again once the write committed
            other.execute("ROLLBACK")
            with store.read():
                other.execute("BEGIN IMMEDIATE")  # a read transaction takes no write lock
                other.execute("ROLLBACK")
        finally:
            other.close()


def test_in_memory_sqlite_works() -> None:
    with Store("sqlite://") as store, store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_events)).scalar() == 0


# ---------------------------------------------------------------------------- both backends


def test_store_reports_its_dialect(db_url: str) -> None:
    with Store(db_url) as store:
        assert store.dialect in ("sqlite", "postgresql")
        assert store.is_sqlite == ("://" not in db_url)
        with store.read() as conn:
            assert conn.dialect.name == store.dialect


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgres_write_holds_the_advisory_lock(db_url: str) -> None:
    with Store(db_url) as store:
        probe = sa.create_engine(store.url)
        try:
            with store.write(), probe.connect() as conn:
                got = conn.execute(
                    sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": WRITE_LOCK_KEY}
                )
                assert got.scalar() is False
            # released at commit; the lock is database-wide, so a test running in parallel
            # (another schema, same database) may hold it for a moment: poll briefly
            with probe.connect() as conn:
                deadline = time.monotonic() + 30
                while True:
                    got = conn.execute(
                        sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": WRITE_LOCK_KEY}
                    ).scalar()
                    if got or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                assert got is True
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": WRITE_LOCK_KEY})
        finally:
            probe.dispose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_postgres_gives_a_clear_error_without_the_password() -> None:
    pytest.importorskip("psycopg")
    port = _closed_port()
    url = f"postgresql://scalegate:hunter2-secret@127.0.0.1:{port}/sg"
    with pytest.raises(StoreError) as info:
        Store(url)
    message = str(info.value)
    assert message.startswith(
        f"cannot open database postgresql+psycopg://scalegate:***@127.0.0.1:{port}/sg"
    )
    assert "hunter2" not in message
    assert "refused" in message.lower() or "failed" in message.lower()
    assert "\n" not in message
    assert info.value.__cause__ is None  # no chained driver traceback
    assert info.value.exit_code == 2


def test_unreachable_postgres_through_the_cli(cli) -> None:
    pytest.importorskip("psycopg")
    port = _closed_port()
    result = cli("audit", "verify", db=f"postgres://ada:pw-xyz-123@127.0.0.1:{port}/sg")
    assert result.code == 2
    assert "cannot open database" in result.err
    assert "pw-xyz-123" not in result.err + result.out
    assert "Traceback" not in result.err
