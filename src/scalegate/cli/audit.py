"""``scalegate audit``: verify and export the tamper-evident audit trail."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scalegate.cli.common import state
from scalegate.cli.output import console, error, print_json
from scalegate.errors import ValidationError

app = typer.Typer(help="Verify, export and read the audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Recompute the hash chain. Exit 0 if intact; 1 naming the first bad sequence number."""
    from scalegate.services import audit

    report = audit.verify(state(ctx).store)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "events": report.events,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
                "head_hash": report.head_hash,
            }
        )
    elif report.ok:
        console.print(f"[green]✓[/] {report.message()}")
    else:
        error(report.message())
    if not report.ok:
        raise typer.Exit(1)


@app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write [default: stdout]")
    ] = None,
) -> None:
    """Write every audit event as JSON Lines (one event per line)."""
    from scalegate.services import audit

    store = state(ctx).store
    if output is None:
        audit.export(store, sys.stdout)
        return
    if output.is_dir():
        raise ValidationError(f"{output}: is a directory, give a file name")
    tmp = output.with_name(output.name + ".partial")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            n = audit.export(store, fh)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValidationError(f"{output}: cannot write: {exc.strerror}") from None
    console.print(f"exported {n} events to {output}", highlight=False)


@app.command("log")
def log(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many events, newest first")] = 30,
    use_case: Annotated[str | None, typer.Option("--use-case", help="Only this use case")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the newest audit events."""
    from scalegate.services import audit

    events = list(
        audit.recent(
            state(ctx).store,
            limit=limit,
            subject_type="use_case" if use_case else None,
            subject_id=use_case,
        )
    )
    if as_json:
        print_json([audit.event_dict(e) for e in events])
        return
    table = Table("seq", "at", "actor", "action", "subject", box=None)
    for e in events:
        table.add_row(str(e.seq), e.at[:19], e.actor, e.action, f"{e.subject_type}:{e.subject_id}")
    console.print(table)
