"""Least-privilege IAM: the generated policies name exactly the expected ARNs; the checker flags
over-broad statements."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from secrets_adapter.errors import ValidationError
from secrets_adapter.policy.aws_iam import AwsScope, admin_policy, app_policy, secret_resources
from secrets_adapter.policy.aws_iam_check import Severity, check_policy

REGION = "eu-west-1"
ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"


def iam_glob_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN matching: ``*`` is any run of characters, ``?`` exactly one."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, arn) is not None


def _scope(**overrides: Any) -> AwsScope:
    values: dict[str, Any] = {"region": REGION, "account": ACCOUNT, "kms_key_arn": KEY}
    values.update(overrides)
    return AwsScope(**values)


def _resources(document: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in document["Statement"]:
        resource = statement["Resource"]
        found.extend(resource if isinstance(resource, list) else [resource])
    return found


def test_app_policy_for_named_secrets_has_exactly_their_arns() -> None:
    scope = _scope(prefix="gaara/prod", secrets=("database-url", "stripe/api-key", "jwt"))
    document = json.loads(json.dumps(app_policy(scope)))
    assert document["Version"] == "2012-10-17"
    read, decrypt = document["Statement"]
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert read["Resource"] == [
        f"{SECRET_ARN}gaara/prod/database-url-??????",
        f"{SECRET_ARN}gaara/prod/jwt-??????",
        f"{SECRET_ARN}stripe/api-key-??????",
    ]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == KEY
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    assert sorted(_resources(document)) == sorted([*read["Resource"], KEY])
    assert check_policy(document) == []


def test_prefix_policy_covers_the_subtree_only() -> None:
    assert secret_resources(_scope(prefix="/gaara/prod/")) == [f"{SECRET_ARN}gaara/prod/*"]


def test_arn_suffix_pattern_matches_the_secret_and_nothing_else() -> None:
    (pattern,) = secret_resources(_scope(secrets=("gaara/prod/db",)))
    assert iam_glob_matches(pattern, f"{SECRET_ARN}gaara/prod/db-AbC123")
    assert not iam_glob_matches(pattern, f"{SECRET_ARN}gaara/prod/db-old-AbC123")
    assert not iam_glob_matches(pattern, f"{SECRET_ARN}gaara/prod/db2-AbC123")
    assert not iam_glob_matches(pattern, f"{SECRET_ARN}gaara/prod/db")


def test_batch_and_envelope_are_opt_in_and_pass_the_checker() -> None:
    scope = _scope(prefix="gaara/prod")
    assert len(app_policy(scope)["Statement"]) == 2
    document = app_policy(scope, allow_batch=True, allow_envelope=True)
    sids = [s["Sid"] for s in document["Statement"]]
    assert "BatchReadChecksGetSecretValuePerSecret" in sids
    envelope = document["Statement"][-1]
    assert envelope["Condition"] == {"Null": {"kms:EncryptionContextKeys": "false"}}
    assert check_policy(document) == []


def test_admin_policy_is_separate_and_clean() -> None:
    document = admin_policy(_scope(prefix="gaara/prod"))
    manage = document["Statement"][0]
    assert "secretsmanager:PutSecretValue" in manage["Action"]
    assert "secretsmanager:RotateSecret" in manage["Action"]
    assert manage["Resource"] == [f"{SECRET_ARN}gaara/prod/*"]
    assert "secretsmanager:PutSecretValue" not in json.dumps(app_policy(_scope(prefix="g")))
    assert check_policy(document) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"region": "*"}, "region"),
        ({"account": "12345"}, "12-digit"),
        ({"kms_key_arn": "arn:aws:kms:*:*:key/*"}, "KMS key ARN"),
        ({"kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"}, "aliases"),
        ({}, "prefix or at least one secret"),
        ({"prefix": "has space"}, "1-512 characters"),
        ({"kms_key_arn": f"arn:aws:kms:ap-south-1:{ACCOUNT}:key/k"}, "secret's own region"),
        ({"partition": "aws-cn"}, "partition 'aws'"),
    ],
)
def test_scope_refuses_broad_or_malformed_input(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _scope(**overrides)


BROAD = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllKeys", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": "arn:aws:kms:*:*:key/*"},
        {"Sid": "AllSecretsActions", "Effect": "Allow", "Action": "secretsmanager:*",
         "Resource": f"{SECRET_ARN}gaara/*"},
        {"Sid": "Star", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"},
        {"Sid": "WholeAccount", "Effect": "Allow", "Action": "secretsmanager:DescribeSecret",
         "Resource": f"{SECRET_ARN}*"},
        {"Sid": "Inverse", "Effect": "Allow", "NotAction": "iam:*", "Resource": KEY},
        {"Sid": "DenyIsFine", "Effect": "Deny", "Action": "*", "Resource": "*"},
    ],
}  # fmt: skip


def test_checker_flags_each_over_broad_statement() -> None:
    findings = check_policy(BROAD)
    by_sid: dict[str, list[str]] = {}
    for finding in findings:
        by_sid.setdefault(finding.statement, []).append(finding.message)
    assert set(by_sid) == {"AllKeys", "AllSecretsActions", "Star", "WholeAccount", "Inverse"}
    assert any("wildcard region or account" in m for m in by_sid["AllKeys"])
    assert any("'secretsmanager:*'" in m for m in by_sid["AllSecretsActions"])
    assert any("Resource '*'" in m for m in by_sid["Star"])
    assert any("every secret" in m for m in by_sid["WholeAccount"])
    assert any("NotAction" in m for m in by_sid["Inverse"])
    assert all(f.severity is Severity.ERROR for f in findings if f.statement != "AllKeys")


def test_checker_flags_a_key_wildcard_in_the_right_account() -> None:
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
                "Condition": {"StringEquals": {"kms:ViaService": "x"}},
            }
        ]
    }
    (finding,) = check_policy(document)
    assert "more than one KMS key" in finding.message
    assert finding.statement == "#1"


def test_checker_warns_on_decrypt_without_a_condition() -> None:
    document = {"Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}}
    (finding,) = check_policy(document)
    assert finding.severity is Severity.WARNING
    assert "kms:ViaService" in finding.message


def test_checker_refuses_a_document_without_statements() -> None:
    (finding,) = check_policy({"Version": "2012-10-17"})
    assert finding.severity is Severity.ERROR


def test_checker_compares_action_names_case_insensitively() -> None:
    document = {
        "Statement": [
            {"Sid": "Lower", "Effect": "Allow", "Action": "KMS:decrypt", "Resource": KEY},
            {
                "Sid": "List",
                "Effect": "Allow",
                "Action": "SecretsManager:listSecrets",
                "Resource": "*",
            },
        ]
    }
    (finding,) = check_policy(document)
    assert finding.statement == "Lower"
    assert finding.severity is Severity.WARNING
