"""Any input becomes a Narwhals LazyFrame; bad paths get clear errors."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from scalegate.engine.frames import DataError, to_lazy

DATA = {"a": [1, 2, 3], "b": ["x", None, "z"]}


@pytest.mark.parametrize(
    ("native", "backend"),
    [
        (pd.DataFrame(DATA), "pandas"),
        (pa.table(DATA), "pyarrow"),
        (pl.DataFrame(DATA), "polars"),
        (pl.DataFrame(DATA).lazy(), "polars"),
    ],
)
def test_frames_of_every_kind(native: object, backend: str) -> None:
    lf, source = to_lazy(native)
    assert source.backend == backend
    out = lf.collect().to_polars()
    assert out.to_dict(as_series=False) == DATA


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".ndjson"])
def test_files_folders_and_globs(tmp_path: Path, suffix: str) -> None:
    df = pl.DataFrame(DATA)
    for i in range(2):
        target = tmp_path / f"part-{i}{suffix}"
        {".parquet": df.write_parquet, ".csv": df.write_csv, ".ndjson": df.write_ndjson}[suffix](
            target
        )
    for given in (tmp_path / f"part-0{suffix}", tmp_path, str(tmp_path / f"*{suffix}")):
        lf, source = to_lazy(given)
        n = lf.select(nw.len()).collect().item()
        assert n == (3 if given == tmp_path / f"part-0{suffix}" else 6), given
        assert source.backend == "polars"
        assert all(p.endswith(suffix) for p in source.paths)


def pl_len():
    import narwhals as nw

    return nw.len()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.parquet: no such file or folder"):
        to_lazy(tmp_path / "nope.parquet")


def test_unknown_suffix(tmp_path: Path) -> None:
    f = tmp_path / "data.xlsx"
    f.write_bytes(b"x")
    with pytest.raises(DataError, match=r"unknown file type '\.xlsx'"):
        to_lazy(f)


def test_empty_folder_and_unmatched_glob(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds no data files"):
        to_lazy(tmp_path)
    with pytest.raises(DataError, match="no files match"):
        to_lazy(str(tmp_path / "*.parquet"))


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    pl.DataFrame(DATA).write_csv(tmp_path / "a.csv")
    pl.DataFrame(DATA).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(DataError, match="mixes file types"):
        to_lazy(tmp_path)


def test_not_a_frame() -> None:
    with pytest.raises(DataError, match="cannot check a dict"):
        to_lazy({"a": [1]})
