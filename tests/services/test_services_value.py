"""Objectives, KPI measurements, progress and realised value through the services, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from svc_support import ago, charter, events, snapshot

from scalegate.domain.value import KPI_MEASUREMENT
from scalegate.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.services import gates, kpis, objectives, policies, registry, value

KPIS = [
    {
        "name": "time to settle",
        "unit": "hours",
        "direction": "decrease",
        "baseline": 96,
        "target": 48,
    },
    {
        "name": "handling cost",
        "unit": "EUR/month",
        "direction": "decrease",
        "baseline": 1000,
        "target": 600,
    },
    {
        "name": "upsell revenue",
        "unit": "USD/month",
        "direction": "increase",
        "baseline": 200,
        "target": 400,
    },
    {"name": "nps", "unit": "", "direction": "increase", "baseline": None, "target": 40},
]


def add_case(store, slug: str, stage: str = "idea", kpis_: list | None = None) -> None:
    registry.add(
        store,
        charter(slug, kpis=KPIS if kpis_ is None else kpis_),
        actor="ada",
        stage=registry.Stage(stage),
    )


@pytest.fixture
def world(team):
    add_case(team, "claims")
    add_case(team, "live", "production")
    add_case(team, "big", "scaled")
    add_case(team, "trial", "pilot")
    objectives.add(
        team,
        "faster-claims",
        name="Faster claims",
        sponsor="COO Eve",
        outcome="Settle in 48 h",
        actor="ben",
    )
    objectives.add(team, "growth", name="Grow revenue", actor="ben")
    return team


# ---------------------------------------------------------------- objectives
def test_objective_crud_and_audit(world) -> None:
    s = objectives.show(world, "faster-claims")
    assert (s.objective.name, s.objective.sponsor, s.objective.outcome) == (
        "Faster claims",
        "COO Eve",
        "Settle in 48 h",
    )
    assert s.objective.created_by == "ben" and s.use_cases == ()
    edited = objectives.edit(world, "growth", {"sponsor": "CFO", "name": None}, actor="carla")
    assert edited.sponsor == "CFO" and edited.name == "Grow revenue"
    # nothing changed: no event
    n = len(events(world))
    objectives.edit(world, "growth", {"sponsor": "CFO"}, actor="carla")
    assert len(events(world)) == n
    objectives.delete(world, "growth", actor="ada")
    assert [o.objective.slug for o in objectives.list_all(world)] == ["faster-claims"]
    actions = [(e.action, e.subject_id) for e in events(world) if e.subject_type == "objective"]
    assert actions == [
        ("objective.created", "faster-claims"),
        ("objective.created", "growth"),
        ("objective.updated", "growth"),
        ("objective.deleted", "growth"),
    ]


def test_objective_bad_input_writes_nothing(world) -> None:
    before = snapshot(world)
    cases = [
        (
            lambda: objectives.add(world, "faster-claims", name="x", actor="ben"),
            ConflictError,
            "an objective with slug 'faster-claims' already exists",
        ),
        (lambda: objectives.add(world, "Bad Slug", name="x", actor="ben"), ValidationError, "slug"),
        (lambda: objectives.add(world, "ok-slug", name="", actor="ben"), ValidationError, "name"),
        (
            lambda: objectives.add(world, "ok-slug", name="x", actor="vic"),
            PermissionDeniedError,
            "needs the contributor role",
        ),
        (
            lambda: objectives.add(world, "ok-slug", name="x", actor=None),
            ValidationError,
            "needs to know who is acting",
        ),
        (
            lambda: objectives.edit(world, "nope", {"name": "x"}, actor="ben"),
            NotFoundError,
            "unknown objective 'nope'",
        ),
        (
            lambda: objectives.edit(world, "growth", {"owner": "x"}, actor="ben"),
            ValidationError,
            "unknown objective field 'owner'",
        ),
        (
            lambda: objectives.edit(world, "growth", {}, actor="ben"),
            ValidationError,
            "nothing to change",
        ),
        (
            lambda: objectives.delete(world, "growth", actor="ben"),
            PermissionDeniedError,
            "needs the admin role",
        ),
        (
            lambda: objectives.link(world, "growth", ["claims", "nope"], actor="ben"),
            NotFoundError,
            "unknown use case 'nope'",
        ),
        (
            lambda: objectives.link(world, "nope", ["claims"], actor="ben"),
            NotFoundError,
            "unknown objective 'nope'",
        ),
        (
            lambda: objectives.link(world, "growth", [], actor="ben"),
            ValidationError,
            "at least one use case",
        ),
        (
            lambda: objectives.unlink(world, "claims", actor="ben"),
            ConflictError,
            "use case 'claims' is not linked to an objective",
        ),
    ]
    for call, error, text in cases:
        with pytest.raises(error, match=text):
            call()
    assert snapshot(world) == before


def test_link_moves_and_unlink(world) -> None:
    moved = objectives.link(world, "faster-claims", ["claims", "live"], actor="ben")
    assert moved == [("claims", None), ("live", None)]
    # re-linking moves it: one objective per use case
    moved = objectives.link(world, "growth", ["live", "trial"], actor="carla")
    assert moved == [("live", "faster-claims"), ("trial", None)]
    # linking again to the same objective changes nothing
    n = len(events(world))
    assert objectives.link(world, "growth", ["live"], actor="carla") == []
    assert len(events(world)) == n
    summary = {s.objective.slug: s for s in objectives.list_all(world)}
    assert summary["faster-claims"].use_cases == (("claims", registry.Stage.IDEA),)
    assert [u for u, _ in summary["growth"].use_cases] == ["live", "trial"]
    assert summary["growth"].stages["production"] == 1 and summary["growth"].stages["pilot"] == 1
    assert objectives.objective_of(world, "live").slug == "growth"
    assert objectives.unlink(world, "live", actor="ben") == "growth"
    assert objectives.objective_of(world, "live") is None
    # an objective with linked use cases cannot be deleted
    with pytest.raises(ConflictError, match="still has 1 linked use case"):
        objectives.delete(world, "growth", actor="ada")
    link_events = [
        (e.action, e.subject_id, json.loads(e.before), json.loads(e.after))
        for e in events(world)
        if e.action.startswith("objective.") and e.subject_type == "use_case"
    ]
    assert link_events[2] == (
        "objective.linked",
        "live",
        {"objective": "faster-claims"},
        {"objective": "growth"},
    )
    assert link_events[-1] == (
        "objective.unlinked",
        "live",
        {"objective": "growth"},
        {"objective": None},
    )


def test_nothing_in_production(world) -> None:
    objectives.link(world, "faster-claims", ["claims", "trial"], actor="ben")
    objectives.link(world, "growth", ["big"], actor="ben")
    by_slug = {s.objective.slug: s for s in objectives.list_all(world)}
    assert by_slug["faster-claims"].nothing_in_production
    assert not by_slug["growth"].nothing_in_production
    v = value.build(world)
    assert v.nothing_in_production == ["faster-claims"]
    assert v.unlinked_live == ["live"]
    d = v.to_dict()
    assert d["nothing_in_production"] == ["faster-claims"]
    assert d["objectives"][0]["nothing_in_production"] is True
    # a retired use case does not count as in production
    registry.retire(world, "big", lessons="replaced by a vendor tool", actor="ada")
    assert value.build(world).nothing_in_production == ["faster-claims", "growth"]


# ---------------------------------------------------------------- KPI measurements
def test_record_and_report(world) -> None:
    kpis.record(world, "live", "time to settle", 84, at=ago(60), actor="ben")
    kpis.record(world, "live", "time to settle", "72", at=ago(30), unit="hours", actor="ben")
    ev = kpis.record(world, "live", "handling cost", 900, at=ago(1), unit="€/month", actor="ben")
    assert ev.kind == KPI_MEASUREMENT and ev.subject == "handling cost"
    assert ev.summary == "handling cost = 900 EUR/month"
    stored = registry.get_evidence(world, ev.ref)
    assert stored.payload == {
        "kpi": "handling cost",
        "value": 900.0,
        "unit": "EUR/month",
        "baseline": 1000.0,
        "target": 600.0,
        "direction": "decrease",
    }
    r = kpis.report(world, "live")
    by = {s.kpi.name: s for s in r.kpis}
    assert [p.value for p in by["time to settle"].points] == [84.0, 72.0]
    assert by["time to settle"].progress.fraction == pytest.approx(0.5)  # (96-72)/(96-48)
    assert by["time to settle"].realised is None
    assert by["handling cost"].progress.fraction == pytest.approx(0.25)
    assert by["handling cost"].realised.amount == pytest.approx(100.0)
    assert by["upsell revenue"].progress.reason == "no measurement of KPI 'upsell revenue' recorded"
    assert r.realised_total == {"EUR/month": 100.0}
    d = r.to_dict()
    assert d["kpis"][0]["series"][1]["value"] == 72.0
    assert d["kpis"][1]["realised_value"] == {
        "amount": 100.0,
        "currency": "EUR",
        "period": "month",
        "unit": "EUR/month",
    }
    assert d["kpis"][3]["progress"] is None and d["kpis"][3]["progress_reason"]
    # audited
    assert sum(e.action == "evidence.recorded" for e in events(world)) == 3


def test_realised_value_per_currency_over_live_use_cases(world) -> None:
    kpis.record(world, "live", "handling cost", 700, actor="ben")  # +300 EUR/month
    kpis.record(world, "live", "upsell revenue", 260, actor="ben")  # +60 USD/month
    kpis.record(world, "big", "handling cost", 800, at=ago(1), actor="ben")  # latest: +200
    # recorded later but measured earlier: not the latest
    kpis.record(world, "big", "handling cost", 1100, at=ago(10), actor="ben")
    kpis.record(world, "trial", "handling cost", 100, actor="ben")  # a pilot: not counted
    v = value.build(world)
    assert v.realised == {"EUR/month": 500.0, "USD/month": 60.0}
    per = {u.slug: u.realised for u in v.use_cases}
    assert per == {"big": {"EUR/month": 200.0}, "live": {"EUR/month": 300.0, "USD/month": 60.0}}


def test_bad_measurements_write_nothing(world) -> None:
    before = snapshot(world)
    future = datetime.now(UTC) + timedelta(days=2)
    cases = [
        (
            dict(kpi="time to setle", value=1),
            UnknownChoiceError,
            "unknown KPI 'time to setle'; the charter's KPIs are 'time to settle', "
            "'handling cost', 'upsell revenue', 'nps'",
        ),
        (
            dict(kpi="time to settle", value="fast"),
            ValidationError,
            "KPI 'time to settle': value 'fast' is not a number",
        ),
        (
            dict(kpi="time to settle", value=float("nan")),
            ValidationError,
            "KPI 'time to settle': value 'nan' is not a finite number",
        ),
        (
            dict(kpi="time to settle", value=3, unit="days"),
            ValidationError,
            "KPI 'time to settle' is measured in 'hours', not 'days'; give the value in 'hours'",
        ),
        (
            dict(kpi="time to settle", value=3, at=future),
            ValidationError,
            "evidence cannot be dated in the future",
        ),
    ]
    for kw, error, text in cases:
        with pytest.raises(error) as exc:
            kpis.record(world, "live", actor="ben", **kw)
        assert str(exc.value) == text
    with pytest.raises(NotFoundError, match="unknown use case 'nope'"):
        kpis.record(world, "nope", "x", 1, actor="ben")
    with pytest.raises(PermissionDeniedError):
        kpis.record(world, "live", "time to settle", 1, actor="vic")
    # the generic evidence path checks a kpi_measurement the same way
    with pytest.raises(ValidationError, match="value 'x' is not a number"):
        registry.record_evidence(
            world,
            "live",
            kind=KPI_MEASUREMENT,
            status="info",
            subject="nps",
            payload={"value": "x"},
            actor="ben",
        )
    with pytest.raises(ValidationError, match="needs the KPI's name"):
        registry.record_evidence(
            world, "live", kind=KPI_MEASUREMENT, status="info", payload={"value": 1}, actor="ben"
        )
    add_case(world, "no-kpis", kpis_=[])
    before = snapshot(world)
    with pytest.raises(ValidationError, match="the charter defines no KPIs"):
        kpis.record(world, "no-kpis", "x", 1, actor="ben")
    assert snapshot(world) == before


# ---------------------------------------------------------------- CSV import
GOOD = """kpi,value,at,unit
time to settle,90,2025-01-31,hours
time to settle,80.5,2025-02-28,
handling cost,950,2025-02-28T12:00:00+00:00,EUR/month
"""


def test_import_csv(world) -> None:
    records = kpis.import_csv(world, "live", GOOD, source="kpis.csv", actor="ben")
    assert [r.summary for r in records] == [
        "time to settle = 90 hours",
        "time to settle = 80.5 hours",
        "handling cost = 950 EUR/month",
    ]
    assert records[0].created_at == datetime(2025, 1, 31, tzinfo=UTC)
    r = kpis.report(world, "live")
    assert [p.value for p in r.kpis[0].points] == [90.0, 80.5]
    # header order and case do not matter; unit may be left out; blank lines are skipped
    text = "Value,KPI,At\n\n70,time to settle,2025-03-31\n"
    assert len(kpis.import_csv(world, "live", text, source="b.csv", actor="ben")) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "kpis.csv: empty file; expected a header line kpi,value,at[,unit]"),
        (
            "kpi,at\nx,2025-01-01\n",
            "kpis.csv, line 1: missing column 'value'; the columns are kpi, value, at and "
            "optionally unit",
        ),
        (
            "kpi,value,at,source\n",
            "kpis.csv, line 1: unknown column 'source'; the columns are kpi, value, at and "
            "optionally unit",
        ),
        ("kpi,value,at\n", "kpis.csv: no measurements after the header line"),
        (
            GOOD + "time to settle,abc,2025-03-31,\n",
            "kpis.csv, line 5, column 'value': KPI 'time to settle': value 'abc' is not a number",
        ),
        (
            GOOD + "time to setle,1,2025-03-31,\n",
            "kpis.csv, line 5, column 'kpi': unknown KPI 'time to setle'; the charter's KPIs are "
            "'time to settle', 'handling cost', 'upsell revenue', 'nps'",
        ),
        (
            GOOD + "handling cost,1,2025-03-31,USD\n",
            "kpis.csv, line 5, column 'unit': KPI 'handling cost' is measured in 'EUR/month', "
            "not 'USD'; give the value in 'EUR/month'",
        ),
        (
            GOOD + "time to settle,1,2999-01-01,\n",
            "kpis.csv, line 5, column 'at': 2999-01-01 lies in the future",
        ),
        (
            GOOD + "time to settle,1,31/03/2025,\n",
            "kpis.csv, line 5, column 'at': cannot read '31/03/2025' as a date; use YYYY-MM-DD",
        ),
        (
            GOOD + ",1,2025-03-31,\n",
            "kpis.csv, line 5, column 'kpi': empty; name one of the charter's KPIs",
        ),
        (GOOD + "time to settle,1\n", "kpis.csv, line 5: 2 cells, the header has 4"),
    ],
)
def test_import_bad_row_stores_nothing(world, text: str, message: str) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as exc:
        kpis.import_csv(world, "live", text, source="kpis.csv", actor="ben")
    assert str(exc.value) == message
    assert snapshot(world) == before


# ---------------------------------------------------------------- the gate, end to end
POLICY = """\
name: value-policy
stall_after_days: 30
gates:
  pilot: []
  production: []
  scaled:
    - id: value
      kind: kpi_progress
      params: {kpi: handling cost, min_fraction: 0.5, within_days: 60}
