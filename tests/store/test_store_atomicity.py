"""A state change and its audit event commit together or not at all, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from scalegate.domain.stage import Stage
from scalegate.domain.use_case import Charter
from scalegate.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ScalegateError,
    ValidationError,
)
from scalegate.services import audit, registry, users
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store.audit_log import append_event, read_head
from scalegate.store.tables import audit_events, metadata, use_cases


def snapshot(store: Store) -> dict[str, Any]:
    """Row counts of every table, the recorded chain head and the whole audit table."""
    with store.read() as conn:
        counts = {
            name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for name, table in metadata.tables.items()
        }
        events = [tuple(r) for r in conn.execute(sa.select(audit_events).order_by("seq"))]
        cases = [tuple(r) for r in conn.execute(sa.select(use_cases).order_by("id"))]
        return {"counts": counts, "head": read_head(conn), "events": events, "cases": cases}


@pytest.fixture
def ws(team: Store) -> Store:
    registry.add(team, Charter(slug="churn", name="Churn", business_owner="omar"), actor="ben")
    registry.record_evidence(team, "churn", kind="note", status="info", actor="ben")
    return team


def _unchanged_after(store: Store, error: type[Exception], call: Any) -> Exception:
    before = snapshot(store)
    with pytest.raises(error) as info:
        call()
    assert snapshot(store) == before
    report = audit.verify(store)
    assert report.ok, report.message()
    return info.value


# ---------------------------------------------------------------------------- refused changes


def test_duplicate_slug(ws: Store) -> None:
    err = _unchanged_after(
        ws,
        ConflictError,
        lambda: registry.add(ws, Charter(slug="churn", name="Again"), actor="carla"),
    )
    assert "churn" in str(err)


def test_unknown_owner(ws: Store) -> None:
    err = _unchanged_after(
        ws,
        NotFoundError,
        lambda: registry.add(
            ws, Charter(slug="fraud", name="Fraud", technical_owner="nobody"), actor="ben"
        ),
    )
    assert "nobody" in str(err)


@pytest.mark.parametrize("actor", ["vic", "stranger", None])
def test_permission_denied_or_no_actor(ws: Store, actor: str | None) -> None:
    _unchanged_after(
        ws,
        PermissionDeniedError if actor else ValidationError,
        lambda: registry.add(ws, Charter(slug="fraud", name="Fraud"), actor=actor),
    )


def test_deactivated_user_cannot_write(ws: Store) -> None:
    users.edit(ws, "carla", active=False, actor="ada")
    _unchanged_after(
        ws,
        PermissionDeniedError,
        lambda: registry.record_evidence(ws, "churn", kind="note", status="info", actor="carla"),
    )


def test_edit_with_an_unknown_owner(ws: Store) -> None:
    _unchanged_after(
        ws,
        NotFoundError,
        lambda: registry.edit(ws, "churn", {"business_owner": "ghost"}, actor="ben"),
    )


def test_evidence_on_a_retired_use_case(ws: Store) -> None:
    registry.retire(ws, "churn", lessons="no labelled data, stopped", actor="ben")
    _unchanged_after(
        ws,
        ConflictError,
        lambda: registry.record_evidence(ws, "churn", kind="note", status="info", actor="ben"),
    )


def test_duplicate_user_and_last_admin(ws: Store) -> None:
    _unchanged_after(ws, ConflictError, lambda: users.add(ws, "ben", actor="ada"))
    _unchanged_after(ws, ConflictError, lambda: users.edit(ws, "ada", role="viewer", actor="ada"))


# ---------------------------------------------------------------------------- failures mid-way


class Boom(Exception):
    pass


def test_failure_after_the_audit_append_rolls_back_the_change_and_the_event(
    ws: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The use case row, its stage history and its audit event are all written, then the
    service fails: nothing of it may remain."""
    appended: list[int] = []

    def append_then_fail(conn: sa.Connection, **kwargs: Any) -> Any:
        event = append_event(conn, **kwargs)
        appended.append(event.seq)
        # inside the transaction, the change and the event are both visible
        assert repo.get_use_case(conn, "fraud") is not None
        assert read_head(conn) == (event.seq, event.hash)
        raise Boom("disk on fire")

    monkeypatch.setattr(registry, "append_event", append_then_fail)
    _unchanged_after(
        ws, Boom, lambda: registry.add(ws, Charter(slug="fraud", name="Fraud"), actor="ben")
    )
    assert len(appended) == 1
    monkeypatch.undo()

    # the sequence number that was rolled back is handed out again: no gap in the chain
    uc = registry.add(ws, Charter(slug="fraud", name="Fraud"), actor="ben")
    assert uc.slug == "fraud"
    with ws.read() as conn:
        assert read_head(conn)[0] == appended[0]
    assert audit.verify(ws).ok


