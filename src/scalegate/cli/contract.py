"""``scalegate contract``: import ODCS, infer a starter contract, print the JSON Schema,
validate a contract file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from scalegate.cli.common import read_text
from scalegate.cli.output import console, err_console, esc
from scalegate.errors import ValidationError

app = typer.Typer(
    help="Data contract tools: import ODCS, infer from a sample, JSON Schema, validate.",
    no_args_is_help=True,
)

OutOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the contract to this file [default: stdout]"),
]


def _emit(text: str, out: Path | None) -> None:
    """Print ``text``, or write it to ``out`` atomically (a temporary file, then rename)."""
    if out is None:
        sys.stdout.write(text)
        return
    from scalegate.reports.html import write

    write(out, text, error=ValidationError)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="ODCS v3 data contract (YAML)")],
    out: OutOption = None,
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="Schema object to import when the document has several"),
    ] = None,
    physical_names: Annotated[
        bool,
        typer.Option(
            "--physical-names", help="Name columns by their physicalName where they have one"
        ),
    ] = False,
) -> None:
    """Convert an Open Data Contract Standard (ODCS) v3 document to a scalegate contract.

    Checks that have no scalegate equivalent (SQL, custom, text, unknown metrics...) are
    listed on stderr and as comments on top of the contract, never dropped silently.
    """
    from scalegate.services import contract_tools

    result = contract_tools.import_odcs(
        read_text(file), str(file), schema=schema, physical_names=physical_names
    )
    for item in result.unconverted:
        err_console.print(f"not converted: {esc(item)}", soft_wrap=True)
    _emit(result.text, out)
    if out is not None:
        n = len(result.unconverted)
        console.print(
            f"wrote {esc(out)}: {_size(result.rules, result.columns)}"
            + (f", {n} check{'s' if n != 1 else ''} not converted" if n else ""),
            soft_wrap=True,
        )


@app.command("infer")
def infer(
    data: Annotated[
        str, typer.Argument(help="Known-good sample: Parquet, CSV or NDJSON file, glob")
    ],
    out: OutOption = None,
) -> None:
    """Infer a starter contract from a known-good sample; review it before use."""
    from scalegate.services import contract_tools

    result = contract_tools.infer_contract(data)
    _emit(result.text, out)
    if out is not None:
        console.print(f"wrote {esc(out)}: {_size(result.rules, result.columns)}", soft_wrap=True)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of contract files (for editor completion and CI linting)."""
    from scalegate.services import contract_tools

    sys.stdout.write(contract_tools.json_schema_text())


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Data contract YAML")],
) -> None:
    """Parse and validate a contract file; exit 2 naming file, line and field on an error."""
    from scalegate.services import data_checks

    contract = data_checks.load_contract(read_text(file), str(file))
    console.print(f"ok: {_size(len(contract.rule_ids()), len(contract.columns))}")


def _size(rules: int, columns: int) -> str:
    return (
        f"{rules} rule{'s' if rules != 1 else ''} on {columns} column{'s' if columns != 1 else ''}"
    )
