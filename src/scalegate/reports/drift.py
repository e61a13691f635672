"""A self-contained HTML page of one drift report: status, per-column verdicts, the shares of
each bin on both sides (inline SVG) and the multivariate signal.

Like the check report (:mod:`.html`) it loads nothing from anywhere, autoescapes every name
and value, and is written atomically with :func:`.html.write`.

Example:
    >>> import polars as pl
    >>> from scalegate.engine.drift import drift
    >>> page = render_drift(drift(pl.DataFrame({"a": [1.0, 2.0]}), pl.DataFrame({"a": [3.0]})))
    >>> page.startswith("<!DOCTYPE html>") and "wasserstein" in page
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalegate.engine.drift import ColumnDrift, DriftReport

#: chart size in CSS pixels
_WIDTH, _HEIGHT = 300, 70


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    current: bool
    title: str


@dataclass(frozen=True)
class ColumnRow:
    name: str
    kind: str
    role: str
    method: str
    value: str
    threshold: str
    verdict: str
    reason: str
    statistics: list[tuple[str, str]]
    bars: list[Bar]


def _num(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.3g}"
    return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"


def _bars(column: ColumnDrift) -> list[Bar]:
    if not column.bins:
        return []
    top = max(max(r, c) for _, r, c in column.bins) or 1.0
    slot = _WIDTH / len(column.bins)
    width = max(slot / 2 - 1, 0.5)
    out = []
    for i, (label, ref, cur) in enumerate(column.bins):
        for j, (share, is_current) in enumerate(((ref, False), (cur, True))):
            height = share / top * (_HEIGHT - 2)
            side = "current" if is_current else "reference"
            out.append(
                Bar(
                    x=i * slot + j * (width + 1),
                    y=_HEIGHT - height,
                    width=width,
                    height=height,
                    current=is_current,
                    title=f"{label}: {side} {share:.1%}",
                )
            )
    return out


def _row(column: ColumnDrift) -> ColumnRow:
    verdict = "skipped" if column.value is None else "drift" if column.drifted else "ok"
    return ColumnRow(
        name=column.name,
        kind=column.kind,
        role=column.role,
        method=column.method or "-",
        value=_num(column.value),
        threshold=_num(column.threshold),
        verdict=verdict,
        reason=column.reason or "",
        statistics=[(k, _num(v)) for k, v in column.statistics.items()],
        bars=_bars(column),
    )


def render_drift(
    report: DriftReport,
    *,
    reference: str = "reference",
    current: str = "current",
    title: str | None = None,
) -> str:
    """The HTML page of one drift report (a complete, self-contained document)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scalegate.reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    multi = report.multivariate
    return env.get_template("drift.html.j2").render(
        title=title or f"Drift: {current} against {reference}",
        reference=reference,
        current=current,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        report=report,
        rows=[_row(c) for c in report.columns],
        multi={
            "value": _num(multi.value),
            "lower": _num(multi.lower),
            "upper": _num(multi.upper),
            "reference_mean": _num(multi.reference_mean),
            "components": multi.components,
            "columns": ", ".join(multi.columns),
            "variance": "-"
            if multi.variance_explained is None
            else f"{multi.variance_explained:.0%}",
            "verdict": "drift" if multi.drifted else ("skipped" if multi.value is None else "ok"),
            "reason": multi.reason or "",
        },
        width=_WIDTH,
        height=_HEIGHT,
    )
