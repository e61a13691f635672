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


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8765,
) -> None:
    """Serve the REST API (OpenAPI at /docs) on HOST:PORT until interrupted."""
    try:
        import fastapi  # noqa: F401
        import multipart  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise MissingExtraError(
            f"the server needs {exc.name or 'FastAPI and Uvicorn'}; install it with: "
            "pip install 'scalegate[api]'"
        ) from None

    from scalegate.api import create_app
    from scalegate.store.database import redact

    st = state(ctx)
    app = create_app(st.settings, store=st.store)
    console.print(
        f"serving {redact(st.store.url)} on http://{host}:{port} (API docs at /docs); Ctrl+C stops"
    )
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
