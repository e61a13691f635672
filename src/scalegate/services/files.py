"""Reading the files users hand over (contracts, policies, use case documents)."""

from __future__ import annotations

from pathlib import Path

from scalegate.errors import ValidationError


def read_text(path: Path, *, what: str = "file") -> str:
    """The UTF-8 text of a user-supplied file, or a one-line error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such {what}", source=str(path)) from None
    except IsADirectoryError:
        raise ValidationError(
            f"{path}: is a directory, expected a {what}", source=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path}: not UTF-8 text (byte {exc.start})", source=str(path)
        ) from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}", source=str(path)) from None
