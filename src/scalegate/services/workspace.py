"""Opening a scalegate workspace: the store, migrated, with a policy in force."""

from __future__ import annotations

from pathlib import Path

from scalegate.services import policies
from scalegate.store import Store


def open_store(url: str | Path) -> Store:
    """Open (creating and migrating if needed) the database at ``url``.

    On a new database the packaged default policy becomes version 1.
    """
    store = Store(str(url))
    try:
        policies.ensure_policy(store)
    except Exception:
        store.close()
        raise
    return store
