"""``scalegate objective`` and ``scalegate kpi``: happy paths, JSON, and bad input (exit 2,
one line, nothing written), on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import FULL_FLAGS, snapshot

MONEY_KPI = "claims cost:EUR/month:decrease:1000:600"


@pytest.fixture
def db(team, db_url: str, cli) -> str:
    flags = [*FULL_FLAGS, "--kpi", MONEY_KPI]
    assert cli("usecase", "add", "claims-triage", *flags, db=db_url, actor="ben").code == 0
    assert cli("usecase", "add", "churn", "--name", "Churn", db=db_url, actor="ben").code == 0
    return db_url


def test_objectives_from_the_cli(cli, db: str) -> None:
    r = cli(
        "objective",
        "add",
        "faster-claims",
        "--name",
        "Faster claims",
        "--sponsor",
        "Eve Chen, COO",
        "--outcome",
        "48 h settlement",
        db=db,
        actor="ben",
    )
    assert r.code == 0, r.err
    assert r.out.strip() == "added objective faster-claims: Faster claims"
    r = cli("objective", "link", "faster-claims", "claims-triage", "churn", db=db, actor="ben")
    assert r.code == 0 and "linked claims-triage to faster-claims" in r.out
    r = cli("objective", "list", db=db)
    assert r.code == 0 and "faster-claims" in r.out and "nothing in production" in r.out
    shown = json.loads(cli("objective", "show", "faster-claims", "--json", db=db).out)
    assert shown["sponsor"] == "Eve Chen, COO"
    assert shown["use_cases"] == [
        {"slug": "churn", "stage": "idea"},
        {"slug": "claims-triage", "stage": "idea"},
    ]
    assert shown["nothing_in_production"] is True
    r = cli("objective", "show", "faster-claims", db=db)
    assert "sponsor: Eve Chen, COO" in r.out and "claims-triage" in r.out
    cli("objective", "add", "growth", "--name", "Growth", db=db, actor="ben")
    r = cli("objective", "link", "growth", "churn", db=db, actor="ben")
    assert "linked churn to growth (moved from faster-claims)" in r.out
    r = cli("objective", "unlink", "churn", db=db, actor="ben")
    assert r.out.strip() == "unlinked churn from growth"
    r = cli("objective", "edit", "growth", "--sponsor", "CFO", db=db, actor="ben")
    assert r.code == 0
    r = cli("objective", "delete", "growth", db=db, actor="ada")
    assert r.code == 0
    listed = json.loads(cli("objective", "list", "--json", db=db).out)
    assert [o["slug"] for o in listed] == ["faster-claims"]


def test_kpis_from_the_cli(cli, db: str, tmp_path: Path) -> None:
    r = cli(
        "kpi",
        "record",
        "claims-triage",
        "median time to settle",
        "72",
        "--at",
        "2025-01-31",
        "--unit",
        "hours",
        db=db,
        actor="ben",
    )
    assert r.code == 0, r.err
    assert "median time to settle = 72 hours" in r.out
    csv = tmp_path / "kpis.csv"
    csv.write_text("kpi,value,at\nclaims cost,900,2025-01-31\nclaims cost,800,2025-02-28\n")
    r = cli("kpi", "import", "claims-triage", str(csv), db=db, actor="ben")
    assert r.code == 0 and r.out.strip() == "recorded 2 measurement(s) for claims-triage"
    r = cli("kpi", "show", "claims-triage", db=db)
    assert r.code == 0
    assert "realised value: 200.00 EUR/month" in r.out
    assert "50%" in r.out  # (96 - 72) / (96 - 48) and (1000 - 800) / (1000 - 600)
    shown = json.loads(cli("kpi", "show", "claims-triage", "--json", db=db).out)
    by = {k["name"]: k for k in shown["kpis"]}
    assert by["claims cost"]["progress"] == pytest.approx(0.5)
    assert [p["value"] for p in by["claims cost"]["series"]] == [900.0, 800.0]
    assert shown["realised_value"] == {"EUR/month": 200.0}


def test_portfolio_shows_strategy_and_value(cli, db: str) -> None:
    cli("objective", "add", "faster-claims", "--name", "Faster", db=db, actor="ben")
    r = cli("portfolio", db=db)
    assert "1 with nothing in production: faster-claims" in r.out
    data = json.loads(cli("portfolio", "--json", db=db).out)
    assert data["value"]["nothing_in_production"] == ["faster-claims"]
    assert data["value"]["realised_value"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["kpi", "record", "claims-triage", "median time to setle", "1"],
            "unknown KPI 'median time to setle'; the charter's KPIs are 'median time to settle', "
            "'claims cost'",
        ),
        (
            ["kpi", "record", "claims-triage", "claims cost", "lots"],
            "KPI 'claims cost': value 'lots' is not a number",
        ),
        (
            ["kpi", "record", "claims-triage", "claims cost", "nan"],
            "KPI 'claims cost': value 'nan' is not a finite number",
        ),
        (
            ["kpi", "record", "claims-triage", "claims cost", "1", "--unit", "USD/month"],
            "KPI 'claims cost' is measured in 'EUR/month', not 'USD/month'; give the value in "
            "'EUR/month'",
        ),
        (
            ["kpi", "record", "claims-triage", "claims cost", "1", "--at", "2999-01-01"],
            "evidence cannot be dated in the future",
        ),
        (
            ["kpi", "record", "claims-triage", "claims cost", "1", "--at", "yesterday"],
            "--at: cannot read 'yesterday' as a date; use YYYY-MM-DD or a duration like 90d",
        ),
        (["kpi", "record", "nope", "claims cost", "1"], "unknown use case 'nope'"),
        (["kpi", "import", "claims-triage", "missing.csv"], "missing.csv: no such file"),
        (["kpi", "show", "nope"], "unknown use case 'nope'"),
        (["objective", "add", "Bad Slug", "--name", "x"], "slug"),
        (["objective", "show", "nope"], "unknown objective 'nope'"),
        (["objective", "link", "nope", "churn"], "unknown objective 'nope'"),
        (["objective", "unlink", "churn"], "use case 'churn' is not linked to an objective"),
        (["objective", "delete", "nope"], "needs the admin role"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    cli, db: str, args: list[str], message: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(db)
    r = cli(*args, db=db, actor="ben")
    assert r.code == 2, r.out
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert snapshot(db) == before


def test_csv_with_a_bad_row_stores_nothing(cli, db: str, tmp_path: Path) -> None:
    csv = tmp_path / "kpis.csv"
    csv.write_text("kpi,value,at,unit\nclaims cost,900,2025-01-31,\nclaims cost,9OO,2025-02-28,\n")
    before = snapshot(db)
    r = cli("kpi", "import", "claims-triage", str(csv), db=db, actor="ben")
    assert r.code == 2
    assert f"{csv}, line 3, column 'value': KPI 'claims cost': value '9OO' is not a number" in r.err
    assert snapshot(db) == before
