"""Convert an Open Data Contract Standard (ODCS) v3 document into a scalegate contract.

:func:`convert` takes the parsed document and returns a contract mapping (what a contract
YAML holds) and the list of everything it could not convert, each an :class:`Unconverted`
with its path in the document (``schema[0].properties[3].quality[1]``) and the reason.
Nothing is dropped silently: descriptive fields (business names, tags, classification,
servers, team, SLA...) carry no check and are left out; every *check* the document states
is either converted or listed.

What converts (one schema object, picked with ``schema=`` when there are several):

====================================  ===================================================
ODCS                                  scalegate
====================================  ===================================================
property ``logicalType`` (or          column ``type``: string, integer, number, boolean,
``physicalType`` when absent)         date, datetime (``timestamp``, or a ``date`` whose
                                      physical type is a timestamp)
``required: true``                    ``not_null``
``unique: true``                      ``unique``
``primaryKey: true``                  ``not_null`` on each key column, and ``unique``
                                      on a one-column key; a composite key (ordered by
                                      ``primaryKeyPosition``) becomes a dataset
                                      ``unique: {columns: [...]}``
``logicalTypeOptions`` minimum,       ``between`` (v3.0 boolean ``exclusive*`` flags and
maximum, exclusiveMinimum/Maximum     v3.1 numeric ``exclusive*`` bounds both read)
minLength, maxLength / pattern        ``length`` / ``regex``
format email, uuid, ipv4, uri;        ``regex`` (id ``<column>.format``); integer widths
i8..i32, u8..u64                      as a ``between`` (id ``<column>.format``)
multipleOf                            ``expression`` ``<column> % k == 0``
quality ``nullValues``                ``not_null`` (``max_fraction`` from ``percent``)
quality ``missingValues``             ``expression`` ``<column> not in [...]``
quality ``invalidValues``             ``in_set`` (``validValues``) and/or ``regex``
                                      (``pattern``)
quality ``duplicateValues``           ``unique`` (column), ``unique {columns}`` (schema
                                      level with ``arguments.properties``)
quality ``rowCount``                  ``row_count {min, max}``
v3.0 ``rule: duplicateCount``,        as ``duplicateValues``, ``invalidValues`` with the
``rule: validValues``                 item's ``validValues``, and the v3.1 metric names
====================================  ===================================================

Operators: ``mustBe``, ``mustBeLessThan``, ``mustBeLessOrEqualTo``, ``mustBeGreaterThan``,
``mustBeGreaterOrEqualTo`` and ``mustBeBetween`` (exclusive on both ends, as the standard
defines it: "equivalent to mustBeGreaterThan and mustBeLessThan"). For the counting
metrics a limit in ``unit: percent`` becomes the rule's ``threshold`` (``not_null``: its
``max_fraction``); a limit in ``rows`` converts only when it means "none" (``mustBe: 0``,
``mustBeLessThan: 1``), since scalegate limits fractions, not counts. No operator on a
counting metric means none may fail. ``severity`` ``error``/``critical``/``high``/... maps
to ``error``; ``warning``/``info``/``low``/... to ``warn``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scalegate.domain import documents
from scalegate.engine.odcs_rules import (
    RELATIONSHIPS,
    Rules,
    Skip,
    Unconverted,
    add_options,
    column_type,
    property_quality,
    schema_quality,
)
from scalegate.errors import DocumentError

__all__ = ["Converted", "Unconverted", "convert", "import_text"]

Lines = dict[documents.Path, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Converted:
    """The result of a conversion: the contract mapping and what was left out."""

    contract: dict[str, Any]
    unconverted: tuple[Unconverted, ...]
    api_version: str
    schema_name: str


def _where(path: documents.Path) -> str:
    return documents.dotted(path)


# ------------------------------------------------------------------ document checks


def _fail(source: str, lines: Lines, at: documents.Path, problem: str) -> DocumentError:
    field = _where(at) or None
    return DocumentError.at(source, problem, line=documents.line_of(lines, at), field=field)


def _pick_schema(
    doc: Mapping[str, Any], source: str, lines: Lines, name: str | None
) -> tuple[int, Mapping[str, Any], list[Unconverted]]:
    objects = doc.get("schema")
    if objects is None:
        raise _fail(source, lines, (), "an ODCS contract to import needs a 'schema:' list")
    if not isinstance(objects, list) or not objects:
        raise _fail(source, lines, ("schema",), "'schema' must be a non-empty list of objects")
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            raise _fail(source, lines, ("schema", i), "each schema object needs a 'name'")
    names = [str(obj["name"]) for obj in objects]
    if name is None:
        if len(objects) > 1:
            raise _fail(
                source,
                lines,
                ("schema",),
                f"the document has {len(objects)} schema objects ({', '.join(names)}); "
                "pick one with --schema NAME",
            )
        index = 0
    elif name in names:
        index = names.index(name)
    else:
        raise _fail(
            source,
            lines,
            ("schema",),
            f"no schema object named '{name}'; the document has {', '.join(names)}",
        )
    others = [
        Unconverted(f"schema[{i}]", f"schema object '{n}' not imported (pick it with --schema)")
        for i, n in enumerate(names)
        if i != index
    ]
    return index, objects[index], others


def _check_header(doc: Any, source: str, lines: Lines) -> str:
    if not isinstance(doc, dict):
        raise DocumentError.at(
            source, f"not an ODCS document: expected a mapping, got {type(doc).__name__}"
        )
    kind = doc.get("kind")
    if kind != "DataContract":
        raise _fail(
            source,
            lines,
            ("kind",) if "kind" in doc else (),
            f"not an ODCS data contract: kind is {kind!r}, expected 'DataContract'",
        )
    version = doc.get("apiVersion")
    if not isinstance(version, str) or not re.match(r"^v?3\.\d+(\.\d+)?", version):
        raise _fail(
            source,
            lines,
            ("apiVersion",) if "apiVersion" in doc else (),
            f"apiVersion {version!r} is not ODCS v3 (v3.0.x or v3.1.x expected)",
        )
    return version


# ------------------------------------------------------------------ the conversion


def _quality(
    owner: Mapping[str, Any], at: str, out: list[Unconverted]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each quality check of a property or schema object with its path; a quality list or
    item of the wrong shape is listed in ``out`` instead."""
    quality = owner.get("quality") or []
    if not isinstance(quality, list):
        out.append(Unconverted(f"{at}.quality", "quality is not a list"))
        return
    for j, item in enumerate(quality):
        where = f"{at}.quality[{j}]"
        if isinstance(item, dict):
            yield where, item
        else:
            out.append(Unconverted(where, "a quality check must be a mapping"))


