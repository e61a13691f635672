"""API fixtures: the populated workspace of ``api_support`` on each backend, a session-wide
SQLite template of it, and an in-process client on the ASGI app."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Workspace, build_workspace, make_client


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A populated SQLite workspace built once per test process; copy it before writing."""
    folder = tmp_path_factory.mktemp("api-template")
    return build_workspace(str(folder / "template.db"), folder / "files")


@pytest.fixture
def workspace(db_url: str, tmp_path: Path, template: Workspace) -> Workspace:
    """A populated workspace of its own on each backend (on SQLite, a copy of the template)."""
    if "://" in db_url:
        return build_workspace(db_url, tmp_path / "files")
    shutil.copy(template.url, db_url)
    return dataclasses.replace(template, url=db_url, ids=dict(template.ids))


@pytest.fixture
def client(workspace: Workspace) -> Iterator[Any]:
    yield from make_client(workspace.url)
