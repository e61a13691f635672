"""Realised model performance (labels known), overall, per time window and per segment.

Everything is aggregated inside the input's engine through Narwhals; only a few rows per
group come back (confusion counts, sums, ten calibration bins).

Rows and skips: a row enters the metrics when its label, prediction and score (those that
are used) are all present: not null and, for float columns, not NaN or infinite. Other rows
are skipped and counted per reason (``missing_label``, ``missing_prediction``,
``missing_score``; a row missing several is counted under the first).

Binary classification (labels and predictions 0/1 or true/false; 1 is the positive class):

- accuracy, precision, recall, F1 from the confusion counts; with ``score`` and no
  ``prediction`` a row is predicted positive when ``score >= threshold``;
- ROC AUC from the rank sum of the positives (Mann-Whitney U, ties get average ranks);
- log loss with scores clipped to ``[eps, 1 - eps]`` (float64 machine epsilon, as
  scikit-learn), Brier score (mean squared difference of score and label);
- expected calibration error (``calibration_error``, ECE): 10 equal-width bins of the
  score over [0, 1] (the first bin holds 0, each bin holds its upper edge), sum over bins of
  ``n_bin / n * |mean score - positive rate|``.

Multiclass (``multiclass=True``): accuracy and macro-averaged precision, recall and F1 over
every class seen in labels or predictions; a class never predicted (or never seen as a label)
counts 0 for its precision (recall), as scikit-learn's ``zero_division=0``.

Regression: MAE, RMSE, MAPE (as a fraction: 0.05 is 5 %; rows whose actual value is 0 are
left out of MAPE and counted as ``mape_zero_actuals``), R² (``1 - SSE / SST``).

A metric that is undefined for a group is None with a reason (ROC AUC with one class present,
precision with no predicted positive, R² with constant actuals...); NaN never appears.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import narwhals as nw

from scalegate.engine.frames import Source, read_error, to_lazy
from scalegate.engine.windows import (
    ColumnError,
    Period,
    check_window,
    is_number,
    require,
    segments_of,
    usable,
)
from scalegate.errors import ValidationError

BINARY_METRICS = ("accuracy", "precision", "recall", "f1")
SCORE_METRICS = ("roc_auc", "log_loss", "brier", "calibration_error")
MULTICLASS_METRICS = ("accuracy", "macro_precision", "macro_recall", "macro_f1")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")
#: equal-width bins of the expected calibration error
ECE_BINS = 10
_EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log loss

# internal column names inside the queries
_Y, _P, _S, _W, _ALL = "__y", "__p", "__s", "__w", "__all"


@dataclass(frozen=True)
class GroupPerformance:
    """The metrics of one group of rows (the whole data, a window, a segment or both).

    ``metrics`` maps each metric name to its value, or None when undefined; ``reasons`` says
    why for each None. ``rows`` counts the group's rows, ``used`` those that entered the
    metrics, ``skipped`` the others by reason; ``counts`` holds the raw counts behind the
    metrics (binary: tp, fp, fn, tn; regression: mape_zero_actuals).
    """

    rows: int
    used: int
    skipped: dict[str, int]
    metrics: dict[str, float | None]
    reasons: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    window_start: datetime | date | None = None
    window_end: datetime | date | None = None
    segment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: dates as ISO strings, no NaN (undefined metrics are null)."""
        out: dict[str, Any] = {}
        if self.window_start is not None:
            out["window_start"] = self.window_start.isoformat()
            out["window_end"] = self.window_end.isoformat() if self.window_end else None
        if self.segment:
            out["segment"] = {k: _json_value(v) for k, v in self.segment.items()}
        out.update(
            rows=self.rows,
            used=self.used,
            skipped=dict(self.skipped),
            metrics=dict(self.metrics),
            reasons=dict(self.reasons),
            counts=dict(self.counts),
        )
        return out


