"""Shared CLI plumbing: the global options, the store, parsing dates and durations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scalegate.errors import ValidationError

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


def read_text(path: Path) -> str:
    """Read a user-supplied file with a clear error."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file", source=str(path)) from None
    except IsADirectoryError:
        raise ValidationError(
            f"{path}: is a directory, expected a file", source=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path}: not UTF-8 text (byte {exc.start})", source=str(path)
        ) from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}", source=str(path)) from None


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
