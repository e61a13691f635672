"""API latency benchmark: p50/p99 and throughput of the REST API under concurrent clients.

Target (from the issue): p99 under 150 ms for ``GET /api/v1/portfolio`` at 50 concurrent
clients on SQLite, with 10,000 use cases and 1,000,000 audit events.

Usage::

    python bench/bench_api.py [--db-url URL] [--concurrency 1,10,50] [--duration 10]

The data set is the one ``bench_foundation.py`` builds and caches (same ``--use-cases``,
``--events`` and ``--db-url`` rules; it is generated on first use). This script then

1. starts ``scalegate --db URL serve`` as a subprocess on a free loopback port (one Uvicorn
   worker, exactly what a user runs) and waits for ``/healthz``;
2. creates an admin API token with ``scalegate --as bench-admin token create --json``;
3. drives each endpoint with a closed-loop load generator: N threads, each with its own
   keep-alive ``httpx.Client``, sending the next request as soon as the previous answer
   arrives, for ``--duration`` seconds per (endpoint, concurrency) cell. No request starts
   after the duration; requests in flight are waited for and counted;
4. prints p50/p99 latency and throughput per endpoint x concurrency, and merges the results
   into ``bench/results/api.json`` (one entry per backend).

Endpoints: ``GET /api/v1/portfolio``, ``GET /api/v1/portfolio?limit=100`` (the first page of
the stalled list), ``GET /api/v1/use-cases/{slug}`` (random slugs) and
``GET /api/v1/use-cases/{slug}/gate`` (random slugs among use cases that have a next gate).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bench_foundation import (
    ADMIN,
    BENCH_DIR,
    DATA_DIR,
    SEED,
    cli_env,
    ensure_dataset,
    git_state,
    locate,
    log,
    machine,
    percentile,
    save,
    scalegate_exe,
)
from sqlalchemy import select

from scalegate.domain.stage import Stage
from scalegate.errors import ScalegateError
from scalegate.services import workspace
from scalegate.store import tables as t

RESULTS_FILE = BENCH_DIR / "results" / "api.json"
TARGET_ENDPOINT = "portfolio"
TARGET_CONCURRENCY = 50
TARGET_P99_MS = 150.0

PathFn = Callable[[random.Random], str]


# ============================================================================ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """``scalegate serve`` in a subprocess on loopback; its output goes to a log file."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        cmd = [*scalegate_exe(), "--db", url, "serve", "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=cli_env(),
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scalegate serve exited {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"scalegate serve not ready after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text("utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def cpu(self) -> float | None:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def cli(url: str, *args: str) -> str:
    proc = subprocess.run(
        [*scalegate_exe(), "--db", url, "--as", ADMIN, *args],
        capture_output=True,
        env=cli_env(),
        check=False,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scalegate {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


# ============================================================================ load
@dataclass
class Cell:
    """One endpoint at one concurrency: latencies in ms, throughput in requests/s."""

    endpoint: str
    concurrency: int
    requests: int
    errors: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    throughput_rps: float
    elapsed_s: float
    #: server process CPU (user + system) per successful request; less sensitive than the
    #: latencies to other load on the machine
    server_cpu_ms: float | None
    #: this (load generator) process's CPU per successful request: receiving, decompressing
    #: and parsing answers competes with the server for the same cores
    client_cpu_ms: float | None
    #: mean bytes per successful answer on the wire (gzip when the server sent it) and
    #: after decoding
    wire_bytes: float | None
    body_bytes: float | None
    statuses: dict[str, int]
    #: the first answer body (or exception text) seen per non-200 status
    error_samples: dict[str, str]


def run_cell(
    base: str,
    token: str,
    endpoint: str,
    path_of: PathFn,
    concurrency: int,
    duration: float,
    server_cpu: Callable[[], float | None],
    *,
    decode: bool = True,
) -> Cell:
    """Closed loop: ``concurrency`` threads, one keep-alive client each, for ``duration`` s.

    No request starts after ``duration``; requests in flight are waited for. ``server_cpu``
    reads the server's CPU seconds so far (None if unknown). ``decode=False`` takes the
    answer's bytes as sent (gzip) without decompressing them: the time to the last byte,
    without the load generator's own decoding work (``body_bytes`` is then None).
    """
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: list[dict[str, int]] = [{} for _ in range(concurrency)]
    sizes: list[list[int]] = [[0, 0] for _ in range(concurrency)]  # wire, decoded
    samples: dict[str, str] = {}
    timing: dict[str, float] = {}

    def start_clock() -> None:
        # runs once every client is connected and before any is released, so a client that
        # was slow to start (a loaded machine) still gets the whole duration
        timing["start"] = time.perf_counter()
        timing["stop"] = timing["start"] + duration

    ready = threading.Barrier(concurrency + 1, action=start_clock)

    def worker(i: int) -> None:
        rng = random.Random(SEED * 1000 + concurrency * 100 + i)
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=base, headers=headers, timeout=300, limits=limits) as client:
            # open the connection before the clock starts; a failure is counted below,
            # request by request, and must never leave the barrier waiting
            with contextlib.suppress(httpx.HTTPError):
                client.get("/healthz")
            ready.wait()
            stop = timing["stop"]
            while time.perf_counter() < stop:
                path = path_of(rng)
                started = time.perf_counter()
                decoded = 0
                try:
                    if decode:
                        response = client.get(path)
                        decoded = len(response.content)
                    else:
                        with client.stream("GET", path) as response:
                            if response.status_code == 200:
                                for _ in response.iter_raw():
                                    pass
                            else:
                                response.read()  # small JSON errors, for the sample below
                    code, body = str(response.status_code), ""
                    if code != "200":
                        body = response.text[:300]
                except httpx.HTTPError as exc:
                    code, body = type(exc).__name__, str(exc)[:300]
                elapsed = time.perf_counter() - started
                if code != "200":
                    samples.setdefault(code, body)
                if code == "200":
                    latencies[i].append(elapsed * 1000)
                    sizes[i][0] += response.num_bytes_downloaded
                    sizes[i][1] += decoded
                statuses[i][code] = statuses[i].get(code, 0) + 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for th in threads:
        th.start()
    cpu_before = server_cpu()
    ready.wait()
    client_before = time.process_time()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - timing["start"]
    cpu_after = server_cpu()
    client_cpu = time.process_time() - client_before

    lat = [v for per in latencies for v in per]
    merged: dict[str, int] = {}
    for per in statuses:
        for code, n in per.items():
            merged[code] = merged.get(code, 0) + n
    errors = sum(n for code, n in merged.items() if code != "200")
    server_cpu = (
        (cpu_after - cpu_before) * 1000 / len(lat)
        if lat and cpu_before is not None and cpu_after is not None
        else None
    )
    return Cell(
        endpoint=endpoint,
        concurrency=concurrency,
        requests=len(lat),
        errors=errors,
        p50_ms=percentile(lat, 0.50) if lat else None,
        p90_ms=percentile(lat, 0.90) if lat else None,
        p99_ms=percentile(lat, 0.99) if lat else None,
        max_ms=max(lat) if lat else None,
        mean_ms=statistics.fmean(lat) if lat else None,
        throughput_rps=len(lat) / elapsed,
        elapsed_s=elapsed,
        server_cpu_ms=server_cpu,
        client_cpu_ms=client_cpu * 1000 / len(lat) if lat else None,
        wire_bytes=sum(w for w, _ in sizes) / len(lat) if lat else None,
        body_bytes=sum(b for _, b in sizes) / len(lat) if lat and decode else None,
        statuses=merged,
        error_samples=samples,
    )


def endpoint_paths(url: str) -> dict[str, PathFn]:
    """The benchmarked endpoints; slugs are drawn at random from the data set."""
    store = workspace.open_store(url)
    try:
        with store.read() as conn:
            rows = conn.execute(select(t.use_cases.c.slug, t.use_cases.c.stage)).all()
    finally:
        store.close()
    slugs = sorted(r.slug for r in rows)
    gated = {Stage.IDEA.value, Stage.PILOT.value, Stage.PRODUCTION.value}
    with_gate = sorted(r.slug for r in rows if str(r.stage) in gated)
    return {
        "portfolio": lambda rng: "/api/v1/portfolio",
        "portfolio-page": lambda rng: "/api/v1/portfolio?limit=100",
        "use-case": lambda rng: f"/api/v1/use-cases/{rng.choice(slugs)}",
        "gate": lambda rng: f"/api/v1/use-cases/{rng.choice(with_gate)}/gate",
    }


# ============================================================================ report
def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def print_table(cells: Sequence[Cell]) -> None:
    head = ("endpoint", "clients", "requests", "errors", "p50 ms", "p99 ms", "max ms", "req/s")
    head += ("server CPU ms/req", "client CPU ms/req")
    rows = [
        (
            c.endpoint,
            str(c.concurrency),
            str(c.requests),
            str(c.errors),
            fmt(c.p50_ms),
            fmt(c.p99_ms),
            fmt(c.max_ms),
            f"{c.throughput_rps:.1f}",
            fmt(c.server_cpu_ms),
            fmt(c.client_cpu_ms),
        )
        for c in cells
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
    )
    for r in rows:
        print(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def target_verdict(cells: Sequence[Cell], backend: str) -> dict[str, Any] | None:
    """Whether p99 of the portfolio at 50 clients is under 150 ms (the target is for SQLite)."""
    if backend != "sqlite":
        return None
    for c in cells:
        if c.endpoint == TARGET_ENDPOINT and c.concurrency == TARGET_CONCURRENCY:
            return {
                "what": f"p99 of GET /api/v1/portfolio at {TARGET_CONCURRENCY} clients on SQLite",
                "target_ms": TARGET_P99_MS,
                "measured_ms": c.p99_ms,
                "met": c.p99_ms is not None and c.errors == 0 and c.p99_ms < TARGET_P99_MS,
            }
    return None


# ============================================================================ main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--use-cases", type=int, default=10_000, help="use cases (default 10000)")
    p.add_argument(
        "--events", type=int, default=1_000_000, help="audit events in total (default 1000000)"
    )
    p.add_argument(
        "--db-url",
        help="SQLite path/URL or postgresql:// URL [default: a cached file in bench/.data/]",
    )
    p.add_argument(
        "--concurrency",
        default="1,10,50",
        help="comma-separated numbers of concurrent clients (default 1,10,50)",
    )
    p.add_argument(
        "--duration", type=float, default=10.0, help="seconds per endpoint x concurrency cell"
    )
    p.add_argument(
        "--endpoint",
        action="append",
        choices=("portfolio", "portfolio-page", "use-case", "gate"),
        help="run only these endpoints (repeatable)",
    )
    p.add_argument(
        "--no-decode",
        dest="decode",
        action="store_false",
        help="time answers to their last byte as sent (gzip), without decompressing them in "
        "the load generator",
    )
    p.add_argument("--warmup", type=int, default=3, help="unmeasured requests per endpoint")
    p.add_argument("--output", type=Path, default=RESULTS_FILE, help="JSON results file")
    args = p.parse_args(argv)
    try:
        args.concurrency = [int(v) for v in str(args.concurrency).split(",") if v.strip()]
    except ValueError:
        p.error(f"--concurrency: expected numbers like 1,10,50, got {args.concurrency!r}")
    if not args.concurrency or min(args.concurrency) < 1:
        p.error("--concurrency: give at least one number >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    loc = locate(args.db_url, args.use_cases, args.events)
    try:
        info = ensure_dataset(loc, args.use_cases, args.events, fresh=False)
    except ScalegateError as exc:
        log(f"error: {exc}")
        return 2
    log(
        f"data set: {info.use_cases} use cases, {info.audit_events:,} audit events ({loc.describe})"
    )
    paths = endpoint_paths(loc.url)
    endpoints = args.endpoint or list(paths)
    created = cli(loc.url, "token", "create", "--json", "--name", "bench-api", "--expires", "8h")
    token_info = json.loads(created)
    server = Server(loc.url, DATA_DIR / f"api-server-{loc.backend}.log")
    cells: list[Cell] = []
    load_before = os.getloadavg()
    try:
        server.wait_ready()
        log(f"server up at {server.base}")
        for name in endpoints:
            with httpx.Client(
                base_url=server.base,
                headers={"Authorization": f"Bearer {token_info['token']}"},
                timeout=300,
            ) as client:
                warm_rng = random.Random(SEED)
                for _ in range(args.warmup):
                    r = client.get(paths[name](warm_rng))
                    if r.status_code != 200:
                        raise RuntimeError(f"warm-up {name}: HTTP {r.status_code}: {r.text[:300]}")
            for n in args.concurrency:
                log(f"{name} at {n} client(s) for {args.duration:g} s ...")
                cell = run_cell(
                    server.base,
                    token_info["token"],
                    name,
                    paths[name],
                    n,
                    args.duration,
                    server.cpu,
                    decode=args.decode,
                )
                log(
                    f"  {cell.requests} requests, p50 {fmt(cell.p50_ms)} ms, "
                    f"p99 {fmt(cell.p99_ms)} ms, {cell.throughput_rps:.1f} req/s"
                )
                cells.append(cell)
    finally:
        server.stop()
        try:
            cli(loc.url, "token", "revoke", str(token_info["id"]))
        except RuntimeError as exc:
            log(f"could not revoke the benchmark token: {exc}")
    load_after = os.getloadavg()

    print(
        f"\nscalegate API latency on {loc.backend} ({os.cpu_count()} CPUs, load generator in "
        f"the same machine): {info.use_cases:,} use cases, {info.audit_events:,} audit events, "
        f"{args.duration:g} s per cell\n"
    )
    print_table(cells)
    verdict = target_verdict(cells, loc.backend)
    if verdict is not None:
        print(
            f"\ntarget: {verdict['what']} < {TARGET_P99_MS:.0f} ms: "
            f"{fmt(verdict['measured_ms'])} ms -> {'met' if verdict['met'] else 'MISSED'}"
        )
    busy = max(load_before[0], load_after[0])
    if busy > 0.5 * (os.cpu_count() or 1) + 1:
        print(
            f"\nnote: the machine was busy (1-min load average up to {busy:.1f}); latencies are "
            "inflated, the server CPU column less so"
        )
    payload = {
        "backend": loc.backend,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_state(),
        "load_average": {"before": load_before, "after": load_after},
        "load_generator": "closed loop, one thread per client, keep-alive httpx.Client each",
        "server": "scalegate serve (one Uvicorn worker) on 127.0.0.1",
        "args": {
            "use_cases": args.use_cases,
            "events": args.events,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "warmup": args.warmup,
            "decode": args.decode,
        },
        "dataset": {**asdict(info)},
        "target": verdict,
        "results": [asdict(c) for c in cells],
    }
    save(loc.backend, payload, args.output)
    print(f"\nresults written to {args.output}")
    return 1 if verdict is not None and not verdict["met"] else 0


if __name__ == "__main__":
    sys.exit(main())
