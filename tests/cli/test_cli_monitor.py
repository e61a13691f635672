"""`scalegate monitor`: create, log, labels, list and show, end to end on files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from svc_support import scored


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {
        "reference": tmp_path / "reference.parquet",
        "clean": tmp_path / "clean.parquet",
        "drifted": tmp_path / "drifted.parquet",
        "labels": tmp_path / "labels.csv",
        "bad": tmp_path / "bad.parquet",
    }
    scored(10_000, seed=1).write_parquet(out["reference"])
    clean = scored(3_000, seed=2, start_id=10_000)
    clean.drop("label").write_parquet(out["clean"])
    clean.select("id", "label").write_csv(out["labels"])
    scored(10_000, seed=3, drift=True, start_id=20_000).drop("label").write_parquet(out["drifted"])
    scored(100, seed=4).drop("label", "prediction", "score").write_parquet(out["bad"])
    return out


@pytest.fixture
def watched(cli, files, team, db_url: str) -> str:
    from scalegate.services import registry
    from scalegate.services.registry import charter_from_fields

    registry.add(team, charter_from_fields(slug="limits", name="Limits"), actor="ben")
    r = cli(
        "monitor",
        "create",
        "limits",
        "--reference",
        str(files["reference"]),
        "--model-name",
        "limits-gbm",
        "--model-version",
        "3",
        "--task",
        "classification",
        db=db_url,
        actor="ben",
    )
    assert r.code == 0, r.err
    assert "watches limits-gbm v3" in r.out
    assert "reference performance: accuracy" in r.out
    return db_url


def test_log_clean_then_drifted_batches(cli, files, watched: str) -> None:
    r = cli("monitor", "log", "limits", str(files["clean"]), "--json", db=watched, actor="ben")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["status"] == "ok" and out["rows"] == 3_000
    assert out["evidence"].startswith("ev-")
    r = cli("monitor", "log", "limits", str(files["drifted"]), db=watched, actor="ben")
    assert "income" in r.out and "drifted:" in r.out
    # --fail-on drift makes any drift an error for CI pipelines
    r = cli(
        "monitor", "log", "limits", str(files["drifted"]), "--fail-on", "drift",
        db=watched, actor="ben",
    )  # fmt: skip
    assert r.code == 1
    r = cli("monitor", "show", "limits", "--json", db=watched)
    shown = json.loads(r.out)
    assert [b["rows"] for b in shown["batches"]] == [10_000, 10_000, 3_000]
    assert shown["model"] == {
        "name": "limits-gbm",
        "version": "3",
        "artifact_uri": "",
        "training_fingerprint": "",
        "code_revision": "",
    }


def test_labels_then_show(cli, files, watched: str) -> None:
    cli("monitor", "log", "limits", str(files["clean"]), db=watched, actor="ben")
    r = cli("monitor", "labels", "limits", str(files["labels"]), "--json", db=watched, actor="ben")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert (out["labels"], out["matched"], out["unknown"]) == (3_000, 3_000, 0)
    labels = pl.read_csv(files["labels"])
    clean = pl.read_parquet(files["clean"]).join(labels, on="id")
    expected = (clean["label"] == clean["prediction"]).mean()
    assert out["batches"][0]["metrics"]["accuracy"] == pytest.approx(expected, abs=1e-12)
    r = cli("monitor", "show", "limits", db=watched)
    assert r.code == 0 and "limits-gbm" in r.out
    shown = json.loads(cli("monitor", "show", "limits", "--json", db=watched).out)
    assert shown["batches"][0]["labelled_rows"] == 3_000
    assert shown["batches"][0]["metrics"]["accuracy"] == pytest.approx(expected, abs=1e-12)
    r = cli("monitor", "list", "limits", "--json", db=watched)
    assert [(m["model"]["name"], m["primary_metric"]) for m in json.loads(r.out)] == [
        ("limits-gbm", "roc_auc")
    ]


def test_bad_input_exits_2_and_stores_nothing(cli, files, watched: str, tmp_path: Path) -> None:
    from cli_support import snapshot

    before = snapshot(watched)
    r = cli("monitor", "log", "limits", str(files["bad"]), db=watched, actor="ben")
    assert r.code == 2 and "no prediction column 'prediction'" in r.err
    r = cli("monitor", "log", "limits", str(tmp_path / "nope.parquet"), db=watched, actor="ben")
    assert r.code == 2 and "nope.parquet" in r.err
    r = cli("monitor", "log", "nope", str(files["clean"]), db=watched, actor="ben")
    assert r.code == 2 and "'nope'" in r.err
    r = cli("monitor", "labels", "limits", str(files["labels"]), db=watched, actor="ben")
    assert r.code == 2 and "has no batch logged with an 'id' column" in r.err
    r = cli(
        "monitor", "log", "limits", str(files["clean"]), "--fail-on", "sometimes",
        db=watched, actor="ben",
    )  # fmt: skip
    assert r.code == 2 and "sometimes" in r.err
    assert snapshot(watched) == before
