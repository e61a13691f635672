"""Group fairness of a binary classifier: per-group rates and the disparities between groups.

One grouped aggregation runs inside the input's engine (Polars, lazily and streaming for
files; Spark; DuckDB...): rows are counted per sensitive group, label value and predicted
value. Everything else is arithmetic on those few counts, here in Python.

Definitions (Fairlearn's, ``fairlearn.metrics``): for each group, with ``tp, fp, fn, tn`` its
confusion counts and ``n`` its rows,

- ``selection_rate = (tp + fp) / n``, ``accuracy = (tp + tn) / n``;
- ``true_positive_rate = tp / (tp + fn)``, ``false_positive_rate = fp / (fp + tn)``;
- ``precision = tp / (tp + fp)``.

Disparities, "between groups" (Fairlearn's default ``method="between_groups"``):

- ``demographic_parity_difference``: largest minus smallest selection rate;
  ``demographic_parity_ratio``: smallest divided by largest;
- ``true_positive_rate_difference`` and ``false_positive_rate_difference`` likewise;
  ``equalized_odds_difference`` is the larger of the two, ``equalized_odds_ratio`` the
  smaller of the two rates' ratios (Fairlearn's ``agg="worst_case"``).

With several sensitive columns the groups are their intersections (as Fairlearn's
``MetricFrame`` with a frame of sensitive features); each column's own groups (marginals)
are reported too, summed from the same counts.

Undefined values. A rate whose denominator is 0 is None with a reason (TPR of a group with no
positive label, FPR of a group with no negative label, precision of a group with no positive
prediction). Fairlearn reports 0 there (scikit-learn's zero-division default). A disparity is
taken over the groups where the rate is defined; the groups left out are listed in
``excluded``. So when every group has both labels and some positive prediction, the numbers
are Fairlearn's exactly; otherwise they are Fairlearn's on the groups that define the rate.
A disparity is None with a reason when fewer than two groups define it (Fairlearn reports 0
for a single group) or, for a ratio, when the largest rate is 0 (0/0).

Rows. A row enters the metrics when its label and prediction (or score) are present: not
null and, for float columns, not NaN; a score must also be finite. Other rows are skipped and
counted (``missing_label``, ``missing_prediction``, ``missing_score``). A null sensitive
value is a group of its own (shown as ``None``): dropping those rows could hide the very
people a fairness review is about.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import narwhals as nw

from scalegate.engine.frames import read_error, to_lazy
from scalegate.engine.windows import ColumnError, is_number, require, usable
from scalegate.errors import ValidationError

#: per-group metrics, in the order they are shown
METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
    "accuracy",
)
#: disparities between groups, in the order they are shown
DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "true_positive_rate_difference",
    "false_positive_rate_difference",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)
#: confusion counts kept per group
CELLS = ("tp", "fp", "fn", "tn")

_Y, _P = "__y", "__p"
_MISSING = "__missing"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class GroupFairness:
    """The rates of one group of rows.

    ``group`` maps each sensitive column to the group's value (empty for all rows);
    ``counts`` holds ``tp``, ``fp``, ``fn`` and ``tn``; ``metrics`` maps each of
    :data:`METRICS` to its value or None, and ``reasons`` says why for each None.
    """

    group: dict[str, Any]
    count: int
    counts: dict[str, int]
    metrics: dict[str, float | None]
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``colour=Black, sex=Male``; ``all rows`` for the whole data."""
        if not self.group:
            return "all rows"
        return ", ".join(f"{k}={_json_value(v)}" for k, v in self.group.items())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON; undefined metrics are null."""
        return {
            "group": {k: _json_value(v) for k, v in self.group.items()},
            "count": self.count,
            "counts": dict(self.counts),
            "metrics": dict(self.metrics),
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class FairnessTable:
    """Groups over some sensitive columns and the disparities between them.

    ``disparities`` maps each of :data:`DISPARITIES` to its value or None (``reasons`` says
    why); ``excluded`` maps a rate (``selection_rate``, ``true_positive_rate``,
    ``false_positive_rate``) to the labels of the groups its disparities leave out because
    the rate is undefined for them.
    """

    sensitive: tuple[str, ...]
    groups: tuple[GroupFairness, ...]
    disparities: dict[str, float | None]
    reasons: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sensitive": list(self.sensitive),
            "groups": [g.to_dict() for g in self.groups],
            "disparities": dict(self.disparities),
            "reasons": dict(self.reasons),
            "excluded": {k: list(v) for k, v in self.excluded.items()},
        }


@dataclass(frozen=True)
class FairnessReport:
    """Group fairness of a binary classifier on some data.

    ``table`` holds the groups (intersections, when several sensitive columns are given) and
    their disparities, which :attr:`disparities` repeats; ``by_attribute`` holds one table
    per sensitive column when there are several. ``overall`` has the rates of all used rows.
    ``rows`` counts the input rows, ``used`` those in the metrics, ``skipped`` the others by
    reason. ``positive`` is the positive label; ``threshold`` is set when predictions came
    from a score (positive when ``score >= threshold``).
    """

    columns: dict[str, Any]
    positive: Any
    threshold: float | None
    rows: int
    used: int
    skipped: dict[str, int]
    overall: GroupFairness
    table: FairnessTable
    by_attribute: dict[str, FairnessTable] = field(default_factory=dict)
    source: str = ""
    backend: str = ""

    @property
    def sensitive(self) -> tuple[str, ...]:
        return self.table.sensitive

    @property
    def groups(self) -> tuple[GroupFairness, ...]:
        return self.table.groups

    @property
    def disparities(self) -> dict[str, float | None]:
        return self.table.disparities

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the README describes the layout); never NaN."""
        return {
            "columns": dict(self.columns),
            "positive": _json_value(self.positive),
            "threshold": self.threshold,
            "source": self.source,
            "backend": self.backend,
            "rows": self.rows,
            "used": self.used,
            "skipped": dict(self.skipped),
            "overall": self.overall.to_dict(),
            **self.table.to_dict(),
            "by_attribute": {k: t.to_dict() for k, t in self.by_attribute.items()},
        }


