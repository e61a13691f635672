"""``scalegate policy``: the gate policy in force and its versions."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scalegate.cli.common import read_text, state
from scalegate.cli.output import console, esc, print_json

app = typer.Typer(help="Show, apply and list versions of the gate policy.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    version: Annotated[int | None, typer.Option(help="A stored version [default: newest]")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the parsed policy as JSON")
    ] = False,
    default: Annotated[
        bool, typer.Option("--default", help="Show the packaged default policy instead")
    ] = False,
) -> None:
    """Print the policy document (YAML) in force, a stored version, or the default."""
    from scalegate.gates import load_policy
    from scalegate.services import policies

    if default:
        text = policies.default_policy_text()
        parsed, number = load_policy(text, "default.yaml"), 0
    else:
        store = state(ctx).store
        pv = policies.get_version(store, version) if version else policies.active(store)
        text, parsed, number = pv.document, pv.policy, pv.version
    if as_json:
        print_json({"version": number, **parsed.model_dump(mode="json")})
    else:
        if number:
            console.print(f"[dim]# policy '{esc(parsed.name)}' version {number}[/]")
        print(text, end="" if text.endswith("\n") else "\n")


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Policy YAML file")],
) -> None:
    """Validate a policy file and store it as the next version (admins only)."""
    from scalegate.services import policies

    st = state(ctx)
    pv = policies.apply(st.store, read_text(file), source=str(file), actor=st.actor)
    n = sum(len(c) for c in pv.policy.gates.values())
    console.print(
        f"applied policy '{esc(pv.policy.name)}' as version {pv.version} "
        f"({len(pv.policy.gates)} gates, {n} criteria)"
    )


@app.command("history")
def history(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List stored policy versions."""
    from scalegate.services import policies

    rows = policies.history(state(ctx).store)
    if as_json:
        print_json(rows)
        return
    table = Table("version", "name", "applied", "by", "sha256", box=None)
    for r in rows:
        table.add_row(
            str(r["version"]),
            str(r["name"]),
            r["created_at"].isoformat(timespec="seconds"),  # type: ignore[attr-defined]
            str(r["created_by"]),
            str(r["sha256"])[:12],
        )
    console.print(table)


@app.command("criteria")
def criteria(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List the criterion kinds a policy can use, with their parameters."""
    from scalegate.gates import CRITERIA

    rows = [
        {
            "kind": c.kind,
            "summary": c.summary,
            "params": {
                name: str(f.annotation).replace("typing.", "")
                for name, f in c.params.model_fields.items()
            },
        }
        for c in sorted(CRITERIA.values(), key=lambda c: c.kind)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("kind", "what it checks", "parameters", box=None)
    for r in rows:
        table.add_row(r["kind"], r["summary"], ", ".join(r["params"]))  # type: ignore[arg-type]
    console.print(table)
