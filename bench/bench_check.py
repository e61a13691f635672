"""Data-contract check benchmark: scalegate against Great Expectations, Pandera and Polars.

Targets (issue 3), for ``scalegate check`` *including the dataset profile*, at 1M and 5M rows:

* at least 10x faster than Great Expectations;
* at least 2x faster than Pandera on Polars;
* within 1.3x of a hand-written Polars pass (one lazy ``scan_parquet`` and one ``select`` of
  every rule's failing count: the fair minimum);
* peak memory no higher than that pass.

Usage::

    python bench/bench_check.py                    # 1M and 5M rows, 3 repeats, every contender
    python bench/bench_check.py --quick            # 100k rows, 1 repeat: a smoke run
    python bench/bench_check.py --sizes 1m --repeat 5 --only scalegate,polars

Run it with the project's venv (``.venv/bin/python``). Great Expectations and Pandera are
never project dependencies: they live in ``bench/.venv-compare``, which this script creates
with ``pip`` on first use (``--no-compare`` skips them). That venv also generates the data
(NumPy), once per size, into ``bench/.data/credit-<rows>.parquet``.

Each contender runs in its own child process (``python bench_check.py --worker NAME ...``)
that reads the same Parquet file. The child times its own work (from reading the file to
having every rule's failing count) and reports its resident memory after imports; the parent
takes the child's wall time and peak RSS (``os.wait4`` ``ru_maxrss``). Repeats go round-robin
over the contenders so that background load spreads evenly. Results are printed and written
to ``bench/results/check.json``; the exit status is 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
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

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_FILE = BENCH_DIR / "results" / "check.json"
CONTRACT_FILE = BENCH_DIR / "check_contract.yaml"
COMPARE_VENV = BENCH_DIR / ".venv-compare"
COMPARE_REQUIREMENTS = [
    "great_expectations>=1.0",
    "pandera[polars]>=0.20",
    "pandas>=2.0",
    "pyarrow>=14",
    "polars>=1.0",
    "numpy>=1.24",
]
SEED = 20261126

TARGET_GE = 10.0
TARGET_PANDERA_POLARS = 2.0
TARGET_HAND = 1.3

# The contract's expression rules, written by hand for the other tools (scalegate parses
# them from the YAML). Keyed by the expression text.
HAND_EXPRESSIONS = {
    "loan_amount <= income * 20": "polars: pl.col('loan_amount') <= pl.col('income') * 20",
    "status != 'charged_off' or delinquencies_2y > 0": (
        "polars: (pl.col('status') != 'charged_off') | (pl.col('delinquencies_2y') > 0)"
    ),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ============================================================================ contenders


@dataclass(frozen=True)
class Contender:
    name: str
    venv: str  # "project" or "compare"
    description: str
    cli: bool = False


CONTENDERS = [
    Contender("scalegate", "project", "check(path, contract) with the profile (the default)"),
    Contender("scalegate-noprofile", "project", "check(path, contract, profile=False)"),
    Contender("scalegate-cli", "project", "`scalegate check FILE -c C --json` process", True),
    Contender("polars", "project", "hand-written Polars: scan_parquet + one select"),
    Contender("polars-streaming", "project", "the same, collect(engine='streaming')"),
    Contender("pandera-polars", "compare", "Pandera on Polars (read_parquet, validate lazy)"),
    Contender("pandera-pandas", "compare", "Pandera on pandas (read_parquet, validate lazy)"),
    Contender("great-expectations", "compare", "Great Expectations 1.x, pandas engine"),
]
BY_NAME = {c.name: c for c in CONTENDERS}


# ============================================================================ the rules


def normalised_rules(contract_file: Path) -> list[dict[str, Any]]:
    """The contract as a flat list of rules with scalegate's result ids."""
    import yaml

    doc = yaml.safe_load(contract_file.read_text("utf-8"))

    def entry(column: str | None, raw: Any) -> dict[str, Any]:
        raw = dict(raw) if isinstance(raw, dict) else {raw: {}}
        severity = raw.pop("severity", "error")
        threshold = raw.pop("threshold", 1.0)
        raw.pop("id", None)
        ((rule, params),) = raw.items()
        rid = f"{column or 'dataset'}.{rule}"
        return {
            "id": rid,
            "column": column,
            "rule": rule,
            "params": params or {},
            "severity": severity,
            "threshold": threshold,
        }

    out = [entry(None, r) for r in doc.get("dataset", [])]
    for name, col in doc["columns"].items():
        out += [entry(name, r) for r in col.get("rules", [])]
    return out


