"""A client on a local database (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from scalegate.audit import ChainReport
from scalegate.domain.decision import GateDecision
from scalegate.domain.evidence import Evidence
from scalegate.domain.use_case import UseCase
from scalegate.services import (
    data_checks,
    fairness,
    gates,
    kpis,
    monitoring,
    portfolio,
    registry,
)
from scalegate.services.audit import verify
from scalegate.services.files import read_text
from scalegate.services.portfolio import Portfolio
from scalegate.services.workspace import open_store
from scalegate.store import Store

if TYPE_CHECKING:
    from scalegate.domain.contract import Contract
    from scalegate.engine.fairness import FairnessReport
    from scalegate.engine.results import CheckResult
    from scalegate.sdk.remote import RemoteClient


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

    def fairness(
        self,
        data: Any,
        *,
        sensitive: str | Sequence[str],
        label: str,
        prediction: str | None = None,
        score: str | None = None,
        threshold: float = 0.5,
        positive: Any = None,
        record: bool = True,
    ) -> FairnessRun:
        """Per-group rates and disparities of the model's predictions on ``data`` and (by
        default) store them as this use case's ``fairness_report`` evidence (audited), which
        the ``fairness`` gate criterion judges.

        ``data`` is a path or any dataframe (pandas, Polars, PyArrow, DuckDB, PySpark);
        ``sensitive`` one column or several (groups are then their intersections);
        ``prediction`` the predicted class column, or ``score`` with ``threshold`` (positive
        when ``score >= threshold``); ``positive`` the positive class (default 1 or True).
        Nothing is stored when the data cannot be read.

        Example:
            >>> run = uc.fairness(df, sensitive=["gender", "age_band"], label="defaulted",
            ...                   prediction="predicted")  # doctest: +SKIP
            >>> run.disparities["equalized_odds_difference"], run.evidence.ref  # doctest: +SKIP
        """
        store = self._client.store
        if record:
            fairness.can_record(store, self.slug, actor=self._client.user)
        report = fairness.compute(
            data,
            sensitive=sensitive,
            label=label,
            prediction=prediction,
            score=score,
            threshold=threshold,
            positive=positive,
        )
        evidence = (
            fairness.record(store, self.slug, report, actor=self._client.user) if record else None
        )
        return FairnessRun(report, evidence)

    # ------------------------------------------------------------------ monitoring
    def create_monitor(
        self,
        reference: Any,
        *,
        model_name: str,
        model_version: str,
        name: str = "default",
        task: str | None = None,
        columns: dict[str, str | None] | None = None,
        **model: str,
    ) -> monitoring.Monitor:
        """Watch a model version in production against ``reference`` (data with the model's
        features, predictions and, for performance, labels; or a stored profile dict).

        ``columns`` maps the roles ``id``, ``timestamp``, ``prediction``, ``score`` and
        ``label`` to column names (each defaults to a column of that name); ``model`` takes
        ``artifact_uri``, ``training_fingerprint`` and ``code_revision``.

        Example:
            >>> uc.create_monitor(train_df, model_name="churn-gbm", model_version="3",
            ...                   task="classification")  # doctest: +SKIP
        """
        return monitoring.create(
            self._client.store,
            self.slug,
            reference,
            actor=self._client.user,
            name=name,
            model_name=model_name,
            model_version=model_version,
            task=task,
            columns=columns,
            **model,
        )

    def log_batch(
        self,
        features: Any,
        predictions: Any = None,
        *,
        ids: Any = None,
        scores: Any = None,
        labels: Any = None,
        timestamp: datetime | str | None = None,
        monitor: str = "default",
    ) -> monitoring.BatchResult:
        """Log a production batch: drift against the reference, estimated performance,
        alerts; ids and predictions are kept so that :meth:`log_labels` can join labels.

        ``features`` is a frame (pandas, Polars, PyArrow, DuckDB, PySpark) or a path;
        ``predictions``, ``ids``, ``scores`` and ``labels`` are sequences of the same length
        (NumPy arrays, Series, lists), or column names of ``features``, or None when
        ``features`` already has the monitor's columns. ``timestamp`` is the batch's time
        (a datetime), or the name of an event-time column.

        Example:
            >>> result = uc.log_batch(X, model.predict(X), ids=X.index,
            ...                       scores=model.predict_proba(X)[:, 1])  # doctest: +SKIP
            >>> result.status, result.drifted  # doctest: +SKIP
        """
        store = self._client.store
        batch = monitoring.compose_batch(
            monitoring.get(store, self.slug, monitor),
            features,
            predictions=predictions,
            ids=ids,
            scores=scores,
            labels=labels,
        )
        at = timestamp if isinstance(timestamp, datetime) else None
        return monitoring.log_batch(
            store, self.slug, batch, actor=self._client.user, monitor=monitor, at=at
        )

    def log_labels(
        self, labels: Any, *, ids: Any = None, monitor: str = "default"
    ) -> monitoring.LabelsResult:
        """Join labels that arrived later to the logged batches by id: ``labels`` is a frame
        or path with the monitor's id and label columns, or a sequence of labels with
        ``ids`` the matching ids."""
        store = self._client.store
        if ids is not None:
            labels = monitoring.compose_labels(
                monitoring.get(store, self.slug, monitor), ids, labels
            )
        return monitoring.log_labels(
            store, self.slug, labels, actor=self._client.user, monitor=monitor
        )

    def monitors(self) -> list[monitoring.Monitor]:
        """The use case's monitors."""
        return monitoring.list_monitors(self._client.store, self.slug)

    def batches(self, monitor: str = "default", *, limit: int | None = 100) -> list[dict[str, Any]]:
        """A monitor's batches, newest first (time, rows, status, metrics, evidence)."""
        return monitoring.batches(self._client.store, self.slug, monitor, limit=limit)

    def record_kpi(
        self,
        name: str,
        value: float,
        *,
        at: datetime | None = None,
        unit: str | None = None,
    ) -> Evidence:
        """Record one measurement of a charter KPI (immutable ``kpi_measurement`` evidence).

        ``value`` must be a finite number; ``unit``, if given, must be the KPI's unit; ``at``
        (default now) may lie in the past, not in the future.

        Example:
            >>> uc.record_kpi("time to settle", 61.5, at=datetime(2027, 3, 31))  # doctest: +SKIP
        """
        return kpis.record(
            self._client.store, self.slug, name, value, at=at, unit=unit, actor=self._client.user
        )

    def kpis(self) -> dict[str, Any]:
        """Each charter KPI with its measurements (oldest first), progress from baseline to
        target and realised value (money KPIs), as plain data (``kpi show --json``)."""
        return kpis.report(self._client.store, self.slug).to_dict()

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


