"""load_policy / validate_policy: every problem names the file, the line and the field."""

from __future__ import annotations

import textwrap

import pytest

from scalegate.domain.policy import Policy
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import RiskTier
from scalegate.errors import DocumentError
from scalegate.gates import CRITERIA, load_policy, validate_policy


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def load_error(text: str, source: str = "policy.yaml") -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_policy(dedent(text), source)
    return info.value


def test_a_small_policy_loads() -> None:
    policy = load_policy(
        dedent(
            """
            name: small
            stall_after_days: 10
            time_boxes: {pilot: 60}
            gates:
              pilot:
                - id: risk
                  kind: risk_acceptable
                  params: {allowed: [minimal]}
                - id: approvals
                  kind: approvals
                  tiers: [high]
                  params: {domains: [risk]}
                  by_tier:
                    high: {domains: [risk, data], max_age_days: 30}
            """
        ),
        "small.yaml",
    )
    assert isinstance(policy, Policy)
    assert policy.name == "small"
    assert policy.stall_after_days == 10
    assert policy.time_box(Stage.PILOT) == 60
    risk, approvals = policy.criteria(Stage.PILOT)
    assert risk.params == {"allowed": ["minimal"]}
    assert approvals.tiers == (RiskTier.HIGH,)
    assert approvals.params_for(RiskTier.HIGH) == {"domains": ["risk", "data"], "max_age_days": 30}


# ------------------------------------------------------------------ unknown kind


def test_unknown_kind_names_file_line_field_and_known_kinds() -> None:
    err = load_error(
        """
        gates:
          pilot:
            - id: risk
              kind: risk_acceptable
            - id: vibes
              description: Everyone feels good about it.
              kind: good_vibes
        """
    )
    known = ", ".join(sorted(CRITERIA))
    assert str(err) == (
        "policy.yaml, line 7: field 'gates.pilot[1].kind': criterion 'vibes' uses unknown kind "
        f"'good_vibes'; known kinds are {known}"
    )
    assert "charter_complete" in known and "time_box" in known
    assert err.fields == {"source": "policy.yaml", "line": 7, "field": "gates.pilot[1].kind"}


def test_unknown_kind_in_a_later_gate() -> None:
    err = load_error(
        """
        gates:
          pilot:
            - {id: risk, kind: risk_acceptable}
          scaled:
            - {id: adoption, kind: adoption_rate}
        """
    )
    assert str(err).startswith("policy.yaml, line 5: field 'gates.scaled[0].kind': ")
    assert "criterion 'adoption' uses unknown kind 'adoption_rate'" in str(err)


# ------------------------------------------------------------------ bad params


def test_unknown_param_is_named_with_its_line_and_the_known_params() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: tb
              kind: time_box
              params:
                max_day: 30
        """
    )
    assert str(err).startswith(
        "policy.yaml, line 6: field 'gates.production[0].params.max_day': "
        "criterion 'tb' (time_box): unknown field 'max_day'"
    )
    assert "max_days" in str(err)
    assert err.fields["line"] == 6


def test_param_of_the_wrong_type() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: kpis
              kind: kpis_defined
              params:
                min_count: several
        """
    )
    assert str(err).startswith(
        "policy.yaml, line 6: field 'gates.production[0].params.min_count': "
        "criterion 'kpis' (kpis_defined): "
    )
    assert "valid integer" in str(err)
    assert str(err).endswith("(got 'several')")


def test_bad_charter_field_name_is_named_with_its_line() -> None:
    err = load_error(
        """
        gates:
          pilot:
            - id: charter
              kind: charter_complete
              params:
                fields:
                  - purpose
                  - colour
        """
    )
    msg = str(err)
    # the line of the list value (its first item), the field that failed as a whole
    assert msg.startswith(
        "policy.yaml, line 7: field 'gates.pilot[0].params.fields': "
        "criterion 'charter' (charter_complete): unknown charter field 'colour'; known fields are "
    )
    assert "strategic_objective" in msg


def test_bad_item_in_a_param_list_names_its_index_and_line() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: risk-approval
              kind: approvals
              params:
                domains:
                  - risk
                  - Legal Team
        """
    )
    assert str(err).startswith(
        "policy.yaml, line 8: field 'gates.production[0].params.domains[1]': "
        "criterion 'risk-approval' (approvals): "
    )
    assert "(got 'Legal Team')" in str(err)


def test_missing_required_param() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: risk
              kind: risk_acceptable
            - id: card
              kind: evidence
              params: {max_age_days: 30}
        """
    )
    assert err.fields["field"] == "gates.production[1].params.evidence_kind"
    assert err.fields["line"] == 7
    assert str(err).endswith("criterion 'card' (evidence): this field is required")


def test_missing_params_block_points_at_the_criterion() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: signoff
              kind: approvals
        """
    )
    assert str(err) == (
        "policy.yaml, line 3: field 'gates.production[0].params.domains': "
        "criterion 'signoff' (approvals): this field is required"
    )


# ------------------------------------------------------------------ by_tier


def test_bad_param_in_by_tier_is_named_with_its_line() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: risk-approval
              kind: approvals
              params:
                domains: [risk]
              by_tier:
                limited:
                  max_age_days: 90
                high:
                  max_age_days: -1
        """
    )
    assert str(err).startswith(
        "policy.yaml, line 11: field 'gates.production[0].by_tier.high.max_age_days': "
        "criterion 'risk-approval' (approvals): "
    )
    assert "greater than 0" in str(err)