# ============================================================================ workers


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


def _polars_fail(pl: Any, rule: dict[str, Any], schema: Any) -> Any:
    """A boolean Polars expression, true where a row fails the rule (None: aggregate)."""
    kind, p, col = rule["rule"], rule["params"], rule["column"]
    c = pl.col(col) if col else None
    if kind == "not_null":
        return c.is_null()
    if kind == "between":
        inside = pl.lit(True)
        if "min" in p:
            inside = inside & (c >= p["min"])
        if "max" in p:
            inside = inside & (c <= p["max"])
        fails = ~inside
        if schema[col].is_float():
            fails = fails | ~c.is_finite()
        return fails
    if kind == "in_set":
        values = p["values"]
        if schema[col] == pl.String:
            values = [str(v) for v in values]
        return ~c.is_in(values)
    if kind == "regex":
        return ~c.str.contains(p["pattern"])
    if kind == "length":
        n = c.str.len_chars()
        fails = pl.lit(False)
        if "min" in p:
            fails = fails | (n < p["min"])
        if "max" in p:
            fails = fails | (n > p["max"])
        return fails
    if kind == "unique":
        keys = [col] if col else list(p["columns"])
        complete = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
        dup = pl.col(col).is_duplicated() if col else pl.struct(keys).is_duplicated()
        return complete & dup
    if kind == "expression":
        code = HAND_EXPRESSIONS[p["expr"]].removeprefix("polars: ")
        return ~eval(code, {"pl": pl})
    if kind == "row_count":
        return None
    raise ValueError(f"no hand-written Polars for rule {kind}")


def work_polars(path: str, rules: list[dict[str, Any]], streaming: bool) -> dict[str, Any]:
    import polars as pl

    lf = pl.scan_parquet(path)
    schema = lf.collect_schema()
    exprs = [pl.len().alias("__rows")]
    for r in rules:
        fails = _polars_fail(pl, r, schema)
        if fails is not None:
            exprs.append(fails.fill_null(False).sum().alias(r["id"]))
    row = lf.select(exprs).collect(engine="streaming" if streaming else "auto").row(0, named=True)
    return {k: int(v) for k, v in row.items() if k != "__rows"}


def work_scalegate(path: str, contract_file: str, profile: bool) -> dict[str, Any]:
    from scalegate.engine.check import check, load_contract

    contract = load_contract(Path(contract_file).read_text("utf-8"), contract_file)
    result = check(path, contract, profile=profile)
    if profile:
        assert result.profile is not None and len(result.profile.columns) == 20
    return {r.id: r.failing for r in result.results if r.rule not in ("type", "row_count")}


