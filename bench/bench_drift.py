"""Drift benchmark: ``scalegate drift`` against Evidently, NannyML, whylogs and Polars.

Targets (issue 4), at 1M and 5M rows per file:

* ``scalegate drift REF CUR`` within 1.5x of a hand-written Polars pass (so at least 25x
  faster than Evidently and 10x faster than NannyML);
* peak memory no higher than that pass;
* a reference profiled once and reused, so that each new batch costs one pass over the batch
  alone: ``scalegate drift PROFILE.json CUR`` against the hand-written pass that also starts
  from a stored reference profile.

The data is ``scalegate.engine.synthetic.credit_table(rows, seed=1)`` (reference) and
``credit_table(rows, seed=2, drift=True)`` (current): 20 columns of which exactly
``DRIFTED_COLUMNS`` (3 numeric, 2 categorical) drift. Each tool's flagged columns are compared
with those five: false positives and false negatives.

Usage::

    python bench/bench_drift.py                    # 1M and 5M rows, 1 run, every contender
    python bench/bench_drift.py --quick            # 100k rows: a smoke run
    python bench/bench_drift.py --sizes 1m --repeat 3 --only scalegate,polars
    python bench/bench_drift.py --scalegate-python /path/to/other/.venv/bin/python

Run it with the project's venv (``.venv/bin/python``); it generates the data with it, once per
size, into ``bench/.data/drift-{ref,cur}-<rows>.parquet``. Evidently, NannyML and whylogs are
never project dependencies: they live in ``bench/.venv-drift``, which this script creates with
``pip`` on first use (``--no-compare`` skips them). They read the Parquet files with pandas,
their native input.

Each contender runs in its own child process (``python bench_drift.py --worker NAME ...``). The
child times its own work (from reading the files to having every column's verdict) and reports
its resident memory after imports; the parent takes the child's wall time and peak RSS
(``os.wait4`` ``ru_maxrss``). The ``scalegate drift`` CLI contenders are timed as whole
processes. When ``scalegate drift`` is not available (``scalegate drift --help`` fails) those
contenders are skipped with a note. Results are printed and written to
``bench/results/drift.json``; the exit status is 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: the peers' usage telemetry, off: this machine has no network and the time is not theirs
NO_TELEMETRY = {
    "NML_DISABLE_USAGE_LOGGING": "1",
    "WHYLOGS_NO_ANALYTICS": "1",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
}
BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_FILE = BENCH_DIR / "results" / "drift.json"
COMPARE_VENV = BENCH_DIR / ".venv-drift"
# Versions the issue names; pip picks pandas/numpy/scipy that all three accept.
COMPARE_REQUIREMENTS = [
    "evidently==0.7.23",
    "nannyml==0.13.1",
    "whylogs[viz]==1.6.4",  # calculate_drift_scores lives in whylogs.viz (IPython)
    "pandas>=2.2,<3",  # Evidently 0.7.23 imports a helper that pandas 3 removed
    "pyarrow>=14",
]

TARGET_HAND = 1.5  # scalegate time / hand-written Polars time, at most
TARGET_EVIDENTLY = 25.0  # Evidently time / scalegate time, at least
TARGET_NANNYML = 10.0  # NannyML time / scalegate time, at least
#: the hand-written pass's thresholds: the same kind (effect size) as scalegate's defaults
HAND_NUMERIC_WASSERSTEIN = 0.1  # Wasserstein distance / reference std
HAND_CATEGORICAL_JS = 0.05  # Jensen-Shannon distance, base 2
HAND_BINS = 20  # numeric bins, edges at the reference's 5 % quantiles
EPSILON = 1e-4  # floor on a bin's share for PSI (a bin empty on one side)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ============================================================================ contenders


@dataclass(frozen=True)
class Contender:
    name: str
    venv: str  # "scalegate" (the project's or --scalegate-python), "compare"
    description: str
    cli: bool = False
    batch: bool = False  # starts from a stored reference profile: one pass over the batch


CONTENDERS = [
    Contender("scalegate", "scalegate", "drift(REF, CUR) in Python (scalegate.engine.drift)"),
    Contender(
        "scalegate-batch",
        "scalegate",
        "compare(ref, summarize(CUR, ref)) in Python, ref a stored drift reference",
        batch=True,
    ),
    Contender("scalegate-cli", "scalegate", "`scalegate drift REF CUR --json` process", True),
    Contender(
        "scalegate-cli-profile",
        "scalegate",
        "`scalegate drift REF_PROFILE.json CUR --json`: reference profiled once",
        True,
        True,
    ),
    Contender("polars", "scalegate", "hand-written Polars: 2 lazy passes over REF, 1 over CUR"),
    Contender(
        "polars-batch",
        "scalegate",
        "hand-written Polars from a stored reference profile: 1 pass over CUR",
        batch=True,
    ),
    Contender("evidently", "compare", "Evidently 0.7 Report([DataDriftPreset()]), defaults"),
    Contender("nannyml", "compare", "NannyML UnivariateDriftCalculator, defaults, one chunk"),
    Contender("whylogs", "compare", "whylogs profiles + calculate_drift_scores, defaults"),
]
BY_NAME = {c.name: c for c in CONTENDERS}


# ============================================================================ helpers


def _rss_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds() -> float:
    """User + system CPU time of this process, all its threads."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _finite(value: Any) -> float | None:
    """A float, or None for a missing, NaN or infinite value (never NaN in the JSON)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


# ============================================================================ hand-written Polars


def hand_reference_profile(path: str) -> dict[str, Any]:
    """The reference side of the hand-written pass: two lazy scans of ``path``.

    Scan 1: per numeric column the 5 % quantiles (one sort per column, then a gather), count,
    mean, std, min, max; per string column its value counts. Scan 2: per numeric column the
    counts of values at or below each distinct quantile edge (one comparison per edge).
    """
    import polars as pl

    lf = pl.scan_parquet(path)
    schema = lf.collect_schema()
    numeric = [c for c, t in schema.items() if t.is_numeric()]
    categorical = [c for c, t in schema.items() if c not in numeric]
    qs = pl.Series([i / HAND_BINS for i in range(1, HAND_BINS)])
    exprs: list[Any] = []
    for c in numeric:
        col = pl.col(c)
        idx = ((col.count() - 1).cast(pl.Float64) * pl.lit(qs)).round().cast(pl.UInt32)
        exprs += [
            col.sort(nulls_last=True).gather(idx).implode().alias(f"{c}|q"),
            *_moments(pl, c),
        ]
    exprs += [_value_counts(pl, c) for c in categorical]
    row = lf.select(exprs).collect().row(0, named=True)
    columns: dict[str, Any] = {}
    for c in numeric:
        edges = sorted({float(v) for v in row[f"{c}|q"] if v is not None})
        columns[c] = {"kind": "numeric", "edges": edges, **_moment_values(row, c)}
    for c in categorical:
        columns[c] = {"kind": "categorical", "counts": _counts_of(row[f"{c}|vc"], c)}
    counts = _numeric_counts(pl, lf, {c: columns[c]["edges"] for c in numeric})
    for c in numeric:
        columns[c].update(counts[c])
    return {"columns": columns}


def _moments(pl: Any, c: str) -> list[Any]:
    col = pl.col(c)
    return [
        col.count().alias(f"{c}|n"),
        col.mean().alias(f"{c}|mean"),
        col.std().alias(f"{c}|std"),
        col.min().cast(pl.Float64).alias(f"{c}|min"),
        col.max().cast(pl.Float64).alias(f"{c}|max"),
    ]


def _moment_values(row: dict[str, Any], c: str) -> dict[str, Any]:
    return {k: _finite(row[f"{c}|{k}"]) for k in ("n", "mean", "std", "min", "max")}


def _value_counts(pl: Any, c: str) -> Any:
    return pl.col(c).drop_nulls().value_counts().implode().alias(f"{c}|vc")


def _counts_of(structs: list[dict[str, Any]], c: str) -> dict[str, int]:
    return {str(s[c]): int(s["count"]) for s in structs}


def _cumulative_exprs(pl: Any, edges: dict[str, list[float]]) -> list[Any]:
    """Per numeric column: how many values are at or below each edge, how many there are,
    and the tails' partial moments ``sum((e_first - x)+)`` and ``sum((x - e_last)+)``."""
    exprs: list[Any] = []
    for c, es in edges.items():
        col = pl.col(c)
        exprs.append(col.count().alias(f"{c}|n"))
        exprs += [(col <= e).sum().alias(f"{c}|le{i}") for i, e in enumerate(es)]
        if es:
            exprs += [
                (es[0] - col).clip(lower_bound=0).sum().cast(pl.Float64).alias(f"{c}|lo"),
                (col - es[-1]).clip(lower_bound=0).sum().cast(pl.Float64).alias(f"{c}|hi"),
            ]
    return exprs


