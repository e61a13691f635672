"""Lifecycle stages and the transitions between them."""

from __future__ import annotations

from enum import StrEnum

from scalegate.errors import ConflictError, UnknownChoiceError


class Stage(StrEnum):
    """Where a use case is in its life. ``retired`` is reachable from every stage."""

    IDEA = "idea"
    PILOT = "pilot"
    PRODUCTION = "production"
    SCALED = "scaled"
    RETIRED = "retired"

    @classmethod
    def parse(cls, value: str) -> Stage:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise UnknownChoiceError.of("stage", value, [s.value for s in cls]) from None


#: The forward path. Each stage after the first is entered through a gate of the same name.
PATH: tuple[Stage, ...] = (Stage.IDEA, Stage.PILOT, Stage.PRODUCTION, Stage.SCALED)
#: Gates are named after the stage they lead into.
GATES: tuple[Stage, ...] = PATH[1:]


def parse_gate(value: str) -> Stage:
    """A gate name (``pilot``, ``production``, ``scaled``) as a stage."""
    try:
        stage = Stage(value.strip().lower())
    except ValueError:
        stage = None
    if stage not in GATES:
        raise UnknownChoiceError.of("gate", value, [g.value for g in GATES])
    return stage


def next_stage(stage: Stage) -> Stage | None:
    """The stage after ``stage`` on the forward path, or None at the end (or retired)."""
    if stage not in PATH:
        return None
    i = PATH.index(stage)
    return PATH[i + 1] if i + 1 < len(PATH) else None


def previous_stage(gate: Stage) -> Stage:
    """The stage a use case must be in to pass through ``gate``."""
    return PATH[PATH.index(gate) - 1]


def check_promotion(current: Stage, target: Stage) -> None:
    """Raise :class:`ConflictError` unless ``current -> target`` is one step forward."""
    if current is Stage.RETIRED:
        raise ConflictError(
            "use case is retired; retired use cases keep their history but cannot move",
            stage=current.value,
        )
    if target not in GATES:
        raise UnknownChoiceError.of("gate", target.value, [g.value for g in GATES])
    expected = next_stage(current)
    if expected != target:
        if expected is None:
            hint = f"'{current.value}' is the last stage"
        else:
            hint = f"the next stage from '{current.value}' is '{expected.value}'"
        raise ConflictError(
            f"cannot promote from '{current.value}' to '{target.value}': {hint}",
            stage=current.value,
            target=target.value,
        )