@dataclass(frozen=True)
class PerformanceReport:
    """Realised performance: one result for all rows, plus one per window and/or segment.

    ``task`` is ``binary``, ``multiclass`` or ``regression``. ``groups`` is empty unless a
    window or segment was asked for; it is sorted by window start, then segment values.
    Rows with no timestamp enter ``overall`` but no window (``unassigned_rows``).
    """

    task: str
    columns: dict[str, Any]
    overall: GroupPerformance
    groups: tuple[GroupPerformance, ...] = ()
    window: str | None = None
    threshold: float | None = None
    unassigned_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (see the README for the layout); never NaN."""
        return {
            "task": self.task,
            "columns": dict(self.columns),
            "window": self.window,
            "threshold": self.threshold,
            "calibration_bins": ECE_BINS if self.task == "binary" else None,
            "unassigned_rows": self.unassigned_rows,
            "overall": self.overall.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class _Plan:
    """What one call computes: the prepared frame and the columns' roles."""

    frame: nw.LazyFrame[Any]
    source: Source
    keys: list[str]  # internal key columns of the groups (segments renamed __g0...)
    segment_names: dict[str, str]  # internal -> user column name
    period: Period | None
    checks: list[tuple[str, nw.Expr]]  # skip reason -> "value present" expression


def _prepare(
    data: Any,
    columns: dict[str, str | None],
    *,
    window: str | None,
    timestamp: str | None,
    segment: str | Sequence[str] | None,
) -> tuple[nw.LazyFrame[Any], Source, dict[str, Any], Period | None, tuple[str, ...]]:
    frame, source = to_lazy(data)
    try:
        schema = dict(frame.collect_schema())
    except Exception as exc:
        raise read_error(source, exc) from None
    segments = segments_of(segment)
    require(schema, columns, source.description)
    for name in segments:
        require(schema, {"segment": name}, source.description)
    period = check_window(schema, window, timestamp, source.description)
    return frame, source, schema, period, segments


def _plan(
    frame: nw.LazyFrame[Any],
    source: Source,
    schema: dict[str, Any],
    roles: dict[str, str],
    *,
    period: Period | None,
    timestamp: str | None,
    segments: tuple[str, ...],
    derived: dict[str, nw.Expr] | None = None,
) -> _Plan:
    """Select and rename the needed columns: roles are internal name -> user column."""
    exprs = [nw.col(user).alias(internal) for internal, user in roles.items()]
    checks = []
    reason = {_Y: "missing_label", _P: "missing_prediction", _S: "missing_score"}
    for internal, user in roles.items():
        checks.append((reason[internal], usable(nw.col(internal), schema[user])))
    keys: list[str] = []
    names: dict[str, str] = {}
    if period is not None and timestamp is not None:
        exprs.append(period.start(nw.col(timestamp)).alias(_W))
        keys.append(_W)
    for i, name in enumerate(segments):
        exprs.append(nw.col(name).alias(f"__g{i}"))
        keys.append(f"__g{i}")
        names[f"__g{i}"] = name
    exprs.append(nw.lit(0).alias(_ALL))
    prepared = frame.select(exprs)
    if derived:
        prepared = prepared.with_columns([e.alias(k) for k, e in derived.items()])
    return _Plan(prepared, source, keys, names, period, checks)


def _collect(plan: _Plan, query: nw.LazyFrame[Any]) -> list[dict[str, Any]]:
    """Run a (small-result) query in the input's engine and return its rows."""
    try:
        result = query.collect()
    except Exception as exc:
        raise read_error(plan.source, exc, doing="compute metrics on") from None
    return list(result.rows(named=True))


def _used(plan: _Plan) -> nw.Expr:
    expr = nw.lit(True)
    for _, present in plan.checks:
        expr = expr & present
    return expr


def _tally(condition: nw.Expr) -> nw.Expr:
    return condition.cast(nw.Int64).sum()