def _bins_from(row: dict[str, Any], c: str, n_edges: int) -> dict[str, Any]:
    """Bin counts from the cumulative counts: (-inf, e0], (e0, e1], ..., (e_last, inf); and
    the mean excess below the first edge and above the last (the tails, for Wasserstein)."""
    cum = [int(row[f"{c}|le{i}"]) for i in range(n_edges)] + [int(row[f"{c}|n"])]
    n = max(cum[-1], 1)
    return {
        "counts": [cum[0]] + [b - a for a, b in itertools.pairwise(cum)],
        "lo_tail": (row.get(f"{c}|lo") or 0.0) / n,
        "hi_tail": (row.get(f"{c}|hi") or 0.0) / n,
    }


def _numeric_counts(pl: Any, lf: Any, edges: dict[str, list[float]]) -> dict[str, Any]:
    row = lf.select(_cumulative_exprs(pl, edges)).collect().row(0, named=True)
    return {c: _bins_from(row, c, len(es)) for c, es in edges.items()}


def hand_current(path: str, reference: dict[str, Any]) -> dict[str, Any]:
    """The current side: one lazy scan of ``path`` with the reference's bin edges."""
    import polars as pl

    ref_cols = reference["columns"]
    numeric = [c for c, v in ref_cols.items() if v["kind"] == "numeric"]
    categorical = [c for c, v in ref_cols.items() if v["kind"] == "categorical"]
    exprs = _cumulative_exprs(pl, {c: ref_cols[c]["edges"] for c in numeric})
    exprs += [_value_counts(pl, c) for c in categorical]
    row = pl.scan_parquet(path).select(exprs).collect().row(0, named=True)
    columns: dict[str, Any] = {}
    for c in numeric:
        columns[c] = _bins_from(row, c, len(ref_cols[c]["edges"]))
    for c in categorical:
        columns[c] = {"counts": _counts_of(row[f"{c}|vc"], c)}
    return {"columns": columns}


