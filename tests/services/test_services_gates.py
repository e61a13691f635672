"""Gates: evaluation, promotion, approvals, waivers, separation of duties, policy versions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from svc_support import ago, charter, events, scored, snapshot, utc_now, verdicts

from scalegate.domain.decision import Verdict
from scalegate.domain.stage import Stage
from scalegate.errors import (
    ConflictError,
    DocumentError,
    NotFoundError,
    PermissionDeniedError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.services import gates, policies, registry

EVIDENCE_POLICY = """\
name: evidence-first
stall_after_days: 10
time_boxes:
  idea: 30
gates:
  pilot:
    - id: pen-test
      kind: evidence
      description: A recent, passing penetration test.
      params:
        evidence_kind: pen_test
        max_age_days: 30
  production:
    - id: owners
      kind: owners_assigned
"""


def _data_checked(store, slug: str = "uc-one") -> None:
    """A passing data contract check, as the default policy's production gate asks."""
    registry.record_evidence(
        store, slug, kind="data_check", subject="applications", status="pass", actor="ben"
    )


def _idea(store, slug: str = "uc-one", **overrides) -> None:
    registry.add(store, charter(slug, **overrides), actor="ben")


# ------------------------------------------------------------------------------ evaluate


def test_evaluate_lists_every_criterion_of_the_gate_in_policy_order(team) -> None:
    _idea(team, risk_tier="high")
    policy = policies.active(team).policy
    for gate in ("pilot", "production", "scaled"):
        decision = gates.evaluate(team, "uc-one", gate)
        assert [r.id for r in decision.results] == [c.id for c in policy.criteria(Stage(gate))]
        assert all(r.reason for r in decision.results)
        assert decision.policy_version == 1 and decision.policy_name == "default"


def test_evaluate_next_gate_reasons_and_verdicts(team) -> None:
    _idea(team, purpose="", business_owner=None)
    d = gates.evaluate(team, "uc-one")  # default: the next gate
    assert d.gate is Stage.PILOT and d.stage is Stage.IDEA
    assert not d.passed
    v = verdicts(d)
    assert v == {"charter": "fail", "risk": "pass", "time-box": "pass", "business-approval": "fail"}
    reasons = {r.id: r.reason for r in d.results}
    assert reasons["charter"] == "charter is missing purpose, business owner"
    assert reasons["business-approval"] == "missing approval from business"
    assert reasons["time-box"].startswith("in idea for 0 of 90 days")
    assert {b.id for b in d.blockers} == {"charter", "business-approval"}


def test_tier_specific_criteria_are_not_applicable_to_other_tiers(team) -> None:
    _idea(team, "low-risk", risk_tier="minimal")
    _idea(team, "high-risk", risk_tier="high")
    low = gates.evaluate(team, "low-risk", "production")
    high = gates.evaluate(team, "high-risk", "production")
    assert verdicts(low)["risk-approval"] == "not_applicable"
    assert verdicts(low)["model-card"] == "not_applicable"
    assert "this one is minimal" in {r.id: r.reason for r in low.results}["model-card"]
    assert verdicts(high)["risk-approval"] == "fail"
    assert (
        "missing approval from risk, data"
        in {r.id: r.reason for r in high.results}["risk-approval"]
    )
    assert verdicts(high)["model-card"] == "fail"


def test_prohibited_risk_never_passes(team) -> None:
    _idea(team, risk_tier="prohibited")
    gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    d = gates.evaluate(team, "uc-one")
    assert verdicts(d)["risk"] == "fail"
    assert "prohibited" in d.blockers[0].reason


def test_evaluate_unknown_gate_and_no_next_gate(team) -> None:
    _idea(team)
    with pytest.raises(UnknownChoiceError, match="unknown gate 'idea'"):
        gates.evaluate(team, "uc-one", "idea")
    with pytest.raises(UnknownChoiceError, match="unknown gate 'nowhere'"):
        gates.evaluate(team, "uc-one", "nowhere")
    with pytest.raises(NotFoundError, match="unknown use case 'nope'"):
        gates.evaluate(team, "nope")
    registry.add(team, charter("at-top"), actor="ada", stage=Stage.SCALED)
    with pytest.raises(ConflictError, match="scaled; it has no next gate"):
        gates.evaluate(team, "at-top")


