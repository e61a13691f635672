"""``scalegate kpi``: record KPI measurements and see progress and realised value."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import parse_when, read_text, state
from scalegate.cli.output import console, esc, print_json, stage

if TYPE_CHECKING:
    from scalegate.services.kpis import KpiReport

app = typer.Typer(
    help="Record KPI measurements; progress against baseline and target, realised value.",
    no_args_is_help=True,
)


@app.command("record")
def record(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    kpi: Annotated[str, typer.Argument(help="KPI name as in the charter")],
    value: Annotated[str, typer.Argument(help="The measured value (a number)")],
    at: Annotated[
        str | None, typer.Option(help="When it was measured (YYYY-MM-DD) [default: now]")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Unit of the value; must be the KPI's unit")
    ] = None,
) -> None:
    """Record one measurement of a charter KPI (immutable evidence)."""
    from scalegate.services import kpis

    st = state(ctx)
    when = parse_when(at, option="--at") if at else None
    ev = kpis.record(st.store, slug, kpi, value, at=when, unit=unit, actor=st.actor)
    console.print(f"recorded {ev.ref}: {esc(ev.summary)}")


@app.command("import")
def import_(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    file: Annotated[Path, typer.Argument(help="CSV with columns kpi,value,at[,unit]")],
) -> None:
    """Record every measurement of a CSV file; one bad row and nothing is stored."""
    from scalegate.services import kpis

    st = state(ctx)
    text = read_text(file)
    records = kpis.import_csv(st.store, slug, text, source=str(file), actor=st.actor)
    console.print(f"recorded {len(records)} measurement(s) for {slug}")


def _fraction(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _money(totals: dict[str, float]) -> str:
    return ", ".join(f"{amount:,.2f} {unit}" for unit, amount in totals.items())


def render(r: "KpiReport") -> None:
    obj = f"  objective {r.objective}" if r.objective else "  [dim]no objective linked[/]"
    console.print(f"[bold]{r.use_case}[/]  {stage(r.stage.value)}{obj}")
    if not r.kpis:
        console.print("the charter defines no KPIs")
        return
    table = Table(
        "KPI", "unit", "dir", "baseline", "target", "latest", "when", "n", "progress", box=None
    )
    notes: list[str] = []
    for s in r.kpis:
        k, latest = s.kpi, s.latest
        table.add_row(
            esc(k.name),
            esc(k.unit),
            "↑" if k.direction.value == "increase" else "↓",
            "-" if k.baseline is None else f"{k.baseline:g}",
            "-" if k.target is None else f"{k.target:g}",
            "-" if latest is None else f"{latest.value:g}",
            "-" if latest is None else latest.at.date().isoformat(),
            str(len(s.points)),
            _fraction(s.progress.fraction),
        )
        if s.progress.fraction is None and latest is not None and s.progress.reason:
            notes.append(s.progress.reason)
        if s.realised is not None:
            notes.append(
                f"'{k.name}' realised {s.realised.amount:,.2f} {s.realised.unit.label} "
                "over its baseline"
            )
    console.print(table)
    for n in notes:
        console.print(f"  {esc(n)}")
    if r.realised_total:
        console.print(f"[bold]realised value[/]: {_money(r.realised_total)}")


@app.command("show")
def show(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (series included)")] = False,
) -> None:
    """Each KPI: baseline, target, latest value, progress and realised value."""
    from scalegate.services import kpis

    r = kpis.report(state(ctx).store, slug)
    if as_json:
        print_json(r.to_dict())
    else:
        render(r)
