"""Run a data contract against a dataset.

:func:`load_contract` parses a contract document and checks every rule id and parameter set
against the rule registry, naming file, line and field of a problem.

:func:`check` plans every rule as Narwhals expressions and computes all of them -- failing
counts of row rules, dataset aggregates and the row count -- in **one** ``select`` on the
input's LazyFrame: one query plan, one ``collect``. Only rules that fail get a second, small
query each, for up to five failing example values.

On Polars (files and local frames) :mod:`.polars_plan` goes further: the rules, their
failing examples and the dataset profile are one ``select``, one ``collect`` in all. Files
of :data:`.polars_stream.STREAM_BYTES` (32 MiB) and more take :mod:`.polars_stream`: the
same results from a few queries that Polars' streaming engine runs in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import narwhals as nw
import pydantic

from scalegate.domain import documents
from scalegate.domain.contract import ColumnSpec, Contract, RuleSpec, Severity
from scalegate.engine import polars_plan, polars_stream
from scalegate.engine.backends import flag_rows
from scalegate.engine.frames import Source, first_line, read_error, to_lazy
from scalegate.engine.profile_query import compute as compute_profile
from scalegate.engine.results import CheckResult, RuleResult, Status, example
from scalegate.engine.rules import RULES
from scalegate.engine.rules.registry import (
    AggregateCheck,
    Plan,
    RowCheck,
    RuleContext,
    RuleError,
    Verdict,
)
from scalegate.engine.rules.types import column_type, satisfies
from scalegate.engine.sketches.distinct import DEFAULT_PRECISION
from scalegate.engine.sketches.frequent import DEFAULT_CAPACITY
from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA
from scalegate.errors import DocumentError

Lines = dict[documents.Path, tuple[int, int]]

#: failing example values kept per rule
EXAMPLES = 5
#: floating-point slack when comparing a failing count with the allowed fraction
_EPS = 1e-9


# ------------------------------------------------------------------------- loading


def _entries(contract: Contract) -> list[tuple[str | None, documents.Path, RuleSpec]]:
    out: list[tuple[str | None, documents.Path, RuleSpec]] = [
        (None, ("dataset", i), spec) for i, spec in enumerate(contract.dataset)
    ]
    for name, col in contract.columns.items():
        out.extend((name, ("columns", name, "rules", i), s) for i, s in enumerate(col.rules))
    return out


def validate_contract(contract: Contract, *, source: str, lines: Lines | None = None) -> Contract:
    """Check each rule's id, scope and parameters against the registry."""
    lines = lines or {}
    for column, where, spec in _entries(contract):
        owner = "the dataset" if column is None else f"column '{column}'"
        rule = RULES.get(spec.rule)
        if rule is None:
            raise DocumentError.at(
                source,
                f"{owner} uses unknown rule '{spec.rule}'; known rules are "
                + ", ".join(sorted(RULES)),
                line=documents.line_of(lines, (*where, spec.rule)),
                field=documents.dotted(where),
            )
        scope = "dataset" if column is None else "column"
        if scope not in rule.scopes:
            home = "under 'dataset:'" if "dataset" in rule.scopes else "under a column"
            raise DocumentError.at(
                source,
                f"rule '{spec.rule}' cannot be used on {owner}; write it {home}",
                line=documents.line_of(lines, (*where, spec.rule)),
                field=documents.dotted(where),
            )
        documents.validate_params(
            rule.params,
            spec.params,
            source=source,
            lines=lines,
            at=(*where, spec.rule),
            label=f"{owner}, rule '{spec.rule}'",
            name=spec.rule,
            quote_value_errors=False,  # rule validators already quote the bad value
        )
    return contract


def load_contract(text: str, source: str) -> Contract:
    """Parse, validate and check a contract YAML document.

    Example:
        >>> text = "contract: c\\ncolumns:\\n  age:\\n    rules: [not_null]\\n"
        >>> c = load_contract(text, "c.yaml")
        >>> c.columns["age"].rules[0].rule
        'not_null'
    """
    data, lines = documents.parse_yaml(text, source)
    contract = documents.validate(Contract, data, source=source, lines=lines)
    return validate_contract(contract, source=source, lines=lines)


