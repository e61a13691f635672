"""``scalegate demo``: an example portfolio to explore."""

from pathlib import Path
from typing import Annotated

import typer

from scalegate.cli.common import state
from scalegate.cli.output import console, esc
from scalegate.cli.serve import HostOption, PortOption
from scalegate.errors import ValidationError
from scalegate.services.clock import utcnow


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Database for the demo [default: ./scalegate.db]")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Also write the demo's data contracts with a clean and a broken Parquet batch "
            "each into this folder, to try 'scalegate check' on",
        ),
    ] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Do not serve the demo in the browser afterwards")
    ] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8765,
) -> None:
    """Build a realistic example portfolio (idempotent), show what is stuck and why, then
    serve it on http://HOST:PORT (the web dashboard and the API) until Ctrl+C."""
    from scalegate.cli.portfolio import render
    from scalegate.cli.serve import check_port_free, server_extra_missing
    from scalegate.services import demo as svc
    from scalegate.services import portfolio
    from scalegate.store.database import redact

    serve = not no_serve and server_extra_missing() is None
    if serve:  # fail before building anything, not after
        check_port_free(host, port)
    st = state(ctx)
    written = []
    if data is not None:
        from scalegate.services import demo_data

        try:
            written = demo_data.export(data, now=utcnow())
        except OSError as exc:
            raise ValidationError(f"--data {data}: cannot write: {exc.strerror or exc}") from None
    if db is not None:
        st.close()
        st.settings = st.settings.model_copy(update={"db": db})
        st._store = None
    store = st.store
    result = svc.build(store)
    where = redact(store.url)
    if result.created_use_cases or result.created_users:
        console.print(
            f"demo: created {result.created_use_cases} use cases and "
            f"{result.created_users} users in {where}\n"
        )
    else:
        console.print(f"demo: already present in {where}; nothing added\n")
    render(portfolio.build(store))
    from scalegate.cli.portfolio import render_value
    from scalegate.services import alerts, value

    render_value(value.build(store))

    opened = alerts.list_alerts(store, status="open")
    if opened:
        console.print(f"\n[bold red]{len(opened)} open alerts[/]")
        for a in opened:
            console.print(f"  {esc(a.message)} [dim](since {a.opened_at:%Y-%m-%d})[/]")
    if data is not None:
        console.print(f"\nwrote {len(written)} files to {esc(str(data))}")
        console.print(
            f"  scalegate check {esc(str(data / 'sales-history-broken.parquet'))} "
            f"-c {esc(str(data / 'sales-history.yaml'))}"
        )
    flag = f" --db {st.settings.db}" if db is not None else ""
    console.print(
        "\n[bold]Try next[/]\n"
        f"  scalegate{flag} gate churn-prediction --to production   "
        "[dim]# why is it stuck?[/]\n"
        f"  scalegate{flag} --as rita approve churn-prediction --gate production --domain risk\n"
        f"  scalegate{flag} --as ben promote churn-prediction --to production\n"
        f"  scalegate{flag} usecase show claims-triage\n"
        f"  scalegate{flag} monitor show claims-triage   [dim]# drift and accuracy by week[/]\n"
        f"  scalegate{flag} kpi show invoice-matching   [dim]# progress and value realised[/]\n"
        f"  scalegate{flag} objective list\n"
        f"  scalegate{flag} audit verify\n"
        "[dim]users: ada (admin), ben/carla/dev/fiona (contributors), rita (risk), "
        "omar (business, data), eve (executive), vic (viewer)[/]"
    )
    if no_serve:
        return
    if not serve:
        console.print(
            "\n[dim]to browse the demo, reinstall scalegate with its server "
            "(pip install 'scalegate[api]') and run scalegate demo again[/]"
        )
        return
    from scalegate.cli.serve import run_server
    from scalegate.services.demo import DEMO_PASSWORD

    console.print(
        f"\n[bold]Open http://{host}:{port}[/] and log in as [bold]rita[/] (approver), "
        f"[bold]ben[/] (contributor) or [bold]vic[/] (viewer), password "
        f"[bold]{DEMO_PASSWORD}[/]. Ctrl+C stops the server."
    )
    run_server(ctx, host, port)
