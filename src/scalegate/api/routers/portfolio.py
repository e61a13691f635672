"""The portfolio: stages, stalled use cases and why."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Query, Request, Response

from scalegate.api.auth import Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import JsonObject
from scalegate.services import portfolio_cache

router = APIRouter(prefix=API_PREFIX, tags=["portfolio"])


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (``gzip`` or ``*`` without q=0)."""
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        q = params.strip().lower()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def _tags(if_none_match: str | None) -> set[str]:
    """The entity tags of an ``If-None-Match`` header, weak or not (``*`` is not honoured)."""
    tags: set[str] = set()
    for part in (if_none_match or "").split(","):
        tag = part.strip()
        if tag:
            tags.add(tag if tag.startswith("W/") else f"W/{tag}")
    return tags


@router.get(
    "/portfolio",
    response_model=JsonObject,
    response_description="The portfolio (gzip-encoded when the client accepts it). The "
    "'Age' header says how many seconds ago it was computed: changes show at once, purely "
    "time-driven ones (days in stage, time boxes, expiries) within 60 s. Send the 'ETag' back "
    "in 'If-None-Match' to get 304 Not Modified while it has not been recomputed.",
)
def show_portfolio(
    request: Request,
    caller: Viewer,
    department: str | None = Query(None),
    risk_tier: str | None = Query(None),
    owner: str | None = Query(None),
    limit: int | None = Query(
        None,
        ge=1,
        le=100_000,
        description="Return at most this many stalled use cases (most days stalled first); "
        "the answer then also holds 'stalled_total', 'offset' and 'limit'. Default: all.",
    ),
    offset: int = Query(0, ge=0, le=10_000_000, description="Stalled use cases to skip."),
) -> Response:
    """Use cases per stage, stalled ones with their blockers, readiness."""
    cached = portfolio_cache.cache_for(caller.store).get(
        department=department, risk_tier=risk_tier, owner=owner
    )
    # weak: the same tag for the gzip and the plain form of one build and page
    build = f"{cached.head[0]}:{cached.head[1]}:{cached.built_at!r}:{limit}:{offset}"
    etag = f'W/"{hashlib.sha256(build.encode()).hexdigest()[:24]}"'
    headers = {
        "Vary": "Accept-Encoding",
        "Age": str(max(0, int(cached.age()))),
        "ETag": etag,
        "Cache-Control": "private, no-cache",
    }
    if etag in _tags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    body, packed = cached.page(limit=limit, offset=offset)
    if packed is not None and accepts_gzip(request.headers.get("accept-encoding")):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="application/json", headers=headers)
    return Response(body, media_type="application/json", headers=headers)
