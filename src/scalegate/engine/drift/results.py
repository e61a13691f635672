"""The data drift works with: a reference, a batch summary, and the report comparing them.

All are immutable and read and write plain JSON (no NaN, no infinity): a reference is
profiled (and its PCA fitted) once and stored; each batch is summarised (its profile plus
one aggregate query) and may be stored as well; a report is computed from the two without
touching data again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scalegate.engine.drift.config import DriftConfig
from scalegate.engine.drift.multivariate import PCAModel
from scalegate.engine.profile_model import DatasetProfile, ProfileError

#: version of the ``to_dict`` layouts
FORMAT = 1
OK, DRIFT, CRITICAL = "ok", "drift", "critical"


@dataclass(frozen=True)
class DriftReference:
    """A reference profile, an optional PCA model (multivariate drift) and the config."""

    profile: DatasetProfile
    config: DriftConfig = field(default_factory=DriftConfig)
    model: PCAModel | None = None
    #: why there is no model (multivariate disabled, too few numeric columns or rows...)
    model_reason: str | None = None

    @classmethod
    def from_profile(
        cls, profile: DatasetProfile, *, config: DriftConfig | dict[str, Any] | None = None
    ) -> DriftReference:
        """A reference from a stored profile alone: no multivariate signal then."""
        from scalegate.engine.drift.config import coerce

        return cls(profile, coerce(config), None, "the reference is a profile, not data")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "profile": self.profile.to_dict(),
            "config": self.config.to_dict(),
            "model": self.model.to_dict() if self.model else None,
            "model_reason": self.model_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReference:
        _check_format(data, "drift reference")
        try:
            model = data.get("model")
            return cls(
                DatasetProfile.from_dict(data["profile"]),
                DriftConfig.from_dict(data.get("config") or {}, source="drift reference"),
                PCAModel.from_dict(model) if model else None,
                data.get("model_reason"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"drift reference is incomplete or malformed: {exc}") from None


@dataclass(frozen=True)
class BatchSummary:
    """What drift needs of a batch: its profile and, with a PCA model, its mean
    reconstruction error."""

    profile: DatasetProfile
    #: mean reconstruction error of the batch's rows (None without a model)
    reconstruction_error: float | None = None

    @property
    def rows(self) -> int:
        return self.profile.row_count

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "profile": self.profile.to_dict(),
            "reconstruction_error": _finite(self.reconstruction_error),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchSummary:
        _check_format(data, "batch summary")
        try:
            error = data.get("reconstruction_error")
            return cls(
                DatasetProfile.from_dict(data["profile"]), None if error is None else float(error)
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"batch summary is incomplete or malformed: {exc}") from None


@dataclass(frozen=True)
class ColumnDrift:
    """One column's comparison.

    ``value`` is the chosen ``method``'s number (an effect size, or a p-value for ``ks`` and
    ``chi2``) and ``drifted`` compares it with ``threshold``; an effect size also needs
    the chi-square p-value below the config's ``significance`` (``reason`` says when it
    did not). ``statistics`` holds every statistic that applies (None where undefined),
    ``bins`` the shared bins' shares.
    When nothing can be judged, ``value`` is None, ``drifted`` False and ``reason`` says why.
    """

    name: str
    #: ``numeric``, ``categorical``, or the profile kind of a skipped column
    kind: str
    #: ``feature`` or ``prediction``
    role: str
    method: str | None
    threshold: float | None
    value: float | None
    drifted: bool
    statistics: Mapping[str, float | int | None] = field(default_factory=dict)
    reference_count: int = 0
    current_count: int = 0
    reference_nulls: int = 0
    current_nulls: int = 0
    bins: tuple[tuple[str, float, float], ...] = ()
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "method": self.method,
            "threshold": self.threshold,
            "value": _finite(self.value),
            "drifted": self.drifted,
            "statistics": {k: _finite(v) for k, v in self.statistics.items()},
            "reference_count": self.reference_count,
            "current_count": self.current_count,
            "reference_nulls": self.reference_nulls,
            "current_nulls": self.current_nulls,
            "bins": [
                {"bin": label, "reference": _finite(r), "current": _finite(c)}
                for label, r, c in self.bins
            ],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class MultivariateResult:
    """The batch's mean reconstruction error against the reference band."""

    value: float | None
    lower: float | None
    upper: float | None
    reference_mean: float | None
    components: int
    columns: tuple[str, ...]
    variance_explained: float | None
    drifted: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "pca_reconstruction",
            "value": _finite(self.value),
            "lower": _finite(self.lower),
            "upper": _finite(self.upper),
            "reference_mean": _finite(self.reference_mean),
            "components": self.components,
            "columns": list(self.columns),
            "variance_explained": _finite(self.variance_explained),
            "drifted": self.drifted,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DriftReport:
    """Per-column results, the multivariate result and an overall ``status``.

    ``status`` is ``critical`` when (each switchable in the config's ``critical`` section) the
    prediction column drifted, or the multivariate signal fired, or at least
    ``critical.share`` of the judged feature columns drifted; otherwise ``drift`` when any
    column drifted; otherwise ``ok``. ``critical_reasons`` says which rule made it critical.
    """

    columns: tuple[ColumnDrift, ...]
    multivariate: MultivariateResult
    status: str
    critical_reasons: tuple[str, ...]
    reference_rows: int
    current_rows: int
    prediction: str | None
    config: DriftConfig

    @property
    def drifted(self) -> list[str]:
        """Names of the columns that drifted, in column order."""
        return [c.name for c in self.columns if c.drifted]

    @property
    def drifted_share(self) -> float | None:
        """Share of judged feature columns that drifted (None if none was judged)."""
        judged = [c for c in self.columns if c.role == "feature" and c.value is not None]
        if not judged:
            return None
        return sum(c.drifted for c in judged) / len(judged)

    def __getitem__(self, name: str) -> ColumnDrift:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (no NaN or infinity); layout in the README's "Drift" section."""
        judged = [c for c in self.columns if c.value is not None]
        return {
            "format": FORMAT,
            "status": self.status,
            "critical_reasons": list(self.critical_reasons),
            "drifted": self.drifted,
            "drifted_share": _finite(self.drifted_share),
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "prediction": self.prediction,
            "summary": {
                "columns": len(self.columns),
                "judged": len(judged),
                "drifted": len(self.drifted),
                "skipped": len(self.columns) - len(judged),
            },
            "columns": [c.to_dict() for c in self.columns],
            "multivariate": self.multivariate.to_dict(),
            "config": self.config.to_dict(),
        }


def _finite(value: Any) -> Any:
    """Numbers as JSON can hold them: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_format(data: Mapping[str, Any], what: str) -> None:
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise ProfileError(
            f"unknown {what} format {found!r}; this scalegate reads format {FORMAT}",
            value=found,
        )
