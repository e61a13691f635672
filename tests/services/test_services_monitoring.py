"""Monitors, batches and labels through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score
from svc_support import charter, scored, snapshot

from scalegate.domain.monitoring import DriftStatus
from scalegate.engine.synthetic import DRIFTED_COLUMNS
from scalegate.errors import ConflictError, NotFoundError, ValidationError
from scalegate.services import audit, gates, monitoring, registry
from scalegate.store import monitor_repository as mrepo

NOW = datetime.now(UTC).replace(microsecond=0)


def _use_case(store: Any, slug: str = "credit-limit") -> str:
    registry.add(store, charter(slug), actor="ben")
    return slug


@pytest.fixture
def watched(team: Any) -> tuple[Any, str, pl.DataFrame]:
    """A use case with a classification monitor on a 20k-row reference."""
    slug = _use_case(team)
    reference = scored(20_000, seed=1)
    monitoring.create(
        team,
        slug,
        reference,
        actor="ben",
        model_name="limits-gbm",
        model_version="3",
        task="classification",
    )
    return team, slug, reference


def test_create_resolves_columns_and_reference_performance(watched: Any) -> None:
    store, slug, reference = watched
    m = monitoring.get(store, slug)
    assert dict(m.columns) == {
        "id": "id",
        "timestamp": "timestamp",  # not in the reference: batches may bring it
        "prediction": "prediction",
        "score": "score",
        "label": "label",
    }
    assert m.primary_metric == "roc_auc" and m.has_estimator
    y, p, s = (reference[c].to_numpy() for c in ("label", "prediction", "score"))
    assert m.reference_metrics["accuracy"] == pytest.approx(accuracy_score(y, p), abs=1e-12)
    assert m.reference_metrics["roc_auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-9)
    with pytest.raises(ConflictError, match="already has a monitor 'default'"):
        monitoring.create(store, slug, reference, actor="ben", model_name="x", model_version="1")


def test_a_clean_batch_is_ok_and_kept_for_labels(watched: Any) -> None:
    store, slug, _ = watched
    batch = scored(5_000, seed=2, start_id=10_000).drop("label")
    result = monitoring.log_batch(store, slug, batch, actor="ben", at=NOW - timedelta(days=1))
    assert result.status is DriftStatus.OK
    assert result.drifted == []
    assert result.metrics["rows"] == 5_000
    assert result.metrics["drift_share"] == 0
    assert 0.5 < result.metrics["estimated_accuracy"] < 1
    ev = registry.get_evidence(store, result.evidence)
    assert (ev.kind, ev.subject, ev.status.value) == ("drift_report", "default", "pass")
    assert ev.payload["batch"] == result.batch_id
    with store.read() as conn:
        kept = mrepo.batch_rows_of(conn, monitoring.get(store, slug).id)
    assert [batch_id for batch_id, _ in kept] == [result.batch_id]
    assert audit.verify(store).ok


def test_the_known_drift_is_flagged(watched: Any) -> None:
    store, slug, _ = watched
    batch = scored(20_000, seed=3, drift=True, start_id=50_000).drop("label")
    result = monitoring.log_batch(store, slug, batch, actor="ben")
    assert set(DRIFTED_COLUMNS) <= set(result.drifted)
    assert result.status in (DriftStatus.DRIFT, DriftStatus.CRITICAL)
    assert result.metrics["drifted_features"] >= len(DRIFTED_COLUMNS)
    ev = registry.get_evidence(store, result.evidence)
    assert ev.status.value in ("warn", "fail")
    assert "income" in ev.summary


def test_labels_join_by_id_and_give_realised_performance(watched: Any) -> None:
    store, slug, _ = watched
    batch = scored(4_000, seed=4, start_id=100_000)
    first = monitoring.log_batch(store, slug, batch.drop("label"), actor="ben")
    labels = batch.select("id", "label").head(3_000)
    unknown = pl.DataFrame({"id": [-1, -2], "label": [1, 0]})
    result = monitoring.log_labels(store, slug, pl.concat([labels, unknown]), actor="ben")
    assert (result.labels, result.matched, result.unknown) == (3_002, 3_000, 2)
    assert sorted(result.unknown_examples) == [-2, -1]
    [entry] = result.batches
    assert entry["batch"] == first.batch_id and entry["labelled_rows"] == 3_000
    part = batch.head(3_000)
    y, p, s = (part[c].to_numpy() for c in ("label", "prediction", "score"))
    assert entry["metrics"]["accuracy"] == pytest.approx(accuracy_score(y, p), abs=1e-12)
    assert entry["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-9)
    # the rest arrive later: the batch's metrics cover all 4,000 rows now
    monitoring.log_labels(store, slug, batch.select("id", "label").tail(1_000), actor="ben")
    [row] = monitoring.batches(store, slug)
    assert row["labelled_rows"] == 4_000
    y, p = batch["label"].to_numpy(), batch["prediction"].to_numpy()
    assert row["metrics"]["accuracy"] == pytest.approx(accuracy_score(y, p), abs=1e-12)
    assert "estimated_accuracy" in row["metrics"]
    kinds = [e.kind for e in registry.list_evidence(store, slug)]
    assert kinds.count("performance_report") == 2


def test_labels_that_match_nothing_store_nothing(watched: Any) -> None:
    store, slug, _ = watched
    monitoring.log_batch(store, slug, scored(500, seed=5).drop("label"), actor="ben")
    before = snapshot(store)
    with pytest.raises(ValidationError, match="none of the 2 labelled ids matches"):
        monitoring.log_labels(
            store, slug, pl.DataFrame({"id": [-5, -6], "label": [1, 0]}), actor="ben"
        )
    with pytest.raises(ValidationError, match="no column 'label'"):
        monitoring.log_labels(store, slug, pl.DataFrame({"id": [1]}), actor="ben")
    with pytest.raises(ValidationError, match=r"must be numbers .* not 'yes'"):
        monitoring.log_labels(store, slug, pl.DataFrame({"id": [1], "label": ["yes"]}), actor="ben")
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop("prediction"), "no prediction column 'prediction'"),
        (lambda f: f.drop("income"), "income"),
        (lambda f: f.with_columns(pl.lit(7, pl.Int64).alias("id")), "ids must be unique"),
    ],
    ids=["no predictions", "missing feature", "duplicate ids"],
)
def test_bad_batches_store_nothing(watched: Any, change: Any, message: str) -> None:
    store, slug, _ = watched
    before = snapshot(store)
    batch = change(scored(300, seed=6).drop("label"))
    with pytest.raises(ValidationError, match=message):
        monitoring.log_batch(store, slug, batch, actor="ben")
    assert snapshot(store) == before


def test_unknown_monitor_and_viewer(watched: Any) -> None:
    from scalegate.errors import PermissionDeniedError

    store, slug, _ = watched
    batch = scored(100, seed=7).drop("label")
    with pytest.raises(NotFoundError, match="no monitor 'shadow'; its monitors are default"):
        monitoring.log_batch(store, slug, batch, actor="ben", monitor="shadow")
    with pytest.raises(PermissionDeniedError):
        monitoring.log_batch(store, slug, batch, actor="vic")


def test_one_row_batch_and_unseen_category(watched: Any) -> None:
    store, slug, _ = watched
    one = scored(1, seed=8, start_id=900_000).drop("label")
    result = monitoring.log_batch(store, slug, one, actor="ben")
    assert result.rows == 1
    assert all(v == v for v in result.metrics.values())  # no NaN anywhere
    odd = scored(2_000, seed=9, start_id=910_000).drop("label")
    odd = odd.with_columns(pl.lit("teleport").alias("channel"))
    result = monitoring.log_batch(store, slug, odd, actor="ben")
    assert "channel" in result.drifted


def test_gates_read_the_monitor(watched: Any) -> None:
    store, slug, _ = watched
    decision = gates.evaluate(store, slug, "scaled")
    reasons = {r.id: r.reason for r in decision.results}
    assert reasons["monitoring-active"] == "monitor 'default' has logged no batch"
    batch = scored(3_000, seed=10, start_id=200_000)
    monitoring.log_batch(store, slug, batch.drop("label"), actor="ben", at=NOW - timedelta(days=3))
    monitoring.log_labels(store, slug, batch.select("id", "label"), actor="ben")
    decision = gates.evaluate(store, slug, "scaled")
    verdicts = {r.id: r.verdict.value for r in decision.results}
    assert verdicts["monitoring-active"] == "pass"
    assert verdicts["no-critical-drift"] == "pass"
    assert verdicts["performance"] == "pass"
    evidence = {r.id: r.evidence for r in decision.results}
    assert evidence["performance"][0].startswith("ev-")
