"""Seeded synthetic data with known properties, for tests, benchmarks and the demo.

:func:`credit_table` draws a credit-risk-like table of 20 columns: 12 numeric (with nulls
and skew) and 8 categorical (3 to 50 levels). With ``drift=True`` exactly five columns
(:data:`DRIFTED_COLUMNS`) come from a shifted distribution: three numeric shifts and two
changes of category mix; the other fifteen are fresh draws from the reference distribution.
So a drift detector run on ``credit_table(n, seed=1)`` against
``credit_table(n, seed=2, drift=True)`` should flag those five columns and no others.

NumPy draws the values and Polars holds them; both are imported when a table is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

#: the numeric columns whose distribution shifts when ``drift=True``
DRIFTED_NUMERIC = ("income", "credit_score", "revolving_util")
#: the categorical columns whose mix changes when ``drift=True``
DRIFTED_CATEGORICAL = ("channel", "employment")
DRIFTED_COLUMNS = DRIFTED_NUMERIC + DRIFTED_CATEGORICAL

NUMERIC_COLUMNS = (
    "age",
    "income",
    "loan_amount",
    "term_months",
    "interest_rate",
    "debt_to_income",
    "credit_score",
    "open_accounts",
    "delinquencies_2y",
    "revolving_util",
    "months_employed",
    "installment",
)
CATEGORICAL_COLUMNS = (
    "grade",
    "sub_grade",
    "home_ownership",
    "purpose",
    "state",
    "employment",
    "channel",
    "status",
)

_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
]
_PURPOSES = [
    "debt_consolidation",
    "credit_card",
    "home_improvement",
    "major_purchase",
    "small_business",
    "car",
    "medical",
    "moving",
    "vacation",
    "house",
    "wedding",
    "renewable_energy",
    "educational",
    "other",
]
_EMPLOYMENT = ["employed", "self_employed", "retired", "unemployed", "student"]
_CHANNELS = ["online", "branch", "broker"]


def credit_table(rows: int, seed: int = 0, *, drift: bool = False) -> pl.DataFrame:
    """A seeded credit-risk-like table of ``rows`` rows (see the module docstring).

    The same ``(rows, seed, drift)`` always gives the same table. ``drift=True`` shifts
    income up by about 35 % (log-normal location +0.3), credit score down by half a standard
    deviation, revolving utilisation from Beta(2, 3) to Beta(3, 2.5), and changes the mix of
    ``channel`` (online 58 % -> 30 %) and ``employment`` (more self-employed and retired).
    """
    import numpy as np
    import polars as pl

    if rows < 0:
        raise ValueError(f"rows must be at least 0, not {rows}")
    rng = np.random.default_rng(seed)

    def zipf_weights(n: int, skew: float) -> Any:
        weights = 1.0 / np.arange(1, n + 1) ** skew
        return weights / weights.sum()

    def pick(levels: list[str], weights: Any) -> pl.Series:
        return pl.Series(levels, dtype=pl.String).gather(rng.choice(len(levels), rows, p=weights))

    income = rng.lognormal(10.9 + (0.3 if drift else 0.0), 0.6, rows)
    loan = np.round(rng.lognormal(9.4, 0.8, rows), 2)
    term = rng.choice([12, 24, 36, 48, 60, 72], rows)
    rate = np.round(rng.gamma(4.0, 0.03, rows), 4)
    score_mean = 690 - (35 if drift else 0)
    util = rng.beta(3.0, 2.5, rows) if drift else rng.beta(2.0, 3.0, rows)
    grade = pick(list("ABCDEFG"), zipf_weights(7, 0.8))
    employment_weights = np.array([0.45, 0.25, 0.18, 0.07, 0.05]) if drift else zipf_weights(5, 1.2)
    channel_weights = np.array([0.30, 0.30, 0.40]) if drift else zipf_weights(3, 1.2)
    columns: dict[str, Any] = {
        "age": np.clip(rng.normal(42, 13, rows), 18, 95).astype(np.int64),
        "income": income,
        "loan_amount": loan,
        "term_months": term.astype(np.int64),
        "interest_rate": rate,
        "debt_to_income": rng.beta(2.0, 5.0, rows) * 1.1,
        "credit_score": np.clip(rng.normal(score_mean, 70, rows), 300, 850).astype(np.int64),
        "open_accounts": rng.poisson(9, rows).astype(np.int64),
        "delinquencies_2y": rng.negative_binomial(1, 0.7, rows).astype(np.int64),
        "revolving_util": util * 1.3,
        "months_employed": rng.exponential(70, rows).astype(np.int64),
        "installment": np.round(loan * (rate / 12) / (1 - (1 + rate / 12) ** -term), 2),
        "grade": grade,
        "sub_grade": grade + pl.Series(rng.integers(1, 6, rows)).cast(pl.String),
        "home_ownership": pick(["MORTGAGE", "RENT", "OWN", "OTHER"], zipf_weights(4, 1.2)),
        "purpose": pick(_PURPOSES, zipf_weights(len(_PURPOSES), 1.2)),
        "state": pick(_STATES, zipf_weights(len(_STATES), 0.9)),
        "employment": pick(_EMPLOYMENT, employment_weights),
        "channel": pick(_CHANNELS, channel_weights),
        "status": pick(
            ["current", "paid", "late_30", "late_60", "late_90", "charged_off"],
            zipf_weights(6, 1.5),
        ),
    }
    null_fractions = {
        "age": 0.01,
        "income": 0.03,
        "loan_amount": 0.01,
        "interest_rate": 0.005,
        "debt_to_income": 0.02,
        "credit_score": 0.05,
        "open_accounts": 0.01,
        "revolving_util": 0.01,
        "months_employed": 0.07,
        "home_ownership": 0.01,
        "purpose": 0.002,
        "employment": 0.03,
    }
    masks = {name: rng.random(rows) < f for name, f in null_fractions.items()}
    frame = pl.DataFrame({name: pl.Series(name, values) for name, values in columns.items()})
    return frame.with_columns(
        pl.when(pl.Series(mask)).then(None).otherwise(pl.col(name)).alias(name)
        for name, mask in masks.items()
    )
