"""``scalegate alert``: add, rules, list, deliveries, deliver, disable."""

from __future__ import annotations

import pytest
from cli_support import FULL_FLAGS, as_json, snapshot

from alert_support import add_monitor, log_values, receiver, refused_url

SLUG = "claims-triage"


@pytest.fixture
def db(team, db_url: str, cli) -> str:
    """The standard team, the use case ``claims-triage`` and its monitor ``default``."""
    r = cli("usecase", "add", SLUG, *FULL_FLAGS, db=db_url, actor="ben")
    assert r.code == 0, r.err
    team.monitor_id = add_monitor(team, SLUG)
    return db_url


def test_add_rule_then_list_rules(cli, db: str) -> None:
    r = cli(
        "alert", "add", SLUG, "--metric", "accuracy", "--op", "<=", "--threshold", "0.8",
        "--windows", "3", "--webhook", "https://hooks.example.com/services/T1/B2/s3cret",
        db=db, actor="ben",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "added alert rule accuracy-le-0.8 to claims-triage/default" in r.out
    assert "accuracy <= 0.8 for 3 consecutive batches" in r.out
    assert "s3cret" not in r.out and "https://hooks.example.com/…" in r.out
    r = cli(
        "alert", "add", SLUG, "--metric", "drift_share", "--op", "ge", "--threshold", "0.3",
        "--name", "drift", db=db, actor="ben",
    )  # fmt: skip
    assert r.code == 0, r.err
    r = cli("alert", "rules", SLUG, db=db)
    assert r.code == 0, r.err
    assert "accuracy-le-0.8" in r.out and "drift_share >= 0.3" in r.out
    assert "s3cret" not in r.out
    rules = as_json(cli("alert", "rules", SLUG, "--json", db=db))
    assert [(x["name"], x["op"], x["threshold"], x["windows"]) for x in rules] == [
        ("accuracy-le-0.8", "<=", 0.8, 3),
        ("drift", ">=", 0.3, 1),
    ]
    assert rules[0]["webhook"] == "https://hooks.example.com/…"
    assert rules[1]["webhook"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--op", "=>", "--threshold", "1"], "unknown operator '=>'"),
        (["--op", "<", "--threshold", "1", "--windows", "0"], "field 'windows'"),
        (["--op", "<", "--threshold", "nan"], "field 'threshold'"),
        (["--op", "<", "--threshold", "1", "--webhook", "ftp://x/y"], "field 'webhook'"),
        (["--op", "<", "--threshold", "1", "--monitor", "shadow"], "no monitor 'shadow'"),
    ],
)
def test_bad_rules_exit_2_with_one_line_and_write_nothing(cli, db: str, args, message) -> None:
    before = snapshot(db)
    r = cli("alert", "add", SLUG, "--metric", "accuracy", *args, db=db, actor="ben")
    assert r.code == 2
    assert message in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_adding_a_rule_needs_a_contributor(cli, db: str) -> None:
    args = ("alert", "add", SLUG, "--metric", "f1", "--op", "<", "--threshold", "0.5")
    r = cli(*args, db=db, actor="vic")
    assert r.code == 2 and "needs the contributor role" in r.err
    r = cli(*args, db=db)
    assert r.code == 2 and "--as USER" in r.err


def test_alerts_deliveries_and_deliver(cli, db: str, team) -> None:
    with receiver([500]) as hook:
        r = cli(
            "alert", "add", SLUG, "--metric", "accuracy", "--op", "<", "--threshold", "0.8",
            "--windows", "2", "--webhook", hook.url, db=db, actor="ben",
        )  # fmt: skip
        assert r.code == 0, r.err
        assert cli("alert", "list", db=db).out.strip() == "no alerts"
        log_values(team, team.monitor_id, "accuracy", [0.74, 0.71])
        r = cli("alert", "list", SLUG, "--open", db=db)
        assert r.code == 0, r.err
        assert " open " in r.out and "(0.74, 0.71)" in r.out
        [alert] = as_json(cli("alert", "list", "--json", db=db))
        assert alert["status"] == "open" and alert["value"] == 0.71
        assert alert["message"] == (
            "claims-triage/default: accuracy < 0.8 for 2 consecutive batches (0.74, 0.71)"
        )
        assert as_json(cli("alert", "list", "--open", "--json", db=db)) == [alert]
        # the receiver fails: deliver exits 1, the log keeps the error, nothing raises
        r = cli("alert", "deliver", db=db)
        assert r.code == 1, r.err
        assert "delivered 0 of 1" in r.out
        [d] = as_json(cli("alert", "deliveries", SLUG, "--json", db=db))
        assert d["status"] == "pending" and d["attempts"] == 3 and d["last_status_code"] == 500
        assert "secret-token" not in str(d) and d["url"].endswith("/…")
        r = cli("alert", "deliveries", db=db)
        assert "HTTP 500" in r.out and "secret-token" not in r.out
        # not due yet for a cron run; a forced run sends it
        r = cli("alert", "deliver", "--due-only", db=db)
        assert (r.code, r.out.strip()) == (0, "nothing to deliver")
        hook.codes[:] = [200]
        r = cli("alert", "deliver", "--json", db=db)
        assert r.code == 0, r.err
        [d] = as_json(r)
        assert (d["status"], d["attempts"], d["last_status_code"]) == ("delivered", 4, 200)
    assert hook.requests[-1].body["alert"]["id"] == alert["id"]


def test_disable_resolves_and_notifies(cli, db: str, team) -> None:
    with receiver() as hook:
        args = ("--metric", "accuracy", "--op", "<", "--threshold", "0.8", "--webhook", hook.url)
        assert cli("alert", "add", SLUG, *args, db=db, actor="ben").code == 0
        log_values(team, team.monitor_id, "accuracy", [0.5])
        assert cli("alert", "deliver", db=db).code == 0
        r = cli("alert", "disable", SLUG, "accuracy-lt-0.8", db=db, actor="carla")
        assert r.code == 0, r.err
        assert "disabled alert rule accuracy-lt-0.8" in r.out
        assert "resolved notification of alert #" in r.out and "sent" in r.out
    assert [x.body["alert"]["event"] for x in hook.requests] == ["opened", "resolved"]
    [alert] = as_json(cli("alert", "list", "--json", db=db))
    assert alert["status"] == "resolved"
    r = cli("alert", "disable", SLUG, "nope", db=db, actor="carla")
    assert r.code == 2 and "no alert rule 'nope'" in r.err


def test_unreachable_webhook_is_reported_not_raised(cli, db: str, team) -> None:
    args = ("--metric", "rows", "--op", "<", "--threshold", "10", "--webhook", refused_url())
    assert cli("alert", "add", SLUG, *args, db=db, actor="ben").code == 0
    log_values(team, team.monitor_id, "rows", [3])
    r = cli("alert", "deliver", db=db)
    assert r.code == 1 and "Traceback" not in r.err
    assert "refused" in r.out.lower()


def test_unknown_use_case_and_status(cli, db: str) -> None:
    r = cli("alert", "list", "nope", db=db)
    assert r.code == 2 and "unknown use case 'nope'" in r.err
    r = cli("alert", "rules", "nope", db=db)
    assert r.code == 2 and "unknown use case 'nope'" in r.err
    assert cli("alert", "deliveries", db=db).out.strip() == "no webhook deliveries"
    assert cli("alert", "rules", SLUG, db=db).out.startswith("no alert rules")
