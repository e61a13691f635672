"""``scalegate token``: API tokens for programs (shown once, stored hashed, revocable)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from scalegate.cli.common import state
from scalegate.cli.output import console, esc, print_json
from scalegate.errors import ValidationError

app = typer.Typer(
    help="Create, list and revoke API tokens (Authorization: Bearer sg_...).",
    no_args_is_help=True,
)

_LIFETIME = re.compile(r"^(\d+)\s*([hdwy])$")


def parse_lifetime(value: str) -> timedelta | None:
    """``90d``, ``12w``, ``1y``, ``8h``, or ``never`` (None)."""
    raw = value.strip().lower()
    if raw == "never":
        return None
    m = _LIFETIME.match(raw)
    if not m or int(m.group(1)) == 0:
        raise ValidationError(
            f"--expires: cannot read '{value}' as a lifetime; use e.g. 8h, 90d, 12w, 1y or never",
            field="--expires",
        )
    hours = {"h": 1, "d": 24, "w": 24 * 7, "y": 24 * 365}[m.group(2)] * int(m.group(1))
    return timedelta(hours=hours)


@app.command("create")
def create(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", help="Whose token [default: the --as user]")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="What the token is for")] = "cli",
    expires: Annotated[
        str, typer.Option("--expires", help="Lifetime: 8h, 90d, 12w, 1y or never")
    ] = "90d",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create a token and print it once: it is stored hashed and cannot be shown again."""
    from scalegate.services import auth

    st = state(ctx)
    owner = user or st.actor
    if not owner:
        raise ValidationError("give --user USER (or act --as yourself)", field="--user")
    text, info = auth.create_token(st.store, owner, name, parse_lifetime(expires), actor=st.actor)
    if as_json:
        print_json({"token": text, **info.model_dump(mode="json")})
        return
    until = info.expires_at.date().isoformat() if info.expires_at else "never"
    console.print(
        f"token {info.id} for [bold]{info.username}[/] ({esc(info.name)}), expires {until}:"
    )
    print(text)
    console.print("[dim]copy it now: it is stored hashed and will not be shown again[/]")


@app.command("list")
def list_(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this user's [admins; default: all/yours]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List tokens (never their secret): yours, or anyone's as an admin."""
    from scalegate.services import auth

    st = state(ctx)
    found = auth.list_tokens(st.store, username=user, actor=st.actor)
    if as_json:
        print_json([t.model_dump(mode="json") for t in found])
        return
    now = datetime.now(UTC)
    table = Table("id", "user", "name", "prefix", "state", "expires", "last used", box=None)
    for t in found:
        table.add_row(
            str(t.id),
            t.username,
            esc(t.name),
            t.prefix + "…",
            t.state(now),
            t.expires_at.date().isoformat() if t.expires_at else "never",
            t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "-",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="Token id (see 'scalegate token list')")],
) -> None:
    """Revoke a token at once (its owner, or an admin)."""
    from scalegate.services import auth

    st = state(ctx)
    info = auth.revoke_token(st.store, token_id, actor=st.actor)
    console.print(f"revoked token {info.id} ({info.prefix}…) of {info.username}")
