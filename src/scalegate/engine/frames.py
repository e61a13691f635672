"""Turning what a user hands us (a path, or any dataframe) into a Narwhals LazyFrame.

Files are scanned lazily with Polars so that aggregations stream instead of loading the file.
Backend detection lives here and nowhere else.
"""

from __future__ import annotations

import glob as _glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import narwhals as nw

from scalegate.errors import ValidationError

#: file formats we scan, by suffix
FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


class DataError(ValidationError):
    """Input data that cannot be read (missing, unreadable, wrong format)."""

    code = "invalid_data"


@dataclass(frozen=True)
class Source:
    """Where a frame came from, for messages and dataset fingerprints."""

    description: str
    backend: str
    paths: tuple[str, ...] = ()


def _expand(path: str | Path) -> tuple[list[Path], str]:
    raw = str(path)
    p = Path(raw).expanduser()
    if any(ch in raw for ch in "*?["):
        files = sorted(Path(f) for f in _glob.glob(str(p), recursive=True) if Path(f).is_file())
        if not files:
            raise DataError(f"{raw}: no files match this pattern", source=raw)
        return files, raw
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in FORMATS)
        if not files:
            known = ", ".join(sorted(FORMATS))
            raise DataError(f"{raw}: folder holds no data files ({known})", source=raw)
        return files, raw
    if not p.exists():
        raise DataError(f"{raw}: no such file or folder", source=raw)
    return [p], raw


def _format(files: list[Path], raw: str) -> str:
    kinds = {FORMATS.get(f.suffix.lower()) for f in files}
    if None in kinds:
        bad = next(f for f in files if f.suffix.lower() not in FORMATS)
        known = ", ".join(sorted(FORMATS))
        raise DataError(
            f"{bad}: unknown file type '{bad.suffix}'; scalegate reads {known}", source=str(bad)
        )
    if len(kinds) > 1:
        raise DataError(
            f"{raw}: mixes file types ({', '.join(sorted(k for k in kinds if k))})", source=raw
        )
    return kinds.pop()  # type: ignore[return-value]


def scan_path(path: str | Path) -> tuple[nw.LazyFrame[Any], Source]:
    """A lazy Polars scan of a file, folder or glob of Parquet, CSV or NDJSON files."""
    import polars as pl

    files, raw = _expand(path)
    fmt = _format(files, raw)
    names = [str(f) for f in files]
    if fmt == "parquet":
        lf = pl.scan_parquet(names)
    elif fmt == "csv":
        lf = pl.scan_csv(names, try_parse_dates=True, infer_schema_length=10_000)
    else:
        lf = pl.scan_ndjson(names, infer_schema_length=10_000)
    return nw.from_native(lf), Source(raw, "polars", tuple(names))


def backend_of(native: Any) -> str:
    """A short name of the engine behind a native frame."""
    module = type(native).__module__.split(".")[0]
    return {"pyspark": "spark", "duckdb": "duckdb", "pyarrow": "pyarrow"}.get(module, module)


def to_lazy(data: Any) -> tuple[nw.LazyFrame[Any], Source]:
    """Any supported input as a Narwhals LazyFrame.

    Accepts a path (str or Path), or a pandas, Polars (eager or lazy), PyArrow, DuckDB or
    PySpark frame, or a Narwhals frame.
    """
    if isinstance(data, str | Path):
        return scan_path(data)
    if isinstance(data, nw.LazyFrame):
        return data, Source("narwhals lazy frame", backend_of(data.to_native()))
    if isinstance(data, nw.DataFrame):
        return data.lazy(), Source("narwhals data frame", backend_of(data.to_native()))
    try:
        frame = nw.from_native(data)
    except TypeError:
        raise DataError(
            f"cannot check a {type(data).__name__}: give a file path or a pandas, Polars, "
            "PyArrow, DuckDB or PySpark frame"
        ) from None
    backend = backend_of(data)
    if isinstance(frame, nw.DataFrame):
        if backend in ("pandas", "pyarrow", "modin", "cudf"):
            # eager frames without a lazy engine of their own: let Polars do the aggregations
            import polars as pl

            return nw.from_native(pl.DataFrame(frame.to_arrow()).lazy()), Source(
                f"{backend} frame", backend
            )
        return frame.lazy(), Source(f"{backend} frame", backend)
    return frame, Source(f"{backend} frame", backend)
