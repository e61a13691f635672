"""Set rules: ``in_set {values}``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from scalegate.engine.rules.registry import (
    COLUMN,
    Params,
    RowCheck,
    RuleContext,
    RuleError,
    register,
)
from scalegate.engine.rules.types import is_numeric, is_textual, show


class InSetParams(Params):
    values: Annotated[tuple[str | int | float | bool | datetime | date, ...], Field(min_length=1)]


@register("in_set", InSetParams, scopes=COLUMN, summary="values are among the listed ones")
def in_set(params: InSetParams, ctx: RuleContext) -> RowCheck:
    dtype = ctx.dtype()
    values = list(params.values)
    if is_textual(dtype):
        # YAML reads `- 1` as a number; a string column compares text
        values = [v if isinstance(v, str) else str(v) for v in values]
    elif is_numeric(dtype):
        bad = [v for v in values if isinstance(v, str)]
        if bad:
            raise RuleError(
                f"in_set lists text {show(bad[0])} but '{ctx.column}' is a number column"
            )
    c = ctx.col()
    shown = ", ".join(show(v) for v in values[:10]) + (", ..." if len(values) > 10 else "")
    return RowCheck(~c.is_in(values), f"not in {{{shown}}}", (ctx.column or "",))
