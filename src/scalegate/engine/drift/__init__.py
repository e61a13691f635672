"""Data drift between a reference and a batch, computed from their profiles.

A reference is profiled once (:func:`build_reference`, or :meth:`DriftReference.from_profile`
for a stored profile); each batch costs its profile's query plus one aggregate query
(:func:`summarize`); :func:`compare` judges every column by effect size by default and adds
a multivariate signal (PCA reconstruction error). :func:`drift` does all three. See the
README's "Drift" section for the statistics, their error bounds and the defaults."""

from scalegate.engine.drift.compare import (
    SchemaMismatchError,
    build_reference,
    compare,
    drift,
    summarize,
)
from scalegate.engine.drift.config import DriftConfig, load_config
from scalegate.engine.drift.multivariate import PCAModel
from scalegate.engine.drift.registry import Method, methods
from scalegate.engine.drift.results import (
    CRITICAL,
    DRIFT,
    OK,
    BatchSummary,
    ColumnDrift,
    DriftReference,
    DriftReport,
    MultivariateResult,
)

__all__ = [
    "CRITICAL",
    "DRIFT",
    "OK",
    "BatchSummary",
    "ColumnDrift",
    "DriftConfig",
    "DriftReference",
    "DriftReport",
    "Method",
    "MultivariateResult",
    "PCAModel",
    "SchemaMismatchError",
    "build_reference",
    "compare",
    "drift",
    "load_config",
    "methods",
    "summarize",
]
