"""Alert rules, alerts and webhook deliveries: the records and the pure condition logic.

A rule watches one metric of a monitor's logged batches (``accuracy``, ``drift_share``,
``drift.<column>``...). Its condition holds when the newest ``windows`` batches that carry the
metric all satisfy ``value <op> threshold``. No I/O lives here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

#: metric names are opaque keys of a batch's ``metrics`` dict
METRIC_PATTERN = r"^[a-z0-9_.]{1,100}$"
#: rule names: short, shell-friendly, unique per monitor
RULE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
MAX_WINDOWS = 1000
MAX_URL_LENGTH = 2000

_METRIC_RE = re.compile(METRIC_PATTERN)
_RULE_NAME_RE = re.compile(RULE_NAME_PATTERN)


class Op(StrEnum):
    """How a metric value is compared with the rule's threshold."""

    GE = ">="
    LE = "<="
    GT = ">"
    LT = "<"

    def holds(self, value: float, threshold: float) -> bool:
        if self is Op.GE:
            return value >= threshold
        if self is Op.LE:
            return value <= threshold
        if self is Op.GT:
            return value > threshold
        return value < threshold

    @classmethod
    def parse(cls, text: str) -> Op:
        """``>=`` or its shell-friendly word ``ge`` (likewise ``le``, ``gt``, ``lt``)."""
        raw = text.strip().lower()
        for op in cls:
            if raw in (op.value, op.word):
                return op
        raise ValueError(text)

    @property
    def word(self) -> str:
        """A shell-friendly spelling for default rule names (``ge``, ``le``, ``gt``, ``lt``)."""
        return {Op.GE: "ge", Op.LE: "le", Op.GT: "gt", Op.LT: "lt"}[self]


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class DeliveryEvent(StrEnum):
    OPENED = "opened"
    RESOLVED = "resolved"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertRule(_Record):
    """A threshold on one metric of one monitor, over consecutive batches."""

    id: int
    use_case: str
    monitor: str
    monitor_id: int
    name: str
    metric: str
    op: Op
    threshold: float
    windows: int
    #: the full URL (it may carry a secret token: show ``webhook_display`` to people)
    webhook: str | None = None
    active: bool = True
    created_at: datetime
    created_by: str

    @property
    def condition(self) -> str:
        return f"{self.metric} {self.op.value} {format_number(self.threshold)}"

    @property
    def webhook_display(self) -> str | None:
        return redact_url(self.webhook) if self.webhook else None

    def public_dict(self) -> dict[str, Any]:
        """Everything but the secret part of the webhook URL, for lists and audit events."""
        data = self.model_dump(mode="json")
        data["webhook"] = self.webhook_display
        return data


class Alert(_Record):
    """One episode of a rule's condition holding: opened once, resolved once."""

    id: int
    rule_id: int
    monitor_id: int
    use_case: str
    monitor: str
    rule: str
    metric: str
    op: Op
    threshold: float
    windows: int
    status: AlertStatus
    opened_at: datetime
    resolved_at: datetime | None = None
    #: the newest value that made the condition hold
    value: float | None = None
    #: the batches the condition held on, oldest first
    batch_ids: tuple[int, ...] = ()
    message: str = ""


class Delivery(_Record):
    """One webhook notification of an alert being opened or resolved (the delivery log)."""

    id: int
    alert_id: int
    use_case: str
    monitor: str
    rule: str
    event: DeliveryEvent
    #: the full URL (may carry a secret token: show ``url_display`` to people)
    url: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None

    @property
    def url_display(self) -> str:
        return redact_url(self.url)

    def public_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["url"] = self.url_display
        return data


# ---------------------------------------------------------------------------- validation


def metric_problem(metric: str) -> str | None:
    """Why ``metric`` is not a valid metric name, or None."""
    if not _METRIC_RE.match(metric):
        return (
            f"'{metric}' is not a metric name: use 1-100 lower-case letters, digits, "
            "'_' and '.', e.g. accuracy, drift_share or drift.age"
        )
    return None


def rule_name_problem(name: str) -> str | None:
    if not _RULE_NAME_RE.match(name):
        return (
            f"'{name}' is not a rule name: use 1-64 lower-case letters, digits, '_', '.' "
            "and '-', starting with a letter or digit, e.g. accuracy-drop"
        )
    return None


def webhook_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook (only absolute http(s) URLs with a host), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"a webhook URL is at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url):
        return f"'{redact_url(url)}' contains white space"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"'{redact_url(url)}' is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{redact_url(url)}' is not an http(s) URL, e.g. https://hooks.example.com/x"
    return None


def default_rule_name(metric: str, op: Op, threshold: float) -> str:
    """``accuracy-le-0.8``; the metric is shortened so that the name fits 64 characters."""
    tail = f"-{op.word}-{format_number(threshold).replace('+', '')}"
    return metric[: 64 - len(tail)] + tail


# ---------------------------------------------------------------------------- evaluation


def metric_value(metrics: Any, metric: str) -> float | None:
    """The finite number ``metrics[metric]``, or None when the batch does not carry it."""
    if not isinstance(metrics, dict):
        return None
    value = metrics.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def condition_holds(values: Sequence[float], op: Op, threshold: float, windows: int) -> bool:
    """True when there are at least ``windows`` values and the newest ``windows`` all satisfy
    ``value <op> threshold``. ``values`` are newest first."""
    if windows < 1 or len(values) < windows:
        return False
    return all(op.holds(v, threshold) for v in values[:windows])


def format_number(value: float) -> str:
    """Short and exact enough for people: 0.8, 0.7432, 1200, 1.5e-05."""
    return f"{value:.4g}"


def opened_message(
    *, use_case: str, monitor: str, metric: str, op: Op, threshold: float, values: Sequence[float]
) -> str:
    """``demand-forecast/default: accuracy <= 0.8 for 3 consecutive batches (0.74, 0.71,
    0.69)``; ``values`` oldest first."""
    shown = ", ".join(format_number(v) for v in values)
    n = len(values)
    span = "in the latest batch" if n == 1 else f"for {n} consecutive batches"
    return f"{use_case}/{monitor}: {metric} {op.value} {format_number(threshold)} {span} ({shown})"


def redact_url(url: str) -> str:
    """Scheme and host only: incoming-webhook URLs carry their secret in the path/query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return "<invalid URL>"
    hidden = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"
