"""The Python SDK on a local database: the same operations as the CLI, as objects."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import scalegate as sg
from scalegate.domain.stage import Stage
from scalegate.services import audit, registry

CONTRACT = """\
contract: applications
version: 2
dataset:
  - row_count: {min: 3}
columns:
  id:
    rules: [not_null, unique]
  age:
    rules:
      - between: {min: 18, max: 100}
"""


@pytest.fixture
def client(team):
    charter = registry.charter_from_fields(
        slug="credit-limit",
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
    registry.add(team, charter, actor="ada", stage=Stage.PILOT)
    return sg.Client(team, user="ben")


def frame(ages: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame({"id": [f"a{i}" for i in range(len(ages))], "age": ages})


def test_check_stores_the_run_as_evidence_and_the_gate_sees_it(client, tmp_path: Path) -> None:
    uc = client.use_case("credit-limit")
    blockers = {b.id: b.reason for b in uc.gate("production").blockers}
    assert blockers["data-contract"] == "no data check run recorded"

    path = tmp_path / "applications.yaml"
    path.write_text(CONTRACT)
    ages = [17, 30, 45, None, 120, 64]
    run = uc.check(frame(ages), contract=path)
    # the engine's count, and a plain Python one, agree
    expected = sum(1 for a in ages if a is not None and not 18 <= a <= 100)
    assert run.result.result("age.between").failing == expected == 2
    assert not run.passed and [r.id for r in run.failed] == ["age.between"]
    assert run.evidence is not None and run.evidence.subject == "applications"
    assert run.evidence.status.value == "fail"
    stored = registry.get_evidence(client.store, run.evidence.ref).payload
    assert stored["results"] == run.result.to_dict()["results"]
    assert stored["profile"]["row_count"] == len(ages)
    assert run.to_dict()["evidence"] == run.evidence.ref
    blockers = {b.id: b.reason for b in uc.gate("production").blockers}
    assert blockers["data-contract"].startswith("latest check of 'applications'")

    good = uc.check(frame([30, 40, 50]), contract=CONTRACT)  # YAML text works too
    assert good.passed and good.evidence is not None
    assert "data-contract" not in {b.id for b in uc.gate("production").blockers}
    assert audit.verify(client.store).ok


def test_check_without_recording_and_on_the_client(client) -> None:
    before = len(registry.list_evidence(client.store, "credit-limit"))
    run = client.use_case("credit-limit").check(frame([30]), CONTRACT, record=False)
    assert run.evidence is None and not run.passed  # row_count min 3
    assert client.check(frame([30, 31, 32]), CONTRACT).passed
    assert len(registry.list_evidence(client.store, "credit-limit")) == before


def test_bad_input_stores_nothing(client, tmp_path: Path) -> None:
    uc = client.use_case("credit-limit")
    with pytest.raises(sg.ValidationError, match="no such contract file"):
        uc.check(frame([30]), contract=tmp_path / "missing.yaml")
    with pytest.raises(sg.DocumentError, match="unknown rule 'betwen'"):
        uc.check(frame([30]), contract=CONTRACT.replace("between", "betwen"))
    with pytest.raises(sg.ValidationError, match="no such file or folder"):
        uc.check(str(tmp_path / "nothing.parquet"), contract=CONTRACT)
    viewer = sg.Client(client.store, user="vic").use_case("credit-limit")
    with pytest.raises(sg.PermissionDeniedError):
        viewer.check(frame([30]), contract=CONTRACT)
    assert registry.list_evidence(client.store, "credit-limit") == []


def test_monitoring_from_python(client) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
    from svc_support import scored

    uc = client.use_case("credit-limit")
    reference = scored(8_000, seed=1)
    monitor = uc.create_monitor(
        reference, model_name="limits", model_version="7", task="classification"
    )
    assert monitor.primary_metric == "roc_auc"
    batch = scored(2_000, seed=2, start_id=50_000)
    features = batch.drop("id", "score", "prediction", "label").to_pandas()
    result = uc.log_batch(
        features,
        batch["prediction"].to_numpy(),
        ids=batch["id"].to_list(),
        scores=batch["score"],
    )
    assert result.rows == 2_000 and result.status.value == "ok"
    labelled = uc.log_labels(batch["label"].to_numpy(), ids=batch["id"].to_numpy())
    assert labelled.matched == 2_000
    [row] = uc.batches()
    expected = float((batch["label"] == batch["prediction"]).mean())
    assert row["metrics"]["accuracy"] == pytest.approx(expected, abs=1e-12)
    assert [m.name for m in uc.monitors()] == ["default"]
    with pytest.raises(sg.ValidationError, match="1,999 values but the features have 2,000"):
        uc.log_batch(features, batch["prediction"].to_numpy()[:-1])