def work_pandera(path: str, rules: list[dict[str, Any]], backend: str) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    if backend == "polars":
        import pandera.polars as pa
        import polars as pl

        frame: Any = pl.read_parquet(path)
        checks = _pandera_polars_checks
    else:
        import pandas as pd

        try:
            import pandera.pandas as pa
        except ImportError:  # older Pandera
            import pandera as pa  # type: ignore[no-redef]
        frame = pd.read_parquet(path)
        checks = _pandera_pandas_checks

    columns: dict[str, Any] = {}
    frame_checks: list[Any] = []
    unique_keys: list[str] | None = None
    names = {}
    by_column: dict[str, list[dict[str, Any]]] = {}
    for r in rules:
        if r["column"]:
            by_column.setdefault(r["column"], []).append(r)
        elif r["rule"] == "unique":
            unique_keys = list(r["params"]["columns"])
        elif r["rule"] == "expression":
            frame_checks.append(checks(pa, r, None, frame)[0])
            names[(None, frame_checks[-1].error or frame_checks[-1].name)] = r["id"]
        elif r["rule"] == "row_count":
            p = r["params"]
            frame_checks.append(
                pa.Check(
                    (lambda d, lo=p.get("min", 0), hi=p.get("max"): _row_count_ok(d, lo, hi)),
                    name=r["id"],
                )
            )
    for name, col_rules in by_column.items():
        col_checks: list[Any] = []
        nullable, unique = True, False
        for r in col_rules:
            if r["rule"] == "not_null" and not r["params"].get("max_fraction"):
                nullable = False
                names[(name, "not_nullable")] = r["id"]
            elif r["rule"] == "unique":
                unique = True
                names[(name, "field_uniqueness")] = r["id"]
            else:
                made = checks(pa, r, name, frame)
                for chk in made:
                    names[(name, chk.error or chk.name)] = r["id"]
                col_checks += made
        columns[name] = pa.Column(checks=col_checks, nullable=nullable, unique=unique)
    schema = pa.DataFrameSchema(columns, checks=frame_checks, unique=unique_keys)
    # aggregate checks (a null fraction, the row count) give pass/fail, not a failing count
    counts: dict[str, int | None] = {
        r["id"]: None
        for r in rules
        if r["rule"] == "row_count" or (r["rule"] == "not_null" and r["params"].get("max_fraction"))
    }
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        if backend == "pandas":
            import polars as pl  # to count the (small) failure cases like on Polars

            cases = pl.from_pandas(cases.astype({"failure_case": str, "index": "Int64"}))
            # Pandera on pandas lists a frame-level failure once per cell: count rows
            per_check = pl.col("index").n_unique()
        else:
            per_check = pl.len()
        for column, check, n, cells in (
            cases.group_by(["column", "check"])
            .agg(per_check.alias("n"), pl.len().alias("cells"))
            .select("column", "check", "n", "cells")
            .iter_rows()
        ):
            rid = names.get((column, check)) or names.get((None, check)) or f"{column}:{check}"
            if unique_keys and check == "multiple_fields_uniqueness":
                rid = "dataset.unique"
                if backend == "pandas":  # one failure case per key column and row
                    n = cells // len(unique_keys)
            if rid in counts and counts[rid] is None:
                continue
            counts[rid] = (counts.get(rid) or 0) + int(n)
        if backend == "pandas":
            # a frame-level check's failures come once per column: count its rows once
            for (column, check), rid in names.items():
                if column is None and rid in counts:
                    rows = cases.filter(pl.col("check") == check).get_column("index")
                    counts[rid] = rows.n_unique()
    return counts


def _row_count_ok(data: Any, lo: int, hi: int | None) -> bool:
    frame = getattr(data, "lazyframe", data)
    n = (
        frame.select(__import__("polars").len()).collect().item()
        if hasattr(frame, "collect")
        else len(frame)
    )
    return lo <= n and (hi is None or n <= hi)


def _pandera_polars_checks(pa: Any, r: dict[str, Any], col: str | None, frame: Any) -> list[Any]:
    import polars as pl

    kind, p, rid = r["rule"], r["params"], r["id"]
    if kind == "not_null":
        f = p["max_fraction"]
        return [
            pa.Check(
                lambda d, f=f: d.lazyframe.select(pl.col(d.key).is_null().mean() <= f),
                name=rid,
            )
        ]
    if kind == "between":
        lo, hi = p.get("min", float("-inf")), p.get("max", float("inf"))
        return [pa.Check.in_range(lo, hi, name=rid)]
    if kind == "in_set":
        values = p["values"]
        if frame.schema[col] == pl.String:
            values = [str(v) for v in values]
        return [pa.Check.isin(values, name=rid)]
    if kind == "regex":
        return [pa.Check.str_matches(p["pattern"], name=rid)]
    if kind == "length":
        return [pa.Check.str_length(p.get("min"), p.get("max"), name=rid)]
    if kind == "expression":
        code = HAND_EXPRESSIONS[p["expr"]].removeprefix("polars: ")
        expr = eval(code, {"pl": pl})
        ok = (expr | expr.is_null()).alias("ok")
        return [pa.Check(lambda d, ok=ok: d.lazyframe.select(ok), name=rid)]
    raise ValueError(f"no Pandera check for {kind}")


