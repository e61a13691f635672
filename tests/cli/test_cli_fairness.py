"""`scalegate fairness`: the per-group table, JSON, stored evidence and exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from cli_support import FULL_FLAGS, snapshot


@pytest.fixture
def triage(cli, team, db_url: str) -> str:
    r = cli("usecase", "add", "claims-triage", *FULL_FLAGS, db=db_url, actor="ben")
    assert r.code == 0, r.err
    return db_url


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    n = 3000
    sex = rng.choice(["f", "m"], n)
    age = rng.choice(["young", "old"], n)
    outcome = np.where(rng.random(n) < 0.4, "approved", "declined")
    outcome[(sex == "f") & (age == "old")] = "declined"  # a group without positives
    score = rng.random(n)
    path = tmp_path / "scored.csv"
    pl.DataFrame({"sex": sex, "age": age, "outcome": outcome, "score": score}).write_csv(path)
    return path


ARGS = ("--sensitive", "sex,age", "--label", "outcome", "--score", "score")


def test_prints_groups_and_disparities(cli, triage: str, data: Path) -> None:
    r = cli("fairness", "claims-triage", str(data), *ARGS, "--positive", "approved", db=triage)
    assert r.code == 0, r.err
    assert "4 groups of sex, age" in r.out and "score 'score' >= 0.5" in r.out
    assert "sex=f, age=old" in r.out and "all rows" in r.out
    assert "sex=f, age=old: true positive rate undefined, no row has a positive label" in r.out
    assert "disparities between intersections" in r.out
    assert "disparities between groups of sex" in r.out
    assert "equalized odds difference" in r.out


def test_json_matches_the_engine_and_record_stores_it(cli, triage: str, data: Path) -> None:
    from scalegate.engine.fairness import fairness_metrics

    args = ("fairness", "claims-triage", str(data), *ARGS, "--positive", "approved")
    r = cli(*args, "--threshold", "0.7", "--json", db=triage)
    assert r.code == 0, r.err
    out = json.loads(r.out)
    expected = fairness_metrics(
        str(data),
        sensitive=["sex", "age"],
        label="outcome",
        score="score",
        threshold=0.7,
        positive="approved",
    ).to_dict()
    assert out == expected
    assert "evidence" not in out
    before = snapshot(triage)
    r = cli(*args, "--record", "--json", db=triage, actor="ben")
    assert r.code == 0, r.err
    ref = json.loads(r.out)["evidence"]
    assert snapshot(triage) != before
    shown = cli("evidence", "list", "claims-triage", "--json", db=triage)
    kinds = {f"ev-{e['id']}": (e["kind"], e["subject"]) for e in json.loads(shown.out)}
    assert kinds[ref] == ("fairness_report", "sex,age")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sensitive", "race", "--label", "outcome", "--score", "score"), "no column 'race'"),
        (("--sensitive", "sex", "--label", "nope", "--score", "score"), "no column 'nope'"),
        (("--sensitive", "sex", "--label", "outcome", "--score", "score"), "positive class"),
        (("--sensitive", "sex", "--label", "outcome"), "prediction column or a score column"),
        (("--sensitive", "sex,", "--label", "outcome", "--score", "score"), "--sensitive 'sex,'"),
        (
            ("--sensitive", "sex", "--label", "age", "--score", "score", "--positive", "x"),
            "positive label 'x' is not one of the classes",
        ),
        (("--sensitive", "sex", "--label", "score", "--prediction", "age"), "holds 3000 values"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    cli, triage: str, data: Path, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(triage)
    r = cli("fairness", "claims-triage", str(data), *args, "--record", db=triage, actor="ben")
    assert r.code == 2, r.out
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert snapshot(triage) == before


def test_unknown_use_case_and_viewer_record(cli, triage: str, data: Path) -> None:
    r = cli("fairness", "nope", str(data), *ARGS, "--positive", "approved", db=triage)
    assert r.code == 2 and "nope" in r.err
    r = cli(
        "fairness",
        "claims-triage",
        str(data),
        *ARGS,
        "--positive",
        "approved",
        "--record",
        db=triage,
        actor="vic",
    )
    assert r.code == 2 and "contributor" in r.err
