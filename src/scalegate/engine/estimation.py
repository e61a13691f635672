"""Performance of a binary classifier estimated without labels: confidence-based performance
estimation (CBPE), the method of NannyML's ``CBPE``.

**Fit** on a labelled reference set (scores, predicted labels, true labels):

1. Calibration. The scores are mapped to calibrated probabilities by isotonic regression
   (``scipy.optimize.isotonic_regression`` on the mean label of each distinct score, weighted
   by its count; between knots the map is linear and it is clipped at both ends, as
   scikit-learn's ``IsotonicRegression(out_of_bounds="clip")`` that NannyML uses). As in
   NannyML the calibration is only kept when it helps: not when the reference holds one class
   or its ROC AUC exceeds 0.999, otherwise when the expected calibration error (10 bins of
   equal count) of out-of-fold calibrated scores is lower than that of the raw scores. Our
   folds are 10 stratified folds from a fixed seed (NannyML: 10 stratified shuffle splits of
   10 %), so on borderline data the two may decide differently; ``calibrate=True/False``
   forces the choice.
2. Sampling error components per metric (NannyML's formulas): the standard deviation of
   the per-row contribution to the metric on the reference and the fraction of rows that
   contribute. On ``n`` rows the sampling error is ``std / sqrt(n * fraction)``.

**Estimate** on a batch with scores (and predicted labels) but no labels: with calibrated
probability ``c`` of each row, the expected confusion matrix is ``TP = sum(c | pred 1)``,
``FP = sum(1 - c | pred 1)``, ``FN = sum(c | pred 0)``, ``TN = sum(1 - c | pred 0)``; from it
accuracy, precision, recall and F1. ROC AUC is estimated as NannyML does: rows sorted by raw
score, each row counting ``c`` as a positive and ``1 - c`` as a negative, area under that
expected ROC curve. Each estimate carries a band ``estimate ± 3 x sampling error`` clipped to
[0, 1].

The fitted :class:`CBPE` is plain data and serialises to small JSON (``to_dict`` /
``from_dict``): the calibration knots, the sampling error components and the reference's
realised metrics.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import narwhals as nw

from scalegate.engine.frames import read_error, to_lazy
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

if TYPE_CHECKING:
    import numpy as np

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
#: the band is the estimate plus and minus this many sampling errors (NannyML's range)
SIGMAS = 3
#: bins of equal count of the calibration check (NannyML's default)
CHECK_BINS = 10
CHECK_FOLDS = 10
CHECK_SEED = 42
FORMAT = "scalegate.cbpe/1"


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing piecewise-linear map from scores to probabilities (clipped at ends)."""

    knots_x: tuple[float, ...]
    knots_y: tuple[float, ...]

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of ``scores`` (an array of floats)."""
        import numpy as np

        out: np.ndarray = np.interp(scores, np.asarray(self.knots_x), np.asarray(self.knots_y))
        return out


def fit_isotonic(scores: np.ndarray, labels: np.ndarray) -> Calibration:
    """Isotonic regression of 0/1 ``labels`` on ``scores``, kept as its knots.

    Equal scores are pooled first (mean label, weighted by count). Only the ends of each
    plateau are kept, which changes no prediction and keeps the JSON small.
    """
    import numpy as np
    from scipy.optimize import isotonic_regression

    order = np.argsort(scores, kind="stable")
    s, y = scores[order], labels[order].astype(float)
    xs, starts, counts = np.unique(s, return_index=True, return_counts=True)
    means = np.add.reduceat(y, starts) / counts
    fitted = isotonic_regression(means, weights=counts.astype(float), increasing=True).x
    if len(fitted) > 2:
        inner = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
        keep = np.concatenate([[True], inner, [True]])
        xs, fitted = xs[keep], fitted[keep]
    return Calibration(tuple(float(v) for v in xs), tuple(float(v) for v in fitted))


def _equal_count_ece(labels: np.ndarray, probs: np.ndarray, bins: int) -> float:
    """ECE over ``bins`` bins of equal count of the sorted probabilities (NannyML's check)."""
    import numpy as np

    n = len(probs)
    bins = min(bins, n // 2) if n <= 2 * bins else bins
    order = np.argsort(probs, kind="stable")
    p, y = probs[order], labels[order]
    width = n // bins
    edges = list(range(0, n + 1, width))
    edges[-1] = n
    total = 0.0
    for left, right in itertools.pairwise(edges):
        if right > left:
            total += (right - left) / n * abs(float(p[left:right].mean() - y[left:right].mean()))
    return total


def needs_calibration(labels: np.ndarray, scores: np.ndarray) -> bool:
    """Whether isotonic calibration lowers the expected calibration error out of fold.

    False for one class or a reference ROC AUC above 0.999 (as NannyML); else 10 stratified
    folds (fixed seed): each fold is calibrated on the other nine, and the pooled
    out-of-fold ECE (10 bins of equal count) must drop.
    """
    import numpy as np

    y = labels.astype(float)
    positives = int(y.sum())
    if positives in (0, len(y)) or len(y) < 2 * CHECK_BINS:
        return False
    if _auc(y, scores) > 0.999:
        return False
    rng = np.random.default_rng(CHECK_SEED)
    fold = np.empty(len(y), dtype=int)
    for cls in (0.0, 1.0):
        members = np.flatnonzero(y == cls)
        rng.shuffle(members)
        fold[members] = np.arange(len(members)) % CHECK_FOLDS
    calibrated = np.empty(len(y))
    for k in range(CHECK_FOLDS):
        test = fold == k
        if not test.any():
            continue
        calibrated[test] = fit_isotonic(scores[~test], y[~test]).apply(scores[test])
    before = _equal_count_ece(y, scores, CHECK_BINS)
    after = _equal_count_ece(y, calibrated, CHECK_BINS)
    return after < before


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC from average ranks (Mann-Whitney U)."""
    from scipy.stats import rankdata

    pos = float(labels.sum())
    neg = len(labels) - pos
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _std(values: np.ndarray) -> float:
    import numpy as np

    return float(np.std(values)) if len(values) else math.nan


def sampling_components(
    labels: np.ndarray, predictions: np.ndarray, scores: np.ndarray
) -> dict[str, tuple[float, float] | None]:
    """Per metric (std, fraction) of the reference, as NannyML's sampling error components.

    None for a metric whose component is undefined (e.g. precision when nothing on the
    reference is predicted positive).
    """
    import numpy as np

    y = labels.astype(int)
    p = predictions.astype(int)
    n = len(y)
    tp, fp, fn = (y == 1) & (p == 1), (y == 0) & (p == 1), (y == 1) & (p == 0)
    out: dict[str, tuple[float, float] | None] = {
        "accuracy": (_std((y == p).astype(float)), 1.0) if n else None
    }
    predicted = np.concatenate([np.ones(tp.sum()), np.zeros(fp.sum())])
    out["precision"] = (_std(predicted), len(predicted) / n) if len(predicted) else None
    actual = np.concatenate([np.ones(tp.sum()), np.zeros(fn.sum())])
    out["recall"] = (_std(actual), len(actual) / n) if len(actual) else None
    relevant = np.concatenate([np.ones(tp.sum()), np.zeros(fp.sum() + fn.sum())])
    if len(relevant):
        factor = len(relevant) / (0.5 * (fp.sum() + fn.sum()) + tp.sum())
        out["f1"] = (_std(relevant * factor), len(relevant) / n)
    else:
        out["f1"] = None
    out["roc_auc"] = _auc_components(y, scores)
    return out


def _auc_components(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float] | None:
    """AUC as a Mann-Whitney U: per minority-class row, the share of the other class ranked
    below it; its std and the minority's share (NannyML's variance-sum-law component)."""
    import numpy as np

    y = labels.astype(int)
    s = scores.astype(float)
    if y.sum() in (0, len(y)):
        return None
    if y.mean() > 0.5:
        y, s = 1 - y, 1 - s
    order = np.argsort(s, kind="stable")
    y = y[order]
    ranks = np.flatnonzero(y == 1)
    below = ranks - np.arange(len(ranks))  # negatives ranked below each positive
    negatives = len(y) - len(ranks)
    return float(np.std(below / negatives)), len(ranks) / len(y)


def expected_metrics(
    predictions: np.ndarray, calibrated: np.ndarray, scores: np.ndarray
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Estimated metrics from predicted labels and calibrated probabilities (no labels)."""
    import numpy as np

    p = predictions.astype(bool)
    c = calibrated
    tp, fp = float(c[p].sum()), float((1 - c[p]).sum())
    fn, tn = float(c[~p].sum()), float((1 - c[~p]).sum())
    n = len(c)
    metrics: dict[str, float | None] = {"accuracy": (tp + tn) / n}
    reasons: dict[str, str] = {}
    if tp + fp > 0:
        metrics["precision"] = tp / (tp + fp)
    else:
        metrics["precision"] = None
        reasons["precision"] = "no row is predicted positive"
    if tp + fn > 0:
        metrics["recall"] = tp / (tp + fn)
    else:
        metrics["recall"] = None
        reasons["recall"] = "no row is expected to be positive"
    if tp + 0.5 * (fp + fn) > 0:
        metrics["f1"] = tp / (tp + 0.5 * (fp + fn))
    else:
        metrics["f1"] = None
        reasons["f1"] = "no expected positive and no positive prediction"
    # expected ROC curve: thresholds at each distinct raw score, from the highest down
    order = np.argsort(-scores)  # equal scores are grouped below, so any order of ties
    s, cs = scores[order], c[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), n - 1]
    tps = np.r_[0.0, np.cumsum(cs)[last]]
    fps = np.r_[0.0, (last + 1) - tps[1:]]
    if tps[-1] > 0 and fps[-1] > 0:
        metrics["roc_auc"] = float(np.trapezoid(tps / tps[-1], fps / fps[-1]))
    else:
        metrics["roc_auc"] = None
        reasons["roc_auc"] = "the calibrated probabilities expect only one class"
    return metrics, reasons