def _pandas_expression(text: str) -> Any:
    if text == "loan_amount <= income * 20":
        return lambda df: (
            (df["loan_amount"] <= df["income"] * 20)
            | df["loan_amount"].isna()
            | df["income"].isna()
        )
    if text == "status != 'charged_off' or delinquencies_2y > 0":
        return lambda df: (
            (df["status"] != "charged_off")
            | (df["delinquencies_2y"] > 0)
            | df["status"].isna() & df["delinquencies_2y"].isna()
        )
    raise ValueError(text)


def _pandera_pandas_checks(pa: Any, r: dict[str, Any], col: str | None, frame: Any) -> list[Any]:
    kind, p, rid = r["rule"], r["params"], r["id"]
    if kind == "not_null":
        f = p["max_fraction"]
        return [pa.Check(lambda s, f=f: s.isna().mean() <= f, name=rid)]
    if kind == "between":
        lo, hi = p.get("min", float("-inf")), p.get("max", float("inf"))
        return [pa.Check.in_range(lo, hi, name=rid)]
    if kind == "in_set":
        return [
            pa.Check.isin(
                [str(v) for v in p["values"]] if frame[col].dtype == object else p["values"],
                name=rid,
            )
        ]
    if kind == "regex":
        return [pa.Check.str_matches(p["pattern"], name=rid)]
    if kind == "length":
        return [pa.Check.str_length(p.get("min"), p.get("max"), name=rid)]
    if kind == "expression":
        fn = _pandas_expression(p["expr"])
        if col is None:
            return [pa.Check(fn, name=rid)]
        return [pa.Check(lambda s, fn=fn, frame=frame: fn(frame), name=rid)]
    raise ValueError(f"no Pandera check for {kind}")


