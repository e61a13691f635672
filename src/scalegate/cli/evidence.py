"""``scalegate evidence``: attach and list evidence records."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from scalegate.cli.common import parse_when, read_text, state
from scalegate.cli.output import console, esc, print_json
from scalegate.errors import ValidationError

app = typer.Typer(help="Attach evidence to use cases and list it.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    kind: Annotated[str, typer.Option(help="Evidence kind, e.g. model_card, pen_test")],
    status: Annotated[str, typer.Option(help="pass | fail | warn | info")],
    summary: Annotated[str, typer.Option(help="One-line summary")] = "",
    payload: Annotated[
        Path | None, typer.Option(help="JSON file with details stored with the evidence")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When it was produced (YYYY-MM-DD) [default: now]")
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="What it is about within its kind, e.g. the contract of a data_check"),
    ] = None,
) -> None:
    """Record an immutable evidence record for a use case."""
    from scalegate.services import registry

    st = state(ctx)
    data: dict[str, Any] = {}
    if payload is not None:
        try:
            data = json.loads(read_text(payload))
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"{payload}, line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
            ) from None
        if not isinstance(data, dict):
            raise ValidationError(f"{payload}: expected a JSON object")
    when = parse_when(at, option="--at") if at else None
    ev = registry.record_evidence(
        st.store,
        slug,
        kind=kind,
        status=status,
        summary=summary,
        payload=data,
        actor=st.actor,
        at=when,
        subject=subject,
    )
    console.print(f"recorded {ev.ref}: {ev.kind} {ev.status.value} for {slug}")


@app.command("list")
def list_(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    kind: Annotated[str | None, typer.Option(help="Only this kind")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List a use case's evidence, newest first."""
    from scalegate.services import registry

    found = registry.list_evidence(state(ctx).store, slug, kind=kind)
    if as_json:
        print_json([e.model_dump(mode="json") for e in found])
        return
    table = Table("id", "kind", "subject", "status", "when", "by", "summary", box=None)
    for e in found:
        table.add_row(
            e.ref,
            e.kind,
            esc(e.subject or ""),
            e.status.value,
            e.created_at.date().isoformat(),
            e.created_by,
            esc(e.summary),
        )
    console.print(table)
