"""Fixtures for gate tests."""

from __future__ import annotations

import pytest
from gate_builders import Make


@pytest.fixture(scope="session")
def make() -> Make:
    return Make()
