"""Range rules: ``between {min, max, inclusive}``.

Nulls are not range failures (``not_null`` counts those). On float columns NaN and the
infinities always fail: they are outside every finite range, and a range rule on a float
column is usually there to catch exactly them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import model_validator

from scalegate.domain.contract import ColumnType
from scalegate.engine.rules.registry import (
    COLUMN,
    Params,
    RowCheck,
    RuleContext,
    RuleError,
    register,
)
from scalegate.engine.rules.types import column_type, show

Bound = int | float | datetime | date | str


class BetweenParams(Params):
    min: Bound | None = None
    max: Bound | None = None
    inclusive: Literal["both", "left", "right", "neither"] = "both"

    @model_validator(mode="after")
    def _some_bound(self) -> BetweenParams:
        if self.min is None and self.max is None:
            raise ValueError("between needs min, max or both")
        if self.min is not None and self.max is not None:
            try:
                if self.min > self.max:  # type: ignore[operator]
                    raise ValueError(f"min {self.min!r} is above max {self.max!r}")
            except TypeError:
                raise ValueError("min and max must be of the same kind") from None
        return self


def interval(params: BetweenParams) -> str:
    left = "[" if params.inclusive in ("both", "left") else "("
    right = "]" if params.inclusive in ("both", "right") else ")"
    lo = "-inf" if params.min is None else show(params.min)
    hi = "inf" if params.max is None else show(params.max)
    return f"{left}{lo}, {hi}{right}"


_BOUND_KINDS: dict[ColumnType, tuple[type, ...]] = {
    ColumnType.INTEGER: (int, float),
    ColumnType.FLOAT: (int, float),
    ColumnType.STRING: (str,),
    ColumnType.DATE: (date,),
    ColumnType.DATETIME: (date,),  # datetime is a date subclass; a date means midnight
}

_BOUND_WORDS = {
    ColumnType.INTEGER: "numbers",
    ColumnType.FLOAT: "numbers",
    ColumnType.STRING: "text",
    ColumnType.DATE: "dates",
    ColumnType.DATETIME: "dates or timestamps",
}


def _check_bounds(params: BetweenParams, kind: ColumnType, ctx: RuleContext) -> None:
    accepted = _BOUND_KINDS[kind]
    for name, bound in (("min", params.min), ("max", params.max)):
        if bound is None:
            continue
        if isinstance(bound, bool) or not isinstance(bound, accepted):
            raise RuleError(
                f"between {name} {bound!r} cannot be compared with '{ctx.column}' "
                f"({ctx.dtype()}); its bounds must be {_BOUND_WORDS[kind]}"
            )


@register(
    "between",
    BetweenParams,
    scopes=COLUMN,
    summary="values lie in [min, max] (nulls pass; NaN and inf fail)",
)
def between(params: BetweenParams, ctx: RuleContext) -> RowCheck:
    kind = column_type(ctx.dtype())
    if kind in (ColumnType.BOOLEAN, ColumnType.CATEGORICAL, None):
        raise RuleError(
            f"between needs a number, date or string column; '{ctx.column}' is {ctx.dtype()}"
        )
    _check_bounds(params, kind, ctx)
    c = ctx.col()
    lo_closed = params.inclusive in ("both", "left")
    hi_closed = params.inclusive in ("both", "right")
    inside = None
    if params.min is not None:
        inside = (c >= params.min) if lo_closed else (c > params.min)
    if params.max is not None:
        upper = (c <= params.max) if hi_closed else (c < params.max)
        inside = upper if inside is None else inside & upper
    assert inside is not None
    fails = ~inside
    if ctx.dtype().is_float():  # a Decimal holds no NaN or infinity (and has no is_finite)
        fails = fails | ~c.is_finite()
    return RowCheck(fails, f"outside {interval(params)}", (ctx.column or "",))
