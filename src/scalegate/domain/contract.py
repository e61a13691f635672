"""Data contracts: declarative expectations on a dataset, as written in YAML.

A contract names dataset-level rules and, per column, a type, whether the column must be
present, and a list of rules. Every rule entry is either a bare rule id (``- unique``) or a
one-key mapping from the rule id to its parameters, with optional ``severity`` (``error`` or
``warn``), ``threshold`` (the fraction of rows that must pass, default 1.0) and ``id``::

    contract: loan-applications
    columns:
      age:
        type: integer
        rules:
          - not_null: {max_fraction: 0.01}
          - between: {min: 18, max: 100}
            severity: warn
            threshold: 0.99

The domain only holds the shape; which rule ids exist and what parameters they take is the
engine's registry (``scalegate.engine.rules``), checked when a contract is loaded.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")

#: keys of a rule entry that are not the rule itself
ENTRY_KEYS = frozenset({"severity", "threshold", "id", "description"})


class Severity(StrEnum):
    ERROR = "error"
    WARN = "warn"


class ColumnType(StrEnum):
    """Logical column types a contract can require; the engine maps backend dtypes to them."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    NUMBER = "number"  # integer or float
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CATEGORICAL = "categorical"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Spec):
    """One rule as written: its id, parameters, severity and pass threshold."""

    rule: Annotated[str, Field(pattern=RULE_ID_PATTERN)]
    params: dict[str, Any] = {}
    severity: Severity = Severity.ERROR
    #: fraction of rows that must pass for the rule to pass (row-level rules)
    threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    #: a stable name for results; default ``<column>.<rule>`` or ``dataset.<rule>``
    id: str | None = None
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_entry(cls, value: Any) -> Any:
        """Accept ``"unique"`` and ``{"between": {...}, "severity": "warn"}`` forms."""
        if isinstance(value, str):
            return {"rule": value}
        if isinstance(value, dict) and "rule" not in value:
            rule_keys = [k for k in value if k not in ENTRY_KEYS]
            if len(rule_keys) != 1:
                if not rule_keys:
                    raise ValueError("a rule entry needs a rule, e.g. '- not_null'")
                raise ValueError(
                    "a rule entry holds one rule; found "
                    + ", ".join(f"'{k}'" for k in rule_keys)
                    + " (write each as its own '- ' item)"
                )
            key = rule_keys[0]
            params = value[key]
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise ValueError(
                    f"parameters of '{key}' must be a mapping, e.g. {key}: {{...}}; got {params!r}"
                )
            out = {k: v for k, v in value.items() if k in ENTRY_KEYS}
            out.update({"rule": key, "params": params})
            return out
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is not None and not _ID_RE.match(v):
            raise ValueError("a rule id is letters, digits and . _ : - (at most 100)")
        return v


class ColumnSpec(_Spec):
    """Expectations on one column."""

    type: ColumnType | None = None
    #: the column must be present (a missing optional column skips its rules)
    required: bool = True
    description: str = ""
    rules: tuple[RuleSpec, ...] = ()


class Contract(_Spec):
    """A whole data contract."""

    contract: Annotated[str, Field(min_length=1, max_length=100)]
    version: str = "1"
    description: str = ""
    dataset: tuple[RuleSpec, ...] = ()
    columns: dict[str, ColumnSpec] = {}

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @model_validator(mode="after")
    def _unique_ids(self) -> Contract:
        seen: set[str] = set()
        for rid, _ in self.rule_ids():
            if rid in seen:
                raise ValueError(f"rule id '{rid}' is used twice; give one of them an 'id'")
            seen.add(rid)
        if not self.dataset and not self.columns:
            raise ValueError("a contract needs at least one dataset rule or column")
        return self

    def rule_ids(self) -> list[tuple[str, RuleSpec]]:
        """Every rule with its result id, dataset rules first, then columns in order."""
        out = [(r.id or f"dataset.{r.rule}", r) for r in self.dataset]
        for name, col in self.columns.items():
            out.extend((r.id or f"{name}.{r.rule}", r) for r in col.rules)
        return out
