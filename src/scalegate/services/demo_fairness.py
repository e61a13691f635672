"""Seeded fairness reviews for the demo: a real report computed by the engine on generated
predictions, stored as ``fairness_report`` evidence like ``scalegate fairness --record``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scalegate.services import fairness


@dataclass(frozen=True)
class DemoReview:
    """A fairness review of ``rows`` predictions whose flag rate for customers aged 60 and
    over exceeds the others' by ``gap``; recorded ``days_ago``."""

    gap: float
    days_ago: int
    rows: int = 20_000
    seed: int = 6


#: use case -> its fairness review: fraud-alerts is fair enough for production; claims-triage
#: (already in production) flags older claimants noticeably more often: the demo's finding
REVIEWS: dict[str, DemoReview] = {
    "fraud-alerts": DemoReview(gap=0.02, days_ago=4),
    "claims-triage": DemoReview(gap=0.16, days_ago=9, seed=7),
}


def review_frame(review: DemoReview) -> Any:
    """The scored predictions a review is computed on (Polars, deterministic)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(review.seed)
    n = review.rows
    gender = rng.choice(["female", "male"], n)
    age_band = rng.choice(["18-29", "30-59", "60+"], n, p=[0.3, 0.5, 0.2])
    label = (rng.random(n) < 0.12).astype(np.int64)
    flag_rate = np.where(label == 1, 0.7, 0.08) + np.where(age_band == "60+", review.gap, 0.0)
    flagged = (rng.random(n) < flag_rate).astype(np.int64)
    return pl.DataFrame(
        {"gender": gender, "age_band": age_band, "label": label, "flagged": flagged}
    )


def record_review(store: Any, slug: str, *, actor: str, now: datetime) -> None:
    """Compute and store the use case's demo fairness review, if it has one."""
    review = REVIEWS.get(slug)
    if review is None:
        return
    report = fairness.compute(
        review_frame(review), sensitive=["gender", "age_band"], label="label", prediction="flagged"
    )
    fairness.record(store, slug, report, actor=actor, at=now - timedelta(days=review.days_ago))