# ------------------------------------------------------------------------------ promote


def test_failed_promotion_opens_one_request_and_changes_nothing_else(team) -> None:
    _idea(team)
    n = len(events(team))
    out = gates.promote(team, "uc-one", "pilot", actor="ben")
    assert not out.promoted and out.request_opened
    assert out.request is not None and out.request.requested_by == "ben"
    assert out.use_case.stage is Stage.IDEA
    assert [b.id for b in out.decision.blockers] == ["business-approval"]
    ev = events(team)[-1]
    assert ev.action == "promotion.requested" and len(events(team)) == n + 1
    assert json.loads(ev.after) == {
        "gate": "pilot",
        "policy_version": 1,
        "blockers": ["business-approval"],
    }
    before = snapshot(team)
    again = gates.promote(team, "uc-one", "pilot", actor="carla")
    assert not again.promoted and not again.request_opened
    assert again.request is not None and again.request.requested_by == "ben"
    assert snapshot(team) == before
    assert registry.get(team, "uc-one").stage is Stage.IDEA


def test_promotion_succeeds_after_approvals_and_records_the_policy_version(team) -> None:
    _idea(team)
    gates.promote(team, "uc-one", "pilot", actor="ben")
    gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar", note="go")
    out = gates.promote(team, "uc-one", "pilot", actor="ben", note="kick-off")
    assert out.promoted and out.use_case.stage is Stage.PILOT
    d = registry.detail(team, "uc-one")
    assert d["request"] is None  # the request is closed by the promotion
    last = d["history"][-1]
    assert (last["from_stage"], last["to_stage"], last["policy_version"], last["note"]) == (
        "idea",
        "pilot",
        1,
        "kick-off",
    )
    ev = events(team)[-1]
    assert ev.action == "usecase.promoted" and ev.actor == "ben"
    after = json.loads(ev.after)
    assert after["stage"] == "pilot" and after["policy_version"] == 1
    assert after["criteria"] == {
        "charter": "pass",
        "risk": "pass",
        "time-box": "pass",
        "business-approval": "pass",
    }
    assert len(after["evidence"]) == 1 and after["evidence"][0].startswith("ap-")
    assert json.loads(ev.before) == {"stage": "idea"}


def _monitored(store) -> None:
    """A monitor on uc-one with a healthy, labelled batch of yesterday."""
    from scalegate.services import monitoring

    monitoring.create(
        store,
        "uc-one",
        scored(5_000, seed=1),
        actor="ben",
        model_name="m",
        model_version="1",
        task="classification",
    )
    batch = scored(2_000, seed=2, start_id=10_000)
    monitoring.log_batch(store, "uc-one", batch.drop("label"), actor="ben", at=ago(1))
    monitoring.log_labels(store, "uc-one", batch.select("id", "label"), actor="ben")


def test_full_path_to_scaled(team) -> None:
    _idea(team, risk_tier="limited", business_owner="carla", technical_owner="ben")
    gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    assert gates.promote(team, "uc-one", "pilot", actor="ben").promoted
    gates.approve(team, "uc-one", gate="production", domain="business", actor="omar")
    assert not gates.promote(team, "uc-one", "production", actor="ben").promoted
    gates.approve(team, "uc-one", gate="production", domain="risk", actor="rita")
    assert not gates.promote(team, "uc-one", "production", actor="ben").promoted
    _data_checked(team)
    assert gates.promote(team, "uc-one", "production", actor="ben").promoted
    gates.approve(team, "uc-one", gate="scaled", domain="executive", actor="eve")
    gates.approve(team, "uc-one", gate="scaled", domain="risk", actor="rita")
    out = gates.promote(team, "uc-one", "scaled", actor="carla")
    assert not out.promoted  # the model is not monitored yet
    blockers = [b.id for b in gates.evaluate(team, "uc-one", "scaled").blockers]
    assert blockers == ["monitoring-active", "no-critical-drift", "performance"]
    _monitored(team)
    out = gates.promote(team, "uc-one", "scaled", actor="carla")
    assert out.promoted and registry.get(team, "uc-one").stage is Stage.SCALED
    assert [h["to_stage"] for h in registry.detail(team, "uc-one")["history"]] == [
        "idea",
        "pilot",
        "production",
        "scaled",
    ]


