"""Fairness benchmark: scalegate against Fairlearn's MetricFrame, same data, same numbers.

Target (issue 6): per-group rates and disparities for two sensitive attributes on 5M rows at
least 10x faster than Fairlearn's ``MetricFrame``, with the same numbers.

The data (fixed seed): ``gender`` (3 values) x ``age_band`` (5 values), so 15 intersection
groups; a 0/1 label whose base rate depends on the group, a score, and the prediction
``score >= 0.5``. Every group defines every rate, so the numbers must agree everywhere.

Contenders, each timed from data in memory (or on disk) to every per-group rate and every
disparity:

* ``scalegate (polars)``: :func:`scalegate.engine.fairness.fairness_metrics` on a Polars frame;
* ``scalegate (parquet)``: the same on the Parquet file (a lazy, streaming scan);
* ``scalegate (pandas)``: the same on a pandas frame (converted to Arrow/Polars inside);
* ``fairlearn``: one ``MetricFrame`` (selection rate, TPR, FPR, precision, accuracy, count) on
  NumPy arrays with a pandas frame of the two sensitive columns, then its
  ``difference()`` and ``ratio()`` (method ``between_groups``), the cheapest route to the
  same disparities (``demographic_parity_difference`` and friends each build a MetricFrame
  of their own).

Usage::

    python bench/bench_fairness.py                 # 5M rows: scalegate 5 runs, Fairlearn 1
    python bench/bench_fairness.py --rows 500k --repeat 1

Prints wall times (median of the runs), the speed-up and the largest absolute difference
between scalegate's and Fairlearn's numbers; writes ``bench/results/fairness.json``. Exit
status 1 if the target is missed or the numbers differ by more than 1e-9.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_FILE = BENCH_DIR / "results" / "fairness.json"
TARGET = 10.0
TOLERANCE = 1e-9
RATES = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")


def _rows(text: str) -> int:
    text = text.lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


def make_data(rows: int, seed: int = 1) -> Any:
    """The benchmark's frame (Polars), deterministic for a seed."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    gender = rng.choice(np.array(["female", "male", "other"]), rows, p=[0.48, 0.48, 0.04])
    age = rng.choice(np.array(["18-25", "26-35", "36-50", "51-65", "66+"]), rows)
    base = 0.25 + 0.1 * (gender == "male") + 0.05 * (age == "36-50")
    label = (rng.random(rows) < base).astype(np.int8)
    score = np.clip(0.3 * label + 0.7 * rng.random(rows) + 0.05 * (gender == "male"), 0, 1)
    return pl.DataFrame(
        {
            "gender": gender,
            "age_band": age,
            "label": label,
            "score": score,
            "prediction": (score >= 0.5).astype(np.int8),
        }
    )


def run_scalegate(data: Any) -> dict[str, Any]:
    from scalegate.engine.fairness import fairness_metrics

    report = fairness_metrics(
        data, sensitive=["gender", "age_band"], label="label", prediction="prediction"
    )
    groups = {tuple(g.group.values()): dict(g.metrics) for g in report.groups}
    return {"groups": groups, "disparities": dict(report.disparities)}


def run_fairlearn(y: Any, p: Any, sf: Any) -> dict[str, Any]:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "true_positive_rate": true_positive_rate,
                "false_positive_rate": false_positive_rate,
                "precision": precision_score,
                "accuracy": accuracy_score,
                "count": count,
            },
            y_true=y,
            y_pred=p,
            sensitive_features=sf,
        )
        diff = frame.difference(method="between_groups")
        ratio = frame.ratio(method="between_groups")
    groups = {
        tuple(key): {m: float(row[m]) for m in RATES} for key, row in frame.by_group.iterrows()
    }
    disparities = {
        "demographic_parity_difference": float(diff["selection_rate"]),
        "demographic_parity_ratio": float(ratio["selection_rate"]),
        "true_positive_rate_difference": float(diff["true_positive_rate"]),
        "false_positive_rate_difference": float(diff["false_positive_rate"]),
        "equalized_odds_difference": float(
            max(diff["true_positive_rate"], diff["false_positive_rate"])
        ),
        "equalized_odds_ratio": float(
            min(ratio["true_positive_rate"], ratio["false_positive_rate"])
        ),
    }
    return {"groups": groups, "disparities": disparities}


def max_difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The largest absolute difference between two results (inf if their groups differ)."""
    if set(a["groups"]) != set(b["groups"]):
        return float("inf")
    worst = 0.0
    for key, metrics in a["groups"].items():
        for m in RATES:
            worst = max(worst, abs(metrics[m] - b["groups"][key][m]))
    for name, value in a["disparities"].items():
        worst = max(worst, abs(value - b["disparities"][name]))
    return worst


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="5m", help="rows of data (e.g. 5m, 500k)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of scalegate (median)")
    parser.add_argument(
        "--fairlearn-repeat", type=int, default=1, help="runs of Fairlearn (median; minutes each)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    rows = _rows(args.rows)

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"fairness-{rows}.parquet"
    df = make_data(rows)
    if not path.exists():
        df.write_parquet(path)
    pdf = df.to_pandas()
    y, p = df["label"].to_numpy(), df["prediction"].to_numpy()
    sf = pdf[["gender", "age_band"]]

    print(
        f"fairness: {rows:,} rows, 2 sensitive attributes (15 groups), {args.repeat} run(s) of "
        f"scalegate, {args.fairlearn_repeat} of Fairlearn"
    )
    results: dict[str, dict[str, Any]] = {}
    t_fl, fl = timed(lambda: run_fairlearn(y, p, sf), args.fairlearn_repeat)
    results["fairlearn"] = {"seconds": t_fl}
    contenders = {
        "scalegate (polars)": lambda: run_scalegate(df),
        "scalegate (parquet)": lambda: run_scalegate(str(path)),
        "scalegate (pandas)": lambda: run_scalegate(pdf),
    }
    ok = True
    for name, fn in contenders.items():
        seconds, got = timed(fn, args.repeat)
        diff = max_difference(got, fl)
        speedup = t_fl / seconds
        results[name] = {"seconds": seconds, "speedup": speedup, "max_abs_difference": diff}
        ok = ok and diff <= TOLERANCE
        if name == "scalegate (polars)":
            ok = ok and speedup >= TARGET
    width = max(len(n) for n in results)
    print(f"{'contender':<{width}}  {'wall (s)':>9}  {'speed-up':>9}  max |diff|")
    for name, r in results.items():
        speed = f"{r['speedup']:.1f}x" if "speedup" in r else ""
        diff = f"{r['max_abs_difference']:.2e}" if "max_abs_difference" in r else ""
        print(f"{name:<{width}}  {r['seconds']:>9.3f}  {speed:>9}  {diff}")
    print(f"target: scalegate (polars) at least {TARGET:g}x faster, max |diff| <= {TOLERANCE:g}")
    print("PASS" if ok else "MISSED")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "rows": rows,
                "repeat": args.repeat,
                "fairlearn_repeat": args.fairlearn_repeat,
                "results": results,
                "passed": ok,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average": os.getloadavg(),
                },
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