def work_great_expectations(path: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    context = gx.get_context(mode="ephemeral")
    frame = pd.read_parquet(path)
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("credit")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = gx.ExpectationSuite(name="bench")
    skipped: dict[str, None] = {}
    for r in rules:
        kind, p, col = r["rule"], r["params"], r["column"]
        meta = {"rule": r["id"]}
        mostly = r["threshold"]
        e: Any
        if kind == "not_null":
            e = gxe.ExpectColumnValuesToNotBeNull(
                column=col, mostly=1.0 - p.get("max_fraction", 0.0), meta=meta
            )
        elif kind == "between":
            e = gxe.ExpectColumnValuesToBeBetween(
                column=col, min_value=p.get("min"), max_value=p.get("max"), mostly=mostly, meta=meta
            )
        elif kind == "in_set":
            e = gxe.ExpectColumnValuesToBeInSet(column=col, value_set=p["values"], meta=meta)
        elif kind == "regex":
            e = gxe.ExpectColumnValuesToMatchRegex(column=col, regex=p["pattern"], meta=meta)
        elif kind == "length":
            e = gxe.ExpectColumnValueLengthsToBeBetween(
                column=col, min_value=p.get("min"), max_value=p.get("max"), meta=meta
            )
        elif kind == "unique" and col:
            e = gxe.ExpectColumnValuesToBeUnique(column=col, meta=meta)
        elif kind == "unique":
            e = gxe.ExpectCompoundColumnsToBeUnique(column_list=list(p["columns"]), meta=meta)
        elif kind == "row_count":
            e = gxe.ExpectTableRowCountToBeBetween(
                min_value=p.get("min"), max_value=p.get("max"), meta=meta
            )
        else:  # expression: GE 1.x has no row expression on pandas without a custom class
            skipped[r["id"]] = None
            continue
        suite.add_expectation(e)
    result = batch.validate(suite, result_format="BASIC")
    counts: dict[str, int | None] = dict(skipped)
    for res in result.results:
        rid = res.expectation_config.meta["rule"]
        n = res.result.get("unexpected_count")
        if n is not None:
            counts[rid] = int(n)
    return counts


def worker(args: argparse.Namespace) -> int:
    """Run one contender in this (child) process and print a JSON line."""
    name = args.worker
    rules = [] if name == "generate" else json.loads(Path(args.rules).read_text("utf-8"))
    # imports first, so that their memory is reported apart
    if name.startswith("scalegate"):
        import polars

        import scalegate.engine.check
        import scalegate.engine.polars_plan
        import scalegate.engine.profile_query  # noqa: F401
    elif name.startswith("polars"):
        import polars
    elif name == "pandera-polars":
        import pandera.polars
        import polars  # noqa: F401
    elif name == "pandera-pandas":
        import pandas
        import pandera  # noqa: F401
    elif name == "great-expectations":
        import great_expectations  # noqa: F401
        import pandas  # noqa: F401
    baseline = _rss_kb("VmRSS")
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    if name == "scalegate":
        counts = work_scalegate(args.data, args.contract, profile=True)
    elif name == "scalegate-noprofile":
        counts = work_scalegate(args.data, args.contract, profile=False)
    elif name == "polars":
        counts = work_polars(args.data, rules, streaming=False)
    elif name == "polars-streaming":
        counts = work_polars(args.data, rules, streaming=True)
    elif name == "pandera-polars":
        counts = work_pandera(args.data, rules, "polars")
    elif name == "pandera-pandas":
        counts = work_pandera(args.data, rules, "pandas")
    elif name == "great-expectations":
        counts = work_great_expectations(args.data, rules)
    elif name == "generate":
        generate(args.data, int(args.rows))
        counts = {}
    else:
        raise SystemExit(f"unknown worker {name}")
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    doc = {"seconds": seconds, "cpu": cpu, "baseline_kb": baseline, "counts": counts}
    print(json.dumps(doc))
    return 0


# ============================================================================ data


def generate(path: str, rows: int) -> None:
    """A seeded synthetic credit-risk table: 12 numeric columns, 8 categorical (NumPy)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(SEED + rows)

    def with_nulls(values: Any, fraction: float) -> Any:
        out = pd.array(values)
        out[rng.random(rows) < fraction] = None
        return out

    def labels(levels: list[str], fraction: float = 0.0, skew: float = 1.2) -> Any:
        weights = 1.0 / np.arange(1, len(levels) + 1) ** skew
        picked = np.array(levels, dtype=object)[
            rng.choice(len(levels), rows, p=weights / weights.sum())
        ]
        if fraction:
            picked[rng.random(rows) < fraction] = None
        return picked

    grades = list("ABCDEFG")
    states = (  # noqa: SIM905
        "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
        "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
    ).split()
    purposes = [
        "debt_consolidation",
        "credit_card",
        "home_improvement",
        "major_purchase",
        "small_business",
        "car",
        "medical",
        "moving",
        "vacation",
        "house",
        "wedding",
        "renewable_energy",
        "educational",
        "other",
    ]
    income = rng.lognormal(10.9, 0.6, rows)
    loan = np.round(rng.lognormal(9.4, 0.8, rows), 2)
    grade = labels(grades, skew=0.8)
    sub = np.char.add(grade.astype(str), rng.integers(1, 6, rows).astype(str)).astype(object)
    sub[rng.random(rows) < 0.0005] = "H9"  # a few bad sub-grades
    loan_id = np.arange(1, rows + 1, dtype=np.int64)
    dup = rng.random(rows) < 0.0001  # a few duplicated ids
    loan_id[dup] = np.maximum(loan_id[dup] - 1, 1)
    frame = pd.DataFrame(
        {
            "loan_id": loan_id,
            "age": with_nulls(np.clip(rng.normal(42, 13, rows), 18, 95).astype(np.int64), 0.01),
            "income": with_nulls(income, 0.03),
            "loan_amount": with_nulls(loan, 0.01),
            "term_months": rng.choice([12, 24, 36, 48, 60, 72], rows).astype(np.int64),
            "interest_rate": with_nulls(np.round(rng.gamma(4.0, 0.03, rows), 4), 0.005),
            "debt_to_income": with_nulls(rng.beta(2.0, 5.0, rows) * 1.1, 0.02),
            "credit_score": with_nulls(
                np.clip(rng.normal(690, 70, rows), 300, 850).astype(np.int64), 0.05
            ),
            "open_accounts": with_nulls(rng.poisson(9, rows).astype(np.int64), 0.01),
            "delinquencies_2y": rng.negative_binomial(1, 0.7, rows).astype(np.int64),
            "revolving_util": with_nulls(rng.beta(2.0, 3.0, rows) * 1.3, 0.01),
            "months_employed": with_nulls(rng.exponential(70, rows).astype(np.int64), 0.07),
            "grade": grade,
            "sub_grade": sub,
            "home_ownership": labels(["MORTGAGE", "RENT", "OWN", "OTHER"], 0.01),
            "purpose": labels(purposes, 0.002),
            "state": labels(states, skew=0.9),
            "employment": labels(
                ["employed", "self_employed", "retired", "unemployed", "student"], 0.03
            ),
            "channel": labels(["online", "branch", "broker"]),
            "status": labels(
                ["current", "paid", "late_30", "late_60", "late_90", "charged_off"], 0.0, 1.5
            ),
        }
    )
    tmp = f"{path}.tmp"
    frame.to_parquet(tmp, index=False, row_group_size=256 * 1024)
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
    log(f"creating {COMPARE_VENV} (Great Expectations, Pandera; a few minutes, once)")
    subprocess.run([sys.executable, "-m", "venv", str(COMPARE_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *COMPARE_REQUIREMENTS], check=True)
    return python


@dataclass
class Runs:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    baseline_kb: list[int] = field(default_factory=list)
    counts: dict[str, int] | None = None
    error: str | None = None


def run_child(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, int, float, str, str]:
    """Run ``cmd``; its wall time, peak RSS (KB), CPU seconds, stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO_DIR, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode not in (0, 1):  # scalegate check exits 1 when an error rule fails
        raise RuntimeError(f"{cmd[1:3]} exited {proc.returncode}: {stderr.strip()[-800:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, int(usage.ru_maxrss), cpu, stdout, stderr


def run_once(
    c: Contender, data: Path, rules_file: Path, compare: Path | None
) -> tuple[float, float, float, int, int, dict[str, int]]:
    if c.cli:
        scalegate = Path(sys.executable).parent / "scalegate"
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, SCALEGATE_DB=f"sqlite:///{home}/bench.db", HOME=home)
            wall, peak, cpu, stdout, _ = run_child(
                [str(scalegate), "check", str(data), "--contract", str(CONTRACT_FILE), "--json"],
                env,
            )
        doc = json.loads(stdout)
        counts = {
            r["id"]: r["failing"]
            for r in doc.get("results", [])
            if r.get("rule") not in ("type", "row_count")
        }
        return wall, cpu, wall, peak, 0, counts
    python = sys.executable if c.venv == "project" else str(compare)
    cmd = [
        python,
        str(Path(__file__).resolve()),
        "--worker",
        c.name,
        "--data",
        str(data),
        "--rules",
        str(rules_file),
        "--contract",
        str(CONTRACT_FILE),
    ]
    wall, peak, _, stdout, _ = run_child(cmd)
    doc = json.loads(stdout.strip().splitlines()[-1])
    return doc["seconds"], doc["cpu"], wall, peak, doc["baseline_kb"], doc["counts"]


def ensure_data(rows: int, compare: Path | None, fresh: bool) -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"credit-{label_of(rows)}.parquet"
    if path.exists() and not fresh:
        return path
    if compare is None:
        raise SystemExit("generating the data needs NumPy from bench/.venv-compare")
    log(f"generating {path.name} ({rows:,} rows)")
    cmd = [str(compare), str(Path(__file__).resolve()), "--worker", "generate"]
    subprocess.run([*cmd, "--data", str(path), "--rows", str(rows), "--rules", "-"], check=True)
    return path


def agreement(counts: dict[str, int] | None, truth: dict[str, int] | None) -> str:
    if counts is None or truth is None:
        return "-"
    # a tool that lists failures only leaves out the rules that passed
    shared = [k for k in truth if counts.get(k) is not None or (k not in counts and not truth[k])]
    bad = [k for k in shared if int(counts.get(k) or 0) != int(truth[k])]
    # tools report only failing rules: a rule absent from the counts had no failures
    missing = [k for k in truth if k not in counts and truth[k]]
    skipped = [k for k in truth if k in counts and counts[k] is None]
    if bad or missing:
        shown = ", ".join(f"{k}={counts.get(k)} vs {truth[k]}" for k in (bad + missing)[:4])
        return f"NO ({len(bad) + len(missing)}: {shown})"
    return f"yes ({len(shared)}/{len(truth)}" + (f"; {len(skipped)} n/a)" if skipped else ")")


def fmt_mb(kb: float) -> str:
    return f"{kb / 1024:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sizes", default="1m,5m", help="row counts, e.g. 1m,5m or 200k")
    p.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    p.add_argument("--quick", action="store_true", help="100k rows, one run: a smoke test")
    p.add_argument("--only", default="", help="comma list of contenders (prefix match)")
    p.add_argument("--no-compare", action="store_true", help="skip GE and Pandera")
    p.add_argument("--fresh", action="store_true", help="regenerate the data")
    p.add_argument("--output", type=Path, default=RESULTS_FILE)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--rules", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    p.add_argument("--contract", default=str(CONTRACT_FILE), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)

    if args.quick:
        args.sizes, args.repeat = "100k", 1
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    contenders = [
        c
        for c in CONTENDERS
        if (not wanted or any(c.name.startswith(w) for w in wanted))
        and not (args.no_compare and c.venv == "compare")
    ]
    compare = compare_python(create=not args.no_compare)
    if compare is None:
        contenders = [c for c in contenders if c.venv == "project"]
    rules = normalised_rules(CONTRACT_FILE)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rules_file = DATA_DIR / "check_rules.json"
    rules_file.write_text(json.dumps(rules, indent=1), "utf-8")
    log(f"{len(rules)} rules; contenders: {', '.join(c.name for c in contenders)}")

    load_before = os.getloadavg()
    report: dict[str, Any] = {}
    missed: list[str] = []
    for rows in sizes:
        data = ensure_data(rows, compare, args.fresh)
        runs = {c.name: Runs() for c in contenders}
        for i in range(args.repeat):
            for c in contenders:
                r = runs[c.name]
                if r.error:
                    continue
                try:
                    seconds, cpu, wall, peak, base, counts = run_once(c, data, rules_file, compare)
                except Exception as exc:  # one broken contender must not stop the others
                    r.error = str(exc).strip().splitlines()[-1][:300]
                    log(f"  {c.name}: {r.error}")
                    continue
                r.seconds.append(seconds)
                r.cpu.append(cpu)
                r.wall.append(wall)
                r.peak_kb.append(peak)
                r.baseline_kb.append(base)
                r.counts = counts
                log(f"  {label_of(rows)} run {i + 1} {c.name}: {seconds:.2f} s, {peak // 1024} MB")
        report[label_of(rows)] = summarise(rows, data, runs, missed)
        write_results(args.output, args.repeat, load_before, report, missed)
    load_after = os.getloadavg()

    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        print(
            f"\nnote: load average {load_before[0]:.1f} -> {load_after[0]:.1f} on "
            f"{os.cpu_count()} CPUs: timings are noisy"
        )
    print("\n" + ("targets missed: " + "; ".join(missed) if missed else "all targets met"))
    return 1 if missed else 0


