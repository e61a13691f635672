"""Building a reference, summarising a batch, and comparing the two.

Cost: :func:`build_reference` profiles the reference (one query on Polars) and reads one
even sample of at most ``sample_rows`` rows of its numeric columns to fit the PCA.
:func:`summarize` costs the profile's query (one ``select`` on Polars, two elsewhere) plus,
with a PCA model, one aggregate query over the numeric columns. :func:`compare` touches no data.
"""

from __future__ import annotations

import math
from typing import Any

import narwhals as nw

from scalegate.engine import polars_plan, polars_stream
from scalegate.engine.drift import multivariate, registry
from scalegate.engine.drift.binning import (
    NUMERIC_KIND,
    distributions,
    finite_values,
    kind_of,
)
from scalegate.engine.drift.config import DriftConfig, coerce
from scalegate.engine.drift.results import (
    CRITICAL,
    DRIFT,
    OK,
    BatchSummary,
    ColumnDrift,
    DriftReference,
    DriftReport,
    MultivariateResult,
)
from scalegate.engine.frames import read_error, to_lazy
from scalegate.engine.profile import profile as profile_of
from scalegate.engine.profile_model import ColumnProfile, DatasetProfile
from scalegate.engine.profile_query import compute
from scalegate.engine.sketches.distinct import DEFAULT_PRECISION
from scalegate.engine.sketches.frequent import DEFAULT_CAPACITY
from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA
from scalegate.errors import ScalegateError, ValidationError


class SchemaMismatchError(ValidationError):
    """Reference and current do not have the same compared columns or column types."""

    code = "schema_mismatch"


def build_reference(
    data: Any, *, config: DriftConfig | dict[str, Any] | None = None
) -> DriftReference:
    """Profile ``data`` and fit the multivariate model on it.

    Args:
        data: a path or any dataframe :func:`scalegate.engine.profile.profile` accepts.
        config: a :class:`DriftConfig`, a dict of its fields, or None for the defaults.

    The reference keeps the config, so a stored reference judges later batches the same way.

    Example:
        >>> from scalegate.engine.synthetic import credit_table
        >>> ref = build_reference(credit_table(2_000, 1))
        >>> ref.profile.row_count, ref.model is not None
        (2000, True)
    """
    cfg = coerce(config)
    frame, _ = to_lazy(data)
    prof = profile_of(data)  # the path, when there is one: large files stream
    _check_prediction(cfg, prof.names, "reference")
    if not cfg.multivariate.enabled:
        return DriftReference(prof, cfg, None, "multivariate drift is disabled in the config")
    model, reason = _fit(frame, prof, cfg)
    return DriftReference(prof, cfg, model, reason)


def _fit(
    frame: nw.LazyFrame[Any], prof: DatasetProfile, cfg: DriftConfig
) -> tuple[multivariate.PCAModel | None, str | None]:
    import numpy as np

    usable = [
        c
        for c in prof
        if c.kind == "numeric"
        and cfg.selects(c.name)
        and c.name != cfg.prediction
        and c.mean is not None
        and (c.std(ddof=0) or 0) > 0
    ]
    if len(usable) < 2:
        return None, "multivariate drift needs at least two numeric columns that vary"
    if prof.row_count < multivariate.MIN_ROWS:
        return None, f"multivariate drift needs at least {multivariate.MIN_ROWS} reference rows"
    names = tuple(c.name for c in usable)
    step = max(1, math.ceil(prof.row_count / cfg.multivariate.sample_rows))
    picked = frame.select([nw.col(n).cast(nw.Float64) for n in names])
    try:
        sample = picked.gather_every(step).collect()
    except Exception:  # engines without row order (Spark, DuckDB): the first rows
        sample = picked.head(cfg.multivariate.sample_rows).collect()
    matrix = np.column_stack([sample.get_column(n).to_numpy().astype(np.float64) for n in names])
    means = tuple(float(c.mean or 0.0) for c in usable)
    stds = tuple(float(c.std(ddof=0) or 1.0) for c in usable)
    model = multivariate.fit(
        matrix,
        names,
        means,
        stds,
        variance=cfg.multivariate.variance,
        sigmas=cfg.multivariate.sigmas,
    )
    if len(model.components) >= len(names):
        return None, (
            f"the PCA needs all {len(names)} components to keep "
            f"{cfg.multivariate.variance:.0%} of the variance (the columns are nearly "
            "uncorrelated), so nothing is left to reconstruct"
        )
    return model, None


