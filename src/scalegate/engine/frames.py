"""Turning what a user hands us (a path, or any dataframe) into a Narwhals LazyFrame.

Files are scanned lazily with Polars so that aggregations stream instead of loading the file.
Backend detection lives here and nowhere else.
"""

from __future__ import annotations

import codecs
import csv
import glob as _glob
import json
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


def input_files(path: str | Path) -> list[Path]:
    """The data files a path, folder or glob stands for (raises DataError if none)."""
    return _expand(path)[0]


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


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 300 characters)."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


#: bytes read at a time when looking for the first bad byte or line of a file
_CHUNK = 1 << 20
#: Parquet files start and end with one of these (PARE: encrypted footer)
_PARQUET_MAGIC = (b"PAR1", b"PARE")


def _readable(files: list[Path]) -> None:
    """Every file can be opened and read."""
    for f in files:
        try:
            with f.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise DataError(f"{f}: cannot read: {exc.strerror}", source=str(f)) from None


def _check_parquet(files: list[Path]) -> None:
    """Cheap checks of each file's Parquet header and footer, naming the bad file."""
    for f in files:
        size = f.stat().st_size
        if size == 0:
            raise DataError(f"{f}: the file is empty (0 bytes), not Parquet", source=str(f))
        with f.open("rb") as fh:
            head = fh.read(4)
            fh.seek(max(size - 4, 0))
            tail = fh.read(4)
        if head not in _PARQUET_MAGIC:
            raise DataError(
                f"{f}: not a Parquet file (it does not start with the Parquet magic bytes)",
                source=str(f),
            )
        if size < 12 or tail not in _PARQUET_MAGIC:
            raise DataError(
                f"{f}: truncated or damaged Parquet file (no Parquet footer at the end; "
                f"{size:,} bytes)",
                source=str(f),
            )
    if len(files) > 1:
        import polars as pl

        schemas = []
        for f in files:
            try:
                schemas.append(dict(pl.read_parquet_schema(f)))
            except Exception as exc:  # Polars raises several kinds here
                raise DataError(
                    f"{f}: damaged Parquet file: {first_line(exc)}", source=str(f)
                ) from None
        _same_columns(files, [{k: str(v) for k, v in sc.items()} for sc in schemas])


def _same_columns(files: list[Path], columns: list[dict[str, str]]) -> None:
    """The files of one dataset have the same columns (and types, where known)."""
    first = columns[0]
    for f, cols in zip(files[1:], columns[1:], strict=True):
        if cols == first:
            continue
        missing = [c for c in first if c not in cols]
        extra = [c for c in cols if c not in first]
        changed = [c for c in first if c in cols and cols[c] != first[c]]
        if missing:
            what = f"lacks column '{missing[0]}'"
        elif extra:
            what = f"has column '{extra[0]}'"
        elif changed:
            c = changed[0]
            what = f"has column '{c}' as {cols[c]}, not {first[c]}"
        else:
            what = "has the same columns in another order"
        raise DataError(
            f"{f}: {what}, unlike {files[0]}; the files of one dataset need the same columns",
            source=str(f),
        )


def _bad_utf8(f: Path) -> DataError | None:
    """Where the first byte that is not UTF-8 sits in ``f``, as a DataError; None if none."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    with f.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the bytes held back from the last chunk, then this chunk
                at = offset - (len(exc.object) - len(chunk)) + exc.start
                line += exc.object.count(b"\n", 0, exc.start)
                return DataError(
                    f"{f}, line {line}: not UTF-8 text (byte offset {at:,}: "
                    f"0x{exc.object[exc.start]:02x}); save the file as UTF-8",
                    source=str(f),
                    line=line,
                )
            if not chunk:
                return None
            offset += len(chunk)
            line += chunk.count(b"\n")


def _header(f: Path) -> list[str]:
    with f.open(newline="", encoding="utf-8", errors="replace") as fh:
        return next(csv.reader(fh), [])


def _ragged_line(f: Path) -> DataError | None:
    """The first record of ``f`` whose field count differs from its header's (exact)."""
    with f.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        for record in reader:
            if record and len(record) != len(header):
                fields = f"{len(record)} field" + ("" if len(record) == 1 else "s")
                return DataError(
                    f"{f}, line {reader.line_num}: {fields} where the header has "
                    f"{len(header)}; every row of a CSV file needs as many fields as its header",
                    source=str(f),
                    line=reader.line_num,
                )
    return None


