"""Alembic environment: always runs on a connection handed over by the store."""

from __future__ import annotations

from alembic import context

from scalegate.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by runner.py
    raise RuntimeError("scalegate migrations run through scalegate.store, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
