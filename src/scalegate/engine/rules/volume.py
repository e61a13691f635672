"""Volume rules: ``row_count {min, max}`` on the dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, model_validator

from scalegate.engine.rules.registry import (
    DATASET,
    AggregateCheck,
    Params,
    RuleContext,
    Verdict,
    register,
)


class RowCountParams(Params):
    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> RowCountParams:
        if self.min is None and self.max is None:
            raise ValueError("row_count needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


@register("row_count", RowCountParams, scopes=DATASET, summary="the row count lies in [min, max]")
def row_count(params: RowCountParams, ctx: RuleContext) -> AggregateCheck:
    lo, hi = params.min, params.max

    def judge(_: Mapping[str, Any], rows: int) -> Verdict:
        if lo is not None and rows < lo:
            return Verdict(False, f"{rows:,} rows; at least {lo:,} expected", total=rows)
        if hi is not None and rows > hi:
            return Verdict(False, f"{rows:,} rows; at most {hi:,} expected", total=rows)
        span = f"[{lo if lo is not None else 0:,}, {'inf' if hi is None else f'{hi:,}'}]"
        return Verdict(True, f"{rows:,} rows, within {span}", total=rows)

    return AggregateCheck({}, judge)
