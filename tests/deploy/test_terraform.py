"""The Terraform variant: parsed with python-hcl2 and checked for the same properties as the
CloudFormation template; its alarms are the monitoring module's, generated into alarms.tf.json."""

from __future__ import annotations

import json
from typing import Any

import hcl2
import pytest
import yaml

from secrets_adapter.monitoring.cloudwatch import terraform_resources
from tests.deploy.paths import CLOUDFORMATION, TERRAFORM

Resources = dict[tuple[str, str], dict[str, Any]]


def unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def unquoted(value: Any) -> Any:
    if isinstance(value, str):
        return unquote(value)
    if isinstance(value, list):
        return [unquoted(item) for item in value]
    if isinstance(value, dict):
        return {unquote(key): unquoted(item) for key, item in value.items()}
    return value


def load(name: str) -> dict[str, Any]:
    with (TERRAFORM / name).open() as handle:
        parsed = unquoted(hcl2.load(handle))
    assert isinstance(parsed, dict)
    return parsed


@pytest.fixture(scope="module")
def resources() -> Resources:
    found: Resources = {}
    for block in load("main.tf")["resource"]:
        for kind, named in block.items():
            for name, body in named.items():
                found[(kind, name)] = body
    return found


def test_customer_key_rotates(resources: Resources) -> None:
    key = resources[("aws_kms_key", "secrets")]
    assert key["enable_key_rotation"] is True
    assert "kms:ViaService" in key["policy"] and "AccountAdministration" in key["policy"]
    assert resources[("aws_kms_key", "trail")]["enable_key_rotation"] is True


def test_the_same_eight_secrets_as_cloudformation_with_no_value(resources: Resources) -> None:
    variables = {
        name: body for block in load("variables.tf")["variable"] for name, body in block.items()
    }
    names = variables["secret_names"]["default"]
    template = yaml.safe_load(CLOUDFORMATION.read_text())
    cfn_names = sorted(
        res["Properties"]["Name"]["Fn::Sub"].removeprefix("${Prefix}/")
        for res in template["Resources"].values()
        if res["Type"] == "AWS::SecretsManager::Secret"
    )
    assert sorted(names) == cfn_names and len(names) == 8
    secret = resources[("aws_secretsmanager_secret", "app")]
    assert "var.secret_names" in secret["for_each"]
    assert secret["kms_key_id"] == "${aws_kms_key.secrets.arn}"
    assert not [key for key in resources if key[0] == "aws_secretsmanager_secret_version"]
    text = "".join((TERRAFORM / name).read_text() for name in ("main.tf", "variables.tf"))
    assert "secret_string" not in text and "AKIA" not in text
    assert "aws_iam_access_key" not in text


def test_app_policy_is_least_privilege(resources: Resources) -> None:
    policy = resources[("aws_iam_role_policy", "app_read")]["policy"]
    assert '"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"' in policy
    assert "aws_secretsmanager_secret.app : secret.arn" in policy
    assert "aws_kms_key.secrets.arn" in policy and "kms:ViaService" in policy
    assert 'Resource = "*"' not in policy
    trust = resources[("aws_iam_role", "app")]["assume_role_policy"]
    assert "sts:AssumeRoleWithWebIdentity" in trust and "system:serviceaccount:" in trust


def test_trail_is_encrypted_validated_and_private(resources: Resources) -> None:
    trail = resources[("aws_cloudtrail", "trail")]
    assert trail["enable_log_file_validation"] is True and trail["enable_logging"] is True
    assert trail["kms_key_id"] == "${aws_kms_key.trail.arn}"
    encryption = resources[("aws_s3_bucket_server_side_encryption_configuration", "trail")]
    default = encryption["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms"
    block = resources[("aws_s3_bucket_public_access_block", "trail")]
    assert all(block[key] is True for key in block if key != "bucket")


def test_alarms_file_is_generated_from_the_monitoring_module() -> None:
    on_disk = json.loads((TERRAFORM / "alarms.tf.json").read_text())
    assert on_disk == terraform_resources()
    alarms = on_disk["resource"]["aws_cloudwatch_metric_alarm"]
    assert alarms["failed_secret_retrievals"]["threshold"] == 10
    assert alarms["failed_secret_retrievals"]["comparison_operator"] == "GreaterThanThreshold"
