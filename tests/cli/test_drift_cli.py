"""``scalegate drift``: exit codes, the JSON layout, the HTML report, stored references and
bad input."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from scalegate.engine.profile import profile
from scalegate.engine.synthetic import DRIFTED_COLUMNS, credit_table

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("drift")
    out = {
        "ref": root / "ref.parquet",
        "cur": root / "cur.parquet",
        "fresh": root / "fresh.csv",
        "profile": root / "profile.json",
    }
    reference = credit_table(20_000, 1)
    reference.write_parquet(out["ref"])
    credit_table(20_000, 2, drift=True).write_parquet(out["cur"])
    credit_table(20_000, 3).write_csv(out["fresh"])
    out["profile"].write_text(json.dumps(profile(reference).to_dict()))
    return out


def test_drift_exits_1_and_prints_the_drifted_columns(cli, files) -> None:
    r = cli("drift", str(files["ref"]), str(files["cur"]))
    assert r.code == 1, r.err
    assert "CRITICAL" in r.out or "DRIFT" in r.out
    assert "5 of 20 compared columns drifted" in r.out
    assert "multivariate (PCA reconstruction error" in r.out


def test_no_drift_exits_0(cli, files) -> None:
    r = cli("drift", str(files["ref"]), str(files["fresh"]))
    assert r.code == 0, r.out + r.err
    assert "OK" in r.out and "0 of 20 compared columns drifted" in r.out


def test_json_layout(cli, files) -> None:
    r = cli("drift", str(files["ref"]), str(files["cur"]), "--json")
    assert r.code == 1
    out = json.loads(r.out)
    assert set(out) == {
        "format", "status", "critical_reasons", "drifted", "drifted_share", "reference_rows",
        "current_rows", "prediction", "summary", "columns", "multivariate", "config",
    }  # fmt: skip
    assert sorted(out["drifted"]) == sorted(DRIFTED_COLUMNS)
    assert out["status"] == "critical"
    assert out["summary"] == {"columns": 20, "judged": 20, "drifted": 5, "skipped": 0}
    income = next(c for c in out["columns"] if c["name"] == "income")
    assert set(income) >= {"name", "kind", "role", "method", "threshold", "value", "drifted"}
    assert income["method"] == "wasserstein" and income["drifted"] is True
    assert set(income["statistics"]) == {
        "psi", "jensenshannon", "hellinger", "wasserstein", "wasserstein_raw",
        "wasserstein_bound", "ks_statistic", "ks_upper", "ks_pvalue", "chi2_statistic",
        "chi2_pvalue", "chi2_dof",
    }  # fmt: skip
    assert out["multivariate"]["drifted"] is True
    json.dumps(out, allow_nan=False)


def test_html_report_is_written_and_escaped(cli, files, tmp_path: Path) -> None:
    ref = pl.DataFrame({EVIL: ["a", "b"] * 10, "x": list(range(20))})
    cur = pl.DataFrame({EVIL: ["b"] * 20, "x": list(range(20))})
    ref.write_parquet(tmp_path / "r.parquet")
    cur.write_parquet(tmp_path / "c.parquet")
    page = tmp_path / "report.html"
    r = cli("drift", str(tmp_path / "r.parquet"), str(tmp_path / "c.parquet"), "--html", str(page))
    assert r.code == 1
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and 'class="verdict critical">CRITICAL' in text
    assert EVIL not in text and "&lt;script&gt;" in text


def test_reference_may_be_a_stored_profile_or_check_output(cli, files, tmp_path: Path) -> None:
    r = cli("drift", str(files["profile"]), str(files["cur"]), "--json")
    assert r.code == 1, r.err
    out = json.loads(r.out)
    assert sorted(out["drifted"]) == sorted(DRIFTED_COLUMNS)
    assert out["multivariate"]["value"] is None  # a profile has no rows to fit on
    wrapped = tmp_path / "check.json"
    wrapped.write_text(
        json.dumps({"passed": True, "profile": json.loads(files["profile"].read_text())})
    )
    assert cli("drift", str(wrapped), str(files["fresh"])).code == 0


def test_config_and_prediction_options(cli, files, tmp_path: Path) -> None:
    config = tmp_path / "drift.yaml"
    config.write_text("exclude: [channel, employment]\nmultivariate: {enabled: false}\n")
    r = cli("drift", str(files["ref"]), str(files["cur"]), "--config", str(config), "--json")
    out = json.loads(r.out)
    assert r.code == 1 and sorted(out["drifted"]) == ["credit_score", "income", "revolving_util"]
    assert out["status"] == "drift"
    r = cli("drift", str(files["ref"]), str(files["cur"]), "--prediction", "credit_score", "--json")
    out = json.loads(r.out)
    assert out["prediction"] == "credit_score" and out["status"] == "critical"


def test_bad_input_exits_2_with_one_line(cli, files, tmp_path: Path) -> None:
    missing = cli("drift", str(tmp_path / "nope.parquet"), str(files["cur"]))
    assert missing.code == 2 and "nope.parquet" in missing.err
    other = tmp_path / "other.parquet"
    credit_table(100, 1).drop("state").write_parquet(other)
    mismatch = cli("drift", str(files["ref"]), str(other))
    assert mismatch.code == 2 and "missing from current: state" in mismatch.err
    config = tmp_path / "bad.yaml"
    config.write_text("columns:\n  income:\n    method: pssi\n")
    bad = cli("drift", str(files["ref"]), str(files["cur"]), "--config", str(config))
    assert bad.code == 2 and "bad.yaml, line 3: field 'columns.income.method'" in bad.err
    unknown = cli("drift", str(files["ref"]), str(files["cur"]), "--prediction", "nope")
    assert unknown.code == 2 and "prediction column 'nope'" in unknown.err
    no_dir = cli(
        "drift", str(files["ref"]), str(files["cur"]), "--html", str(tmp_path / "x" / "r.html")
    )
    assert no_dir.code == 2 and "does not exist" in no_dir.err
    for r in (missing, mismatch, bad, unknown, no_dir):
        assert "Traceback" not in r.err and r.err.count("\n") == 1, r.err


def test_reference_may_be_scalegate_check_json_output(cli, files, tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_text("contract: credit\ncolumns:\n  age:\n    rules: [not_null]\n")
    checked = cli("check", str(files["ref"]), "--contract", str(contract), "--json")
    assert checked.code in (0, 1), checked.err
    saved = tmp_path / "check.json"
    saved.write_text(checked.out)
    r = cli("drift", str(saved), str(files["cur"]), "--json")
    assert r.code == 1, r.err
    assert sorted(json.loads(r.out)["drifted"]) == sorted(DRIFTED_COLUMNS)


def test_reference_may_be_a_saved_drift_reference(cli, files, tmp_path: Path) -> None:
    from scalegate.engine.drift import build_reference

    saved = tmp_path / "reference.json"
    saved.write_text(json.dumps(build_reference(files["ref"]).to_dict()))
    r = cli("drift", str(saved), str(files["cur"]), "--json")
    out = json.loads(r.out)
    assert r.code == 1 and out["multivariate"]["value"] is not None
    assert cli("drift", str(saved), str(files["fresh"])).code == 0
