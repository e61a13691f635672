"""The portfolio built once and shared: cached per store, keyed by the audit chain head.

Building the portfolio of 10,000 use cases costs about a second of CPU, so a server that
built it per request would serve under one portfolio a second. :class:`PortfolioCache` keeps
the built portfolio, with its JSON and gzip bytes, and serves it while both hold:

* **the audit chain head has not moved.** Every change to use cases, evidence, approvals,
  waivers, stage history, promotion requests, policies, users, monitors, batches and alerts
  appends an audit event in the same transaction (``tests/services/test_portfolio_cache.py``
  checks this for every write path it drives), so the head ``(seq, hash)`` read at the start
  of a request identifies the stored state. A write, from this process or any other, is
  visible to the next request;
* **it is younger than** ``max_age`` (60 s by default). Results also depend on the clock
  (days in stage, time boxes, approval and waiver expiry, data-check freshness); those
  purely time-driven changes show up at most ``max_age`` late.

Concurrent requests for the same filters and head wait for **one** build (single flight).
Once an entry is older than ``refresh_after`` (45 s), the next request still gets it and
starts a rebuild in a background thread, so under steady traffic no request waits for a
build unless a write has just happened.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from scalegate.services import portfolio
from scalegate.services.clock import utcnow
from scalegate.store import Store
from scalegate.store.audit_log import read_head

log = logging.getLogger(__name__)

#: time-driven changes show up at most this late (seconds)
MAX_AGE_S = 60.0
#: entries older than this are rebuilt in the background while still being served (seconds)
REFRESH_AFTER_S = 45.0
#: filter combinations kept (least recently used dropped first); the unfiltered portfolio of
#: 10,000 use cases holds about 5 MB of encoded answers plus the built objects
MAX_ENTRIES = 16
#: answers smaller than this are not compressed
GZIP_MIN_BYTES = 1024
#: pages of the stalled list kept encoded per entry
MAX_PAGES = 64

Builder = Callable[..., portfolio.Portfolio]


class Filters(NamedTuple):
    department: str | None = None
    risk_tier: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class CachedPortfolio:
    """One built portfolio and its encodings.

    ``head`` is the audit chain head read before the build started: the portfolio reflects
    at least every change up to it. ``built_at`` is a ``time.monotonic()`` reading taken
    when the build started.
    """

    portfolio: portfolio.Portfolio
    filters: Filters
    head: tuple[int, str]
    built_at: float
    #: ``portfolio.to_dict()`` as compact UTF-8 JSON
    json: bytes
    #: ``json`` compressed with gzip, or None for small answers
    gzip: bytes | None
    _pages: dict[tuple[int | None, int], tuple[bytes, bytes | None]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def age(self, now: float | None = None) -> float:
        """Seconds since the build started (on the cache's monotonic clock by default)."""
        return (time.monotonic() if now is None else now) - self.built_at

    def page(self, *, limit: int | None, offset: int = 0) -> tuple[bytes, bytes | None]:
        """JSON and gzip bytes of the portfolio with only ``stalled[offset:offset + limit]``
        (all from ``offset`` if ``limit`` is None), plus ``stalled_total``, ``offset`` and
        ``limit``. Pages are encoded once and kept with the entry."""
        if limit is None and offset == 0:
            return self.json, self.gzip
        key = (limit, offset)
        hit = self._pages.get(key)
        if hit is not None:
            return hit
        data = self.portfolio.to_dict(
            stalled=slice(offset, None if limit is None else offset + limit)
        )
        data["stalled_total"] = len(self.portfolio.stalled)
        data["offset"], data["limit"] = offset, limit
        encoded = _encode_dict(data)
        if len(self._pages) >= MAX_PAGES:  # a racing thread may add one more: harmless
            self._pages.clear()
        self._pages[key] = encoded
        return encoded


class _Flight:
    """One build in progress; the requests that need it wait on ``done``."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: CachedPortfolio | None = None
        self.error: BaseException | None = None

    def wait(self) -> CachedPortfolio:
        self.done.wait()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def encode(p: portfolio.Portfolio) -> tuple[bytes, bytes | None]:
    """The JSON of ``p`` (what the API answers) and its gzip form (None if small)."""
    return _encode_dict(p.to_dict())


def _encode_dict(data: dict[str, Any]) -> tuple[bytes, bytes | None]:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) < GZIP_MIN_BYTES:
        return body, None
    # level 5: about 8x smaller than the JSON at a fraction of level 9's cost; mtime=0
    # keeps the bytes a function of the JSON alone
    return body, gzip.compress(body, compresslevel=5, mtime=0)


class PortfolioCache:
    """Portfolios of one store, shared by every thread of the process. Thread-safe.

    ``clock`` gives the ``now`` a build evaluates at, ``monotonic`` measures ages, and
    ``build`` is :func:`scalegate.services.portfolio.build`; tests replace them.
    """

    def __init__(
        self,
        store: Store,
        *,
        max_age: float = MAX_AGE_S,
        refresh_after: float = REFRESH_AFTER_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        build: Builder = portfolio.build,
    ) -> None:
        if not 0 < refresh_after <= max_age:
            raise ValueError("need 0 < refresh_after <= max_age")
        self._store = weakref.ref(store)
        self.max_age = max_age
        self.refresh_after = refresh_after
        self.max_entries = max_entries
        self._clock = clock
        self._monotonic = monotonic
        self._build = build
        self._lock = threading.Lock()
        self._entries: OrderedDict[Filters, CachedPortfolio] = OrderedDict()
        self._flights: dict[tuple[Filters, tuple[int, str]], _Flight] = {}
        #: number of builds started, for tests and diagnostics
        self.builds = 0

    # ------------------------------------------------------------------ public
    def get(
        self,
        *,
        department: str | None = None,
        risk_tier: str | None = None,
        owner: str | None = None,
    ) -> CachedPortfolio:
        """The portfolio for these filters, reflecting every change committed before the
        call and at most ``max_age`` seconds old with respect to the clock.

        Raises what :func:`scalegate.services.portfolio.build` raises (an unknown risk
        tier, an unreachable store); failed builds are not cached.
        """
        filters = Filters(department, risk_tier, owner)
        head = self._head()
        with self._lock:
            now = self._monotonic()
            entry = self._entries.get(filters)
            if entry is not None and entry.head == head and now - entry.built_at < self.max_age:
                self._entries.move_to_end(filters)
                if now - entry.built_at >= self.refresh_after:
                    self._refresh_in_background(filters, head)
                return entry
            flight, leader = self._join(filters, head)
        if leader:
            return self._fly(flight, filters, head)
        return flight.wait()

    def clear(self) -> None:
        """Forget every entry (builds in progress still finish and are kept)."""
        with self._lock:
            self._entries.clear()

    # ------------------------------------------------------------------ internals
    def _store_or_fail(self) -> Store:
        store = self._store()
        if store is None:
            raise RuntimeError("the store of this portfolio cache was garbage-collected")
        return store

    def _head(self) -> tuple[int, str]:
        with self._store_or_fail().read() as conn:
            return read_head(conn)

    def _join(self, filters: Filters, head: tuple[int, str]) -> tuple[_Flight, bool]:
        """The build for (filters, head) in progress, or a new one; the caller holds the
        lock. True when the caller must run it."""
        key = (filters, head)
        flight = self._flights.get(key)
        if flight is not None:
            return flight, False
        flight = _Flight()
        self._flights[key] = flight
        self.builds += 1
        return flight, True

    def _refresh_in_background(self, filters: Filters, head: tuple[int, str]) -> None:
        """Start a rebuild unless one is running; the caller holds the lock."""
        flight, leader = self._join(filters, head)
        if not leader:
            return
        thread = threading.Thread(
            target=self._fly_quietly,
            args=(flight, filters, head),
            name="scalegate-portfolio-refresh",
            daemon=True,
        )
        thread.start()

    def _fly_quietly(self, flight: _Flight, filters: Filters, head: tuple[int, str]) -> None:
        try:
            self._fly(flight, filters, head)
        except Exception as exc:  # nobody waits on a background refresh: log and drop it
            log.warning("refreshing the portfolio in the background failed: %s", exc)

    def _fly(self, flight: _Flight, filters: Filters, head: tuple[int, str]) -> CachedPortfolio:
        """Build, publish to the waiters and keep the result; always ends the flight."""
        try:
            started = self._monotonic()
            built = self._build(
                self._store_or_fail(),
                now=self._clock(),
                department=filters.department,
                risk_tier=filters.risk_tier,
                owner=filters.owner,
            )
            body, packed = encode(built)
            entry = CachedPortfolio(built, filters, head, started, body, packed)
        except BaseException as exc:
            with self._lock:
                self._flights.pop((filters, head), None)
            flight.error = exc
            flight.done.set()
            raise
        with self._lock:
            self._flights.pop((filters, head), None)
            self._keep(entry)
        flight.result = entry
        flight.done.set()
        return entry

    def _keep(self, entry: CachedPortfolio) -> None:
        """Store ``entry`` unless a newer one is there; the caller holds the lock."""
        current = self._entries.get(entry.filters)
        if current is not None and (current.head[0], current.built_at) > (
            entry.head[0],
            entry.built_at,
        ):
            return
        self._entries[entry.filters] = entry
        self._entries.move_to_end(entry.filters)
        # entries past max_age are never served again: free them now, not on eviction
        expired = [
            k for k, e in self._entries.items() if entry.built_at - e.built_at >= self.max_age
        ]
        for key in expired:
            del self._entries[key]
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


_caches: weakref.WeakKeyDictionary[Store, PortfolioCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(store: Store, **options: Any) -> PortfolioCache:
    """The one cache of ``store`` in this process (created with ``options`` on first use).

    The cache lives as long as the store object; a store opened again on the same database
    gets a cache of its own.
    """
    with _caches_lock:
        cache = _caches.get(store)
        if cache is None:
            cache = PortfolioCache(store, **options)
            _caches[store] = cache
        return cache