def _row_counts(plan: _Plan, keys: list[str]) -> dict[tuple[Any, ...], dict[str, int]]:
    """Per group: rows, used rows, and skips by their first reason."""
    aggs = [nw.len().alias("rows")]
    earlier: nw.Expr = nw.lit(True)
    for i, (_, present) in enumerate(plan.checks):
        aggs.append(_tally(earlier & ~present).alias(f"skip{i}"))
        earlier = earlier & present
    aggs.append(_tally(earlier).alias("used"))
    rows = _collect(plan, plan.frame.group_by(*keys, _ALL).agg(aggs))
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in rows:
        counts = {"rows": int(row["rows"]), "used": int(row["used"] or 0)}
        for i, (reason, _) in enumerate(plan.checks):
            counts[reason] = int(row[f"skip{i}"] or 0)
        out[tuple(row[k] for k in keys)] = counts
    return out


def _finish(
    plan: _Plan,
    keys: list[str],
    counts: dict[tuple[Any, ...], dict[str, int]],
    computed: dict[tuple[Any, ...], tuple[dict[str, float | None], dict[str, str], dict[str, int]]],
    metric_names: Sequence[str],
) -> list[GroupPerformance]:
    groups = []
    for key, c in counts.items():
        metrics, reasons, raw = computed.get(key, ({}, {}, {}))
        if c["used"] == 0:
            metrics = dict.fromkeys(metric_names)
            reasons = dict.fromkeys(metric_names, "no rows with label and prediction")
        metrics, reasons = _finite(metrics, reasons)
        skipped = {r: c[r] for r, _ in plan.checks if c[r]}
        start = None
        segment: dict[str, Any] = {}
        for k, value in zip(keys, key, strict=True):
            if k == _W:
                start = value
            else:
                segment[plan.segment_names[k]] = value
        end = plan.period.end(start) if plan.period is not None and start is not None else None
        groups.append(
            GroupPerformance(
                rows=c["rows"],
                used=c["used"],
                skipped=skipped,
                metrics={m: metrics.get(m) for m in metric_names},
                reasons=reasons,
                counts=raw,
                window_start=start,
                window_end=end,
                segment=segment,
            )
        )
    return groups


def _finite(
    metrics: dict[str, float | None], reasons: dict[str, str]
) -> tuple[dict[str, float | None], dict[str, str]]:
    out: dict[str, float | None] = {}
    reasons = dict(reasons)
    for name, value in metrics.items():
        if value is not None and not math.isfinite(value):
            out[name] = None
            reasons.setdefault(name, "not a finite number")
        else:
            out[name] = None if value is None else float(value)
    return out, reasons


def _sort_key(group: GroupPerformance) -> tuple[Any, ...]:
    start = group.window_start
    return (
        start is None,
        start.isoformat() if start is not None else "",
        tuple((v is None, str(v)) for v in group.segment.values()),
    )


def _run(
    plan: _Plan,
    compute: Any,
    metric_names: Sequence[str],
) -> tuple[GroupPerformance, tuple[GroupPerformance, ...], int]:
    overall_counts = _row_counts(plan, []) or {
        (): {"rows": 0, "used": 0, **{reason: 0 for reason, _ in plan.checks}}
    }
    overall = _finish(plan, [], overall_counts, compute(plan, []), metric_names)[0]
    if not plan.keys:
        return overall, (), 0
    frame = plan.frame
    unassigned = 0
    if _W in plan.keys:
        unassigned_rows = _collect(plan, frame.select(_tally(nw.col(_W).is_null()).alias("n")))
        unassigned = int(unassigned_rows[0]["n"] or 0)
        plan = _Plan(
            frame.filter(~nw.col(_W).is_null()),
            plan.source,
            plan.keys,
            plan.segment_names,
            plan.period,
            plan.checks,
        )
    counts = _row_counts(plan, plan.keys)
    groups = _finish(plan, plan.keys, counts, compute(plan, plan.keys), metric_names)
    return overall, tuple(sorted(groups, key=_sort_key)), unassigned


# --- classification -----------------------------------------------------------------------


