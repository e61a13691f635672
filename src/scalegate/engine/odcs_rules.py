"""The pieces of an ODCS import (:mod:`scalegate.engine.odcs`): the rule list it builds,
column types and ``logicalTypeOptions``, and the quality metrics with their operators.

Every function here either adds scalegate rules to a :class:`Rules` list or raises
:class:`Skip` with the reason the ODCS check cannot be converted; the caller records that
reason with the check's path as an :class:`Unconverted`.
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from scalegate.domain import documents
from scalegate.engine.rules import RULES

#: ODCS ``severity`` words read as scalegate ``warn`` (anything else known is ``error``)
WARN_SEVERITIES = frozenset({"warning", "warn", "info", "information", "low", "minor", "medium"})
ERROR_SEVERITIES = frozenset({"error", "critical", "high", "blocker", "fatal", "major"})

_LOGICAL_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "datetime",
}
_PHYSICAL_TYPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(timestamp|datetime)"), "datetime"),
    (re.compile(r"^date$"), "date"),
    (re.compile(r"^(bool|boolean)$"), "boolean"),
    (re.compile(r"^(tinyint|smallint|int|integer|bigint|long|int\d+|uint\d+|short)$"), "integer"),
    (re.compile(r"^(float|double|real|decimal|numeric|number|float\d+)"), "number"),
    (re.compile(r"^(varchar|char|text|string|nvarchar|nchar|clob|character)"), "string"),
]
_STRING_FORMATS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "ipv4": r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
    r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$",
}
RELATIONSHIPS = "relationships (foreign keys) span datasets; a contract checks one dataset"
_INT_FORMAT = re.compile(r"^([iu])(8|16|32|64|128)$")
_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
#: v3.0 ``rule:`` spellings and the v3.1 metric each means
_OLD_RULES = {"duplicateCount": "duplicateValues", "validValues": "invalidValues"}
_COUNTING = ("nullValues", "missingValues", "invalidValues", "duplicateValues")
#: option keys understood per logical type; others are listed as not converted
_KNOWN_OPTIONS = {
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "multipleOf",
}


@dataclass(frozen=True, slots=True)
class Unconverted:
    """A part of the ODCS document that has no scalegate equivalent, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class Skip(Exception):
    """This check cannot be converted (the message says why)."""


# ------------------------------------------------------------------ building rules


class Rules:
    """Rules of one column (or the dataset) with unique result ids, duplicates folded."""

    def __init__(self, owner: str | None) -> None:
        self.owner = owner
        self.items: list[dict[str, Any] | str] = []
        self._ids: set[str] = set()

    def add(
        self,
        rule: str,
        params: dict[str, Any] | None = None,
        *,
        severity: str = "error",
        threshold: float = 1.0,
        description: str = "",
        suffix: str | None = None,
    ) -> None:
        params = params or {}
        _validate(rule, params)
        entry: dict[str, Any] = {rule: params}
        if severity != "error":
            entry["severity"] = severity
        if threshold < 1.0:
            entry["threshold"] = threshold
        if description:
            entry["description"] = description
        if any(_same(entry, other) for other in self.items):
            return
        label = "dataset" if self.owner is None else self.owner
        rid = f"{label}.{rule}"
        if suffix is not None or rid in self._ids:
            base = f"{_safe_id(label)}.{suffix or rule}"
            rid, n = base, 1
            while rid in self._ids:
                n += 1
                rid = f"{base}_{n}"
            entry["id"] = rid
        self._ids.add(rid)
        # a rule alone with no parameters is written bare: ``- not_null``
        self.items.append(rule if set(entry) == {rule} and not params else entry)


def _same(entry: dict[str, Any], other: dict[str, Any] | str) -> bool:
    if isinstance(other, str):
        other = {other: {}}
    strip = {"description", "id"}
    return {k: v for k, v in entry.items() if k not in strip} == {
        k: v for k, v in other.items() if k not in strip
    }


def _safe_id(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.:-]", "_", name)
    return safe if re.match(r"^[A-Za-z0-9]", safe) else f"c{safe}"


