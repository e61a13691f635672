"""A client on a local database (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scalegate.audit import ChainReport
from scalegate.domain.decision import GateDecision
from scalegate.domain.evidence import Evidence
from scalegate.domain.use_case import UseCase
from scalegate.services import gates, portfolio, registry
from scalegate.services.audit import verify
from scalegate.services.portfolio import Portfolio
from scalegate.services.workspace import open_store
from scalegate.store import Store


class UseCaseClient:
    """Operations on one use case. Obtain it with :meth:`Client.use_case`."""

    def __init__(self, client: Client, slug: str) -> None:
        self._client = client
        self.slug = slug

    @property
    def info(self) -> UseCase:
        """The use case as stored now."""
        return registry.get(self._client.store, self.slug)

    def gate(self, to: str | None = None) -> GateDecision:
        """Evaluate a gate (default: the next one).

        Example:
            >>> decision = uc.gate("production")  # doctest: +SKIP
            >>> decision.passed, [b.reason for b in decision.blockers]  # doctest: +SKIP
        """
        return gates.evaluate(self._client.store, self.slug, to)

    def promote(self, to: str, *, note: str = "") -> gates.PromotionOutcome:
        """Promote if the gate passes; otherwise open a promotion request."""
        return gates.promote(self._client.store, self.slug, to, actor=self._client.user, note=note)

    def record_evidence(
        self,
        kind: str,
        status: str,
        *,
        summary: str = "",
        payload: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Evidence:
        """Attach an immutable evidence record (e.g. from a CI job)."""
        return registry.record_evidence(
            self._client.store,
            self.slug,
            kind=kind,
            status=status,
            summary=summary,
            payload=payload,
            actor=self._client.user,
            at=at,
        )

    def __repr__(self) -> str:
        return f"UseCaseClient({self.slug!r})"


class Client:
    """A connection to a scalegate workspace."""

    def __init__(self, store: Store, *, user: str | None) -> None:
        self.store = store
        self.user = user

    def use_case(self, slug: str) -> UseCaseClient:
        """A handle on one use case; raises NotFoundError if it is not registered."""
        registry.get(self.store, slug)
        return UseCaseClient(self, slug)

    def use_cases(self, **filters: Any) -> list[UseCase]:
        return registry.list_all(self.store, **filters)

    def portfolio(self) -> Portfolio:
        return portfolio.build(self.store)

    def verify_audit(self) -> ChainReport:
        return verify(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(db: str | None = None, *, user: str | None = None) -> Client:
    """Open a workspace: ``db`` as for ``--db`` (default ``SCALEGATE_DB`` or ./scalegate.db),
    ``user`` as for ``--as`` (default ``SCALEGATE_USER``).

    Example:
        >>> import scalegate as sg
        >>> client = sg.connect("scalegate.db", user="ben")  # doctest: +SKIP
        >>> client.use_case("churn-prediction").gate("production").passed  # doctest: +SKIP
        False
    """
    from scalegate import settings

    s = settings.load(db=db, user=user)
    return Client(open_store(s.db), user=s.user)