def _binary_values(
    plan: _Plan, label: str, prediction: str | None, rows: list[dict[str, Any]]
) -> None:
    """Every label and prediction is 0/1 or true/false; else a ColumnError naming them."""
    for internal, name, role in ((_Y, label, "label"), (_P, prediction, "prediction")):
        if name is None:
            continue
        bad = sorted(
            {row[internal] for row in rows if row[internal] not in (0, 1)},
            key=str,
        )
        if bad:
            shown = ", ".join(repr(v) for v in bad[:5])
            raise ColumnError.wrong(
                name,
                role,
                f"holds {shown}; binary metrics need 0/1 or true/false "
                "(pass multiclass=True for more classes)",
                plan.source.description,
            )


def _binary_compute(
    label: str, prediction: str | None, has_score: bool
) -> Any:  # returns the per-group compute function
    def compute(
        plan: _Plan, keys: list[str]
    ) -> dict[tuple[Any, ...], tuple[dict[str, float | None], dict[str, str], dict[str, int]]]:
        used = plan.frame.filter(_used(plan))
        confusion = _collect(plan, used.group_by(*keys, _Y, _P).agg(nw.len().alias("n")))
        _binary_values(plan, label, prediction, confusion)
        cm: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
            lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
        )
        for row in confusion:
            y, p = int(row[_Y]), int(row[_P])
            cell = {(1, 1): "tp", (0, 1): "fp", (1, 0): "fn", (0, 0): "tn"}[(y, p)]
            cm[tuple(row[k] for k in keys)][cell] += int(row["n"])
        scores = _score_sums(plan, used, keys) if has_score else {}
        out = {}
        for key, c in cm.items():
            metrics, reasons = _from_confusion(c)
            if has_score:
                m2, r2 = _from_scores(scores[key], c)
                metrics.update(m2)
                reasons.update(r2)
            out[key] = (metrics, reasons, dict(c))
        return out

    return compute


def _from_confusion(c: dict[str, int]) -> tuple[dict[str, float | None], dict[str, str]]:
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    n = tp + fp + fn + tn
    metrics: dict[str, float | None] = {"accuracy": (tp + tn) / n if n else None}
    reasons: dict[str, str] = {}
    if tp + fp:
        metrics["precision"] = tp / (tp + fp)
    else:
        metrics["precision"] = None
        reasons["precision"] = "no row is predicted positive"
    if tp + fn:
        metrics["recall"] = tp / (tp + fn)
    else:
        metrics["recall"] = None
        reasons["recall"] = "no row has a positive label"
    if 2 * tp + fp + fn:
        metrics["f1"] = 2 * tp / (2 * tp + fp + fn)
    else:
        metrics["f1"] = None
        reasons["f1"] = "no positive label and no positive prediction"
    return metrics, reasons


