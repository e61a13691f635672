"""Two column profiles turned into aligned count vectors, the input of every statistic.

**Numeric columns.** Both profiles carry a DDSketch (:mod:`..sketches.quantiles`) with the
same ``alpha``, so their buckets share boundaries: bucket ``k`` of the positive store holds
``gamma**(k-1) < x <= gamma**k``, the negative store the same for ``|x|``, and exact zeros
have their own counter. Those buckets ("atoms") are the finest grid both sides agree on, and
their counts are exact. From them:

- **bins** for PSI, Jensen--Shannon, Hellinger and chi-square: ten bins cut at the atoms
  where the reference's cumulative share first reaches 10 %, 20 %, ... 90 % (reference
  deciles, each edge within relative ``alpha`` of the true decile; the outer bins are open
  to minus and plus infinity, so current values outside the reference range land there).
  A discrete column whose deciles coincide gets fewer bins (one per distinct value at
  most). Bin counts are exact: the statistics equal the textbook formulas applied to the
  raw values binned at :attr:`Distributions.edges` (right-closed intervals).
- **atoms** for Kolmogorov--Smirnov and Wasserstein: the empirical distributions with every
  value moved to its bucket's representative (within relative ``alpha`` of the value).

**Categorical columns** (strings and booleans): the profiles' top values (up to 100 per
column, exact when the column has at most that many distinct values). The
reference's listed values are the categories, plus the values only the current lists when
the reference listed all of its own (then a value it lacks truly has count 0: a category
never seen in the reference). Whatever a side counted but did not list (values beyond its
capacity) goes to one ``(other)`` bin, so both vectors sum to the non-null count.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalegate.engine.profile_model import BOOLEAN, NUMERIC, STRING, ColumnProfile
from scalegate.errors import ValidationError

if TYPE_CHECKING:
    import numpy as np

    from scalegate.engine.sketches.quantiles import QuantileSketch

#: bins of a numeric column (reference deciles)
BINS = 10
#: label of the bin of values beyond the top-values capacity
OTHER = "(other)"
NUMERIC_KIND, CATEGORICAL_KIND = "numeric", "categorical"


@dataclass(frozen=True)
class Distributions:
    """Aligned counts of one column on both sides (see the module docstring)."""

    kind: str
    #: counts per bin, same length, same order
    reference: np.ndarray
    current: np.ndarray
    #: a label per bin (category, or the bin's interval)
    labels: tuple[str, ...]
    #: numeric: upper edges of the bins but the last (right-closed; the last is open)
    edges: tuple[float, ...] = ()
    #: numeric: representative value per atom (increasing) and each side's atom counts
    values: np.ndarray | None = None
    reference_atoms: np.ndarray | None = None
    current_atoms: np.ndarray | None = None
    #: numeric: reference standard deviation (population, ddof=0)
    reference_std: float | None = None
    #: numeric: relative accuracy of the sketches
    alpha: float = 0.0

    @property
    def n_reference(self) -> int:
        return int(self.reference.sum())

    @property
    def n_current(self) -> int:
        return int(self.current.sum())


def kind_of(column: ColumnProfile) -> str | None:
    """``numeric``, ``categorical``, or None for kinds drift does not compare."""
    if column.kind == NUMERIC:
        return NUMERIC_KIND
    if column.kind in (STRING, BOOLEAN):
        return CATEGORICAL_KIND
    return None


def distributions(reference: ColumnProfile, current: ColumnProfile) -> Distributions:
    """Aligned counts of a column present on both sides with values on both sides.

    The caller makes sure both are of the same :func:`kind_of` and have values.
    """
    if kind_of(reference) == NUMERIC_KIND:
        assert reference.quantiles is not None and current.quantiles is not None
        return _numeric(reference, reference.quantiles, current.quantiles)
    return _categorical(reference, current)


def _atoms(sketch: QuantileSketch) -> dict[tuple[int, int], int]:
    """Bucket counts keyed so that sorting the keys sorts the buckets by value."""
    out: dict[tuple[int, int], int] = {}
    for key, count in sketch.negative.items():
        out[(0, -key)] = count
    if sketch.zero:
        out[(1, 0)] = sketch.zero
    for key, count in sketch.positive.items():
        out[(2, key)] = count
    return out


def _representative(atom: tuple[int, int], alpha: float) -> float:
    """The sketch's value for every member of the atom: ``2 gamma**k / (gamma + 1)``."""
    side, key = atom
    if side == 1:
        return 0.0
    gamma = (1 + alpha) / (1 - alpha)
    k = key if side == 2 else -key
    try:
        magnitude = math.exp(k * math.log(gamma) + math.log(2 / (gamma + 1)))
    except OverflowError:
        magnitude = math.inf
    return magnitude if side == 2 else -magnitude


