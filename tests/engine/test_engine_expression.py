"""The expression rule: a small, safe grammar translated to Narwhals, never evaluated."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from scalegate.domain.contract import Contract
from scalegate.engine.check import check
from scalegate.engine.results import Status
from scalegate.engine.rules import ExpressionError, compile_expression

ROWS: list[dict[str, Any]] = [
    {"income": 10, "age": 30, "retired": False, "kind": "a", "score": 0.5},
    {"income": -1, "age": 30, "retired": False, "kind": "b", "score": 1.5},
    {"income": 10, "age": 80, "retired": False, "kind": "c", "score": None},
    {"income": 10, "age": 80, "retired": True, "kind": None, "score": 2.0},
    {"income": None, "age": 20, "retired": None, "kind": "a", "score": 3.0},
    {"income": 0, "age": None, "retired": True, "kind": "b", "score": -1.0},
]
FRAME = pl.DataFrame(ROWS)


def failing(expr: str) -> int:
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"expression": {"expr": expr}}]}
    )
    r = check(FRAME, contract).result("dataset.expression")
    assert r.status in (Status.PASS, Status.FAIL), r.reason
    return r.failing


def python_failing(test: Any) -> int:
    """An independent count: a row fails when ``test`` is False; None (a null input) passes."""
    return sum(1 for row in ROWS if test(row) is False)


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _cmp(a: Any, b: Any, op: Any) -> bool | None:
    return None if a is None or b is None else bool(op(a, b))


def test_the_issue_example_matches_a_python_count() -> None:
    def test(r: dict[str, Any]) -> bool | None:
        return _and(
            _cmp(r["income"], 0, lambda a, b: a >= b),
            _or(_cmp(r["age"], 70, lambda a, b: a < b), r["retired"]),
        )

    assert failing("income >= 0 and (age < 70 or retired)") == python_failing(test) == 2


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("income > 0", 2),  # -1 and 0 fail; null income passes
        ("not retired", 2),
        ("kind in ['a', 'b']", 1),  # 'c' fails; null kind passes
        ("kind not in ['a', 'b']", 4),
        ("is_null(kind)", 5),
        ("is_not_null(score)", 1),
        ("kind == None", 5),
        ("kind != None", 1),
        ("score * 2 - 1 >= 0", 1),  # 0.5 -> 0 passes; -1.0 fails; null passes
        ("income % 2 == 0", 1),
        ("-income < 5", 0),
        ("income / 2 >= -0.5", 0),
        ("0 <= score < 2", 3),  # chained: 2.0, 3.0 and -1.0 fail
        ("age >= 18 and age <= 65 or retired", 1),
        ("income >= -1.5e0", 0),
    ],
)
def test_grammar(expr: str, expected: int) -> None:
    assert failing(expr) == expected


@pytest.mark.parametrize(
    ("expr", "token"),
    [
        ("__import__('os')", "'__import__'"),
        ("income.real > 0", "'income.real'"),
        ("len(kind) > 1", "'len'"),
        ("abs(income) > 1", "'abs'"),
        ("income if retired else age", "'income if retired else age'"),
        ("lambda: income", "'lambda: income'"),
        ("[x for x in kind]", "'[x for x in kind]'"),
        ("income ** 2 > 1", "'income ** 2'"),
        ("kind[0] == 'a'", "'kind[0]'"),
        ("income is None", "'income is None'"),
        ("kind in other", "'other'"),
        ("kind in [age]", "'age'"),
        ("is_null(kind, age)", "'is_null(kind, age)'"),
        ("is_null('kind')", "\"is_null('kind')\""),
        ("f'{kind}' == 'a'", "\"f'{kind}'\""),
        ("-'a' == kind", "\"-'a'\""),
        ("kind + 1 == 'a' - 1", "\"'a' - 1\""),
        ("income == b'x'", "\"b'x'\""),
    ],
)
def test_forbidden_constructs_name_the_token(expr: str, token: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(expr)
    message = str(info.value)
    assert message.startswith(f"expression {expr!r}: {token} ")
    assert "allowed are" in message


def test_syntax_errors_and_constant_expressions() -> None:
    with pytest.raises(ExpressionError, match="is not valid syntax"):
        compile_expression("income >= ")
    with pytest.raises(ExpressionError, match="uses no column"):
        compile_expression("1 < 2")
    with pytest.raises(ExpressionError, match="at most 2000"):
        compile_expression("a and " * 400 + "a")


def test_names_are_reported_and_checked_against_columns() -> None:
    _, names = compile_expression("income >= 0 and (age < 70 or retired) and income < 9")
    assert names == ("income", "age", "retired")
    with pytest.raises(ExpressionError, match="unknown column 'salary'"):
        compile_expression("salary > 0", ["income"])


def test_unknown_column_at_check_time_is_an_error_result() -> None:
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"expression": {"expr": "salary > 0"}}]}
    )
    r = check(FRAME, contract).result("dataset.expression")
    assert r.status == Status.ERROR
    assert "unknown column 'salary'" in r.reason


def test_column_scope_examples_show_own_column_first() -> None:
    contract = Contract.model_validate(
        {"contract": "t", "columns": {"age": {"rules": [{"expression": {"expr": "income > 0"}}]}}}
    )
    r = check(FRAME, contract).result("age.expression")
    assert r.failing == 2
    assert r.examples == ({"age": 30, "income": -1}, {"age": None, "income": 0})


def test_a_type_mismatch_at_run_time_is_an_error_result_not_a_crash() -> None:
    contract = Contract.model_validate(
        {
            "contract": "t",
            "dataset": [
                {"expression": {"expr": "kind > 1"}},
                {"row_count": {"min": 1}},
            ],
        }
    )
    result = check(FRAME, contract)
    assert result.result("dataset.expression").status == Status.ERROR
    assert result.result("dataset.row_count").status == Status.PASS