def _psi(p: Any, q: Any) -> float:
    import numpy as np

    p, q = np.maximum(p, EPSILON), np.maximum(q, EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def _js_distance(p: Any, q: Any) -> float:
    """Jensen-Shannon distance, base 2 (as ``scipy.spatial.distance.jensenshannon``)."""
    import numpy as np

    m = (p + q) / 2

    def kl(a: Any) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def _binned_wasserstein(ref: dict[str, Any], cur: dict[str, Any], p: Any, q: Any) -> float:
    """W1 = integral of ``|F - G|`` from the two histograms on the reference's edges.

    Between two edges the mass is taken as spread evenly, so ``F - G`` is linear there and
    its absolute integral exact. Outside the first and last edge the signed integral is exact
    from the tails' mean excesses: ``E_G[(x - e)+] - E_F[(x - e)+]`` above the last edge
    (and alike below the first); its absolute value bounds the tail's part from below.
    """
    import numpy as np

    edges = np.asarray(ref["edges"], dtype=float)
    d = np.cumsum(p - q)[:-1]  # F - G at each edge
    a, b = d[:-1], d[1:]
    same = a * b >= 0
    area = np.where(
        same,
        (np.abs(a) + np.abs(b)) / 2,
        (a * a + b * b) / (2 * np.maximum(np.abs(a) + np.abs(b), 1e-300)),
    )
    inner = float(np.sum(area * np.diff(edges)))
    tails = abs(cur["lo_tail"] - ref["lo_tail"]) + abs(cur["hi_tail"] - ref["hi_tail"])
    return inner + tails


def hand_compare(reference: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Per column PSI, Jensen-Shannon, normalised Wasserstein (numeric) and the verdict."""
    import numpy as np

    out: dict[str, Any] = {}
    for c, ref in reference["columns"].items():
        cur = current["columns"][c]
        if ref["kind"] == "numeric":
            r = np.asarray(ref["counts"], dtype=float)
            k = np.asarray(cur["counts"], dtype=float)
            if r.sum() == 0 or k.sum() == 0:
                out[c] = {"kind": "numeric", "drifted": False, "reason": "no values"}
                continue
            p, q = r / r.sum(), k / k.sum()
            w = _binned_wasserstein(ref, cur, p, q)
            std = ref["std"] or 0.0
            w_norm = w / std if std > 0 else None
            out[c] = {
                "kind": "numeric",
                "wasserstein_norm": w_norm,
                "psi": _psi(p, q),
                "jensenshannon": _js_distance(p, q),
                "drifted": bool(w_norm is not None and w_norm >= HAND_NUMERIC_WASSERSTEIN),
            }
        else:
            keys = sorted(set(ref["counts"]) | set(cur["counts"]))
            r = np.array([ref["counts"].get(key, 0) for key in keys], dtype=float)
            k = np.array([cur["counts"].get(key, 0) for key in keys], dtype=float)
            if r.sum() == 0 or k.sum() == 0:
                out[c] = {"kind": "categorical", "drifted": False, "reason": "no values"}
                continue
            p, q = r / r.sum(), k / k.sum()
            js = _js_distance(p, q)
            out[c] = {
                "kind": "categorical",
                "jensenshannon": js,
                "psi": _psi(p, q),
                "drifted": js >= HAND_CATEGORICAL_JS,
            }
    return out


def work_polars(ref: str, cur: str, profile_file: str | None) -> dict[str, Any]:
    if profile_file:
        reference = json.loads(Path(profile_file).read_text("utf-8"))
    else:
        reference = hand_reference_profile(ref)
    stats = hand_compare(reference, hand_current(cur, reference))
    return {
        "flagged": sorted(c for c, s in stats.items() if s["drifted"]),
        "columns": stats,
    }


def verify_hand(ref: str, cur: str) -> dict[str, Any]:
    """The hand-written statistics against SciPy on the raw columns (nulls dropped).

    Numeric: ``wasserstein_distance`` over the reference's standard deviation; categorical:
    ``jensenshannon(p, q, base=2)`` over the union of categories. Returns both per column and
    the largest absolute difference.
    """
    import numpy as np
    import polars as pl
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import wasserstein_distance

    reference = hand_reference_profile(ref)
    ours = hand_compare(reference, hand_current(cur, reference))
    r_frame, c_frame = pl.read_parquet(ref), pl.read_parquet(cur)
    rows: dict[str, Any] = {}
    for c, stat in ours.items():
        a, b = r_frame[c].drop_nulls(), c_frame[c].drop_nulls()
        if stat["kind"] == "numeric":
            x = a.cast(pl.Float64).to_numpy()
            y = b.cast(pl.Float64).to_numpy()
            theirs = float(wasserstein_distance(x, y) / np.std(x, ddof=1))
            mine = stat.get("wasserstein_norm")
            what = "wasserstein/std"
        else:
            ca, cb = a.value_counts(), b.value_counts()
            da, db = dict(ca.iter_rows()), dict(cb.iter_rows())
            keys = sorted(set(da) | set(db))
            p = np.array([da.get(k, 0) for k in keys], dtype=float)
            q = np.array([db.get(k, 0) for k in keys], dtype=float)
            theirs = float(jensenshannon(p / p.sum(), q / q.sum(), base=2))
            mine = stat.get("jensenshannon")
            what = "jensenshannon"
        rows[c] = {"statistic": what, "hand": mine, "scipy": theirs}
    worst = max(abs((v["hand"] or 0.0) - v["scipy"]) for v in rows.values())
    flagged = sorted(c for c, s in ours.items() if s["drifted"])
    return {"flagged": flagged, "columns": rows, "max_abs_difference": worst}


# ============================================================================ peers


def _quiet() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


def work_evidently(ref: str, cur: str) -> dict[str, Any]:
    """Evidently's data drift preset with its defaults (column types and methods inferred)."""
    _quiet()
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    reference = pd.read_parquet(ref)
    current = pd.read_parquet(cur)
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    doc = snapshot.dict()
    columns: dict[str, Any] = {}
    for metric in doc["metrics"]:
        config = metric.get("config") or {}
        if config.get("type", "").split(":")[-1] != "ValueDrift":
            continue
        column = config.get("column")
        method = config.get("method")
        threshold = config.get("threshold")
        value = _finite(metric.get("value"))
        columns[column] = {"method": method, "threshold": threshold, "value": value}
    # Evidently's own verdict per column: p-value tests drift below the threshold, distances
    # at or above it (the same rule its DriftedColumnsCount applies)
    for info in columns.values():
        info["drifted"] = _evidently_drifted(info)
    return {
        "flagged": sorted(c for c, s in columns.items() if s["drifted"]),
        "columns": columns,
    }


def _evidently_drifted(info: dict[str, Any]) -> bool:
    value, threshold, method = info["value"], info["threshold"], str(info["method"] or "")
    if value is None or threshold is None:
        return False
    if "p_value" in method or "p-value" in method or "test" in method.lower():
        return bool(value < threshold)
    return bool(value >= threshold)


def work_nannyml(ref: str, cur: str) -> dict[str, Any]:
    """NannyML's univariate drift calculator with its default methods and thresholds.

    NannyML derives its thresholds from the spread of the statistic over reference chunks
    (its default chunker: 10 chunks), so the calculator is fitted that way; the current file
    is then scored as one chunk. (One chunk on both sides leaves a spread of zero and every
    column alerts.)
    """
    _quiet()
    import nannyml as nml
    import pandas as pd
    from nannyml.chunk import CountBasedChunker

    reference = pd.read_parquet(ref)
    current = pd.read_parquet(cur)
    names = list(reference.columns)
    calc = nml.UnivariateDriftCalculator(column_names=names)
    calc.fit(reference)
    calc.chunker = CountBasedChunker(chunk_number=1)
    frame = calc.calculate(current).filter(period="analysis").to_df()
    columns: dict[str, Any] = {}
    for (name, method, what), series in frame.items():
        if name == "chunk":
            continue
        entry = columns.setdefault(name, {"methods": {}, "drifted": False})
        slot = entry["methods"].setdefault(method, {})
        cell = series.iloc[0]
        if what == "alert":
            slot["alert"] = bool(cell)
            entry["drifted"] = entry["drifted"] or bool(cell)
        elif what in ("value", "upper_threshold", "lower_threshold"):
            slot[what] = _finite(cell)
    return {
        "flagged": sorted(c for c, s in columns.items() if s["drifted"]),
        "columns": columns,
    }


def work_whylogs(ref: str, cur: str) -> dict[str, Any]:
    """whylogs: profile both frames, then ``calculate_drift_scores`` with its defaults."""
    _quiet()
    import pandas as pd
    import whylogs as why
    from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

    reference = why.log(pd.read_parquet(ref)).view()
    current = why.log(pd.read_parquet(cur)).view()
    scores = calculate_drift_scores(
        target_view=current, reference_view=reference, with_thresholds=True
    )
    columns: dict[str, Any] = {}
    for name, score in scores.items():
        if not score:
            columns[name] = {"drifted": False, "reason": "no score"}
            continue
        category = score.get("drift_category")
        columns[name] = {
            "algorithm": score.get("algorithm"),
            "pvalue": _finite(score.get("pvalue")),
            "statistic": _finite(score.get("statistic")),
            "category": category,
            # whylogs says NO_DRIFT, POSSIBLE_DRIFT or DRIFT: only DRIFT counts as flagged
            "drifted": category == "DRIFT",
        }
    return {
        "flagged": sorted(c for c, s in columns.items() if s["drifted"]),
        "possible": sorted(c for c, s in columns.items() if s.get("category") == "POSSIBLE_DRIFT"),
        "columns": columns,
    }


# ============================================================================ scalegate


def scalegate_flagged(doc: dict[str, Any]) -> list[str]:
    """The drifted column names of a ``scalegate drift --json`` document."""
    if isinstance(doc.get("drifted"), list):
        return sorted(str(c) for c in doc["drifted"])
    cols = doc.get("columns") or doc.get("features") or []
    if isinstance(cols, dict):
        cols = [dict(v, name=k) for k, v in cols.items()]
    return sorted(str(c.get("name") or c.get("column")) for c in cols if c.get("drifted"))


def work_scalegate_profile(ref: str, out: str) -> dict[str, Any]:
    """Store the reference once as JSON: a saved drift reference (profile + PCA model) where
    ``scalegate.engine.drift`` exists, else the plain ``DatasetProfile``."""
    try:
        from scalegate.engine.drift import build_reference
    except ImportError:
        from scalegate.engine.profile import profile

        Path(out).write_text(json.dumps(profile(ref).to_dict()), "utf-8")
        return {"flagged": [], "stored": "DatasetProfile"}
    Path(out).write_text(json.dumps(build_reference(ref).to_dict()), "utf-8")
    return {"flagged": [], "stored": "DriftReference"}


def work_scalegate(ref: str, cur: str, stored: str | None) -> dict[str, Any]:
    """``drift(REF, CUR)`` in Python, or ``compare(reference, summarize(CUR, reference))``
    from the stored reference: the work without the CLI's start-up."""
    from scalegate.engine.drift import DriftReference, compare, drift, summarize

    if stored:
        reference = DriftReference.from_dict(json.loads(Path(stored).read_text("utf-8")))
        report = compare(reference, summarize(cur, reference))
    else:
        report = drift(ref, cur)
    doc = report.to_dict()
    return {"flagged": sorted(report.drifted), "status": doc.get("status"), "report": doc}


# ============================================================================ worker


def worker(args: argparse.Namespace) -> int:
    """Run one contender in this (child) process and print a JSON line."""
    name = args.worker
    if name.startswith("polars"):
        importlib.import_module("numpy")
        importlib.import_module("polars")
    elif name.startswith("scalegate"):
        importlib.import_module("polars")
        importlib.import_module("scalegate.engine.profile")
        with contextlib.suppress(ImportError):
            importlib.import_module("scalegate.engine.drift")
    elif name == "evidently":
        import evidently.presets  # noqa: F401
        import pandas
    elif name == "nannyml":
        import nannyml  # noqa: F401
        import pandas
    elif name == "whylogs":
        import pandas  # noqa: F401
        import whylogs  # noqa: F401
    baseline = _rss_kb("VmRSS")
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    if name == "polars":
        result = work_polars(args.ref, args.cur, None)
    elif name == "polars-batch":
        result = work_polars(args.ref, args.cur, args.profile)
    elif name == "polars-profile":
        Path(args.profile).write_text(json.dumps(hand_reference_profile(args.ref)), "utf-8")
        result = {"flagged": []}
    elif name == "scalegate-profile":
        result = work_scalegate_profile(args.ref, args.profile)
    elif name == "verify":
        result = verify_hand(args.ref, args.cur)
    elif name == "scalegate":
        result = work_scalegate(args.ref, args.cur, None)
    elif name == "scalegate-batch":
        result = work_scalegate(args.ref, args.cur, args.profile)
    elif name == "evidently":
        result = work_evidently(args.ref, args.cur)
    elif name == "nannyml":
        result = work_nannyml(args.ref, args.cur)
    elif name == "whylogs":
        result = work_whylogs(args.ref, args.cur)
    elif name == "generate":
        generate(args.ref, args.cur, int(args.rows))
        result = {"flagged": []}
    else:
        raise SystemExit(f"unknown worker {name}")
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    doc = {"seconds": seconds, "cpu": cpu, "baseline_kb": baseline, **result}
    print(json.dumps(doc))
    return 0


# ============================================================================ data


def generate(ref: str, cur: str, rows: int) -> None:
    """The known-drift pair: seed 1 as the reference, seed 2 with ``drift=True`` as current."""
    from scalegate.engine.synthetic import credit_table

    for path, seed, drift in ((ref, 1, False), (cur, 2, True)):
        tmp = f"{path}.tmp"
        credit_table(rows, seed=seed, drift=drift).write_parquet(tmp, row_group_size=256 * 1024)
        os.replace(tmp, path)


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def label_of(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


# ============================================================================ parent


def compare_python(create: bool) -> Path | None:
    python = COMPARE_VENV / "bin" / "python"
    if python.exists():
        return python
    if not create:
        return None
    log(f"creating {COMPARE_VENV} (Evidently, NannyML, whylogs; a few minutes, once)")
    subprocess.run([sys.executable, "-m", "venv", str(COMPARE_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *COMPARE_REQUIREMENTS], check=True)
    return python


def scalegate_drift_available(python: str, cli: bool) -> str | None:
    """None when ``scalegate drift`` (``cli``) or ``scalegate.engine.drift`` runs in that
    venv, else why not (one line)."""
    if not cli:
        done = subprocess.run(
            [python, "-c", "import scalegate.engine.drift"], capture_output=True, text=True
        )
        lines = done.stderr.strip().splitlines()
        return None if done.returncode == 0 else (lines[-1] if lines else "import failed")
    exe = Path(python).parent / "scalegate"
    if not exe.exists():
        return f"no scalegate executable next to {python}"
    done = subprocess.run([str(exe), "drift", "--help"], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()
        return f"`scalegate drift --help` exited {done.returncode}: {last[-1] if last else ''}"
    return None


@dataclass
class Runs:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    process_cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    baseline_kb: list[int] = field(default_factory=list)
    flagged: list[str] | None = None
    extra: dict[str, Any] | None = None
    error: str | None = None


def run_child(
    cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> tuple[float, int, float, str, str]:
    """Run ``cmd``; its wall time, peak RSS (KB), CPU seconds, stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO_DIR, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code not in ok:
        raise RuntimeError(f"{Path(cmd[0]).name} {cmd[1:3]} exited {code}: {stderr[-800:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, int(usage.ru_maxrss), cpu, stdout, stderr


@dataclass
class Files:
    ref: Path
    cur: Path
    hand_profile: Path
    scalegate_profile: Path


def run_once(
    c: Contender, files: Files, pythons: dict[str, str]
) -> tuple[float, float, float, int, int, dict[str, Any]]:
    """One run of one contender: work seconds, CPU, process wall, peak KB, baseline KB, doc."""
    if c.cli:
        scalegate = Path(pythons["scalegate"]).parent / "scalegate"
        ref = files.scalegate_profile if c.batch else files.ref
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, SCALEGATE_DB=f"sqlite:///{home}/bench.db", HOME=home)
            # exit 1 means "drift found", which is the expected answer here
            wall, peak, cpu, stdout, _ = run_child(
                [str(scalegate), "drift", str(ref), str(files.cur), "--json"], env, ok=(0, 1)
            )
        doc = json.loads(stdout)
        out = {"flagged": scalegate_flagged(doc), "process_cpu": cpu, "report": doc}
        return wall, cpu, wall, peak, 0, out
    cmd = [
        pythons[c.venv],
        str(Path(__file__).resolve()),
        "--worker",
        c.name,
        "--ref",
        str(files.ref),
        "--cur",
        str(files.cur),
        "--profile",
        str(files.scalegate_profile if c.name.startswith("scalegate") else files.hand_profile),
    ]
    wall, peak, process_cpu, stdout, _ = run_child(cmd, dict(os.environ, **NO_TELEMETRY))
    doc = json.loads(stdout.strip().splitlines()[-1])
    doc["process_cpu"] = process_cpu
    return doc.pop("seconds"), doc.pop("cpu"), wall, peak, doc.pop("baseline_kb"), doc


def ensure_data(rows: int, python: str, fresh: bool) -> tuple[Path, Path]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    label = label_of(rows)
    ref, cur = DATA_DIR / f"drift-ref-{label}.parquet", DATA_DIR / f"drift-cur-{label}.parquet"
    if ref.exists() and cur.exists() and not fresh:
        return ref, cur
    log(f"generating {ref.name} and {cur.name} ({rows:,} rows each)")
    cmd = [python, str(Path(__file__).resolve()), "--worker", "generate", "--rows", str(rows)]
    subprocess.run(
        [*cmd, "--ref", str(ref), "--cur", str(cur)],
        check=True,
        cwd=REPO_DIR,
        stdout=subprocess.DEVNULL,
    )
    return ref, cur


def ensure_profile(
    worker_name: str, files: Files, out: Path, python: str, fresh: bool
) -> float | None:
    """Store the reference profile once; the seconds it took (None if it was already there)."""
    if out.exists() and not fresh:
        return None
    cmd = [python, str(Path(__file__).resolve()), "--worker", worker_name]
    cmd += ["--ref", str(files.ref), "--cur", str(files.cur), "--profile", str(out)]
    _, _, _, stdout, _ = run_child(cmd)
    seconds = float(json.loads(stdout.strip().splitlines()[-1])["seconds"])
    log(f"  {out.name}: reference profiled in {seconds:.2f} s")
    return seconds


def verify(files: Files, python: str) -> dict[str, Any]:
    """Run the SciPy check of the hand-written statistics and print its worst difference."""
    cmd = [python, str(Path(__file__).resolve()), "--worker", "verify"]
    _, _, _, stdout, _ = run_child([*cmd, "--ref", str(files.ref), "--cur", str(files.cur)])
    doc = json.loads(stdout.strip().splitlines()[-1])
    worst = max(doc["columns"].items(), key=lambda kv: abs((kv[1]["hand"] or 0) - kv[1]["scipy"]))
    log(
        f"  hand-written vs SciPy: largest difference {doc['max_abs_difference']:.4f} "
        f"({worst[0]}: {worst[1]['statistic']} {worst[1]['hand']:.4f} vs {worst[1]['scipy']:.4f})"
    )
    return {"max_abs_difference": doc["max_abs_difference"], "columns": doc["columns"]}


def errors_against(flagged: list[str] | None, truth: list[str]) -> dict[str, Any] | None:
    if flagged is None:
        return None
    fp = sorted(set(flagged) - set(truth))
    fn = sorted(set(truth) - set(flagged))
    return {"false_positives": fp, "false_negatives": fn}


def fmt_mb(kb: float) -> str:
    return f"{kb / 1024:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sizes", default="1m,5m", help="row counts per file, e.g. 1m,5m or 100k")
    p.add_argument("--rows", help="one row count (same as --sizes with one size)")
    p.add_argument("--repeat", type=int, default=1, help="runs per contender (median)")
    p.add_argument("--quick", action="store_true", help="100k rows, one run: a smoke test")
    p.add_argument("--only", default="", help="comma list of contenders (prefix match)")
    p.add_argument("--no-compare", action="store_true", help="skip Evidently, NannyML, whylogs")
    p.add_argument("--fresh", action="store_true", help="regenerate the data and profiles")
    p.add_argument(
        "--scalegate-python",
        default=sys.executable,
        help="the Python whose scalegate (and Polars) runs the scalegate and Polars contenders",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="also check the hand-written statistics against SciPy on the raw columns",
    )
    p.add_argument("--output", type=Path, default=RESULTS_FILE)
    p.add_argument(
        "--replace", action="store_true", help="overwrite --output instead of merging into it"
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--ref", help=argparse.SUPPRESS)
    p.add_argument("--cur", help=argparse.SUPPRESS)
    p.add_argument("--profile", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        if args.rows:
            args.rows = parse_size(args.rows)
        return worker(args)

    if args.quick:
        args.sizes = "100k"
    if args.rows:
        args.sizes = args.rows
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    contenders = [
        c
        for c in CONTENDERS
        if (not wanted or any(c.name.startswith(w) for w in wanted))
        and not (args.no_compare and c.venv == "compare")
    ]
    sg_python = str(Path(args.scalegate_python).absolute())
    skipped: dict[str, str] = {}
    for cli in (True, False):
        mine = [c for c in contenders if c.name.startswith("scalegate") and c.cli == cli]
        why = scalegate_drift_available(sg_python, cli) if mine else None
        for c in mine if why else []:
            what = "`scalegate drift`" if cli else "scalegate.engine.drift"
            skipped[c.name] = f"{what} not available yet ({why})"
    compare = compare_python(
        create=not args.no_compare and any(c.venv == "compare" for c in contenders)
    )
    if compare is None:
        for c in contenders:
            if c.venv == "compare":
                skipped[c.name] = "no bench/.venv-drift (--no-compare)"
    for name, why in skipped.items():
        log(f"skipping {name}: {why}")
    contenders = [c for c in contenders if c.name not in skipped]
    pythons = {"scalegate": sg_python, "compare": str(compare)}
    from scalegate.engine.synthetic import DRIFTED_COLUMNS

    truth = sorted(DRIFTED_COLUMNS)
    log(f"drifted columns: {', '.join(truth)}; contenders: {', '.join(c.name for c in contenders)}")

    load_before = os.getloadavg()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    report: dict[str, Any] = {}
    missed: list[str] = []
    for rows in sizes:
        label = label_of(rows)
        ref, cur = ensure_data(rows, sys.executable, args.fresh)
        files = Files(
            ref,
            cur,
            DATA_DIR / f"drift-ref-{label}.hand-profile.json",
            DATA_DIR / f"drift-ref-{label}.scalegate-profile.json",
        )
        profiling: dict[str, float | None] = {}
        if any(c.name == "polars-batch" for c in contenders):
            profiling["polars"] = ensure_profile(
                "polars-profile", files, files.hand_profile, sg_python, args.fresh
            )
        if any(c.name.startswith("scalegate") and c.batch for c in contenders):
            profiling["scalegate"] = ensure_profile(
                "scalegate-profile", files, files.scalegate_profile, sg_python, args.fresh
            )
        verified = verify(files, sg_python) if args.verify else None
        runs = {c.name: Runs() for c in contenders}
        for i in range(args.repeat):
            for c in contenders:
                r = runs[c.name]
                if r.error:
                    continue
                try:
                    seconds, cpu, wall, peak, base, doc = run_once(c, files, pythons)
                except Exception as exc:  # one broken contender must not stop the others
                    r.error = str(exc).strip().splitlines()[-1][:300]
                    log(f"  {c.name}: {r.error}")
                    continue
                r.seconds.append(seconds)
                r.cpu.append(cpu)
                r.wall.append(wall)
                r.peak_kb.append(peak)
                r.baseline_kb.append(base)
                r.process_cpu.append(float(doc.pop("process_cpu")))
                r.flagged = doc.get("flagged")
                r.extra = doc
                log(
                    f"  {label} run {i + 1} {c.name}: {seconds:.2f} s, {peak // 1024} MB, "
                    f"flagged {', '.join(r.flagged or []) or 'nothing'}"
                )
        report[label] = summarise(rows, files, runs, truth, missed, skipped, profiling)
        report[label]["missed"] = [m for m in missed if m.startswith(f"{label} ")]
        if verified is not None:
            report[label]["hand_vs_scipy"] = verified
        write_results(
            args.output, args.repeat, load_before, report, missed, skipped, started, args.replace
        )
    load_after = os.getloadavg()

    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        print(
            f"\nnote: load average {load_before[0]:.1f} -> {load_after[0]:.1f} on "
            f"{os.cpu_count()} CPUs: timings are noisy"
        )
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
    elif any(n.startswith("scalegate") for n in skipped) or not any(
        c.name.startswith("scalegate") for c in contenders
    ):
        print("\nscalegate targets not measured: scalegate drift did not run")
    else:
        print("\nall targets met")
    return 1 if missed else 0


def write_results(
    output: Path,
    repeat: int,
    load_before: tuple[float, float, float],
    report: dict[str, Any],
    missed: list[str],
    skipped: dict[str, str],
    started: str,
    replace: bool = False,
) -> None:
    """The JSON results so far (written after each size, so a long run keeps what it has).

    Unless ``replace``, the results merge into an existing file per size and contender: a
    later ``--only scalegate,polars`` run updates those and keeps the peers' measurements
    (each contender's entry says when it ran and the machine's load then).
    """
    when = datetime.now(UTC).isoformat(timespec="seconds")
    run = {
        "when": when,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "git": _git(),
        "repeat": repeat,
    }
    sizes: dict[str, Any] = {}
    runs: list[Any] = []
    if not replace and output.exists():
        try:
            previous = json.loads(output.read_text("utf-8"))
            sizes, runs = dict(previous.get("sizes") or {}), list(previous.get("runs") or [])
        except (ValueError, AttributeError):
            sizes, runs = {}, []
    run["started"] = started
    runs = [*[r for r in runs if r.get("started") != started][-9:], run]
    for label, new in report.items():
        old = sizes.get(label) or {}
        contenders = dict(old.get("contenders") or {})
        for name, entry in new["contenders"].items():
            if "skipped" in entry and "seconds_median" in contenders.get(name, {}):
                continue  # a skip later does not erase a measurement
            contenders[name] = dict(entry, when=when, load=run["machine"]["load_after"])
        sizes[label] = {**old, **new, "contenders": contenders}
    doc = {
        "when": when,
        "runs": runs,
        "versions": _versions(),
        "thresholds_hand_written": {
            "numeric_wasserstein_over_std": HAND_NUMERIC_WASSERSTEIN,
            "categorical_jensenshannon": HAND_CATEGORICAL_JS,
            "bins": HAND_BINS,
        },
        "sizes": sizes,
        "skipped": skipped,
        "missed": missed,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def summarise(
    rows: int,
    files: Files,
    runs: dict[str, Runs],
    truth: list[str],
    missed: list[str],
    skipped: dict[str, str],
    profiling: dict[str, float | None],
) -> dict[str, Any]:
    med = {n: statistics.median(r.seconds) for n, r in runs.items() if r.seconds}
    wall = {n: statistics.median(r.wall) for n, r in runs.items() if r.wall}
    peak = {n: statistics.median(r.peak_kb) for n, r in runs.items() if r.peak_kb}
    cpu = {n: statistics.median(r.cpu) for n, r in runs.items() if r.cpu}
    pcpu = {n: statistics.median(r.process_cpu) for n, r in runs.items() if r.process_cpu}
    size = files.ref.stat().st_size + files.cur.stat().st_size
    label = label_of(rows)
    print(f"\n{label} rows per file ({size / 1e6:,.0f} MB of Parquet in the two files)")
    header = (
        f"{'contender':<22} {'time s':>7} {'cpu s':>7} {'process s':>9} {'peak MB':>8} "
        f"{'x polars':>8} {'cpu x':>6} {'mem x':>6}  {'FP':>2} {'FN':>2}  flagged"
    )
    print(header)
    print("-" * len(header))
    out: dict[str, Any] = {
        "rows": rows,
        "parquet_bytes": size,
        "drifted_columns": truth,
        "reference_profile_seconds": profiling,
        "contenders": {},
    }

    def base_of(name: str) -> str:
        return "polars-batch" if BY_NAME[name].batch else "polars"

    for name, r in runs.items():
        if not r.seconds:
            print(f"{name:<22} error: {r.error}")
            out["contenders"][name] = {"error": r.error}
            continue
        base = base_of(name)
        # a CLI is timed as a whole process: compare it with the hand-written child's process
        mine = wall[name] if BY_NAME[name].cli else med[name]
        theirs = (wall if BY_NAME[name].cli else med).get(base)
        ratio = mine / theirs if theirs else None
        cpus = pcpu if BY_NAME[name].cli else cpu
        cpu_ratio = cpus[name] / cpus[base] if cpus.get(base) else None
        mem = peak[name] / peak[base] if base in peak else None
        errs = errors_against(r.flagged, truth) or {"false_positives": [], "false_negatives": []}
        fp, fn = errs["false_positives"], errs["false_negatives"]
        print(
            f"{name:<22} {med[name]:>7.2f} {cpu[name]:>7.2f} {wall[name]:>9.2f} "
            f"{fmt_mb(peak[name]):>8} {(f'{ratio:.2f}' if ratio else '-'):>8} "
            f"{(f'{cpu_ratio:.2f}' if cpu_ratio else '-'):>6} "
            f"{(f'{mem:.2f}' if mem else '-'):>6}  {len(fp):>2} {len(fn):>2}  "
            f"{', '.join(r.flagged or []) or '-'}"
        )
        out["contenders"][name] = {
            "description": BY_NAME[name].description,
            "seconds_median": med[name],
            "seconds": r.seconds,
            "cpu_seconds_median": cpu[name],
            "process_seconds_median": wall[name],
            "process_cpu_seconds_median": pcpu[name],
            "peak_rss_mb_median": peak[name] / 1024,
            "baseline_rss_mb": (r.baseline_kb[0] / 1024) if r.baseline_kb[0] else None,
            "ratio_to": base,
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "memory_ratio": mem,
            "flagged": r.flagged,
            "false_positives": fp,
            "false_negatives": fn,
            "detail": {k: v for k, v in (r.extra or {}).items() if k != "flagged"},
        }
    for name, why in skipped.items():
        out["contenders"][name] = {"skipped": why}
    print("  (FP/FN: false positives/negatives against the 5 drifted columns; `x polars`:")
    print("   time over the hand-written pass, `-batch` rows over `polars-batch`, CLIs by")
    print("   process time; `cpu x` the same by CPU seconds)")
    for name, base in (
        ("scalegate", "polars"),
        ("scalegate-batch", "polars-batch"),
        ("scalegate-cli", "polars"),
        ("scalegate-cli-profile", "polars-batch"),
    ):
        if name not in wall or base not in wall:
            continue
        cli = BY_NAME[name].cli
        ratio = wall[name] / wall[base] if cli else med[name] / med[base]
        by_cpu = pcpu[name] / pcpu[base] if cli else cpu[name] / cpu[base]
        ok = ratio <= TARGET_HAND
        print(
            f"  {name} / {base} ({'process' if cli else 'work'}): {ratio:.2f}x "
            f"(target <= {TARGET_HAND}x; by CPU time {by_cpu:.2f}x)"
        )
        if not ok:
            missed.append(f"{label} {name} {ratio:.2f}x {base}")
        if peak[name] > peak[base]:
            missed.append(f"{label} {name} peak {fmt_mb(peak[name])} MB > {fmt_mb(peak[base])}")
        print(
            f"  peak memory: {name} {fmt_mb(peak[name])} MB, {base} {fmt_mb(peak[base])} MB "
            "(target <=)"
        )
    for name, want in (("evidently", TARGET_EVIDENTLY), ("nannyml", TARGET_NANNYML)):
        if name in wall and "scalegate-cli" in wall:
            ratio = wall[name] / wall["scalegate-cli"]
            by_cpu = pcpu[name] / pcpu["scalegate-cli"]
            print(
                f"  {name} / scalegate-cli (process): {ratio:.1f}x faster (target >= {want}x; "
                f"by CPU time {by_cpu:.1f}x)"
            )
            if ratio < want:
                missed.append(f"{label} {name} only {ratio:.1f}x scalegate-cli")
    for name in ("evidently", "nannyml", "whylogs"):
        if name in med and "polars" in med:
            print(
                f"  {name} / hand-written Polars: {med[name] / med['polars']:.1f}x "
                f"(by CPU time {cpu[name] / cpu['polars']:.1f}x)"
            )
    return out


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in ("polars", "numpy", "scalegate"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    compare = COMPARE_VENV / "bin" / "python"
    if compare.exists():
        code = (
            "import json\nfrom importlib.metadata import version\nout={}\n"
            "for n in ('evidently','nannyml','whylogs','pandas','numpy','scipy','pyarrow'):\n"
            "    try: out[n]=version(n)\n    except Exception: out[n]=None\nprint(json.dumps(out))"
        )
        done = subprocess.run([str(compare), "-c", code], capture_output=True, text=True)
        if done.returncode == 0:
            out.update({f"compare:{k}": v for k, v in json.loads(done.stdout).items()})
    return out


def _git() -> dict[str, Any]:
    def git(*a: str) -> str:
        done = subprocess.run(["git", *a], cwd=REPO_DIR, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "dirty_src": bool(git("status", "--porcelain", "--", "src")),
    }


if __name__ == "__main__":
    sys.exit(main())
