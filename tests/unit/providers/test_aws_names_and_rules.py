"""Pure rules of the AWS backend: stage names and labels, ARNs, suspicious names, rotation rules."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from secrets_adapter.errors import ValidationError
from secrets_adapter.models import Stage, stage_or_label
from secrets_adapter.providers.aws_codec import warn_if_suffix_like
from secrets_adapter.providers.aws_rotation import LAMBDA_ARN_TAG, managed_rotation, rotation_rules
from secrets_adapter.providers.aws_stages import aws_label, custom_labels, stages_of
from secrets_adapter.validation import arn_secret_name, validate_secret_id

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gaara/prod/db-AbC123"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("AWSCURRENT", Stage.CURRENT),
        ("AWSPENDING", Stage.PENDING),
        ("AWSPREVIOUS", Stage.PREVIOUS),
        ("previous", Stage.PREVIOUS),
        (Stage.PENDING, Stage.PENDING),
        ("MYLABEL", "MYLABEL"),
        ("awscurrent", "awscurrent"),  # AWS labels are case-sensitive: a custom label
    ],
)
def test_stage_or_label(given: Stage | str, expected: Stage | str) -> None:
    assert stage_or_label(given) == expected
    assert type(stage_or_label(given)) is type(expected)


def test_labels_are_sent_as_aws_spells_them() -> None:
    assert aws_label(Stage.CURRENT) == "AWSCURRENT"
    assert aws_label("pending") == "AWSPENDING"
    assert aws_label("AWSPREVIOUS") == "AWSPREVIOUS"
    assert aws_label("MYLABEL") == "MYLABEL"
    with pytest.raises(ValidationError, match="1-256 characters"):
        aws_label("x" * 257)
    labels = ["AWSCURRENT", "MYLABEL", "canary"]
    assert stages_of(labels) == {Stage.CURRENT}
    assert custom_labels(labels) == {"MYLABEL", "canary"}


def test_arns_full_and_partial_are_secret_ids() -> None:
    assert arn_secret_name(ARN) == "gaara/prod/db-AbC123"
    assert validate_secret_id(ARN) == ARN
    assert validate_secret_id(ARN[:-7]) == ARN[:-7]
    assert validate_secret_id("gaara/prod/db") == "gaara/prod/db"
    for bad in ("arn:aws:s3:::bucket", "arn:aws:secretsmanager:eu-west-1:1:secret:x", "a b"):
        with pytest.raises(ValidationError):
            validate_secret_id(bad)


@pytest.mark.parametrize(
    ("name", "warned"),
    [("db-AbC123", True), ("gaara/prod/api-key123", True), ("db-url", False), ("db_AbC123", False)],
)
def test_a_name_ending_like_an_arn_suffix_is_warned(
    name: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_if_suffix_like(name)
    assert bool(caplog.records) is warned


def test_rotation_rules_in_days_hours_or_an_expression() -> None:
    assert rotation_rules("s", every=timedelta(days=30)) == {"AutomaticallyAfterDays": 30}
    assert rotation_rules("s", every=timedelta(hours=12)) == {
        "ScheduleExpression": "rate(12 hours)"
    }
    assert rotation_rules("s", every=None, schedule_expression="cron(0 4 ? * MON *)") == {
        "ScheduleExpression": "cron(0 4 ? * MON *)"
    }
    with pytest.raises(ValidationError, match="whole days or whole hours"):
        rotation_rules("s", every=timedelta(minutes=90))
    with pytest.raises(ValidationError, match="exactly one"):
        rotation_rules("s", every=None)


def test_managed_rotation_needs_a_rotator_a_lambda_and_an_interval() -> None:
    tags = {"secrets-adapter:rotator": "random", "secrets-adapter:rotation-every": "30d"}
    assert managed_rotation("s", tags, default_lambda_arn=None) is None
    chosen = managed_rotation("s", {**tags, LAMBDA_ARN_TAG: "arn:l"}, default_lambda_arn="arn:d")
    assert chosen is not None and chosen.lambda_arn == "arn:l"
    assert chosen.every == timedelta(days=30)
    assert managed_rotation("s", {"secrets-adapter:lease": "x"}, default_lambda_arn="arn:d") is None
    with pytest.raises(ValidationError, match="needs an interval"):
        managed_rotation(
            "s", {"secrets-adapter:rotator": "random"}, default_lambda_arn="arn:default"
        )
