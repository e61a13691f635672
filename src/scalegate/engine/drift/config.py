"""What to compare and how to judge it: :class:`DriftConfig`, from Python or a YAML file.

.. code-block:: yaml

    prediction: score            # the model output column (optional)
    include: [age, income]       # compare only these (optional; default every column)
    exclude: [customer_id]       # never compare these
    defaults:                    # per column type; these are the built-in defaults
      numeric: {method: wasserstein, threshold: 0.1}
      categorical: {method: jensenshannon, threshold: 0.05}
    significance: 0.01           # an effect-size verdict also needs chi-square p < 0.01
                                 # (guards small batches from sampling noise; null: off)
    columns:                     # per column overrides
      income: {method: psi, threshold: 0.2}
      score: {method: ks}        # threshold defaults to the method's (ks: p < 0.05)
    critical:
      share: 0.5                 # critical when at least this share of features drift
      prediction: true           # ... or the prediction drifts
      multivariate: true         # ... or the multivariate signal fires
    multivariate:
      enabled: true
      variance: 0.65             # PCA keeps components up to this share of variance
      sigmas: 3                  # alarm band: reference mean error +- sigmas * std
      sample_rows: 100000        # reference rows the PCA is fitted on

Errors name the file, line and field (:class:`scalegate.errors.DocumentError`).
"""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scalegate.domain import documents
from scalegate.engine.drift import registry
from scalegate.errors import UnknownChoiceError

#: threshold a method uses when the config names the method but no threshold
METHOD_THRESHOLDS = {
    "psi": 0.2,
    "jensenshannon": 0.05,
    "hellinger": 0.05,
    "wasserstein": 0.1,
    "ks": 0.05,
    "chi2": 0.05,
}


def _known_method(value: str) -> str:
    try:
        registry.get(value)
    except UnknownChoiceError as exc:  # pydantic reports ValueErrors with line and field
        raise ValueError(str(exc)) from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MethodChoice(_Strict):
    """A method id and its threshold (None: the method's default)."""

    method: str
    threshold: float | None = None

    @field_validator("method")
    @classmethod
    def _known(cls, value: str) -> str:
        return _known_method(value)

    @model_validator(mode="after")
    def _threshold(self) -> MethodChoice:
        method = registry.get(self.method)
        if self.threshold is not None:
            if self.threshold <= 0:
                raise ValueError(f"threshold must be above 0, not {self.threshold}")
            if method.drifts_when == registry.BELOW and self.threshold >= 1:
                raise ValueError(
                    f"{self.method} reads a p-value: its threshold must be below 1, "
                    f"not {self.threshold}"
                )
        return self

    @property
    def resolved_threshold(self) -> float:
        return METHOD_THRESHOLDS[self.method] if self.threshold is None else self.threshold


class ColumnChoice(_Strict):
    """A per-column override: method, threshold, or both."""

    method: str | None = None
    threshold: float | None = None

    @field_validator("method")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return None if value is None else _known_method(value)

    @field_validator("threshold")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError(f"threshold must be above 0, not {value}")
        return value


class Defaults(_Strict):
    numeric: MethodChoice = MethodChoice(method="wasserstein", threshold=0.1)
    categorical: MethodChoice = MethodChoice(method="jensenshannon", threshold=0.05)

    @model_validator(mode="after")
    def _fits(self) -> Defaults:
        if "categorical" not in registry.get(self.categorical.method).kinds:
            raise ValueError(
                f"method {self.categorical.method} does not apply to categorical columns"
            )
        return self


class Critical(_Strict):
    share: float = Field(0.5, gt=0, le=1)
    prediction: bool = True
    multivariate: bool = True


class Multivariate(_Strict):
    enabled: bool = True
    variance: float = Field(0.65, gt=0, le=1)
    sigmas: float = Field(3.0, gt=0)
    sample_rows: int = Field(100_000, ge=100)


class DriftConfig(_Strict):
    """Which columns to compare, with which method and threshold, and what is critical."""

    prediction: str | None = None
    include: list[str] | None = None
    exclude: list[str] = []
    defaults: Defaults = Defaults()
    columns: dict[str, ColumnChoice] = {}
    #: effect-size verdicts also need chi-square p below this (None: effect size alone)
    significance: float | None = Field(0.01, gt=0, lt=1)
    critical: Critical = Critical()
    multivariate: Multivariate = Multivariate()

    def selects(self, name: str) -> bool:
        """Whether column ``name`` is compared."""
        if name == self.prediction:
            return True
        if name in self.exclude:
            return False
        return self.include is None or name in self.include

    def choice(self, name: str, kind: str) -> tuple[str, float]:
        """The method id and threshold for column ``name`` of ``kind`` (numeric or
        categorical)."""
        default = self.defaults.numeric if kind == "numeric" else self.defaults.categorical
        override = self.columns.get(name)
        if override is None:
            return default.method, default.resolved_threshold
        method = override.method or default.method
        if override.threshold is not None:
            return method, override.threshold
        if override.method is None:
            return method, default.resolved_threshold
        return method, METHOD_THRESHOLDS[method]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "drift config") -> DriftConfig:
        """Validate plain data; errors name ``source`` and the field."""
        return documents.validate(cls, data, source=source)


def load_config(text: str, source: str) -> DriftConfig:
    """A :class:`DriftConfig` from YAML text; errors name ``source``, the line and field."""
    data, lines = documents.parse_yaml(text, source)
    return documents.validate(DriftConfig, data, source=source, lines=lines)


def coerce(config: DriftConfig | dict[str, Any] | None) -> DriftConfig:
    """A config from None (the defaults), a dict, or a config."""
    if config is None:
        return DriftConfig()
    if isinstance(config, DriftConfig):
        return config
    try:
        return DriftConfig.from_dict(config)
    except pydantic.ValidationError as exc:  # pragma: no cover - validate maps these
        raise documents.field_error(exc) from None
