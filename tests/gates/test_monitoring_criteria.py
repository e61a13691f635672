"""monitoring_active, no_critical_drift and performance against hand-built monitors."""

from __future__ import annotations

import pydantic
import pytest
from gate_builders import Make

from scalegate.domain.decision import Verdict
from scalegate.gates import monitoring_days

PASS, FAIL = Verdict.PASS, Verdict.FAIL


# ------------------------------------------------------------------ monitoring_active


def test_monitoring_active_needs_a_monitor_and_a_batch(make: Make) -> None:
    out = make.check("monitoring_active", {})
    assert (out.verdict, out.reason) == (FAIL, "no production monitor set up")
    ctx = make.ctx(monitors=[make.monitor()])
    out = make.check("monitoring_active", {}, ctx)
    assert (out.verdict, out.reason) == (FAIL, "monitor 'default' has logged no batch")
    out = make.check("monitoring_active", {"monitor": "other"}, ctx)
    assert (out.verdict, out.reason) == (FAIL, "no active monitor named 'other'")
    retired = make.ctx(monitors=[make.monitor(make.batch(1, 1), active=False)])
    assert make.check("monitoring_active", {}, retired).verdict is FAIL


def test_monitoring_active_judges_the_newest_batch_age(make: Make) -> None:
    ctx = make.ctx(monitors=[make.monitor(make.batch(1, 20), make.batch(2, 3, rows=1234))])
    out = make.check("monitoring_active", {"max_age_days": 7}, ctx)
    assert (out.verdict, out.reason, out.evidence) == (
        PASS,
        "'default' logged 1,234 rows 3 days ago",
        ("ev-502",),
    )
    out = make.check("monitoring_active", {"max_age_days": 2}, ctx)
    assert out.verdict is FAIL
    assert out.reason == "monitor 'default' last logged a batch 3 days ago, policy allows 2"


def test_monitoring_active_without_a_name_needs_every_monitor(make: Make) -> None:
    ctx = make.ctx(
        monitors=[
            make.monitor(make.batch(1, 1)),
            make.monitor(make.batch(2, 40, monitor="shadow"), name="shadow"),
        ]
    )
    assert make.check("monitoring_active", {}, ctx).verdict is FAIL
    assert make.check("monitoring_active", {"monitor": "default"}, ctx).verdict is PASS


# ------------------------------------------------------------------ no_critical_drift


def test_no_critical_drift(make: Make) -> None:
    batches = [make.batch(1, 40, "critical"), make.batch(2, 10, "drift"), make.batch(3, 2)]
    ctx = make.ctx(monitors=[make.monitor(*batches)])
    out = make.check("no_critical_drift", {"days": 30}, ctx)
    assert (out.verdict, out.reason) == (
        PASS,
        "'default': 2 batches in 30 days, 1 with non-critical drift",
    )
    out = make.check("no_critical_drift", {"days": 30, "fail_on_drift": True}, ctx)
    assert out.verdict is FAIL
    assert out.evidence == ("ev-502",)
    out = make.check("no_critical_drift", {"days": 60}, ctx)
    assert out.verdict is FAIL
    assert out.reason == (
        "monitor 'default': 1 batch of 3 in 60 days drifted, newest critical drift 40 days ago"
    )


def test_no_critical_drift_needs_batches_in_the_window(make: Make) -> None:
    ctx = make.ctx(monitors=[make.monitor(make.batch(1, 45))])
    out = make.check("no_critical_drift", {"days": 30}, ctx)
    assert (out.verdict, out.reason) == (
        FAIL,
        "monitor 'default' logged no batch in the last 30 days",
    )


# ------------------------------------------------------------------ performance