@dataclass(frozen=True)
class FairnessRun:
    """A fairness report (:class:`~scalegate.engine.fairness.FairnessReport`: ``groups``,
    ``disparities``, ``by_attribute``, ``to_dict()`` are available on the run itself) and
    the evidence it was stored as, if any."""

    report: FairnessReport
    evidence: Evidence | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "report":
            raise AttributeError(name)
        return getattr(self.report, name)

    def to_dict(self) -> dict[str, Any]:
        out = self.report.to_dict()
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


def connect(
    url_or_db: str | None = None,
    *,
    user: str | None = None,
    token: str | None = None,
) -> Client | RemoteClient:
    """Open a workspace.

    With an ``http://`` or ``https://`` URL: a :class:`~scalegate.sdk.remote.RemoteClient` on
    that server, authenticated by ``token`` (default ``SCALEGATE_TOKEN``; checked now).
    Otherwise a local :class:`Client`: ``url_or_db`` as for ``--db`` (default ``SCALEGATE_DB``
    or ./scalegate.db), ``user`` as for ``--as`` (default ``SCALEGATE_USER``).

    Example:
        >>> import scalegate as sg
        >>> client = sg.connect("scalegate.db", user="ben")  # doctest: +SKIP
        >>> client.use_case("churn-prediction").gate("production").passed  # doctest: +SKIP
        False
        >>> remote = sg.connect("https://scalegate.example.com", token="sg_...")  # doctest: +SKIP
    """
    from scalegate import settings

    if url_or_db is not None and url_or_db.startswith(("http://", "https://")):
        from scalegate.sdk import remote

        return remote.connect(url_or_db, token=token, user=user)
    s = settings.load(db=url_or_db, user=user)
    return Client(open_store(s.db), user=s.user)
