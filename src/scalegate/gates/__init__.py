"""Policy x evidence -> verdict and reason per criterion. Pure functions."""

from scalegate.gates.context import GateContext
from scalegate.gates.evaluate import evaluate_gate
from scalegate.gates.registry import CRITERIA, Criterion, Outcome, register
from scalegate.gates.validate import load_policy, validate_policy

__all__ = [
    "CRITERIA",
    "Criterion",
    "GateContext",
    "Outcome",
    "evaluate_gate",
    "load_policy",
    "register",
    "validate_policy",
]
