"""Multivariate drift: the reconstruction error of a PCA fitted on the reference.

Drift can hide in correlations that no single column shows. Following NannyML's data
reconstruction drift: standardise the numeric columns with the reference's mean and standard
deviation (nulls, NaN and infinities become the mean, i.e. 0), project onto the principal
components that keep :attr:`Multivariate.variance` of the variance (65 % by default), map
back, and take each row's Euclidean distance to its reconstruction. A batch whose mean error
leaves the reference's band has relationships between columns the reference did not have.

- **Fit** (:func:`fit`, NumPy): on at most ``sample_rows`` reference rows (an even sample,
  every ``k``-th row), by SVD of every other row of the standardised sample; the error
  statistics below come from the rows in between, so they are out-of-sample like a batch's.
  The model is the column names, means, standard deviations and the ``k x d`` component
  matrix: small JSON.
- **Batch error** (:meth:`PCAModel.mean_error`): one Narwhals aggregate query inside the
  batch's engine (standardised columns, then each row's distance to the component space,
  then the mean), next to the profile's query. It could ride in the profile's own
  ``select``, but measured on Polars that costs more than the second query does (the
  standardised values are re-evaluated for every use there).
- **Band**: the reference's mean error ``+- sigmas * max(s_chunk, s_row / sqrt(m))``, with
  ``s_chunk`` the standard deviation of the mean error over 10 equal chunks of the sample,
  ``s_row`` that of one row's error and ``m`` the batch's rows: a small batch gets the wider
  band its own sampling noise needs; a large one never a narrower band than a reference
  chunk's (an effect-size floor, so a million-row batch does not fire on a negligible change).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import narwhals as nw

#: equal chunks the reference sample is split into for the band's floor
CHUNKS = 10
#: fewest reference rows a PCA is fitted on
MIN_ROWS = 20
#: prefix of the aggregate outputs in the batch query
PREFIX = "__drift_pca"


@dataclass(frozen=True)
class PCAModel:
    """A fitted reconstruction model and the reference's error statistics."""

    columns: tuple[str, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]
    #: ``k`` rows of ``d`` weights (orthonormal)
    components: tuple[tuple[float, ...], ...]
    variance_explained: float
    reference_mean: float
    chunk_std: float
    row_std: float
    sample_rows: int
    sigmas: float

    def complement(self) -> Any:
        """Orthonormal rows spanning what the components leave out (``d - k`` of them):
        a row's error is the length of its projection onto them."""
        import numpy as np

        w = np.asarray(self.components, dtype=np.float64).reshape(-1, len(self.columns))
        values, vectors = np.linalg.eigh(np.eye(len(self.columns)) - w.T @ w)
        return vectors[:, values > 0.5].T

    def mean_error(self, frame: nw.LazyFrame[Any]) -> float | None:
        """The mean reconstruction error of ``frame``'s rows, in one aggregate query inside
        the frame's engine (None for an empty frame).

        The standardised values are computed once as columns (``with_columns``), then the
        error is ``sqrt(sum_l (u_l . z)**2)`` over the complement rows ``u_l``. On Polars at
        1M rows this added ~1 s, the same aggregate inside the profile's ``select`` ~2.4 s
        (there each standardised value is evaluated once per use).
        """
        names = [f"{PREFIX}_z{j}" for j in range(len(self.columns))]
        z = []
        for name, mean, std, alias in zip(self.columns, self.means, self.stds, names, strict=True):
            x = nw.col(name).cast(nw.Float64)
            z.append(nw.when(x.is_finite()).then((x - mean) / std).otherwise(0.0).alias(alias))
        parts = []
        for row in self.complement():
            parts.append(_sum([nw.col(a) * float(u) for a, u in zip(names, row, strict=True)]))
        if not parts:  # every component kept: reconstruction is exact
            return 0.0
        squared = _sum([p * p for p in parts])
        query = frame.with_columns(z).select(squared.sqrt().mean().alias("e"))
        # a mean of row-wise arithmetic streams: on Polars, files larger than memory stay so
        value = query.collect(engine="streaming") if _is_polars(frame) else query.collect()
        return _finite(value.item(0, "e"))

    def errors(self, z: Any) -> Any:
        """Row errors of a standardised NumPy matrix (rows x d)."""
        import numpy as np

        w = np.asarray(self.components)
        residual = np.sum(z * z, axis=1) - np.sum((z @ w.T) ** 2, axis=1)
        return np.sqrt(np.maximum(residual, 0.0))

    def band(self, rows: int) -> tuple[float, float]:
        """The alarm band of a batch of ``rows`` rows (see the module docstring)."""
        spread = max(self.chunk_std, self.row_std / math.sqrt(max(rows, 1)))
        return (
            self.reference_mean - self.sigmas * spread,
            self.reference_mean + self.sigmas * spread,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "pca_reconstruction",
            "columns": list(self.columns),
            "means": list(self.means),
            "stds": list(self.stds),
            "components": [list(row) for row in self.components],
            "variance_explained": self.variance_explained,
            "reference_mean": self.reference_mean,
            "chunk_std": self.chunk_std,
            "row_std": self.row_std,
            "sample_rows": self.sample_rows,
            "sigmas": self.sigmas,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PCAModel:
        return cls(
            columns=tuple(str(c) for c in data["columns"]),
            means=tuple(float(v) for v in data["means"]),
            stds=tuple(float(v) for v in data["stds"]),
            components=tuple(tuple(float(v) for v in row) for row in data["components"]),
            variance_explained=float(data["variance_explained"]),
            reference_mean=float(data["reference_mean"]),
            chunk_std=float(data["chunk_std"]),
            row_std=float(data["row_std"]),
            sample_rows=int(data["sample_rows"]),
            sigmas=float(data["sigmas"]),
        )


def _is_polars(frame: nw.LazyFrame[Any]) -> bool:
    return type(frame.to_native()).__module__.startswith("polars")


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _sum(terms: list[nw.Expr]) -> nw.Expr:
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out


def standardise(values: Any, means: Any, stds: Any) -> Any:
    """``(x - mean) / std`` with nulls, NaN and infinities at 0 (the mean)."""
    import numpy as np

    z = (values - means) / stds
    return np.where(np.isfinite(z), z, 0.0)


def fit(
    sample: Any,
    columns: tuple[str, ...],
    means: tuple[float, ...],
    stds: tuple[float, ...],
    *,
    variance: float,
    sigmas: float,
) -> PCAModel:
    """Fit on a ``rows x d`` float matrix of reference rows (NaN for nulls).

    Keeps the fewest components whose explained variance reaches ``variance``. The caller
    makes sure there are at least :data:`MIN_ROWS` rows and two columns of non-zero spread.
    """
    import numpy as np

    z = standardise(np.asarray(sample, dtype=np.float64), np.asarray(means), np.asarray(stds))
    # the components come from every other row and the error statistics from the rows in
    # between: a PCA's error on the rows it was fitted on is biased low, and fresh batches
    # from the reference distribution would then fall above the band
    train, held_out = z[0::2], z[1::2]
    _, singular, vt = np.linalg.svd(train, full_matrices=False)
    explained = singular**2 / np.sum(singular**2)
    k = int(np.searchsorted(np.cumsum(explained), variance - 1e-12) + 1)
    k = min(k, len(columns))
    model = PCAModel(
        columns,
        means,
        stds,
        tuple(tuple(float(v) for v in row) for row in vt[:k]),
        float(np.sum(explained[:k])),
        0.0,
        0.0,
        0.0,
        len(z),
        sigmas,
    )
    errors = model.errors(held_out)
    chunks = np.array_split(errors, CHUNKS)
    chunk_std = float(np.std([c.mean() for c in chunks], ddof=1))
    return PCAModel(
        columns,
        means,
        stds,
        model.components,
        model.variance_explained,
        float(errors.mean()),
        chunk_std,
        float(errors.std(ddof=1)),
        len(z),
        sigmas,
    )
