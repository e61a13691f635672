"""Seeded production data for the demo's monitored models (NumPy and Polars).

Two binary classifiers in production:

* **invoice-matching** (scaled) stays healthy: every weekly batch comes from the reference
  distribution, and the model's scores stay calibrated.
* **claims-triage** (production) starts healthy; from week ``DRIFT_FROM`` on, claims come in
  larger and more of them through the new partner channel, and the relation between features
  and outcome shifts, so accuracy falls and alerts open.

A model here is a fixed logistic function of the features. Labels are drawn from the true
probability, which equals the model's score until the relation shifts, so the reference is
calibrated, as the label-free estimate assumes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

#: weekly batches logged per monitored demo use case
WEEKS = 16
#: the claims-triage batch (0-based week) from which its inputs drift
DRIFT_FROM = 11
#: labels arrive this many days after a batch
LABEL_DELAY_DAYS = 14
REFERENCE_ROWS = 5_000
BATCH_ROWS = 2_000


@dataclass(frozen=True)
class MonitoredModel:
    slug: str
    model_name: str
    model_version: str
    #: week from which inputs and outcome drift (None: never)
    drift_from: int | None


MODELS = (
    MonitoredModel("invoice-matching", "invoice-matcher-gbm", "4.2", None),
    MonitoredModel("claims-triage", "claims-fast-track", "1.3", DRIFT_FROM),
)


def _sigmoid(x: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-x))


def _claims(rows: int, rng: Any, severity: float) -> dict[str, Any]:
    """Claims features; ``severity`` 0 (reference) to 1 (fully drifted)."""
    import numpy as np

    channels = np.array(["web", "phone", "agent", "partner"])
    weights = (
        np.array([0.45, 0.30, 0.25, 0.0]) * (1 - severity)
        + np.array([0.30, 0.15, 0.15, 0.40]) * severity
    )
    regions = np.array(["north", "south", "east", "west", "central"])
    return {
        "claim_amount": np.round(rng.lognormal(7.4 + 0.6 * severity, 0.7, rows), 2),
        "policy_age_years": np.round(rng.gamma(2.5, 2.2, rows), 1),
        "prior_claims": rng.poisson(0.6, rows),
        "vehicle_age": rng.integers(0, 20, rows),
        "injury_reported": rng.random(rows) < 0.12,
        "channel": channels[rng.choice(4, rows, p=weights / weights.sum())],
        "region": regions[rng.choice(5, rows, p=[0.25, 0.2, 0.2, 0.2, 0.15])],
    }


def _claims_logit(f: dict[str, Any], shift: float) -> Any:
    """The logit of 'fast-track is right'. ``shift`` 0 is the model; above 0 the true
    relation moves away from it: partner-channel claims (which the model never saw) and
    long-standing policies stop being safe to fast-track."""
    import numpy as np

    amount = (np.log(f["claim_amount"]) - 7.4) / 0.7
    return (
        1.6
        - 1.4 * amount
        + (0.15 - 0.2 * shift) * f["policy_age_years"]
        - 0.9 * f["prior_claims"]
        - 2.2 * f["injury_reported"]
        + 0.5 * (f["channel"] == "web")
        - 4.0 * shift * (f["channel"] == "partner")
        + 1.0 * shift * amount
    )


def _invoices(rows: int, rng: Any) -> dict[str, Any]:
    import numpy as np

    currencies = np.array(["EUR", "USD", "GBP", "CHF"])
    return {
        "amount": np.round(rng.lognormal(6.8, 1.1, rows), 2),
        "line_items": rng.poisson(4, rows) + 1,
        "supplier_age_days": rng.integers(30, 4000, rows),
        "days_to_due": rng.integers(0, 60, rows),
        "po_reference_present": rng.random(rows) < 0.83,
        "currency": currencies[rng.choice(4, rows, p=[0.6, 0.25, 0.1, 0.05])],
    }


def _invoice_logit(f: dict[str, Any]) -> Any:
    import numpy as np

    return (
        0.4
        + 2.4 * f["po_reference_present"]
        - 0.25 * (f["line_items"] - 4)
        + 0.3 * np.log1p(f["supplier_age_days"] / 365)
        - 0.2 * (np.log(f["amount"]) - 6.8)
    )


def frame(
    model: MonitoredModel,
    *,
    rows: int,
    seed: int,
    week: int | None = None,
    start_id: int = 0,
    at: datetime | None = None,
) -> pl.DataFrame:
    """One frame of ``model``'s data: features, ``prediction``, ``score``, ``label`` and
    ``id`` (and ``timestamp`` spread over the week before ``at``). ``week=None`` is the
    reference (training validation) set."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    drift = model.drift_from is not None and week is not None and week >= model.drift_from
    severity = 0.0
    if drift:
        assert model.drift_from is not None and week is not None
        severity = min(1.0, 0.5 + 0.25 * (week - model.drift_from))
    if model.slug == "claims-triage":
        features = _claims(rows, rng, severity)
        score = _sigmoid(_claims_logit(features, 0.0))
        truth = _sigmoid(_claims_logit(features, severity)) if drift else score
    else:
        features = _invoices(rows, rng)
        score = _sigmoid(_invoice_logit(features))
        truth = score
    data = {
        "id": np.arange(start_id, start_id + rows, dtype=np.int64),
        **features,
        "score": np.round(score, 4),
        "prediction": (score >= 0.5).astype(np.int64),
        "label": (rng.random(rows) < truth).astype(np.int64),
    }
    table = pl.DataFrame(data)
    if at is not None:
        offsets = np.sort(rng.integers(0, 7 * 24 * 3600, rows))[::-1]
        stamps = [at - timedelta(seconds=int(s)) for s in offsets]
        table = table.with_columns(pl.Series("timestamp", stamps).dt.replace_time_zone(None))
    return table


def weekly(model: MonitoredModel, now: datetime) -> list[tuple[int, datetime]]:
    """(week, batch time) of the demo's batches, oldest first, the newest two days ago."""
    newest = now - timedelta(days=2)
    return [(w, newest - timedelta(weeks=WEEKS - 1 - w)) for w in range(WEEKS)]


def seed_of(model: MonitoredModel, week: int | None) -> int:
    return 7_000 + 100 * len(model.slug) + (week + 1 if week is not None else 0)


def accuracy_bound(reference_accuracy: float, drop: float) -> float:
    """The alert threshold the demo uses: ``drop`` below the reference accuracy, rounded."""
    return math.floor((reference_accuracy - drop) * 100) / 100
