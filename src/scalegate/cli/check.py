"""``scalegate check``: check a data batch against its contract."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import read_text, state
from scalegate.cli.output import console, esc, print_json

if TYPE_CHECKING:
    from scalegate.engine.results import CheckResult

STATUS_STYLE = {
    "pass": "[green]pass[/]",
    "fail": "[bold red]fail[/]",
    "skipped": "[dim]skipped[/]",
    "error": "[bold red]error[/]",
}


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def render(result: "CheckResult") -> None:
    verdict = "[bold green]PASSES[/]" if result.passed else "[bold red]FAILS[/]"
    console.print(
        f"contract [bold]{esc(result.contract)}[/] v{esc(result.version)} on "
        f"{esc(result.source)} ({result.rows:,} rows, {result.columns} columns): {verdict}"
    )
    table = Table(box=None)
    table.add_column("rule", no_wrap=True)
    table.add_column("severity")
    table.add_column("status", no_wrap=True)
    table.add_column("failing", justify="right")
    table.add_column("reason", ratio=3)
    table.add_column("examples", ratio=1)
    for r in result.results:
        failing = f"{r.failing:,}" if r.failing else ""
        examples = ", ".join(esc(repr(v)) for v in r.examples)
        table.add_row(
            esc(r.id),
            r.severity.value,
            STATUS_STYLE[r.status.value],
            failing,
            esc(r.reason),
            examples,
        )
    console.print(table)
    console.print(
        f"{len(result.failed)} failed, {len(result.warnings)} warnings, "
        f"{len(result.results)} results"
    )


def check(
    ctx: typer.Context,
    data: Annotated[str, typer.Argument(help="Parquet, CSV or NDJSON file, folder or glob")],
    contract: Annotated[Path, typer.Option("--contract", "-c", help="Data contract YAML")],
    use_case: Annotated[
        str | None,
        typer.Option("--use-case", help="Store the run as data_check evidence of this use case"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Check data against a contract. Exit 0 if every error rule passes, 1 if any fails."""
    from scalegate.services import data_checks

    st = state(ctx)
    spec = data_checks.load_contract(read_text(contract), str(contract))
    if use_case is not None:
        data_checks.can_record(st.store, use_case, actor=st.actor)
    result = data_checks.run(data, spec)
    evidence = None
    if use_case is not None:
        evidence = data_checks.record(st.store, use_case, result, actor=st.actor)
    if as_json:
        out = result.to_dict()
        if evidence is not None:
            out["evidence"] = evidence.ref
        print_json(out)
    else:
        render(result)
        if evidence is not None:
            console.print(f"stored as {evidence.ref} on {use_case}")
    if not result.passed:
        raise typer.Exit(1)