# ------------------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class _Planned:
    id: str
    spec: RuleSpec
    column: str | None
    plan: Plan


Slot = RuleResult | _Planned


def _fixed(
    rid: str,
    rule: str,
    column: str | None,
    status: Status,
    reason: str,
    severity: Severity = Severity.ERROR,
    threshold: float = 1.0,
) -> RuleResult:
    return RuleResult(rid, rule, column, severity, status, threshold=threshold, reason=reason)


def _plan_rule(
    rid: str, spec: RuleSpec, column: str | None, schema: dict[str, Any], now: datetime
) -> Slot:
    def error(reason: str) -> RuleResult:
        return _fixed(rid, spec.rule, column, Status.ERROR, reason, spec.severity, spec.threshold)

    rule = RULES.get(spec.rule)
    if rule is None:
        return error(f"unknown rule '{spec.rule}'; known rules are {', '.join(sorted(RULES))}")
    if ("column" if column else "dataset") not in rule.scopes:
        return error(f"rule '{spec.rule}' cannot be used here")
    try:
        params = rule.params.model_validate(spec.params)
    except pydantic.ValidationError as exc:
        return error(f"bad parameters: {documents.describe_error(exc.errors()[0])}")
    try:
        plan = rule.plan(params, RuleContext(column, schema, now))
    except RuleError as exc:
        return error(str(exc))
    except Exception as exc:  # a plugin's bug must not take the other rules down
        return error(f"rule '{spec.rule}' could not be planned: {first_line(exc)}")
    return _Planned(rid, spec, column, plan)


def _column_slots(
    name: str, col: ColumnSpec, ids: list[str], schema: dict[str, Any], now: datetime
) -> list[Slot]:
    if name not in schema:
        out: list[Slot] = []
        if col.required:
            out.append(_fixed(f"{name}.required", "required", name, Status.FAIL, "column missing"))
            why = f"column '{name}' is missing"
        else:
            why = f"optional column '{name}' is absent"
        if col.type is not None:
            out.append(_fixed(f"{name}.type", "type", name, Status.SKIPPED, why))
        out.extend(
            _fixed(rid, s.rule, name, Status.SKIPPED, why, s.severity, s.threshold)
            for rid, s in zip(ids, col.rules, strict=True)
        )
        return out
    out = []
    if col.type is not None:
        dtype = schema[name]
        actual = column_type(dtype)
        ok = satisfies(actual, col.type)
        shown = f"{dtype}" + (f" ({actual.value})" if actual is not None else "")
        reason = f"'{name}' is {shown}" + ("" if ok else f"; expected {col.type.value}")
        out.append(_fixed(f"{name}.type", "type", name, Status.PASS if ok else Status.FAIL, reason))
    out.extend(_plan_rule(rid, s, name, schema, now) for rid, s in zip(ids, col.rules, strict=True))
    return out


def _plan(contract: Contract, schema: dict[str, Any], now: datetime) -> list[Slot]:
    ids = [rid for rid, _ in contract.rule_ids()]
    n = len(contract.dataset)
    slots: list[Slot] = [
        _plan_rule(rid, spec, None, schema, now)
        for rid, spec in zip(ids[:n], contract.dataset, strict=True)
    ]
    pos = n
    for name, col in contract.columns.items():
        slots.extend(_column_slots(name, col, ids[pos : pos + len(col.rules)], schema, now))
        pos += len(col.rules)
    return slots


# ------------------------------------------------------------------------- computing


def _exprs(i: int, plan: Plan) -> dict[str, nw.Expr]:
    if isinstance(plan, RowCheck):
        return {f"__f{i}": plan.fails.fill_null(False).cast(nw.Int64).sum()}
    return {f"__a{i}_{k}": e for k, e in plan.aggregates.items()}


