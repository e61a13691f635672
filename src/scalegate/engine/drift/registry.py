"""The drift methods by their stable ids, registered in one place.

A method is a statistic module's ``compute`` (which may give several numbers) plus the one
number a verdict reads and which way it points: effect sizes drift when the value is **at
least** the threshold, p-values when it is **below** it. Config files name methods by id
(``psi``, ``jensenshannon``, ``hellinger``, ``wasserstein``, ``ks``, ``chi2``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scalegate.engine.drift import chi2, hellinger, jensenshannon, ks, psi, wasserstein
from scalegate.engine.drift.binning import CATEGORICAL_KIND, NUMERIC_KIND, Distributions
from scalegate.engine.drift.values import Measured
from scalegate.errors import UnknownChoiceError

ABOVE, BELOW = "above", "below"


@dataclass(frozen=True)
class Method:
    """One registered drift method."""

    id: str
    #: the statistic's ``compute``
    compute: Callable[[Distributions], Measured]
    #: the number a verdict reads
    reads: str
    #: ``above``: drift when value >= threshold (effect size); ``below``: value < threshold
    drifts_when: str
    #: column kinds it applies to
    kinds: frozenset[str]

    def drifted(self, value: float, threshold: float) -> bool:
        return value >= threshold if self.drifts_when == ABOVE else value < threshold


_METHODS: dict[str, Method] = {}


def register(method: Method) -> None:
    """Add a method (ids are unique)."""
    if method.id in _METHODS:
        raise ValueError(f"drift method '{method.id}' is registered twice")
    _METHODS[method.id] = method


def get(method_id: str) -> Method:
    """The method named ``method_id``, or an error listing the known ids."""
    try:
        return _METHODS[method_id]
    except KeyError:
        raise UnknownChoiceError.of("drift method", method_id, _METHODS) from None


def methods() -> tuple[Method, ...]:
    return tuple(_METHODS.values())


_BOTH = frozenset({NUMERIC_KIND, CATEGORICAL_KIND})
for _method in (
    Method("psi", psi.compute, "psi", ABOVE, _BOTH),
    Method("jensenshannon", jensenshannon.compute, "jensenshannon", ABOVE, _BOTH),
    Method("hellinger", hellinger.compute, "hellinger", ABOVE, _BOTH),
    Method("wasserstein", wasserstein.compute, "wasserstein", ABOVE, frozenset({NUMERIC_KIND})),
    Method("ks", ks.compute, "ks_pvalue", BELOW, frozenset({NUMERIC_KIND})),
    Method("chi2", chi2.compute, "chi2_pvalue", BELOW, _BOTH),
):
    register(_method)