def test_invalid_transitions_write_nothing(team) -> None:
    _idea(team)
    before = snapshot(team)
    with pytest.raises(ConflictError, match="cannot promote from 'idea' to 'production'"):
        gates.promote(team, "uc-one", "production", actor="ben")
    with pytest.raises(ConflictError, match="from 'idea' to 'scaled'"):
        gates.promote(team, "uc-one", "scaled", actor="ben")
    with pytest.raises(UnknownChoiceError, match="unknown gate 'retired'"):
        gates.promote(team, "uc-one", "retired", actor="ben")
    with pytest.raises(UnknownChoiceError, match="unknown gate 'moon'"):
        gates.promote(team, "uc-one", "moon", actor="ben")
    assert snapshot(team) == before
    registry.retire(team, "uc-one", lessons="nobody needed this at all", actor="ben")
    before = snapshot(team)
    with pytest.raises(ConflictError, match="retired"):
        gates.promote(team, "uc-one", "pilot", actor="ben")
    with pytest.raises(ConflictError, match="retired"):
        gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    assert snapshot(team) == before


def test_approval_only_for_the_next_gate_and_only_once(team) -> None:
    _idea(team)
    with pytest.raises(ConflictError, match="its next gate is 'pilot', not 'production'"):
        gates.approve(team, "uc-one", gate="production", domain="business", actor="omar")
    ap = gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    assert ap.ref.startswith("ap-")
    ev = events(team)[-1]
    assert ev.action == "approval.recorded" and json.loads(ev.after)["approval"] == ap.ref
    before = snapshot(team)
    with pytest.raises(ConflictError, match=f"already approved.*{ap.ref}"):
        gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    assert snapshot(team) == before


def test_approvals_reset_after_a_stage_change(team) -> None:
    policy = """\
name: same-approvals
gates:
  pilot:
    - id: data-ok
      kind: approvals
      params: {domains: [data]}
  production:
    - id: data-ok
      kind: approvals
      params: {domains: [data]}
"""
    policies.apply(team, policy, source="p.yaml", actor="ada")
    _idea(team)
    gates.approve(team, "uc-one", gate="pilot", domain="data", actor="omar")
    assert gates.evaluate(team, "uc-one").passed
    assert gates.promote(team, "uc-one", "pilot", actor="ben").promoted
    assert registry.detail(team, "uc-one")["approvals"] == []
    d = gates.evaluate(team, "uc-one", "production")
    assert verdicts(d) == {"data-ok": "fail"}
    assert d.results[0].reason == "missing approval from data"
    gates.approve(team, "uc-one", gate="production", domain="data", actor="omar")
    assert gates.evaluate(team, "uc-one", "production").passed


# ------------------------------------------------------------------------------ duties


def test_owner_cannot_approve_or_waive_their_own_use_case(team) -> None:
    _idea(team, business_owner="omar", technical_owner="ben")
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match="separation of duties: omar owns 'uc-one'"):
        gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    with pytest.raises(PermissionDeniedError, match="separation of duties: omar owns"):
        gates.waive(
            team,
            "uc-one",
            gate="pilot",
            criterion="business-approval",
            justification="urgent and well understood",
            expires=ago(-30),
            actor="omar",
        )
    # an admin owner is bound by the same rule
    _idea(team, "ada-owns", technical_owner="ada")
    with pytest.raises(PermissionDeniedError, match="ada owns 'ada-owns'"):
        gates.approve(team, "ada-owns", gate="pilot", domain="business", actor="ada")
    assert len(snapshot(team)["approvals"]) == len(before["approvals"])
    assert len(snapshot(team)["waivers"]) == len(before["waivers"])


def test_requester_cannot_approve_or_waive_the_promotion_they_requested(team) -> None:
    _idea(team, risk_tier="limited")
    gates.approve(team, "uc-one", gate="pilot", domain="business", actor="omar")
    assert gates.promote(team, "uc-one", "pilot", actor="ben").promoted
    out = gates.promote(team, "uc-one", "production", actor="rita")
    assert not out.promoted and out.request is not None
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match="rita requested the promotion of 'uc-one'"):
        gates.approve(team, "uc-one", gate="production", domain="risk", actor="rita")
    with pytest.raises(PermissionDeniedError, match="requested the promotion"):
        gates.waive(
            team,
            "uc-one",
            gate="production",
            criterion="risk-approval",
            justification="urgent and well understood",
            expires=ago(-30),
            actor="rita",
        )
    assert snapshot(team) == before
    # someone else may approve it: ada (admin) approves risk, omar business
    gates.approve(team, "uc-one", gate="production", domain="risk", actor="ada")
    gates.approve(team, "uc-one", gate="production", domain="business", actor="omar")
    _data_checked(team)
    assert gates.promote(team, "uc-one", "production", actor="ben").promoted