def _check_csv(files: list[Path]) -> None:
    """Every CSV file is UTF-8 and no row has more or fewer fields than the header.

    Polars fills missing trailing fields with nulls and, when a query needs only some
    columns, never looks at extra ones, so ragged rows would pass unnoticed. One cheap pass
    reads each line as a single string and counts its separators outside quoted text; only
    files it flags (or files with quoted line breaks, which it cannot judge) are then read
    exactly with :mod:`csv`. The same pass proves the files are UTF-8.
    """
    import polars as pl

    for f in files:
        if f.stat().st_size == 0:
            raise DataError(
                f"{f}: the file is empty (0 bytes); a CSV file needs at least a header line",
                source=str(f),
            )
    headers = [_header(f) for f in files]
    if len(files) > 1:
        _same_columns(files, [dict.fromkeys(h, "") for h in headers])
    line = pl.col("line")
    separators = line.str.replace_all('"[^"]*"', "").str.count_matches(",", literal=True)
    odd_quotes = line.str.count_matches('"', literal=True) % 2 == 1
    blank = line.str.strip_chars("\r") == ""
    flagged = []
    # one streaming query per file: bounded memory whatever the file's size (a file-path
    # column, include_file_paths, would make Polars hold far more)
    for f, header in zip(files, headers, strict=True):
        lines = pl.scan_csv(
            f,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            schema={"line": pl.String},
            truncate_ragged_lines=True,
            empty_string_is_null=False,
            raise_if_empty=False,
        )
        suspect = ((separators != len(header) - 1) & ~blank) | odd_quotes
        try:
            if lines.select(suspect.any()).collect(engine="streaming").item():
                flagged.append(str(f))
        except pl.exceptions.PolarsError as exc:
            problem = _bad_utf8(f)
            if problem is not None:
                raise problem from None
            raise DataError(f"{f}: cannot read: {first_line(exc)}", source=str(f)) from None
    for name in sorted(flagged):
        problem = _ragged_line(Path(name))
        if problem is not None:
            raise problem


def _bad_json_line(f: Path) -> DataError | None:
    """The first line of an NDJSON file that is not UTF-8 or not a JSON object."""
    problem = _bad_utf8(f)
    if problem is not None:
        return problem
    with f.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                return DataError(
                    f"{f}, line {number}, column {exc.colno}: not valid JSON ({exc.msg})",
                    source=str(f),
                    line=number,
                )
            if not isinstance(value, dict):
                return DataError(
                    f"{f}, line {number}: expected a JSON object, found {type(value).__name__}",
                    source=str(f),
                    line=number,
                )
    return None


def read_error(source: Source, exc: BaseException, *, doing: str = "read") -> DataError:
    """A clear :class:`DataError` for an engine exception raised while reading ``source``.

    For NDJSON files it finds the file and line at fault; otherwise it names the source and
    the engine's first line of explanation (:func:`scan_path` has already found any CSV
    file that is not UTF-8, with its line). Runs only once something failed.
    """
    if isinstance(exc, DataError):
        return exc
    files = [Path(p) for p in source.paths]
    if files and all(FORMATS.get(f.suffix.lower()) == "ndjson" for f in files):
        for f in files:
            if f.stat().st_size == 0:
                return DataError(f"{f}: the file is empty (0 bytes)", source=str(f))
            problem = _bad_json_line(f)
            if problem is not None:
                return problem
    return DataError(
        f"{source.description}: cannot {doing} the data: {first_line(exc)}",
        source=source.description,
    )


def scan_path(path: str | Path) -> tuple[nw.LazyFrame[Any], Source]:
    """A lazy Polars scan of a file, folder or glob of Parquet, CSV or NDJSON files.

    Before the scan, cheap checks name the file (and line) of the usual problems: an
    unreadable, empty, truncated or mislabelled Parquet file, a CSV file that is not UTF-8
    or has ragged rows (one extra pass over CSV text). Problems found while reading later
    are explained by :func:`read_error`.
    """
    import polars as pl

    files, raw = _expand(path)
    fmt = _format(files, raw)
    _readable(files)
    if fmt == "parquet":
        _check_parquet(files)
    elif fmt == "csv":
        _check_csv(files)
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
