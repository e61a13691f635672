"""The Python SDK over HTTP: the scenarios of test_sdk_local.py against a real server.

Each test serves the test's workspace with Uvicorn on a free loopback port (real HTTP, in a
thread), so the local SDK on the same store is the reference the remote one must agree with.
One test starts ``scalegate serve`` as a subprocess.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import scalegate as sg
from scalegate.domain.stage import Stage
from scalegate.services import audit, auth, registry
from scalegate.services.clock import utcnow

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from svc_support import scored
from test_sdk_local import CONTRACT, frame

pytest.importorskip("uvicorn")


@dataclass
class Server:
    url: str
    tokens: dict[str, str]  # username -> token text

    def connect(self, user: str = "ben") -> sg.RemoteClient:
        client = sg.connect(self.url, token=self.tokens[user])
        assert isinstance(client, sg.RemoteClient)
        return client


def _charter(slug: str) -> Any:
    return registry.charter_from_fields(
        slug=slug,
        name="Credit limit",
        purpose="Suggest credit limits for new applications.",
        strategic_objective="Decide on applications within a day",
        business_owner="carla",
        technical_owner="ben",
        departments=["lending"],
        integration_targets=[{"system": "Loan origination", "mode": "api"}],
        kpis=[{"name": "time to decide", "unit": "hours", "baseline": 72, "target": 24}],
        risk_tier="minimal",
    )


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def server(team: Any) -> Iterator[Server]:
    """The ``team`` workspace (plus two twin use cases) served over HTTP on loopback."""
    import uvicorn

    from scalegate.api import create_app
    from scalegate.settings import Settings

    for slug in ("credit-limit", "credit-twin"):
        registry.add(team, _charter(slug), actor="ada", stage=Stage.PILOT)
    tokens = {name: auth.create_token(team, name, "sdk", actor="ada")[0] for name in ("ben", "vic")}
    tokens["expired"] = auth.create_token(
        team, "ben", "old", timedelta(days=1), actor="ada", now=utcnow() - timedelta(days=3)
    )[0]
    revoked, info = auth.create_token(team, "ben", "gone", actor="ada")
    auth.revoke_token(team, info.id, actor="ada")
    tokens["revoked"] = revoked

    app = create_app(Settings(db=team.url), store=team)
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", tokens)
    finally:
        uv.should_exit = True
        thread.join(timeout=20)
        sock.close()


def same(a: Any, b: Any) -> bool:
    """Equal, with floats equal to 1e-12 relative: a frame read back from Parquet on the server
    can sum in another order than the same frame in memory (last-bit differences)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return bool(a == b)


@pytest.fixture
def remote(server: Server) -> Iterator[sg.RemoteClient]:
    with server.connect("ben") as client:
        yield client


@pytest.fixture
def local(team: Any, server: Server) -> sg.Client:
    """The local SDK on the very store the server serves, acting as the same user."""
    return sg.Client(team, user="ben")


# ---------------------------------------------------------------------------- connecting


