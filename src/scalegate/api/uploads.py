"""Uploaded files, saved to a private temporary folder for the services to read.

The engine reads tables by file suffix (Parquet, CSV, NDJSON), so each upload keeps its
original file name (without any folder part). The folder is removed when the request ends,
and errors that mention it name the uploaded file instead.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from scalegate.errors import PayloadTooLargeError, ScalegateError, ValidationError

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1024 * 1024


class Uploads:
    """Saves uploads into one temporary folder."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit

    def save(self, upload: UploadFile, *, field: str) -> Path:
        """The upload written to disk under its own (sanitised) name."""
        raw = Path((upload.filename or "").replace("\\", "/")).name
        name = _SAFE.sub("_", raw).lstrip(".")
        if not name:
            raise ValidationError(
                f"upload '{field}' has no file name; send it with one (e.g. batch.parquet) "
                "so its format is known",
                field=field,
            )
        target = self.folder / field / name
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with target.open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                written += len(chunk)
                if written > self.limit:
                    raise PayloadTooLargeError(
                        f"upload '{field}' ({name}) is larger than the limit of "
                        f"{self.limit / 1_000_000:g} MB (SCALEGATE_MAX_UPLOAD_MB)",
                        field=field,
                    )
                out.write(chunk)
        if written == 0:
            raise ValidationError(f"upload '{field}' ({name}) is empty", field=field)
        return target

    def text(self, upload: UploadFile, *, field: str) -> str:
        """An uploaded document (contract, config) as UTF-8 text."""
        path = self.save(upload, field=field)
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValidationError(
                f"upload '{field}' ({path.name}) is not UTF-8 text", field=field
            ) from None


def _rename(exc: ScalegateError, folder: Path) -> None:
    """Drop the temporary folder from ``exc``'s message and fields, so that
    ``/tmp/scalegate-upload-x/data/batch.csv: line 3 ...`` reads ``batch.csv: line 3 ...``."""
    saved = re.compile(re.escape(str(folder)) + r"/[^/]+/")

    def clean(text: str) -> str:
        return saved.sub("", text).replace(str(folder), "upload")

    exc.message = clean(exc.message)
    exc.args = (exc.message,)
    exc.fields = {k: clean(v) if isinstance(v, str) else v for k, v in exc.fields.items()}


@contextmanager
def uploads(limit: int) -> Iterator[Uploads]:
    """A temporary folder for this request's uploads, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="scalegate-upload-"))
    try:
        yield Uploads(folder, limit)
    except ScalegateError as exc:
        _rename(exc, folder)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
