"""load_contract: every problem names the file, the line and the field."""

from __future__ import annotations

import textwrap

import pytest

from scalegate.domain.contract import Severity
from scalegate.engine.check import load_contract
from scalegate.engine.rules import RULES
from scalegate.errors import DocumentError


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def load_error(text: str, source: str = "loans.yaml") -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_contract(dedent(text), source)
    return info.value


def test_a_full_contract_loads() -> None:
    contract = load_contract(
        dedent(
            """
            contract: loans
            version: 2
            dataset:
              - row_count: {min: 1, max: 1000000}
              - unique: {columns: [id, branch]}
              - freshness: {column: updated_at, max_age: 24h}
              - expression: {expr: "income >= 0 and (age < 70 or retired)"}
            columns:
              id:
                type: integer
                rules: [unique, not_null]
              age:
                type: number
                rules:
                  - not_null: {max_fraction: 0.01}
                  - between: {min: 18, max: 100, inclusive: left}
                    severity: warn
                    threshold: 0.99
              branch:
                required: false
                rules:
                  - in_set: {values: [north, south]}
                  - regex: {pattern: "^[a-z]+$"}
                  - length: {min: 1, max: 20}
            """
        ),
        "loans.yaml",
    )
    assert contract.version == "2"
    assert [rid for rid, _ in contract.rule_ids()][:5] == [
        "dataset.row_count",
        "dataset.unique",
        "dataset.freshness",
        "dataset.expression",
        "id.unique",
    ]
    between = contract.columns["age"].rules[1]
    assert (between.severity, between.threshold) == (Severity.WARN, 0.99)


def test_yaml_syntax_error_names_line() -> None:
    err = load_error(
        """
        contract: loans
        columns:
          age:
            rules: [not_null
        """
    )
    assert str(err).startswith("loans.yaml, line ")
    assert err.fields["line"] in (4, 5)


def test_unknown_rule_lists_known_ones() -> None:
    err = load_error(
        """
        contract: loans
        columns:
          age:
            rules:
              - not_null
              - not_nul
        """
    )
    assert str(err) == (
        "loans.yaml, line 6: field 'columns.age.rules[1]': column 'age' uses unknown rule "
        "'not_nul'; known rules are " + ", ".join(sorted(RULES))
    )
    assert err.fields["line"] == 6


def test_rule_at_the_wrong_scope_is_named() -> None:
    err = load_error(
        """
        contract: loans
        columns:
          age:
            rules:
              - row_count: {min: 1}
        """
    )
    assert "line 5" in str(err)
    assert "rule 'row_count' cannot be used on column 'age'; write it under 'dataset:'" in str(err)
    err = load_error(
        """
        contract: loans
        dataset:
          - between: {min: 1}
        """
    )
    assert "rule 'between' cannot be used on the dataset; write it under a column" in str(err)
    assert err.fields["line"] == 3


def test_bad_params_name_line_and_field() -> None:
    err = load_error(
        """
        contract: loans
        columns:
          age:
            rules:
              - not_null
              - between:
                  min: 18
                  inclusive: sometimes
        """
    )
    assert err.fields["line"] == 8
    assert err.fields["field"] == "columns.age.rules[1].between.inclusive"
    assert "column 'age', rule 'between': Input should be 'both', 'left', 'right'" in str(err)
    assert "(got 'sometimes')" in str(err)


def test_unknown_param_lists_known_params() -> None:
    err = load_error(
        """
        contract: loans
        columns:
          age:
            rules:
              - between: {minimum: 18}
        """
    )
    assert "unknown field 'minimum'; parameters of between are min, max, inclusive" in str(err)
    assert err.fields["line"] == 5


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("between: {}", "between needs min, max or both"),
        ("between: {min: 5, max: 1}", "min 5 is above max 1"),
        ("not_null: {max_fraction: 2}", "less than or equal to 1"),
        ("in_set: {values: []}", "at least 1 item"),
        ("regex: {pattern: '(unclosed'}", "is not a valid regular expression"),
        ("length: {min: -1}", "greater than or equal to 0"),
    ],
)
def test_param_validation(rule: str, message: str) -> None:
    err = load_error(
        f"""
        contract: loans
        columns:
          age:
            rules:
              - {rule}
        """
    )
    assert message in str(err)
    assert err.fields["line"] == 5


def test_dataset_param_validation() -> None:
    err = load_error(
        """
        contract: loans
        dataset:
          - freshness:
              column: ts
              max_age: 3 days
        """
    )
    assert "max_age '3 days' is not a duration" in str(err)
    assert err.fields["line"] == 5
    err = load_error(
        """
        contract: loans
        dataset:
          - row_count: {min: 10, max: 1}
        """
    )
    assert "min 10 is above max 1" in str(err)


def test_forbidden_expression_is_a_load_error() -> None:
    err = load_error(
        """
        contract: loans
        dataset:
          - row_count: {min: 1}
          - expression:
              expr: "__import__('os').system('true')"
        """
    )
    assert err.fields["line"] == 5
    assert err.fields["field"] == "dataset[1].expression.expr"
    assert "expression \"__import__('os').system('true')\"" in str(err)
    assert "'__import__('os').system' is not an allowed function" in str(err).replace('"', "'")


def test_domain_errors_keep_their_lines() -> None:
    err = load_error(
        """
        contract: loans
        columns:
          age:
            type: decimal
        """
    )
    assert err.fields["line"] == 4
    assert err.fields["field"] == "columns.age.type"
    err = load_error(
        """
        contract: loans
        columns:
          age:
            rules:
              - not_null
              - not_null
        """
    )
    assert "rule id 'age.not_null' is used twice" in str(err)


def test_empty_document_and_wrong_shape() -> None:
    assert "the document is empty" in str(load_error(""))
    assert "expected a mapping" in str(load_error("- a\n- b\n"))
