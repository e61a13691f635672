"""``scalegate``: the command-line entry point."""

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

try:  # typer >= 0.20 ships its own copy of click and no longer depends on click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # older typer runs on click itself
    from click import ClickException, UsageError  # type: ignore[assignment]

from scalegate.cli import (
    alert,
    audit,
    check,
    contract,
    demo,
    drift,
    evidence,
    fairness,
    gate,
    kpi,
    monitor,
    objective,
    policy,
    portfolio,
    serve,
    token,
    usecase,
    user,
)
from scalegate.cli.common import State
from scalegate.cli.output import console, error
from scalegate.errors import ScalegateError

app = typer.Typer(
    name="scalegate",
    help="Get AI use cases out of pilot purgatory: charters, evidence-based stage gates, "
    "approvals, a tamper-evident audit trail and a portfolio view of what is stuck and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file path [env: SCALEGATE_DB; default ./scalegate.db]",
            show_default=False,
        ),
    ] = None,
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as this user for changes [env: SCALEGATE_USER]",
            show_default=False,
        ),
    ] = None,
) -> None:
    from scalegate import settings

    ctx.obj = State(settings.load(db=db, user=acting_as))
    ctx.call_on_close(ctx.obj.close)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create (or upgrade) the database and store the default policy."""
    from scalegate.cli.common import state
    from scalegate.store.database import redact

    st = state(ctx)
    store = st.store
    console.print(f"database ready: {redact(store.url)} (schema {store.current_revision()})")


app.add_typer(usecase.app, name="usecase")
app.add_typer(user.app, name="user")
app.add_typer(policy.app, name="policy")
app.add_typer(evidence.app, name="evidence")
app.add_typer(audit.app, name="audit")
app.add_typer(contract.app, name="contract")
app.add_typer(monitor.app, name="monitor")
app.add_typer(alert.app, name="alert")
app.add_typer(token.app, name="token")
app.add_typer(objective.app, name="objective")
app.add_typer(kpi.app, name="kpi")
gate.register(app)
check.register(app)
drift.register(app)
fairness.register(app)
portfolio.register(app)
demo.register(app)
serve.register(app)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by ``main`` and by tests)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="scalegate",
            standalone_mode=False,
        )
    except ScalegateError as exc:
        error(str(exc))
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "scalegate"
        message = exc.format_message().rstrip(".")
        error(f"{message[:1].lower()}{message[1:]}; see '{where} --help'")
        return int(exc.exit_code)
    except ClickException as exc:
        error(exc.format_message())
        return int(exc.exit_code)
    except typer.Abort:
        error("aborted")
        return 130
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