"""


def test_kpi_progress_gate_reads_stored_measurements(world) -> None:
    policies.apply(world, POLICY, source="value.yaml", actor="ada")
    d = gates.evaluate(world, "live", "scaled")
    assert not d.passed
    assert d.results[0].reason == "no measurement of 'handling cost' in the last 60 days"
    kpis.record(world, "live", "handling cost", 500, at=ago(90), actor="ben")  # too old
    kpis.record(world, "live", "handling cost", 850, at=ago(5), actor="ben")
    d = gates.evaluate(world, "live", "scaled")
    assert not d.passed
    assert "'handling cost' at 850 EUR/month" in d.results[0].reason
    assert (
        "(baseline 1,000, target 600): 38% of the way, policy asks for 50%" in d.results[0].reason
    )
    ev = kpis.record(world, "live", "handling cost", 790, at=ago(1), actor="ben")
    d = gates.evaluate(world, "live", "scaled")
    assert d.passed and d.results[0].evidence == (ev.ref,)
    # the portfolio evaluates the same criterion on the same measurements
    from scalegate.services import portfolio

    assert "live" in portfolio.build(world).ready


def test_evidence_many_is_all_or_nothing_and_locates_the_bad_draft(world) -> None:
    from scalegate.services.registry import EvidenceDraft, record_evidence_many

    good = EvidenceDraft(kind="note", status="info", summary="fine")
    future = EvidenceDraft(kind="note", status="info", at=datetime.now(UTC) + timedelta(days=1))
    bad_kpi = EvidenceDraft(
        kind=KPI_MEASUREMENT, status="info", subject="nps", payload={"value": "x"}
    )
    before = snapshot(world)
    for drafts, text in (
        ([good, future], "row 2: evidence cannot be dated in the future"),
        ([good, good, bad_kpi], "row 3: KPI 'nps': value 'x' is not a number"),
    ):
        with pytest.raises(ValidationError) as exc:
            record_evidence_many(world, "live", drafts, actor="ben", where=lambda i: f"row {i + 1}")
        assert str(exc.value) == text
    assert snapshot(world) == before
    assert len(record_evidence_many(world, "live", [good, good], actor="ben")) == 2


def test_generic_evidence_may_name_the_kpi_in_its_payload(world) -> None:
    ev = registry.record_evidence(
        world,
        "live",
        kind=KPI_MEASUREMENT,
        status="info",
        payload={"kpi": "time to settle", "value": 72},
        actor="ben",
    )
    assert ev.subject == "time to settle" and ev.payload["unit"] == "hours"
    assert kpis.report(world, "live").kpis[0].progress.fraction == pytest.approx(0.5)
    with pytest.raises(ValidationError, match="subject 'nps' and its payload's kpi 'x' differ"):
        registry.record_evidence(
            world,
            "live",
            kind=KPI_MEASUREMENT,
            status="info",
            subject="nps",
            payload={"kpi": "x", "value": 1},
            actor="ben",
        )
