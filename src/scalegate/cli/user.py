"""``scalegate user``: people, roles and approval domains."""

from typing import Annotated

import typer
from rich.table import Table

from scalegate.cli.common import state
from scalegate.cli.output import console, esc, print_json

app = typer.Typer(
    help="Add and list users, their roles and approval domains.", no_args_is_help=True
)


def _domains(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [d.strip() for d in value.split(",") if d.strip()]


@app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name, e.g. 'rita' or 'rita@corp.com'")],
    role: Annotated[
        str, typer.Option(help="viewer | contributor | approver | admin")
    ] = "contributor",
    domains: Annotated[
        str | None,
        typer.Option(help="Approval domains for approvers, comma-separated (e.g. risk,data)"),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Display name")] = "",
    email: Annotated[str, typer.Option(help="E-mail address")] = "",
) -> None:
    """Add a user. The first user of a new workspace must be an admin (no --as needed)."""
    from scalegate.services import users

    st = state(ctx)
    u = users.add(
        st.store,
        username,
        role=role,
        domains=_domains(domains) or [],
        display_name=name,
        email=email,
        actor=st.actor,
    )
    extra = f" for {', '.join(u.domains)}" if u.domains else ""
    console.print(f"added user [bold]{u.username}[/] as {u.role.value}{extra}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    username: str,
    role: Annotated[str | None, typer.Option(help="New role")] = None,
    domains: Annotated[
        str | None, typer.Option(help="Replace approval domains (comma-separated; '' clears)")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--deactivate", help="Activate or deactivate")
    ] = None,
) -> None:
    """Change a user's role, domains, name or status (admins only)."""
    from scalegate.services import users

    st = state(ctx)
    u = users.edit(
        st.store,
        username,
        role=role,
        domains=_domains(domains),
        display_name=name,
        email=email,
        active=active,
        actor=st.actor,
    )
    console.print(f"updated user [bold]{u.username}[/]: {u.role.value}, active={u.active}")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List users."""
    from scalegate.services import users

    found = users.list_all(state(ctx).store)
    if as_json:
        print_json([u.model_dump(mode="json") for u in found])
        return
    table = Table("user", "name", "role", "domains", "active", box=None, header_style="bold")
    for u in found:
        table.add_row(
            u.username,
            esc(u.display_name),
            u.role.value,
            ", ".join(u.domains),
            "yes" if u.active else "[red]no[/]",
        )
    console.print(table)


@app.command("password")
def password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose password (yourself, or anyone as admin)")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Set a login password (prompted twice, or read from stdin); stored as a scrypt hash."""
    import sys

    from scalegate.services import auth

    if password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    st = state(ctx)
    auth.set_password(st.store, username, secret, actor=st.actor)
    console.print(f"password set for [bold]{username}[/]")
