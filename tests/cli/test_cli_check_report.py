"""``scalegate check --html``: a self-contained, escaped HTML report; progress on terminals."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from cli_support import snapshot
from rich.console import Console

from scalegate.services import registry
from scalegate.services.registry import charter_from_fields

EVIL = "<script>alert(1)</script>"

CONTRACT = f"""\
contract: loans
version: "2"
dataset:
  - row_count: {{min: 1}}
columns:
  id:
    type: string
    rules: [not_null, unique]
  amount:
    type: float
    rules:
      - between: {{min: 0, max: 100}}
  channel:
    rules:
      - in_set: {{values: [web, branch]}}
        severity: warn
  "{EVIL}":
    rules: [not_null]
"""


class _Page(HTMLParser):
    """Collects tags, attributes and text; fails on nothing (html.parser is lenient), so the
    tests check structure themselves."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "img", "link", "input", "hr"}:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    assert page.open == [], page.open
    return page


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Path]:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "b", "d"],
            "amount": [1.5, 250.0, 3.0, float("nan")],
            "channel": ["web", "<b>fax</b>", "web", "branch"],
            EVIL: [1, None, 3, 4],
        }
    )
    frame.write_parquet(tmp_path / "loans.parquet")
    frame.clear().write_parquet(tmp_path / "empty.parquet")
    contract = tmp_path / "c.yaml"
    contract.write_text(CONTRACT, encoding="utf-8")
    return {"data": tmp_path / "loans.parquet", "empty": tmp_path / "empty.parquet",
            "contract": contract, "dir": tmp_path}  # fmt: skip


def test_report_holds_every_rule_and_column_escaped_and_offline(cli, data) -> None:
    report = data["dir"] / "report.html"
    r = cli("check", str(data["data"]), "-c", str(data["contract"]), "--html", str(report))
    assert r.code == 1 and f"report written to {report}" in r.out
    text = report.read_text(encoding="utf-8")
    page = parse(text)
    shown = "".join(page.text)
    result = json.loads(cli("check", str(data["data"]), "-c", str(data["contract"]), "--json").out)
    assert len(result["results"]) == 8  # 6 rules and 2 type checks
    for rule in result["results"]:
        assert rule["id"] in shown, rule["id"]
    for column in ("id", "amount", "channel", EVIL):
        assert column in shown
    # user text is text: no script element, the raw markup never appears unescaped
    assert EVIL not in text and "<b>fax</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;b&gt;fax&lt;/b&gt;" in text
    assert not [tag for tag, _ in page.tags if tag in ("script", "link", "img", "iframe")]
    for _, attrs in page.tags:
        for name in ("src", "href"):
            assert not re.match(r"https?://", attrs.get(name) or ""), attrs
    assert "http://" not in text and "https://" not in text
    # header facts and the verdict
    assert "FAILS" in shown and "loans" in shown and "4" in shown and str(data["data"]) in shown
    # failing examples and the profile's numbers, as the JSON result has them
    assert "250" in shown  # amount.between's failing example
    profile = {c["name"]: c for c in result["profile"]["columns"]}
    assert profile["amount"]["nan"] == 1
    assert any(tag == "svg" for tag, _ in page.tags)  # the amount histogram
    for label in ("p1", "p5", "p25", "p50", "p75", "p95", "p99"):
        assert label in page.text


def test_report_of_an_empty_dataset(cli, data) -> None:
    report = data["dir"] / "empty.html"
    r = cli("check", str(data["empty"]), "-c", str(data["contract"]), "--html", str(report))
    assert r.code == 1  # row_count fails
    page = parse(report.read_text(encoding="utf-8"))
    shown = "".join(page.text)
    assert "dataset.row_count" in shown and "FAILS" in shown
    assert not any(tag == "svg" for tag, _ in page.tags)


def test_report_with_json_and_use_case(cli, data, team, db_url: str) -> None:
    registry.add(team, charter_from_fields(slug="loans", name="Loans"), actor="ben")
    report = data["dir"] / "r.html"
    args = ["check", str(data["data"]), "-c", str(data["contract"]), "--html", str(report)]
    r = cli(*args, "--json", "--use-case", "loans", db=db_url, actor="ben")
    assert r.code == 1
    out = json.loads(r.out)  # stdout stays pure JSON
    [evidence] = registry.list_evidence(team, "loans")
    assert out["evidence"] == evidence.ref
    assert report.exists() and "loans" in report.read_text(encoding="utf-8")


