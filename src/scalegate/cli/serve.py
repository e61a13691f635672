"""``scalegate serve``: the REST API under Uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from scalegate.cli.common import state
from scalegate.cli.output import console
from scalegate.errors import ScalegateError


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


class MissingExtraError(ScalegateError):
    code = "missing_extra"


class PortInUseError(ScalegateError):
    code = "port_in_use"


HostOption = Annotated[str, typer.Option(help="Interface to listen on")]
PortOption = Annotated[int, typer.Option(help="Port", min=1, max=65535)]


def serve(ctx: typer.Context, host: HostOption = "127.0.0.1", port: PortOption = 8765) -> None:
    """Serve the web dashboard and the REST API (OpenAPI at /docs) until interrupted."""
    require_server_extra()
    check_port_free(host, port)
    st = state(ctx)
    from scalegate.store.database import redact

    console.print(
        f"serving {redact(st.store.url)} on http://{host}:{port} "
        "(dashboard at /, API docs at /docs); Ctrl+C stops"
    )
    run_server(ctx, host, port)


def server_extra_missing() -> str | None:
    """None if the server's packages import, else the name of the one missing."""
    try:
        import fastapi  # noqa: F401
        import multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        return exc.name or "FastAPI and Uvicorn"
    return None


def require_server_extra() -> None:
    missing = server_extra_missing()
    if missing is not None:
        raise MissingExtraError(
            f"the server needs {missing}; install it with: pip install 'scalegate[api]'"
        )


def check_port_free(host: str, port: int) -> None:
    """Fail with a clear message (instead of Uvicorn's log line and exit 1) when HOST:PORT
    cannot be bound, before anything is served."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PortInUseError(f"--host {host}: cannot resolve: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise PortInUseError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another with --port"
            ) from None


def run_server(ctx: typer.Context, host: str, port: int) -> None:
    """Serve the workspace of ``ctx`` under Uvicorn until interrupted."""
    import uvicorn

    from scalegate.api import create_app

    st = state(ctx)
    app = create_app(st.settings, store=st.store)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
