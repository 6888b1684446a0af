"""The CloudFormation template: cfn-lint clean, customer KMS key, eight secrets with no value in
the template (the AWS key pair is one JSON secret), a least-privilege app role, an encrypted
CloudTrail, and the alarms from one source."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from secrets_adapter.aws_key_pair import expand_pair
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS
from secrets_adapter.models import SecretValue
from secrets_adapter.monitoring.cloudwatch import CLOUDTRAIL_ALARMS, cloudformation_resources
from tests.deploy.paths import CLOUDFORMATION

GAARA_SECRETS = [
    "database-url",
    "jwt-secret-key",
    "jwt-refresh-secret-key",
    "encryption-key",
    "aws-access-key",
    "sendgrid-api-key",
    "stripe-api-key",
    "oauth-client-secret",
]

Template = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> Template:
    loaded = yaml.safe_load(CLOUDFORMATION.read_text())
    assert isinstance(loaded, dict)
    return loaded


def of_type(template: Template, kind: str) -> dict[str, Any]:
    return {key: res for key, res in template["Resources"].items() if res["Type"] == kind}


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("cfn-lint")
    return subprocess.run(
        [str(binary), "--format", "parseable", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cfn_lint_finds_nothing() -> None:
    result = cfn_lint(CLOUDFORMATION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_does_catch_a_broken_copy(tmp_path: Path, template: Template) -> None:
    """The linter really checks: the same template with a dangling reference fails."""
    broken = dict(template)
    broken["Resources"] = {k: v for k, v in template["Resources"].items() if k != "SecretsKey"}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert cfn_lint(path).returncode != 0


def test_customer_key_rotates_and_has_a_key_policy(template: Template) -> None:
    key = template["Resources"]["SecretsKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    statements = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    app = statements["AppDecryptsThroughSecretsManagerOnly"]
    assert app["Action"] == "kms:Decrypt"
    assert app["Principal"] == {"AWS": {"Fn::GetAtt": ["AppRole", "Arn"]}}
    assert "kms:ViaService" in app["Condition"]["StringEquals"]


def test_the_eight_secrets_are_encrypted_with_it_and_hold_no_value(template: Template) -> None:
    secrets = of_type(template, "AWS::SecretsManager::Secret")
    names = sorted(res["Properties"]["Name"]["Fn::Sub"] for res in secrets.values())
    assert names == sorted(f"${{Prefix}}/{name}" for name in GAARA_SECRETS)
    assert template["Parameters"]["Prefix"]["Default"] == "gaara/prod"
    for resource in secrets.values():
        props = resource["Properties"]
        assert props["KmsKeyId"] == {"Ref": "SecretsKey"}
        assert "SecretString" not in props, "no value in the template: a generated placeholder"
        assert props["GenerateSecretString"]["PasswordLength"] >= 32


def test_the_aws_key_pair_is_one_json_secret_with_both_fields(template: Template) -> None:
    """``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` only work together: one secret, in
    the JSON shape ``migrate`` writes and the ``aws-iam-access-key`` rotator rotates."""
    pair = template["Resources"]["AwsAccessKeySecret"]["Properties"]
    assert pair["Name"] == {"Fn::Sub": "${Prefix}/aws-access-key"}
    generated = pair["GenerateSecretString"]
    placeholder = json.loads(generated["SecretStringTemplate"])
    assert set(placeholder) | {generated["GenerateStringKey"]} == {
        "access_key_id",
        "secret_access_key",
    }
    # what CloudFormation stores: the template with the generated key added
    stored = json.loads(generated["SecretStringTemplate"])
    stored[generated["GenerateStringKey"]] = "x" * generated["PasswordLength"]
    variables = expand_pair("AWS_ACCESS_KEY", SecretValue(json.dumps(stored)))
    assert variables == [
        ("AWS_ACCESS_KEY_ID", "placeholder"),
        ("AWS_SECRET_ACCESS_KEY", "x" * generated["PasswordLength"]),
    ]
    assert sorted(GAARA_SECRETS) == sorted(GAARA_STORE_SECRETS)  # what bootstrap and Flask use
    names = {
        res["Properties"]["Name"]["Fn::Sub"]
        for res in of_type(template, "AWS::SecretsManager::Secret").values()
    }
    assert not names & {"${Prefix}/aws-access-key-id", "${Prefix}/aws-secret-access-key"}


def test_app_role_is_least_privilege(template: Template) -> None:
    secrets = set(of_type(template, "AWS::SecretsManager::Secret"))
    policies = of_type(template, "AWS::IAM::Policy")
    assert list(policies) == ["AppReadPolicy"]
    policy = policies["AppReadPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "AppRole"}]
    read, decrypt = policy["PolicyDocument"]["Statement"]
    assert sorted(read["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
    ]
    assert {ref["Ref"] for ref in read["Resource"]} == secrets
    assert len(read["Resource"]) == 8
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == {"Fn::GetAtt": ["SecretsKey", "Arn"]}
    via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
    role = template["Resources"]["AppRole"]["Properties"]
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    trust = role["AssumeRolePolicyDocument"]["Fn::Sub"]
    parsed = json.loads(trust)  # a JSON string so the OIDC host can be part of a condition key
    statement = parsed["Statement"][0]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert "system:serviceaccount:" in json.dumps(statement["Condition"])


def test_no_static_credentials_or_wildcard_grants_for_the_app(template: Template) -> None:
    text = CLOUDFORMATION.read_text()
    assert "AKIA" not in text
    assert not of_type(template, "AWS::IAM::AccessKey")
    app_policy = json.dumps(template["Resources"]["AppReadPolicy"])
    assert '"*"' not in app_policy


def test_cloudtrail_writes_to_an_encrypted_private_bucket(template: Template) -> None:
    trail = template["Resources"]["Trail"]["Properties"]
    assert trail["IsLogging"] is True
    assert trail["EnableLogFileValidation"] is True
    assert trail["KMSKeyId"] == {"Fn::GetAtt": ["TrailKey", "Arn"]}
    assert trail["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": ["TrailLogGroup", "Arn"]}
    bucket = template["Resources"]["TrailBucket"]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert template["Resources"]["TrailKey"]["Properties"]["EnableKeyRotation"] is True


def test_alarms_are_exactly_the_monitoring_module_s(template: Template) -> None:
    expected = cloudformation_resources()
    actual = {
        key: value
        for key, value in template["Resources"].items()
        if value["Type"] in {"AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm"}
    }
    assert actual == expected
    assert len(expected) == 2 * len(CLOUDTRAIL_ALARMS)
    rules = {alarm.rule_id for alarm in CLOUDTRAIL_ALARMS}
    assert {"failed-retrievals", "unauthorized-use", "rotation-failure"} <= rules
    failed = template["Resources"]["FailedSecretRetrievalsAlarm"]["Properties"]
    assert (failed["Threshold"], failed["ComparisonOperator"], failed["Period"]) == (
        10,
        "GreaterThanThreshold",
        300,
    )


def test_app_policy_has_the_shape_bootstrap_generates(template: Template) -> None:
    """The template's policy and ``aws_iam.app_policy_for_arns`` (what bootstrap prints) grant
    the same actions under the same conditions; only the ARNs differ (Refs here, real ARNs
    there)."""
    from secrets_adapter.policy.aws_iam import app_policy_for_arns

    generated = app_policy_for_arns(
        ["arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"],
        kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab",
        region="us-east-1",
    )["Statement"]
    written = template["Resources"]["AppReadPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Effect"] for s in written] == [s["Effect"] for s in generated]
    assert [s["Action"] for s in written] == [s["Action"] for s in generated]
    assert written[1]["Condition"].keys() == generated[1]["Condition"].keys()
    assert (
        written[1]["Condition"]["StringEquals"].keys()
        == generated[1]["Condition"]["StringEquals"].keys()
    )