def test_unwritable_report_path_is_refused_before_reading_or_storing(
    cli, data, team, db_url: str, monkeypatch
) -> None:
    registry.add(team, charter_from_fields(slug="loans", name="Loans"), actor="ben")
    from scalegate.services import data_checks

    def must_not_run(*args, **kwargs):
        raise AssertionError("the data was read")

    monkeypatch.setattr(data_checks, "run", must_not_run)
    blocker = data["dir"] / "a-file"
    blocker.write_text("x", encoding="utf-8")
    cases = [
        (data["dir"] / "no" / "such" / "r.html", "does not exist"),
        (data["dir"], "is a directory"),
        (blocker / "r.html", "does not exist"),
    ]
    for target, expected in cases:
        before = snapshot(db_url)
        r = cli("check", str(data["data"]), "-c", str(data["contract"]), "--html", str(target),
                "--use-case", "loans", db=db_url, actor="ben")  # fmt: skip
        assert r.code == 2 and "Traceback" not in r.err, r.err
        [line] = r.err.strip().splitlines()
        assert line.startswith(f"error: {target}") and expected in line, line
        assert snapshot(db_url) == before


def test_report_is_written_atomically(data, monkeypatch) -> None:
    from scalegate.reports import html

    target = data["dir"] / "r.html"
    target.write_text("old report", encoding="utf-8")
    real_replace = html.os.replace

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(html.os, "replace", failing_replace)
    with pytest.raises(html.ReportError, match="No space left on device"):
        html.write(target, "<p>new</p>")
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in data["dir"].iterdir() if p.name.startswith(".r.html")) == []
    monkeypatch.setattr(html.os, "replace", real_replace)
    html.write(target, "<p>new</p>")
    assert target.read_text(encoding="utf-8") == "<p>new</p>"


def test_histogram_follows_the_data() -> None:
    """Bar heights from the sketch match a histogram numpy computes on the same data."""
    import numpy as np

    from scalegate.engine.profile import profile
    from scalegate.reports.html import _HEIGHT, BINS, _histogram

    values = np.random.default_rng(3).lognormal(0, 0.5, 50_000)
    col = profile(pl.DataFrame({"x": values}))["x"]
    bars, _ = _histogram(col)
    counts, _ = np.histogram(values, bins=BINS, range=(values.min(), values.max()))
    expected = (_HEIGHT - 2) * counts / counts.max()
    heights = np.array([b.height for b in bars])
    assert len(bars) == BINS
    assert np.abs(heights - expected).max() < 0.08 * _HEIGHT


# ------------------------------------------------------------------------- progress


def _big_enough(monkeypatch) -> None:
    from scalegate.cli import check as check_cli

    monkeypatch.setattr(check_cli, "LARGE_INPUT_BYTES", 1)


def test_progress_on_a_terminal_names_every_phase(cli, data, monkeypatch) -> None:
    from scalegate.cli import output

    _big_enough(monkeypatch)
    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=120)
    monkeypatch.setattr(output, "err_console", terminal)
    r = cli("check", str(data["data"]), "-c", str(data["contract"]), "--json")
    assert r.code == 1
    json.loads(r.out)  # stdout is untouched JSON
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    # the phases the engine reports for this run, each shown as a finished line
    from scalegate.engine.check import check, load_contract

    phases: list[str] = []
    contract = load_contract(data["contract"].read_text(encoding="utf-8"), "c.yaml")
    check(data["data"], contract, on_phase=phases.append)
    assert phases[:2] == ["reading the schema", "computing 6 rules on 4 columns"]
    for phase in phases:
        assert f"✓ {phase} (" in shown, (phase, shown)


def test_no_progress_without_a_terminal_or_on_small_inputs(cli, data, monkeypatch) -> None:
    from scalegate.cli import output

    plain = cli("check", str(data["data"]), "-c", str(data["contract"]), "--json")
    _big_enough(monkeypatch)
    piped = cli("check", str(data["data"]), "-c", str(data["contract"]), "--json")
    assert piped.err == plain.err == ""
    strip = re.compile(r'"(started|finished)": "[^"]*"')
    assert strip.sub("", piped.out) == strip.sub("", plain.out)
    monkeypatch.undo()
    buffer = io.StringIO()
    monkeypatch.setattr(output, "err_console", Console(file=buffer, force_terminal=True))
    cli("check", str(data["data"]), "-c", str(data["contract"]), "--json")
    assert buffer.getvalue() == ""  # a terminal, but a small input
