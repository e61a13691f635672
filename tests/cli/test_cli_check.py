"""`scalegate check`: exit codes, messages, and check runs stored as evidence."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

CONTRACT = """\
contract: applications
dataset:
  - row_count: {min: 2}
columns:
  id:
    type: string
    rules:
      - not_null
      - unique
  age:
    type: integer
    rules:
      - between: {min: 18, max: 100}
  country:
    rules:
      - in_set: {values: [DE, FR, NL]}
        severity: warn
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "good.parquet"
    bad = tmp_path / "bad.csv"
    pl.DataFrame({"id": ["a", "b"], "age": [30, 40], "country": ["DE", "XX"]}).write_parquet(good)
    pl.DataFrame({"id": ["a", "a", "c"], "age": [17, 40, 50], "country": ["DE"] * 3}).write_csv(bad)
    contract = tmp_path / "c.yaml"
    contract.write_text(CONTRACT, encoding="utf-8")
    return {"good": good, "bad": bad, "contract": contract, "dir": tmp_path}


def test_passing_data_exits_0_and_warnings_do_not_fail(cli, files) -> None:
    r = cli("check", str(files["good"]), "--contract", str(files["contract"]), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["passed"] is True
    assert out["summary"]["warnings"] == 1
    assert {x["id"]: x["status"] for x in out["results"]}["country.in_set"] == "fail"


def test_the_profile_comes_with_the_run_unless_skipped(cli, files) -> None:
    args = ("check", str(files["bad"]), "-c", str(files["contract"]), "--json")
    profiled = json.loads(cli(*args).out)
    columns = {c["name"]: c for c in profiled["profile"]["columns"]}
    assert profiled["profile"]["row_count"] == 3
    assert (columns["age"]["min"], columns["age"]["max"]) == (17, 50)
    report = files["dir"] / "report.html"
    r = cli(*args, "--no-profile", "--html", str(report))
    assert r.code == 1
    bare = json.loads(r.out)
    assert bare["profile"] is None
    assert bare["results"] == profiled["results"]  # the same rule results either way
    assert "id.unique" in report.read_text(encoding="utf-8")


def test_failing_data_exits_1_with_reasons_and_examples(cli, files) -> None:
    r = cli("check", str(files["bad"]), "-c", str(files["contract"]), "--json")
    assert r.code == 1
    results = {x["id"]: x for x in json.loads(r.out)["results"]}
    assert results["id.unique"]["failing"] == 2
    assert results["id.unique"]["examples"] == ["a", "a"]
    assert results["age.between"]["failing"] == 1
    assert results["age.between"]["examples"] == [17]
    text = cli("check", str(files["bad"]), "-c", str(files["contract"]))
    assert text.code == 1
    assert "FAILS" in text.out and "outside [18, 100]" in text.out


def test_missing_column_is_a_failed_rule_not_a_crash(cli, files, tmp_path: Path) -> None:
    f = tmp_path / "no_age.parquet"
    pl.DataFrame({"id": ["a", "b"], "country": ["DE", "FR"]}).write_parquet(f)
    r = cli("check", str(f), "-c", str(files["contract"]), "--json")
    assert r.code == 1
    results = {x["id"]: x for x in json.loads(r.out)["results"]}
    assert results["age.required"]["status"] == "fail"
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c.replace("- unique\n", "- uniq\n"), "line 9"),
        (lambda c: c.replace("{min: 18, max: 100}", "{min: 18, maxx: 100}"), "line 13"),
        (lambda c: c.replace("columns:", "columns: [", 1), "c.yaml, line"),
    ],
)
def test_bad_contracts_exit_2_naming_the_line(cli, files, mutate, expected: str) -> None:
    files["contract"].write_text(mutate(CONTRACT), encoding="utf-8")
    r = cli("check", str(files["good"]), "-c", str(files["contract"]))
    assert r.code == 2
    assert expected in r.err and r.err.startswith("error: ")
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1


def test_missing_data_and_missing_contract_exit_2(cli, files) -> None:
    r = cli("check", str(files["dir"] / "nope.parquet"), "-c", str(files["contract"]))
    assert r.code == 2 and "no such file or folder" in r.err
    r = cli("check", str(files["good"]), "-c", str(files["dir"] / "nope.yaml"))
    assert r.code == 2 and "nope.yaml: no such file" in r.err


def test_runs_are_stored_as_evidence_and_audited(cli, files, team, db_url: str) -> None:
    from scalegate.services import audit, registry
    from scalegate.services.registry import charter_from_fields

    registry.add(team, charter_from_fields(slug="loans", name="Loans"), actor="ben")
    before = audit.verify(team).events
    r = cli(
        "check",
        str(files["bad"]),
        "-c",
        str(files["contract"]),
        "--use-case",
        "loans",
        "--json",
        db=db_url,
        actor="ben",
    )
    assert r.code == 1
    ref = json.loads(r.out)["evidence"]
    [ev] = registry.list_evidence(team, "loans")
    assert ev.ref == ref and ev.kind == "data_check" and ev.status.value == "fail"
    assert ev.payload["dataset"]["rows"] == 3
    assert ev.payload["summary"]["failed"] == 2
    report = audit.verify(team)
    assert report.ok and report.events == before + 1


def test_storing_needs_an_actor_and_a_known_use_case(cli, files, team, db_url: str) -> None:
    from scalegate.services import audit

    before = audit.verify(team).events
    r = cli(
        "check",
        str(files["good"]),
        "-c",
        str(files["contract"]),
        "--use-case",
        "nope",
        db=db_url,
        actor="ben",
    )
    assert r.code == 2 and "unknown use case 'nope'" in r.err
    r = cli(
        "check", str(files["good"]), "-c", str(files["contract"]), "--use-case", "nope", db=db_url
    )
    assert r.code == 2
    assert audit.verify(team).events == before


def test_a_gate_can_require_a_passing_check(cli, files, team, db_url: str) -> None:
    from scalegate.services import gates, policies, registry
    from scalegate.services.registry import charter_from_fields

    policies.apply(
        team,
        "name: data\ngates:\n  pilot:\n    - id: data\n      kind: evidence\n"
        "      params: {evidence_kind: data_check, max_age_days: 7}\n",
        source="p.yaml",
        actor="ada",
    )
    registry.add(team, charter_from_fields(slug="loans", name="Loans"), actor="ben")
    assert "no data_check evidence" in gates.evaluate(team, "loans", "pilot").blockers[0].reason
    cli(
        "check",
        str(files["bad"]),
        "-c",
        str(files["contract"]),
        "--use-case",
        "loans",
        db=db_url,
        actor="ben",
    )
    assert not gates.evaluate(team, "loans", "pilot").passed
    r = cli(
        "check",
        str(files["good"]),
        "-c",
        str(files["contract"]),
        "--use-case",
        "loans",
        db=db_url,
        actor="ben",
    )
    assert r.code == 0
    # a run with only warnings is stored as `warn`; the policy asks for `pass`
    decision = gates.evaluate(team, "loans", "pilot")
    assert "status warn" in decision.blockers[0].reason