def test_failure_between_two_state_writes_rolls_back_the_first(
    ws: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise Boom("stage history unavailable")

    monkeypatch.setattr(repo, "insert_stage_change", fail)
    _unchanged_after(
        ws, Boom, lambda: registry.add(ws, Charter(slug="fraud", name="Fraud"), actor="ben")
    )
    _unchanged_after(
        ws, Boom, lambda: registry.retire(ws, "churn", lessons="ten chars or more", actor="ben")
    )
    with ws.read() as conn:
        churn = repo.get_use_case(conn, "churn")
    assert churn is not None and churn.stage is Stage.IDEA


def test_failure_after_a_user_update(ws: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise Boom("no audit today")

    monkeypatch.setattr(users, "append_event", fail)
    _unchanged_after(ws, Boom, lambda: users.edit(ws, "vic", role="contributor", actor="ada"))
    monkeypatch.undo()
    assert users.get(ws, "vic").role.value == "viewer"


def test_exception_inside_store_write_rolls_back_change_and_event(ws: Store) -> None:
    before = snapshot(ws)
    now = datetime.now(UTC)
    with pytest.raises(Boom), ws.write() as conn:
        repo.insert_use_case(
            conn,
            Charter(slug="ghost", name="Ghost"),
            stage=Stage.IDEA,
            stage_entered_at=now,
            at=now,
        )
        event = append_event(
            conn, actor="ben", action="usecase.created", subject_type="use_case", subject_id="ghost"
        )
        assert event.seq == before["head"][0] + 1
        raise Boom
    assert snapshot(ws) == before

    # the store is still usable afterwards (no lingering lock, no broken connection)
    registry.record_evidence(ws, "churn", kind="note", status="pass", actor="ben")
    with ws.read() as conn:
        head = read_head(conn)
    assert head[0] == before["head"][0] + 1
    assert audit.verify(ws).ok


def test_database_error_inside_store_write_rolls_back_the_event(ws: Store) -> None:
    before = snapshot(ws)
    now = datetime.now(UTC)
    with pytest.raises(sa.exc.IntegrityError), ws.write() as conn:
        append_event(conn, actor="ada", action="x.y", subject_type="user", subject_id="ben")
        # a second user 'ben' violates the unique constraint
        conn.execute(
            sa.insert(metadata.tables["users"]).values(
                username="ben", role="viewer", domains=[], created_at=now
            )
        )
    assert snapshot(ws) == before
    assert audit.verify(ws).ok


def test_scalegate_errors_inside_store_write_roll_back(ws: Store) -> None:
    before = snapshot(ws)
    with pytest.raises(ScalegateError), ws.write() as conn:
        append_event(conn, actor="ada", action="x.y", subject_type="user", subject_id="ben")
        raise ValidationError("changed my mind")
    assert snapshot(ws) == before


def test_read_transactions_see_only_committed_events(ws: Store) -> None:
    before = snapshot(ws)
    with ws.write() as conn:
        append_event(conn, actor="ada", action="x.y", subject_type="user", subject_id="ben")
        # another connection does not see the uncommitted event yet
        with ws.read() as other:
            assert read_head(other) == before["head"]
    with ws.read() as other:
        assert read_head(other)[0] == before["head"][0] + 1
    assert audit.verify(ws).ok
