"""Request metrics in the Prometheus text exposition format (version 0.0.4).

Counts and a latency histogram per method, route template and status code. The route is
the template (``/api/v1/use-cases/{slug}``), never the raw path, so the number of series
stays bounded; requests that match no route count as ``unmatched``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: histogram bucket upper bounds, in seconds
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """Thread-safe counters of finished requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            self._counts[(method, route, str(status))] += 1
            counts = self._buckets.setdefault(key, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1  # +Inf
            self._sums[key] += seconds

    def render(
        self, gauges: Mapping[str, tuple[str, Iterable[tuple[dict[str, str], float]]]]
    ) -> str:
        """The exposition text: request metrics, then ``gauges`` (name -> (help, samples))."""
        out = [
            "# HELP scalegate_http_requests_total HTTP requests answered, by route and status.",
            "# TYPE scalegate_http_requests_total counter",
        ]
        with self._lock:
            counts = sorted(self._counts.items())
            buckets = sorted((k, list(v)) for k, v in self._buckets.items())
            sums = dict(self._sums)
        for (method, route, status), n in counts:
            key = _labels({"method": method, "route": route, "status": status})
            out.append(f"scalegate_http_requests_total{key} {n}")
        out += [
            "# HELP scalegate_http_request_duration_seconds Time to answer HTTP requests.",
            "# TYPE scalegate_http_request_duration_seconds histogram",
        ]
        for (method, route), bucket_counts in buckets:
            base = {"method": method, "route": route}
            for bound, n in zip((*BUCKETS, float("inf")), bucket_counts, strict=True):
                le = "+Inf" if bound == float("inf") else repr(bound)
                bucket = _labels({**base, "le": le})
                out.append(f"scalegate_http_request_duration_seconds_bucket{bucket} {n}")
            out.append(
                f"scalegate_http_request_duration_seconds_sum{_labels(base)} "
                f"{sums[(method, route)]!r}"
            )
            out.append(
                f"scalegate_http_request_duration_seconds_count{_labels(base)} {bucket_counts[-1]}"
            )
        for name, (help_text, samples) in gauges.items():
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for sample_labels, value in samples:
                out.append(f"{name}{_labels(sample_labels)} {value:g}")
        return "\n".join(out) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


class MetricsMiddleware:
    """ASGI middleware timing every HTTP request into a :class:`RequestMetrics`."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(
                scope.get("method", ""), template, status, time.perf_counter() - start
            )
