"""The API benchmark's load generator, against a real local HTTP server."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_api

DELAY_S = 0.05


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn

    def do_GET(self) -> None:
        time.sleep(DELAY_S)
        ok = self.path.startswith("/ok") or self.path == "/healthz"
        body = b'{"ok": true}' if ok else b'{"error": "busy"}'
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_closed_loop_counts_latency_and_throughput(base: str) -> None:
    cell = bench_api.run_cell(base, "t", "ok", lambda rng: "/ok", 3, 1.0, lambda: None)
    assert cell.errors == 0
    assert cell.statuses == {"200": cell.requests}
    # 3 clients, each waiting >= 50 ms per answer, for 1 s: at most 3 * 1 / 0.05 = 60 requests
    # (plus one each started just before the end), and far more than one round
    assert 15 <= cell.requests <= 63
    assert cell.p50_ms is not None and cell.p99_ms is not None and cell.max_ms is not None
    assert DELAY_S * 1000 <= cell.p50_ms <= cell.p99_ms <= cell.max_ms
    # no request starts after the duration: the cell ends within about one request of it
    assert 1.0 <= cell.elapsed_s < 1.0 + 1.0
    assert cell.throughput_rps == pytest.approx(cell.requests / cell.elapsed_s)
    assert cell.server_cpu_ms is None
    assert cell.client_cpu_ms is not None and cell.client_cpu_ms >= 0
    # the answer has no Content-Encoding: wire and decoded sizes are both the body (plus
    # nothing else: httpx counts body bytes only)
    assert cell.wire_bytes == cell.body_bytes == len(b'{"ok": true}')


def test_errors_are_counted_with_their_body_not_timed(base: str) -> None:
    paths = iter(["/bad"] + ["/ok"] * 10_000)
    cell = bench_api.run_cell(base, "t", "mix", lambda rng: next(paths), 1, 0.5, lambda: None)
    assert cell.errors == 1
    assert cell.statuses["503"] == 1
    assert cell.statuses["200"] == cell.requests
    assert cell.error_samples == {"503": '{"error": "busy"}'}


def test_unreachable_server_is_an_error_not_a_hang() -> None:
    port = bench_api.free_port()  # nothing listens there any more
    cell = bench_api.run_cell(
        f"http://127.0.0.1:{port}", "t", "x", lambda rng: "/ok", 2, 1.0, lambda: None
    )
    assert cell.requests == 0
    assert cell.p50_ms is None and cell.p99_ms is None
    assert set(cell.statuses) == {"ConnectError"}
    assert cell.errors == cell.statuses["ConnectError"] >= 2


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_cpu_seconds_agrees_with_os_times() -> None:
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    times = os.times()
    measured = bench_api.cpu_seconds(os.getpid())
    assert measured is not None
    assert measured == pytest.approx(times.user + times.system, abs=0.05)


def test_raw_mode_reads_the_body_without_decoding(base: str) -> None:
    paths = iter(["/bad"] + ["/ok"] * 10_000)
    cell = bench_api.run_cell(
        base, "t", "raw", lambda rng: next(paths), 1, 0.5, lambda: None, decode=False
    )
    assert cell.statuses["503"] == 1 and cell.error_samples == {"503": '{"error": "busy"}'}
    assert cell.wire_bytes == len(b'{"ok": true}') and cell.body_bytes is None
