"""The dashboard's templates, static files and vendored JavaScript ship in the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "scalegate" / "web"


def _shipped_files() -> set[str]:
    return {
        "scalegate/web/" + p.relative_to(WEB).as_posix()
        for folder in ("templates", "static")
        for p in (WEB / folder).rglob("*")
        if p.is_file()
    }


def test_vendored_scripts_have_their_licences_and_a_readme() -> None:
    vendor = WEB / "static" / "vendor"
    names = {p.name for p in vendor.iterdir()}
    assert {"htmx-LICENSE", "chart.js-LICENSE.md", "README.md"} <= names
    readme = (vendor / "README.md").read_text()
    for script in vendor.glob("*.js"):
        assert script.name in readme, f"{script.name} is not described in vendor/README.md"


@pytest.mark.slow
def test_the_wheel_contains_every_template_and_static_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("scalegate-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = _shipped_files()
    assert expected, "no template or static file found"
    assert expected <= names, sorted(expected - names)
