"""Printing: Rich for people, plain JSON for programs, one-line errors on stderr."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, soft_wrap=False, emoji=False)
err_console = Console(stderr=True, highlight=False)

VERDICT_STYLE = {
    "pass": "[green]pass[/]",
    "fail": "[bold red]fail[/]",
    "waived": "[yellow]waived[/]",
    "not_applicable": "[dim]n/a[/]",
}
STAGE_STYLE = {
    "idea": "magenta",
    "pilot": "cyan",
    "production": "green",
    "scaled": "bold green",
    "retired": "dim",
}


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot print {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_default) + "\n")


def stage(value: str) -> str:
    return f"[{STAGE_STYLE.get(value, 'white')}]{value}[/]"


def esc(text: object) -> str:
    """User-supplied text, safe to embed in Rich markup."""
    return escape(str(text))


def error(message: str) -> None:
    """One line on stderr; never wrapped, never parsed as markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, emoji=False)
