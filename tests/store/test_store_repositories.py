"""Repositories and the audit log on both backends: what goes in comes back out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from scalegate.audit import GENESIS_HASH, canonical_json, event_hash
from scalegate.domain.evidence import EvidenceStatus
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import Charter
from scalegate.services import audit, registry
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store.audit_log import append_event, iter_events, iter_rows, read_head
from scalegate.store.tables import audit_events, evidence

# ---------------------------------------------------------------------------- audit log


def test_append_event_links_to_the_head_and_stores_what_it_returns(db_url: str) -> None:
    with Store(db_url) as store:
        with store.read() as conn:
            assert read_head(conn) == (0, GENESIS_HASH)
        with store.write() as conn:
            first = append_event(
                conn,
                actor="ada",
                action="user.created",
                subject_type="user",
                subject_id="ada",
                after={"z": 1, "a": ["é", None]},
                at="2026-01-01T00:00:00.000000+00:00",
            )
            second = append_event(
                conn,
                actor="ada",
                action="user.updated",
                subject_type="user",
                subject_id="ada",
                before={"role": "admin"},
                after={"role": "viewer"},
            )
        assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
        assert first.before == "null"
        assert first.after == '{"a":["é",null],"z":1}'
        assert first.hash == event_hash(*[getattr(first, f) for f in _FIELDS[:-1]])
        assert (second.seq, second.prev_hash) == (2, first.hash)
        with store.read() as conn:
            assert read_head(conn) == (2, second.hash)
            assert list(iter_events(conn)) == [first, second]
            assert [tuple(r) for r in iter_rows(conn)] == [
                tuple(getattr(e, f) for f in _FIELDS) for e in (first, second)
            ]
        assert audit.verify(store).ok


_FIELDS = [c.name for c in audit_events.columns]


def test_iter_events_filters_and_orders(team: Store) -> None:
    registry.add(team, Charter(slug="alpha", name="Alpha"), actor="ben")
    registry.add(team, Charter(slug="beta", name="Beta"), actor="ben")
    for slug in ("alpha", "beta", "alpha"):
        registry.record_evidence(team, slug, kind="note", status="info", actor="ben")
    with team.read() as conn:
        everything = list(iter_events(conn))
        alpha = list(iter_events(conn, subject_type="use_case", subject_id="alpha"))
        newest = list(iter_events(conn, newest_first=True, limit=2))
        later = list(iter_events(conn, since_seq=everything[-3].seq))
        users = list(iter_events(conn, subject_type="user"))
    assert [e.seq for e in everything] == list(range(1, len(everything) + 1))
    assert [e.action for e in alpha] == [
        "usecase.created",
        "evidence.recorded",
        "evidence.recorded",
    ]
    assert newest == everything[::-1][:2]
    assert later == everything[-2:]
    assert {e.subject_id for e in users} == {"ada", "ben", "carla", "rita", "omar", "eve", "vic"}
    recent = list(audit.recent(team, limit=3, subject_type="use_case", subject_id="beta"))
    assert [e.action for e in recent] == ["evidence.recorded", "usecase.created"]


# ---------------------------------------------------------------------------- round trips


def test_timestamps_come_back_as_the_same_utc_instant(store: Store) -> None:
    cet = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=cet)
    with store.write() as conn:
        repo.insert_use_case(
            conn, Charter(slug="tz", name="TZ"), stage=Stage.PILOT, stage_entered_at=at, at=at
        )
    with store.read() as conn:
        uc = repo.get_use_case(conn, "tz")
    assert uc is not None
    for value in (uc.stage_entered_at, uc.created_at, uc.updated_at):
        assert value == at
        assert value.utcoffset() == timedelta(0)
        assert value.microsecond == 891011


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), store.write() as conn:
        repo.insert_use_case(
            conn,
            Charter(slug="naive", name="N"),
            stage=Stage.IDEA,
            stage_entered_at=naive,
            at=naive,
        )
    with store.read() as conn:
        assert repo.get_use_case(conn, "naive") is None


def test_charter_json_columns_round_trip(team: Store) -> None:
    charter = Charter.model_validate(
        {
            "slug": "credit-limit",
            "name": "Crédit limite 信用",
            "purpose": "line1\nline2 — ✓",
            "business_owner": "omar",
            "departments": ["Risk", "Ops"],
            "integration_targets": [{"system": "SAP", "mode": "batch", "description": "nightly"}],
            "kpis": [
                {"name": "loss", "unit": "%", "direction": "decrease", "baseline": 2.5},
                {"name": "uplift", "unit": "€", "baseline": 0, "target": 1e6},
            ],
            "risk_tier": "high",
            "tags": ["credit", "ü"],
        }
    )
    created = registry.add(team, charter, actor="ben")
    loaded = registry.get(team, "credit-limit")
    assert loaded == created
    assert loaded.charter() == charter


def test_evidence_round_trip_and_digest(team: Store) -> None:
    registry.add(team, Charter(slug="ev", name="Ev"), actor="ben")
    payload = {"rows": 1200, "failed": [{"col": "âge", "n": 3}], "ratio": 0.25, "ok": None}
    ev = registry.record_evidence(
        team,
        "ev",
        kind="data.check",
        status="fail",
        summary="3 bad ages",
        payload=payload,
        actor="ben",
    )
    later = registry.record_evidence(team, "ev", kind="data.check", status="pass", actor="carla")
    other = registry.record_evidence(team, "ev", kind="note", status="info", actor="carla")
    with team.read() as conn:
        stored = conn.execute(sa.select(evidence).where(evidence.c.id == ev.id)).one()
        uc = repo.get_use_case(conn, "ev")
        assert uc is not None
        newest = repo.latest_evidence(conn, [uc.id])
        listed = repo.list_evidence(conn, uc.id)
        only_checks = repo.list_evidence(conn, uc.id, kind="data.check", limit=1)
    assert stored.payload == payload
    assert stored.sha256 == hashlib.sha256(canonical_json(payload).encode()).hexdigest()
    assert registry.get_evidence(team, f"ev-{ev.id}") == ev
    assert ev.status is EvidenceStatus.FAIL
    assert newest == {uc.id: {"data.check": later, "note": other}}
    assert [e.id for e in listed] == [other.id, later.id, ev.id]  # newest first
    assert only_checks == [later]


def test_policy_versions_count_up(store: Store) -> None:
    now = datetime.now(UTC)
    with store.write() as conn:
        assert repo.latest_policy(conn) is not None  # the packaged default, version 1
        v2 = repo.insert_policy(conn, name="p", document="a: 1\n", at=now, by="ada")
        v3 = repo.insert_policy(conn, name="p", document="a: 2\n", at=now, by="ada")
    assert (v2, v3) == (2, 3)
    with store.read() as conn:
        assert repo.latest_policy(conn) == (3, "a: 2\n")
        assert repo.policy_version(conn, 2) == "a: 1\n"
        assert repo.policy_version(conn, 99) is None
        assert [p["version"] for p in repo.list_policies(conn)] == [1, 2, 3]