@dataclass(frozen=True)
class Estimate:
    """One estimated metric: value, band ``value ± 3 sampling_error`` clipped to [0, 1]."""

    value: float
    lower: float | None
    upper: float | None
    sampling_error: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "sampling_error": self.sampling_error,
        }


@dataclass(frozen=True)
class EstimateGroup:
    """The estimates for one group of rows (all rows, or one time window).

    ``estimates`` maps each metric to an :class:`Estimate` or None (see ``reasons``).
    """

    rows: int
    used: int
    skipped: dict[str, int]
    estimates: dict[str, Estimate | None]
    reasons: dict[str, str] = field(default_factory=dict)
    window_start: datetime | date | None = None
    window_end: datetime | date | None = None
    segment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.window_start is not None:
            out["window_start"] = self.window_start.isoformat()
            out["window_end"] = self.window_end.isoformat() if self.window_end else None
        if self.segment:
            out["segment"] = {
                k: v.isoformat() if isinstance(v, datetime | date) else v
                for k, v in self.segment.items()
            }
        out.update(
            rows=self.rows,
            used=self.used,
            skipped=dict(self.skipped),
            metrics={k: (v.to_dict() if v else None) for k, v in self.estimates.items()},
            reasons=dict(self.reasons),
        )
        return out


@dataclass(frozen=True)
class EstimatedPerformance:
    """CBPE estimates for a batch: ``overall`` and one group per window and/or segment."""

    overall: EstimateGroup
    groups: tuple[EstimateGroup, ...]
    columns: dict[str, Any]
    window: str | None
    calibrated: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON; never NaN."""
        return {
            "method": "cbpe",
            "calibrated": self.calibrated,
            "band_sigmas": SIGMAS,
            "columns": dict(self.columns),
            "window": self.window,
            "overall": self.overall.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
        }


def _groups(table: Any, keys: list[str]) -> list[tuple[tuple[Any, ...], np.ndarray]]:
    """Each group's key values and row numbers, sorted by key (rows with no window dropped)."""
    import numpy as np
    import polars as pl

    frame = pl.DataFrame([pl.Series(k, table.get_column(k).to_arrow()) for k in keys])
    frame = frame.with_row_index("__row")
    if "__window" in keys:
        frame = frame.filter(pl.col("__window").is_not_null())
    grouped = (
        frame.group_by(keys).agg(pl.col("__row")).sort(keys, nulls_last=True, maintain_order=True)
    )
    rows = grouped.get_column("__row")
    flat = rows.explode().to_numpy()
    ends = np.cumsum(rows.list.len().to_numpy())
    starts = ends - rows.list.len().to_numpy()
    values = grouped.select(keys).rows()
    return [(v, flat[a:b]) for v, a, b in zip(values, starts, ends, strict=True)]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _load(
    data: Any,
    columns: dict[str, str | None],
    timestamp: str | None,
    window: str | None,
    segments: tuple[str, ...] = (),
) -> tuple[dict[str, Any], dict[str, int], int, Period | None, str]:
    """The named columns as float arrays of the usable rows, the skips and the row count.

    With a window or segments, ``__groups`` holds each group's key values and row numbers.
    """
    frame, source = to_lazy(data)
    where = source.description
    try:
        schema = dict(frame.collect_schema())
    except Exception as exc:
        raise read_error(source, exc) from None
    require(schema, columns, where)
    for segment in segments:
        require(schema, {"segment": segment}, where)
    period = check_window(schema, window, timestamp, where)
    exprs = []
    checks = []
    for role, name in columns.items():
        if name is None:
            continue
        dtype = schema[name]
        if not (is_number(dtype) or dtype == nw.Boolean):
            raise ColumnError.wrong(name, role, f"is {dtype}, not numbers", where)
        exprs.append(nw.col(name).cast(nw.Float64).alias(role))
        checks.append((f"missing_{role}", usable(nw.col(name), dtype)))
    earlier: Any = nw.lit(True)
    for reason, present in checks:
        exprs.append((earlier & ~present).alias(reason))
        earlier = earlier & present
    exprs.append(earlier.alias("__used"))
    keys = []
    if period is not None and timestamp is not None:
        exprs.append(period.start(nw.col(timestamp)).alias("__window"))
        keys.append("__window")
    for i, name in enumerate(segments):
        exprs.append(nw.col(name).alias(f"__g{i}"))
        keys.append(f"__g{i}")
    try:
        table = frame.select(exprs).collect()
    except Exception as exc:
        raise read_error(source, exc, doing="estimate performance on") from None
    arrays: dict[str, Any] = {
        name: table.get_column(name).to_numpy() for name in table.columns if name not in keys
    }
    used = arrays["__used"].astype(bool)
    out: dict[str, Any] = {k: arrays[k][used] for k in columns if columns[k] is not None}
    out["__used"] = used
    for reason, _ in checks:
        out[reason] = arrays[reason].astype(bool)
    out["__groups"] = _groups(table, keys) if keys else []
    skips = {reason: int(out[reason].sum()) for reason, _ in checks}
    return out, {k: v for k, v in skips.items() if v}, len(used), period, where


