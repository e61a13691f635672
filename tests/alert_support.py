"""Helpers for the alert tests (services and CLI): monitors and batches inserted directly with
SQLAlchemy (the monitoring service writes them in production), and a local HTTP receiver."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from scalegate.services import alerts
from scalegate.store import Store
from scalegate.store import tables as t

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def add_monitor(store: Store, slug: str, name: str = "default") -> int:
    """A monitor row for use case ``slug``, as the monitoring service would write it."""
    with store.write() as conn:
        uc_id = conn.execute(
            sa.select(t.use_cases.c.id).where(t.use_cases.c.slug == slug)
        ).scalar_one()
        result = conn.execute(
            sa.insert(t.monitors).values(
                use_case_id=uc_id,
                name=name,
                model_name="demand-model",
                model_version="3",
                task="classification",
                columns={"prediction": "pred", "label": "y"},
                reference={},
                active=True,
                created_at=T0,
                created_by="ben",
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def log_batch(
    store: Store,
    monitor_id: int,
    metrics: dict[str, Any],
    *,
    at: datetime,
    actor: str = "ben",
) -> tuple[int, list[int]]:
    """Insert one batch and evaluate the alert rules in the same write transaction, as the
    monitoring service does; return the batch id and the queued delivery ids."""
    with store.write() as conn:
        batch_id = insert_batch(conn, monitor_id, metrics, at=at)
        queued = alerts.evaluate(conn, monitor_id, now=at + timedelta(minutes=1), actor=actor)
    return batch_id, queued


def insert_batch(
    conn: sa.Connection, monitor_id: int, metrics: dict[str, Any], *, at: datetime
) -> int:
    result = conn.execute(
        sa.insert(t.monitor_batches).values(
            monitor_id=monitor_id,
            at=at,
            rows=int(metrics.get("rows", 1000)),
            status="ok",
            metrics=metrics,
            summary={},
            drift={},
            labelled_rows=0,
            created_at=at,
            created_by="ben",
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def log_values(
    store: Store, monitor_id: int, metric: str, values: Sequence[float], *, start: int = 0
) -> list[int]:
    """One batch per value, a day apart from ``T0 + start`` days; all queued delivery ids."""
    queued: list[int] = []
    for i, v in enumerate(values):
        queued += log_batch(store, monitor_id, {metric: v}, at=T0 + timedelta(days=start + i))[1]
    return queued


# ---------------------------------------------------------------------------- receiver


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """A local webhook endpoint answering with ``codes`` in turn (the last one repeats)."""

    codes: list[int]
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def next_code(self) -> int:
        return self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]


@contextmanager
def receiver(codes: Sequence[int] = (200,), *, delay: float = 0.0) -> Iterator[Receiver]:
    state = Receiver(list(codes), delay)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with lock:
                state.requests.append(
                    Received(self.path, dict(self.headers.items()), json.loads(raw))
                )
                code = state.next_code()
            if state.delay:
                time.sleep(state.delay)
            answer = b"ok" if code < 300 else b"invalid_token"
            try:
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/secret-token"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_url() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


#: retries for tests: tiny in-call backoff, no sleeping for real
FAST = alerts.RetryPolicy(
    attempts_per_call=2,
    backoff_seconds=0.001,
    max_attempts=4,
    retry_after=timedelta(minutes=1),
    timeout_seconds=2.0,
)