def _column(
    prop: Mapping[str, Any],
    name: str,
    at: str,
    out: list[Unconverted],
    key: str | None,
) -> dict[str, Any]:
    rules = Rules(name)
    kind, why = column_type(prop)
    if why:
        out.append(Unconverted(f"{at}.logicalType", why))
    if "items" in prop or ("properties" in prop and prop.get("properties")):
        out.append(Unconverted(f"{at}.properties", "nested properties are not checked"))
    if prop.get("relationships"):
        out.append(Unconverted(f"{at}.relationships", RELATIONSHIPS))
    if prop.get("required") is True:
        rules.add("not_null")
    if key is not None:  # a key column holds no nulls; a one-column key is unique itself
        rules.add("not_null")
        if key == "single":
            rules.add("unique")
    if prop.get("unique") is True:
        rules.add("unique")
    if "logicalTypeOptions" in prop and kind is not None:
        add_options(name, kind, prop["logicalTypeOptions"], rules, f"{at}.logicalTypeOptions", out)
    elif "logicalTypeOptions" in prop:
        out.append(Unconverted(f"{at}.logicalTypeOptions", "options of an untyped column"))
    for where, item in _quality(prop, at, out):
        try:
            property_quality(name, item, rules, where, out)
        except Skip as exc:
            out.append(Unconverted(where, str(exc)))
    spec: dict[str, Any] = {}
    if kind is not None:
        spec["type"] = kind
    if prop.get("description"):
        spec["description"] = str(prop["description"]).strip()
    spec["rules"] = rules.items
    return spec


