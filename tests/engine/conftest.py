"""Engine fixtures: a local Spark session for the backend-equality tests.

Spark needs PySpark (the ``spark`` extra) and Java. Locally the Spark tests skip when either
is missing; under CI (``CI`` set, as ``scripts/test.sh`` runs there) they fail instead, so a
broken installation cannot pass silently. Mark Spark tests ``spark`` and
``xdist_group("spark")``, so that ``--dist loadgroup`` runs them all on one worker and one
Spark session serves them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def _missing_spark() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'scalegate[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "java is not installed (Spark needs Java 17 or later)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A ``local[2]`` SparkSession: no UI, 4 shuffle partitions, UTC, quiet; stopped at the end."""
    missing = _missing_spark()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"Spark tests cannot run under CI: {missing}")
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("scalegate-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    try:
        yield session
    finally:
        session.stop()