def write_results(
    output: Path,
    repeat: int,
    load_before: tuple[float, float, float],
    report: dict[str, Any],
    missed: list[str],
) -> None:
    """The JSON results so far (written after each size, so a long run keeps what it has)."""
    load_after = os.getloadavg()
    doc = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": load_after,
        },
        "git": _git(),
        "repeat": repeat,
        "sizes": report,
        "missed": missed,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def summarise(rows: int, data: Path, runs: dict[str, Runs], missed: list[str]) -> dict[str, Any]:
    truth = runs["polars"].counts if "polars" in runs else None
    med = {n: statistics.median(r.seconds) for n, r in runs.items() if r.seconds}
    peak = {n: statistics.median(r.peak_kb) for n, r in runs.items() if r.peak_kb}
    cpu = {n: statistics.median(r.cpu) for n, r in runs.items() if r.cpu}
    base = med.get("scalegate")
    print(f"\n{label_of(rows)} rows ({data.stat().st_size / 1e6:,.0f} MB Parquet)")
    header = (
        f"{'contender':<20} {'time s':>7} {'cpu s':>6} {'process s':>9} {'peak MB':>8} "
        f"{'-base MB':>8} {'x scalegate':>11} {'cpu x':>6} {'mem x':>6}  counts agree"
    )
    print(header)
    print("-" * len(header))
    out: dict[str, Any] = {"rows": rows, "parquet_bytes": data.stat().st_size, "contenders": {}}
    for name, r in runs.items():
        if not r.seconds:
            print(f"{name:<20} error: {r.error}")
            out["contenders"][name] = {"error": r.error}
            continue
        ratio = med[name] / base if base else None
        cpu_ratio = cpu[name] / cpu["scalegate"] if cpu.get("scalegate") else None
        mem = peak[name] / peak["scalegate"] if "scalegate" in peak else None
        over = statistics.median(
            max(0, pk - b) for pk, b in zip(r.peak_kb, r.baseline_kb, strict=True)
        )
        agree = agreement(r.counts, truth) if name != "polars" else "(reference)"
        print(
            f"{name:<20} {med[name]:>7.2f} {cpu[name]:>6.2f} {statistics.median(r.wall):>9.2f} "
            f"{fmt_mb(peak[name]):>8} {fmt_mb(over) if r.baseline_kb[0] else '-':>8} "
            f"{(f'{ratio:.2f}' if ratio else '-'):>11} "
            f"{(f'{cpu_ratio:.2f}' if cpu_ratio else '-'):>6} "
            f"{(f'{mem:.2f}' if mem else '-'):>6}  {agree}"
        )
        out["contenders"][name] = {
            "seconds_median": med[name],
            "seconds": r.seconds,
            "cpu_seconds_median": cpu[name],
            "cpu_ratio_to_scalegate": cpu_ratio,
            "process_seconds_median": statistics.median(r.wall),
            "peak_rss_mb_median": peak[name] / 1024,
            "peak_over_baseline_mb_median": over / 1024 if r.baseline_kb[0] else None,
            "ratio_to_scalegate": ratio,
            "memory_ratio_to_scalegate": mem,
            "counts_agree": agree,
            "counts": r.counts,
        }
    if base:
        label = label_of(rows)
        for other, want, cmp in (
            ("great-expectations", TARGET_GE, "faster"),
            ("pandera-polars", TARGET_PANDERA_POLARS, "faster"),
            ("polars", TARGET_HAND, "within"),
        ):
            if other not in med:
                continue
            ratio = med[other] / base
            ok = ratio >= want if cmp == "faster" else base / med[other] <= want
            shown = f"{ratio:.1f}x faster" if cmp == "faster" else f"{base / med[other]:.2f}x"
            by_cpu = cpu[other] / cpu["scalegate"]
            cpu_shown = f"{by_cpu:.1f}x" if cmp == "faster" else f"{1 / by_cpu:.2f}x"
            print(
                f"  vs {other}: {shown} (target {'>=' if cmp == 'faster' else '<='} {want}x; "
                f"by CPU time {cpu_shown})"
            )
            if not ok:
                missed.append(f"{label} vs {other} {shown}")
        if "polars" in peak:
            ok = peak["scalegate"] <= peak["polars"]
            print(
                f"  peak memory: scalegate {fmt_mb(peak['scalegate'])} MB, "
                f"hand-written Polars {fmt_mb(peak['polars'])} MB (target <=)"
            )
            if not ok:
                missed.append(f"{label} peak memory {fmt_mb(peak['scalegate'])} MB")
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
