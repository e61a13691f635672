"""``record_kpi`` and ``kpis()`` over HTTP agree with the local SDK, errors included."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import scalegate as sg
from scalegate.errors import ScalegateError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sdk_remote import Server, local, server  # noqa: F401  (fixtures)


def _without_refs(report: dict[str, Any]) -> dict[str, Any]:
    for k in report["kpis"]:
        for p in k["series"]:
            p.pop("evidence")
        if k["latest"]:
            k["latest"].pop("evidence")
    report.pop("use_case")
    return report


def test_remote_kpis_equal_local(server: Server, local: sg.Client) -> None:  # noqa: F811
    with server.connect("ben") as remote:
        _compare(remote, local)


def _compare(remote: sg.RemoteClient, local: sg.Client) -> None:  # noqa: F811
    at = datetime(2025, 3, 31, tzinfo=UTC)
    ev_local = local.use_case("credit-limit").record_kpi("time to decide", 48, at=at)
    ev_remote = remote.use_case("credit-twin").record_kpi("time to decide", 48, at=at, unit="hours")
    assert ev_remote.kind == ev_local.kind == "kpi_measurement"
    assert ev_remote.payload == ev_local.payload
    assert ev_remote.created_at == ev_local.created_at == at
    assert ev_remote.summary == ev_local.summary == "time to decide = 48 hours"
    mine = local.use_case("credit-limit").kpis()
    theirs = remote.use_case("credit-twin").kpis()
    # the charter's KPI has no direction (increase) but a target below its baseline
    assert theirs["kpis"][0]["progress"] is None
    assert "should increase but its target (24)" in theirs["kpis"][0]["progress_reason"]
    assert _without_refs(theirs) == _without_refs(mine)
    # the remote client reads what the local one wrote, and the other way round
    assert remote.use_case("credit-limit").kpis()["kpis"][0]["latest"]["value"] == 48.0


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("time to decid", 1), {}),
        (("time to decide", float("nan")), {}),
        (("time to decide", 1), {"unit": "days"}),
        (("time to decide", 1), {"at": datetime.now(UTC) + timedelta(days=3)}),
    ],
)
def test_remote_errors_equal_local(
    server: Server,  # noqa: F811
    local: sg.Client,  # noqa: F811
    args: tuple,
    kwargs: dict,
) -> None:
    with pytest.raises(ScalegateError) as mine:
        local.use_case("credit-limit").record_kpi(*args, **kwargs)
    with server.connect("ben") as remote, pytest.raises(ScalegateError) as theirs:
        remote.use_case("credit-limit").record_kpi(*args, **kwargs)
    assert type(theirs.value) is type(mine.value)
    assert str(theirs.value) == str(mine.value)


def test_a_viewer_may_read_but_not_record(server: Server) -> None:  # noqa: F811
    with server.connect("vic") as remote:
        assert remote.use_case("credit-limit").kpis()["kpis"][0]["name"] == "time to decide"
        with pytest.raises(ScalegateError, match="needs the contributor role"):
            remote.use_case("credit-limit").record_kpi("time to decide", 3)