@dataclass(frozen=True)
class CBPE:
    """A fitted confidence-based performance estimator for one binary classifier.

    Build it with :meth:`CBPE.fit`; store it with :meth:`to_dict`; estimate with
    :meth:`estimate`.
    """

    score: str
    prediction: str | None
    threshold: float
    calibrated: bool
    calibration: Calibration | None
    components: dict[str, tuple[float, float] | None]
    reference: dict[str, Any]

    @classmethod
    def fit(
        cls,
        reference: Any,
        *,
        label: str,
        score: str,
        prediction: str | None = None,
        threshold: float = 0.5,
        calibrate: bool | None = None,
    ) -> CBPE:
        """Fit on a labelled reference (a path or any dataframe).

        ``score`` is the model's probability of class 1; ``prediction`` its 0/1 decision
        (default: ``score >= threshold``). ``calibrate`` None decides as NannyML does (see
        the module docs); True or False forces it. Rows missing a label, score or
        prediction are skipped (counted in ``reference["skipped"]``).

        Raises ColumnError for missing or non-numeric columns, labels or predictions other
        than 0/1, and ValidationError for a reference with no usable row.
        """
        import numpy as np

        arrays, skipped, rows, _, where = _load(
            reference, {"label": label, "score": score, "prediction": prediction}, None, None
        )
        y, s = arrays["label"], arrays["score"]
        if len(y) == 0:
            raise ValidationError(
                f"{where}: no row has a label, a score and a prediction to fit on",
                source=where,
            )
        p = arrays["prediction"] if prediction is not None else (s >= threshold).astype(float)
        for name, role, values in ((label, "label", y), (prediction, "prediction", p)):
            bad = sorted(set(np.unique(values).tolist()) - {0.0, 1.0})
            if bad and name is not None:
                shown = ", ".join(f"{v:g}" for v in bad[:5])
                raise ColumnError.wrong(
                    name, role, f"holds {shown}; CBPE needs 0/1 or true/false", where
                )
        if calibrate is None:
            calibrate = needs_calibration(y, s)
        calibration = fit_isotonic(s, y) if calibrate else None
        components = {
            k: (v if v is not None and all(math.isfinite(x) for x in v) else None)
            for k, v in sampling_components(y, p, s).items()
        }
        realised = {
            "accuracy": float(np.mean(y == p)),
            "positive_rate": float(np.mean(y)),
        }
        if 0 < y.sum() < len(y):
            realised["roc_auc"] = _auc(y, s)
        return cls(
            score=score,
            prediction=prediction,
            threshold=float(threshold),
            calibrated=bool(calibrate),
            calibration=calibration,
            components=components,
            reference={"rows": rows, "used": len(y), "skipped": skipped, **realised},
        )

    def _group(
        self,
        p: np.ndarray,
        s: np.ndarray,
        rows: int,
        skipped: dict[str, int],
        start: Any = None,
        period: Period | None = None,
    ) -> EstimateGroup:
        n = len(s)
        estimates: dict[str, Estimate | None] = {}
        if n == 0:
            return EstimateGroup(
                rows,
                0,
                skipped,
                dict.fromkeys(METRICS),
                dict.fromkeys(METRICS, "no row has a score and a prediction"),
                start,
                period.end(start) if period and start is not None else None,
            )
        c = self.calibration.apply(s) if self.calibration is not None else s
        values, reasons = expected_metrics(p, c, s)
        for name in METRICS:
            value = _finite(values.get(name))
            if value is None:
                estimates[name] = None
                reasons.setdefault(name, "not a finite number")
                continue
            comp = self.components.get(name)
            if comp is None or comp[1] <= 0:
                estimates[name] = Estimate(value, None, None, None)
                reasons[name] = "no sampling error: the reference cannot give one for it"
                continue
            error = comp[0] / math.sqrt(n * comp[1])
            estimates[name] = Estimate(
                value,
                max(0.0, value - SIGMAS * error),
                min(1.0, value + SIGMAS * error),
                error,
            )
        end = period.end(start) if period and start is not None else None
        return EstimateGroup(rows, n, skipped, estimates, reasons, start, end)

    def estimate(
        self,
        data: Any,
        *,
        window: str | None = None,
        timestamp: str | None = None,
        segment: str | Sequence[str] | None = None,
    ) -> EstimatedPerformance:
        """Estimated accuracy, precision, recall, F1 and ROC AUC of ``data`` (no labels).

        ``data`` needs the score column (and the prediction column if one was fitted).
        With ``window`` and ``timestamp`` and/or ``segment`` (one column or several) there is
        one group per window and segment as well, sorted by window start, then segment.
        Rows missing a score or prediction are skipped and counted; rows without a
        timestamp enter ``overall`` only.
        """
        import numpy as np

        segments = segments_of(segment)
        arrays, skipped, rows, period, _ = _load(
            data,
            {"score": self.score, "prediction": self.prediction},
            timestamp,
            window,
            segments,
        )
        s = arrays["score"]
        p = (
            arrays["prediction"]
            if self.prediction is not None
            else (s >= self.threshold).astype(float)
        )
        overall = self._group(p, s, rows, skipped)
        groups: list[EstimateGroup] = []
        used = arrays["__used"]
        reasons = [k for k in arrays if k.startswith("missing_")]
        used_index = np.cumsum(used) - 1  # position of each used row among the used rows
        for key, rows_in in arrays["__groups"]:
            kept = used_index[rows_in[used[rows_in]]]
            skips = {r: int(arrays[r][rows_in].sum()) for r in reasons}
            values = list(key)
            start = values.pop(0) if period is not None else None
            group = self._group(
                p[kept],
                s[kept],
                len(rows_in),
                {k: v for k, v in skips.items() if v},
                start,
                period,
            )
            if segments:
                group = replace(group, segment=dict(zip(segments, values, strict=True)))
            groups.append(group)
        return EstimatedPerformance(
            overall=overall,
            groups=tuple(groups),
            columns={
                "score": self.score,
                "prediction": self.prediction,
                "timestamp": timestamp,
                "segment": list(segments),
            },
            window=str(period) if period is not None else None,
            calibrated=self.calibrated,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (a few KB): enough to estimate again after :meth:`from_dict`."""
        return {
            "format": FORMAT,
            "score": self.score,
            "prediction": self.prediction,
            "threshold": self.threshold,
            "calibrated": self.calibrated,
            "calibration": (
                {"x": list(self.calibration.knots_x), "y": list(self.calibration.knots_y)}
                if self.calibration is not None
                else None
            ),
            "sampling_error_components": {
                k: (list(v) if v is not None else None) for k, v in self.components.items()
            },
            "reference": dict(self.reference),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CBPE:
        """Rebuild a fitted estimator; raises ValidationError naming a missing or bad field."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValidationError(
                f"not a stored CBPE estimator (field 'format' should be '{FORMAT}')",
                field="format",
            )
        try:
            cal = data["calibration"]
            calibration = None
            if cal is not None:
                xs, ys = tuple(float(v) for v in cal["x"]), tuple(float(v) for v in cal["y"])
                if len(xs) != len(ys) or not xs:
                    raise ValueError("calibration x and y differ in length or are empty")
                calibration = Calibration(xs, ys)
            components: dict[str, tuple[float, float] | None] = {}
            for name in METRICS:
                value = data["sampling_error_components"].get(name)
                components[name] = (float(value[0]), float(value[1])) if value else None
            return cls(
                score=str(data["score"]),
                prediction=data["prediction"],
                threshold=float(data["threshold"]),
                calibrated=bool(data["calibrated"]),
                calibration=calibration,
                components=components,
                reference=dict(data["reference"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValidationError(
                f"stored CBPE estimator is damaged: {exc!s}", field="cbpe"
            ) from None


def estimate_performance(
    reference: Any,
    data: Any,
    *,
    label: str,
    score: str,
    prediction: str | None = None,
    threshold: float = 0.5,
    window: str | None = None,
    timestamp: str | None = None,
    segment: str | Sequence[str] | None = None,
) -> EstimatedPerformance:
    """Fit CBPE on ``reference`` and estimate ``data`` in one call (see :class:`CBPE`)."""
    return CBPE.fit(
        reference, label=label, score=score, prediction=prediction, threshold=threshold
    ).estimate(data, window=window, timestamp=timestamp, segment=segment)


__all__: Sequence[str] = (
    "CBPE",
    "Calibration",
    "Estimate",
    "EstimateGroup",
    "EstimatedPerformance",
    "estimate_performance",
    "fit_isotonic",
    "needs_calibration",
)
