"""Load a policy document and check every criterion against the registry."""

from __future__ import annotations

from scalegate.domain import documents
from scalegate.domain.policy import Policy
from scalegate.errors import DocumentError
from scalegate.gates import criteria as _builtin  # noqa: F401  (registers built-in kinds)
from scalegate.gates.registry import CRITERIA

Lines = dict[documents.Path, tuple[int, int]]


def validate_policy(policy: Policy, *, source: str, lines: Lines | None = None) -> Policy:
    """Check each criterion's kind and parameters (per tier too); name the line of a problem."""
    lines = lines or {}
    for gate, specs in policy.gates.items():
        for i, spec in enumerate(specs):
            where: documents.Path = ("gates", gate.value, i)
            crit = CRITERIA.get(spec.kind)
            if crit is None:
                raise DocumentError.at(
                    source,
                    f"criterion '{spec.id}' uses unknown kind '{spec.kind}'; known kinds are "
                    + ", ".join(sorted(CRITERIA)),
                    line=documents.line_of(lines, (*where, "kind")),
                    field=documents.dotted((*where, "kind")),
                )
            tiers = [None, *spec.by_tier]
            for tier in tiers:
                params = spec.params if tier is None else spec.params_for(tier)
                loc: documents.Path = (
                    (*where, "params")
                    if tier is None
                    else (
                        *where,
                        "by_tier",
                        tier.value,
                    )
                )
                documents.validate_params(
                    crit.params,
                    params,
                    source=source,
                    lines=lines,
                    at=loc,
                    label=f"criterion '{spec.id}' ({spec.kind})",
                    name=spec.kind,
                )
    return policy


def load_policy(text: str, source: str) -> Policy:
    """Parse, validate and check a policy YAML document."""
    data, lines = documents.parse_yaml(text, source)
    policy = documents.validate(Policy, data, source=source, lines=lines)
    return validate_policy(policy, source=source, lines=lines)