def summarize(data: Any, reference: DriftReference) -> BatchSummary:
    """The profile of ``data`` and, if the reference has a PCA model, its mean
    reconstruction error: the profile's query (one ``select`` on Polars) and one aggregate
    query.

    Raises :class:`SchemaMismatchError` before reading any row if the batch lacks compared
    columns or has extra ones, or a column changed type.
    """
    frame, source = to_lazy(data)
    sketch = _sketch_settings(reference.profile)
    model = reference.model
    schema = frame.collect_schema()
    _check_names(reference, list(schema))
    if model is not None and not set(model.columns) <= set(schema):
        model = None  # a config that excludes a fitted column; reported by compare
    fast = polars_plan.try_run(
        frame,
        [],
        examples=0,
        streaming=polars_stream.wanted(source.paths),
        columnar=polars_stream.columnar(source.paths),
        **sketch,
    )
    try:
        prof = fast.profile if fast is not None and fast.profile is not None else None
        if prof is None:
            prof = compute(frame, **sketch)
        error = model.mean_error(frame) if model is not None and prof.row_count else None
    except ScalegateError:
        raise
    except Exception as exc:  # each engine raises its own kinds of errors on bad data
        raise read_error(source, exc, doing="profile") from None
    return BatchSummary(prof, error)


def _sketch_settings(prof: DatasetProfile) -> dict[str, Any]:
    """The batch is profiled with the reference's sketch accuracy so that buckets align."""
    alpha, capacity = DEFAULT_ALPHA, DEFAULT_CAPACITY
    for column in prof:
        if column.quantiles is not None:
            alpha = column.quantiles.alpha
        if column.top is not None:
            capacity = column.top.capacity
    return {"alpha": alpha, "top_capacity": capacity, "precision": DEFAULT_PRECISION}


def drift(
    reference_data: Any, current_data: Any, *, config: DriftConfig | dict[str, Any] | None = None
) -> DriftReport:
    """Compare two datasets: :func:`build_reference`, :func:`summarize`, :func:`compare`.

    Example:
        >>> from scalegate.engine.synthetic import credit_table
        >>> report = drift(credit_table(20_000, 1), credit_table(20_000, 2, drift=True))
        >>> sorted(report.drifted)
        ['channel', 'credit_score', 'employment', 'income', 'revolving_util']
    """
    reference = build_reference(reference_data, config=config)
    return compare(reference, summarize(current_data, reference))


def _selected(reference: DriftReference, names: list[str]) -> list[str]:
    return [n for n in names if reference.config.selects(n)]


def _check_prediction(cfg: DriftConfig, names: list[str], side: str) -> None:
    if cfg.prediction is not None and cfg.prediction not in names:
        raise SchemaMismatchError(
            f"prediction column '{cfg.prediction}' is not in the {side} data; its columns "
            f"are {', '.join(names)}",
            field=cfg.prediction,
        )


