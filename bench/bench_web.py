"""Browser benchmark: dashboard pages fully rendered in headless Chromium.

Target (from issue 5): the portfolio page fully rendered in the browser in under 1 s, with
10,000 use cases and 1,000,000 audit events on SQLite.

Usage::

    python bench/bench_web.py [--db-url URL] [--runs 20]

The data set is the one ``bench_foundation.py`` builds and caches (same ``--use-cases``,
``--events`` and ``--db-url`` rules). The script

1. gives the benchmark admin a password and starts ``scalegate --db URL serve`` (one Uvicorn
   worker, what a user runs) on a free loopback port;
2. launches Debian's Chromium headless through Playwright (``SCALEGATE_CHROMIUM`` or
   ``chromium`` on PATH; no browser is ever downloaded) at 1366x768 and logs in through the
   login form;
3. loads each page ``--runs`` times in one tab, like a user pressing reload. The clock starts
   before ``page.goto`` and stops once the ``load`` event has fired (HTML, CSS, vendored htmx
   and Chart.js loaded and the chart script run) and two animation frames were painted after
   it. The first load of each page is reported apart (``cold``);
   ``portfolio-after-change`` loads the portfolio right after a change (an evidence record
   added through the services), so each of its loads recomputes the portfolio: the first
   visitor after any change waits that long;
4. prints median, p95 and max per page, with the browser's navigation timing (last byte of
   the HTML, DOMContentLoaded, load event) and the HTML size, and merges the results into
   ``bench/results/web.json`` (one entry per backend).

Pages: the portfolio (``/``) and use case pages (``/use-cases/{slug}``, slugs at random).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_api import Server, endpoint_paths
from bench_foundation import (
    ADMIN,
    BENCH_DIR,
    DATA_DIR,
    SEED,
    ensure_dataset,
    git_state,
    locate,
    log,
    machine,
    percentile,
    save,
)

from scalegate.errors import ScalegateError
from scalegate.services import auth, registry, workspace

RESULTS_FILE = BENCH_DIR / "results" / "web.json"
TARGET_PAGE = "portfolio"
TARGET_MS = 1000.0
PASSWORD = "bench-web-password"

#: resolves after two animation frames: what was drawn after the load event is on screen
PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
NAV_TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {response_end: n.responseEnd, dom_content_loaded: n.domContentLoadedEventEnd,
          load: n.loadEventEnd, html_bytes: n.decodedBodySize};
}"""


@dataclass
class PageResult:
    page: str
    runs: int
    cold_ms: float
    median_ms: float
    p95_ms: float
    max_ms: float
    #: medians of the browser's navigation timing, ms from navigation start
    html_last_byte_ms: float
    dom_content_loaded_ms: float
    load_event_ms: float
    html_kb: float