# ------------------------------------------------------------------------------ waivers


def test_waiver_validation_writes_nothing(team) -> None:
    _idea(team)
    now = utc_now()
    before = snapshot(team)

    def waive(**kw):
        args = {
            "gate": "pilot",
            "criterion": "business-approval",
            "justification": "sponsor is on leave, approved by mail",
            "expires": now + timedelta(days=30),
            "actor": "rita",
            "now": now,
        }
        args.update(kw)
        return gates.waive(team, "uc-one", **args)

    with pytest.raises(ValidationError, match="justification of at least 10"):
        waive(justification="   short  ")
    with pytest.raises(ValidationError, match="is not in the future"):
        waive(expires=now - timedelta(days=1))
    with pytest.raises(ValidationError, match="at most 365 days"):
        waive(expires=now + timedelta(days=400))
    with pytest.raises(UnknownChoiceError) as exc:
        waive(criterion="nope")
    msg = str(exc.value)
    assert "unknown criterion 'nope'" in msg
    for cid in ("business-approval", "charter", "risk", "time-box"):
        assert cid in msg
    with pytest.raises(ConflictError, match="next gate is 'pilot'"):
        waive(gate="production", criterion="kpis")
    assert snapshot(team) == before


def test_waiver_turns_a_fail_into_waived_until_it_expires(team) -> None:
    _idea(team)
    now = utc_now()
    w = gates.waive(
        team,
        "uc-one",
        gate="pilot",
        criterion="business-approval",
        justification="sponsor is on leave, approved by mail",
        expires=now + timedelta(days=10),
        actor="rita",
        now=now,
    )
    assert w.ref.startswith("wv-")
    ev = events(team)[-1]
    assert ev.action == "waiver.granted" and ev.actor == "rita"
    assert json.loads(ev.after)["criterion"] == "business-approval"
    d = gates.evaluate(team, "uc-one", now=now + timedelta(days=1))
    r = {r.id: r for r in d.results}["business-approval"]
    assert r.verdict is Verdict.WAIVED
    assert r.waived_failure == "missing approval from business"
    assert "waived by rita" in r.reason and "sponsor is on leave" in r.reason
    assert w.ref in r.evidence
    assert d.passed
    # after expiry the waiver no longer counts
    later = gates.evaluate(team, "uc-one", now=now + timedelta(days=11))
    assert verdicts(later)["business-approval"] == "fail"
    assert not later.passed
    # and promotion follows the same clock
    late, early = now + timedelta(days=11), now + timedelta(days=2)
    assert not gates.promote(team, "uc-one", "pilot", actor="ben", now=late).promoted
    assert gates.promote(team, "uc-one", "pilot", actor="ben", now=early).promoted
    # the promotion recorded that the criterion was waived
    after = json.loads(events(team)[-1].after)
    assert after["criteria"]["business-approval"] == "waived"
    assert w.ref in after["evidence"]


def test_waiver_of_a_passing_criterion_changes_nothing(team) -> None:
    _idea(team)
    gates.waive(
        team,
        "uc-one",
        gate="pilot",
        criterion="risk",
        justification="belt and braces exception",
        expires=ago(-5),
        actor="rita",
    )
    assert verdicts(gates.evaluate(team, "uc-one"))["risk"] == "pass"


def test_time_box_fails_past_the_box_and_can_be_waived(team) -> None:
    registry.add(team, charter("overdue"), actor="ada", stage=Stage.PILOT, stage_since=ago(130))
    d = gates.evaluate(team, "overdue", "production")
    reason = {r.id: r.reason for r in d.results}["time-box"]
    assert verdicts(d)["time-box"] == "fail"
    assert reason == "in pilot for 130 days, past its 120-day time box by 10"
    gates.waive(
        team,
        "overdue",
        gate="production",
        criterion="time-box",
        justification="go decision taken by the board",
        expires=ago(-30),
        actor="eve",
    )
    assert verdicts(gates.evaluate(team, "overdue", "production"))["time-box"] == "waived"