def test_unknown_param_in_by_tier() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: tb
              kind: time_box
              by_tier:
                high: {max_days: 30, grace_days: 5}
        """
    )
    assert err.fields["field"] == "gates.production[0].by_tier.high.grace_days"
    assert err.fields["line"] == 6
    assert "unknown field 'grace_days'" in str(err)


def test_by_tier_is_validated_merged_with_the_base_params() -> None:
    """A tier may complete the base params; each merged set must be valid."""
    policy = load_policy(
        dedent(
            """
            gates:
              production:
                - id: card
                  kind: evidence
                  params: {evidence_kind: model_card}
                  by_tier:
                    high: {max_age_days: 365, status: [pass]}
            """
        ),
        "p.yaml",
    )
    (card,) = policy.criteria(Stage.PRODUCTION)
    assert card.params_for(RiskTier.HIGH) == {
        "evidence_kind": "model_card",
        "max_age_days": 365,
        "status": ["pass"],
    }


def test_unknown_tier_in_by_tier() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: tb
              kind: time_box
              by_tier:
                extreme: {max_days: 3}
        """
    )
    assert err.fields["field"] == "gates.production[0].by_tier.extreme"
    assert err.fields["line"] == 6
    assert "(got 'extreme')" in str(err)


def test_unknown_tier_in_tiers() -> None:
    err = load_error(
        """
        gates:
          production:
            - id: tb
              kind: time_box
              tiers: [high, severe]
        """
    )
    assert err.fields["field"] == "gates.production[0].tiers[1]"
    assert err.fields["line"] == 5


# ------------------------------------------------------------------ structure


def test_duplicate_criterion_ids() -> None:
    err = load_error(
        """
        gates:
          pilot:
            - {id: risk, kind: risk_acceptable}
            - {id: tb, kind: time_box}
            - {id: risk, kind: risk_acceptable, params: {allowed: [minimal]}}
        """
    )
    msg = str(err)
    assert msg.startswith("policy.yaml, line ")
    assert msg.endswith("field 'gates': gate 'pilot' lists criterion id 'risk' twice")
    assert err.fields["field"] == "gates"


@pytest.mark.parametrize("stage", ["idea", "retired"])
def test_gate_named_after_a_non_gate_stage(stage: str) -> None:
    err = load_error(
        f"""
        gates:
          {stage}:
            - {{id: risk, kind: risk_acceptable}}
        """
    )
    assert str(err) == (
        f"policy.yaml, line 2: field 'gates': '{stage}' is not a gate; "
        "gates are pilot, production, scaled"
    )


def test_unknown_gate_name() -> None:
    err = load_error(
        """
        gates:
          pilot: []
          launch: []
        """
    )
    assert err.fields["field"] == "gates.launch"
    assert err.fields["line"] == 3


def test_retired_time_box() -> None:
    err = load_error(
        """
        time_boxes:
          pilot: 120
          retired: 365
        gates:
          pilot: []
        """
    )
    assert str(err) == (
        "policy.yaml, line 2: field 'time_boxes': retired use cases have no time box"
    )


def test_non_positive_time_box() -> None:
    err = load_error("time_boxes:\n  pilot: 0\ngates:\n  pilot: []\n")
    assert err.fields["field"] == "time_boxes.pilot"
    assert err.fields["line"] == 2


def test_no_gates() -> None:
    assert str(load_error("name: empty\ngates: {}\n")) == (
        "policy.yaml, line 1: a policy needs at least one gate"
    )
    err = load_error("name: nothing\n")
    assert str(err) == "policy.yaml, line 1: field 'gates': this field is required"


def test_bad_criterion_id() -> None:
    err = load_error(
        """
        gates:
          pilot:
            - id: Risk Check
              kind: risk_acceptable
        """
    )
    assert err.fields["field"] == "gates.pilot[0].id"
    assert err.fields["line"] == 3


def test_unknown_top_level_key() -> None:
    err = load_error("name: p\nstall_days: 3\ngates:\n  pilot: []\n")
    assert str(err) == "policy.yaml, line 2: field 'stall_days': unknown field 'stall_days'"


def test_malformed_yaml_names_the_file() -> None:
    err = load_error("gates:\n  pilot: [\n", source="team/policy.yaml")
    assert str(err).startswith("team/policy.yaml, line 3, column 1: ")


def test_not_a_mapping() -> None:
    assert str(load_error("- pilot\n- production\n")) == (
        "policy.yaml, line 1: expected a mapping of fields, got list"
    )


# ------------------------------------------------------------------ validate_policy


def test_validate_policy_on_a_model_without_lines() -> None:
    policy = Policy.model_validate(
        {
            "gates": {
                "pilot": [{"id": "x", "kind": "risk_acceptable", "params": {"allowed": ["nope"]}}]
            }
        }
    )
    with pytest.raises(DocumentError) as info:
        validate_policy(policy, source="api")
    assert str(info.value).startswith(
        "api: field 'gates.pilot[0].params.allowed[0]': criterion 'x' (risk_acceptable): "
    )
    assert "line" not in info.value.fields


def test_validate_policy_returns_the_policy() -> None:
    policy = Policy.model_validate({"gates": {"pilot": [{"id": "x", "kind": "time_box"}]}})
    assert validate_policy(policy, source="api") is policy


def test_validate_policy_unknown_kind_without_lines() -> None:
    policy = Policy.model_validate({"gates": {"scaled": [{"id": "x", "kind": "magic"}]}})
    with pytest.raises(DocumentError) as info:
        validate_policy(policy, source="api")
    assert str(info.value).startswith(
        "api: field 'gates.scaled[0].kind': criterion 'x' uses unknown kind 'magic'"
    )
