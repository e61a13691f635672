"""The streaming plan for files gives exactly what the one-select plan gives, and streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_polars_plan import CONTRACT, NOW, varied

from scalegate.engine import polars_plan, polars_stream
from scalegate.engine.check import check, load_contract
from scalegate.engine.profile import profile
from scalegate.engine.profile_model import DatasetProfile

PARAMS = {"alpha": 0.01, "top_capacity": 100, "precision": 10}


def both(frame: pl.DataFrame, **params: Any) -> tuple[DatasetProfile, DatasetProfile]:
    params = {**PARAMS, **params}
    lazy = nw.from_native(frame.lazy())
    one = polars_plan.run(lazy, [], examples=5, **params).profile
    streamed = polars_stream.run(lazy, [], examples=5, **params).profile
    assert one is not None and streamed is not None
    return one, streamed


@pytest.mark.parametrize(
    "params", [{}, {"top_capacity": 3}, {"alpha": 0.05, "precision": 4}, {"precision": 16}]
)
@pytest.mark.parametrize("rows", [None, 0, 1])
@pytest.mark.parametrize("exact_span", [polars_stream.EXACT_SPAN, -1])
def test_profile_identical_to_one_select_plan(
    monkeypatch: pytest.MonkeyPatch, params: dict[str, Any], rows: int | None, exact_span: int
) -> None:
    # exact_span -1: every integer column gets codes per row instead of being counted by value
    monkeypatch.setattr(polars_stream, "EXACT_SPAN", exact_span)
    frame = varied() if rows is None else varied().head(rows)
    one, streamed = both(frame, **params)
    assert streamed.to_dict() == one.to_dict()


def test_profile_identical_on_high_cardinality_and_ties() -> None:
    n = 20_000
    frame = pl.DataFrame(
        {
            "id": [f"id-{k}" for k in range(n)],
            "x": [(k * 2654435761) % 10_000_019 / 7 - 5e5 for k in range(n)],
            "tie": [f"t{k % 250}" for k in range(n)],
        }
    )
    one, streamed = both(frame, top_capacity=10)
    assert streamed.to_dict() == one.to_dict()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-(2**40), 2**40)),
            st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64)),
            st.one_of(st.none(), st.text(max_size=4)),
            st.one_of(st.none(), st.booleans()),
        ),
        max_size=60,
    )
)
def test_profile_identical_property(rows: list[tuple[Any, ...]]) -> None:
    frame = pl.DataFrame(
        rows,
        schema={"i": pl.Int64, "f": pl.Float64, "s": pl.String, "b": pl.Boolean},
        orient="row",
    )
    one, streamed = both(frame, top_capacity=4)
    assert streamed.to_dict() == one.to_dict()


# duplicates of single and composite keys, with nulls in keys (which never count), so that
# the unique rules' counts and first examples (in row order) are compared too
DUPLICATES = """
contract: duplicates
dataset:
  - unique: {columns: [k, tie]}
columns:
  k:
    rules: [unique, {between: {max: 90}}]
  s:
    rules: [unique, {in_set: {values: [v1, v4]}}]