def _score_sums(
    plan: _Plan, used: nw.LazyFrame[Any], keys: list[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per group: sums behind ROC AUC, log loss, Brier score and the ECE bins."""
    y = nw.col(_Y).cast(nw.Float64)
    s = nw.col(_S).cast(nw.Float64)
    clipped = nw.when(s < _EPS).then(_EPS).when(s > 1 - _EPS).then(1 - _EPS).otherwise(s)
    ranked = used.with_columns(
        nw.col(_S).rank("average").over(*keys, _ALL).alias("__rank"),
        y.alias("__yf"),
        s.alias("__sf"),
    )
    yf, sf = nw.col("__yf"), nw.col("__sf")
    sums = ranked.group_by(*keys, _ALL).agg(
        nw.len().alias("n"),
        yf.sum().alias("pos"),
        (nw.col("__rank") * yf).sum().alias("rank_pos"),
        sf.min().alias("smin"),
        sf.max().alias("smax"),
        ((sf - yf) ** 2).sum().alias("brier"),
        -(yf * clipped.log() + (1 - yf) * (1 - clipped).log()).sum().alias("logloss"),
    )
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in _collect(plan, sums):
        row["bins"] = []
        out[tuple(row[k] for k in keys)] = row
    # the bin of a score: how many inner edges lie strictly below it (scikit-learn's
    # calibration_curve: searchsorted of the edges, side="left")
    edges = _linspace_edges()
    bin_expr = nw.lit(0, dtype=nw.Int64)
    for e in edges:
        bin_expr = bin_expr + (sf > e).cast(nw.Int64)
    binned = (
        used.with_columns(y.alias("__yf"), s.alias("__sf"))
        .with_columns(bin_expr.alias("__bin"))
        .group_by(*keys, _ALL, "__bin")
        .agg(nw.len().alias("n"), sf.sum().alias("s"), yf.sum().alias("y"))
    )
    for row in _collect(plan, binned):
        out[tuple(row[k] for k in keys)]["bins"].append((row["n"], row["s"], row["y"]))
    return out


def _linspace_edges() -> list[float]:
    """The inner bin edges exactly as ``numpy.linspace(0, 1, ECE_BINS + 1)[1:-1]``."""
    step = 1.0 / ECE_BINS
    return [i * step for i in range(1, ECE_BINS)]


def _from_scores(
    sums: dict[str, Any], c: dict[str, int]
) -> tuple[dict[str, float | None], dict[str, str]]:
    n = int(sums["n"])
    pos = round(float(sums["pos"]))
    neg = n - pos
    metrics: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    if pos and neg:
        u = float(sums["rank_pos"]) - pos * (pos + 1) / 2
        metrics["roc_auc"] = u / (pos * neg)
    else:
        metrics["roc_auc"] = None
        reasons["roc_auc"] = f"only one class ({1 if pos else 0}) among the labels"
    smin, smax = float(sums["smin"]), float(sums["smax"])
    if smin < 0 or smax > 1:
        why = f"scores range from {smin:g} to {smax:g}; probabilities lie in [0, 1]"
        for name in ("log_loss", "brier", "calibration_error"):
            metrics[name] = None
            reasons[name] = why
        return metrics, reasons
    metrics["log_loss"] = float(sums["logloss"]) / n
    metrics["brier"] = float(sums["brier"]) / n
    metrics["calibration_error"] = sum(abs(float(s) - float(y)) for _, s, y in sums["bins"]) / n
    return metrics, reasons


def _multiclass_compute(label: str, prediction: str) -> Any:
    def compute(
        plan: _Plan, keys: list[str]
    ) -> dict[tuple[Any, ...], tuple[dict[str, float | None], dict[str, str], dict[str, int]]]:
        used = plan.frame.filter(_used(plan))
        rows = _collect(plan, used.group_by(*keys, _Y, _P).agg(nw.len().alias("n")))
        cells: dict[tuple[Any, ...], list[tuple[Any, Any, int]]] = defaultdict(list)
        for row in rows:
            cells[tuple(row[k] for k in keys)].append((row[_Y], row[_P], int(row["n"])))
        out: dict[tuple[Any, ...], Any] = {}
        for key, table in cells.items():
            classes = {y for y, _, _ in table} | {p for _, p, _ in table}
            tp = dict.fromkeys(classes, 0)
            actual = dict.fromkeys(classes, 0)
            predicted = dict.fromkeys(classes, 0)
            n = 0
            for y, p, k in table:
                n += k
                actual[y] += k
                predicted[p] += k
                if y == p:
                    tp[y] += k
            precision = [tp[c] / predicted[c] if predicted[c] else 0.0 for c in classes]
            recall = [tp[c] / actual[c] if actual[c] else 0.0 for c in classes]
            f1 = [2 * tp[c] / (actual[c] + predicted[c]) for c in classes]
            k = len(classes)
            metrics: dict[str, float | None] = {
                "accuracy": sum(tp.values()) / n,
                "macro_precision": sum(precision) / k,
                "macro_recall": sum(recall) / k,
                "macro_f1": sum(f1) / k,
            }
            out[key] = (metrics, {}, {"classes": k})
        return out

    return compute


def classification_metrics(
    data: Any,
    *,
    label: str,
    prediction: str | None = None,
    score: str | None = None,
    threshold: float = 0.5,
    multiclass: bool = False,
    window: str | None = None,
    timestamp: str | None = None,
    segment: str | Sequence[str] | None = None,
) -> PerformanceReport:
    """Realised classification performance of ``data`` (a path or any dataframe).

    Binary by default: ``label`` and ``prediction`` hold 0/1 or true/false, ``score`` the
    predicted probability of class 1. Give ``prediction``, ``score`` or both; with only a
    score, a row is predicted positive when ``score >= threshold``. With ``multiclass=True``
    labels and predictions may hold any values; accuracy and macro precision, recall and F1
    are computed (scores are not used).

    ``window`` (``"1h"``, ``"1d"``, ``"1w"``, ``"1mo"``, ``"1q"``, ``"1y"``...) with
    ``timestamp`` and/or ``segment`` (one column or several) add one result per group.

    Guarantees: metrics match scikit-learn on the same rows; undefined metrics are None with
    a reason, never NaN. Raises ColumnError (a ValidationError) when a column is missing,
    has the wrong type or, for binary metrics, holds values other than 0/1.

    Example:
        >>> import polars as pl
        >>> df = pl.DataFrame({"y": [1, 0, 1, 1], "p": [0.9, 0.2, 0.4, 0.8]})
        >>> classification_metrics(df, label="y", score="p").overall.metrics["accuracy"]
        0.75
    """
    if prediction is None and score is None:
        raise ValidationError(
            "give a prediction column, a score column or both", field="prediction"
        )
    if multiclass and prediction is None:
        raise ValidationError(
            "multiclass metrics need a prediction column (scores are not used)",
            field="prediction",
        )
    if not 0 <= threshold <= 1 and not multiclass:
        raise ValidationError(f"threshold {threshold}: must lie in [0, 1]", field="threshold")
    roles = {"label": label, "prediction": prediction}
    if not multiclass:
        roles["score"] = score
    frame, source, schema, period, segments = _prepare(
        data, roles, window=window, timestamp=timestamp, segment=segment
    )
    where = source.description
    if not multiclass:
        for role, name in (("label", label), ("prediction", prediction)):
            if name is not None:
                dtype = schema[name]
                if not (is_number(dtype) or dtype == nw.Boolean):
                    raise ColumnError.wrong(
                        name,
                        role,
                        f"is {dtype}; binary metrics need 0/1 or true/false "
                        "(pass multiclass=True for other class values)",
                        where,
                    )
        if score is not None and not is_number(schema[score]):
            raise ColumnError.wrong(score, "score", f"is {schema[score]}, not numbers", where)
    internal = {_Y: label}
    derived = None
    if prediction is not None:
        internal[_P] = prediction
    if score is not None and not multiclass:
        internal[_S] = score
        if prediction is None:
            derived = {_P: (nw.col(_S) >= threshold).cast(nw.Int64)}
    plan = _plan(
        frame,
        source,
        schema,
        internal,
        period=period,
        timestamp=timestamp,
        segments=segments,
        derived=derived,
    )
    if multiclass:
        assert prediction is not None
        names: tuple[str, ...] = MULTICLASS_METRICS
        compute = _multiclass_compute(label, prediction)
    else:
        plan.frame = plan.frame.with_columns(
            nw.col(_Y).cast(nw.Float64).alias(_Y),
            nw.col(_P).cast(nw.Float64).alias(_P),
        )
        names = BINARY_METRICS + (SCORE_METRICS if score is not None else ())
        compute = _binary_compute(label, prediction, score is not None)
    overall, groups, unassigned = _run(plan, compute, names)
    task = "multiclass" if multiclass else "binary"
    return PerformanceReport(
        task=task,
        columns={
            "label": label,
            "prediction": prediction,
            "score": score if not multiclass else None,
            "timestamp": timestamp,
            "segment": list(segments),
        },
        overall=overall,
        groups=groups,
        window=str(period) if period is not None else None,
        threshold=threshold if (score is not None and prediction is None) else None,
        unassigned_rows=unassigned,
    )


# --- regression ---------------------------------------------------------------------------


def _regression_compute(
    plan: _Plan, keys: list[str]
) -> dict[tuple[Any, ...], tuple[dict[str, float | None], dict[str, str], dict[str, int]]]:
    used = plan.frame.filter(_used(plan)).with_columns(
        nw.col(_Y).cast(nw.Float64).alias(_Y), nw.col(_P).cast(nw.Float64).alias(_P)
    )
    y, p = nw.col(_Y), nw.col(_P)
    err = (y - p).abs()
    nonzero = y != 0
    sums = used.group_by(*keys, _ALL).agg(
        nw.len().alias("n"),
        err.sum().alias("abs"),
        (err**2).sum().alias("sq"),
        _tally(nonzero).alias("nonzero"),
        nw.when(nonzero).then(err / y.abs()).otherwise(0.0).sum().alias("ape"),
        y.var(ddof=0).alias("var"),
        y.min().alias("ymin"),
        y.max().alias("ymax"),
    )
    out = {}
    for row in _collect(plan, sums):
        n = int(row["n"])
        zeros = n - int(row["nonzero"])
        metrics: dict[str, float | None] = {
            "mae": float(row["abs"]) / n,
            "rmse": math.sqrt(float(row["sq"]) / n),
        }
        reasons: dict[str, str] = {}
        if row["nonzero"]:
            metrics["mape"] = float(row["ape"]) / int(row["nonzero"])
        else:
            metrics["mape"] = None
            reasons["mape"] = "every actual value is 0 (MAPE leaves those rows out)"
        if n < 2:
            metrics["r2"] = None
            reasons["r2"] = "needs at least 2 rows"
        elif row["ymin"] == row["ymax"]:
            metrics["r2"] = None
            reasons["r2"] = "the actual values are all equal (no variance to explain)"
        else:
            metrics["r2"] = 1 - float(row["sq"]) / (n * float(row["var"]))
        out[tuple(row[k] for k in keys)] = (metrics, reasons, {"mape_zero_actuals": zeros})
    return out


def regression_metrics(
    data: Any,
    *,
    label: str,
    prediction: str,
    window: str | None = None,
    timestamp: str | None = None,
    segment: str | Sequence[str] | None = None,
) -> PerformanceReport:
    """Realised regression performance: MAE, RMSE, MAPE and R², overall and per group.

    ``label`` holds the actual values, ``prediction`` the predicted ones (both numeric).
    MAPE is a fraction (0.05 = 5 %) over the rows whose actual value is not 0; the others
    are counted in ``counts["mape_zero_actuals"]``. Windows and segments as in
    :func:`classification_metrics`. Guarantees: values match scikit-learn on the same rows
    (MAPE on the rows with a non-zero actual); undefined metrics are None with a reason.

    Example:
        >>> import polars as pl
        >>> df = pl.DataFrame({"y": [1.0, 2.0, 4.0], "yhat": [1.0, 3.0, 4.0]})
        >>> regression_metrics(df, label="y", prediction="yhat").overall.metrics["mae"]
        0.3333333333333333
    """
    frame, source, schema, period, segments = _prepare(
        data,
        {"label": label, "prediction": prediction},
        window=window,
        timestamp=timestamp,
        segment=segment,
    )
    for role, name in (("label", label), ("prediction", prediction)):
        if not is_number(schema[name]):
            raise ColumnError.wrong(
                name, role, f"is {schema[name]}; regression needs numbers", source.description
            )
    plan = _plan(
        frame,
        source,
        schema,
        {_Y: label, _P: prediction},
        period=period,
        timestamp=timestamp,
        segments=segments,
    )
    overall, groups, unassigned = _run(plan, _regression_compute, REGRESSION_METRICS)
    return PerformanceReport(
        task="regression",
        columns={
            "label": label,
            "prediction": prediction,
            "score": None,
            "timestamp": timestamp,
            "segment": list(segments),
        },
        overall=overall,
        groups=groups,
        window=str(period) if period is not None else None,
        unassigned_rows=unassigned,
    )
