"""The Python SDK over HTTP: the local client's operations against a ``scalegate serve``.

Data never leaves the caller's machine for a check: :meth:`RemoteUseCase.check` runs the
contract locally (engine) and posts only the result (rule counts, examples, profile). Monitoring
uploads the composed batch, labels or reference as Parquet, because the server computes drift
and performance against what it stores. Errors come back as the same
:class:`~scalegate.errors.ScalegateError` subclasses the local SDK raises, with the server's
message; a server that cannot be reached raises :class:`~scalegate.errors.ConnectionFailedError`
naming the URL.

httpx is imported when a client is built, never at ``import scalegate``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from scalegate import errors
from scalegate.audit import ChainReport
from scalegate.domain.decision import CriterionResult, GateDecision, Verdict
from scalegate.domain.evidence import Evidence, PromotionRequest
from scalegate.domain.monitoring import DriftStatus, Task
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import UseCase
from scalegate.domain.user import Role
from scalegate.sdk.local import CheckRun, ContractLike, FairnessRun, _contract
from scalegate.services import data_checks, fairness, monitoring
from scalegate.services.gates import PromotionOutcome
from scalegate.services.portfolio import Portfolio, StalledUseCase

if TYPE_CHECKING:
    import httpx

API_PREFIX = "/api/v1"
#: the most batches the API hands out in one call (its ``limit`` bound)
MAX_BATCHES = 10_000

M = TypeVar("M", bound=BaseModel)


# ------------------------------------------------------------------------------- errors


def _error_classes() -> dict[str, type[errors.ScalegateError]]:
    """Stable error code -> the class that raises it (the first, most general, class wins
    when subclasses share a code, e.g. ``invalid``)."""
    # the engine's own errors (bad data, columns, expressions, profiles, schemas)
    import scalegate.engine.drift.compare
    import scalegate.engine.frames
    import scalegate.engine.profile_model
    import scalegate.engine.rules.expression
    import scalegate.engine.windows  # noqa: F401

    found: dict[str, type[errors.ScalegateError]] = {}
    pending: list[type[errors.ScalegateError]] = [errors.ScalegateError]
    while pending:
        cls = pending.pop(0)
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


_BY_STATUS: dict[int, type[errors.ScalegateError]] = {
    400: errors.ValidationError,
    401: errors.AuthenticationError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    413: errors.PayloadTooLargeError,
    415: errors.ValidationError,
    422: errors.ValidationError,
    503: errors.StoreError,
}


def error_from_response(status: int, body: bytes, *, url: str) -> errors.ScalegateError:
    """The ScalegateError an API error response stands for: the class by the body's
    ``error`` code (else by status), the server's ``message``, the other body fields as
    ``fields``. A body that is not scalegate's JSON error still gives a one-line error
    naming ``url`` and the status."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        code = str(data.get("error", ""))
        cls = _error_classes().get(code) or _BY_STATUS.get(status, errors.ScalegateError)
        if cls is errors.ScalegateError and status >= 500:
            cls = errors.ServerError
        if cls is errors.ValidationError and "allowed" in data:
            # UnknownChoiceError shares the 'invalid' code; it is the one that lists choices
            cls = errors.UnknownChoiceError
        fields = {k: v for k, v in data.items() if k not in ("error", "message")}
        return cls(data["message"], **fields)
    cls = _BY_STATUS.get(status) or (errors.ServerError if status >= 500 else errors.ScalegateError)
    snippet = body[:200].decode("utf-8", "replace").strip().splitlines()
    detail = f": {snippet[0]}" if snippet else ""
    return cls(f"{url} answered HTTP {status}{detail}", status=status, url=url)


# ------------------------------------------------------------------------------- parsing


def _model(cls: type[M], data: Mapping[str, Any]) -> M:
    """A domain model from API JSON, ignoring keys the model does not have (the API adds
    computed ones such as ``ref``, and detail routes add history)."""
    return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _criterion(d: Mapping[str, Any], *, verdict: Verdict | None = None) -> CriterionResult:
    return CriterionResult(
        id=d["id"],
        kind=d["kind"],
        verdict=verdict or Verdict(d["verdict"]),
        reason=d["reason"],
        description=d.get("description", ""),
        evidence=tuple(d.get("evidence", ())),
        waived_failure=d.get("waived_failure"),
    )


