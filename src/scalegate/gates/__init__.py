"""Policy x evidence -> verdict and reason per criterion. Pure functions."""

from scalegate.gates.context import GateContext
from scalegate.gates.criteria import DATA_CHECK, history_days
from scalegate.gates.evaluate import evaluate_gate
from scalegate.gates.fairness import FAIRNESS_REPORT, uses_fairness
from scalegate.gates.monitoring import monitoring_days
from scalegate.gates.registry import CRITERIA, Criterion, Outcome, register
from scalegate.gates.validate import load_policy, validate_policy
from scalegate.gates.value import kpi_days

__all__ = [
    "CRITERIA",
    "DATA_CHECK",
    "FAIRNESS_REPORT",
    "Criterion",
    "GateContext",
    "Outcome",
    "evaluate_gate",
    "history_days",
    "kpi_days",
    "load_policy",
    "monitoring_days",
    "register",
    "uses_fairness",
    "validate_policy",
]
