"""Bad input on the CLI: a clear one-line message, exit code 2, no traceback, nothing written.

Exit code 1 is reserved for "gate failed": a promotion that lacks approvals exits 1.
Sub-cases are grouped per category so each category builds its database once per backend;
every sub-case still checks, on its own, that not a single row changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import event_count, snapshot

from scalegate.domain.stage import Stage
from scalegate.services import gates, policies, registry

WAIVE = [
    "waive",
    "claims-triage",
    "--gate",
    "production",
    "--criterion",
    "risk-approval",
    "--justification",
    "risk review booked, sign-off by mail",
]

EVIDENCE_K = ["evidence", "add", "claims-triage", "--kind", "k", "--status", "pass"]

# (args, actor, expected text in the one-line error). "{tmp}" is the test's file folder.
Case = tuple[list[str], str | None, str]

CASES: dict[str, list[Case]] = {
    "malformed-yaml": [
        (
            ["policy", "apply", "{tmp}/broken_policy.yaml"],
            "ada",
            "broken_policy.yaml, line 5, column",
        ),
        (
            ["policy", "apply", "{tmp}/unknown_kind.yaml"],
            "ada",
            "unknown_kind.yaml, line 5: field 'gates.pilot[0].kind': criterion 'a' uses "
            "unknown kind 'nope'",
        ),
        (
            ["policy", "apply", "{tmp}/empty.yaml"],
            "ada",
            "empty.yaml: the document is empty",
        ),
        (
            ["usecase", "add", "--file", "{tmp}/broken_uc.yaml"],
            "ben",
            "broken_uc.yaml, line 3, column",
        ),
        (
            ["usecase", "add", "--file", "{tmp}/tier_uc.yaml"],
            "ben",
            "tier_uc.yaml, line 3: field 'risk_tier'",
        ),
        (
            ["usecase", "add", "--file", "{tmp}/kpi_uc.yaml"],
            "ben",
            "kpi_uc.yaml, line 6: field 'kpis[0].baseline'",
        ),
        (
            ["usecase", "add", "--file", "{tmp}/extra_uc.yaml"],
            "ben",
            "extra_uc.yaml, line 3: field 'colour': unknown field",
        ),
        (
            ["usecase", "add", "--file", "{tmp}/list_uc.yaml"],
            "ben",
            "list_uc.yaml, line 1: expected a mapping",
        ),
        (
            ["usecase", "edit", "claims-triage", "--file", "{tmp}/broken_uc.yaml"],
            "ben",
            "broken_uc.yaml, line 3, column",
        ),
    ],
    "unknown-use-case": [
        (["gate", "nope"], None, "unknown use case 'nope'"),
        (["gate", "nope", "--json"], None, "unknown use case 'nope'"),
        (["usecase", "show", "nope", "--json"], None, "unknown use case 'nope'"),
        (["usecase", "edit", "nope", "--name", "N"], "ben", "unknown use case 'nope'"),
        (["promote", "nope", "--to", "pilot"], "ben", "unknown use case 'nope'"),
        (
            ["approve", "nope", "--gate", "pilot", "--domain", "business"],
            "omar",
            "unknown use case 'nope'",
        ),
        (["retire", "nope", "--lessons", "long enough lessons"], "ben", "unknown use case"),
        (
            ["evidence", "add", "nope", "--kind", "pen_test", "--status", "pass"],
            "ben",
            "unknown use case 'nope'",
        ),
        (["evidence", "list", "nope", "--json"], None, "unknown use case 'nope'"),
    ],
    "unknown-user": [
        (["usecase", "add", "new-one"], "ghost", "unknown user 'ghost'"),
        (["promote", "claims-triage", "--to", "production"], "ghost", "unknown user 'ghost'"),
        (
            ["usecase", "add", "new-one", "--business-owner", "ghost"],
            "ben",
            "field 'business_owner': unknown user 'ghost'",
        ),
        (
            ["usecase", "edit", "claims-triage", "--technical-owner", "ghost"],
            "ben",
            "field 'technical_owner': unknown user 'ghost'",
        ),
        (["user", "edit", "ghost", "--role", "viewer"], "ada", "unknown user 'ghost'"),
    ],
    "unknown-stage-domain-role-tier": [
        (["usecase", "list", "--stage", "nowhere"], None, "unknown stage 'nowhere'"),
        (["gate", "claims-triage", "--to", "nowhere"], None, "'nowhere'"),
        (["gate", "claims-triage", "--to", "idea"], None, "unknown gate 'idea'"),
        (["usecase", "add", "--file", "{tmp}/stage_uc.yaml"], "ada", "field 'stage'"),
        (
            ["approve", "claims-triage", "--gate", "production", "--domain", "legal"],
            "omar",
            "unknown approval domain 'legal'",
        ),
        (
            ["user", "add", "zed", "--role", "approver", "--domains", "Bad Domain"],
            "ada",
            "user field 'domains'",
        ),
        (["user", "add", "zed", "--role", "superuser"], "ada", "unknown role 'superuser'"),
        (["user", "edit", "vic", "--role", "superuser"], "ada", "unknown role 'superuser'"),
        (
            ["usecase", "add", "new-one", "--risk-tier", "extreme"],
            "ben",
            "field 'risk_tier'",
        ),
        (
            ["usecase", "edit", "claims-triage", "--risk-tier", "extreme"],
            "ben",
            "field 'risk_tier'",
        ),
        (["usecase", "list", "--risk-tier", "extreme"], None, "unknown risk tier 'extreme'"),
        (["portfolio", "--risk-tier", "extreme"], None, "unknown risk tier 'extreme'"),
        (
            ["evidence", "add", "claims-triage", "--kind", "pen_test", "--status", "great"],
            "ben",
            "evidence field 'status'",
        ),
        (
            ["evidence", "add", "claims-triage", "--kind", "Pen Test", "--status", "pass"],
            "ben",
            "evidence field 'kind'",
        ),
    ],
    "invalid-transition": [
        (
            ["promote", "claims-triage", "--to", "scaled"],
            "ben",
            "cannot promote from 'pilot' to 'scaled': the next stage from 'pilot' is 'production'",
        ),
        (["promote", "claims-triage", "--to", "pilot"], "ben", "from 'pilot' to 'pilot'"),
        (["promote", "an-idea", "--to", "production"], "ben", "from 'idea' to 'production'"),
        (["promote", "old-one", "--to", "pilot"], "ben", "retired"),
        (["promote", "claims-triage", "--to", "retired"], "ben", "unknown gate 'retired'"),
        (
            ["approve", "claims-triage", "--gate", "scaled", "--domain", "risk"],
            "rita",
            "its next gate is 'production', not 'scaled'",
        ),
        (
            ["approve", "old-one", "--gate", "pilot", "--domain", "business"],
            "omar",
            "'old-one' is retired",
        ),
        (["retire", "old-one", "--lessons", "long enough lessons"], "ben", "already retired"),
        (["usecase", "edit", "old-one", "--name", "Back"], "ben", "retired"),
        (["gate", "old-one"], None, "retired; it has no next gate"),
    ],
    "duplicates": [
        (["usecase", "add", "claims-triage", "--name", "Dup"], "ben", "'claims-triage' already"),
        (["user", "add", "ben", "--role", "viewer"], "ada", "user 'ben' already exists"),
        (
            ["approve", "claims-triage", "--gate", "production", "--domain", "business"],
            "omar",
            "omar already approved 'claims-triage' for production",
        ),
        (["policy", "apply", "{tmp}/default.yaml"], "ada", "identical to policy version 1"),
    ],
    "missing-actor": [
        (["usecase", "add", "new-one"], None, "--as USER or set SCALEGATE_USER"),
        (["usecase", "edit", "claims-triage", "--name", "N"], None, "--as USER"),
        (["promote", "claims-triage", "--to", "production"], None, "--as USER"),
        (
            ["approve", "claims-triage", "--gate", "production", "--domain", "risk"],
            None,
            "--as USER",
        ),
        ([*WAIVE, "--expires", "30d"], None, "--as USER"),
        (["retire", "claims-triage", "--lessons", "long enough lessons"], None, "--as USER"),
        (["user", "add", "zed"], None, "--as USER"),
        (["policy", "apply", "{tmp}/ok_policy.yaml"], None, "--as USER"),
        (
            ["evidence", "add", "claims-triage", "--kind", "pen_test", "--status", "pass"],
            None,
            "--as USER",
        ),
    ],
    "permissions": [
        (["usecase", "edit", "claims-triage", "--name", "N"], "vic", "'vic' is a viewer"),
        (["promote", "claims-triage", "--to", "production"], "vic", "'vic' is a viewer"),
        (
            ["approve", "claims-triage", "--gate", "production", "--domain", "risk"],
            "carla",
            "approving needs the approver role; 'carla' is a contributor",
        ),
        (
            ["approve", "claims-triage", "--gate", "production", "--domain", "risk"],
            "omar",
            "omar may not approve for the risk domain",
        ),
        (
            ["approve", "claims-triage", "--gate", "production", "--domain", "business"],
            "eve",
            "eve may not approve for the business domain",
        ),
        (
            ["approve", "owned", "--gate", "pilot", "--domain", "business"],
            "omar",
            "separation of duties: omar owns 'owned'",
        ),
        ([*WAIVE, "--expires", "30d"], "ben", "granting a waiver needs the approver role"),
        (["policy", "apply", "{tmp}/ok_policy.yaml"], "rita", "needs the admin role"),
        (["user", "add", "zed"], "ben", "adding a user needs the admin role"),
        (["user", "edit", "ada", "--role", "viewer"], "ada", "'ada' is the last active admin"),
        (["usecase", "add", "--file", "{tmp}/pilot_uc.yaml"], "ben", "needs the admin role"),
    ],
    "files": [
        (["usecase", "add", "--file", "{tmp}/missing.yaml"], "ben", "missing.yaml: no such file"),
        (["policy", "apply", "{tmp}/missing.yaml"], "ada", "missing.yaml: no such file"),
        (["usecase", "add", "--file", "{tmp}/latin1.yaml"], "ben", "latin1.yaml: not UTF-8"),
        (["policy", "apply", "{tmp}/latin1.yaml"], "ada", "latin1.yaml: not UTF-8"),
        (["usecase", "add", "--file", "{tmp}"], "ben", "is a directory"),
        (
            [*EVIDENCE_K, "--payload", "{tmp}/bad.json"],
            "ben",
            "bad.json, line 1, column 2: not valid JSON",
        ),
        (
            [*EVIDENCE_K, "--payload", "{tmp}/missing.json"],
            "ben",
            "missing.json: no such file",
        ),
    ],
    "waivers-and-dates": [
        ([*WAIVE, "--expires", "2027-13-45"], "rita", "--expires: cannot read '2027-13-45'"),
        ([*WAIVE, "--expires", "soon"], "rita", "--expires: cannot read 'soon' as a date"),
        ([*WAIVE, "--expires", "2001-01-01"], "rita", "is not in the future"),
        ([*WAIVE, "--expires", "900d"], "rita", "at most 365 days"),
        (
            [*WAIVE[:5], "nope", *WAIVE[6:], "--expires", "30d"],
            "rita",
            "unknown criterion 'nope' for gate production; its criteria are "
            "business-approval, charter, data-contract, fairness, integration, kpis, model-card, "
            "owners, risk, risk-approval, time-box",
        ),
        (
            [*WAIVE[:7], "too short", "--expires", "30d"],
            "rita",
            "justification of at least 10 characters",
        ),
        (
            [
                "evidence",
                "add",
                "claims-triage",
                "--kind",
                "pen_test",
                "--status",
                "pass",
                "--at",
                "last tuesday",
            ],
            "ben",
            "--at: cannot read 'last tuesday'",
        ),
        (["retire", "claims-triage", "--lessons", "meh"], "ben", "lessons learned"),
    ],
    "kpi-and-integration-specs": [
        (
            ["usecase", "add", "new-one", "--kpi", "a:b:c"],
            "ben",
            "--kpi 'a:b:c': expected NAME:UNIT:DIRECTION:BASELINE:TARGET (5 parts, got 3)",
        ),
        (
            ["usecase", "add", "new-one", "--kpi", "cost:EUR:decrease:ten:8"],
            "ben",
            "--kpi 'cost:EUR:decrease:ten:8': baseline 'ten' is not a number",
        ),
        (
            ["usecase", "add", "new-one", "--kpi", "cost:EUR:decrease:10:x"],
            "ben",
            "target 'x' is not a number",
        ),
        (
            ["usecase", "add", "new-one", "--kpi", "cost:EUR:sideways:10:8"],
            "ben",
            "field 'kpis[0].direction'",
        ),
        (
            ["usecase", "edit", "claims-triage", "--kpi", "a:b"],
            "ben",
            "(5 parts, got 2)",
        ),
        (
            ["usecase", "add", "new-one", "--integration", "Salesforce"],
            "ben",
            "--integration 'Salesforce': expected SYSTEM:MODE",
        ),
        (
            ["usecase", "add", "new-one", "--integration", "SAP:fax"],
            "ben",
            "field 'integration_targets[0].mode'",
        ),
        (
            ["usecase", "add", "New One"],
            "ben",
            "field 'slug'",
        ),
        (
            ["usecase", "add", "new-one", "--kpi", "k:u:increase:1:2", "--kpi", "k:u:increase:1:2"],
            "ben",
            "KPI 'k' is listed twice",
        ),
    ],
}

FILES = {
    "broken_policy.yaml": "name: x\ngates:\n  pilot:\n    - id: a\n      kind: evidence: x\n",
    "unknown_kind.yaml": "name: x\ngates:\n  pilot:\n    - id: a\n      kind: nope\n",
    "empty.yaml": "# nothing here\n",
    "ok_policy.yaml": "name: ok\ngates:\n  pilot:\n    - id: owners\n      kind: owners_assigned\n",
    "broken_uc.yaml": "slug: new-one\nname: New\n  purpose: bad: indent\n",
    "tier_uc.yaml": "slug: new-one\nname: New\nrisk_tier: extreme\n",
    "kpi_uc.yaml": "slug: new-one\nname: New\nkpis:\n  - name: cost\n    unit: EUR\n"
    "    baseline: lots\n",
    "extra_uc.yaml": "slug: new-one\nname: New\ncolour: red\n",
    "list_uc.yaml": "- slug: new-one\n- name: New\n",
    "stage_uc.yaml": "slug: new-one\nname: New\nstage: nowhere\n",
    "pilot_uc.yaml": "slug: new-one\nname: New\nstage: pilot\n",
    "bad.json": "{not json",
}


@pytest.fixture
def seeded(team, db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """claims-triage in pilot, an idea, a retired use case, one owned by omar; input files."""
    charter = registry.charter_from_fields(
        slug="claims-triage",
        name="Claims triage",
        business_owner="carla",
        technical_owner="ben",
        risk_tier="limited",
    )
    registry.add(team, charter, actor="ada", stage=Stage.PILOT)
    registry.add(team, registry.charter_from_fields(slug="an-idea", name="Idea"), actor="ben")
    registry.add(
        team,
        registry.charter_from_fields(slug="owned", name="Owned", business_owner="omar"),
        actor="ben",
    )
    registry.add(team, registry.charter_from_fields(slug="old-one", name="Old"), actor="ben")
    registry.retire(team, "old-one", lessons="no data to train on, ever", actor="ben")
    gates.approve(team, "claims-triage", gate="production", domain="business", actor="omar")
    files = tmp_path / "in"
    files.mkdir()
    for name, text in FILES.items():
        (files / name).write_text(text, encoding="utf-8")
    (files / "latin1.yaml").write_bytes("slug: caf\xe9\nname: Caf\xe9\n".encode("latin-1"))
    (files / "default.yaml").write_text(policies.default_policy_text(), encoding="utf-8")
    return db_url, files


def _check(cli, db: str, files: Path, args: list[str], actor: str | None, expected: str) -> str:
    """Run one bad command; return a description of what went wrong, or ''."""
    argv = [a.replace("{tmp}", str(files)) for a in args]
    before = snapshot(db)
    r = cli(*argv, db=db, actor=actor)
    problems = []
    if r.code != 2:
        problems.append(f"exit {r.code}, expected 2")
    if "Traceback" in r.out + r.err:
        problems.append("traceback")
    lines = r.err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("error: "):
        problems.append(f"stderr is not one 'error: ...' line: {r.err!r}")
    elif expected.replace("{tmp}", str(files)) not in lines[0]:
        problems.append(f"message {lines[0]!r} lacks {expected!r}")
    if r.out.strip():
        problems.append(f"unexpected stdout {r.out[:200]!r}")
    if snapshot(db) != before:
        problems.append("the database changed")
    return f"{' '.join(args)} (as {actor}): {'; '.join(problems)}" if problems else ""


@pytest.mark.parametrize("category", list(CASES))
def test_bad_input_is_rejected_cleanly(cli, seeded, category: str) -> None:
    db, files = seeded
    failures = [_check(cli, db, files, *case) for case in CASES[category]]
    assert [f for f in failures if f] == []


def test_missing_approval_exits_1_not_2(cli, seeded) -> None:
    db, _ = seeded
    n = event_count(db)
    r = cli("promote", "claims-triage", "--to", "production", db=db, actor="ben")
    assert r.code == 1
    assert "Traceback" not in r.out + r.err and r.err == ""
    assert "missing approval from risk" in r.out
    assert event_count(db) == n + 1  # the promotion request, and nothing else
    shown = json.loads(cli("usecase", "show", "claims-triage", "--json", db=db).out)
    assert shown["stage"] == "pilot"
    assert shown["open_request"]["requested_by"] == "ben"


def test_gate_failure_exits_1(cli, seeded) -> None:
    db, _ = seeded
    r = cli("gate", "claims-triage", "--json", db=db)
    assert r.code == 1 and json.loads(r.out)["passed"] is False and r.err == ""


@pytest.mark.parametrize(
    "url",
    ["mysql://u:secret@db.example/x", "oracle://u@h/x", "mongodb://h/x", "http://example.com"],
)
def test_unsupported_database_url(cli, url: str) -> None:
    r = cli("portfolio", db=url)
    assert r.code == 2 and "Traceback" not in r.err
    [line] = r.err.strip().splitlines()
    assert line.startswith("error: unsupported database")
    assert "secret" not in r.err


def test_unreachable_or_invalid_databases(cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, just text\n" * 100, encoding="utf-8")
    for db, expected in [
        (str(junk), "file is not a database"),
        (str(tmp_path / "no" / "such" / "dir.db"), "does not exist"),
        (str(tmp_path), "is a directory"),
    ]:
        r = cli("portfolio", db=db)
        assert r.code == 2, (db, r)
        assert "Traceback" not in r.err
        [line] = r.err.strip().splitlines()
        assert expected in line
    assert junk.read_text(encoding="utf-8").startswith("not a database")


@pytest.mark.parametrize(
    "args",
    [
        ["promote", "claims-triage", "--bogus"],
        ["promote", "claims-triage"],
        ["waive", "claims-triage", "--gate", "production"],
        ["usecase", "show"],
        ["no-such-command"],
    ],
    ids=["unknown-option", "missing-option", "missing-options", "missing-argument", "command"],
)
def test_usage_errors_exit_2_without_traceback(cli, seeded, args: list[str]) -> None:
    db, _ = seeded
    before = snapshot(db)
    r = cli(*args, db=db, actor="ben")
    assert r.code == 2
    assert "Traceback" not in r.out + r.err
    assert "Error:" in r.err or "error:" in r.err
    assert snapshot(db) == before


READ_COMMANDS = [
    ["usecase", "list"],
    ["usecase", "show", "claims-triage"],
    ["user", "list"],
    ["policy", "show"],
    ["policy", "history"],
    ["policy", "criteria"],
    ["evidence", "list", "claims-triage"],
    ["gate", "claims-triage"],
    ["portfolio"],
    ["inbox"],
    ["audit", "verify"],
    ["audit", "log"],
]


def test_json_on_every_read_command_parses(cli, seeded) -> None:
    db, _ = seeded
    for args in READ_COMMANDS:
        r = cli(*args, "--json", db=db, actor="rita")
        assert r.code in (0, 1), (args, r.err)
        assert r.err == "", (args, r.err)
        json.loads(r.out)  # raises if it is not JSON