def _compute(
    lf: nw.LazyFrame[Any], planned: list[_Planned], source: Source
) -> tuple[int, dict[str, Any], dict[int, str]]:
    """Row count and every aggregate in one select; per rule only if that one fails."""
    exprs: dict[str, nw.Expr] = {"__rows": nw.len()}
    for i, p in enumerate(planned):
        exprs.update(_exprs(i, p.plan))
    try:
        row = lf.select(**exprs).collect().rows(named=True)[0]
        return int(row["__rows"] or 0), row, {}
    except Exception:  # each backend raises its own kinds; find out below what failed
        pass
    # the slow path, only when the one plan fails: is it the data, or which rules?
    try:
        rows = int(lf.select(__rows=nw.len()).collect().item() or 0)
    except Exception as exc:
        raise read_error(source, exc) from None
    values: dict[str, Any] = {}
    errors: dict[int, str] = {}
    for i, p in enumerate(planned):
        own = _exprs(i, p.plan)
        if not own:
            continue
        try:
            values.update(lf.select(**own).collect().rows(named=True)[0])
        except Exception as exc:
            errors[i] = first_line(exc)
    return rows, values, errors


def _polars_plan(
    lf: nw.LazyFrame[Any],
    planned: list[_Planned],
    profile: bool,
    schema: dict[str, Any],
    src: Source,
) -> polars_plan.Outcome | None:
    """Rules, their examples and the profile in one query on Polars (:mod:`.polars_plan`);
    None elsewhere, or when that query fails (the generic path then finds out why)."""
    rules = []
    for i, p in enumerate(planned):
        if isinstance(p.plan, RowCheck):
            rules.append(
                polars_plan.RulePlan(
                    f"__f{i}",
                    p.plan.fails,
                    unique=p.plan.duplicate_keys,
                    example_columns=p.plan.example_columns,
                )
            )
        else:
            rules.append(polars_plan.RulePlan(f"__a{i}", aggregates=p.plan.aggregates))
    return polars_plan.try_run(
        lf,
        rules,
        examples=EXAMPLES,
        profile=profile,
        alpha=DEFAULT_ALPHA,
        top_capacity=DEFAULT_CAPACITY,
        precision=DEFAULT_PRECISION,
        schema=schema,
        streaming=polars_stream.wanted(src.paths),
        columnar=polars_stream.columnar(src.paths),
    )


def _pct(fraction: float) -> str:
    p = fraction * 100
    if p == 0:
        return "0%"
    if p < 0.001:
        return "<0.001%"
    return f"{p:.3g}%"


def _allowed(spec: RuleSpec, plan: RowCheck) -> float:
    loose = 1.0 - spec.threshold
    return loose if plan.allowed is None else max(plan.allowed, loose)


def _row_result(p: _Planned, plan: RowCheck, failing: int, rows: int) -> RuleResult:
    allowed = _allowed(p.spec, plan)
    fraction = failing / rows if rows else 0.0
    ok = failing <= allowed * rows + _EPS
    reason = f"{failing:,} of {rows:,} rows ({_pct(fraction)}) {plan.what}"
    if allowed > 0:
        reason += f"; allowed {_pct(allowed)}"
    return RuleResult(
        p.id,
        p.spec.rule,
        p.column,
        p.spec.severity,
        Status.PASS if ok else Status.FAIL,
        failing=failing,
        total=rows,
        fraction=fraction,
        threshold=p.spec.threshold,
        reason=reason,
    )


def _aggregate_result(p: _Planned, verdict: Verdict) -> RuleResult:
    fraction = verdict.failing / verdict.total if verdict.total else 0.0
    return RuleResult(
        p.id,
        p.spec.rule,
        p.column,
        p.spec.severity,
        Status.PASS if verdict.passed else Status.FAIL,
        failing=verdict.failing,
        total=verdict.total,
        fraction=fraction,
        threshold=p.spec.threshold,
        reason=verdict.reason,
    )


def _examples(lf: nw.LazyFrame[Any], plan: RowCheck) -> tuple[Any, ...]:
    cols = list(dict.fromkeys(plan.example_columns))
    if not cols:
        return ()
    found = lf.filter(plan.fails.fill_null(False)).select(*cols).head(EXAMPLES).collect()
    if len(cols) == 1:
        return tuple(example(v) for v in found.get_column(cols[0]).to_list())
    return tuple(example(r) for r in found.rows(named=True))


