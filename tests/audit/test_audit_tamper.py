"""Tampering with the stored audit chain behind scalegate's back, on both backends.

Real changes go through the services; the tampering is raw SQL on ``audit_events``. Each case
checks that ``services.audit.verify`` and ``scalegate audit verify`` name the first bad event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scalegate.audit import event_hash
from scalegate.domain.use_case import Charter
from scalegate.services import audit, registry, users
from scalegate.store import Store
from scalegate.store.tables import audit_events, audit_head

COLUMNS = [c.name for c in audit_events.columns]  # seq, at, actor, ..., prev_hash, hash


def _populate(store: Store) -> int:
    """Real changes through the services on top of the ``team`` fixture; returns #events."""
    registry.add(
        store,
        Charter.model_validate(
            {
                "slug": "claims-triage",
                "name": "Claims triage — Zoë's pilot",
                "business_owner": "omar",
                "technical_owner": "ben",
                "kpis": [{"name": "handling time", "unit": "min", "baseline": 12, "target": 8}],
                "tags": ["nlp", "claims"],
            }
        ),
        actor="ben",
    )
    registry.add(store, Charter(slug="churn", name="Churn model"), actor="carla")
    registry.edit(store, "claims-triage", {"purpose": "route claims ✓"}, actor="ben")
    for i in range(3):
        registry.record_evidence(
            store,
            "churn",
            kind="note",
            status="info",
            summary=f"note {i}",
            payload={"i": i},
            actor="carla",
        )
    users.edit(store, "vic", display_name="Victor", actor="ada")
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(audit_events)).scalar())


@pytest.fixture
def chain(team: Store) -> tuple[Store, int]:
    n = _populate(team)
    assert n == 1 + 7 + 2 + 1 + 3 + 1  # policy, users, use cases, edit, evidence, user edit
    report = audit.verify(team)
    assert report.ok, report.message()
    assert report.events == n
    return team, n


def _row(store: Store, seq: int) -> dict[str, Any]:
    with store.read() as conn:
        row = conn.execute(sa.select(audit_events).where(audit_events.c.seq == seq)).one()
    return dict(row._mapping)


def _update(store: Store, where_seq: int, **values: Any) -> None:
    with store.engine.begin() as conn:
        result = conn.execute(
            sa.update(audit_events).where(audit_events.c.seq == where_seq).values(**values)
        )
        assert result.rowcount == 1


def _delete(store: Store, seq: int) -> None:
    with store.engine.begin() as conn:
        result = conn.execute(sa.text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})
        assert result.rowcount == 1


def _broken_at(store: Store, seq: int, *, events: int | None = None) -> None:
    report = audit.verify(store)
    assert not report.ok
    assert report.first_bad_seq == seq, report.message()
    # the events before the bad one verified; a forged extra row at the end verifies too
    assert report.events == (seq - 1 if events is None else events)
    assert f"sequence {seq}" in report.message()


# ---------------------------------------------------------------------------- services.audit


