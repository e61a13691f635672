"""Contract rules: the registry and the built-in rule families.

Importing this package registers the built-in rules, each through
:func:`~scalegate.engine.rules.registry.register` exactly as a plugin would.
"""

from scalegate.engine.rules import (  # noqa: F401  (register the built-in rules, in order)
    expression,
    freshness,
    nulls,
    ranges,
    sets,
    strings,
    uniqueness,
    volume,
)
from scalegate.engine.rules.expression import ExpressionError, compile_expression
from scalegate.engine.rules.registry import (
    RULES,
    AggregateCheck,
    Params,
    RowCheck,
    Rule,
    RuleContext,
    RuleError,
    Verdict,
    register,
)
from scalegate.engine.rules.types import column_type, satisfies

__all__ = [
    "RULES",
    "AggregateCheck",
    "ExpressionError",
    "Params",
    "RowCheck",
    "Rule",
    "RuleContext",
    "RuleError",
    "Verdict",
    "column_type",
    "compile_expression",
    "register",
    "satisfies",
]