def check(
    data: Any,
    contract: Contract,
    *,
    now: datetime | None = None,
    profile: bool = True,
    on_phase: Callable[[str], None] | None = None,
) -> CheckResult:
    """Run ``contract`` against ``data`` (a path or any supported frame).

    Args:
        data: a Parquet/CSV/NDJSON path, folder or glob, or a pandas, Polars, PyArrow,
            DuckDB, PySpark or Narwhals frame.
        contract: a contract, e.g. from :func:`load_contract`.
        now: the time freshness rules measure against (default: the current UTC time).
        profile: also compute the dataset's mergeable profile (:mod:`.profile`).
        on_phase: called with a short description as each phase starts (for progress
            displays): reading the schema, computing the rules, fetching examples, profiling.

    Example:
        >>> import polars as pl
        >>> c = load_contract("contract: c\\ncolumns:\\n  a:\\n    rules: [unique]\\n", "c")
        >>> check(pl.DataFrame({"a": [1, 2, 2]}), c).result("a.unique").failing
        2
    """
    started = datetime.now(UTC)
    now = now or started
    phase = on_phase or (lambda _: None)
    phase("reading the schema")
    lf, src = to_lazy(data)
    try:
        native_schema = lf.collect_schema()
    except Exception as exc:
        raise read_error(src, exc) from None
    schema: dict[str, Any] = dict(native_schema.items())
    slots = _plan(contract, schema, now)
    planned = [s for s in slots if isinstance(s, _Planned)]
    rules = f"{len(planned)} rule" + ("" if len(planned) == 1 else "s")
    phase(f"computing {rules} on {len(schema):,} columns")
    fast = _polars_plan(lf, planned, profile, schema, src)
    errors: dict[int, str] = {}
    rule_lf = lf
    if fast is not None:
        rows, values = int(fast.values["rows"] or 0), fast.values
    else:
        # SQL engines: row rules' flags as columns first (windows cannot sit in aggregates)
        rule_lf, plans = flag_rows(lf, [p.plan for p in planned])
        planned = [replace(p, plan=plan) for p, plan in zip(planned, plans, strict=True)]
        rows, values, errors = _compute(rule_lf, planned, src)
    fetching = False

    computed: dict[str, RuleResult] = {}
    for i, p in enumerate(planned):
        if i in errors:
            computed[p.id] = _fixed(
                p.id,
                p.spec.rule,
                p.column,
                Status.ERROR,
                errors[i],
                p.spec.severity,
                p.spec.threshold,
            )
        elif isinstance(p.plan, RowCheck):
            r = _row_result(p, p.plan, int(values.get(f"__f{i}") or 0), rows)
            if r.status == Status.FAIL and fast is not None:
                found = fast.examples.get(f"__f{i}") or []
                r = replace(r, examples=tuple(example(v) for v in found[:EXAMPLES]))
            elif r.status == Status.FAIL:
                if not fetching:
                    fetching = True
                    phase("fetching examples of failing rules")
                try:
                    r = replace(r, examples=_examples(rule_lf, p.plan))
                except Exception:
                    r = replace(r, reason=r.reason + " (examples unavailable)")
            computed[p.id] = r
        else:
            agg: AggregateCheck = p.plan
            own = {k: values.get(f"__a{i}_{k}") for k in agg.aggregates}
            try:
                computed[p.id] = _aggregate_result(p, agg.judge(own, rows))
            except Exception as exc:  # a plugin's judge, as above
                computed[p.id] = _fixed(
                    p.id,
                    p.spec.rule,
                    p.column,
                    Status.ERROR,
                    f"rule '{p.spec.rule}' could not judge {own!r}: {first_line(exc)}",
                    p.spec.severity,
                )

    results = tuple(computed[s.id] if isinstance(s, _Planned) else s for s in slots)
    dataset_profile = None if fast is None else fast.profile
    if profile and fast is None:
        phase(f"profiling {len(schema):,} columns")
        try:
            dataset_profile = compute_profile(
                lf, alpha=DEFAULT_ALPHA, top_capacity=DEFAULT_CAPACITY, precision=DEFAULT_PRECISION
            )
        except Exception as exc:
            raise read_error(src, exc, doing="profile") from None
    return CheckResult(
        contract=contract.contract,
        version=contract.version,
        source=src.description,
        backend=src.backend,
        rows=rows,
        columns=len(schema),
        results=results,
        schema={k: str(v) for k, v in schema.items()},
        started=started,
        finished=datetime.now(UTC),
        profile=dataset_profile,
    )
