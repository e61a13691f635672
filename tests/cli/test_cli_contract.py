"""`scalegate contract import | infer | schema | validate`, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from scalegate.engine.contract_schema import render

ODCS = Path(__file__).parents[1] / "engine" / "data" / "orders.odcs.yaml"


def test_import_prints_the_contract_and_lists_what_it_left_out(cli) -> None:
    r = cli("contract", "import", str(ODCS), "--schema", "orders")
    assert r.code == 0, r.err
    data = yaml.safe_load(r.out)
    assert data["contract"] == "seller-orders"
    assert data["columns"]["status"]["rules"][0] == "not_null"
    listed = [line for line in r.err.splitlines() if line.startswith("not converted: ")]
    assert len(listed) == 10
    assert "not converted: schema[0].properties[3].quality[0]: type sql" in r.err
    # the same list heads the YAML as comments
    assert "#   schema[0].properties[3].quality[0]: type sql" in r.out
    assert r.out.startswith(
        "# scalegate data contract converted by `scalegate contract import` from orders.odcs.yaml\n"
    )


def test_import_writes_a_file_that_validates_and_checks(cli, tmp_path: Path) -> None:
    out = tmp_path / "orders.yaml"
    r = cli("contract", "import", str(ODCS), "--schema", "line_items", "-o", str(out))
    assert r.code == 0, r.err
    assert r.out.strip() == f"wrote {out}: 2 rules on 2 columns, 2 checks not converted"
    assert [p.name for p in tmp_path.iterdir()] == ["orders.yaml"]  # no temporary left
    v = cli("contract", "validate", str(out))
    assert (v.code, v.out.strip()) == (0, "ok: 2 rules on 2 columns")
    data = tmp_path / "items.parquet"
    pl.DataFrame({"order_id": ["a", "b"], "price": [1.0, -2.0]}).write_parquet(data)
    c = cli("check", str(data), "-c", str(out), "--json")
    assert c.code == 1
    failed = [x["id"] for x in json.loads(c.out)["results"] if x["status"] == "fail"]
    assert failed == ["price.between"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "error: {f}: no such file"),
        ("kind: [DataContract\n", "error: {f}, line 2, column 1:"),
        ("contract: c\ncolumns: {a: {}}\n", "error: {f}, line 1: not an ODCS data contract"),
        (
            "kind: DataContract\napiVersion: v3.0.2\nschema: [{name: a}, {name: b}]\n",
            "error: {f}, line 3: field 'schema': the document has 2 schema objects (a, b); "
            "pick one with --schema NAME",
        ),
        ("kind: DataContract\napiVersion: 2.2.0\nschema: []\n", "is not ODCS v3"),
    ],
)
def test_import_errors_exit_2_with_one_line(
    cli, tmp_path: Path, content: str | None, message: str
) -> None:
    f = tmp_path / "in.yaml"
    if content is not None:
        f.write_text(content, encoding="utf-8")
    out = tmp_path / "out.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    r = cli("contract", "import", str(f), "-o", str(out))
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert message.format(f=f) in r.err
    assert "Traceback" not in r.err
    assert out.read_text(encoding="utf-8") == "keep me\n"  # nothing half-written


def test_import_to_a_missing_folder_is_exit_2(cli, tmp_path: Path) -> None:
    r = cli("contract", "import", str(ODCS), "--schema", "orders", "-o", str(tmp_path / "x" / "c"))
    assert r.code == 2
    assert "does not exist" in r.err


def test_an_unknown_schema_name_lists_the_names(cli) -> None:
    r = cli("contract", "import", str(ODCS), "--schema", "nope")
    assert r.code == 2
    assert "no schema object named 'nope'; the document has orders, line_items" in r.err


def test_infer_then_check_passes_on_the_same_sample(cli, tmp_path: Path) -> None:
    sample = tmp_path / "loans.csv"
    pl.DataFrame(
        {
            "id": [f"L{i:03d}" for i in range(40)],
            "age": [18 + i for i in range(40)],
            "grade": ["A", "B", "C", "D"] * 10,
            "income": [None if i % 10 == 0 else 1000.0 * i for i in range(40)],
        }
    ).write_csv(sample)
    out = tmp_path / "loans.yaml"
    r = cli("contract", "infer", str(sample), "-o", str(out))
    assert r.code == 0, r.err
    assert r.out.strip() == f"wrote {out}: 11 rules on 4 columns"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Starter contract inferred by `scalegate contract infer` from ")
    contract = yaml.safe_load(text)
    assert contract["contract"] == "loans"
    assert contract["columns"]["grade"]["rules"][-1] == {"in_set": {"values": ["A", "B", "C", "D"]}}
    c = cli("check", str(sample), "-c", str(out))
    assert c.code == 0, c.out + c.err
    stdout = cli("contract", "infer", str(sample))
    assert stdout.code == 0 and yaml.safe_load(stdout.out) == contract


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.parquet", None, "missing.parquet"),
        ("bad.parquet", b"not parquet at all", "bad.parquet"),
    ],
)
def test_infer_errors_exit_2(
    cli, tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    r = cli("contract", "infer", str(f))
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert message in r.err and "Traceback" not in r.err
    assert r.out == ""


def test_schema_prints_the_shipped_json_schema(cli) -> None:
    r = cli("contract", "schema")
    assert r.code == 0
    assert r.out == render()
    assert json.loads(r.out)["definitions"]["ColumnRule"]["anyOf"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "error: {f}: no such file"),
        ("contract: c\ncolumns:\n  a:\n    rules: [not_nul]\n", "error: {f}, line 4"),
        (
            "contract: c\ncolumns:\n  a:\n    rules:\n      - between: {min: 3, mx: 4}\n",
            "error: {f}, line 5: field 'columns.a.rules[0].between.mx'",
        ),
        ("contract: c\ncolumns: [\n", "error: {f}, line 3"),
    ],
)
def test_validate_errors_exit_2(cli, tmp_path: Path, content: str | None, message: str) -> None:
    f = tmp_path / "c.yaml"
    if content is not None:
        f.write_text(content, encoding="utf-8")
    r = cli("contract", "validate", str(f))
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert message.format(f=f) in r.err


def test_validate_counts_rules_and_columns(cli, tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(
        "contract: c\ndataset: [{row_count: {min: 1}}]\ncolumns:\n  a:\n    rules: [unique]\n",
        encoding="utf-8",
    )
    r = cli("contract", "validate", str(f))
    assert (r.code, r.out.strip()) == (0, "ok: 2 rules on 1 column")


def test_import_with_physical_names(cli, tmp_path: Path) -> None:
    f = tmp_path / "o.odcs.yaml"
    f.write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nschema:\n  - name: t\n    properties:\n"
        "      - {name: amount, physicalName: amt, logicalType: number, required: true}\n",
        encoding="utf-8",
    )
    logical = yaml.safe_load(cli("contract", "import", str(f)).out)
    physical = yaml.safe_load(cli("contract", "import", str(f), "--physical-names").out)
    assert list(logical["columns"]) == ["amount"]
    assert physical["columns"] == {"amt": {"type": "number", "rules": ["not_null"]}}
