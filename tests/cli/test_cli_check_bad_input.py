"""Bad data for ``scalegate check``: one clear line naming the file (and line), exit 2, and
nothing stored -- or, where the data itself is the problem, a failed rule.

Every case runs with ``--use-case`` so that a half-stored run would show: the database must
be identical before and after (no evidence row, no audit event).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import polars as pl
import pytest
from cli_support import snapshot

from scalegate.services import registry
from scalegate.services.registry import charter_from_fields

CONTRACT = """\
contract: loans
columns:
  id:
    type: string
    rules: [not_null, unique]
  amount:
    type: float
    rules:
      - between: {min: 0, max: 1000}
"""

GOOD = pl.DataFrame({"id": ["a", "b", "c"], "amount": [1.0, 2.5, 3.0]})


def _files(tmp: Path) -> Path:
    d = tmp / "data"
    d.mkdir()
    GOOD.write_parquet(d / "good.parquet")
    whole = (d / "good.parquet").read_bytes()
    (d / "half.parquet").write_bytes(whole[: len(whole) // 2])
    (d / "text.parquet").write_text("id,amount\na,1\n", encoding="utf-8")
    (d / "zero.parquet").write_bytes(b"")
    (d / "zero.csv").write_bytes(b"")
    (d / "zero.ndjson").write_bytes(b"")
    (d / "more.csv").write_text("id,amount\na,1\nb,2,extra\nc,3\n", encoding="utf-8")
    (d / "fewer.csv").write_text("id,amount\na,1\nb,2\nc\n", encoding="utf-8")
    (d / "trailing.csv").write_text("id,amount\na,1\nb,2,\n", encoding="utf-8")
    # a quoted field with a comma and a line break is fine; the ragged row after it is not
    (d / "quoted.csv").write_text(
        'id,amount\n"a, the first",1\n"b\nsecond line",2\nc\n', encoding="utf-8"
    )
    (d / "latin1.csv").write_bytes("id,amount\na,1\ncaf\xe9,2\n".encode("latin-1"))
    (d / "latin1.ndjson").write_bytes(
        '{"id": "a", "amount": 1}\n{"id": "caf\xe9"}\n'.encode("latin-1")
    )
    (d / "broken.ndjson").write_text(
        '{"id": "a", "amount": 1}\n{"id": "b", "amount": \n{"id": "c", "amount": 3}\n',
        encoding="utf-8",
    )
    mixed = d / "mixed"
    mixed.mkdir()
    GOOD.write_parquet(mixed / "a.parquet")
    GOOD.write_csv(mixed / "b.csv")
    glob_bad = d / "parts"
    glob_bad.mkdir()
    GOOD.write_parquet(glob_bad / "p1.parquet")
    (glob_bad / "p2.parquet").write_bytes(whole[:100])
    (d / "c.yaml").write_text(CONTRACT, encoding="utf-8")
    (d / "broken.yaml").write_text(CONTRACT.replace("rules: [not_null", "rules: [not_nul"))
    (d / "bad_yaml.yaml").write_text(CONTRACT.replace("columns:", "columns: ["))
    return d


# (data argument, contract file, text the one error line must hold); {d} is the data folder
CASES = [
    ("{d}/nope.parquet", "c.yaml", "{d}/nope.parquet: no such file or folder"),
    ("{d}/half.parquet", "c.yaml", "{d}/half.parquet: truncated or damaged Parquet file"),
    ("{d}/text.parquet", "c.yaml", "{d}/text.parquet: not a Parquet file"),
    ("{d}/zero.parquet", "c.yaml", "{d}/zero.parquet: the file is empty (0 bytes)"),
    ("{d}/zero.csv", "c.yaml", "{d}/zero.csv: the file is empty (0 bytes)"),
    ("{d}/zero.ndjson", "c.yaml", "{d}/zero.ndjson: the file is empty (0 bytes)"),
    ("{d}/more.csv", "c.yaml", "{d}/more.csv, line 3: 3 fields where the header has 2"),
    ("{d}/fewer.csv", "c.yaml", "{d}/fewer.csv, line 4: 1 field where the header has 2"),
    ("{d}/trailing.csv", "c.yaml", "{d}/trailing.csv, line 3: 3 fields"),
    ("{d}/quoted.csv", "c.yaml", "{d}/quoted.csv, line 5: 1 field where the header has 2"),
    ("{d}/latin1.csv", "c.yaml", "{d}/latin1.csv, line 3: not UTF-8 text (byte offset 17: 0xe9)"),
    ("{d}/latin1.ndjson", "c.yaml", "{d}/latin1.ndjson, line 2: not UTF-8 text"),
    ("{d}/broken.ndjson", "c.yaml", "{d}/broken.ndjson, line 2, column 23: not valid JSON"),
    ("{d}/mixed", "c.yaml", "{d}/mixed: mixes file types (csv, parquet)"),
    ("{d}/mixed/*", "c.yaml", "mixes file types (csv, parquet)"),
    ("{d}/parts/*.parquet", "c.yaml", "{d}/parts/p2.parquet: truncated or damaged Parquet"),
    ("{d}/nothing/*.csv", "c.yaml", "{d}/nothing/*.csv: no files match this pattern"),
    ("{d}/good.parquet", "missing.yaml", "{d}/missing.yaml: no such file"),
    ("{d}/good.parquet", "broken.yaml", "{d}/broken.yaml, line 5"),
    ("{d}/good.parquet", "bad_yaml.yaml", "{d}/bad_yaml.yaml, line"),
]


@pytest.fixture
def seeded(team, db_url: str, tmp_path: Path) -> tuple[str, Path]:
    registry.add(team, charter_from_fields(slug="loans", name="Loans"), actor="ben")
    return db_url, _files(tmp_path)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_bad_input_exits_2_with_one_line_and_stores_nothing(cli, seeded, as_json: bool) -> None:
    db, d = seeded
    problems = []
    for data, contract, expected in CASES:
        before = snapshot(db)
        args = ["check", data.replace("{d}", str(d)), "-c", str(d / contract)]
        r = cli(*args, "--use-case", "loans", *(["--json"] if as_json else []), db=db, actor="ben")
        lines = r.err.strip().splitlines()
        want = expected.replace("{d}", str(d))
        if r.code != 2:
            problems.append(f"{data}: exit {r.code}")
        if "Traceback" in r.out + r.err:
            problems.append(f"{data}: traceback")
        if len(lines) != 1 or not lines[0].startswith("error: ") or want not in lines[0]:
            problems.append(f"{data}: {r.err!r} lacks {want!r}")
        if r.out.strip():
            problems.append(f"{data}: stdout {r.out[:100]!r}")
        if snapshot(db) != before:
            problems.append(f"{data}: the database changed")
    assert problems == []


def _run(cli, db: str, data: Path, contract: Path) -> tuple[int, dict]:
    r = cli("check", str(data), "-c", str(contract), "--json", "--use-case", "loans", db=db,
            actor="ben")  # fmt: skip
    assert "Traceback" not in r.err and r.err == "", r.err
    return r.code, json.loads(r.out)


def test_empty_datasets_are_results_not_crashes(cli, seeded, tmp_path: Path) -> None:
    db, d = seeded
    contract = tmp_path / "rows.yaml"
    contract.write_text(CONTRACT + "dataset:\n  - row_count: {min: 1}\n", encoding="utf-8")
    GOOD.clear().write_parquet(d / "empty.parquet")
    (d / "header.csv").write_text("id,amount\n", encoding="utf-8")
    (d / "blank.ndjson").write_text("\n", encoding="utf-8")
    for name in ("empty.parquet", "header.csv"):
        code, out = _run(cli, db, d / name, contract)
        results = {x["id"]: x for x in out["results"]}
        assert code == 1 and out["rows"] == 0, name
        assert results["dataset.row_count"]["status"] == "fail"
        assert results["id.unique"]["status"] == "pass"
        assert all(c["count"] == 0 for c in out["profile"]["columns"])
    # every stored run is whole: one evidence row per run
    assert stored_runs(db, "loans") == 2


def stored_runs(db: str, slug: str) -> int:
    from scalegate.services.workspace import open_store

    with open_store(db) as store:
        return len(registry.list_evidence(store, slug))


def test_all_null_column_nan_and_infinities_are_failed_rules(cli, seeded) -> None:
    db, d = seeded
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "amount": [1.0, float("nan"), float("inf"), float("-inf"), None],
            "empty": pl.Series([None] * 5, dtype=pl.Float64),
        }
    )
    frame.write_parquet(d / "odd.parquet")
    contract = d / "odd.yaml"
    contract.write_text(
        CONTRACT + "  empty:\n    type: float\n    rules:\n      - not_null\n"
        "      - between: {min: 0, max: 1}\n",
        encoding="utf-8",
    )
    code, out = _run(cli, db, d / "odd.parquet", contract)
    assert code == 1
    results = {x["id"]: x for x in out["results"]}
    assert results["empty.not_null"]["failing"] == 5
    assert results["empty.between"]["status"] == "pass"  # nulls are not_null's business
    # NaN and both infinities are outside [0, 1000]; examples come back as text
    expected = frame.filter(~pl.col("amount").is_between(0, 1000)).height
    assert results["amount.between"]["failing"] == expected == 3
    assert set(results["amount.between"]["examples"]) == {"NaN", "inf", "-inf"}
    columns = {c["name"]: c for c in out["profile"]["columns"]}
    amount = columns["amount"]
    assert (amount["nan"], amount["pos_inf"], amount["neg_inf"]) == (1, 1, 1)
    assert amount["min"] == 1.0 and amount["max"] == 1.0
    assert columns["empty"]["count"] == 0 and columns["empty"]["nulls"] == 5
    text = json.dumps(out)
    assert "NaN" not in text.replace('"NaN"', "") and "Infinity" not in text
    assert all(math.isfinite(x["fraction"]) for x in out["results"])


def test_a_contract_column_the_data_lacks_is_a_failed_rule(cli, seeded) -> None:
    db, d = seeded
    GOOD.drop("amount").write_parquet(d / "no_amount.parquet")
    code, out = _run(cli, db, d / "no_amount.parquet", d / "c.yaml")
    results = {x["id"]: x for x in out["results"]}
    assert code == 1
    assert results["amount.required"]["status"] == "fail"
    assert results["amount.between"]["status"] == "skipped"


def test_quoted_csv_without_ragged_rows_passes(cli, seeded) -> None:
    db, d = seeded
    (d / "ok.csv").write_text(
        'id,amount\n"a, with comma",1.5\n"b ""quoted""",2\n"c\nacross lines",3\n',
        encoding="utf-8",
    )
    code, out = _run(cli, db, d / "ok.csv", d / "c.yaml")
    assert code == 0 and out["rows"] == 3


def test_two_thousand_columns(cli, seeded) -> None:
    db, d = seeded
    rows = 300
    frame = pl.DataFrame({f"c{i}": pl.int_range(rows, eager=True) * i for i in range(2000)})
    frame = frame.with_columns(pl.Series("id", [f"r{i}" for i in range(rows)]))
    frame = frame.with_columns(amount=pl.lit(5.0))
    frame.write_csv(d / "wide.csv")
    contract = d / "wide.yaml"
    rules = "".join(f"  c{i}:\n    rules: [not_null]\n" for i in range(0, 2000, 50))
    contract.write_text(CONTRACT + rules, encoding="utf-8")
    started = time.perf_counter()
    code, out = _run(cli, db, d / "wide.csv", contract)
    assert time.perf_counter() - started < 120
    assert code == 0 and out["columns"] == 2002 and len(out["profile"]["columns"]) == 2002
    assert {c["name"]: c["max"] for c in out["profile"]["columns"]}["c1999"] == 1999 * (rows - 1)