def _upper_edge(atom: tuple[int, int], alpha: float) -> float:
    """The largest value of an atom (positive bucket k: gamma**k; zero: 0; negative bucket
    of magnitudes ``(gamma**(k-1), gamma**k]``: just below ``-gamma**(k-1)``, given as that
    value, which belongs to the next atom up)."""
    side, key = atom
    if side == 1:
        return 0.0
    gamma = (1 + alpha) / (1 - alpha)
    try:
        if side == 2:
            return math.exp(key * math.log(gamma))
        return -math.exp((-key - 1) * math.log(gamma))
    except OverflowError:
        return math.inf if side == 2 else -math.inf


def _numeric(column: ColumnProfile, ref: QuantileSketch, cur: QuantileSketch) -> Distributions:
    import numpy as np

    if ref.alpha != cur.alpha:
        raise ValidationError(
            f"column '{column.name}': the profiles' quantile sketches have different accuracy "
            f"({ref.alpha} and {cur.alpha}); profile the batch with the reference's alpha",
            field=column.name,
        )
    ref_atoms, cur_atoms = _atoms(ref), _atoms(cur)
    keys = sorted(set(ref_atoms) | set(cur_atoms))
    r = np.array([ref_atoms.get(k, 0) for k in keys], dtype=np.float64)
    c = np.array([cur_atoms.get(k, 0) for k in keys], dtype=np.float64)
    low = min(v for v in (ref.min, cur.min) if v is not None)
    high = max(v for v in (ref.max, cur.max) if v is not None)
    values = np.clip(np.array([_representative(k, ref.alpha) for k in keys]), low, high)
    # cut after the atom where the reference's cumulative share first reaches i / BINS
    share = np.cumsum(r) / r.sum()
    cuts = sorted({int(np.searchsorted(share, i / BINS - 1e-12)) for i in range(1, BINS)})
    cuts = [i for i in cuts if i < len(keys) - 1]
    bounds = [0, *[i + 1 for i in cuts], len(keys)]
    ref_bins = np.array([r[a:b].sum() for a, b in itertools.pairwise(bounds)])
    cur_bins = np.array([c[a:b].sum() for a, b in itertools.pairwise(bounds)])
    edges = tuple(_upper_edge(keys[i], ref.alpha) for i in cuts)
    labels = _interval_labels(edges)
    std = column.std(ddof=0)
    return Distributions(
        NUMERIC_KIND,
        ref_bins,
        cur_bins,
        labels,
        edges=edges,
        values=values,
        reference_atoms=r,
        current_atoms=c,
        reference_std=std,
        alpha=ref.alpha,
    )


def _interval_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    if not edges:
        return ("(-inf, inf)",)
    points = ["-inf", *[f"{e:.4g}" for e in edges], "inf"]
    return tuple(
        f"({a}, {b}]" if b != "inf" else f"({a}, inf)" for a, b in itertools.pairwise(points)
    )


def _categorical(reference: ColumnProfile, current: ColumnProfile) -> Distributions:
    import numpy as np

    ref_counts = dict(reference.top.counts) if reference.top else {}
    cur_counts = dict(current.top.counts) if current.top else {}
    # reference order (most frequent first), then values only the current has -- if the
    # reference listed all its values; otherwise such a value may hide in the reference's
    # unlisted rest, and it joins the other bin on both sides
    labels: list[str] = [v for v, _ in reference.top_values(len(ref_counts))]
    if reference.top is None or reference.top.complete:
        labels += [v for v, _ in current.top_values(len(cur_counts)) if v not in ref_counts]
    r = [ref_counts.get(v, 0) for v in labels]
    c = [cur_counts.get(v, 0) for v in labels]
    ref_other = _values(reference) - sum(r)
    cur_other = _values(current) - sum(c)
    if ref_other > 0 or cur_other > 0:
        labels.append(OTHER)
        r.append(max(ref_other, 0))
        c.append(max(cur_other, 0))
    return Distributions(
        CATEGORICAL_KIND,
        np.array(r, dtype=np.float64),
        np.array(c, dtype=np.float64),
        tuple(labels),
    )


def _values(column: ColumnProfile) -> int:
    """Non-null values of a column (what a distribution is over)."""
    return column.count


def finite_values(column: ColumnProfile) -> int:
    """Values that enter a distribution: finite numbers, or non-null labels."""
    if column.kind == NUMERIC:
        return column.quantiles.count if column.quantiles is not None else 0
    return column.count