def _validate(rule: str, params: dict[str, Any]) -> None:
    try:
        RULES[rule].params.model_validate(params)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        raise Skip(f"{rule} {params!r} is not valid: {documents.describe_error(err)}") from None


# ------------------------------------------------------------------ types and options


def column_type(prop: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """A property's scalegate column type, or None and the reason it has none."""
    logical = prop.get("logicalType")
    physical = str(prop.get("physicalType") or "").strip().lower()
    if logical in ("object", "array"):
        return None, f"logicalType {logical}: nested data is not checked"
    if logical == "time":
        return None, "logicalType time has no scalegate type"
    if logical is not None:
        if logical not in _LOGICAL_TYPES:
            return None, f"logicalType {logical!r} is unknown"
        kind = _LOGICAL_TYPES[logical]
        if kind == "date" and re.match(r"^(timestamp|datetime)", physical):
            kind = "datetime"  # v3.0 had no timestamp type; the physical type tells
        return kind, None
    if physical:
        for pattern, kind in _PHYSICAL_TYPES:
            if pattern.match(physical):
                return kind, None
        return None, f"physicalType {prop.get('physicalType')!r} has no scalegate type"
    return None, None


def _bound(value: Any, kind: str | None) -> Any:
    """An ODCS bound as a value the column compares with (dates from ISO text)."""
    if isinstance(value, bool):
        raise Skip(f"bound {value!r} is not a number or date")
    if kind in ("date", "datetime"):
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                if kind == "date" and len(value) == 10:
                    return dt.date.fromisoformat(value)
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise Skip(f"bound {value!r} is not an ISO date or timestamp") from None
        raise Skip(f"bound {value!r} is not a date")
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        return value
    raise Skip(f"bound {value!r} is not a number")


def _range(opts: Mapping[str, Any], kind: str | None) -> dict[str, Any] | None:
    """``between`` parameters from minimum/maximum and the exclusive forms of both."""
    lo = hi = None
    lo_open = hi_open = False
    if "minimum" in opts:
        lo = _bound(opts["minimum"], kind)
    if "maximum" in opts:
        hi = _bound(opts["maximum"], kind)
    for key, is_lower in (("exclusiveMinimum", True), ("exclusiveMaximum", False)):
        if key not in opts:
            continue
        value = opts[key]
        if isinstance(value, bool):  # v3.0: a flag on minimum / maximum
            if is_lower:
                lo_open = value
            else:
                hi_open = value
            continue
        bound = _bound(value, kind)  # v3.1: a bound of its own
        if is_lower:
            if lo is None or _stricter(bound, lo, lower=True):
                lo, lo_open = bound, True
        elif hi is None or _stricter(bound, hi, lower=False):
            hi, hi_open = bound, True
    if lo is None and hi is None:
        return None
    params: dict[str, Any] = {}
    if lo is not None:
        params["min"] = lo
    if hi is not None:
        params["max"] = hi
    inclusive = {
        (False, False): "both",
        (True, False): "right",
        (False, True): "left",
        (True, True): "neither",
    }[(lo_open and lo is not None, hi_open and hi is not None)]
    if inclusive != "both":
        params["inclusive"] = inclusive
    return params


def _stricter(new: Any, old: Any, *, lower: bool) -> bool:
    try:
        return bool(new >= old) if lower else bool(new <= old)
    except TypeError:
        raise Skip(f"bounds {old!r} and {new!r} are of different kinds") from None


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def add_options(
    name: str, kind: str | None, opts: Any, rules: Rules, at: str, out: list[Unconverted]
) -> None:
    """Rules from a property's ``logicalTypeOptions``; what does not convert goes to ``out``."""
    if not isinstance(opts, dict):
        out.append(Unconverted(at, "logicalTypeOptions is not a mapping"))
        return
    steps: list[tuple[str, Any]] = [
        ("minimum/maximum", lambda: _add_range(opts, kind, rules)),
        ("minLength/maxLength", lambda: _add_length(opts, rules)),
        ("pattern", lambda: _add_pattern(opts, rules)),
        ("format", lambda: _add_format(opts, kind, rules)),
        ("multipleOf", lambda: _add_multiple(name, opts, rules)),
    ]
    for label, step in steps:
        try:
            step()
        except Skip as exc:
            out.append(Unconverted(f"{at}.{label.split('/')[0]}", str(exc)))
    for key in opts:
        if key not in _KNOWN_OPTIONS:
            out.append(Unconverted(f"{at}.{key}", f"option '{key}' has no scalegate rule"))


def _add_range(opts: Mapping[str, Any], kind: str | None, rules: Rules) -> None:
    if not {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & set(opts):
        return
    if kind not in ("integer", "number", "date", "datetime", None):
        raise Skip(f"a range on a {kind} column is not converted")
    params = _range(opts, kind)
    if params is not None:
        rules.add("between", params)


def _add_length(opts: Mapping[str, Any], rules: Rules) -> None:
    params = {k: opts[s] for k, s in (("min", "minLength"), ("max", "maxLength")) if s in opts}
    if params:
        rules.add("length", params)


def _add_pattern(opts: Mapping[str, Any], rules: Rules) -> None:
    if "pattern" in opts:
        rules.add("regex", {"pattern": opts["pattern"]})


def _add_format(opts: Mapping[str, Any], kind: str | None, rules: Rules) -> None:
    fmt = opts.get("format")
    if fmt is None:
        return
    text = str(fmt)
    if kind == "string" or (kind is None and text in _STRING_FORMATS):
        if text not in _STRING_FORMATS:
            raise Skip(
                f"string format '{text}' is not converted (known: "
                + ", ".join(sorted(_STRING_FORMATS))
                + ")"
            )
        rules.add("regex", {"pattern": _STRING_FORMATS[text]}, suffix="format")
        return
    m = _INT_FORMAT.match(text)
    if kind == "integer" and m:
        bits = int(m.group(2))
        if m.group(1) == "u":
            params: dict[str, Any] = {"min": 0}
            if bits <= 32:
                params["max"] = 2**bits - 1
        elif bits <= 32:
            params = {"min": -(2 ** (bits - 1)), "max": 2 ** (bits - 1) - 1}
        else:
            raise Skip(f"integer format {text}: every 64-bit integer column fits; no check")
        rules.add("between", params, suffix="format")
        return
    raise Skip(f"format '{text}' of a {kind or 'untyped'} column is not checked")


def _add_multiple(name: str, opts: Mapping[str, Any], rules: Rules) -> None:
    if "multipleOf" not in opts:
        return
    k = opts["multipleOf"]
    if isinstance(k, bool) or not isinstance(k, int | float) or k <= 0:
        raise Skip(f"multipleOf {k!r} is not a positive number")
    if not _identifier(name):
        raise Skip(f"column name {name!r} cannot be written in an expression rule")
    rules.add("expression", {"expr": f"{name} % {k} == 0"}, suffix="multiple_of")


# ------------------------------------------------------------------ quality rules


@dataclass(frozen=True, slots=True)
class _Limit:
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    hi_open: bool = False


def _number(value: Any, op: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Skip(f"{op} {value!r} is not a number")
    return value


def _limit(item: Mapping[str, Any]) -> _Limit | None:
    """The operators of a quality item as one interval (None when it has none)."""
    ops = [op for op in _OPERATORS if op in item]
    if not ops:
        return None
    lo: float | None = None
    hi: float | None = None
    lo_open = hi_open = False

    def lower(v: float, open_: bool) -> None:
        nonlocal lo, lo_open
        if lo is None or v > lo or (v == lo and open_):
            lo, lo_open = v, open_

    def upper(v: float, open_: bool) -> None:
        nonlocal hi, hi_open
        if hi is None or v < hi or (v == hi and open_):
            hi, hi_open = v, open_

    for op in ops:
        value = item[op]
        if op in ("mustNotBe", "mustNotBeBetween"):
            raise Skip(f"{op} has no scalegate equivalent")
        if op == "mustBeBetween":
            if not isinstance(value, list) or len(value) != 2:
                raise Skip(f"mustBeBetween {value!r} is not a list of two numbers")
            a, b = (_number(v, op) for v in value)
            lower(min(a, b), True)  # the standard: mustBeGreaterThan and mustBeLessThan
            upper(max(a, b), True)
            continue
        v = _number(value, op)
        if op == "mustBe":
            lower(v, False)
            upper(v, False)
        elif op == "mustBeGreaterThan":
            lower(v, True)
        elif op == "mustBeGreaterOrEqualTo":
            lower(v, False)
        elif op == "mustBeLessThan":
            upper(v, True)
        else:
            upper(v, False)
    return _Limit(lo, lo_open, hi, hi_open)


def _severity(item: Mapping[str, Any], at: str, out: list[Unconverted]) -> str:
    raw = item.get("severity")
    if raw is None:
        return "error"
    word = str(raw).strip().lower()
    if word in WARN_SEVERITIES:
        return "warn"
    if word not in ERROR_SEVERITIES:
        out.append(Unconverted(f"{at}.severity", f"severity {raw!r} is unknown; kept as error"))
    return "error"


def _allowed_fraction(item: Mapping[str, Any], metric: str) -> float:
    """How large a fraction of rows may fail a counting metric (0 = none)."""
    limit = _limit(item)
    if limit is None:
        return 0.0  # a counting metric with no operator: none may fail
    unit = str(item.get("unit", "rows")).lower()
    # ``mustBeBetween: [0, x]`` means "at most x" however the standard words its ends
    zero_floor = limit.lo == 0 and "mustBeBetween" in item
    if limit.lo is not None and (limit.lo > 0 or (limit.lo_open and not zero_floor)):
        raise Skip(f"{metric} with a lower bound: scalegate limits only how many rows fail")
    if limit.hi is None:
        raise Skip(f"{metric} without an upper bound checks nothing")
    if unit in ("rows", "row", "count"):
        allowed = math.ceil(limit.hi) - 1 if limit.hi_open else math.floor(limit.hi)
        if allowed <= 0:
            return 0.0
        raise Skip(
            f"{metric} allows {allowed} rows; scalegate limits the fraction of rows, "
            "so write the limit with unit: percent"
        )
    if unit in ("percent", "%", "pct"):
        return min(max(limit.hi, 0.0), 100.0) / 100.0
    raise Skip(f"unit {item.get('unit')!r} is not rows or percent")


def _threshold(fraction: float) -> float:
    return round(1.0 - fraction, 12)


def _metric(item: Mapping[str, Any]) -> str | None:
    metric = item.get("metric")
    if metric is None and "rule" in item:
        rule = str(item["rule"])
        metric = _OLD_RULES.get(rule, rule)
    return None if metric is None else str(metric)


def _library_metric(item: Mapping[str, Any]) -> str | None:
    """The metric of a library check; :class:`Skip` for text, SQL, custom and unknown types."""
    kind = str(item.get("type", "library")).lower()
    if kind in ("text", "sql", "custom"):
        raise Skip(_other_kind(kind, item))
    if kind not in ("library", "implicit", "default"):
        raise Skip(f"quality type {item.get('type')!r} is unknown")
    return _metric(item)


def _label(item: Mapping[str, Any]) -> str:
    """The description a converted rule carries: the check's description, else its name."""
    return str(item.get("description") or item.get("name") or "")


def property_quality(
    name: str,
    item: Mapping[str, Any],
    rules: Rules,
    at: str,
    out: list[Unconverted],
) -> None:
    """Rules from one property-level quality check, or :class:`Skip` with the reason."""
    metric = _library_metric(item)
    if metric is None:
        raise Skip("a library check needs a metric")
    severity = _severity(item, at, out)
    description = _label(item)
    args = item.get("arguments") or {}
    if not isinstance(args, dict):
        raise Skip("arguments is not a mapping")

    if metric == "nullValues":
        fraction = _allowed_fraction(item, metric)
        rules.add(
            "not_null",
            {"max_fraction": fraction} if fraction else {},
            severity=severity,
            description=description,
        )
    elif metric == "missingValues":
        fraction = _allowed_fraction(item, metric)
        missing = args.get("missingValues", item.get("missingValues"))
        if not isinstance(missing, list) or not missing:
            raise Skip("missingValues needs arguments.missingValues: [...]")
        if not _identifier(name):
            raise Skip(f"column name {name!r} cannot be written in an expression rule")
        values = [v for v in missing if v is not None]
        if any(not isinstance(v, str | int | float) or isinstance(v, bool) for v in values):
            raise Skip(f"missingValues {missing!r} holds values other than text and numbers")
        parts = []
        if len(values) < len(missing):
            parts.append(f"is_not_null({name})")
        if values:
            parts.append(f"{name} not in [{', '.join(_literal(v) for v in values)}]")
        rules.add(
            "expression",
            {"expr": " and ".join(parts)},
            threshold=_threshold(fraction),
            suffix="missing_values",
            severity=severity,
            description=description,
        )
    elif metric == "invalidValues":
        fraction = _allowed_fraction(item, metric)
        valid = args.get("validValues", item.get("validValues"))
        pattern = args.get("pattern", item.get("pattern"))
        if valid is None and pattern is None:
            raise Skip("invalidValues needs arguments.validValues or arguments.pattern")
        if valid is not None:
            if not isinstance(valid, list):
                raise Skip(f"validValues {valid!r} is not a list")
            values = [v for v in valid if v is not None]
            rules.add(
                "in_set",
                {"values": values},
                threshold=_threshold(fraction),
                severity=severity,
                description=description,
            )
        if pattern is not None:
            rules.add(
                "regex",
                {"pattern": pattern},
                threshold=_threshold(fraction),
                severity=severity,
                description=description,
            )
    elif metric == "duplicateValues":
        fraction = _allowed_fraction(item, metric)
        rules.add(
            "unique", threshold=_threshold(fraction), severity=severity, description=description
        )
    elif metric == "rowCount":
        raise Skip("rowCount is a schema-level metric; written under a property it is unclear")
    else:
        raise Skip(f"library metric '{metric}' is not known to scalegate")


def schema_quality(
    item: Mapping[str, Any],
    columns: Mapping[str, str],
    rules: Rules,
    at: str,
    out: list[Unconverted],
) -> None:
    """Rules from one schema-level quality check, or :class:`Skip` with the reason."""
    metric = _library_metric(item)
    severity = _severity(item, at, out)
    description = _label(item)
    args = item.get("arguments") or {}
    if metric == "rowCount":
        limit = _limit(item)
        if limit is None:
            raise Skip("rowCount needs an operator such as mustBeGreaterThan")
        unit = str(item.get("unit", "rows")).lower()
        if unit not in ("rows", "row", "count"):
            raise Skip(f"rowCount in unit {item.get('unit')!r} is not converted")
        params: dict[str, Any] = {}
        if limit.lo is not None:
            params["min"] = math.floor(limit.lo) + 1 if limit.lo_open else math.ceil(limit.lo)
            params["min"] = max(params["min"], 0)
        if limit.hi is not None:
            params["max"] = math.ceil(limit.hi) - 1 if limit.hi_open else math.floor(limit.hi)
        rules.add("row_count", params, severity=severity, description=description)
    elif metric == "duplicateValues":
        keys = args.get("properties") if isinstance(args, dict) else None
        if keys is None:
            keys = item.get("properties") or item.get("columns")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise Skip("a schema-level duplicateValues needs arguments.properties: [...]")
        known = {**{c: c for c in columns.values()}, **columns}
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise Skip(f"duplicateValues names unknown properties {', '.join(unknown)}")
        fraction = _allowed_fraction(item, metric)
        rules.add(
            "unique",
            {"columns": [known[k] for k in keys]},
            threshold=_threshold(fraction),
            severity=severity,
            description=description,
        )
    elif metric is None:
        raise Skip("a library check needs a metric")
    elif metric in _COUNTING:
        raise Skip(f"{metric} at schema level names no property")
    else:
        raise Skip(f"library metric '{metric}' is not known to scalegate")


def _other_kind(kind: str, item: Mapping[str, Any]) -> str:
    if kind == "sql":
        return "type sql: SQL checks are not converted (rewrite as an expression rule)"
    if kind == "custom":
        return f"type custom (engine {item.get('engine', '?')}): vendor checks are not converted"
    return "type text: a description for people, nothing to check"


def _literal(value: str | int | float) -> str:
    """A value as an expression literal; text in double quotes reads better inside YAML."""
    return json.dumps(value) if isinstance(value, str) else repr(value)