def chromium() -> str:
    path = (
        os.environ.get("SCALEGATE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        raise SystemExit("no Chromium: install Debian's 'chromium' or set SCALEGATE_CHROMIUM")
    return path


def measure(
    tab: Any,
    base: str,
    name: str,
    paths: Sequence[str],
    before_each: Callable[[], None] | None = None,
) -> PageResult:
    """Load each of ``paths`` (the first one cold) and time it to painted-after-load;
    ``before_each`` runs (untimed) before every load."""
    totals: list[float] = []
    timings: list[dict[str, float]] = []
    for path in paths:
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        answer = tab.goto(base + path, wait_until="load")
        tab.evaluate(PAINTED)
        totals.append((time.perf_counter() - started) * 1000)
        if answer is None or answer.status != 200:
            raise RuntimeError(f"{path}: HTTP {answer.status if answer else '?'}")
        if "/login" in tab.url:
            raise RuntimeError(f"{path}: redirected to the login page")
        timings.append(tab.evaluate(NAV_TIMING))
    warm = totals[1:] or totals
    warm_timing = timings[1:] or timings

    def med(key: str) -> float:
        return round(statistics.median(t[key] for t in warm_timing), 1)

    return PageResult(
        page=name,
        runs=len(warm),
        cold_ms=round(totals[0], 1),
        median_ms=round(statistics.median(warm), 1),
        p95_ms=round(percentile(warm, 0.95), 1),
        max_ms=round(max(warm), 1),
        html_last_byte_ms=med("response_end"),
        dom_content_loaded_ms=med("dom_content_loaded"),
        load_event_ms=med("load"),
        html_kb=round(statistics.median(t["html_bytes"] for t in warm_timing) / 1024, 1),
    )


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
    p.add_argument("--runs", type=int, default=20, help="measured loads per page (default 20)")
    p.add_argument(
        "--change-runs",
        type=int,
        default=5,
        help="portfolio loads right after a change, each recomputing it (default 5)",
    )
    p.add_argument("--output", type=Path, default=RESULTS_FILE, help="JSON results file")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs: give at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    executable = chromium()
    loc = locate(args.db_url, args.use_cases, args.events)
    try:
        info = ensure_dataset(loc, args.use_cases, args.events, fresh=False)
        store = workspace.open_store(loc.url)
        try:
            auth.set_password(store, ADMIN, PASSWORD, actor=ADMIN)
        finally:
            store.close()
    except ScalegateError as exc:
        log(f"error: {exc}")
        return 2
    log(
        f"data set: {info.use_cases} use cases, {info.audit_events:,} audit events ({loc.describe})"
    )
    rng = random.Random(SEED)
    use_case = endpoint_paths(loc.url)["use-case"]
    case_paths = [use_case(rng).removeprefix("/api/v1") for _ in range(args.runs + 1)]
    pages: dict[str, tuple[list[str], Callable[[], None] | None]] = {
        # first: the portfolio cold (logging in lands on a use case page, not here)
        "portfolio": (["/"] * (args.runs + 1), None),
        "use-case": (case_paths, None),
    }
    writer = workspace.open_store(loc.url)
    if args.change_runs > 0:
        note_slug = case_paths[0].rsplit("/", 1)[-1]

        def change() -> None:
            registry.record_evidence(
                writer,
                note_slug,
                kind="note",
                status="info",
                summary="bench_web: a change before the next portfolio load",
                actor=ADMIN,
            )

        pages["portfolio-after-change"] = (["/"] * (args.change_runs + 1), change)
    from playwright.sync_api import sync_playwright

    server = Server(loc.url, DATA_DIR / f"web-server-{loc.backend}.log")
    results: list[PageResult] = []
    load_before = os.getloadavg()
    try:
        server.wait_ready()
        log(f"server up at {server.base}; Chromium {executable}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, headless=True)
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.goto(f"{server.base}/login?next={case_paths[0]}")
            tab.get_by_label("Username").fill(ADMIN)
            tab.get_by_label("Password").fill(PASSWORD)
            with tab.expect_navigation(timeout=120_000):
                tab.get_by_role("button", name="Log in").click()
            for name, (paths, before_each) in pages.items():
                log(f"{name}: {len(paths)} loads ...")
                result = measure(tab, server.base, name, paths, before_each)
                log(
                    f"  cold {result.cold_ms:.0f} ms, median {result.median_ms:.0f} ms, "
                    f"p95 {result.p95_ms:.0f} ms"
                )
                results.append(result)
            browser.close()
            if errors:
                raise RuntimeError("errors in the browser console: " + "; ".join(errors[:5]))
    finally:
        server.stop()
        writer.close()
    load_after = os.getloadavg()

    print(
        f"\nscalegate dashboard in headless Chromium on {loc.backend} ({os.cpu_count()} CPUs, "
        f"server and browser on the same machine): {info.use_cases:,} use cases, "
        f"{info.audit_events:,} audit events\n"
    )
    head = (
        "page",
        "runs",
        "cold ms",
        "median ms",
        "p95 ms",
        "max ms",
        "HTML last byte",
        "DOMContentLoaded",
        "load",
        "HTML KB",
    )
    rows = [
        (
            r.page,
            str(r.runs),
            f"{r.cold_ms:.0f}",
            f"{r.median_ms:.0f}",
            f"{r.p95_ms:.0f}",
            f"{r.max_ms:.0f}",
            f"{r.html_last_byte_ms:.0f}",
            f"{r.dom_content_loaded_ms:.0f}",
            f"{r.load_event_ms:.0f}",
            f"{r.html_kb:.0f}",
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    target = next(r for r in results if r.page == TARGET_PAGE)
    met = target.p95_ms < TARGET_MS
    print(
        f"\ntarget: portfolio page rendered (p95) < {TARGET_MS:.0f} ms: "
        f"{target.p95_ms:.0f} ms -> {'met' if met else 'MISSED'}"
    )
    changed = next((r for r in results if r.page == "portfolio-after-change"), None)
    if changed is not None:
        print(
            f"        right after a change (recomputed, p95): {changed.p95_ms:.0f} ms -> "
            f"{'met' if changed.p95_ms < TARGET_MS else 'MISSED'}"
        )
    busy = max(load_before[0], load_after[0])
    if busy > 0.5 * (os.cpu_count() or 1) + 1:
        print(
            f"\nnote: the machine was busy (1-min load average up to {busy:.1f}); timings inflated"
        )
    payload = {
        "backend": loc.backend,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_set": {"use_cases": info.use_cases, "audit_events": info.audit_events},
        "runs": args.runs,
        "pages": [asdict(r) for r in results],
        "target": {
            "page": TARGET_PAGE,
            "p95_ms": target.p95_ms,
            "target_ms": TARGET_MS,
            "met": met,
        },
        "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
        "git": git_state(),
        "machine": machine(),
    }
    save(loc.backend, payload, args.output)
    log(f"results merged into {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
