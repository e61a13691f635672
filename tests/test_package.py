"""The package surface: SDK exports, light start-up, documented settings, README examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import scalegate

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_all_lists_exactly_the_public_surface() -> None:
    import types

    public = {
        n
        for n in dir(scalegate)
        if not n.startswith("_") and not isinstance(getattr(scalegate, n), types.ModuleType)
    } | set(scalegate._LAZY)
    public -= {"annotations", "TYPE_CHECKING", "Any"}
    assert set(scalegate.__all__) - {"__version__"} == public
    for name in scalegate.__all__:
        assert getattr(scalegate, name) is not None


def test_importing_the_package_and_cli_help_stay_light() -> None:
    code = (
        "import sys, scalegate; "
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'psycopg', 'polars', 'numpy', "
        "'pyspark', 'duckdb') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = (
        "import sys; from scalegate.cli.app import run; rc = run(['--help']); "
        "engines = [m for m in ('pyspark', 'duckdb') if m in sys.modules]; "
        "print('ALEMBIC' if 'alembic' in sys.modules else 'ok', engines, rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("ok [] 0")


def test_sqlite_works_without_psycopg(tmp_path: Path) -> None:
    """The core install has no PostgreSQL driver; nothing on SQLite may need it."""
    db = tmp_path / "light.db"
    code = (
        "import sys; sys.modules['psycopg'] = None; "
        "from scalegate.cli.app import run; "
        f"rc = run(['--db', {str(db)!r}, 'demo', '--no-serve']); "
        "rc2 = run(['--db', 'postgresql://u@127.0.0.1:1/x', 'usecase', 'list']); "
        "print('RC', rc, rc2)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert "RC 0 2" in out.stdout, out.stdout + out.stderr
    assert "pip install 'scalegate[postgres]'" in out.stderr
    assert "Traceback" not in out.stderr


def test_every_setting_is_documented() -> None:
    from scalegate.settings import Settings

    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"SCALEGATE_{name.upper()}" in README, f"SCALEGATE_{name.upper()} not in README"


def _readme_block(tag: str) -> str:
    m = re.search(rf"<!-- readme-test: {tag} -->\n```yaml\n(.*?)```", README, re.S)
    assert m, f"README block {tag} not found"
    return m.group(1)


def test_readme_use_case_example_is_valid() -> None:
    from scalegate.services.registry import parse_document

    doc = parse_document(_readme_block("usecase"), "README.md")
    assert doc.slug == "claims-triage"
    assert doc.kpis[0].baseline == 96


def test_readme_policy_example_is_valid() -> None:
    from scalegate.gates import load_policy

    policy = load_policy(_readme_block("policy"), "README.md")
    assert {g.value for g in policy.gates} == {"pilot", "production", "scaled"}


def test_readme_contract_example_is_valid_and_lists_every_rule() -> None:
    from scalegate.engine.check import load_contract
    from scalegate.engine.rules import RULES

    contract = load_contract(_readme_block("contract"), "README.md")
    assert contract.contract == "loan-applications"
    for rule in RULES:
        assert f"| `{rule}` |" in README, f"rule {rule} missing from README table"


def test_readme_lists_every_criterion_kind() -> None:
    from scalegate.gates import CRITERIA

    for kind in CRITERIA:
        assert f"| `{kind}` |" in README, f"criterion kind {kind} missing from README table"


def _commands() -> list[str]:
    import typer

    from scalegate.cli.app import app

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"scalegate {command}" in README


def test_every_contract_subcommand_is_in_the_readme() -> None:
    import typer

    from scalegate.cli.app import app

    contract = typer.main.get_command(app).commands["contract"]  # type: ignore[attr-defined]
    for sub in contract.commands:
        assert f"scalegate contract {sub}" in README, sub


def test_migration_head_constant_matches_scripts() -> None:
    from alembic.script import ScriptDirectory

    from scalegate.store.migrations import HEAD_REVISION
    from scalegate.store.migrations.runner import config

    assert ScriptDirectory.from_config(config()).get_current_head() == HEAD_REVISION
