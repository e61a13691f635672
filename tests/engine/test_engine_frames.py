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


def _contract():
    from scalegate.engine.check import load_contract

    return load_contract("contract: c\ncolumns:\n  b:\n    rules: [not_null]\n", "c.yaml")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("half.parquet", None, r"half\.parquet: truncated or damaged Parquet file"),
        ("text.parquet", b"a,b\n1,x\n", r"text\.parquet: not a Parquet file"),
        ("ragged.csv", b"a,b\n1,x\n2\n", r"ragged\.csv, line 3: 1 field where the header has 2"),
        ("extra.csv", b"a,b\n1,x,y\n", r"extra\.csv, line 2: 3 fields"),
        ("latin.csv", "a,b\n1,caf\xe9\n".encode("latin-1"), r"latin\.csv, line 2: not UTF-8"),
        ("bad.ndjson", b'{"a": 1, "b": "x"}\n[1,\n', r"bad\.ndjson, line 2, column 4"),
        ("list.ndjson", b'{"a": 1, "b": "x"}\n[1]\n', r"list\.ndjson, line 2: expected a JSON"),
        ("empty.csv", b"", r"empty\.csv: the file is empty \(0 bytes\)"),
    ],
)
def test_python_api_raises_data_error_naming_file_and_line(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    """check() and profile() raise DataError (a ScalegateError), never an engine exception."""
    from scalegate.engine.check import check
    from scalegate.engine.profile import profile
    from scalegate.errors import ScalegateError

    f = tmp_path / name
    if content is None:
        pl.DataFrame(DATA).write_parquet(f)
        whole = f.read_bytes()
        f.write_bytes(whole[: len(whole) // 2])
    else:
        f.write_bytes(content)
    for run in (lambda: check(f, _contract()), lambda: profile(f)):
        with pytest.raises(DataError, match=message) as caught:
            run()
        assert isinstance(caught.value, ScalegateError)
        assert str(caught.value).startswith(str(f))
        assert "\n" not in str(caught.value)


def test_ragged_rows_are_found_even_when_no_query_needs_the_extra_field(tmp_path: Path) -> None:
    """The reason for the CSV pre-check: Polars alone reads these without complaint."""
    f = tmp_path / "r.csv"
    f.write_text("a,b\n1,x\n2,y,surplus\n3\n", encoding="utf-8")
    quiet = pl.scan_csv(f).select("a").collect()  # what a pruned query sees: no error
    assert quiet.height == 3
    with pytest.raises(DataError, match=r"r\.csv, line 3: 3 fields"):
        to_lazy(f)


def test_utf8_position_spans_read_chunks(tmp_path: Path, monkeypatch) -> None:
    from scalegate.engine import frames

    monkeypatch.setattr(frames, "_CHUNK", 7)
    f = tmp_path / "t.csv"
    body = "a,b\n" + "".join(f"{i},é\n" for i in range(20))  # é is two bytes in UTF-8
    raw = body.encode("utf-8") + b"99,\xff\n"
    f.write_bytes(raw)
    line, at = body.count("\n") + 1, raw.index(b"\xff")
    with pytest.raises(DataError, match=rf"line {line}: not UTF-8 text \(byte offset {at}: 0xff\)"):
        to_lazy(f)


def test_files_of_one_glob_need_the_same_columns(tmp_path: Path) -> None:
    pl.DataFrame(DATA).write_parquet(tmp_path / "a.parquet")
    pl.DataFrame(DATA).rename({"b": "c"}).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(DataError, match=r"b\.parquet: lacks column 'b', unlike .*a\.parquet"):
        to_lazy(str(tmp_path / "*.parquet"))
    pl.DataFrame({"a": ["1", "2"], "b": ["x", "y"]}).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(DataError, match=r"b\.parquet: has column 'a' as String, not Int64"):
        to_lazy(str(tmp_path / "*.parquet"))
    (tmp_path / "a.csv").write_text("a,b\n1,x\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("a,b,c\n1,x,y\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"b\.csv: has column 'c', unlike .*a\.csv"):
        to_lazy(str(tmp_path / "*.csv"))
    (tmp_path / "b.csv").write_text("a,b\n2,y\n", encoding="utf-8")
    lf, _ = to_lazy(str(tmp_path / "*.csv"))
    assert lf.collect().to_polars().get_column("a").to_list() == [1, 2]