# --- arithmetic on counts -----------------------------------------------------------------


def group_rates(group: dict[str, Any], counts: Mapping[str, int]) -> GroupFairness:
    """A group's rates from its confusion counts (``tp``, ``fp``, ``fn``, ``tn``)."""
    tp, fp, fn, tn = (int(counts.get(c, 0)) for c in CELLS)
    n = tp + fp + fn + tn
    metrics: dict[str, float | None] = {}
    reasons: dict[str, str] = {}

    def ratio(name: str, num: int, den: int, why: str) -> None:
        if den:
            metrics[name] = num / den
        else:
            metrics[name] = None
            reasons[name] = why

    empty = "no rows with label and prediction"
    ratio("selection_rate", tp + fp, n, empty)
    ratio("true_positive_rate", tp, tp + fn, empty if not n else "no row has a positive label")
    ratio("false_positive_rate", fp, fp + tn, empty if not n else "no row has a negative label")
    ratio("precision", tp, tp + fp, empty if not n else "no row is predicted positive")
    ratio("accuracy", tp + tn, n, empty)
    cells = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    return GroupFairness(group=dict(group), count=n, counts=cells, metrics=metrics, reasons=reasons)


def _spread(
    groups: Sequence[GroupFairness], metric: str
) -> tuple[float | None, float | None, str | None, list[str]]:
    """(difference, ratio, reason if undefined, excluded group labels) of one rate."""
    defined = [(g.metrics[metric], g) for g in groups if g.metrics.get(metric) is not None]
    excluded = [g.label for g in groups if g.metrics.get(metric) is None]
    if len(defined) < 2:
        have = "no group" if not defined else "only one group"
        return None, None, f"{have} with a defined {metric.replace('_', ' ')}", excluded
    values = [float(v) for v, _ in defined if v is not None]
    low, high = min(values), max(values)
    if high == 0:
        return high - low, None, f"every group's {metric.replace('_', ' ')} is 0", excluded
    return high - low, low / high, None, excluded


