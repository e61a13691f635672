"""Contract documents written by tools (``contract import``, ``contract infer``) as YAML text.

Keys keep the order they were built in (``contract``, ``version``, ``dataset``, ``columns``,
and per column ``type``, ``required``, ``rules``), rule parameters are written inline
(``- between: {min: 18, max: 100}``), and header comment lines go on top. Column names that
YAML would misread (``yes``, ``1``, ``a: b``, ``#x``) are quoted by the dumper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Safe dumper that indents list items under their key, as the README examples do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _Inline(dict[str, Any]):
    """A rule's parameters: written on one line, ``{min: 18, max: 100}``."""


class _Block(dict[str, Any]):
    """Parameters holding a timestamp: PyYAML would quote and tag it inside ``{...}``."""


def _inline(dumper: yaml.SafeDumper, value: _Inline) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


def _block(dumper: yaml.SafeDumper, value: _Block) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False)


class _Entries(list[Any]):
    """A list of rule entries: one ``- `` item per line (inline only when all are bare)."""


def _entries(dumper: yaml.SafeDumper, value: _Entries) -> yaml.Node:
    bare = all(isinstance(v, str) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bare)


def _timestamp(dumper: yaml.SafeDumper, value: dt.datetime) -> yaml.Node:
    # ISO text resolves back to a timestamp (time zone included) without a ``!!`` tag
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(_Inline, _inline)
_Dumper.add_representer(_Block, _block)
_Dumper.add_representer(_Entries, _entries)
_Dumper.add_representer(dt.datetime, _timestamp)


def _params(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if any(isinstance(v, dt.datetime) for v in value.values()):
        return _Block(value)
    return _Inline(value)


def _rule(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {k: _params(v) for k, v in entry.items()}


def _styled(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if isinstance(out.get("dataset"), list):
        out["dataset"] = _Entries(_rule(e) for e in out["dataset"])
    if isinstance(out.get("columns"), dict):
        columns = {}
        for name, spec in out["columns"].items():
            if isinstance(spec, dict) and isinstance(spec.get("rules"), list):
                spec = {**spec, "rules": _Entries(_rule(e) for e in spec["rules"])}
            columns[name] = spec
        out["columns"] = columns
    return out


def _comment(line: str) -> str:
    text = " ".join(line.splitlines())  # a comment is one line whatever it quotes
    return f"# {text}".rstrip() if text else "#"


def dump(data: dict[str, Any], header: Iterable[str] = ()) -> str:
    """``data`` as YAML text, with ``header`` lines as ``#`` comments on top.

    Example:
        >>> print(dump({"contract": "c", "columns": {"a": {"rules": ["unique"]}}}, ["hi"]))
        # hi
        contract: c
        columns:
          a:
            rules:
              - unique
        <BLANKLINE>
    """
    body = yaml.dump(
        _styled(data),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,  # leaf mappings and lists inline, the rest as blocks
        width=100,
    )
    lines = [_comment(line) for line in header]
    return "\n".join([*lines, body]) if lines else body
