"""The synthetic drift pair drifts in exactly the columns it says it does."""

import numpy as np
import pytest
from scipy import stats

from scalegate.engine.synthetic import (
    CATEGORICAL_COLUMNS,
    DRIFTED_COLUMNS,
    NUMERIC_COLUMNS,
    credit_table,
)


def test_same_seed_same_table() -> None:
    assert credit_table(500, seed=3).equals(credit_table(500, seed=3))
    assert not credit_table(500, seed=3).equals(credit_table(500, seed=4))


def test_twenty_columns_twelve_numeric() -> None:
    table = credit_table(100)
    assert table.columns == [*NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS]
    assert all(table[c].dtype.is_numeric() for c in NUMERIC_COLUMNS)
    levels = [table[c].n_unique() for c in CATEGORICAL_COLUMNS]
    assert len(NUMERIC_COLUMNS) == 12 and len(CATEGORICAL_COLUMNS) == 8
    assert min(levels) >= 3


@pytest.mark.parametrize("column", [*NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS])
def test_only_named_columns_differ(column: str) -> None:
    reference = credit_table(50_000, seed=1)[column].drop_nulls()
    current = credit_table(50_000, seed=2, drift=True)[column].drop_nulls()
    if column in NUMERIC_COLUMNS:
        p = stats.ks_2samp(reference.to_numpy(), current.to_numpy()).pvalue
    else:
        levels = sorted(set(reference.unique()) | set(current.unique()))
        table = np.array([[(s == level).sum() for level in levels] for s in (reference, current)])
        p = stats.chi2_contingency(table).pvalue
    if column in DRIFTED_COLUMNS:
        assert p < 1e-12
    else:
        assert p > 1e-6