def _check_names(reference: DriftReference, current: list[str]) -> None:
    cfg = reference.config
    ref_names = _selected(reference, reference.profile.names)
    cur_names = _selected(reference, current)
    _check_prediction(cfg, current, "current")
    missing = [n for n in ref_names if n not in current]
    extra = [n for n in cur_names if n not in reference.profile.names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from current: {', '.join(missing)}")
        if extra:
            parts.append(f"missing from reference: {', '.join(extra)}")
        raise SchemaMismatchError(
            "reference and current have different columns (" + "; ".join(parts) + "); "
            "exclude columns in the drift config to compare the rest",
            missing_in_current=missing or None,
            missing_in_reference=extra or None,
        )


def _check_types(reference: DriftReference, current: DatasetProfile) -> None:
    changed = []
    for name in _selected(reference, reference.profile.names):
        ref, cur = reference.profile[name], current[name]
        if ref.count == 0 or cur.count == 0:
            continue  # an all-null side has no meaningful type; reported as a reason
        if ref.kind != cur.kind and kind_of(ref) != kind_of(cur):
            changed.append(f"'{name}' is {ref.dtype} in reference and {cur.dtype} in current")
    if changed:
        raise SchemaMismatchError(
            "column types changed: " + "; ".join(changed),
            changed=[c.split("'")[1] for c in changed],
        )


def compare(reference: DriftReference, summary: BatchSummary) -> DriftReport:
    """Judge each compared column and the multivariate signal; no data is read.

    Raises :class:`SchemaMismatchError` naming the columns missing on each side, or the
    columns whose type changed; :class:`scalegate.errors.ValidationError` if the config asks
    a method that does not apply to a column (e.g. ``wasserstein`` on a string column).
    """
    cfg = reference.config
    _check_names(reference, summary.profile.names)
    _check_types(reference, summary.profile)
    columns = tuple(
        _column(reference.profile[name], summary.profile[name], cfg)
        for name in _selected(reference, reference.profile.names)
    )
    multi = _multivariate(reference, summary)
    features = [c for c in columns if c.role == "feature" and c.value is not None]
    share = sum(c.drifted for c in features) / len(features) if features else 0.0
    reasons = []
    if cfg.critical.prediction and any(c.drifted and c.role == "prediction" for c in columns):
        reasons.append(f"the prediction '{cfg.prediction}' drifted")
    if cfg.critical.multivariate and multi.drifted:
        reasons.append("the multivariate reconstruction error left the reference band")
    if features and share >= cfg.critical.share and any(c.drifted for c in features):
        reasons.append(
            f"{share:.0%} of judged features drifted (critical at {cfg.critical.share:.0%})"
        )
    any_drift = any(c.drifted for c in columns) or multi.drifted
    status = CRITICAL if reasons else DRIFT if any_drift else OK
    return DriftReport(
        columns,
        multi,
        status,
        tuple(reasons),
        reference.profile.row_count,
        summary.rows,
        cfg.prediction,
        cfg,
    )


def _column(ref: ColumnProfile, cur: ColumnProfile, cfg: DriftConfig) -> ColumnDrift:
    role = "prediction" if ref.name == cfg.prediction else "feature"
    kind = kind_of(ref) if ref.count else kind_of(cur)
    base: dict[str, Any] = {
        "name": ref.name,
        "role": role,
        "reference_count": ref.count,
        "current_count": cur.count,
        "reference_nulls": ref.nulls,
        "current_nulls": cur.nulls,
    }
    if kind is None:
        return ColumnDrift(
            kind=ref.kind, method=None, threshold=None, value=None, drifted=False,
            reason=f"{ref.kind} columns ({ref.dtype}) are not compared: their profile has "
            "no distribution",
            **base,
        )  # fmt: skip
    method_id, threshold = cfg.choice(ref.name, kind)
    method = registry.get(method_id)
    if kind not in method.kinds:
        raise ValidationError(
            f"column '{ref.name}': drift method {method_id} does not apply to {kind} columns; "
            f"methods for {kind} columns are "
            + ", ".join(m.id for m in registry.methods() if kind in m.kinds),
            field=ref.name,
        )
    empty = [side for side, c in (("reference", ref), ("current", cur)) if not finite_values(c)]
    if empty:
        return ColumnDrift(
            kind=kind, method=method_id, threshold=threshold, value=None, drifted=False,
            reason=f"no values in {' and '.join(empty)} (all null"
            + (", NaN or infinite)" if kind == NUMERIC_KIND else ")"),
            **base,
        )  # fmt: skip
    d = distributions(ref, cur)
    statistics: dict[str, float | int | None] = {}
    for m in registry.methods():
        if kind in m.kinds:
            statistics.update(m.compute(d))
    value = statistics.get(method.reads)
    reason = None
    if value is None and method_id == "wasserstein":
        # a constant reference has no spread to normalise by: judge the bins instead
        method_id, threshold = "jensenshannon", cfg.defaults.categorical.resolved_threshold
        method = registry.get(method_id)
        value = statistics.get(method.reads)
        reason = (
            "the reference is constant (standard deviation 0), so the normalised Wasserstein "
            f"distance is undefined; judged by Jensen-Shannon distance >= {threshold} instead"
        )
    drifted = value is not None and method.drifted(float(value), threshold)
    pvalue = statistics.get("chi2_pvalue")
    significance = cfg.significance if method.drifts_when == registry.ABOVE else None
    if drifted and significance is not None and pvalue is not None and pvalue >= significance:
        # a small batch reaches any effect size by chance: only judge what is significant
        drifted = False
        reason = (
            f"{method_id} {float(value or 0):.4g} reaches the threshold {threshold:g}, but the "
            f"chi-square p-value {pvalue:.3g} is not below {cfg.significance:g}: the "
            f"difference is within sampling noise for {cur.count:,} values"
        )
    p, q = d.reference / d.reference.sum(), d.current / d.current.sum()
    bins = tuple((label, float(a), float(b)) for label, a, b in zip(d.labels, p, q, strict=True))
    return ColumnDrift(
        kind=kind,
        method=method_id,
        threshold=threshold,
        value=None if value is None else float(value),
        drifted=drifted,
        statistics=statistics,
        bins=bins,
        reason=reason,
        **base,
    )


def _multivariate(reference: DriftReference, summary: BatchSummary) -> MultivariateResult:
    model = reference.model
    if model is None:
        return MultivariateResult(
            None, None, None, None, 0, (), None, False,
            reference.model_reason or "no multivariate model",
        )  # fmt: skip
    common: dict[str, Any] = dict(
        reference_mean=model.reference_mean,
        components=len(model.components),
        columns=model.columns,
        variance_explained=model.variance_explained,
    )
    value = summary.reconstruction_error
    if value is None:
        return MultivariateResult(
            value=None, lower=None, upper=None, drifted=False,
            reason="the batch summary has no reconstruction error (no rows, or summarised "
            "without this reference's model)",
            **common,
        )  # fmt: skip
    lower, upper = model.band(summary.rows)
    drifted = not lower <= value <= upper
    return MultivariateResult(
        value=value, lower=lower, upper=upper, drifted=drifted, reason=None, **common
    )
