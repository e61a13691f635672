"""``scalegate objective``: strategic objectives and the use cases that serve them."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import state
from scalegate.cli.output import console, esc, print_json, stage

if TYPE_CHECKING:
    from scalegate.services.objectives import ObjectiveSummary

app = typer.Typer(
    help="Strategic objectives: what each serves, and which have nothing in production.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Short id, e.g. faster-claims")],
    name: Annotated[str, typer.Option(help="What the objective is called")],
    sponsor: Annotated[str, typer.Option(help="Who sponsors it (free text: a name, a role)")] = "",
    outcome: Annotated[str, typer.Option(help="The intended business outcome")] = "",
) -> None:
    """Register a strategic objective."""
    from scalegate.services import objectives

    st = state(ctx)
    obj = objectives.add(
        st.store, slug, name=name, sponsor=sponsor, outcome=outcome, actor=st.actor
    )
    console.print(f"added objective {obj.slug}: {esc(obj.name)}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Objective slug")],
    name: Annotated[str | None, typer.Option(help="New name")] = None,
    sponsor: Annotated[str | None, typer.Option(help="New sponsor")] = None,
    outcome: Annotated[str | None, typer.Option(help="New intended outcome")] = None,
) -> None:
    """Change an objective's name, sponsor or intended outcome."""
    from scalegate.services import objectives

    st = state(ctx)
    obj = objectives.edit(
        st.store, slug, {"name": name, "sponsor": sponsor, "outcome": outcome}, actor=st.actor
    )
    console.print(f"updated objective {obj.slug}")


@app.command("delete")
def delete(ctx: typer.Context, slug: Annotated[str, typer.Argument(help="Objective slug")]) -> None:
    """Delete an objective no use case is linked to (admins)."""
    from scalegate.services import objectives

    st = state(ctx)
    objectives.delete(st.store, slug, actor=st.actor)
    console.print(f"deleted objective {slug}")


def _flag(s: "ObjectiveSummary") -> str:
    return "[bold red]nothing in production[/]" if s.nothing_in_production else ""


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Objectives with their use cases per stage; flags those with nothing in production."""
    from scalegate.services import objectives

    found = objectives.list_all(state(ctx).store)
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    if not found:
        console.print("no objectives yet; add one with 'scalegate objective add'")
        return
    table = Table("objective", "name", "sponsor", "use cases per stage", "", box=None)
    table.columns[0].no_wrap = True
    table.columns[4].no_wrap = True
    for s in found:
        counts = ", ".join(f"{n} {stage(st)}" for st, n in s.stages.items() if n) or "none"
        table.add_row(
            f"[bold]{s.objective.slug}[/]",
            esc(s.objective.name),
            esc(s.objective.sponsor),
            counts,
            _flag(s),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Objective slug")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """An objective: sponsor, intended outcome and its use cases with their stages."""
    from scalegate.services import objectives

    s = objectives.show(state(ctx).store, slug)
    if as_json:
        print_json(s.to_dict())
        return
    o = s.objective
    console.print(f"[bold]{o.slug}[/]: {esc(o.name)}  {_flag(s)}")
    console.print(f"sponsor: {esc(o.sponsor or '-')}")
    console.print(f"intended outcome: {esc(o.outcome or '-')}")
    console.print(f"[dim]created {o.created_at.date().isoformat()} by {esc(o.created_by)}[/]")
    if not s.use_cases:
        console.print("no use case linked; link some with 'scalegate objective link'")
        return
    for uc, st in s.use_cases:
        console.print(f"  {uc}  {stage(st.value)}")


@app.command("link")
def link(
    ctx: typer.Context,
    objective: Annotated[str, typer.Argument(help="Objective slug")],
    use_cases: Annotated[list[str], typer.Argument(help="Use case slugs")],
) -> None:
    """Link use cases to an objective (a use case serving another one moves)."""
    from scalegate.services import objectives

    st = state(ctx)
    moved = objectives.link(st.store, objective, use_cases, actor=st.actor)
    for uc, before in moved:
        extra = f" (moved from {before})" if before else ""
        console.print(f"linked {uc} to {objective}{extra}")
    if not moved:
        console.print(f"already linked to {objective}")


@app.command("unlink")
def unlink(
    ctx: typer.Context, use_case: Annotated[str, typer.Argument(help="Use case slug")]
) -> None:
    """Remove a use case's link to its objective."""
    from scalegate.services import objectives

    st = state(ctx)
    before = objectives.unlink(st.store, use_case, actor=st.actor)
    console.print(f"unlinked {use_case} from {before}")
