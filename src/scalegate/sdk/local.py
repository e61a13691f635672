"""A client on a local database (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from scalegate.audit import ChainReport
from scalegate.domain.decision import GateDecision
from scalegate.domain.evidence import Evidence
from scalegate.domain.use_case import UseCase
from scalegate.services import data_checks, gates, portfolio, registry
from scalegate.services.audit import verify
from scalegate.services.files import read_text
from scalegate.services.portfolio import Portfolio
from scalegate.services.workspace import open_store
from scalegate.store import Store

if TYPE_CHECKING:
    from scalegate.domain.contract import Contract
    from scalegate.engine.results import CheckResult


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

    def check(
        self,
        data: Any,
        contract: ContractLike,
        *,
        record: bool = True,
        now: datetime | None = None,
        profile: bool = True,
    ) -> CheckRun:
        """Check a data batch against a contract and (by default) store the run as this use
        case's ``data_check`` evidence, with its dataset fingerprint and profile (audited).

        ``data`` is a path (Parquet, CSV or NDJSON file, folder or glob) or a pandas, Polars,
        PyArrow, DuckDB or PySpark frame; ``contract`` a YAML file path, YAML text or a
        loaded contract. Nothing is stored when the data cannot be read. ``profile=False``
        skips the dataset profile (faster; drift monitoring then has nothing to compare).

        Example:
            >>> run = uc.check(df, contract="contracts/applications.yaml")  # doctest: +SKIP
            >>> run.passed, run.evidence.ref, [r.id for r in run.failed]  # doctest: +SKIP
        """
        store = self._client.store
        spec = _contract(contract)
        if record:
            data_checks.can_record(store, self.slug, actor=self._client.user)
        result = data_checks.run(data, spec, now=now, profile=profile)
        evidence = (
            data_checks.record(store, self.slug, result, actor=self._client.user)
            if record
            else None
        )
        return CheckRun(result, evidence)

    def __repr__(self) -> str:
        return f"UseCaseClient({self.slug!r})"


ContractLike = Union[str, Path, "Contract"]


def _contract(contract: ContractLike) -> Contract:
    from scalegate.domain.contract import Contract

    if isinstance(contract, Contract):
        from scalegate.engine.check import validate_contract

        return validate_contract(contract, source=f"contract '{contract.contract}'")
    if isinstance(contract, Path) or (isinstance(contract, str) and "\n" not in contract):
        path = Path(contract)
        return data_checks.load_contract(read_text(path, what="contract file"), str(path))
    return data_checks.load_contract(contract, "<contract text>")


@dataclass(frozen=True)
class CheckRun:
    """A check run: the :class:`~scalegate.engine.results.CheckResult` (``passed``,
    ``failed``, ``warnings``, ``results``, ``profile``, ``to_dict()`` are available on the run
    itself) and the evidence it was stored as, if any."""

    result: CheckResult
    evidence: Evidence | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "result":
            raise AttributeError(name)
        return getattr(self.result, name)

    def to_dict(self) -> dict[str, Any]:
        out = self.result.to_dict()
        out["evidence"] = self.evidence.ref if self.evidence is not None else None
        return out


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

    def check(self, data: Any, contract: ContractLike, *, now: datetime | None = None) -> CheckRun:
        """Check data against a contract without storing the run (see
        :meth:`UseCaseClient.check` to store it as a use case's evidence)."""
        return CheckRun(data_checks.run(data, _contract(contract), now=now))

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
