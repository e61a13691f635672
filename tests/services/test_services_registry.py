"""The use-case registry service: add, list, show, edit, retire, evidence."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from svc_support import ago, charter, events, snapshot, utc_now

from scalegate.domain.stage import Stage
from scalegate.errors import (
    ConflictError,
    DocumentError,
    NotFoundError,
    PermissionDeniedError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.services import gates, registry

UC_YAML = """\
slug: claims-triage
name: Claims triage
purpose: Route incoming motor claims.
strategic_objective: Settle simple claims within 48 hours
business_owner: carla
technical_owner: ben
departments: [claims, operations]
integration_targets:
  - system: Guidewire ClaimCenter
    mode: api
kpis:
  - name: median time to settle
    unit: hours
    direction: decrease
    baseline: 96
    target: 48
risk_tier: high
tags: [classification]
"""


# ------------------------------------------------------------------------------ add


def test_add_stores_the_charter_in_idea_and_audits_it(team) -> None:
    uc = registry.add(team, charter("claims-triage"), actor="ben")
    assert uc.stage is Stage.IDEA
    got = registry.get(team, "claims-triage")
    assert got.purpose == "Route claims to the right queue."
    assert got.business_owner == "carla" and got.technical_owner == "ben"
    assert got.departments == ("claims",)
    assert got.kpis[0].baseline == 96 and got.kpis[0].target == 48
    assert got.integration_targets[0].system == "ClaimCenter"
    last = events(team)[-1]
    assert (last.action, last.actor, last.subject_id) == ("usecase.created", "ben", "claims-triage")
    after = json.loads(last.after)
    assert after["slug"] == "claims-triage" and after["stage"] == "idea"
    history = registry.detail(team, "claims-triage")["history"]
    assert [(h["from_stage"], h["to_stage"], h["actor"]) for h in history] == [
        (None, "idea", "ben")
    ]


def test_add_from_yaml_document(team) -> None:
    doc = registry.parse_document(UC_YAML, "uc.yaml")
    uc = registry.add(team, doc, actor="ben")
    assert uc.stage is Stage.IDEA
    got = registry.get(team, "claims-triage")
    assert got.risk_tier.value == "high"
    assert got.departments == ("claims", "operations")
    assert got.integration_targets[0].mode.value == "api"
    assert got.kpis[0].direction.value == "decrease"
    assert got.tags == ("classification",)


def test_yaml_document_in_a_later_stage_needs_an_admin(team) -> None:
    since = ago(40).date().isoformat()
    text = UC_YAML + f"stage: pilot\nstage_since: {since}\n"
    doc = registry.parse_document(text, "uc.yaml")
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match="admin"):
        registry.add(team, doc, actor="ben")
    assert snapshot(team) == before
    uc = registry.add(team, doc, actor="ada")
    assert uc.stage is Stage.PILOT
    assert uc.stage_entered_at.date().isoformat() == since


@pytest.mark.parametrize("stage", [Stage.PILOT, Stage.PRODUCTION, Stage.SCALED])
def test_registering_in_a_later_stage_needs_an_admin(team, stage: Stage) -> None:
    for actor in ("ben", "rita"):
        with pytest.raises(PermissionDeniedError, match=f"stage {stage.value} needs the admin"):
            registry.add(team, charter("late"), actor=actor, stage=stage)
    uc = registry.add(team, charter("late"), actor="ada", stage=stage, stage_since=ago(10))
    assert uc.stage is stage
    assert 9.9 < uc.days_in_stage(utc_now()) < 10.1


def test_cannot_register_retired_or_in_the_future(team) -> None:
    with pytest.raises(ValidationError, match="retired"):
        registry.add(team, charter("x-retired"), actor="ada", stage=Stage.RETIRED)
    with pytest.raises(ValidationError, match="future"):
        registry.add(
            team, charter("x-future"), actor="ada", stage_since=utc_now() + timedelta(days=2)
        )
    assert registry.list_all(team) == []


def test_duplicate_slug_is_a_conflict_and_writes_nothing(team) -> None:
    registry.add(team, charter("dup-me"), actor="ben")
    before = snapshot(team)
    with pytest.raises(ConflictError, match="'dup-me' already exists"):
        registry.add(team, charter("dup-me", name="Other"), actor="carla")
    assert snapshot(team) == before


def test_unknown_owner_is_rejected_and_writes_nothing(team) -> None:
    before = snapshot(team)
    with pytest.raises(NotFoundError, match="field 'technical_owner': unknown user 'ghost'"):
        registry.add(team, charter("ghosted", technical_owner="ghost"), actor="ben")
    assert snapshot(team) == before


def test_viewer_and_unknown_users_cannot_add(team) -> None:
    with pytest.raises(PermissionDeniedError, match="contributor role; 'vic' is a viewer"):
        registry.add(team, charter("by-vic"), actor="vic")
    with pytest.raises(PermissionDeniedError, match="unknown user 'nobody'"):
        registry.add(team, charter("by-nobody"), actor="nobody")
    with pytest.raises(ValidationError, match="--as USER or set SCALEGATE_USER"):
        registry.add(team, charter("by-none"), actor=None)
    assert registry.list_all(team) == []


def test_bad_charter_fields_name_the_field() -> None:
    with pytest.raises(ValidationError, match="field 'risk_tier'"):
        charter("bad-tier", risk_tier="extreme")
    with pytest.raises(ValidationError, match=r"field 'kpis\[0\]\.direction'"):
        charter("bad-kpi", kpis=[{"name": "k", "direction": "sideways"}])
    with pytest.raises(ValidationError, match="field 'slug'"):
        charter("X")


def test_parse_document_names_file_line_and_field() -> None:
    with pytest.raises(DocumentError, match=r"^uc\.yaml, line 3: field 'risk_tier'"):
        registry.parse_document("slug: ab\nname: A\nrisk_tier: extreme\n", "uc.yaml")
    with pytest.raises(DocumentError, match=r"^uc\.yaml, line 3, column \d+"):
        registry.parse_document("slug: ab\nname: A\n  purpose: x: y\n", "uc.yaml")
    with pytest.raises(DocumentError, match=r"^uc\.yaml, line 3: field 'colour': unknown field"):
        registry.parse_document("slug: ab\nname: A\ncolour: red\n", "uc.yaml")


# ------------------------------------------------------------------------------ list / show


def _portfolio_of_four(store) -> None:
    registry.add(store, charter("aa-claims"), actor="ben")
    registry.add(
        store,
        charter("bb-churn", departments=["marketing"], business_owner="omar", risk_tier="high"),
        actor="ben",
    )
    registry.add(
        store,
        charter("cc-fraud", departments=["finance", "claims"], technical_owner="carla"),
        actor="ada",
        stage=Stage.PILOT,
    )
    registry.add(
        store,
        charter("dd-docs", departments=["legal"], business_owner=None, technical_owner=None),
        actor="ada",
        stage=Stage.PRODUCTION,
    )


def test_list_filters(team) -> None:
    _portfolio_of_four(team)

    def slugs(**kw: str) -> list[str]:
        return [c.slug for c in registry.list_all(team, **kw)]

    assert slugs() == ["aa-claims", "bb-churn", "cc-fraud", "dd-docs"]
    assert slugs(stage="pilot") == ["cc-fraud"]
    assert slugs(stage="PRODUCTION") == ["dd-docs"]
    assert slugs(stage="scaled") == []
    assert slugs(department="claims") == ["aa-claims", "cc-fraud"]
    assert slugs(owner="carla") == ["aa-claims", "cc-fraud"]
    assert slugs(owner="omar") == ["bb-churn"]
    assert slugs(risk_tier="high") == ["bb-churn"]
    assert slugs(department="claims", stage="idea") == ["aa-claims"]
    with pytest.raises(UnknownChoiceError, match="unknown stage 'nowhere'; known stages are"):
        registry.list_all(team, stage="nowhere")
    with pytest.raises(UnknownChoiceError, match="unknown risk tier 'extreme'"):
        registry.list_all(team, risk_tier="extreme")


def test_detail_and_unknown_use_case(team) -> None:
    registry.add(team, charter("shown"), actor="ben")
    d = registry.detail(team, "shown")
    assert d["use_case"].slug == "shown"
    assert d["approvals"] == [] and d["waivers"] == [] and d["request"] is None
    assert [h["to_stage"] for h in d["history"]] == ["idea"]
    with pytest.raises(NotFoundError, match="unknown use case 'nope'"):
        registry.detail(team, "nope")
    with pytest.raises(NotFoundError, match="unknown use case 'nope'"):
        registry.get(team, "nope")


# ------------------------------------------------------------------------------ edit


def test_edit_audits_only_changed_fields_with_before_and_after(team) -> None:
    registry.add(team, charter("edited"), actor="ben")
    n = len(events(team))
    uc = registry.edit(
        team,
        "edited",
        {"name": "Edited!", "purpose": "Route claims to the right queue.", "tags": ["a", "b"]},
        actor="carla",
    )
    assert uc.name == "Edited!" and uc.tags == ("a", "b")
    evs = events(team)
    assert len(evs) == n + 1
    ev = evs[-1]
    assert (ev.action, ev.actor, ev.subject_id) == ("usecase.updated", "carla", "edited")
    assert json.loads(ev.before) == {"name": "Edited", "tags": ["triage"]}
    assert json.loads(ev.after) == {"name": "Edited!", "tags": ["a", "b"]}
    # the stored row changed too
    assert registry.get(team, "edited").name == "Edited!"


def test_edit_with_no_real_change_writes_nothing(team) -> None:
    registry.add(team, charter("same"), actor="ben")
    before = snapshot(team)
    registry.edit(team, "same", {"name": "Same"}, actor="ben")
    assert snapshot(team) == before


def test_edit_bad_input(team) -> None:
    registry.add(team, charter("editable"), actor="ben")
    before = snapshot(team)
    with pytest.raises(UnknownChoiceError, match="unknown charter field 'colour'"):
        registry.edit(team, "editable", {"colour": "red"}, actor="ben")
    with pytest.raises(ValidationError, match="nothing to change"):
        registry.edit(team, "editable", {}, actor="ben")
    with pytest.raises(ValidationError, match="field 'risk_tier'"):
        registry.edit(team, "editable", {"risk_tier": "extreme"}, actor="ben")
    with pytest.raises(NotFoundError, match="unknown user 'ghost'"):
        registry.edit(team, "editable", {"business_owner": "ghost"}, actor="ben")
    with pytest.raises(PermissionDeniedError, match="'vic' is a viewer"):
        registry.edit(team, "editable", {"name": "V"}, actor="vic")
    with pytest.raises(NotFoundError, match="unknown use case 'nope'"):
        registry.edit(team, "nope", {"name": "V"}, actor="ben")
    assert snapshot(team) == before


def test_edit_can_clear_an_owner(team) -> None:
    registry.add(team, charter("clear-owner"), actor="ben")
    uc = registry.edit(team, "clear-owner", {"technical_owner": ""}, actor="ben")
    assert uc.technical_owner is None
    ev = events(team)[-1]
    assert json.loads(ev.before) == {"technical_owner": "ben"}
    assert json.loads(ev.after) == {"technical_owner": None}


# ------------------------------------------------------------------------------ retire


@pytest.mark.parametrize("stage", [Stage.IDEA, Stage.PILOT, Stage.PRODUCTION, Stage.SCALED])
def test_retire_from_each_stage_keeps_lessons_and_history(team, stage: Stage) -> None:
    registry.add(team, charter("to-retire"), actor="ada", stage=stage, stage_since=ago(5))
    if stage is not Stage.SCALED:
        nxt = {Stage.IDEA: "pilot", Stage.PILOT: "production", Stage.PRODUCTION: "scaled"}[stage]
        gates.approve(team, "to-retire", gate=nxt, domain="data", actor="omar")
        # a failing promotion opens a request that retirement must close
        out = gates.promote(team, "to-retire", nxt, actor="ben")
        assert not out.promoted and out.request_opened
        assert registry.detail(team, "to-retire")["request"] is not None
    rows_before = snapshot(team)
    lessons = "The process owner never adopted it; talk to users before building."
    uc = registry.retire(team, "to-retire", lessons=lessons, actor="carla")
    assert uc.stage is Stage.RETIRED
    assert uc.lessons_learned == lessons
    d = registry.detail(team, "to-retire")
    assert d["request"] is None
    assert [h["to_stage"] for h in d["history"]] == [stage.value, "retired"]
    assert d["history"][-1]["from_stage"] == stage.value
    assert d["history"][-1]["note"] == lessons
    ev = events(team)[-1]
    assert ev.action == "usecase.retired" and ev.actor == "carla"
    assert json.loads(ev.before) == {"stage": stage.value}
    assert json.loads(ev.after) == {"stage": "retired", "lessons_learned": lessons}
    # nothing was deleted: approvals, evidence, requests and history rows are all still there
    rows_after = snapshot(team)
    for table in ("approvals", "promotion_requests", "stage_history", "evidence", "waivers"):
        assert len(rows_after[table]) >= len(rows_before[table])
    assert len(rows_after["stage_history"]) == len(rows_before["stage_history"]) + 1
    # a retired use case is frozen
    with pytest.raises(ConflictError, match="already retired"):
        registry.retire(team, "to-retire", lessons=lessons, actor="carla")
    with pytest.raises(ConflictError, match="retired"):
        registry.edit(team, "to-retire", {"name": "Back"}, actor="carla")
    with pytest.raises(ConflictError, match="retired"):
        gates.promote(team, "to-retire", "pilot", actor="carla")
    assert [c.slug for c in registry.list_all(team, stage="retired")] == ["to-retire"]


def test_retire_needs_lessons_and_a_contributor(team) -> None:
    registry.add(team, charter("keep-me"), actor="ben")
    before = snapshot(team)
    with pytest.raises(ValidationError, match="lessons learned"):
        registry.retire(team, "keep-me", lessons="  short ", actor="ben")
    with pytest.raises(PermissionDeniedError, match="viewer"):
        registry.retire(team, "keep-me", lessons="long enough lessons", actor="vic")
    with pytest.raises(NotFoundError):
        registry.retire(team, "nope", lessons="long enough lessons", actor="ben")
    assert snapshot(team) == before


# ------------------------------------------------------------------------------ evidence


def test_record_and_list_evidence(team) -> None:
    registry.add(team, charter("with-ev"), actor="ben")
    ev1 = registry.record_evidence(
        team, "with-ev", kind="model_card", status="pass", summary="v1", actor="ben", at=ago(3)
    )
    ev2 = registry.record_evidence(
        team, "with-ev", kind="pen_test", status="fail", payload={"findings": 2}, actor="ben"
    )
    assert ev1.ref.startswith("ev-") and ev1.ref != ev2.ref
    assert [e.ref for e in registry.list_evidence(team, "with-ev")] == [ev2.ref, ev1.ref]
    assert [e.ref for e in registry.list_evidence(team, "with-ev", kind="model_card")] == [ev1.ref]
    got = registry.get_evidence(team, ev2.ref)
    assert got.payload == {"findings": 2} and got.status.value == "fail"
    last = events(team)[-1]
    assert last.action == "evidence.recorded"
    assert json.loads(last.after)["evidence"] == ev2.ref


def test_evidence_bad_input(team) -> None:
    registry.add(team, charter("ev-bad"), actor="ben")
    before = snapshot(team)
    with pytest.raises(ValidationError, match="evidence field 'kind'"):
        registry.record_evidence(team, "ev-bad", kind="Bad Kind", status="pass", actor="ben")
    with pytest.raises(ValidationError, match="evidence field 'status'"):
        registry.record_evidence(team, "ev-bad", kind="model_card", status="great", actor="ben")
    with pytest.raises(ValidationError, match="future"):
        registry.record_evidence(
            team,
            "ev-bad",
            kind="model_card",
            status="pass",
            actor="ben",
            at=utc_now() + timedelta(days=1),
        )
    with pytest.raises(PermissionDeniedError):
        registry.record_evidence(team, "ev-bad", kind="model_card", status="pass", actor="vic")
    with pytest.raises(NotFoundError, match="unknown evidence 'ev-999'"):
        registry.get_evidence(team, "ev-999")
    with pytest.raises(ValidationError, match="should look like ev-12"):
        registry.get_evidence(team, "evidence-one")
    assert snapshot(team) == before
