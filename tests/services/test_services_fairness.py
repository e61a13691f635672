"""Fairness reports through the services: stored as evidence, judged by the gate, on SQLite
and PostgreSQL; uploaded reports are recomputed from their counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from svc_support import actions, charter, snapshot, verdicts

from scalegate.domain.stage import Stage
from scalegate.errors import DocumentError, PermissionDeniedError, ValidationError
from scalegate.services import fairness, gates, policies, portfolio, registry

POLICY = """\
name: fair
gates:
  production:
    - id: fairness
      kind: fairness
      tiers: [high]
      params:
        max_demographic_parity_difference: 0.1
        max_equalized_odds_difference: {high: 0.15}
"""


def frame(gap: float, n: int = 4000, seed: int = 1) -> pl.DataFrame:
    """Two groups whose selection rates differ by about ``gap``."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    y = (rng.random(n) < 0.4).astype(int)
    p = (rng.random(n) < np.where(group == "a", 0.4, 0.4 + gap)).astype(int)
    return pl.DataFrame({"group": group, "y": y, "p": p})


@pytest.fixture
def high(team: Any) -> Any:
    registry.add(team, charter("credit-limit", risk_tier="high"), actor="ada", stage=Stage.PILOT)
    policies.apply(team, POLICY, source="fair.yaml", actor="ada")
    return team


def test_record_stores_info_evidence_with_the_report(high: Any) -> None:
    report = fairness.compute(frame(0.0), sensitive="group", label="y", prediction="p")
    ev = fairness.record(high, "credit-limit", report, actor="ben")
    assert (ev.kind, ev.subject, ev.status.value) == ("fairness_report", "group", "info")
    assert ev.summary.startswith("group: demographic parity difference ")
    assert ev.summary.endswith("; 2 groups, 4,000 rows")
    assert ev.payload == report.to_dict()
    assert actions(high)[-1] == "evidence.recorded"
    [stored] = registry.list_evidence(high, "credit-limit", kind="fairness_report")
    assert stored.payload["disparities"] == report.to_dict()["disparities"]


def test_the_gate_judges_the_newest_report(high: Any) -> None:
    decision = gates.evaluate(high, "credit-limit", "production")
    assert verdicts(decision) == {"fairness": "fail"}
    assert decision.results[0].reason == "no fairness report recorded"
    unfair = fairness.compute(frame(0.3), sensitive="group", label="y", prediction="p")
    ev = fairness.record(high, "credit-limit", unfair, actor="ben")
    decision = gates.evaluate(high, "credit-limit", "production")
    assert verdicts(decision) == {"fairness": "fail"}
    assert decision.results[0].reason.startswith(f"'group' ({ev.ref}): demographic parity")
    assert decision.results[0].evidence == (ev.ref,)
    fair = fairness.compute(frame(0.0, seed=3), sensitive="group", label="y", prediction="p")
    ev2 = fairness.record(high, "credit-limit", fair, actor="ben")
    decision = gates.evaluate(high, "credit-limit", "production")
    assert verdicts(decision) == {"fairness": "pass"}, decision.results[0].reason
    assert decision.results[0].evidence == (ev2.ref,)
    # the portfolio evaluates the same criterion from the same reports
    board = portfolio.build(high)
    assert "credit-limit" in board.ready


def test_low_tiers_are_not_judged(team: Any) -> None:
    registry.add(team, charter("chatbot", risk_tier="limited"), actor="ben")
    policies.apply(team, POLICY, source="fair.yaml", actor="ada")
    assert verdicts(gates.evaluate(team, "chatbot", "production")) == {"fairness": "not_applicable"}


def test_a_report_computed_elsewhere_is_recomputed_from_its_counts(high: Any) -> None:
    report = fairness.compute(frame(0.05), sensitive="group", label="y", prediction="p")
    body = report.to_dict()
    body["disparities"] = {"demographic_parity_difference": 0.0}  # lies are not read
    body["groups"][0]["metrics"]["selection_rate"] = 0.99
    again = fairness.report_from_dict(body)
    assert again.to_dict()["groups"] == report.to_dict()["groups"]
    assert again.disparities == report.disparities
    assert again.source == report.source


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("groups"), "field 'groups'"),
        (lambda d: d.update(groups=[]), "field 'groups'"),
        (lambda d: d["groups"][0]["counts"].update(tp=-1), r"groups\[0\]\.counts\.tp"),
        (lambda d: d["groups"][1].update(group={"other": "a"}), r"groups\[1\] has columns"),
        (lambda d: d["groups"][1].update(group=d["groups"][0]["group"]), "repeats the group"),
        (lambda d: d.update(sensitive=[]), "field 'sensitive'"),
        (
            lambda d: [g["counts"].update(tp=0, fp=0, fn=0, tn=0) for g in d["groups"]],
            "every group has 0 rows",
        ),
    ],
)
def test_bad_uploaded_reports_name_the_field(high: Any, change: Any, message: str) -> None:
    body = fairness.compute(frame(0.0), sensitive="group", label="y", prediction="p").to_dict()
    change(body)
    with pytest.raises((DocumentError, ValidationError), match=message):
        fairness.report_from_dict(body, source="report")


def test_bad_input_and_viewers_store_nothing(high: Any, tmp_path: Any) -> None:
    before = snapshot(high)
    with pytest.raises(PermissionDeniedError):
        fairness.can_record(high, "credit-limit", actor="vic")
    with pytest.raises(ValidationError, match="no column 'gender'"):
        fairness.compute(frame(0.0), sensitive="gender", label="y", prediction="p")
    assert snapshot(high) == before
