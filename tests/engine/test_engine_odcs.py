"""ODCS v3 import: a realistic document converted field by field, what is not converted,
the operators and units, and documents that are not ODCS."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from scalegate.engine.check import check, load_contract
from scalegate.engine.contract_yaml import dump
from scalegate.engine.odcs import convert, import_text
from scalegate.errors import DocumentError

DATA = Path(__file__).parent / "data"
ODCS = DATA / "orders.odcs.yaml"


def orders() -> Any:
    return import_text(ODCS.read_text(encoding="utf-8"), "orders.odcs.yaml", schema="orders")


def doc(properties: list[dict[str, Any]], quality: list[Any] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"name": "t", "properties": properties}
    if quality is not None:
        obj["quality"] = quality
    return {"apiVersion": "v3.0.2", "kind": "DataContract", "schema": [obj]}


def column_rules(quality: list[dict[str, Any]], **prop: Any) -> tuple[Any, list[str]]:
    out = convert(doc([{"name": "x", **prop, "quality": quality}]), source="t.yaml")
    return out.contract["columns"]["x"].get("rules", []), [str(u) for u in out.unconverted]


def test_the_document_converts_field_by_field() -> None:
    out = orders()
    c = out.contract
    assert (out.api_version, out.schema_name) == ("v3.0.2", "orders")
    assert c["contract"] == "seller-orders"
    assert c["version"] == "1.1.0"
    assert c["description"] == "Orders placed by sellers, one row per order and tenant."
    assert c["dataset"] == [
        {"unique": {"columns": ["tenant_id", "order_id"]}, "description": "primary key"},
        {"row_count": {"min": 4}, "description": "At least a few orders a day."},
        # mustBeBetween is exclusive on both ends in the standard
        {"row_count": {"min": 1, "max": 999999}, "id": "dataset.row_count_2"},
    ]
    cols = c["columns"]
    assert list(cols) == [
        "tenant_id",
        "order_id",
        "order_date",
        "amount",
        "quantity",
        "status",
        "currency",
        "email",
        "iban",
        "shipped_at",
        "tags",
        "discount_code",
    ]
    # composite primary key: each part not null, uniqueness on the dataset
    assert cols["tenant_id"] == {
        "type": "string",
        "rules": ["not_null", {"length": {"min": 2, "max": 8}}],
    }
    assert cols["order_id"]["type"] == "string"
    assert cols["order_id"]["rules"][0] == "not_null"
    uuid = cols["order_id"]["rules"][1]
    assert uuid["id"] == "order_id.format"
    assert uuid["regex"]["pattern"].startswith("^[0-9a-fA-F]{8}-")
    assert cols["order_date"] == {
        "type": "date",
        "rules": ["not_null", {"between": {"min": dt.date(2020, 1, 1)}}],
    }
    # v3.0 boolean exclusiveMaximum: the maximum itself is out
    assert cols["amount"] == {
        "type": "number",
        "rules": ["not_null", {"between": {"min": 0, "max": 100000, "inclusive": "left"}}],
    }
    assert cols["quantity"] == {
        "type": "integer",
        "rules": [
            {"between": {"min": 1}},
            {"between": {"min": -32768, "max": 32767}, "id": "quantity.format"},
            {"expression": {"expr": "quantity % 1 == 0"}, "id": "quantity.multiple_of"},
        ],
    }
    assert cols["status"] == {
        "type": "string",
        "rules": [
            "not_null",
            {
                "in_set": {"values": ["placed", "shipped", "delivered", "cancelled"]},
                "description": "Only the four known statuses.",
            },
        ],
    }
    # the v3.0 `rule: validValues` spelling, severity warning -> warn
    assert cols["currency"] == {
        "type": "string",
        "rules": [{"in_set": {"values": ["EUR", "USD", "GBP"]}, "severity": "warn"}],
    }
    email = cols["email"]["rules"]
    assert email[0]["id"] == "email.format"
    assert email[1] == {
        "not_null": {"max_fraction": 0.05},
        "severity": "warn",
        "description": "Fewer than 5% of orders lack an email.",
    }
    assert email[2] == {
        "expression": {"expr": 'is_not_null(email) and email not in ["", "N/A"]'},
        "severity": "warn",
        "threshold": 0.9,
        "id": "email.missing_values",
    }
    assert len(email) == 3
    assert cols["iban"]["rules"] == [
        {"regex": {"pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{4}[0-9]{7}([A-Z0-9]?){0,16}$"}}
    ]
    assert cols["shipped_at"] == {"type": "datetime"}  # logical date, physical timestamp
    assert cols["tags"] == {}
    assert cols["discount_code"] == {"type": "string", "rules": ["unique"]}


def test_everything_left_out_is_listed_with_its_path_and_reason() -> None:
    listed = {u.path: u.reason for u in orders().unconverted}
    assert sorted(listed) == [
        "schema[0].properties[10].logicalType",
        "schema[0].properties[10].properties",
        "schema[0].properties[11].quality[0]",
        "schema[0].properties[2].logicalTypeOptions.format",
        "schema[0].properties[3].quality[0]",
        "schema[0].properties[7].quality[2]",
        "schema[0].properties[7].quality[3]",
        "schema[0].properties[8].quality[1]",
        "schema[0].quality[2]",
        "schema[1]",
    ]
    assert listed["schema[1]"].startswith("schema object 'line_items' not imported")
    assert listed["schema[0].properties[3].quality[0]"].startswith("type sql")
    assert listed["schema[0].quality[2]"].startswith("type sql")
    assert "greatExpectations" in listed["schema[0].properties[11].quality[0]"]
    assert listed["schema[0].properties[7].quality[3]"].startswith("type text")
    assert "allows 9 rows" in listed["schema[0].properties[7].quality[2]"]
    assert "lower bound" in listed["schema[0].properties[8].quality[1]"]
    assert "array" in listed["schema[0].properties[10].logicalType"]


def good_orders(n: int = 6) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "tenant_id": ["t1", "t1", "t2", "t2", "t3", "t3"][:n],
            "order_id": [f"0000000{i}-aaaa-4bbb-8ccc-00000000000{i}" for i in range(n)],
            "order_date": [dt.date(2024, 5, i + 1) for i in range(n)],
            "amount": [10.5, 99999.99, 0.0, 12.0, 7.25, 100.0][:n],
            "quantity": [1, 2, 3, 30000, 5, 6][:n],
            "status": ["placed", "shipped", "delivered", "cancelled", "placed", "placed"][:n],
            "currency": ["EUR", "USD", "GBP", "EUR", None, "EUR"][:n],
            "email": ["a@x.org", "b@y.com", "c@z.de", "d@x.org", "e@x.org", "f@y.com"][:n],
            "iban": ["DE89370400440532013000", None, None, None, None, None][:n],
            "shipped_at": [dt.datetime(2024, 5, i + 2, 10) for i in range(n)],
            "tags": [["a"], [], ["b"], [], [], []][:n],
            "discount_code": ["ABCD", None, "EFGH", None, None, "IJKL"][:n],
        }
    )


def converted_contract() -> Any:
    text = dump(orders().contract, ["converted"])
    return load_contract(text, "orders.yaml")


def test_the_converted_contract_loads_and_good_data_passes() -> None:
    result = check(good_orders(), converted_contract())
    assert result.passed, [(r.id, r.reason) for r in result.failed]
    assert [r.id for r in result.warnings] == []
    assert len(result.results) == 33  # 3 dataset + 11 types + 19 column rules


def test_bad_data_fails_the_converted_rules_as_polars_counts_them() -> None:
    good = good_orders()["order_id"].to_list()
    frame = good_orders().with_columns(
        pl.Series("status", ["placed", "lost", "shipped", "??", "placed", "placed"]),
        pl.Series("amount", [10.0, 100000.0, -1.0, 5.0, 5.0, 5.0]),
        pl.Series("tenant_id", ["t1", "t1", "t2", "t2", "t3", "t1"]),
        # rows 0 and 5 share a key (t1, x); row 1 repeats row 0's good id in another tenant
        pl.Series("order_id", ["x", good[0], *good[2:5], "x"]),
        pl.Series("email", ["a@x.org", "N/A", "", None, "e@x.org", "no-at-sign"]),
        pl.Series("quantity", [0, 2, 3, 40000, 5, 6]),
    )
    by_id = {r.id: r for r in check(frame, converted_contract()).results}
    valid = ["placed", "shipped", "delivered", "cancelled"]
    expected = {
        "status.in_set": frame.filter(~pl.col("status").is_in(valid)).height,
        "amount.between": frame.filter((pl.col("amount") < 0) | (pl.col("amount") >= 1e5)).height,
        "quantity.between": frame.filter(pl.col("quantity") < 1).height,
        "quantity.format": frame.filter(pl.col("quantity") > 32767).height,
        "order_id.format": frame.filter(
            ~pl.col("order_id").str.contains(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-")
        ).height,
        "dataset.unique": frame.filter(pl.len().over("tenant_id", "order_id") > 1).height,
        "email.format": sum(  # Python's re on the values, not Polars
            1
            for v in frame["email"].to_list()
            if v is not None and not re.search(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", v)
        ),
        "email.missing_values": frame.filter(
            pl.col("email").is_null() | pl.col("email").is_in(["", "N/A"])
        ).height,
    }
    assert all(v > 0 for v in expected.values()), expected
    assert {k: by_id[k].failing for k in expected} == expected
    assert by_id["status.in_set"].status.value == "fail"
    assert by_id["email.missing_values"].severity.value == "warn"


def test_line_items_is_imported_when_picked() -> None:
    out = import_text(ODCS.read_text(encoding="utf-8"), "o.yaml", schema="line_items")
    assert out.contract["columns"] == {
        "order_id": {"type": "string", "rules": ["not_null"]},
        "price": {"type": "number", "rules": [{"between": {"min": 0}}]},
    }
    assert [str(u) for u in out.unconverted] == [
        "schema[1].properties[0].relationships: relationships (foreign keys) span datasets; "
        "a contract checks one dataset",
        "schema[0]: schema object 'orders' not imported (pick it with --schema)",
    ]
    assert orders().unconverted[-1].path == "schema[1]"  # other objects come last


@pytest.mark.parametrize(
    ("quality", "rules"),
    [
        ({"metric": "nullValues", "mustBe": 0}, ["not_null"]),
        ({"metric": "nullValues", "mustBeLessThan": 1}, ["not_null"]),
        ({"metric": "nullValues", "mustBeLessOrEqualTo": 0.5}, ["not_null"]),
        ({"metric": "nullValues", "mustBe": 0, "unit": "percent"}, ["not_null"]),
        (
            {"metric": "nullValues", "mustBeLessOrEqualTo": 2, "unit": "percent"},
            [{"not_null": {"max_fraction": 0.02}}],
        ),
        (
            {"metric": "nullValues", "mustBeBetween": [0, 5], "unit": "percent"},
            [{"not_null": {"max_fraction": 0.05}}],
        ),
        (
            {"metric": "duplicateValues", "mustBeLessThan": 1, "unit": "percent"},
            [{"unique": {}, "threshold": 0.99}],
        ),
        ({"rule": "duplicateCount", "mustBe": 0}, ["unique"]),
        (
            {"metric": "invalidValues", "arguments": {"validValues": ["a", None, "b"]}},
            [{"in_set": {"values": ["a", "b"]}}],
        ),
        (
            {
                "metric": "invalidValues",
                "mustBeLessThan": 3,
                "unit": "percent",
                "arguments": {"validValues": ["a"], "pattern": "^a$"},
            },
            [
                {"in_set": {"values": ["a"]}, "threshold": 0.97},
                {"regex": {"pattern": "^a$"}, "threshold": 0.97},
            ],
        ),
        (
            {"metric": "missingValues", "arguments": {"missingValues": ["", 0]}},
            [{"expression": {"expr": 'x not in ["", 0]'}, "id": "x.missing_values"}],
        ),
        (
            {"metric": "nullValues", "mustBe": 0, "severity": "critical"},
            ["not_null"],
        ),
        (
            {"metric": "nullValues", "mustBe": 0, "severity": "info", "name": "no nulls"},
            [{"not_null": {}, "severity": "warn", "description": "no nulls"}],
        ),
    ],
)
def test_library_metrics_and_operators(quality: dict[str, Any], rules: list[Any]) -> None:
    got, unconverted = column_rules([quality], logicalType="string")
    assert (got, unconverted) == (rules, [])


@pytest.mark.parametrize(
    ("quality", "reason"),
    [
        ({"metric": "nullValues", "mustBeLessThan": 10}, "allows 9 rows"),
        ({"metric": "nullValues", "mustNotBe": 3}, "mustNotBe has no scalegate equivalent"),
        ({"metric": "nullValues", "mustBe": 0, "unit": "bytes"}, "not rows or percent"),
        ({"metric": "nullValues", "mustBeGreaterThan": 2}, "lower bound"),
        ({"metric": "nullValues", "mustBe": "none"}, "is not a number"),
        ({"metric": "averageValue", "mustBe": 3}, "metric 'averageValue' is not known"),
        ({"metric": "rowCount", "mustBe": 3}, "schema-level metric"),
        ({"metric": "invalidValues", "mustBe": 0}, "needs arguments.validValues"),
        ({"metric": "invalidValues", "arguments": {"pattern": "("}}, "not valid"),
        ({"type": "sql", "query": "SELECT 1", "mustBe": 1}, "type sql"),
        ({"type": "custom", "engine": "soda", "implementation": "x"}, "engine soda"),
        ({"type": "text", "description": "nice data"}, "type text"),
        ({"type": "magic"}, "quality type 'magic' is unknown"),
        ({"type": "library"}, "needs a metric"),
    ],
)
def test_checks_that_do_not_convert_are_listed(quality: dict[str, Any], reason: str) -> None:
    got, unconverted = column_rules([quality], logicalType="string")
    assert got == []
    assert len(unconverted) == 1
    assert unconverted[0].startswith("schema[0].properties[0].quality[0]: ")
    assert reason in unconverted[0]


def test_an_unknown_severity_is_kept_as_error_and_listed() -> None:
    got, unconverted = column_rules([{"metric": "nullValues", "severity": "meh"}])
    assert got == ["not_null"]
    assert unconverted == [
        "schema[0].properties[0].quality[0].severity: severity 'meh' is unknown; kept as error"
    ]


@pytest.mark.parametrize(
    ("quality", "params"),
    [
        ({"metric": "rowCount", "mustBe": 10}, {"min": 10, "max": 10}),
        ({"metric": "rowCount", "mustBeGreaterOrEqualTo": 5}, {"min": 5}),
        ({"metric": "rowCount", "mustBeGreaterThan": 5}, {"min": 6}),
        ({"metric": "rowCount", "mustBeLessThan": 100}, {"max": 99}),
        ({"metric": "rowCount", "mustBeLessOrEqualTo": 100}, {"max": 100}),
        ({"metric": "rowCount", "mustBeBetween": [100, 120]}, {"min": 101, "max": 119}),
        (
            {"metric": "rowCount", "mustBeGreaterThan": 5, "mustBeLessThan": 9},
            {"min": 6, "max": 8},
        ),
        ({"rule": "rowCount", "mustBeGreaterThan": 0}, {"min": 1}),
    ],
)
def test_row_count_operators(quality: dict[str, Any], params: dict[str, Any]) -> None:
    out = convert(doc([{"name": "x"}], [quality]), source="t.yaml")
    assert out.contract["dataset"] == [{"row_count": params}]
    assert out.unconverted == ()


def test_schema_level_duplicates_need_known_properties() -> None:
    q = [{"metric": "duplicateValues", "arguments": {"properties": ["x", "y"]}}]
    out = convert(doc([{"name": "x"}], q), source="t.yaml")
    assert "dataset" not in out.contract
    assert [str(u) for u in out.unconverted] == [
        "schema[0].quality[0]: duplicateValues names unknown properties y"
    ]


@pytest.mark.parametrize(
    ("prop", "rules"),
    [
        # v3.1: exclusive bounds are numbers of their own
        (
            {"logicalType": "number", "logicalTypeOptions": {"exclusiveMinimum": 0, "maximum": 9}},
            [{"between": {"min": 0, "max": 9, "inclusive": "right"}}],
        ),
        (
            {
                "logicalType": "integer",
                "logicalTypeOptions": {"minimum": 1, "exclusiveMinimum": 3, "exclusiveMaximum": 7},
            },
            [{"between": {"min": 3, "max": 7, "inclusive": "neither"}}],
        ),
        (
            {"logicalType": "timestamp", "logicalTypeOptions": {"minimum": "2024-01-01T00:00:00Z"}},
            [{"between": {"min": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}}],
        ),
        (
            {"logicalType": "integer", "logicalTypeOptions": {"format": "u8"}},
            [{"between": {"min": 0, "max": 255}, "id": "x.format"}],
        ),
        (
            {"logicalType": "string", "logicalTypeOptions": {"pattern": "^[a-z]+$"}},
            [{"regex": {"pattern": "^[a-z]+$"}}],
        ),
        (
            {"primaryKey": True, "logicalType": "string", "required": True},
            ["not_null", "unique"],
        ),
        ({"physicalType": "BIGINT"}, []),
    ],
)
def test_types_and_options(prop: dict[str, Any], rules: list[Any]) -> None:
    out = convert(doc([{"name": "x", **prop}]), source="t.yaml")
    assert out.contract["columns"]["x"].get("rules", []) == rules
    assert out.unconverted == ()


@pytest.mark.parametrize(
    ("prop", "kind"),
    [
        ({"physicalType": "BIGINT"}, "integer"),
        ({"physicalType": "varchar(20)"}, "string"),
        ({"physicalType": "DOUBLE"}, "number"),
        ({"physicalType": "timestamp_ntz"}, "datetime"),
        ({"physicalType": "DATE"}, "date"),
        ({"logicalType": "boolean"}, "boolean"),
        ({"logicalType": "timestamp"}, "datetime"),
    ],
)
def test_types_from_logical_or_physical_type(prop: dict[str, Any], kind: str) -> None:
    out = convert(doc([{"name": "x", **prop}]), source="t.yaml")
    assert out.contract["columns"]["x"]["type"] == kind


def test_unsupported_options_are_listed() -> None:
    prop = {
        "name": "x",
        "logicalType": "string",
        "logicalTypeOptions": {"format": "password", "minLength": 5, "maxLength": 2, "foo": 1},
    }
    out = convert(doc([prop]), source="t.yaml")
    assert out.contract["columns"]["x"] == {"type": "string"}
    assert [str(u) for u in out.unconverted] == [
        "schema[0].properties[0].logicalTypeOptions.minLength: length {'min': 5, 'max': 2} is "
        "not valid: min 5 is above max 2",
        "schema[0].properties[0].logicalTypeOptions.format: string format 'password' is not "
        "converted (known: email, ipv4, uri, uuid)",
        "schema[0].properties[0].logicalTypeOptions.foo: option 'foo' has no scalegate rule",
    ]


def text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "kind: DataContract\napiVersion: v3.0.2\n",
            "odcs.yaml, line 1: an ODCS contract to import",
        ),
        (
            "kind: DataContract\napiVersion: v2.2.2\nschema: []\n",
            "odcs.yaml, line 2: field 'apiVersion': apiVersion 'v2.2.2' is not ODCS v3",
        ),
        (
            "apiVersion: v3.0.2\nkind: Contract\n",
            "odcs.yaml, line 2: field 'kind': not an ODCS data contract: kind is 'Contract'",
        ),
        (
            "contract: mine\ncolumns: {}\n",
            "odcs.yaml, line 1: not an ODCS data contract: kind is None",
        ),
        ("- a\n- b\n", "odcs.yaml: not an ODCS document: expected a mapping, got list"),
        ("kind: [DataContract\n", "odcs.yaml, line 2"),
        (
            "kind: DataContract\napiVersion: v3.0.2\nschema:\n  - name: a\n  - name: b\n",
            "odcs.yaml, line 4: field 'schema': the document has 2 schema objects (a, b); "
            "pick one with --schema NAME",
        ),
        (
            "kind: DataContract\napiVersion: v3.0.2\nschema:\n  - name: a\n    properties:\n"
            "      - logicalType: string\n",
            "odcs.yaml, line 6: field 'schema[0].properties[0]': each property needs a 'name'",
        ),
        (
            "kind: DataContract\napiVersion: v3.0.2\nschema:\n  - name: a\n    properties:\n"
            "      - name: x\n      - name: x\n",
            "odcs.yaml, line 6: field 'schema[0].properties': column 'x' is listed twice",
        ),
        (
            "kind: DataContract\napiVersion: v3.0.2\nschema:\n  - name: a\n    quality:\n"
            "      - {type: sql, query: x}\n",
            "odcs.yaml, line 4: field 'schema[0]': schema object 'a' has no properties and no "
            "convertible checks (1 check could not be converted)",
        ),
    ],
)
def test_documents_that_are_not_odcs_v3_name_file_and_line(body: str, message: str) -> None:
    with pytest.raises(DocumentError) as info:
        import_text(body, "odcs.yaml")
    assert str(info.value).startswith(message), str(info.value)


def test_an_unknown_schema_name_lists_the_names() -> None:
    with pytest.raises(
        DocumentError, match="no schema object named 'nope'; the document has orders, line_items"
    ):
        import_text(ODCS.read_text(encoding="utf-8"), "o.yaml", schema="nope")


def test_the_yaml_output_round_trips() -> None:
    contract = orders().contract
    assert yaml.safe_load(dump(contract, ["a", "b"])) == contract


def test_physical_names_name_the_columns_when_asked() -> None:
    props = [
        {"name": "tenant", "physicalName": "tnt_id", "primaryKey": True, "primaryKeyPosition": 2},
        {"name": "order", "physicalName": "ord_id", "primaryKey": True, "primaryKeyPosition": 1},
        {
            "name": "qty",
            "physicalName": "qty_n",
            "logicalType": "integer",
            "logicalTypeOptions": {"multipleOf": 5},
        },
        {"name": "note", "logicalType": "string"},
    ]
    quality = [{"metric": "duplicateValues", "arguments": {"properties": ["order", "qty"]}}]
    logical = convert(doc(props, quality), source="t.yaml")
    assert list(logical.contract["columns"]) == ["tenant", "order", "qty", "note"]
    physical = convert(doc(props, quality), source="t.yaml", physical_names=True)
    c = physical.contract
    assert list(c["columns"]) == ["tnt_id", "ord_id", "qty_n", "note"]
    assert c["dataset"] == [
        {"unique": {"columns": ["ord_id", "tnt_id"]}, "description": "primary key"},
        {"unique": {"columns": ["ord_id", "qty_n"]}, "id": "dataset.unique_2"},
    ]
    assert c["columns"]["qty_n"]["rules"] == [
        {"expression": {"expr": "qty_n % 5 == 0"}, "id": "qty_n.multiple_of"}
    ]
    assert physical.unconverted == ()
    frame = pl.DataFrame({"tnt_id": [1, 1], "ord_id": [1, 2], "qty_n": [5, 7], "note": ["", ""]})
    result = check(frame, load_contract(dump(c), "c.yaml"))
    assert [r.id for r in result.failed] == ["qty_n.multiple_of"]