"""


def duplicated_frame() -> pl.DataFrame:
    n = 300
    return pl.DataFrame(
        {
            "k": [None if k % 13 == 0 else (k * 37) % 101 for k in range(n)],
            "tie": ["a", "b", "c"] * (n // 3),
            "s": [None if k % 5 == 0 else f"v{k % 50}" for k in range(n)],
        }
    )


def results(data: Any, contract: str, profile: bool) -> tuple[list[tuple[Any, ...]], Any]:
    result = check(data, load_contract(contract, "c.yaml"), now=NOW, profile=profile)
    rows = [
        (r.id, r.status, r.failing, r.total, r.fraction, r.examples, r.reason)
        for r in result.results
    ]
    return rows, None if result.profile is None else result.profile.to_dict()


def rounded(profile: Any) -> Any:
    """A profile's dict with mean and M2 within their stated rounding (1e-12 relative): the
    streaming engine adds up chunk by chunk, in another order; all else must be equal."""
    if profile is None:
        return None
    for column in profile["columns"]:
        if column.get("moments"):
            moments = column["moments"]
            for key in ("mean", "m2"):
                if moments[key] is not None:
                    moments[key] = pytest.approx(moments[key], rel=1e-12, abs=1e-300)
    return profile


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".ndjson"])
@pytest.mark.parametrize(
    ("make", "contract"), [(lambda: varied().drop("lst"), CONTRACT), (duplicated_frame, DUPLICATES)]
)
@pytest.mark.parametrize("with_profile", [True, False])
def test_check_of_a_file_identical_to_one_select_plan(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    suffix: str,
    make: Any,
    contract: str,
    with_profile: bool,
) -> None:
    frame = make()
    path = tmp_path / f"data{suffix}"
    if suffix != ".parquet":
        # text formats: keep text and numbers, which they read back as written
        frame = frame.select(
            pl.col(c) for c, t in frame.schema.items() if t.is_numeric() or t == pl.String
        )
        frame.write_csv(path) if suffix == ".csv" else frame.write_ndjson(path)
    else:
        frame.write_parquet(path)
    runs: list[str] = []
    for name, module in (("one", polars_plan), ("stream", polars_stream)):
        original = module.run

        def ran(*args: Any, _run: Any = original, _name: str = name, **kwargs: Any) -> Any:
            outcome = _run(*args, **kwargs)
            runs.append(_name)  # only once it has returned
            return outcome

        monkeypatch.setattr(module, "run", ran)
    monkeypatch.setattr(polars_stream, "STREAM_BYTES", 1 << 40)
    expected = results(str(path), contract, with_profile)
    monkeypatch.setattr(polars_stream, "STREAM_BYTES", 0)
    streamed = results(str(path), contract, with_profile)
    assert runs == ["one", "stream"]  # each plan ran, and neither fell back
    assert streamed[0] == expected[0]
    assert streamed[1] == rounded(expected[1])
    assert any(status.value == "fail" and ex for _, status, _, _, _, ex, _ in streamed[0])


@pytest.mark.parametrize("stream", [False, True])
def test_examples_are_the_first_failing_rows_in_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stream: bool
) -> None:
    # small row groups, so that the streaming engine works on many morsels at once; the
    # duplicated keys sit far apart and out of order
    n = 300_000
    keys: list[int | None] = list(range(n))
    for position, key in ((10, 250_000), (140_000, 7), (200_000, 7), (299_999, 123)):
        keys[position] = key
    keys[5] = keys[6] = None  # null keys never count
    # and a row rule failing on rows far apart
    x = [0] * n
    for position in (299_000, 3, 150_000, 77_777, 220_000, 260_000):
        x[position] = -position
    path = tmp_path / "d.parquet"
    pl.DataFrame({"k": keys, "x": x}).write_parquet(path, row_group_size=10_000)
    monkeypatch.setattr(polars_stream, "STREAM_BYTES", 0 if stream else 1 << 40)
    contract = load_contract(
        "contract: c\ncolumns:\n  k:\n    rules: [unique]\n"
        "  x:\n    rules: [{between: {min: 0}}]\n",
        "c",
    )
    results = {r.id: r for r in check(str(path), contract, profile=False).results}
    # rows 7, 10, 123, 140,000, 200,000, 250,000 and 299,999 hold duplicated keys
    assert (results["k.unique"].failing, results["k.unique"].examples) == (
        7,
        (7, 250_000, 123, 7, 7),
    )
    assert (results["x.between"].failing, results["x.between"].examples) == (
        6,
        (-3, -77_777, -150_000, -220_000, -260_000),
    )


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The engine of every Polars query run (``collect`` and ``collect_all``) that reads a
    file (its plan has a scan); queries over small frames in memory are left out."""
    used: list[str] = []
    collect, collect_all = pl.LazyFrame.collect, pl.collect_all

    def note(frames: list[pl.LazyFrame], kwargs: dict[str, Any]) -> None:
        if any("SCAN" in f.explain(optimized=False) for f in frames):
            used.append(kwargs.get("engine", "auto"))

    def spy(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> Any:
        note([self], kwargs)
        return collect(self, *args, **kwargs)

    def spy_all(frames: list[pl.LazyFrame], *args: Any, **kwargs: Any) -> Any:
        note(frames, kwargs)
        return collect_all(frames, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", spy)
    monkeypatch.setattr(pl, "collect_all", spy_all)
    return used


def test_files_above_the_threshold_use_only_the_streaming_engine(
    engines: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    frame = duplicated_frame()
    path = tmp_path / "d.parquet"
    frame.write_parquet(path)
    contract = load_contract(DUPLICATES, "c.yaml")
    size = path.stat().st_size

    monkeypatch.setattr(polars_stream, "STREAM_BYTES", size)  # at the threshold: streams
    assert polars_stream.wanted((str(path),))
    result = check(str(path), contract, now=NOW)
    assert result.profile is not None and not result.passed
    # every query over the file: the rules and the profile, the unique rules, the examples
    assert len(engines) >= 6 and set(engines) == {"streaming"}, engines
    engines.clear()
    profile(str(path))
    assert len(engines) >= 3 and set(engines) == {"streaming"}, engines

    engines.clear()
    monkeypatch.setattr(polars_stream, "STREAM_BYTES", size + 1)  # below: one in-memory query
    assert not polars_stream.wanted((str(path),))
    check(str(path), contract, now=NOW)
    assert engines == ["auto"]
    # frames in memory never take the streaming plan
    assert not polars_stream.wanted(())


_PEAK = """
import sys
from scalegate.engine import polars_stream
from scalegate.engine.check import check, load_contract

polars_stream.STREAM_BYTES = int(sys.argv[2])
contract = load_contract(
    "contract: m\\ncolumns:\\n  x0:\\n    rules: [not_null, {between: {min: -3, max: 3}}]\\n"
    "  s:\\n    rules: [{in_set: {values: [a, b]}}]\\n",
    "m.yaml",
)
result = check(sys.argv[1], contract)
assert result.profile is not None and result.rows > 0
with open("/proc/self/status") as status:  # VmHWM: peak RSS of this program (reset by exec)
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def _peak_mb(path: Path, threshold: int) -> float:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), str(threshold)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1]) / 1024


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_check_of_a_large_file_holds_far_less_than_the_data(tmp_path: Path) -> None:
    # Peak memory of a whole check (rules, examples, profile) in a fresh process, over that
    # of the same process checking a 1,000-row sample: the streaming plan's growth (the
    # engine's read buffers, ~30 MB here, whatever the rows) is a small
    # part of the data's size in memory; the one-select plan (the control) holds it all.
    import numpy as np

    rng = np.random.default_rng(7)
    n = 4_000_000
    frame = pl.DataFrame(
        {f"x{i}": rng.normal(size=n) for i in range(4)} | {"s": rng.choice(["a", "b", "c"], n)}
    )
    in_memory = frame.estimated_size() / 2**20
    big, small = tmp_path / "big.parquet", tmp_path / "small.parquet"
    frame.write_parquet(big, row_group_size=64_000)
    frame.head(1000).write_parquet(small)
    del frame

    baseline = _peak_mb(small, 0)
    streamed = _peak_mb(big, 0) - baseline
    held = _peak_mb(big, 1 << 62) - baseline
    assert held > in_memory, (streamed, held, in_memory)  # the control: all columns held
    assert streamed < min(held / 4, in_memory / 2), (streamed, held, in_memory)
