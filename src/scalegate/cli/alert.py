"""``scalegate alert``: alert rules on monitor metrics, the alerts they raise, and their webhook
deliveries."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import state
from scalegate.cli.output import console, esc, print_json

if TYPE_CHECKING:
    from scalegate.domain.alert import Delivery
    from scalegate.store import Store

app = typer.Typer(
    help="Alert rules on monitor metrics, open and resolved alerts, webhook deliveries.",
    no_args_is_help=True,
)

MONITOR_HELP = "Monitor of the use case"
ALL_SLUG_HELP = "Use case slug (default: all use cases)"
STATUS_STYLE = {
    "open": "[bold red]open[/]",
    "resolved": "[green]resolved[/]",
    "pending": "[yellow]pending[/]",
    "delivered": "[green]delivered[/]",
    "failed": "[bold red]failed[/]",
}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@app.command("add")
def add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    metric: Annotated[
        str, typer.Option(help="Batch metric, e.g. accuracy, drift_share, drift.age")
    ],
    op: Annotated[str, typer.Option(help="Comparison: >=, <=, >, < (or ge, le, gt, lt)")],
    threshold: Annotated[float, typer.Option(help="Value the metric is compared with")],
    windows: Annotated[
        int, typer.Option(help="Consecutive batches the condition must hold for")
    ] = 1,
    webhook: Annotated[
        str | None,
        typer.Option(help="http(s) URL of an incoming webhook (Slack, Teams, ...) to notify"),
    ] = None,
    monitor: Annotated[str, typer.Option(help=MONITOR_HELP)] = "default",
    name: Annotated[
        str | None,
        typer.Option(help="Rule name (default METRIC-OP-THRESHOLD, e.g. accuracy-le-0.8)"),
    ] = None,
) -> None:
    """Add an alert rule: alert when METRIC OP THRESHOLD for WINDOWS consecutive batches."""
    from scalegate.services import alerts

    st = state(ctx)
    rule = alerts.add_rule(
        st.store,
        slug,
        monitor=monitor,
        name=name,
        metric=metric,
        op=op,
        threshold=threshold,
        windows=windows,
        webhook=webhook,
        actor=st.actor,
    )
    span = "a batch" if rule.windows == 1 else f"{rule.windows} consecutive batches"
    console.print(
        f"added alert rule [bold]{esc(rule.name)}[/] to {rule.use_case}/{esc(rule.monitor)}: "
        f"{esc(rule.condition)} for {span}"
        + (f", notifying {esc(rule.webhook_display)}" if rule.webhook else ""),
        soft_wrap=True,
    )


@app.command("rules")
def rules(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    monitor: Annotated[str | None, typer.Option(help="Only this monitor")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List a use case's alert rules (webhook URLs show only their host)."""
    from scalegate.services import alerts

    found = alerts.list_rules(state(ctx).store, slug, monitor)
    if as_json:
        print_json([r.public_dict() for r in found])
        return
    if not found:
        console.print(f"no alert rules for {slug}: scalegate alert add --help")
        return
    table = Table(box=None)
    table.add_column("rule", no_wrap=True)
    table.add_column("condition")
    table.add_column("webhook")
    table.add_column("active")
    for r in found:
        name = r.name if r.monitor == "default" else f"{r.monitor}/{r.name}"
        span = "" if r.windows == 1 else f" for {r.windows} batches"
        table.add_row(
            esc(name),
            esc(r.condition + span),
            esc(r.webhook_display or "-"),
            "yes" if r.active else "[dim]disabled[/]",
        )
    console.print(table)


