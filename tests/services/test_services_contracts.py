"""Data contracts read back from their stored check runs."""

from __future__ import annotations

import polars as pl
import pytest
from svc_support import ago, charter

from scalegate.errors import NotFoundError
from scalegate.services import contracts, data_checks, registry

CONTRACT = """\
contract: loans
version: 3
dataset:
  - row_count: {min: 3}
columns:
  loan_id:
    type: string
    rules: [not_null, unique]
  amount:
    type: float
    rules:
      - between: {min: 0, max: 1000}
      - not_null: {max_fraction: 0.5}
  purpose:
    required: false
    rules:
      - in_set: {values: [car, home]}
"""

GOOD = pl.DataFrame({"loan_id": ["a", "b", "c"], "amount": [1.0, 20.0, 300.0]})
BAD = pl.DataFrame({"loan_id": ["a", "a", None, "d"], "amount": [1.0, 2000.0, None, 5.0]})


def _record(store, slug: str, frame: pl.DataFrame, days_ago: float):
    contract = data_checks.load_contract(CONTRACT, "loans.yaml")
    result = data_checks.run(frame, contract, profile=False)
    data_checks.record(store, slug, result, actor="ben", at=ago(days_ago))
    return result


def test_contracts_are_read_back_from_their_runs(team) -> None:
    registry.add(team, charter("uc-one"), actor="ben")
    registry.add(team, charter("uc-two"), actor="ben")
    _record(team, "uc-one", GOOD, 3)
    _record(team, "uc-two", GOOD, 2)
    newest = _record(team, "uc-one", BAD, 1)
    assert newest.failed  # the batch breaks the contract

    (summary,) = contracts.list_contracts(team)
    assert (summary.name, summary.version, summary.runs, summary.use_cases) == ("loans", "3", 3, 2)
    assert summary.latest_status == "fail"

    detail = contracts.contract(team, "loans")
    assert detail.total_runs == 3 and detail.rows == newest.rows == 4
    assert detail.latest_use_case == "uc-one"
    assert [u.slug for u in detail.use_cases] == ["uc-one", "uc-two"]
    assert [u.runs for u in detail.use_cases] == [2, 1]
    # history newest first, with the counts each run's result carries
    assert [(r.use_case, r.status) for r in detail.runs] == [
        ("uc-one", "fail"),
        ("uc-two", "pass"),
        ("uc-one", "pass"),
    ]
    assert detail.runs[0].failed == len(newest.failed)
    assert detail.runs[0].warnings == len(newest.warnings)
    assert detail.runs[0].rows == 4 and detail.runs[1].rows == 3
    assert detail.runs[0].version == "3"

    # columns: the observed schema, then columns only rules name (absent from the batch)
    assert [c.name for c in detail.columns] == ["loan_id", "amount", "purpose"]
    assert detail.columns[2].observed_type is None
    assert [c.presence for c in detail.columns] == ["present", "present", "absent"]
    by_id = {r.id: r for r in newest.results}
    for col in detail.columns:
        for rule in col.rules:
            source = by_id[rule.id]
            assert (rule.status, rule.failing, rule.total, rule.threshold) == (
                source.status.value,
                source.failing,
                source.total,
                source.threshold,
            )
    loan_id = detail.columns[0]
    assert {r.rule for r in loan_id.rules} == {"type", "not_null", "unique"}
    assert loan_id.type_checked
    assert [r.id for r in detail.dataset_rules] == [
        r.id for r in newest.results if r.column is None
    ]


def test_a_missing_required_column_is_shown_as_missing(team) -> None:
    registry.add(team, charter("uc-one"), actor="ben")
    _record(team, "uc-one", GOOD.drop("amount"), 1)
    amount = next(c for c in contracts.contract(team, "loans").columns if c.name == "amount")
    assert amount.presence == "missing"
    assert {r.rule: r.status for r in amount.rules}["required"] == "fail"


def test_an_unknown_contract_is_not_found_with_a_hint(team) -> None:
    with pytest.raises(NotFoundError, match="unknown data contract 'nope'; contracts appear"):
        contracts.contract(team, "nope")
    assert contracts.list_contracts(team) == []