def test_connect_picks_the_remote_client_and_checks_the_token(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    with server.connect() as client:
        assert client.user == "ben"
    monkeypatch.setenv("SCALEGATE_TOKEN", server.tokens["vic"])
    with sg.connect(server.url + "/") as client:  # token from the environment
        assert isinstance(client, sg.RemoteClient) and client.user == "vic"
    monkeypatch.delenv("SCALEGATE_TOKEN")
    with pytest.raises(sg.AuthenticationError, match=re.escape(f"no API token for {server.url}:")):
        sg.connect(server.url)
    with pytest.raises(sg.AuthenticationError) as unknown:
        sg.connect(server.url, token="sg_not-a-real-token")
    assert type(unknown.value) is sg.errors.UnknownTokenError
    with pytest.raises(sg.errors.TokenExpiredError):
        sg.connect(server.url, token=server.tokens["expired"])
    with pytest.raises(sg.errors.TokenRevokedError):
        sg.connect(server.url, token=server.tokens["revoked"])
    with pytest.raises(sg.PermissionDeniedError, match="belongs to 'ben', not 'vic'"):
        sg.connect(server.url, token=server.tokens["ben"], user="vic")


def test_an_unreachable_server_is_a_clear_error() -> None:
    sock = _free_socket()  # bound but not listening: connections are refused
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with pytest.raises(
            sg.errors.ConnectionFailedError, match=f"cannot reach .* at {re.escape(url)}:"
        ):
            sg.connect(url, token="sg_x")
    finally:
        sock.close()
    with pytest.raises(sg.ValidationError, match="not a server address"):
        sg.RemoteClient("ftp://example.org", token="sg_x")


def test_error_bodies_map_to_the_local_exception_classes() -> None:
    from scalegate.sdk.remote import error_from_response

    err = error_from_response(
        404,
        b'{"error":"not_found","message":"unknown use case \'x\'","what":"use case","value":"x"}',
        url="http://h/api/v1/use-cases/x",
    )
    assert type(err) is sg.NotFoundError and str(err) == "unknown use case 'x'"
    assert err.fields == {"what": "use case", "value": "x"}
    err = error_from_response(422, b'{"error":"invalid_data","message":"b.csv: line 3"}', url="u")
    from scalegate.engine.frames import DataError

    assert type(err) is DataError and isinstance(err, sg.ValidationError)
    # a proxy's HTML page: the status decides, the message names the URL
    err = error_from_response(502, b"<html>Bad Gateway</html>", url="http://h/api/v1/portfolio")
    assert type(err) is sg.errors.ServerError
    assert str(err) == "http://h/api/v1/portfolio answered HTTP 502: <html>Bad Gateway</html>"
    err = error_from_response(403, b"", url="http://h/x")
    assert type(err) is sg.PermissionDeniedError


def test_the_remote_sdk_imports_httpx_only_when_a_client_is_built() -> None:
    code = (
        "import sys, scalegate, scalegate.sdk.remote; "
        "print('httpx' in sys.modules, scalegate.RemoteClient.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "RemoteClient"]


# ---------------------------------------------------------------------------- registry, gates


def test_reads_equal_the_local_sdk(remote: sg.RemoteClient, local: sg.Client) -> None:
    uc = remote.use_case("credit-limit")
    assert uc.info == local.use_case("credit-limit").info
    assert remote.use_cases() == local.use_cases()
    assert remote.use_cases(stage="pilot", owner="ben") == local.use_cases(
        stage="pilot", owner="ben"
    )
    remote_gate, local_gate = (
        uc.gate("production"),
        local.use_case("credit-limit").gate("production"),
    )
    assert remote_gate.passed is local_gate.passed is False
    assert remote_gate.results == local_gate.results  # every verdict, reason and evidence
    assert (remote_gate.gate, remote_gate.stage) == (local_gate.gate, local_gate.stage)
    here, there = local.portfolio().to_dict(), remote.portfolio().to_dict()
    here.pop("generated_at"), there.pop("generated_at")
    assert there == here
    assert remote.verify_audit() == local.verify_audit()
    assert remote.verify_audit().ok


def test_evidence_and_promotion_are_stored_on_the_server(
    remote: sg.RemoteClient, local: sg.Client
) -> None:
    uc = remote.use_case("credit-limit")
    ev = uc.record_evidence("model_card", "pass", summary="v3 card", payload={"url": "x"})
    assert ev == registry.get_evidence(local.store, ev.ref)
    assert ev.created_by == "ben" and ev.payload == {"url": "x"}

    out = uc.promote("production", note="ready?")
    assert not out.promoted and out.request_opened
    assert out.use_case.stage is Stage.PILOT
    assert out.request is not None and out.request.gate is Stage.PRODUCTION
    assert out.request.requested_by == "ben"
    assert {b.id for b in out.decision.blockers} == {
        b.id for b in local.use_case("credit-limit").gate("production").blockers
    }
    again = uc.promote("production")  # the request stays the one already open
    assert not again.request_opened and again.request == out.request


def test_errors_are_the_local_sdk_errors(
    server: Server, remote: sg.RemoteClient, local: sg.Client
) -> None:
    def both(call: Any) -> tuple[BaseException, BaseException]:
        with pytest.raises(sg.ScalegateError) as here:
            call(local)
        with pytest.raises(sg.ScalegateError) as there:
            call(remote)
        return here.value, there.value

    cases = [
        lambda c: c.use_case("no-such-case"),
        lambda c: c.use_case("credit-limit").gate("moon"),
        lambda c: c.use_case("credit-limit").promote("idea"),
        lambda c: c.use_case("credit-limit").record_evidence("note", "great"),
        lambda c: c.use_cases(risk_tier="cosmic"),
        lambda c: c.use_case("credit-limit").batches("nope"),
    ]
    for call in cases:
        here, there = both(call)
        assert type(there) is type(here), (here, there)
        assert str(there) == str(here)
    assert isinstance(both(cases[0])[1], sg.NotFoundError)

    with server.connect("vic") as vic:
        viewer = vic.use_case("credit-limit")
        with pytest.raises(sg.PermissionDeniedError, match="'vic' is a viewer"):
            viewer.record_evidence("note", "info")
        with pytest.raises(sg.PermissionDeniedError, match="'vic' is a viewer"):
            viewer.promote("production")


# ---------------------------------------------------------------------------- data checks


def test_check_runs_here_and_stores_the_run_on_the_server(
    remote: sg.RemoteClient, local: sg.Client, tmp_path: Path
) -> None:
    uc = remote.use_case("credit-limit")
    blockers = {b.id: b.reason for b in uc.gate("production").blockers}
    assert blockers["data-contract"] == "no data check run recorded"

    path = tmp_path / "applications.yaml"
    path.write_text(CONTRACT)
    ages = [17, 30, 45, None, 120, 64]
    run = uc.check(frame(ages), contract=path)
    expected = sum(1 for a in ages if a is not None and not 18 <= a <= 100)
    assert run.result.result("age.between").failing == expected == 2
    assert not run.passed and [r.id for r in run.failed] == ["age.between"]
    assert run.evidence is not None and run.evidence.subject == "applications"
    assert run.evidence.status.value == "fail" and run.evidence.created_by == "ben"
    stored = registry.get_evidence(local.store, run.evidence.ref)
    assert stored == run.evidence
    assert stored.payload["results"] == run.result.to_dict()["results"]
    assert stored.payload["profile"] == run.result.to_dict()["profile"]
    assert stored.payload["profile"]["row_count"] == len(ages)
    # the local SDK on the same data finds the same rule results
    twin = local.use_case("credit-twin").check(frame(ages), contract=path, record=False)
    assert twin.to_dict()["results"] == run.to_dict()["results"]
    assert run.to_dict()["evidence"] == run.evidence.ref
    blockers = {b.id: b.reason for b in uc.gate("production").blockers}
    assert blockers["data-contract"].startswith("latest check of 'applications'")

    good = uc.check(frame([30, 40, 50]), contract=CONTRACT)
    assert good.passed and good.evidence is not None
    assert "data-contract" not in {b.id for b in uc.gate("production").blockers}
    assert remote.verify_audit().ok and audit.verify(local.store).ok


def test_check_without_recording_and_on_the_client(
    remote: sg.RemoteClient, local: sg.Client
) -> None:
    before = len(registry.list_evidence(local.store, "credit-limit"))
    run = remote.use_case("credit-limit").check(frame([30]), CONTRACT, record=False)
    assert run.evidence is None and not run.passed
    assert remote.check(frame([30, 31, 32]), CONTRACT).passed
    assert len(registry.list_evidence(local.store, "credit-limit")) == before


def test_bad_input_stores_nothing(
    server: Server, remote: sg.RemoteClient, local: sg.Client, tmp_path: Path
) -> None:
    uc = remote.use_case("credit-limit")
    with pytest.raises(sg.ValidationError, match="no such contract file"):
        uc.check(frame([30]), contract=tmp_path / "missing.yaml")
    with pytest.raises(sg.DocumentError, match="unknown rule 'betwen'"):
        uc.check(frame([30]), contract=CONTRACT.replace("between", "betwen"))
    with pytest.raises(sg.ValidationError, match="no such file or folder"):
        uc.check(str(tmp_path / "nothing.parquet"), contract=CONTRACT)
    with server.connect("vic") as vic:
        viewer = vic.use_case("credit-limit")
        with pytest.raises(sg.PermissionDeniedError) as there:
            # refused before the data is read, as locally
            viewer.check(str(tmp_path / "nothing.parquet"), contract=CONTRACT)
    with pytest.raises(sg.PermissionDeniedError) as here:
        sg.Client(local.store, user="vic").use_case("credit-limit").check(
            str(tmp_path / "nothing.parquet"), contract=CONTRACT
        )
    assert str(there.value) == str(here.value)
    assert str(here.value) == "storing a check run needs the contributor role; 'vic' is a viewer"
    assert registry.list_evidence(local.store, "credit-limit") == []


# ---------------------------------------------------------------------------- monitoring


def test_monitoring_equals_the_local_sdk(remote: sg.RemoteClient, local: sg.Client) -> None:
    """The same reference, batch and labels logged on twin use cases, one through each SDK."""
    from sklearn.metrics import roc_auc_score

    reference = scored(8_000, seed=1)
    batch = scored(2_000, seed=2, start_id=50_000)
    features = batch.drop("id", "score", "prediction", "label").to_pandas()
    results = {}
    for client, slug in ((remote, "credit-limit"), (local, "credit-twin")):
        uc = client.use_case(slug)
        monitor = uc.create_monitor(
            reference, model_name="limits", model_version="7", task="classification"
        )
        logged = uc.log_batch(
            features,
            batch["prediction"].to_numpy(),
            ids=batch["id"].to_list(),
            scores=batch["score"],
        )
        labelled = uc.log_labels(batch["label"].to_numpy(), ids=batch["id"].to_numpy())
        results[slug] = (monitor, logged, labelled, uc.batches(), uc.monitors())

    monitor, logged, labelled, batches, monitors = results["credit-limit"]
    t_monitor, t_logged, t_labelled, t_batches, t_monitors = results["credit-twin"]
    assert monitor.primary_metric == t_monitor.primary_metric == "roc_auc"
    assert same(dict(monitor.reference_metrics), dict(t_monitor.reference_metrics))
    assert not same({"m": 0.5}, {"m": 0.5 + 1e-9})  # the comparison can fail
    assert monitor.columns == t_monitor.columns and monitor.has_estimator
    assert logged.rows == 2_000 and logged.status == t_logged.status
    assert logged.status.value == "ok"
    assert same(logged.metrics, t_logged.metrics) and logged.metrics.keys() >= {"drift_share"}
    assert same(logged.drift, t_logged.drift) and logged.drifted == t_logged.drifted
    assert logged.estimated is not None and same(logged.estimated, t_logged.estimated)
    assert labelled.matched == t_labelled.matched == 2_000
    [row], [t_row] = batches, t_batches
    assert same(row["metrics"], t_row["metrics"])
    expected = float((batch["label"] == batch["prediction"]).mean())
    assert row["metrics"]["accuracy"] == pytest.approx(expected, abs=1e-12)
    auc = roc_auc_score(batch["label"].to_numpy(), batch["score"].to_numpy())
    assert row["metrics"]["roc_auc"] == pytest.approx(auc, abs=1e-9)
    assert [m.name for m in monitors] == [m.name for m in t_monitors] == ["default"]

    uc = remote.use_case("credit-limit")
    with pytest.raises(sg.ValidationError, match="1,999 values but the features have 2,000"):
        uc.log_batch(features, batch["prediction"].to_numpy()[:-1])
    with pytest.raises(sg.NotFoundError, match="monitor 'shadow'"):
        uc.log_batch(features, batch["prediction"].to_numpy(), monitor="shadow")


def test_batch_time_and_files(remote: sg.RemoteClient, tmp_path: Path) -> None:
    uc = remote.use_case("credit-limit")
    reference = tmp_path / "reference.parquet"
    scored(3_000, seed=1).write_parquet(reference)
    uc.create_monitor(reference, model_name="limits", model_version="8", task="classification")
    csv = tmp_path / "batch.csv"
    scored(500, seed=3, start_id=90_000).drop("label").write_csv(csv)
    at = utcnow() - timedelta(days=2)
    logged = uc.log_batch(str(csv), timestamp=at)
    assert logged.at == at and logged.rows == 500
    with pytest.raises(sg.ValidationError, match="is in the future"):
        uc.log_batch(str(csv), timestamp=utcnow() + timedelta(days=1))
    labels = tmp_path / "labels.parquet"
    pl.read_csv(csv).select("id").with_columns(label=pl.lit(1)).write_parquet(labels)
    assert uc.log_labels(labels).matched == 500


# ---------------------------------------------------------------------------- real server


def test_over_a_scalegate_serve_process(team: Any, db_url: str, tmp_path: Path) -> None:
    registry.add(team, _charter("credit-limit"), actor="ada", stage=Stage.PILOT)
    token, _ = auth.create_token(team, "ben", "ci", actor="ada")
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    exe = Path(sys.executable).parent / "scalegate"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = sg.connect(url, token=token)
                break
            except sg.errors.ConnectionFailedError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "scalegate serve did not start"
                time.sleep(0.2)
        with client:
            uc = client.use_case("credit-limit")
            run = uc.check(frame([30, 40, 50]), contract=CONTRACT)
            assert run.passed and run.evidence is not None
            assert registry.get_evidence(team, run.evidence.ref) == run.evidence
            assert "data-contract" not in {b.id for b in uc.gate("production").blockers}
            with pytest.raises(sg.NotFoundError, match="unknown use case 'nope'"):
                client.use_case("nope")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_monitor_from_a_stored_profile(remote: sg.RemoteClient, local: sg.Client) -> None:
    """A profile dict (a check run's) is sent as JSON; the server builds the same monitor and
    the same drift as the local SDK does from that dict."""
    reference = scored(3_000, seed=1)
    spec = "contract: ref\ndataset:\n  - row_count: {min: 1}\n"
    profile = local.check(reference, spec).result.to_dict()["profile"]
    batch = scored(500, seed=4, drift=True, start_id=70_000).drop("label")
    found = {}
    for client, slug in ((remote, "credit-limit"), (local, "credit-twin")):
        uc = client.use_case(slug)
        monitor = uc.create_monitor(
            profile, name="p", model_name="limits", model_version="9", columns={"nope": "x"}
        )
        found[slug] = (monitor.to_dict(), uc.log_batch(batch, monitor="p"))
    (m, logged), (t_m, t_logged) = found["credit-limit"], found["credit-twin"]
    for key in ("use_case", "created_at", "reference_source"):
        m.pop(key), t_m.pop(key)
    assert m == t_m
    assert logged.drifted == t_logged.drifted and logged.drifted  # the batch drifts
    assert same(logged.drift, t_logged.drift) and logged.status == t_logged.status
