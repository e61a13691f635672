"""The data contract shape: rule entries in their short and long forms, ids, errors."""

from __future__ import annotations

import pytest

from scalegate.domain import documents
from scalegate.domain.contract import ColumnType, Contract, RuleSpec, Severity
from scalegate.errors import DocumentError

GOOD = """\
contract: loan-applications
version: 2
dataset:
  - row_count: {min: 10}
  - unique: {columns: [id, version]}
columns:
  id:
    type: string
    rules:
      - not_null
      - unique
  age:
    type: integer
    required: false
    rules:
      - between: {min: 18, max: 100}
        severity: warn
        threshold: 0.99
      - not_null:
        id: age-present
"""


def load(text: str) -> Contract:
    return documents.load(Contract, text, "c.yaml")


def test_short_and_long_rule_forms() -> None:
    c = load(GOOD)
    assert c.version == "2"
    ids = [rid for rid, _ in c.rule_ids()]
    assert ids == [
        "dataset.row_count",
        "dataset.unique",
        "id.not_null",
        "id.unique",
        "age.between",
        "age-present",
    ]
    between = c.columns["age"].rules[0]
    assert between == RuleSpec(
        rule="between", params={"min": 18, "max": 100}, severity=Severity.WARN, threshold=0.99
    )
    assert c.columns["age"].rules[1].params == {}  # `not_null:` with no value
    assert c.columns["id"].type is ColumnType.STRING
    assert c.columns["age"].required is False


def test_two_rules_in_one_entry_is_refused_with_the_line() -> None:
    text = GOOD.replace("      - unique\n", "      - unique: {}\n        regex: {pattern: x}\n")
    with pytest.raises(DocumentError) as info:
        load(text)
    msg = str(info.value)
    assert "c.yaml, line 11" in msg
    assert "'unique', 'regex'" in msg and "own '- ' item" in msg


def test_parameters_must_be_a_mapping() -> None:
    with pytest.raises(DocumentError, match=r"parameters of 'unique' must be a mapping"):
        load(GOOD.replace("      - unique\n", "      - unique: yes\n"))


def test_entry_without_a_rule() -> None:
    with pytest.raises(DocumentError, match="needs a rule"):
        load(GOOD.replace("      - unique\n", "      - severity: warn\n"))


def test_threshold_and_severity_are_checked() -> None:
    with pytest.raises(DocumentError, match=r"line 18: field 'columns.age.rules\[0\].threshold'"):
        load(GOOD.replace("threshold: 0.99", "threshold: 1.5"))
    with pytest.raises(DocumentError, match="severity"):
        load(GOOD.replace("severity: warn", "severity: fatal"))


def test_unknown_column_type_names_the_field() -> None:
    with pytest.raises(DocumentError) as info:
        load(GOOD.replace("type: integer", "type: int64"))
    assert "columns.age.type" in str(info.value)
    assert "line 13" in str(info.value)


def test_duplicate_result_ids_are_refused() -> None:
    text = GOOD.replace("        id: age-present\n", "        id: id.unique\n")
    with pytest.raises(DocumentError, match=r"rule id 'id\.unique' is used twice"):
        load(text)


def test_empty_contract_is_refused() -> None:
    with pytest.raises(DocumentError, match="at least one dataset rule or column"):
        load("contract: nothing\n")


def test_rule_ids_must_be_snake_case() -> None:
    with pytest.raises(DocumentError, match="rule"):
        load(GOOD.replace("- unique\n", "- Unique\n"))
