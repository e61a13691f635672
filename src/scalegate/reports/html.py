"""A self-contained HTML report of one check run: verdict, rule results and the profile.

The page carries its CSS and its charts (inline SVG) and loads nothing from anywhere, so it
can be mailed, archived as evidence or printed. Rendering uses Jinja2 with autoescaping: a
column name, a reason or an example value is always text, never markup.

Example:
    >>> import polars as pl
    >>> from scalegate.engine.check import check, load_contract
    >>> c = load_contract("contract: c\\ncolumns:\\n  a:\\n    rules: [unique]\\n", "c.yaml")
    >>> page = render_check(check(pl.DataFrame({"a": [1, 2, 2]}), c))
    >>> "a.unique" in page and page.startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

import math
import os
import tempfile
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate.errors import ValidationError

if TYPE_CHECKING:
    from scalegate.engine.profile_model import ColumnProfile
    from scalegate.engine.results import CheckResult, RuleResult

#: quantiles shown per numeric column
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: bars of a numeric column's histogram
BINS = 24
#: most frequent values shown per string or boolean column
TOP = 8
#: chart size in CSS pixels
_WIDTH, _HEIGHT = 240, 64


class ReportError(ValidationError):
    """A report that cannot be written where asked."""

    code = "invalid_report"


# ------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass
class ColumnView:
    name: str
    dtype: str
    kind: str
    count: int
    nulls: int
    null_pct: str
    nan: int = 0
    infinities: int = 0
    stats: list[tuple[str, str]] = field(default_factory=list)
    quantiles: list[tuple[str, str]] = field(default_factory=list)
    distinct: str = ""
    top: list[tuple[str, str, float]] = field(default_factory=list)
    top_note: str = ""
    bars: list[Bar] = field(default_factory=list)
    axis: tuple[str, str] = ("", "")


def _num(value: Any) -> str:
    """A number as people read it: thousands separators, about four significant digits."""
    if value is None:
        return "\u2013"  # en dash
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        if 1e4 <= abs(value) < 1e12:
            return f"{value:,.0f}"
        if 1e-3 <= abs(value) < 1e4:
            return f"{value:.4g}"
        return f"{value:.3e}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _short(value: Any) -> str:
    """A number in at most about six characters (quantile cells): 13.5k, 2.41M."""
    if isinstance(value, float | int) and not isinstance(value, bool) and math.isfinite(value):
        for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")):
            if abs(value) >= size:
                return f"{value / size:.3g}{suffix}"
    return _num(value)


def _pct(fraction: float) -> str:
    p = fraction * 100
    if p == 0:
        return "0%"
    if p < 0.01:
        return "<0.01%"
    return f"{p:.3g}%"


def _example(value: Any) -> str:
    from scalegate.engine.results import plain

    shown = plain(value)
    if isinstance(shown, float):
        return f"{shown:.10g}"
    return repr(shown) if isinstance(shown, str) else str(shown)


def _histogram(col: ColumnProfile) -> tuple[list[Bar], tuple[str, str]]:
    """Equal-width bars between min and max, their mass read from the quantile sketch.

    The sketch's inverse CDF at 201 evenly spaced probabilities is inverted by linear
    interpolation, so each bar is within the sketch's relative error of the true count.
    """
    sketch = col.quantiles
    low, high = col.min, col.max
    if sketch is None or sketch.count == 0 or low is None or high is None:
        return [], ("", "")
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [], (_num(low), _num(high))
    probs = [i / 200 for i in range(201)]
    points = [float(v) for v in sketch.quantiles(probs) if v is not None]
    if len(points) != len(probs):
        return [], (_num(low), _num(high))
    points[0], points[-1] = low, high
    for i in range(1, len(points)):  # interpolation may wobble at the ends of buckets
        points[i] = max(points[i], points[i - 1])

    def cdf(x: float) -> float:
        i = bisect_left(points, x)
        if i <= 0:
            return 0.0
        if i >= len(points):
            return 1.0
        x0, x1 = points[i - 1], points[i]
        t = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
        return probs[i - 1] + t * (probs[i] - probs[i - 1])

    step = (high - low) / BINS
    edges = [low + i * step for i in range(BINS)] + [high]
    masses = [max(cdf(edges[i + 1]) - cdf(edges[i]), 0.0) for i in range(BINS)]
    top = max(masses) or 1.0
    n = sketch.count
    width = _WIDTH / BINS
    bars = []
    for i, mass in enumerate(masses):
        h = (_HEIGHT - 2) * mass / top
        bars.append(
            Bar(
                x=round(i * width + 0.5, 2),
                y=round(_HEIGHT - h, 2),
                width=round(width - 1, 2),
                height=round(h, 2),
                title=f"[{_num(edges[i])}, {_num(edges[i + 1])}): about {round(mass * n):,}",
            )
        )
    return bars, (_num(low), _num(high))


def _column(col: ColumnProfile, rows: int) -> ColumnView:
    from scalegate.engine.profile_model import NUMERIC

    view = ColumnView(
        name=col.name,
        dtype=col.dtype,
        kind=col.kind,
        count=col.count,
        nulls=col.nulls,
        null_pct=_pct(col.nulls / rows) if rows else "0%",
        nan=col.nan,
        infinities=col.infinities,
    )
    view.stats.extend([("min", _num(col.min)), ("max", _num(col.max))])
    if col.kind == NUMERIC:
        view.stats.extend([("mean", _num(col.mean)), ("std", _num(col.std()))])
        view.quantiles.extend((f"p{round(q * 100)}", _short(col.quantile(q))) for q in QUANTILES)
        bars, axis = _histogram(col)
        view.bars.extend(bars)
        view.axis = axis
    if col.min_length is not None:
        view.stats.append(("length", f"{col.min_length:,} to {col.max_length:,}"))
    if col.distinct is not None and col.distinct_count is not None:
        exact = col.distinct.exact is not None
        view.distinct = f"{col.distinct_count:,}" + ("" if exact else " (estimate)")
    if col.top is not None:
        top = col.top_values(TOP)
        most = max((n for _, n in top), default=0) or 1
        view.top.extend((value, f"{n:,}", round(100 * n / most, 1)) for value, n in top)
        if col.top.error:
            view.top_note = f"counts are lower bounds, each at most {col.top.error:,} low"
    return view


def _rule(r: RuleResult) -> dict[str, Any]:
    return {
        "id": r.id,
        "rule": r.rule,
        "column": r.column or "",
        "severity": r.severity.value,
        "status": r.status.value,
        "failing": f"{r.failing:,}" if r.failing else "",
        "fraction": _pct(r.fraction) if r.failing else "",
        "threshold": "" if r.threshold >= 1 else _pct(r.threshold),
        "reason": r.reason,
        "examples": [_example(v) for v in r.examples[:5]],
    }


def render_check(result: CheckResult, *, title: str | None = None) -> str:
    """The HTML page of one check run (a complete, self-contained document)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scalegate.reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    counts = {s: 0 for s in ("pass", "fail", "skipped", "error")}
    for r in result.results:
        counts[r.status.value] += 1
    seconds = (result.finished - result.started).total_seconds()
    profile = result.profile
    columns = [] if profile is None else [_column(c, profile.row_count) for c in profile]
    return env.get_template("check.html.j2").render(
        title=title or f"{result.contract} v{result.version}: {result.source}",
        r=result,
        verdict="PASSES" if result.passed else "FAILS",
        counts=counts,
        failed=len(result.failed),
        warnings=len(result.warnings),
        started=result.started.strftime("%Y-%m-%d %H:%M:%S"),
        seconds=f"{seconds:.2f}",
        rules=[_rule(r) for r in result.results],
        columns=columns,
        width=_WIDTH,
        height=_HEIGHT,
    )


# ------------------------------------------------------------------------- writing


def ensure_writable(path: Path, *, error: type[ValidationError] = ReportError) -> None:
    """Raise ``error`` now, before any work, if ``path`` cannot be written.

    Creates and removes a temporary file next to ``path``: the only test that also holds
    for read-only mounts, full quotas and permissions of other users.
    """
    if path.is_dir():
        raise error(f"{path}: is a directory, expected a file name", source=str(path))
    parent = path.parent
    if not parent.is_dir():
        raise error(f"{path}: folder {parent} does not exist", source=str(path))
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise error(f"{path}: cannot write: {exc.strerror}", source=str(path)) from None
    os.close(fd)
    os.unlink(probe)


def write(path: Path, text: str, *, error: type[ValidationError] = ReportError) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file, then a rename.

    Any generated document is written this way (``contract import/infer -o`` too); a
    failure raises ``error`` and leaves an existing file as it was.
    """
    ensure_writable(path, error=error)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would have made it
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise error(f"{path}: cannot write: {exc.strerror}", source=str(path)) from None