def disparities_of(sensitive: Sequence[str], groups: Sequence[GroupFairness]) -> FairnessTable:
    """The disparities between ``groups`` (see the module docstring for their definitions)."""
    out: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    excluded: dict[str, list[str]] = {}
    spreads = {}
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate"):
        diff, ratio, why, left_out = _spread(groups, metric)
        spreads[metric] = (diff, ratio, why)
        if left_out:
            excluded[metric] = left_out
    sr_diff, sr_ratio, sr_why = spreads["selection_rate"]
    out["demographic_parity_difference"] = sr_diff
    out["demographic_parity_ratio"] = sr_ratio
    if sr_why:
        if sr_diff is None:
            reasons["demographic_parity_difference"] = sr_why
        reasons["demographic_parity_ratio"] = sr_why
    tpr_diff, tpr_ratio, tpr_why = spreads["true_positive_rate"]
    fpr_diff, fpr_ratio, fpr_why = spreads["false_positive_rate"]
    out["true_positive_rate_difference"] = tpr_diff
    out["false_positive_rate_difference"] = fpr_diff
    if tpr_diff is None and tpr_why:
        reasons["true_positive_rate_difference"] = tpr_why
    if fpr_diff is None and fpr_why:
        reasons["false_positive_rate_difference"] = fpr_why
    if tpr_diff is not None and fpr_diff is not None:
        out["equalized_odds_difference"] = max(tpr_diff, fpr_diff)
    else:
        out["equalized_odds_difference"] = None
        reasons["equalized_odds_difference"] = "; ".join(
            w for d, w in ((tpr_diff, tpr_why), (fpr_diff, fpr_why)) if d is None and w
        )
    if tpr_ratio is not None and fpr_ratio is not None:
        out["equalized_odds_ratio"] = min(tpr_ratio, fpr_ratio)
    else:
        out["equalized_odds_ratio"] = None
        reasons["equalized_odds_ratio"] = "; ".join(
            w for r, w in ((tpr_ratio, tpr_why), (fpr_ratio, fpr_why)) if r is None and w
        )
    return FairnessTable(
        sensitive=tuple(sensitive),
        groups=tuple(groups),
        disparities={d: out[d] for d in DISPARITIES},
        reasons=reasons,
        excluded=excluded,
    )


def _sort_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    key: list[Any] = []
    for v in values:
        if v is None:
            key.append((2, 0, ""))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            key.append((0, v, ""))
        else:
            key.append((1, 0, str(v)))
    return tuple(key)


def table_from_counts(
    sensitive: Sequence[str], counts: Mapping[tuple[Any, ...], Mapping[str, int]]
) -> FairnessTable:
    """Groups (one per key of ``counts``, values in the order of ``sensitive``) with their
    rates and disparities, sorted by group values (numbers in order, None last)."""
    groups = [
        group_rates(dict(zip(sensitive, key, strict=True)), c)
        for key, c in sorted(counts.items(), key=lambda kv: _sort_key(kv[0]))
    ]
    return disparities_of(sensitive, groups)


def report_from_counts(
    sensitive: Sequence[str],
    counts: Mapping[tuple[Any, ...], Mapping[str, int]],
    *,
    columns: Mapping[str, Any],
    positive: Any,
    threshold: float | None = None,
    skipped: Mapping[str, int] | None = None,
    source: str = "",
    backend: str = "",
) -> FairnessReport:
    """The whole report from per-group confusion counts: intersections, marginals (when
    several sensitive columns are given) and the overall rates. Used on fresh counts and to
    recompute a stored or uploaded report, whose derived numbers are never trusted."""
    sensitive = tuple(sensitive)
    if not sensitive:
        raise ValidationError("name at least one sensitive column", field="sensitive")
    table = table_from_counts(sensitive, counts)
    by_attribute: dict[str, FairnessTable] = {}
    if len(sensitive) > 1:
        for i, name in enumerate(sensitive):
            marginal: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
                dict.fromkeys(CELLS, 0).copy
            )
            for key, c in counts.items():
                cell = marginal[(key[i],)]
                for k in CELLS:
                    cell[k] += int(c.get(k, 0))
            by_attribute[name] = table_from_counts((name,), marginal)
    total = dict.fromkeys(CELLS, 0)
    for c in counts.values():
        for k in CELLS:
            total[k] += int(c.get(k, 0))
    overall = group_rates({}, total)
    skipped = {k: int(v) for k, v in (skipped or {}).items() if v}
    return FairnessReport(
        columns=dict(columns),
        positive=positive,
        threshold=threshold,
        rows=overall.count + sum(skipped.values()),
        used=overall.count,
        skipped=skipped,
        overall=overall,
        table=table,
        by_attribute=by_attribute,
        source=source,
        backend=backend,
    )


