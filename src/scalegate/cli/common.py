"""Shared CLI plumbing: the global options, the store, parsing dates and durations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from scalegate.errors import ValidationError
from scalegate.services.files import read_text as read_text  # re-exported for the commands

if TYPE_CHECKING:
    from scalegate.settings import Settings
    from scalegate.store import Store


@dataclass
class State:
    settings: Settings
    _store: Store | None = field(default=None)

    @property
    def store(self) -> Store:
        if self._store is None:
            from scalegate.services.workspace import open_store

            self._store = open_store(self.settings.db)
        return self._store

    @property
    def actor(self) -> str | None:
        return self.settings.user

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


_DURATION = re.compile(r"^(\d+)\s*([dwmy])$")


def parse_when(value: str, *, option: str) -> datetime:
    """``2027-01-31``, an ISO timestamp, or a duration from now such as ``90d``/``12w``."""
    raw = value.strip()
    m = _DURATION.match(raw.lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * n
        return datetime.now(UTC) + timedelta(days=days)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{option}: cannot read '{value}' as a date; use YYYY-MM-DD or a duration like 90d",
            field=option,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
