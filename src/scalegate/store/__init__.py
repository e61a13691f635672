"""Persistence: SQLAlchemy tables, repositories, transactions and the audit log."""

from scalegate.store.database import Store, resolve_url

__all__ = ["Store", "resolve_url"]