# --- the query ------------------------------------------------------------------------------


def _sensitive_of(sensitive: str | Sequence[str]) -> tuple[str, ...]:
    names = (sensitive,) if isinstance(sensitive, str) else tuple(sensitive)
    names = tuple(n.strip() for n in names)
    if not names or any(not n for n in names):
        raise ValidationError("name at least one sensitive column", field="sensitive")
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValidationError(f"sensitive column '{dups[0]}' is named twice", field="sensitive")
    return names


def _coerce_positive(positive: Any, values: set[Any], label: str, where: str) -> Any:
    """The positive label as the column's values are typed (the CLI passes text)."""
    if positive is None:
        if values <= {0, 1}:  # True == 1 and False == 0 too
            return True if any(isinstance(v, bool) for v in values) else 1
        shown = ", ".join(repr(v) for v in sorted(values, key=str)[:5])
        raise ColumnError.wrong(
            label,
            "label",
            f"holds {shown}; say which value is the positive class (positive=...)",
            where,
        )
    if any(isinstance(v, bool) for v in values) and isinstance(positive, str):
        text = positive.strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
    if (
        isinstance(positive, str)
        and values
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    ):
        try:
            number = float(positive)
        except ValueError:
            return positive
        return int(number) if number.is_integer() else number
    return positive


def _distinct(rows: list[dict[str, Any]], column: str) -> set[Any]:
    return {r[column] for r in rows if not _is_missing(r[column])}


def _binary(values: set[Any], name: str, role: str, where: str) -> None:
    if len(values) > 2:
        shown = ", ".join(repr(v) for v in sorted(values, key=str)[:5])
        more = f" and {len(values) - 5} more" if len(values) > 5 else ""
        raise ColumnError.wrong(
            name,
            role,
            f"holds {len(values)} values ({shown}{more}); fairness metrics need a binary "
            "classifier (two classes)",
            where,
        )