# ------------------------------------------------------------------------------ policies


def test_policy_apply_new_version_is_used_by_evaluations(team) -> None:
    _idea(team)
    assert gates.evaluate(team, "uc-one").policy_version == 1
    pv = policies.apply(team, EVIDENCE_POLICY, source="evidence.yaml", actor="ada")
    assert pv.version == 2 and pv.policy.name == "evidence-first"
    assert policies.active(team).version == 2
    d = gates.evaluate(team, "uc-one")
    assert (d.policy_name, d.policy_version) == ("evidence-first", 2)
    assert [r.id for r in d.results] == ["pen-test"]
    ev = events(team)[-1]
    assert (ev.action, ev.actor) == ("policy.applied", "ada")
    assert json.loads(ev.before) == {"version": 1}
    assert json.loads(ev.after) == {"version": 2, "source": "evidence.yaml"}
    # the old version is still readable
    assert policies.get_version(team, 1).policy.name == "default"
    assert [(h["version"], h["created_by"]) for h in policies.history(team)] == [
        (1, "system"),
        (2, "ada"),
    ]


def test_promotion_records_the_policy_version_in_force(team) -> None:
    _idea(team)
    policies.apply(team, EVIDENCE_POLICY, source="evidence.yaml", actor="ada")
    registry.record_evidence(team, "uc-one", kind="pen_test", status="pass", actor="ben")
    out = gates.promote(team, "uc-one", "pilot", actor="ben")
    assert out.promoted and out.decision.policy_version == 2
    assert registry.detail(team, "uc-one")["history"][-1]["policy_version"] == 2
    assert json.loads(events(team)[-1].after)["policy_version"] == 2


def test_policy_apply_bad_input_writes_nothing(team) -> None:
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match="applying a policy needs the admin role"):
        policies.apply(team, EVIDENCE_POLICY, source="e.yaml", actor="rita")
    broken = "name: x\ngates:\n  pilot:\n    - id: a\n      kind: evidence: x\n"
    with pytest.raises(DocumentError, match=r"^bad\.yaml, line 5, column \d+: mapping values"):
        policies.apply(team, broken, source="bad.yaml", actor="ada")
    with pytest.raises(DocumentError, match=r"^bad\.yaml, line 4: .*unknown kind 'nope'"):
        policies.apply(
            team,
            "name: x\ngates:\n  pilot:\n    - {id: a, kind: nope}\n",
            source="bad.yaml",
            actor="ada",
        )
    with pytest.raises(ConflictError, match="identical to policy version 1"):
        policies.apply(team, policies.default_policy_text(), source="d.yaml", actor="ada")
    with pytest.raises(NotFoundError, match="unknown policy version '7'"):
        policies.get_version(team, 7)
    assert snapshot(team) == before


def test_evidence_criterion_from_a_custom_policy(team) -> None:
    _idea(team)
    policies.apply(team, EVIDENCE_POLICY, source="evidence.yaml", actor="ada")
    d = gates.evaluate(team, "uc-one")
    assert verdicts(d) == {"pen-test": "fail"}
    assert d.results[0].reason == "no pen_test evidence recorded"

    failed = registry.record_evidence(
        team, "uc-one", kind="pen_test", status="fail", actor="ben", at=ago(2)
    )
    d = gates.evaluate(team, "uc-one")
    assert verdicts(d) == {"pen-test": "fail"}
    assert f"({failed.ref}) has status fail, needs pass" in d.results[0].reason
    assert d.results[0].evidence == (failed.ref,)

    old = registry.record_evidence(
        team, "uc-one", kind="pen_test", status="pass", actor="ben", at=ago(1)
    )
    d = gates.evaluate(team, "uc-one")
    assert d.passed and d.results[0].evidence == (old.ref,)
    # 40 days later the same evidence is too old for the policy's 30 days
    d = gates.evaluate(team, "uc-one", now=utc_now() + timedelta(days=40))
    assert verdicts(d) == {"pen-test": "fail"}
    assert "policy allows 30" in d.results[0].reason
