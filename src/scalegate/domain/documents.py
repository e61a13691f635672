"""YAML documents with line numbers: parse text, validate, and name the line of any error.

Pure functions over text; reading files is the caller's job.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

import pydantic
import yaml

from scalegate.errors import DocumentError

T = TypeVar("T", bound=pydantic.BaseModel)
Path = tuple[str | int, ...]


def _construct(node: yaml.Node, path: Path, lines: dict[Path, tuple[int, int]]) -> Any:
    lines[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, (*path, "<key>"), {})
            if not isinstance(key, str | int | float | bool) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain values", key_node.start_mark
                )
            if isinstance(key, str) and key in out:
                raise _Dup(key, key_node.start_mark.line + 1)
            out[key] = _construct(value_node, (*path, str(key)), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    # a fresh constructor each time: a shared one caches every node it ever built (a leak)
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except ValueError as exc:  # e.g. ``2024-13-45`` resolves to a timestamp, then fails
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read value '{node.value}': {exc}", node.start_mark
        ) from None


class _Dup(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, tuple[int, int]]]:
    """Parse one YAML document; return the data and a map from path to (line, column)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{problem} ({exc.context})"
        _raise_at(source, problem, mark)
    except yaml.YAMLError as exc:
        raise DocumentError.at(source, f"not valid YAML: {exc}") from None
    if node is None:
        raise DocumentError.at(source, "the document is empty")
    lines: dict[Path, tuple[int, int]] = {}
    try:
        data = _construct(node, (), lines)
    except _Dup as dup:
        raise DocumentError.at(source, f"key '{dup.key}' appears twice", line=dup.line) from None
    except yaml.MarkedYAMLError as exc:  # a bad tag or value: name its line and column
        _raise_at(source, exc.problem or str(exc), exc.problem_mark or exc.context_mark)
    except yaml.YAMLError as exc:
        raise DocumentError.at(source, f"not valid YAML: {exc}") from None
    return data, lines


def _raise_at(source: str, problem: str, mark: Any) -> NoReturn:
    if mark is not None:
        raise DocumentError.at(source, problem, line=mark.line + 1, column=mark.column + 1)
    raise DocumentError.at(source, problem)


def line_of(lines: dict[Path, tuple[int, int]], loc: Path) -> int | None:
    """The line of the longest known prefix of ``loc``."""
    for n in range(len(loc), -1, -1):
        hit = lines.get(tuple(loc[:n]))
        if hit:
            return hit[0]
    return None


def dotted(loc: Path) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def error_path(err: Any) -> Path:
    """The field path of a Pydantic error, without its tagged-union markers."""
    return tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))


def validate_params(
    model: type[T],
    params: dict[str, Any],
    *,
    source: str,
    lines: dict[Path, tuple[int, int]],
    at: Path,
    label: str,
    name: str,
    quote_value_errors: bool = True,
) -> T:
    """Validate the parameters of a registered kind (a gate criterion, a contract rule).

    Errors name the line and field; an unknown parameter lists the ones ``name`` takes.
    """
    try:
        return model.model_validate(params)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        full = (*at, *error_path(err))
        msg = describe_error(err)
        if err["type"] == "value_error" and not quote_value_errors:
            msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg += f"; parameters of {name} are {', '.join(model.model_fields) or 'none'}"
        raise DocumentError.at(
            source, f"{label}: {msg}", line=line_of(lines, full), field=dotted(full)
        ) from None


def validate(
    model: type[T],
    data: Any,
    *,
    source: str,
    lines: dict[Path, tuple[int, int]] | None = None,
    prefix: Path = (),
) -> T:
    """Validate ``data`` into ``model``; raise :class:`DocumentError` naming line and field."""
    if not isinstance(data, dict):
        line = line_of(lines or {}, prefix)
        raise DocumentError.at(
            source, f"expected a mapping of fields, got {type(data).__name__}", line=line
        )
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        full = (*prefix, *error_path(err))
        line = line_of(lines or {}, full)
        msg = describe_error(err)
        more = len(exc.errors()) - 1
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise DocumentError.at(source, msg, line=line, field=dotted(full) or None) from None


def describe_error(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = err["loc"][-1] if err.get("loc") else "?"
        return f"unknown field '{name}'"
    if kind == "missing":
        return "this field is required"
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    if "input" in err and kind not in ("missing",) and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def load(model: type[T], text: str, source: str) -> T:
    """Parse YAML ``text`` and validate it into ``model``."""
    data, lines = parse_yaml(text, source)
    return validate(model, data, source=source, lines=lines)


def field_error(exc: pydantic.ValidationError, *, what: str = "field") -> DocumentError:
    """A one-line error for fields given on the command line or over an API (no file)."""
    err = exc.errors()[0]
    field = dotted(tuple(err["loc"]))
    return DocumentError(f"{what} '{field}': {describe_error(err)}", field=field)
