"""Run Alembic programmatically against an engine, inside one write transaction."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

HERE = Path(__file__).parent


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def upgrade(engine: Engine, *, current: str | None) -> None:
    """Upgrade to head. Concurrent openers wait for each other; the loser finds it done."""
    cfg = config()
    with engine.connect().execution_options(scalegate_write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            from scalegate.store.database import WRITE_LOCK_KEY

            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