def test_performance_params_need_exactly_one_bound() -> None:
    from scalegate.gates import CRITERIA

    model = CRITERIA["performance"].params
    with pytest.raises(pydantic.ValidationError, match="give a bound"):
        model.model_validate({})
    with pytest.raises(pydantic.ValidationError, match="not min and max_drop"):
        model.model_validate({"min": 0.8, "max_drop": 0.1})
    assert model.model_validate({"max_drop": 0.05}).windows == 1


def test_performance_absolute_minimum_on_the_newest_labelled_batches(make: Make) -> None:
    batches = [
        make.batch(1, 9, accuracy=0.70),
        make.batch(2, 6, accuracy=0.91),
        make.batch(3, 3, accuracy=0.88),
        make.batch(4, 1, estimated_accuracy=0.60),  # no labels yet: not judged
    ]
    ctx = make.ctx(monitors=[make.monitor(*batches)])
    out = make.check("performance", {"metric": "accuracy", "min": 0.85, "windows": 2}, ctx)
    assert (out.verdict, out.reason, out.evidence) == (
        PASS,
        "'default' accuracy 0.88, 0.91 >= 0.85",
        ("ev-503", "ev-502"),
    )
    out = make.check("performance", {"metric": "accuracy", "min": 0.85, "windows": 3}, ctx)
    assert out.verdict is FAIL
    assert out.reason == (
        "monitor 'default' accuracy on the 3 newest batches: 0.88, 0.91, 0.7, policy asks >= 0.85"
    )


def test_performance_falls_back_to_the_estimate_without_labels(make: Make) -> None:
    ctx = make.ctx(monitors=[make.monitor(make.batch(1, 1, estimated_roc_auc=0.71))])
    out = make.check("performance", {"min": 0.75}, ctx)  # primary metric: roc_auc
    assert (out.verdict, out.reason) == (
        FAIL,
        "monitor 'default' estimated roc_auc on the newest batch: 0.71, policy asks >= 0.75",
    )
    out = make.check("performance", {"min": 0.75, "use_estimate": False}, ctx)
    assert out.reason == (
        "monitor 'default': no batch with roc_auc in the last 90 days, policy judges 1"
    )


def test_performance_relative_to_the_reference(make: Make) -> None:
    monitor = make.monitor(
        make.batch(1, 2, rmse=11.0),
        task="regression",
        primary_metric="rmse",
        reference={"rmse": 10.0},
    )
    ctx = make.ctx(monitors=[monitor])
    # rmse is an error: 10 % worse is at most 11
    out = make.check("performance", {"max_drop": 0.1}, ctx)
    assert (out.verdict, out.reason) == (PASS, "'default' rmse 11 <= 11")
    out = make.check("performance", {"max_drop": 0.05}, ctx)
    assert out.verdict is FAIL
    out = make.check("performance", {"metric": "mae", "max_drop": 0.05}, ctx)
    assert out.reason == "monitor 'default': no batch with mae in the last 90 days, policy judges 1"
    no_ref = make.ctx(monitors=[make.monitor(make.batch(1, 2, roc_auc=0.8))])
    out = make.check("performance", {"max_drop": 0.05}, no_ref)
    assert out.reason == "monitor 'default' has no reference roc_auc to compare with"


def test_performance_needs_a_metric(make: Make) -> None:
    ctx = make.ctx(monitors=[make.monitor(make.batch(1, 1), task=None, primary_metric=None)])
    out = make.check("performance", {"min": 0.5}, ctx)
    assert out.reason == "monitor 'default' has no performance metric (no task set)"


def test_monitoring_days_is_the_longest_window(make: Make) -> None:
    policy = make.policy(
        {
            "scaled": [
                {"id": "a", "kind": "monitoring_active"},
                {"id": "b", "kind": "no_critical_drift", "params": {"days": 45}},
                {
                    "id": "c",
                    "kind": "performance",
                    "params": {"min": 0.5, "days": 20},
                    "by_tier": {"high": {"days": 120}},
                },
            ]
        }
    )
    assert monitoring_days(policy) == 120
    assert monitoring_days(make.policy()) == 0
