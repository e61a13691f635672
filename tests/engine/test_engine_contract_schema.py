"""The contract JSON Schema: shipped file up to date, and it agrees with the loader."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
import yaml

from scalegate.engine.check import load_contract
from scalegate.engine.contract_schema import contract_schema, render, shipped_text
from scalegate.engine.contract_yaml import dump
from scalegate.engine.infer import infer
from scalegate.engine.odcs import import_text
from scalegate.engine.profile import profile
from scalegate.engine.rules import RULES
from scalegate.errors import DocumentError

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "src" / "scalegate" / "schemas" / "contract.schema.json"
REGENERATE = (
    "python -m scalegate.engine.contract_schema > src/scalegate/schemas/contract.schema.json"
)


def plain(value: Any) -> Any:
    """What an editor's JSON Schema validator sees: dates and timestamps are strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(shipped_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Draft7Validator, text: str) -> list[str]:
    return [e.message for e in validator.iter_errors(plain(yaml.safe_load(text)))]


def test_the_shipped_schema_is_up_to_date() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == render(), (
        f"src/scalegate/schemas/contract.schema.json is stale; regenerate it: {REGENERATE}"
    )
    assert shipped_text() == render()


def test_every_rule_has_its_parameters_in_the_schema() -> None:
    schema = contract_schema()
    assert "$defs" not in json.dumps(schema)  # draft-07, as VS Code's YAML extension reads
    defs = schema["definitions"]
    column = {o.get("title") for o in defs["ColumnRule"]["anyOf"]}
    dataset = {o.get("title") for o in defs["DatasetRule"]["anyOf"]}
    for rule in RULES.values():
        assert (rule.id in column) == ("column" in rule.scopes), rule.id
        assert (rule.id in dataset) == ("dataset" in rule.scopes), rule.id
    between = next(o for o in defs["ColumnRule"]["anyOf"] if o.get("title") == "between")
    params = between["properties"]["between"]["anyOf"][0]
    assert set(params["properties"]) == {"min", "max", "inclusive"}
    assert params["properties"]["inclusive"]["enum"] == ["both", "left", "right", "neither"]


def test_a_plugin_rule_appears_in_a_fresh_schema() -> None:
    from scalegate.engine.rules import Params
    from scalegate.engine.rules.registry import COLUMN, Rule

    class EvenParams(Params):
        modulus: int = 2

    rules = {**RULES, "even": Rule("even", EvenParams, lambda p, c: None, COLUMN, "even")}  # type: ignore[arg-type,return-value]
    text = render(rules)
    assert '"even"' in text and '"modulus"' in text
    assert '"even"' not in render()


def readme_contract() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- readme-test: contract -->\n```yaml\n(.*?)```", readme, re.S)
    assert m
    return m.group(1)


def converted_odcs() -> str:
    path = Path(__file__).parent / "data" / "orders.odcs.yaml"
    out = import_text(path.read_text(encoding="utf-8"), "o.yaml", schema="orders")
    return dump(out.contract)


def inferred_contract() -> str:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "n": [1.5, None, 3.0, 4.0],
            "t": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * 4,
            "s": ["x", "y", "x", "y"],
        }
    )
    result = infer(profile(frame))
    return dump(result.contract, result.header)


GOOD = {
    "readme": readme_contract,
    "odcs": converted_odcs,
    "inferred": inferred_contract,
    "forms": lambda: textwrap.dedent(
        """
        contract: forms
        version: 3
        dataset:
          - row_count: {min: 1}
          - rule: freshness
            params: {column: t, max_age: 7d}
          - unique: {columns: [a, b]}
            id: key
        columns:
          a:
            rules:
              - unique:
              - not_null
              - between: {min: 2024-01-01, inclusive: left}
                severity: warn
                threshold: 0.5
                description: dates
          b: {}
          t:
            type: datetime
            required: false
        """
    ),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_contracts_validate(validator: Any, name: str) -> None:
    text = GOOD[name]()
    assert errors(validator, text) == []
    load_contract(text, f"{name}.yaml")  # and the loader agrees


BAD = {
    "unknown rule": ("columns: {a: {rules: [not_nul]}}", "not_nul"),
    "unknown parameter": ("columns: {a: {rules: [{not_null: {max_frac: 0.1}}]}}", "max_frac"),
    "parameter type": ("columns: {a: {rules: [{length: {min: -1}}]}}", "min"),
    "severity": ("columns: {a: {rules: [{unique: null, severity: fatal}]}}", "severity"),
    "threshold": ("columns: {a: {rules: [{unique: null, threshold: 2}]}}", "threshold"),
    "dataset rule under a column": ("columns: {a: {rules: [{row_count: {min: 1}}]}}", "row_count"),
    "column rule under dataset": ("dataset: [not_null]", "not_null"),
    "two rules in one entry": ("columns: {a: {rules: [{unique: null, not_null: null}]}}", "one"),
    "bare rule needing parameters": ("dataset: [freshness]", "freshness"),
    "column field": ("columns: {a: {nullable: true}}", "nullable"),
    "type": ("columns: {a: {type: text}}", "text"),
    "top-level key": ("owner: me\ncolumns: {a: {}}", "owner"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_contracts_are_rejected_by_schema_and_loader(validator: Any, name: str) -> None:
    body, _ = BAD[name]
    text = "contract: bad\n" + body + "\n"
    assert errors(validator, text), f"the schema accepts {name}"
    with pytest.raises(DocumentError):
        load_contract(text, "bad.yaml")


def test_a_missing_contract_name_is_rejected(validator: Any) -> None:
    assert errors(validator, "columns: {a: {}}\n") == ["'contract' is a required property"]
