"""Opening the store: URL resolution, engine set-up, migrations and transactions.

SQLite runs in WAL mode with foreign keys on; every write transaction starts with
``BEGIN IMMEDIATE`` so there is exactly one writer. PostgreSQL serialises audit appends with
a transaction-scoped advisory lock. Either way the audit chain stays linear.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError, SQLAlchemyError

from scalegate.errors import StoreError
from scalegate.store.migrations import HEAD_REVISION

#: key of the PostgreSQL advisory lock taken by writers
WRITE_LOCK_KEY = 0x5CA1E6A7E

#: connections a store keeps pooled; as many again open on demand. The API runs at most this
#: many requests at once (see ``scalegate.api.app``), so with each request holding one
#: connection at a time a burst of clients waits for a thread, never for a connection.
POOL_SIZE = 20


def resolve_url(value: str | Path) -> str:
    """Turn a SQLAlchemy URL or a plain file path into a URL scalegate can open."""
    raw = str(value).strip()
    if not raw:
        raise StoreError("empty database URL or path")
    if "://" not in raw:
        path = Path(raw).expanduser()
        if path.is_dir():
            raise StoreError(f"database path '{raw}' is a directory; give a file path")
        return f"sqlite:///{path.resolve()}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise StoreError(f"cannot parse database URL '{raw}'") from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        raise StoreError(
            "PostgreSQL needs the psycopg driver; install it with: "
            "pip install 'scalegate[postgres]'"
        )
    if not (url.drivername.startswith("sqlite") or url.drivername.startswith("postgresql")):
        raise StoreError(
            f"unsupported database '{url.drivername}'; use a SQLite file path or a "
            "postgresql:// URL"
        )
    return url.render_as_string(hide_password=False)


def redact(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _pool_options(pool_size: int) -> dict[str, int]:
    return {"pool_size": pool_size, "max_overflow": pool_size}


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    u = make_url(url)
    pool: dict[str, int] = {}
    if u.database and u.database != ":memory:":
        parent = Path(u.database).parent
        if not parent.exists():
            raise StoreError(
                f"cannot create database '{u.database}': folder {parent} does not exist"
            )
        pool = _pool_options(pool_size)  # an in-memory database has one connection per thread
    engine = create_engine(url, connect_args={"timeout": 60}, **pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control away from pysqlite so that we can BEGIN IMMEDIATE
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("scalegate_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


class Store:
    """The single writer of scalegate state."""

    def __init__(self, url: str, *, migrate: bool = True, pool_size: int = POOL_SIZE) -> None:
        self.url = resolve_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        #: connections kept pooled (as many again open on demand); callers that run work in
        #: threads should run at most this many at once
        self.pool_size = pool_size
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, pool_size)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, **_pool_options(pool_size))
        if migrate:
            try:
                self.migrate()
            except BaseException:
                # nobody gets a Store to close: release the pooled connections here
                self.engine.dispose()
                raise

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ migrations
    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
                conn.rollback()
        except (OperationalError, ProgrammingError) as exc:
            if _is_missing_table(exc):
                return None
            raise self._unreachable(exc) from None
        except SQLAlchemyError as exc:
            raise self._unreachable(exc) from None
        return row[0] if row else None

    def migrate(self) -> str:
        """Bring the schema to the newest revision; stop with a clear error if that fails."""
        current = self.current_revision()
        if current == HEAD_REVISION:
            return current
        from scalegate.store.migrations.runner import upgrade

        try:
            upgrade(self.engine, current=current)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"migrating {redact(self.url)} from revision {current or 'empty'} to "
                f"{HEAD_REVISION} failed: {exc}",
                revision=current,
            ) from None
        return HEAD_REVISION

    def _unreachable(self, exc: Exception) -> StoreError:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return StoreError(f"cannot open database {redact(self.url)}: {detail}")

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction."""
        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise self._unreachable(exc) from None
        with conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: everything in it, audit events included, commits together."""
        try:
            conn = self.engine.connect().execution_options(scalegate_write=True)
        except SQLAlchemyError as exc:
            raise self._unreachable(exc) from None
        with conn, conn.begin():
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
            yield conn


def _is_missing_table(exc: Exception) -> bool:
    msg = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in msg or ("does not exist" in msg and "relation" in msg)