def fairness_metrics(
    data: Any,
    *,
    sensitive: str | Sequence[str],
    label: str,
    prediction: str | None = None,
    score: str | None = None,
    threshold: float = 0.5,
    positive: Any = None,
) -> FairnessReport:
    """Per-group rates and disparities of a binary classifier on ``data`` (a path or any
    dataframe), in one grouped aggregation inside the data's engine.

    ``sensitive`` names one column or several (then groups are their intersections, and each
    column's own groups are reported in ``by_attribute``). ``label`` holds the true class,
    ``prediction`` the predicted class; or give ``score`` (without ``prediction``) and a row
    is predicted positive when ``score >= threshold``. ``positive`` is the positive class
    (default 1 or True; required when the classes are other values such as "yes"/"no").

    Guarantees: the numbers are Fairlearn's (``MetricFrame``, ``demographic_parity_*``,
    ``equalized_odds_*``, method ``between_groups``) on the same rows wherever they are
    defined; undefined ones are None with a reason, never NaN (see the module docstring).
    Raises ColumnError (a ValidationError) naming the column when a column is missing,
    when label or prediction hold more than two values or a score is not numeric, and
    ValidationError when no row has both a label and a prediction.

    Example:
        >>> import polars as pl
        >>> df = pl.DataFrame({"g": ["a", "a", "b", "b"], "y": [1, 0, 1, 0], "p": [1, 1, 1, 0]})
        >>> r = fairness_metrics(df, sensitive="g", label="y", prediction="p")
        >>> r.disparities["demographic_parity_difference"]
        0.5
    """
    names = _sensitive_of(sensitive)
    if prediction is None and score is None:
        raise ValidationError("give a prediction column or a score column", field="prediction")
    if prediction is not None and score is not None:
        raise ValidationError(
            "give a prediction column or a score column with a threshold, not both",
            field="score",
        )
    if not math.isfinite(threshold):
        raise ValidationError(f"threshold {threshold}: must be a finite number", field="threshold")
    frame, source = to_lazy(data)
    where = source.description
    try:
        schema = dict(frame.collect_schema())
    except Exception as exc:
        raise read_error(source, exc) from None
    roles: dict[str, str | None] = {"label": label, "prediction": prediction, "score": score}
    require(
        schema,
        {
            f"sensitive attribute {i + 1}" if len(names) > 1 else "sensitive attribute": n
            for i, n in enumerate(names)
        },
        where,
    )
    require(schema, roles, where)
    for n in names:
        if n in (label, prediction, score):
            raise ColumnError.wrong(
                n, "sensitive attribute", "is also the label, prediction or score", where
            )
    exprs = [nw.col(n).alias(f"__a{i}") for i, n in enumerate(names)]
    label_expr = nw.col(label)
    if not schema[label].is_float():
        exprs.append(label_expr.alias(_Y))
    else:  # NaN labels group as missing
        exprs.append(nw.when(label_expr.is_finite()).then(label_expr).alias(_Y))
    missing_reason = "missing_prediction"
    if score is not None:
        if not is_number(schema[score]):
            raise ColumnError.wrong(score, "score", f"is {schema[score]}, not numbers", where)
        s = nw.col(score)
        exprs.append(nw.when(usable(s, schema[score])).then(s >= threshold).alias(_P))
        missing_reason = "missing_score"
    else:
        assert prediction is not None
        p = nw.col(prediction)
        if schema[prediction].is_float():
            exprs.append(nw.when(p.is_finite()).then(p).alias(_P))
        else:
            exprs.append(p.alias(_P))
    keys = [f"__a{i}" for i in range(len(names))]
    query = frame.select(exprs).group_by(*keys, _Y, _P).agg(nw.len().alias("n"))
    try:
        # files stream through Polars in bounded memory; frames run in their own engine
        streamed = source.paths and query.implementation is nw.Implementation.POLARS
        result = query.collect(engine="streaming") if streamed else query.collect()
        rows = list(result.rows(named=True))
    except Exception as exc:
        raise read_error(source, exc, doing="compute fairness metrics on") from None
    if not rows:
        raise ValidationError(f"{where}: no rows; fairness metrics need data", source=where)
    labels = _distinct(rows, _Y)
    _binary(labels, label, "label", where)
    predicted = _distinct(rows, _P)
    if score is None:
        assert prediction is not None
        _binary(predicted, prediction, "prediction", where)
        classes = labels | predicted
        if len(classes) > 2:
            shown = ", ".join(repr(v) for v in sorted(classes, key=str))
            raise ColumnError.wrong(
                prediction,
                "prediction",
                f"and the label '{label}' use different class values ({shown})",
                where,
            )
    else:
        classes = labels
    positive = _coerce_positive(positive, classes, label, where)
    if len(classes) == 2 and positive not in classes:
        shown = ", ".join(repr(v) for v in sorted(classes, key=str))
        raise ValidationError(
            f"{where}: positive label {positive!r} is not one of the classes ({shown}) "
            f"of column '{label}'",
            field="positive",
            column=label,
        )
    counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict.fromkeys(CELLS, 0).copy)
    skipped = {"missing_label": 0, missing_reason: 0}
    for row in rows:
        k = int(row["n"])
        y, pv = row[_Y], row[_P]
        if _is_missing(y):
            skipped["missing_label"] += k
            continue
        if _is_missing(pv):
            skipped[missing_reason] += k
            continue
        key = tuple(None if _is_missing(row[k]) else row[k] for k in keys)
        actual = y == positive
        guessed = bool(pv) if score is not None else pv == positive
        cell = ("t" if actual == guessed else "f") + ("p" if guessed else "n")
        counts[key][cell] += k
    if not counts:
        raise ValidationError(
            f"{where}: no row has both a label and a prediction "
            f"({sum(skipped.values()):,} rows skipped)",
            source=where,
        )
    return report_from_counts(
        names,
        counts,
        columns={
            "sensitive": list(names),
            "label": label,
            "prediction": prediction,
            "score": score,
        },
        positive=positive,
        threshold=threshold if score is not None else None,
        skipped=skipped,
        source=where,
        backend=source.backend,
    )