def convert(
    doc: Any,
    *,
    source: str,
    lines: Lines | None = None,
    schema: str | None = None,
    physical_names: bool = False,
) -> Converted:
    """Convert a parsed ODCS v3 document into a scalegate contract mapping.

    Raises :class:`DocumentError` (naming file, line and field) when the document is not
    ODCS v3, has no schema, or has several schema objects and ``schema`` names none of them.
    Checks that cannot be converted are returned in ``unconverted``, never dropped.
    Columns are named by each property's ``name``, or with ``physical_names`` by its
    ``physicalName`` where it has one (the names a table's extract usually carries).

    Example:
        >>> doc = {"apiVersion": "v3.0.2", "kind": "DataContract", "schema": [
        ...     {"name": "t", "properties": [{"name": "id", "logicalType": "string",
        ...      "required": True, "quality": [{"type": "sql", "query": "..."}]}]}]}
        >>> out = convert(doc, source="t.yaml")
        >>> out.contract["columns"]["id"]
        {'type': 'string', 'rules': ['not_null']}
        >>> [u.path for u in out.unconverted]
        ['schema[0].properties[0].quality[0]']
    """
    lines = lines or {}
    api_version = _check_header(doc, source, lines)
    index, obj, others = _pick_schema(doc, source, lines, schema)
    out: list[Unconverted] = []
    base = f"schema[{index}]"
    props = obj.get("properties") or []
    if not isinstance(props, list):
        raise _fail(source, lines, ("schema", index, "properties"), "'properties' must be a list")
    for i, prop in enumerate(props):
        if not isinstance(prop, dict) or not isinstance(prop.get("name"), str):
            raise _fail(
                source, lines, ("schema", index, "properties", i), "each property needs a 'name'"
            )
    names = [str(p["name"]) for p in props]
    column_of = {
        str(p["name"]): str(p["physicalName"])
        if physical_names and isinstance(p.get("physicalName"), str) and p["physicalName"]
        else str(p["name"])
        for p in props
    }
    taken = [column_of[n] for n in names] if len(column_of) == len(names) else names
    dupes = sorted({n for n in taken if taken.count(n) > 1})
    if dupes:
        raise _fail(
            source,
            lines,
            ("schema", index, "properties"),
            f"column '{dupes[0]}' is listed twice",
        )

    keys = sorted(
        (p for p in props if p.get("primaryKey") is True),
        key=lambda p: (_position(p.get("primaryKeyPosition")), names.index(str(p["name"]))),
    )
    columns: dict[str, Any] = {}
    key_names = [column_of[str(p["name"])] for p in keys]
    role = "single" if len(keys) == 1 else "composite"
    for i, prop in enumerate(props):
        name = column_of[str(prop["name"])]
        key = role if name in key_names else None
        columns[name] = _column(prop, name, f"{base}.properties[{i}]", out, key)

    dataset = Rules(None)
    if len(keys) > 1:
        dataset.add("unique", {"columns": key_names}, description="primary key")
    for where, item in _quality(obj, base, out):
        try:
            schema_quality(item, column_of, dataset, where, out)
        except Skip as exc:
            out.append(Unconverted(where, str(exc)))
    if obj.get("relationships"):
        out.append(Unconverted(f"{base}.relationships", RELATIONSHIPS))
    top = doc.get("quality")
    if isinstance(top, list):
        out.extend(
            Unconverted(f"quality[{j}]", "document-level quality names no schema object")
            for j in range(len(top))
        )

    out.extend(others)
    if not columns and not dataset.items:
        n = len(out)
        listed = f" ({n} check{'s' if n != 1 else ''} could not be converted)" if n else ""
        raise _fail(
            source,
            lines,
            ("schema", index),
            f"schema object '{obj['name']}' has no properties and no convertible checks{listed}",
        )
    for spec in columns.values():
        if not spec["rules"]:
            del spec["rules"]
    contract: dict[str, Any] = {
        "contract": _contract_name(doc, obj),
        "version": str(doc.get("version", "1")),
    }
    description = _description(doc, obj)
    if description:
        contract["description"] = description
    if dataset.items:
        contract["dataset"] = dataset.items
    contract["columns"] = columns
    return Converted(contract, tuple(out), api_version, str(obj["name"]))


def _position(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 10**6


def _contract_name(doc: Mapping[str, Any], obj: Mapping[str, Any]) -> str:
    for candidate in (doc.get("name"), obj.get("name"), doc.get("id")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:100]
    return "imported"


def _description(doc: Mapping[str, Any], obj: Mapping[str, Any]) -> str:
    described = doc.get("description")
    if isinstance(described, dict):
        text = described.get("purpose") or described.get("usage")
    else:
        text = described
    text = text or obj.get("description")
    return str(text).strip() if text else ""


def import_text(
    text: str, source: str, *, schema: str | None = None, physical_names: bool = False
) -> Converted:
    """Parse ODCS YAML ``text`` (errors name file and line) and :func:`convert` it."""
    data, lines = documents.parse_yaml(text, source)
    return convert(data, source=source, lines=lines, schema=schema, physical_names=physical_names)