FORGED_VALUES: dict[str, Any] = {
    "seq": 999,
    "at": "2020-01-01T00:00:00.000000+00:00",
    "actor": "mallory",
    "action": "usecase.deleted",
    "subject_type": "policy",
    "subject_id": "someone-else",
    "before": '{"forged":true}',
    "after": "null",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


@pytest.mark.parametrize("column", COLUMNS)
def test_updating_any_column_of_a_middle_event_is_detected(
    chain: tuple[Store, int], column: str
) -> None:
    store, _n = chain
    seq = 11  # usecase.updated: the event with both before and after filled in
    row = _row(store, seq)
    assert row["action"] == "usecase.updated"
    assert row[column] != FORGED_VALUES[column]
    _update(store, seq, **{column: FORGED_VALUES[column]})
    _broken_at(store, seq)


def test_a_one_character_change_in_after_text_is_detected(chain: tuple[Store, int]) -> None:
    store, _n = chain
    row = _row(store, 10)  # usecase.created for churn
    assert '"Churn model"' in row["after"]
    _update(store, 10, after=row["after"].replace('"Churn model"', '"Churn modeL"'))
    _broken_at(store, 10)


def test_rewriting_an_event_and_its_own_hash_is_detected(chain: tuple[Store, int]) -> None:
    """A forger who recomputes the altered row's hash still breaks the link of the next row."""
    store, _n = chain
    row = _row(store, 5)
    row["actor"] = "mallory"
    row["hash"] = event_hash(*(row[c] for c in COLUMNS[:-1]))
    _update(store, 5, actor=row["actor"], hash=row["hash"])
    _broken_at(store, 6)


def test_updating_the_last_event_is_detected(chain: tuple[Store, int]) -> None:
    store, n = chain
    _update(store, n, actor="mallory")
    _broken_at(store, n)


def test_deleting_a_middle_event_is_detected(chain: tuple[Store, int]) -> None:
    store, _n = chain
    _delete(store, 6)
    _broken_at(store, 6)
    assert "missing" in (audit.verify(store).problem or "")


def test_deleting_the_first_event_is_detected(chain: tuple[Store, int]) -> None:
    store, _n = chain
    _delete(store, 1)
    _broken_at(store, 1)


def test_deleting_the_last_event_is_detected(chain: tuple[Store, int]) -> None:
    store, n = chain
    _delete(store, n)
    _broken_at(store, n)
    assert f"{n} events were recorded" in (audit.verify(store).problem or "")


def test_deleting_the_last_events_is_detected(chain: tuple[Store, int]) -> None:
    store, n = chain
    with store.engine.begin() as conn:
        conn.execute(sa.delete(audit_events).where(audit_events.c.seq > n - 3))
    _broken_at(store, n - 2)


def test_deleting_the_recorded_head_is_detected(chain: tuple[Store, int]) -> None:
    store, _n = chain
    with store.engine.begin() as conn:
        conn.execute(sa.delete(audit_head))
    report = audit.verify(store)
    assert not report.ok


def test_inserting_a_forged_event_at_the_end_is_detected(chain: tuple[Store, int]) -> None:
    """Correct seq, correct link to the last event and a correct own hash: only the
    recorded head, kept in the same transaction as every append, gives it away."""
    store, n = chain
    last = _row(store, n)
    forged = {
        "seq": n + 1,
        "at": last["at"],
        "actor": "mallory",
        "action": "usecase.promoted",
        "subject_type": "use_case",
        "subject_id": "churn",
        "before": '{"stage":"idea"}',
        "after": '{"stage":"production"}',
        "prev_hash": last["hash"],
    }
    forged["hash"] = event_hash(*forged.values())
    with store.engine.begin() as conn:
        conn.execute(sa.insert(audit_events).values(**forged))
    _broken_at(store, n + 1, events=n + 1)


def test_inserting_a_forged_event_in_the_middle_is_detected(chain: tuple[Store, int]) -> None:
    store, _n = chain
    k = 7
    prev = _row(store, k - 1)
    with store.engine.begin() as conn:
        # make room at seq k in two steps, so that no primary key clashes on the way
        conn.execute(
            sa.text("UPDATE audit_events SET seq = seq + 1000000 WHERE seq >= :k"), {"k": k}
        )
        conn.execute(sa.text("UPDATE audit_events SET seq = seq - 999999 WHERE seq >= 1000000"))
        forged = {
            "seq": k,
            "at": prev["at"],
            "actor": "ada",
            "action": "user.created",
            "subject_type": "user",
            "subject_id": "mallory",
            "before": "null",
            "after": '{"role":"admin","username":"mallory"}',
            "prev_hash": prev["hash"],
        }
        forged["hash"] = event_hash(*forged.values())
        conn.execute(sa.insert(audit_events).values(**forged))
    # the forged event itself links fine; the event after it no longer does
    _broken_at(store, k + 1)


def test_inserting_an_event_with_a_gap_is_detected(chain: tuple[Store, int]) -> None:
    store, n = chain
    row = _row(store, n)
    row["seq"] = n + 5
    with store.engine.begin() as conn:
        conn.execute(sa.insert(audit_events).values(**row))
    _broken_at(store, n + 1)


def test_swapping_two_events_is_detected(chain: tuple[Store, int]) -> None:
    store, _n = chain
    a, b = _row(store, 4), _row(store, 11)
    content = [c for c in COLUMNS if c != "seq"]
    _update(store, 4, **{c: b[c] for c in content})
    _update(store, 11, **{c: a[c] for c in content})
    _broken_at(store, 4)


def test_swapping_two_adjacent_events_with_relinked_hashes_is_detected(
    chain: tuple[Store, int],
) -> None:
    """Reordering two neighbours and recomputing both rows fully still leaves the row after
    them pointing at the old hash."""
    store, _n = chain
    k = 8
    a, b = _row(store, k), _row(store, k + 1)
    first = {**b, "seq": k, "prev_hash": a["prev_hash"]}
    first["hash"] = event_hash(*(first[c] for c in COLUMNS[:-1]))
    second = {**a, "seq": k + 1, "prev_hash": first["hash"]}
    second["hash"] = event_hash(*(second[c] for c in COLUMNS[:-1]))
    _update(store, k, **{c: first[c] for c in COLUMNS[1:]})
    _update(store, k + 1, **{c: second[c] for c in COLUMNS[1:]})
    _broken_at(store, k + 2)


def test_verify_on_a_fresh_workspace(store: Store) -> None:
    report = audit.verify(store)
    assert report.ok
    assert report.events == 1  # the packaged default policy
    assert report.head_hash == _row(store, 1)["hash"]


def test_a_rolled_back_tamper_leaves_the_chain_intact(chain: tuple[Store, int]) -> None:
    store, _n = chain
    with pytest.raises(RuntimeError), store.engine.begin() as conn:
        conn.execute(sa.delete(audit_events).where(audit_events.c.seq == 3))
        raise RuntimeError("changed my mind")
    assert audit.verify(store).ok


# ---------------------------------------------------------------------------- the CLI


def test_cli_verify_exit_codes_and_message(chain: tuple[Store, int], db_url: str, cli) -> None:
    store, n = chain
    result = cli("audit", "verify", db=db_url)
    assert result.code == 0, result.err
    assert f"audit chain intact: {n} events" in result.out

    _update(store, 6, subject_id="ghost")
    result = cli("audit", "verify", db=db_url)
    assert result.code == 1
    assert "audit chain broken at sequence 6" in result.err
    assert "content does not match its hash" in result.err
    assert "Traceback" not in result.err + result.out

    result = cli("audit", "verify", "--json", db=db_url)
    assert result.code == 1
    data = json.loads(result.out)
    assert data["ok"] is False
    assert data["first_bad_seq"] == 6
    assert data["events"] == 5
    assert data["problem"] == "content does not match its hash"


def test_cli_verify_names_a_deleted_last_event(chain: tuple[Store, int], db_url: str, cli) -> None:
    store, n = chain
    _delete(store, n)
    result = cli("audit", "verify", db=db_url)
    assert result.code == 1
    assert f"sequence {n}" in result.err


def _scalegate_exe() -> str:
    exe = Path(sys.executable).parent / "scalegate"
    assert exe.exists(), f"console script not installed next to {sys.executable}"
    return str(exe)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    env["COLUMNS"] = "200"
    return env


def test_installed_console_script_verifies(chain: tuple[Store, int], db_url: str) -> None:
    store, n = chain
    exe = _scalegate_exe()
    ok = subprocess.run(
        [exe, "--db", db_url, "audit", "verify"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert f"{n} events" in ok.stdout

    _delete(store, 3)
    bad = subprocess.run(
        [exe, "--db", db_url, "audit", "verify"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
    )
    assert bad.returncode == 1
    assert "audit chain broken at sequence 3" in bad.stderr
    assert "event 3 is missing" in bad.stderr
    assert "Traceback" not in bad.stderr


# ---------------------------------------------------------------------------- export


def _check_export_lines(lines: list[str], n: int) -> list[dict[str, Any]]:
    assert len(lines) == n
    rows = [json.loads(line) for line in lines]
    prev = "0" * 64
    for i, row in enumerate(rows, start=1):
        assert row["seq"] == i
        assert row["prev_hash"] == prev
        assert json.loads(row["before_json"]) == row["before"]
        assert json.loads(row["after_json"]) == row["after"]
        recomputed = event_hash(
            row["seq"],
            row["at"],
            row["actor"],
            row["action"],
            row["subject_type"],
            row["subject_id"],
            row["before_json"],
            row["after_json"],
            row["prev_hash"],
        )
        assert recomputed == row["hash"]
        prev = row["hash"]
    return rows


def test_export_to_file_lets_an_auditor_recompute_every_hash(
    chain: tuple[Store, int], db_url: str, cli, tmp_path: Path
) -> None:
    store, n = chain
    out = tmp_path / "audit.jsonl"
    result = cli("audit", "export", "-o", str(out), db=db_url)
    assert result.code == 0, result.err
    assert f"exported {n} events" in result.out
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n")
    rows = _check_export_lines(text.splitlines(), n)
    assert not (tmp_path / "audit.jsonl.partial").exists()
    # the last exported hash is the recorded head
    assert rows[-1]["hash"] == audit.verify(store).head_hash
    # unicode is written as is, not escaped
    assert "Zoë" in text and "\\u00eb" not in text
    edit = next(r for r in rows if r["action"] == "usecase.updated")
    assert edit["before"] == {"purpose": ""}
    assert edit["after"] == {"purpose": "route claims ✓"}


def test_export_to_stdout_matches_the_file(
    chain: tuple[Store, int], db_url: str, cli, tmp_path: Path
) -> None:
    _store, n = chain
    result = cli("audit", "export", db=db_url)
    assert result.code == 0, result.err
    _check_export_lines(result.out.splitlines(), n)
    out = tmp_path / "a.jsonl"
    assert cli("audit", "export", "--output", str(out), db=db_url).code == 0
    assert out.read_text(encoding="utf-8") == result.out


def test_export_into_a_directory_is_refused(
    chain: tuple[Store, int], db_url: str, cli, tmp_path: Path
) -> None:
    result = cli("audit", "export", "-o", str(tmp_path), db=db_url)
    assert result.code == 2
    assert "is a directory" in result.err
    assert not list(tmp_path.glob("*.partial"))
    assert not list(tmp_path.glob("*.jsonl"))
