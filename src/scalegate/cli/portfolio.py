"""``scalegate portfolio``: which pilots are stuck, and exactly why."""

from typing import TYPE_CHECKING, Annotated

import typer

from scalegate.cli.common import state
from scalegate.cli.output import console, esc, print_json, stage

if TYPE_CHECKING:
    from scalegate.services.portfolio import Portfolio
    from scalegate.services.value import PortfolioValue


def register(app: typer.Typer) -> None:
    app.command("portfolio")(portfolio)


def render(p: "Portfolio", *, limit: int = 0) -> None:
    funnel = "  →  ".join(f"{stage(s)} {n}" for s, n in p.stages.items() if s != "retired")
    console.print(
        f"[bold]Portfolio[/]: {p.total} use cases   {funnel}   "
        f"[dim]retired {p.stages.get('retired', 0)}[/]"
    )
    console.print(
        f"[dim]policy {esc(p.policy_name)} v{p.policy_version}; stalled = next gate failing "
        f"for more than {p.stall_after_days} days, or past the stage time box[/]"
    )
    if p.ready:
        console.print(f"[green]ready to promote[/]: {', '.join(p.ready)}")
    if not p.stalled:
        console.print("[green]no stalled use cases[/]")
        return
    console.print(f"\n[bold red]{len(p.stalled)} stalled[/] (longest first)")
    if len(p.top_blockers) > 1:
        common = ", ".join(f"{esc(c)} ({n})" for c, n in p.top_blockers[:5])
        console.print(f"[dim]most frequent blockers:[/] {common}")
    shown = p.stalled[:limit] if limit > 0 else p.stalled
    for s in shown:
        depts = esc(", ".join(s.departments))
        gate = s.gate.value if s.gate else "-"
        console.print(
            f"[bold]{s.slug}[/]  {stage(s.stage.value)} → {gate}  "
            f"[red]{s.days_stalled} days stalled[/] ({s.why})  [dim]{depts}[/]"
        )
        for b in s.blockers:
            console.print(f"   [red]✗[/] {b.id}: {esc(b.reason)}")
    hidden = len(p.stalled) - len(shown)
    if hidden > 0:
        console.print(f"[dim]… and {hidden} more; --limit 0 shows all, --json gives everything[/]")


def render_value(v: "PortfolioValue") -> None:
    """Objectives with nothing in production, and realised value per currency."""
    if not v.objectives and not v.realised:
        return
    console.print("\n[bold]Strategy and value[/]")
    if v.objectives:
        idle = v.nothing_in_production
        console.print(
            f"{len(v.objectives)} objectives, "
            + (
                f"[red]{len(idle)} with nothing in production[/]: {', '.join(idle)}"
                if idle
                else "[green]each with a use case in production[/]"
            )
        )
    if v.realised:
        money = ", ".join(f"{amount:,.2f} {unit}" for unit, amount in v.realised.items())
        console.print(f"realised value (production and scaled): {money}")


def portfolio(
    ctx: typer.Context,
    department: Annotated[str | None, typer.Option(help="Only this department")] = None,
    risk_tier: Annotated[str | None, typer.Option(help="Only this risk tier")] = None,
    owner: Annotated[str | None, typer.Option(help="Only use cases this user owns")] = None,
    limit: Annotated[
        int, typer.Option(help="Show at most this many stalled use cases (0: all)")
    ] = 25,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (always complete)")] = False,
) -> None:
    """Use cases per stage, and every stalled one with its blockers and days stalled."""
    from scalegate.services import portfolio as svc
    from scalegate.services import value

    store = state(ctx).store
    p = svc.build(store, department=department, risk_tier=risk_tier, owner=owner)
    v = value.build(store)
    if as_json:
        print_json({**p.to_dict(), "value": v.to_dict()})
    else:
        render(p, limit=limit)
        render_value(v)