def decision_from_dict(d: Mapping[str, Any]) -> GateDecision:
    """The :class:`GateDecision` whose ``to_dict()`` is ``d``."""
    return GateDecision(
        use_case=d["use_case"],
        gate=Stage(d["gate"]),
        stage=Stage(d["stage"]),
        policy_name=d["policy_name"],
        policy_version=d["policy_version"],
        evaluated_at=_time(d["evaluated_at"]),
        results=tuple(_criterion(r) for r in d["results"]),
    )


def monitor_from_dict(d: Mapping[str, Any]) -> monitoring.Monitor:
    """A :class:`~scalegate.services.monitoring.Monitor` from the API's JSON; ``id`` is 0
    because the API does not expose monitors' row ids (monitors are named per use case)."""
    model = d["model"]
    return monitoring.Monitor(
        id=0,
        use_case=d["use_case"],
        name=d["name"],
        model_name=model["name"],
        model_version=model["version"],
        artifact_uri=model.get("artifact_uri", ""),
        training_fingerprint=model.get("training_fingerprint", ""),
        code_revision=model.get("code_revision", ""),
        task=Task(d["task"]) if d.get("task") else None,
        columns=dict(d.get("columns", {})),
        primary_metric=d.get("primary_metric"),
        reference_metrics=dict(d.get("reference_metrics", {})),
        reference_source=d.get("reference_source", ""),
        has_estimator=bool(d.get("estimates_performance")),
        active=bool(d.get("active", True)),
        created_at=_time(d["created_at"]),
        created_by=d["created_by"],
    )


def batch_from_dict(d: Mapping[str, Any]) -> monitoring.BatchResult:
    """The :class:`~scalegate.services.monitoring.BatchResult` whose ``to_dict()`` is ``d``."""
    return monitoring.BatchResult(
        batch_id=d["batch"],
        monitor=d["monitor"],
        at=_time(d["at"]),
        rows=d["rows"],
        status=DriftStatus(d["status"]),
        metrics=dict(d["metrics"]),
        drift=dict(d["drift"]),
        estimated=d.get("estimated"),
        performance=d.get("performance"),
        evidence=d["evidence"],
        alerts=list(d.get("alerts", [])),
        deliveries=list(d.get("deliveries", [])),
    )


def labels_from_dict(d: Mapping[str, Any]) -> monitoring.LabelsResult:
    """The :class:`~scalegate.services.monitoring.LabelsResult` whose ``to_dict()`` is ``d``."""
    return monitoring.LabelsResult(
        monitor=d["monitor"],
        labels=d["labels"],
        matched=d["matched"],
        unknown=d["unknown"],
        unknown_examples=list(d["unknown_examples"]),
        batches=list(d["batches"]),
        evidence=list(d["evidence"]),
        alerts=list(d.get("alerts", [])),
        deliveries=list(d.get("deliveries", [])),
    )


def portfolio_from_dict(d: Mapping[str, Any]) -> Portfolio:
    """The :class:`Portfolio` whose ``to_dict()`` is ``d`` (blockers carry no
    ``description``: the API leaves it out)."""
    stalled = [
        StalledUseCase(
            slug=s["slug"],
            name=s["name"],
            stage=Stage(s["stage"]),
            gate=Stage(s["gate"]) if s.get("gate") else None,
            days_in_stage=s["days_in_stage"],
            days_stalled=s["days_stalled"],
            departments=tuple(s["departments"]),
            risk_tier=s["risk_tier"],
            business_owner=s.get("business_owner"),
            blockers=tuple(_criterion(b, verdict=Verdict.FAIL) for b in s["blockers"]),
            why=s["why"],
        )
        for s in d["stalled"]
    ]
    return Portfolio(
        generated_at=_time(d["generated_at"]),
        policy_name=d["policy"]["name"],
        policy_version=d["policy"]["version"],
        stall_after_days=d["stall_after_days"],
        stages=dict(d["stages"]),
        total=d["total"],
        stalled=stalled,
        ready=list(d["ready_to_promote"]),
        top_blockers=[(b["criterion"], b["stalled"]) for b in d["top_blockers"]],
    )


# ------------------------------------------------------------------------------- uploads


def _parquet(data: Any) -> bytes:
    """``data`` (a path, folder, glob or any frame the engine reads) as Parquet bytes."""
    from scalegate.engine.frames import to_lazy

    frame, _source = to_lazy(data)
    buffer = io.BytesIO()
    frame.collect().to_polars().write_parquet(buffer)
    return buffer.getvalue()


