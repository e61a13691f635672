"""Seeded synthetic data batches and contracts for the demo's data checks.

Every run is a real check: a generated Polars frame checked by the engine against a real
contract, then stored as ``data_check`` evidence like ``scalegate check --use-case`` does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

#: contract documents by name, as a team would keep them next to their pipeline
CONTRACTS: dict[str, str] = {
    "customer-features": """\
contract: customer-features
version: 2
dataset:
  - row_count: {min: 1000}
  - freshness: {column: snapshot_at, max_age: 48h}
columns:
  customer_id:
    type: string
    rules: [not_null, unique]
  tenure_months:
    type: integer
    rules:
      - between: {min: 0, max: 600}
  monthly_spend:
    type: float
    rules:
      - not_null: {max_fraction: 0.02}
      - between: {min: 0, max: 10000}
  plan:
    rules:
      - in_set: {values: [basic, plus, premium]}
  snapshot_at:
    type: datetime
""",
    "sales-history": """\
contract: sales-history
version: 1
dataset:
  - row_count: {min: 1000}
  - freshness: {column: loaded_at, max_age: 7d}
  - unique: {columns: [store_id, sku, week]}
columns:
  units:
    type: integer
    rules:
      - not_null
      - between: {min: 0}
  price:
    rules:
      - between: {min: 0.01, max: 5000}
""",
    "card-transactions": """\
contract: card-transactions
version: 3
dataset:
  - row_count: {min: 1000}
columns:
  transaction_id:
    rules: [not_null, unique]
  amount:
    rules:
      - not_null
      - between: {min: 0, max: 50000}
  currency:
    rules:
      - in_set: {values: [EUR, USD, GBP]}
  merchant_country:
    rules:
      - regex: {pattern: '^[A-Z]{2}$'}
""",
    "call-transcripts": """\
contract: call-transcripts
version: 1
columns:
  call_id:
    rules: [not_null, unique]
  summary:
    rules:
      - not_null
      - length: {max: 600}
        severity: warn
        threshold: 0.99
""",
    "claims-intake": """\
contract: claims-intake
version: 4
dataset:
  - row_count: {min: 500}
columns:
  claim_id:
    rules: [not_null, unique]
  claimed_amount:
    rules:
      - not_null: {max_fraction: 0.01}
      - between: {min: 0, max: 250000}
  channel:
    rules:
      - in_set: {values: [web, phone, broker, app]}
""",
}


@dataclass(frozen=True)
class DemoRun:
    """One data batch to check: which contract, how many days ago, and whether it breaks."""

    contract: str
    days_ago: int
    broken: bool = False


def batch(contract: str, *, seed: int, at: datetime, broken: bool = False) -> Any:
    """A seeded batch (a Polars frame) for ``contract`` as it would arrive at time ``at``."""
    import polars as pl

    rnd = random.Random(seed)
    n = 2_000

    def gaps(values: list[float], share: float) -> list[float | None]:
        return [None if rnd.random() < share else v for v in values]

    if contract == "customer-features":
        spend = [rnd.lognormvariate(3.5, 0.6) for _ in range(n)]
        return pl.DataFrame(
            {
                "customer_id": [f"C{seed:03d}{i:06d}" for i in range(n)],
                "tenure_months": [rnd.randrange(240) for _ in range(n)],
                "monthly_spend": gaps(spend, 0.08 if broken else 0.005),
                "plan": rnd.choices(["basic", "plus", "premium"], [6, 3, 1], k=n),
                "snapshot_at": [at - timedelta(hours=2)] * n,
            }
        )
    if contract == "sales-history":
        units = [max(0, round(rnd.gauss(12, 3.5))) for _ in range(n)]
        if broken:  # returns booked as negative sales, and a stale extract
            units = [-u if rnd.random() < 0.03 else u for u in units]
        return pl.DataFrame(
            {
                "store_id": [1 + i // 50 for i in range(n)],
                "sku": [f"SKU-{i % 50:04d}" for i in range(n)],
                "week": [seed % 52] * n,
                "units": units,
                "price": [round(rnd.lognormvariate(2.5, 0.5), 2) + 0.01 for _ in range(n)],
                "loaded_at": [at - timedelta(days=12 if broken else 1)] * n,
            }
        )
    if contract == "card-transactions":
        return pl.DataFrame(
            {
                "transaction_id": [f"T{seed:03d}{i:07d}" for i in range(n)],
                "amount": [min(50_000.0, round(rnd.lognormvariate(3.8, 1.1), 2)) for _ in range(n)],
                # a new acquirer starts sending Swiss francs the contract does not know
                "currency": rnd.choices(
                    ["EUR", "USD", "GBP", "CHF"], [16, 3, 1, 1 if broken else 0], k=n
                ),
                "merchant_country": rnd.choices(["DE", "FR", "NL", "GB", "US"], k=n),
            }
        )
    if contract == "call-transcripts":
        sentence = "Customer asked about their invoice. "
        top = 640 if broken else 560
        return pl.DataFrame(
            {
                "call_id": [f"CALL-{seed:03d}-{i:05d}" for i in range(n)],
                "summary": [sentence * (rnd.randrange(80, top) // len(sentence)) for _ in range(n)],
            }
        )
    if contract == "claims-intake":
        amount = [rnd.lognormvariate(7.5, 1.0) for _ in range(n)]
        return pl.DataFrame(
            {
                "claim_id": [f"CLM-{seed:03d}-{i:05d}" for i in range(n)],
                "claimed_amount": gaps(amount, 0.04 if broken else 0.002),
                "channel": rnd.choices(["web", "phone", "broker", "app"], k=n),
            }
        )
    raise KeyError(contract)


def export(folder: Path, *, now: datetime) -> list[Path]:
    """Write each demo contract with a clean and a broken Parquet batch into ``folder``.

    Existing files of the same names are replaced; nothing else in the folder is touched.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for i, (name, text) in enumerate(CONTRACTS.items()):
        contract = folder / f"{name}.yaml"
        contract.write_text(text, encoding="utf-8")
        written.append(contract)
        for broken in (False, True):
            path = folder / f"{name}{'-broken' if broken else ''}.parquet"
            batch(name, seed=900 + i, at=now, broken=broken).write_parquet(path)
            written.append(path)
    return written
