"""The JSON Schema of contract files, generated from the models the loader validates with.

The shape comes from :class:`~scalegate.domain.contract.Contract`; each rule entry's
parameters come from that rule's parameter model in the registry, so an editor completes
``between: {min, max, inclusive}`` under a column and ``row_count: {min, max}`` under
``dataset:``. A rule entry is one of:

- a bare rule id (``- not_null``), for rules whose parameters all have defaults;
- a one-key mapping ``{<rule>: <params or null>}`` with optional ``severity``,
  ``threshold``, ``id`` and ``description``;
- the explicit form ``{rule: <id>, params: {...}, ...}``.

The package ships the generated file as ``scalegate/schemas/contract.schema.json``; a test
keeps it equal to :func:`render`. Regenerate it with::

    python -m scalegate.engine.contract_schema > src/scalegate/schemas/contract.schema.json
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import pydantic

from scalegate.domain.contract import _ID_RE, Contract, Severity
from scalegate.engine.rules import RULES, Rule

#: draft-07: what yaml-language-server (VS Code's YAML extension) validates with
DRAFT = "http://json-schema.org/draft-07/schema#"
#: where the shipped file sits inside the package
RESOURCE = "schemas/contract.schema.json"


def _entry_fields() -> dict[str, Any]:
    return {
        "severity": {
            "enum": [s.value for s in Severity],
            "default": Severity.ERROR.value,
            "description": "error (default): a failure fails the check; warn: reported only",
        },
        "threshold": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "default": 1.0,
            "description": "fraction of rows that must pass (row rules; default 1.0)",
        },
        "id": {
            "type": "string",
            "pattern": _ID_RE.pattern,
            "description": "stable result id (default <column>.<rule> or dataset.<rule>)",
        },
        "description": {"type": "string"},
    }


def _map_refs(node: Any, change: Callable[[str], str]) -> Any:
    """``node`` with every ``$ref`` text passed through ``change``."""
    if isinstance(node, dict):
        return {
            k: change(v) if k == "$ref" and isinstance(v, str) else _map_refs(v, change)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_map_refs(v, change) for v in node]
    return node


def _rewrite_refs(node: Any, prefix: str) -> Any:
    """A rule's own ``#/$defs/X`` references as ``#/$defs/<prefix>X``."""

    def change(ref: str) -> str:
        local = "#/$defs/"
        return f"{local}{prefix}{ref.removeprefix(local)}" if ref.startswith(local) else ref

    return _map_refs(node, change)


def _params_schema(rule: Rule[Any], defs: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = copy.deepcopy(rule.params.model_json_schema())
    prefix = f"{rule.id}__"
    for name, sub in schema.pop("$defs", {}).items():
        defs[prefix + name] = _rewrite_refs(sub, prefix)
    out: dict[str, Any] = _rewrite_refs(schema, prefix)
    out.pop("title", None)
    return out


def _bare_ok(rule: Rule[Any]) -> bool:
    """Whether ``- <rule>`` alone is valid: its parameters all have usable defaults."""
    try:
        rule.params.model_validate({})
    except pydantic.ValidationError:
        return False
    return True


def _rule_items(rules: Mapping[str, Rule[Any]], scope: str, defs: dict[str, Any]) -> dict[str, Any]:
    chosen = [r for r in rules.values() if scope in r.scopes]
    options: list[dict[str, Any]] = []
    bare = [r.id for r in chosen if _bare_ok(r)]
    if bare:
        options.append({"enum": bare, "description": "a rule with default parameters"})
    for r in chosen:
        params = _params_schema(r, defs)
        options.append(
            {
                "type": "object",
                "title": r.id,
                "description": r.summary,
                "properties": {
                    r.id: {"anyOf": [params, {"type": "null"}], "description": r.summary},
                    **_entry_fields(),
                },
                "required": [r.id],
                "additionalProperties": False,
            }
        )
    options.append(
        {
            "type": "object",
            "title": "explicit form",
            "properties": {
                "rule": {"enum": [r.id for r in chosen]},
                "params": {"type": "object"},
                **_entry_fields(),
            },
            "required": ["rule"],
            "additionalProperties": False,
        }
    )
    return {"anyOf": options}


def contract_schema(rules: Mapping[str, Rule[Any]] | None = None) -> dict[str, Any]:
    """The JSON Schema (draft-07) of a contract document with the given rules."""
    rules = RULES if rules is None else rules
    schema = Contract.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs")
    defs.pop("RuleSpec")
    defs["ColumnRule"] = _rule_items(rules, "column", defs)
    defs["DatasetRule"] = _rule_items(rules, "dataset", defs)
    defs["ColumnSpec"]["properties"]["rules"]["items"] = {"$ref": "#/$defs/ColumnRule"}
    props = schema["properties"]
    props["dataset"]["items"] = {"$ref": "#/$defs/DatasetRule"}
    props["version"] = {
        "anyOf": [{"type": "string"}, {"type": "number"}],
        "default": "1",
        "title": "Version",
    }
    for item in (props["dataset"], defs["ColumnSpec"]["properties"]["rules"]):
        item.pop("default", None)
    out = {
        "$schema": DRAFT,
        "title": "scalegate data contract",
        "description": "A scalegate data contract (scalegate check DATA --contract FILE).",
        **schema,
        "definitions": dict(sorted(defs.items())),
    }
    result: dict[str, Any] = _draft7_refs(out)
    return result


def _draft7_refs(node: Any) -> Any:
    """Pydantic's ``#/$defs/X`` references as draft-07's ``#/definitions/X``."""
    return _map_refs(node, lambda ref: ref.replace("#/$defs/", "#/definitions/"))


def render(rules: Mapping[str, Rule[Any]] | None = None) -> str:
    """The schema as the shipped file holds it: two-space JSON and a final newline."""
    return json.dumps(contract_schema(rules), indent=2, ensure_ascii=False) + "\n"


def shipped_text() -> str:
    """The schema file shipped in the package."""
    return resources.files("scalegate").joinpath(RESOURCE).read_text(encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    sys.stdout.write(render())
