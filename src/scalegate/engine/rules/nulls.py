"""Null rules: ``not_null {max_fraction}``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from scalegate.engine.rules.registry import COLUMN, Params, RowCheck, RuleContext, register


class NotNullParams(Params):
    #: fraction of rows allowed to be null (default none)
    max_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0


@register(
    "not_null",
    NotNullParams,
    scopes=COLUMN,
    summary="at most max_fraction of the rows are null",
)
def not_null(params: NotNullParams, ctx: RuleContext) -> RowCheck:
    # a rule's threshold still applies; the looser of the two wins (see check._allowed)
    ctx.dtype()
    return RowCheck(ctx.col().is_null(), "null", allowed=params.max_fraction)
