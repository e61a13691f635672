"""Lifecycle stages: parsing, the forward path and promotion rules."""

from __future__ import annotations

import itertools

import pytest

from scalegate.domain.stage import (
    GATES,
    PATH,
    Stage,
    check_promotion,
    next_stage,
    parse_gate,
    previous_stage,
)
from scalegate.errors import ConflictError, UnknownChoiceError, ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("idea", Stage.IDEA),
        ("PILOT", Stage.PILOT),
        ("  Production\n", Stage.PRODUCTION),
        ("\tscaled ", Stage.SCALED),
        ("Retired", Stage.RETIRED),
    ],
)
def test_parse_ignores_case_and_surrounding_whitespace(text: str, expected: Stage) -> None:
    assert Stage.parse(text) is expected


@pytest.mark.parametrize("text", ["prod", "", "pi lot", "ideas", "  "])
def test_parse_unknown_stage_lists_the_known_ones(text: str) -> None:
    with pytest.raises(UnknownChoiceError) as info:
        Stage.parse(text)
    err = info.value
    assert str(err) == (
        f"unknown stage '{text}'; known stages are idea, pilot, production, retired, scaled"
    )
    assert err.fields == {
        "what": "stage",
        "value": text,
        "allowed": ["idea", "pilot", "production", "retired", "scaled"],
    }
    # a user error: a 4xx in the API and exit code 2 in the CLI
    assert isinstance(err, ValidationError)
    assert err.http_status == 422
    assert err.exit_code == 2
    assert err.to_dict()["error"] == "invalid"


def test_path_and_gates() -> None:
    assert PATH == (Stage.IDEA, Stage.PILOT, Stage.PRODUCTION, Stage.SCALED)
    assert GATES == (Stage.PILOT, Stage.PRODUCTION, Stage.SCALED)
    assert Stage.RETIRED not in PATH


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (Stage.IDEA, Stage.PILOT),
        (Stage.PILOT, Stage.PRODUCTION),
        (Stage.PRODUCTION, Stage.SCALED),
        (Stage.SCALED, None),
        (Stage.RETIRED, None),
    ],
)
def test_next_stage(stage: Stage, expected: Stage | None) -> None:
    assert next_stage(stage) == expected


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (Stage.PILOT, Stage.IDEA),
        (Stage.PRODUCTION, Stage.PILOT),
        (Stage.SCALED, Stage.PRODUCTION),
    ],
)
def test_previous_stage_of_each_gate(gate: Stage, expected: Stage) -> None:
    assert previous_stage(gate) is expected
    assert next_stage(expected) is gate


@pytest.mark.parametrize(
    ("text", "expected"),
    [("pilot", Stage.PILOT), (" Production ", Stage.PRODUCTION), ("SCALED", Stage.SCALED)],
)
def test_parse_gate(text: str, expected: Stage) -> None:
    assert parse_gate(text) is expected


@pytest.mark.parametrize("text", ["idea", "Retired"])
def test_parse_gate_rejects_stages_that_are_not_gates(text: str) -> None:
    with pytest.raises(UnknownChoiceError) as info:
        parse_gate(text)
    assert str(info.value) == f"unknown gate '{text}'; known gates are pilot, production, scaled"
    assert info.value.fields["allowed"] == ["pilot", "production", "scaled"]


@pytest.mark.parametrize("text", ["launch", "", " prod "])
def test_parse_gate_unknown_words_list_the_gates_not_the_stages(text: str) -> None:
    with pytest.raises(UnknownChoiceError) as info:
        parse_gate(text)
    assert str(info.value) == f"unknown gate '{text}'; known gates are pilot, production, scaled"


# ------------------------------------------------------------------ check_promotion


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Stage.IDEA, Stage.PILOT),
        (Stage.PILOT, Stage.PRODUCTION),
        (Stage.PRODUCTION, Stage.SCALED),
    ],
)
def test_one_step_forward_is_allowed(current: Stage, target: Stage) -> None:
    assert check_promotion(current, target) is None


def test_skipping_a_stage_names_the_next_one() -> None:
    with pytest.raises(ConflictError) as info:
        check_promotion(Stage.IDEA, Stage.PRODUCTION)
    err = info.value
    assert str(err) == (
        "cannot promote from 'idea' to 'production': the next stage from 'idea' is 'pilot'"
    )
    assert err.fields == {"stage": "idea", "target": "production"}
    assert err.http_status == 409
    assert err.to_dict()["error"] == "conflict"


def test_skipping_two_stages() -> None:
    with pytest.raises(ConflictError, match="the next stage from 'idea' is 'pilot'"):
        check_promotion(Stage.IDEA, Stage.SCALED)


def test_going_backwards_is_a_conflict() -> None:
    with pytest.raises(ConflictError) as info:
        check_promotion(Stage.PRODUCTION, Stage.PILOT)
    assert str(info.value) == (
        "cannot promote from 'production' to 'pilot': the next stage from 'production' is 'scaled'"
    )


def test_promoting_into_the_current_stage_is_a_conflict() -> None:
    with pytest.raises(ConflictError, match="cannot promote from 'pilot' to 'pilot'"):
        check_promotion(Stage.PILOT, Stage.PILOT)


def test_nothing_comes_after_scaled() -> None:
    with pytest.raises(ConflictError) as info:
        check_promotion(Stage.SCALED, Stage.SCALED)
    assert str(info.value) == "cannot promote from 'scaled' to 'scaled': 'scaled' is the last stage"


@pytest.mark.parametrize("target", list(Stage))
def test_retired_use_cases_cannot_move(target: Stage) -> None:
    with pytest.raises(ConflictError) as info:
        check_promotion(Stage.RETIRED, target)
    assert str(info.value) == (
        "use case is retired; retired use cases keep their history but cannot move"
    )
    assert info.value.fields == {"stage": "retired"}


@pytest.mark.parametrize("current", [Stage.IDEA, Stage.PILOT, Stage.SCALED])
def test_idea_is_not_a_gate(current: Stage) -> None:
    with pytest.raises(UnknownChoiceError) as info:
        check_promotion(current, Stage.IDEA)
    assert str(info.value) == "unknown gate 'idea'; known gates are pilot, production, scaled"


def test_retirement_is_not_a_promotion() -> None:
    with pytest.raises(UnknownChoiceError, match="unknown gate 'retired'"):
        check_promotion(Stage.PILOT, Stage.RETIRED)


def test_promotion_rule_over_every_pair() -> None:
    """Exhaustive: allowed exactly when not retired and target is the next stage."""
    for current, target in itertools.product(Stage, Stage):
        allowed = current is not Stage.RETIRED and next_stage(current) is target
        if allowed:
            check_promotion(current, target)
        else:
            with pytest.raises((ConflictError, UnknownChoiceError)):
                check_promotion(current, target)