@app.command("disable")
def disable(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    name: Annotated[str, typer.Argument(help="Rule name (see 'scalegate alert rules')")],
    monitor: Annotated[str, typer.Option(help=MONITOR_HELP)] = "default",
) -> None:
    """Stop evaluating a rule; its open alert, if any, is resolved (and the webhook told)."""
    from scalegate.services import alerts

    st = state(ctx)
    rule = alerts.disable_rule(st.store, slug, name, monitor=monitor, actor=st.actor)
    console.print(f"disabled alert rule [bold]{esc(rule.name)}[/] of {slug}/{esc(rule.monitor)}")
    queued = [
        d.id
        for d in alerts.list_deliveries(st.store, slug)
        if d.rule == rule.name and d.monitor == rule.monitor and d.status.value == "pending"
    ]
    if queued:
        # tell the webhook now that the rule's open alert was resolved
        done = alerts.deliver_pending(st.store, ids=queued)
        for d in done:
            outcome = "sent" if d.status.value == "delivered" else f"not sent ({d.last_error})"
            console.print(f"{d.event.value} notification of alert #{d.alert_id}: {esc(outcome)}")


@app.command("list")
def list_(
    ctx: typer.Context,
    slug: Annotated[str | None, typer.Argument(help=ALL_SLUG_HELP)] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open alerts")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List alerts, newest first."""
    from scalegate.services import alerts

    found = alerts.list_alerts(state(ctx).store, slug, "open" if open_only else None)
    if as_json:
        print_json([a.model_dump(mode="json") for a in found])
        return
    if not found:
        console.print("no open alerts" if open_only else "no alerts")
        return
    for a in found:
        since = f"since {_when(a.opened_at)}"
        if a.resolved_at is not None:
            since = f"{_when(a.opened_at)} → {_when(a.resolved_at)}"
        console.print(
            f"[bold]#{a.id}[/] {STATUS_STYLE[a.status.value]} {since}  rule {esc(a.rule)}",
            soft_wrap=True,
        )
        console.print(f"    {esc(a.message)}", soft_wrap=True)


def _print_deliveries(found: "list[Delivery]") -> None:
    for d in found:
        code = f" (HTTP {d.last_status_code})" if d.last_status_code else ""
        tries = f"{d.attempts} {'try' if d.attempts == 1 else 'tries'}"
        line = (
            f"{d.id}  alert #{d.alert_id} {d.event.value}  {d.use_case}/{esc(d.monitor)}  "
            f"{STATUS_STYLE[d.status.value]}{code}, {tries}"
        )
        if d.status.value == "pending":
            line += f", next {_when(d.next_attempt_at)}"
        elif d.delivered_at is not None:
            line += f", at {_when(d.delivered_at)}"
        console.print(line + f"  → {esc(d.url_display)}", soft_wrap=True)
        if d.last_error and d.status.value != "delivered":
            console.print(f"    last error: {esc(d.last_error)}", soft_wrap=True)


@app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    slug: Annotated[str | None, typer.Argument(help=ALL_SLUG_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The delivery log: every webhook notification, its attempts and outcome, newest first."""
    from scalegate.services import alerts

    found = alerts.list_deliveries(state(ctx).store, slug)
    if as_json:
        print_json([d.public_dict() for d in found])
        return
    if not found:
        console.print("no webhook deliveries")
        return
    _print_deliveries(found)


@app.command("deliver")
def deliver(
    ctx: typer.Context,
    due_only: Annotated[
        bool,
        typer.Option(
            "--due-only", help="Skip deliveries still waiting for their next attempt (for cron)"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Send pending webhook deliveries now. Exit 1 if any is still not delivered."""
    done = _deliver(state(ctx).store, due_only=due_only, quiet=as_json)
    if as_json:
        print_json([d.public_dict() for d in done])
    if any(d.status.value != "delivered" for d in done):
        raise typer.Exit(1)


def _deliver(store: "Store", *, due_only: bool, quiet: bool) -> "list[Delivery]":
    from scalegate.services import alerts

    done = alerts.deliver_pending(store, due_only=due_only)
    if quiet:
        return done
    if not done:
        console.print("nothing to deliver")
        return done
    sent = sum(d.status.value == "delivered" for d in done)
    console.print(f"delivered {sent} of {len(done)} webhook notification(s)")
    _print_deliveries(done)
    return done
