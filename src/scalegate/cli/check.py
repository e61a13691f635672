"""``scalegate check``: check a data batch against its contract."""

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from scalegate.cli import output
from scalegate.cli.common import read_text, state
from scalegate.cli.output import console, esc, print_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from scalegate.engine.results import CheckResult

#: inputs at least this large (all files together) show progress on a terminal
LARGE_INPUT_BYTES = 100 * 1024 * 1024

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


@contextmanager
def progress(err: Console) -> Iterator["Callable[[str], None]"]:
    """A spinner on stderr naming the running phase; each finished phase stays as a line."""
    current: list[tuple[str, float]] = []

    def done() -> None:
        if current:
            name, since = current.pop()
            err.print(f"[green]✓[/] {esc(name)} [dim]({time.perf_counter() - since:.1f} s)[/]")

    with err.status("starting", spinner="dots") as status:

        def on_phase(name: str) -> None:
            done()
            current.append((name, time.perf_counter()))
            status.update(f"{esc(name)}…")

        yield on_phase
        done()


def _is_large(data: str) -> bool:
    from scalegate.services import data_checks

    return data_checks.input_bytes(data) >= LARGE_INPUT_BYTES


def check(
    ctx: typer.Context,
    data: Annotated[str, typer.Argument(help="Parquet, CSV or NDJSON file, folder or glob")],
    contract: Annotated[Path, typer.Option("--contract", "-c", help="Data contract YAML")],
    use_case: Annotated[
        str | None,
        typer.Option("--use-case", help="Store the run as data_check evidence of this use case"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report to this file"),
    ] = None,
    no_profile: Annotated[
        bool,
        typer.Option(
            "--no-profile",
            help="Skip the dataset profile (faster; drift monitoring then has nothing to compare)",
        ),
    ] = False,
) -> None:
    """Check data against a contract. Exit 0 if every error rule passes, 1 if any fails."""
    from scalegate.services import data_checks

    st = state(ctx)
    spec = data_checks.load_contract(read_text(contract), str(contract))
    if use_case is not None:
        data_checks.can_record(st.store, use_case, actor=st.actor)
    if html is not None:
        from scalegate.reports import html as html_report

        html_report.ensure_writable(html)
    err = output.err_console
    shown = progress(err) if err.is_terminal and _is_large(data) else nullcontext(None)
    with shown as on_phase:
        result = data_checks.run(data, spec, on_phase=on_phase, profile=not no_profile)
    if html is not None:
        # written before the run is stored: a report that cannot be written stores nothing
        html_report.write(html, html_report.render_check(result))
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
        if html is not None:
            console.print(f"report written to {esc(html)}", soft_wrap=True)
    if not result.passed:
        raise typer.Exit(1)
