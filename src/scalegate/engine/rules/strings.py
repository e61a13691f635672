"""String rules: ``regex {pattern}`` and ``length {min, max}``.

``regex`` searches: a value passes when the pattern matches anywhere in it, so anchor it
(``^...$``) to match whole values. Patterns run in the engine's regex dialect (Rust's
``regex`` for Polars, Java's for Spark, RE2 for DuckDB): keep to what they share (no
look-around, back-references or ``(?P<name>...)``). A pattern the engine rejects gives that
rule an ``error`` result; the other rules are still computed.
"""

from __future__ import annotations

import re
from typing import Annotated

import narwhals as nw
from pydantic import Field, field_validator, model_validator

from scalegate.engine.rules.registry import (
    COLUMN,
    Params,
    RowCheck,
    RuleContext,
    RuleError,
    register,
)
from scalegate.engine.rules.types import is_textual


class RegexParams(Params):
    pattern: Annotated[str, Field(min_length=1)]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"pattern {v!r} is not a valid regular expression: {exc}") from None
        return v


class LengthParams(Params):
    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> LengthParams:
        if self.min is None and self.max is None:
            raise ValueError("length needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


def _text(ctx: RuleContext, rule: str) -> nw.Expr:
    """The rule's column as strings; a rule error unless it holds text."""
    dtype = ctx.dtype()
    if not is_textual(dtype):
        raise RuleError(f"{rule} needs a string column; '{ctx.column}' is {dtype}")
    c = ctx.col()
    return c if dtype == nw.String else c.cast(nw.String)


@register("regex", RegexParams, scopes=COLUMN, summary="values match a regular expression")
def regex(params: RegexParams, ctx: RuleContext) -> RowCheck:
    fails = ~_text(ctx, "regex").str.contains(params.pattern)
    return RowCheck(fails, f"not matching /{params.pattern}/", (ctx.column or "",))


@register("length", LengthParams, scopes=COLUMN, summary="string length lies in [min, max]")
def length(params: LengthParams, ctx: RuleContext) -> RowCheck:
    n = _text(ctx, "length").str.len_chars()
    fails = None
    if params.min is not None:
        fails = n < params.min
    if params.max is not None:
        fails = (n > params.max) if fails is None else fails | (n > params.max)
    assert fails is not None
    lo = "0" if params.min is None else str(params.min)
    hi = "inf" if params.max is None else str(params.max)
    return RowCheck(fails, f"of length outside [{lo}, {hi}]", (ctx.column or "",))
