"""The rule registry: the one place where contract rule ids are looked up.

Built-in rules register here exactly like a plugin would. A rule has a short stable id (used
in contract YAML), a Pydantic model for its parameters, the scopes it may be written at
(``column`` rules sit under a column, ``dataset`` rules under ``dataset:``), a summary, and an
implementation that turns parameters into a *plan*, never into numbers:

- :class:`RowCheck` -- a boolean Narwhals expression that is true where a row fails. The
  engine sums every such expression in one ``select`` and applies the threshold.
- :class:`AggregateCheck` -- named aggregate expressions plus a function that judges their
  values (row count, freshness). They join the same ``select``.

An implementation that cannot plan (the column has the wrong type, a named column is
missing) raises :class:`RuleError`; the engine records an ``error`` result for that rule only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import narwhals as nw
from pydantic import BaseModel, ConfigDict

Scope = Literal["column", "dataset"]
COLUMN: frozenset[Scope] = frozenset({"column"})
DATASET: frozenset[Scope] = frozenset({"dataset"})
ANY_SCOPE: frozenset[Scope] = frozenset({"column", "dataset"})


class Params(BaseModel):
    """Base class of rule parameters: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=Params)


class RuleError(Exception):
    """A rule cannot be planned on this data (wrong column type, missing column, ...)."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What an implementation may look at while planning: no data, only the schema."""

    #: the column the rule sits under, or None for a dataset rule
    column: str | None
    schema: Mapping[str, Any]
    now: datetime

    def col(self) -> nw.Expr:
        """The rule's own column (column rules only)."""
        if self.column is None:
            raise RuleError("this rule must be written under a column")
        return nw.col(self.column)

    def dtype(self, name: str | None = None) -> Any:
        name = name if name is not None else self.column
        if name is None or name not in self.schema:
            raise RuleError(f"column '{name}' is not in the data")
        return self.schema[name]


@dataclass(frozen=True, slots=True)
class RowCheck:
    """A row-level rule: ``fails`` is true where a row fails; null counts as passing."""

    fails: nw.Expr
    #: what a failing row is, for the reason line: "outside [18, 100]", "null"
    what: str
    #: columns shown as failing examples (one: its values; several: a mapping per row)
    example_columns: tuple[str, ...] = ()
    #: fraction of rows allowed to fail; None means ``1 - threshold``
    allowed: float | None = None
    #: set when ``fails`` means "this complete (null-free) key occurs more than once", so an
    #: engine may compute it natively (a hash set) instead of the portable window
    duplicate_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an :class:`AggregateCheck` judges from its aggregate values."""

    passed: bool
    reason: str
    failing: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class AggregateCheck:
    """A dataset-level rule: aggregate expressions and a judge of their values and row count."""

    aggregates: dict[str, nw.Expr]
    judge: Callable[[Mapping[str, Any], int], Verdict]


Plan = RowCheck | AggregateCheck


@dataclass(frozen=True, slots=True)
class Rule(Generic[P]):
    id: str
    params: type[P]
    plan: Callable[[P, RuleContext], Plan]
    scopes: frozenset[Scope]
    summary: str


RULES: dict[str, Rule[Any]] = {}


def register(
    rule_id: str, params: type[P], *, scopes: frozenset[Scope], summary: str
) -> Callable[[Callable[[P, RuleContext], Plan]], Callable[[P, RuleContext], Plan]]:
    """Register a rule. Used by built-ins and plugins alike."""

    def deco(fn: Callable[[P, RuleContext], Plan]) -> Callable[[P, RuleContext], Plan]:
        if rule_id in RULES:
            raise ValueError(f"rule '{rule_id}' is already registered")
        if not scopes:
            raise ValueError(f"rule '{rule_id}' needs at least one scope")
        RULES[rule_id] = Rule(rule_id, params, fn, scopes, summary)
        return fn

    return deco