def _table_upload(data: Any, name: str) -> tuple[str, bytes, str]:
    """A multipart file for a table: a single Parquet/CSV/NDJSON file is sent as it is
    (under its own name); anything else is read here and sent as ``name.parquet``."""
    from scalegate.engine.frames import FORMATS

    if isinstance(data, str | Path):
        path = Path(data)
        if path.is_file() and path.suffix.lower() in FORMATS:
            return (path.name, path.read_bytes(), "application/octet-stream")
    return (f"{name}.parquet", _parquet(data), "application/vnd.apache.parquet")


# ------------------------------------------------------------------------------- clients


class RemoteUseCase:
    """Operations on one use case over HTTP. Obtain it with :meth:`RemoteClient.use_case`.

    Same methods, arguments and return types as
    :class:`~scalegate.sdk.local.UseCaseClient`.
    """

    def __init__(self, client: RemoteClient, slug: str) -> None:
        self._client = client
        self.slug = slug

    @property
    def _path(self) -> str:
        from urllib.parse import quote

        return f"/use-cases/{quote(self.slug, safe='')}"

    def _detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = self._client._request("GET", self._path)
        return detail

    @property
    def info(self) -> UseCase:
        """The use case as the server stores it now."""
        return _model(UseCase, self._detail())

    def gate(self, to: str | None = None) -> GateDecision:
        """Evaluate a gate on the server (default: the next one)."""
        params = {"to": to} if to is not None else None
        return decision_from_dict(self._client._request("GET", f"{self._path}/gate", params=params))

    def promote(self, to: str, *, note: str = "") -> PromotionOutcome:
        """Promote if the gate passes; otherwise the server opens a promotion request
        (``request`` is then the open request)."""
        out = self._client._request("POST", f"{self._path}/promote", json={"to": to, "note": note})
        detail = self._detail()
        opened = detail.get("open_request")
        return PromotionOutcome(
            promoted=out["promoted"],
            decision=decision_from_dict(out["decision"]),
            use_case=_model(UseCase, detail),
            request=_model(PromotionRequest, opened) if opened and not out["promoted"] else None,
            request_opened=out["request_opened"],
        )

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
        body: dict[str, Any] = {"kind": kind, "status": status, "summary": summary}
        body["payload"] = payload or {}
        if at is not None:
            body["at"] = at.isoformat()
        return _model(Evidence, self._client._request("POST", f"{self._path}/evidence", json=body))

    def record_kpi(
        self,
        name: str,
        value: float,
        *,
        at: datetime | None = None,
        unit: str | None = None,
    ) -> Evidence:
        """Record one measurement of a charter KPI (as the local SDK does)."""
        # JSON has no NaN or infinity: send those as text, the server refuses them as the
        # local SDK does
        finite = not isinstance(value, float) or math.isfinite(value)
        body: dict[str, Any] = {"kpi": name, "value": value if finite else str(value)}
        if at is not None:
            body["at"] = at.isoformat()
        if unit is not None:
            body["unit"] = unit
        return _model(Evidence, self._client._request("POST", f"{self._path}/kpis", json=body))

    def kpis(self) -> dict[str, Any]:
        """Each charter KPI with its series, progress and realised value (plain data)."""
        out: dict[str, Any] = self._client._request("GET", f"{self._path}/kpis")
        return out

    def _can_record(self, what: str = "a check run") -> None:
        """Raise now, before any data is read, if the token's user could not store a run
        here (same order as the local SDK: permission, then the use case)."""
        me = self._client.me()
        role = Role(me["role"])
        if not role.allows(Role.CONTRIBUTOR):
            raise errors.PermissionDeniedError(
                f"storing {what} needs the contributor role; '{me['username']}' is a {role.value}",
                actor=me["username"],
                needed=Role.CONTRIBUTOR.value,
            )
        self._detail()

    def check(
        self,
        data: Any,
        contract: ContractLike,
        *,
        record: bool = True,
        now: datetime | None = None,
        profile: bool = True,
    ) -> CheckRun:
        """Check a data batch against a contract **here** (the data is never sent) and, by
        default, store the result on the server as this use case's ``data_check`` evidence.

        Arguments as for :meth:`scalegate.sdk.local.UseCaseClient.check`. The server
        re-validates the posted result and recomputes ``passed`` from the rule results.
        """
        spec = _contract(contract)
        if record:
            self._can_record()
        result = data_checks.run(data, spec, now=now, profile=profile)
        if not record:
            return CheckRun(result)
        out = self._client._request(
            "POST", f"{self._path}/checks", json={"result": result.to_dict()}
        )
        return CheckRun(result, self._client.evidence(out["evidence"]))

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
        """Compute a fairness report **here** (the data is never sent) and, by default, store
        it on the server as this use case's ``fairness_report`` evidence.

        Arguments as for :meth:`scalegate.sdk.local.UseCaseClient.fairness`. The server
        recomputes every rate and disparity from the posted per-group counts.
        """
        if record:
            self._can_record("a fairness report")
        report = fairness.compute(
            data,
            sensitive=sensitive,
            label=label,
            prediction=prediction,
            score=score,
            threshold=threshold,
            positive=positive,
        )
        if not record:
            return FairnessRun(report)
        out = self._client._request(
            "POST", f"{self._path}/fairness-reports", json={"report": report.to_dict()}
        )
        return FairnessRun(report, self._client.evidence(out["evidence"]))

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
        """Watch a model version in production against ``reference``: data (uploaded as
        Parquet, or a single Parquet/CSV/NDJSON file as it is) or a stored profile dict
        (uploaded as JSON). Arguments as for the local
        :meth:`~scalegate.sdk.local.UseCaseClient.create_monitor`."""
        unknown = sorted(set(model) - {"artifact_uri", "training_fingerprint", "code_revision"})
        if unknown:
            raise errors.ValidationError(
                f"create_monitor: unknown model field '{unknown[0]}'; known fields are "
                "artifact_uri, code_revision, training_fingerprint",
                field=unknown[0],
            )
        form: dict[str, str] = {
            "model_name": model_name,
            "model_version": model_version,
            "name": name,
            **model,
        }
        if task is not None:
            form["task"] = task
        for role, column in (columns or {}).items():
            # as locally, only the known roles are read
            if column is not None and role in monitoring.ROLES:
                form[f"{role}_column"] = column
        if isinstance(reference, Mapping):
            text = json.dumps(dict(reference), default=str).encode()
            upload = ("reference.json", text, "application/json")
        else:
            upload = _table_upload(reference, "reference")
        out = self._client._request(
            "POST", f"{self._path}/monitors", data=form, files={"reference": upload}
        )
        return monitor_from_dict(out)

    def _monitor(self, name: str) -> monitoring.Monitor:
        from urllib.parse import quote

        return monitor_from_dict(
            self._client._request("GET", f"{self._path}/monitors/{quote(name, safe='')}")
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
        """Log a production batch: the frame is composed here (features plus the monitor's
        prediction, id, score and label columns) and uploaded as Parquet; the server computes
        drift, estimated performance and alerts. Arguments as for the local
        :meth:`~scalegate.sdk.local.UseCaseClient.log_batch`; a ``timestamp`` datetime is
        sent as the batch's time."""
        from urllib.parse import quote

        batch = monitoring.compose_batch(
            self._monitor(monitor),
            features,
            predictions=predictions,
            ids=ids,
            scores=scores,
            labels=labels,
        )
        form = {"at": timestamp.isoformat()} if isinstance(timestamp, datetime) else None
        out = self._client._request(
            "POST",
            f"{self._path}/monitors/{quote(monitor, safe='')}/batches",
            data=form,
            files={"data": _table_upload(batch, "batch")},
        )
        return batch_from_dict(out)

    def log_labels(
        self, labels: Any, *, ids: Any = None, monitor: str = "default"
    ) -> monitoring.LabelsResult:
        """Join labels that arrived later to the logged batches by id (on the server):
        ``labels`` is a frame or path with the monitor's id and label columns, or a sequence
        of labels with ``ids`` the matching ids (composed here, uploaded as Parquet)."""
        from urllib.parse import quote

        if ids is not None:
            labels = monitoring.compose_labels(self._monitor(monitor), ids, labels)
        out = self._client._request(
            "POST",
            f"{self._path}/monitors/{quote(monitor, safe='')}/labels",
            files={"data": _table_upload(labels, "labels")},
        )
        return labels_from_dict(out)

    def monitors(self) -> list[monitoring.Monitor]:
        """The use case's monitors (``id`` is 0: the API names monitors, not row ids)."""
        return [
            monitor_from_dict(m) for m in self._client._request("GET", f"{self._path}/monitors")
        ]

    def batches(self, monitor: str = "default", *, limit: int | None = 100) -> list[dict[str, Any]]:
        """A monitor's batches, newest first (time, rows, status, metrics, evidence);
        ``limit=None`` asks for the API's maximum, 10,000."""
        from urllib.parse import quote

        n = MAX_BATCHES if limit is None else limit
        found: list[dict[str, Any]] = self._client._request(
            "GET", f"{self._path}/monitors/{quote(monitor, safe='')}/batches", params={"limit": n}
        )
        return found

    def __repr__(self) -> str:
        return f"RemoteUseCase({self.slug!r} at {self._client.url})"


class RemoteClient:
    """A connection to a scalegate server (``scalegate serve``) authenticated by an API
    token. Same methods as :class:`~scalegate.sdk.local.Client`; ``user`` is the token's
    user. Use :func:`scalegate.connect` to build one.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise errors.ValidationError(
                f"'{url}' is not a server address; give http://host:port or https://host",
                field="url",
                value=url,
            )
        if not token:
            raise errors.AuthenticationError(
                f"no API token for {url}: pass token=... or set SCALEGATE_TOKEN "
                "('scalegate token create' issues one)"
            )
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url + API_PREFIX,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "scalegate-sdk"},
            timeout=timeout,
            transport=transport,
        )
        self._me: dict[str, Any] | None = None

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a successful response; an error response raises the matching
        ScalegateError; no connection raises ConnectionFailedError naming the URL."""
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise errors.ConnectionFailedError(
                f"{self.url} did not answer {method} {API_PREFIX}{path} in time ({exc})",
                url=self.url,
            ) from None
        except httpx.TransportError as exc:
            raise errors.ConnectionFailedError(
                f"cannot reach the scalegate server at {self.url}: {exc or type(exc).__name__}",
                url=self.url,
            ) from None
        if response.is_success:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise errors.ServerError(
                    f"{self.url} answered {method} {API_PREFIX}{path} with a body that is not "
                    "JSON; is this a scalegate server?",
                    url=self.url,
                ) from None
        raise error_from_response(
            response.status_code, response.content, url=f"{self.url}{API_PREFIX}{path}"
        )

    def me(self) -> dict[str, Any]:
        """The token's user (username, role, domains), asked once per client."""
        if self._me is None:
            self._me = self._request("GET", "/me")
        return self._me

    @property
    def user(self) -> str:
        """The username the token acts as."""
        return str(self.me()["username"])

    def evidence(self, ref: str) -> Evidence:
        """One evidence record by its reference (``ev-12``)."""
        from urllib.parse import quote

        return _model(Evidence, self._request("GET", f"/evidence/{quote(ref, safe='')}"))

    def use_case(self, slug: str) -> RemoteUseCase:
        """A handle on one use case; raises NotFoundError if it is not registered."""
        uc = RemoteUseCase(self, slug)
        uc._detail()
        return uc

    def use_cases(self, **filters: Any) -> list[UseCase]:
        """Registered use cases; filters ``stage``, ``department``, ``owner``,
        ``risk_tier`` as for the local client."""
        known = {"stage", "department", "owner", "risk_tier"}
        unknown = sorted(set(filters) - known)
        if unknown:
            raise errors.ValidationError(
                f"use_cases: unknown filter '{unknown[0]}'; filters are {', '.join(sorted(known))}",
                field=unknown[0],
            )
        params = {k: v for k, v in filters.items() if v is not None}
        return [_model(UseCase, u) for u in self._request("GET", "/use-cases", params=params)]

    def portfolio(self) -> Portfolio:
        """The portfolio as the server computes it now."""
        return portfolio_from_dict(self._request("GET", "/portfolio"))

    def check(self, data: Any, contract: ContractLike, *, now: datetime | None = None) -> CheckRun:
        """Check data against a contract here, storing nothing (no request is made)."""
        return CheckRun(data_checks.run(data, _contract(contract), now=now))

    def verify_audit(self) -> ChainReport:
        """The server's audit chain verification."""
        d = self._request("GET", "/audit/verify")
        return ChainReport(
            ok=d["ok"],
            events=d["events"],
            first_bad_seq=d.get("first_bad_seq"),
            problem=d.get("problem"),
            head_hash=d["head_hash"],
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteClient({self.url!r})"


def connect(
    url: str,
    *,
    token: str | None = None,
    user: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> RemoteClient:
    """A client on the server at ``url``, authenticated by ``token`` (default
    ``SCALEGATE_TOKEN``). The token is checked now (``GET /api/v1/me``): a missing, unknown,
    expired or revoked token raises an AuthenticationError, an unreachable server a
    ConnectionFailedError. ``user``, if given, must be the token's user."""
    from scalegate import settings

    s = settings.load(token=token)
    client = RemoteClient(url, token=s.token, transport=transport)
    try:
        actual = client.user
        if user is not None and user != actual:
            raise errors.PermissionDeniedError(
                f"the token for {client.url} belongs to '{actual}', not '{user}'; over HTTP the "
                "token says who acts",
                actor=actual,
            )
    except BaseException:
        client.close()
        raise
    return client
