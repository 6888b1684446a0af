"""``policy aws --from policy.toml --principal P``: the exact IAM document for the sample
policy, accepted by ``policy check``, deciding the sample table as the ``Authorizer`` does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from secrets_adapter.cli.main import main
from secrets_adapter.errors import ValidationError
from secrets_adapter.policy import Authorizer, Effect, Grant, grants_for, load_policy
from secrets_adapter.policy.aws_iam_check import check_policy
from secrets_adapter.policy.aws_iam_grants import grants_policy
from tests.fixtures.policy_sample import CASES, write_sample_policy

REGION = "eu-west-1"
ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
VIA = {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
BASE = ["policy", "aws", "--region", REGION, "--account", ACCOUNT]

EXPECTED_API: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ApiReadsItsSecrets",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:ListSecretVersionIds",
            ],
            "Resource": [f"{ARN}shop/prod/api/*", f"{ARN}shop/prod/db-??????"],
        },
        {
            "Sid": "ApiReadsItsSecretsDecrypt",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KEY,
            "Condition": VIA,
        },
        {
            "Sid": "ApiListsItsFolderList",
            "Effect": "Allow",
            "Action": "secretsmanager:ListSecrets",
            "Resource": "*",
        },
        {
            "Sid": "ApiManagesItsTokens",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
                "secretsmanager:RestoreSecret",
                "secretsmanager:RotateSecret",
            ],
            "Resource": [f"{ARN}shop/prod/api/tokens/*"],
        },
        {
            # delete is a scheduled deletion: DeleteSecret unless it forces (force-delete)
            "Sid": "ApiManagesItsTokensDelete",
            "Effect": "Allow",
            "Action": "secretsmanager:DeleteSecret",
            "Resource": [f"{ARN}shop/prod/api/tokens/*"],
            "Condition": {"BoolIfExists": {"secretsmanager:ForceDeleteWithoutRecovery": "false"}},
        },
        {
            "Sid": "ApiReadsTheLegacyDb",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [f"{ARN}shop/prod/legacy/db-??????"],
        },
        {
            "Sid": "ApiReadsTheLegacyDbDecrypt",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KEY,
            "Condition": VIA,
        },
        {
            "Sid": "NobodyTouchesAdminValues",
            "Effect": "Deny",
            "Action": [
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "Resource": [f"{ARN}shop/prod/api/admin*"],
        },
        {
            "Sid": "LegacyIsRetired",
            "Effect": "Deny",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [f"{ARN}shop/prod/legacy/*"],
        },
    ],
}

# What each policy action takes in Secrets Manager (the mapping, written out here apart
# from the generator's so a slip in either shows).
IAM_ACTIONS = {
    "read": ["secretsmanager:GetSecretValue"],
    "describe": ["secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"],
    "write": ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
    "delete": ["secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret"],
    "rotate": ["secretsmanager:RotateSecret"],
}


def _glob(pattern: str, value: str) -> bool:
    """IAM's matching: ``*`` any run of characters, ``?`` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def iam_allows(document: dict[str, Any], action: str, resource: str) -> bool:
    """IAM's evaluation within one identity policy: an explicit Deny wins, else an Allow."""
    effects = {
        statement["Effect"]
        for statement in document["Statement"]
        if any(_glob(a, action) for a in _as_list(statement["Action"]))
        and any(_glob(r, resource) for r in _as_list(statement["Resource"]))
    }
    return "Deny" not in effects and "Allow" in effects


def _render(tmp_path: Path, capsys: pytest.CaptureFixture[str], principal: str) -> Any:
    path = write_sample_policy(tmp_path)
    code = main([*BASE, "--kms-key-arn", KEY, "--from", str(path), "--principal", principal])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_the_api_principal_gets_exactly_the_expected_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(tmp_path, capsys, "api") == EXPECTED_API


def test_the_document_passes_policy_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for principal in ("api", "worker"):
        document = _render(tmp_path, capsys, principal)
        assert check_policy(document) == []
        saved = tmp_path / f"{principal}.json"
        saved.write_text(json.dumps(document))
        assert main(["policy", "check", str(saved)]) == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.principal}-{c.action}-{c.name}")
def test_iam_and_the_authorizer_decide_the_table_alike(case: Any, tmp_path: Path) -> None:
    policy = load_policy(write_sample_policy(tmp_path))
    assert Authorizer(policy, case.principal).decide(case.action, case.name).allowed is case.allowed
    document = grants_policy(
        grants_for(policy, case.principal), region=REGION, account=ACCOUNT, kms_key_arn=KEY
    )
    if case.action == "list":
        # IAM cannot scope ListSecrets: granted on '*' to whoever may list anything.
        assert iam_allows(document, "secretsmanager:ListSecrets", "*") is (case.principal == "api")
        return
    arn = f"{ARN}{case.name}-AbCdEf"
    decisions = {iam_allows(document, action, arn) for action in IAM_ACTIONS[case.action]}
    assert decisions == {case.allowed}
    if case.action == "read":
        decrypts = iam_allows(document, "kms:Decrypt", KEY)
        assert decrypts or not case.allowed


def test_without_a_key_there_is_no_kms_statement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_sample_policy(tmp_path)
    assert main([*BASE, "--from", str(path), "--principal", "worker"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [s["Sid"] for s in document["Statement"]] == [
        "NobodyTouchesAdminValues",
        "LegacyIsRetired",
        "WorkerReadsTheQueue",
    ]
    assert "kms" not in json.dumps(document)


def test_a_denied_list_denies_all_listing_and_a_pattern_inside_gets_the_suffix() -> None:
    grants = (
        Grant(effect=Effect.DENY, actions=("list",), secrets=("a/*",)),
        Grant(effect=Effect.ALLOW, actions=("read",), secrets=("a/*/db",)),
    )
    document = grants_policy(grants, region=REGION, account=ACCOUNT)
    assert document["Statement"] == [
        {
            "Sid": "Grant1List",
            "Effect": "Deny",
            "Action": "secretsmanager:ListSecrets",
            "Resource": "*",
        },
        {
            "Sid": "Grant2",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [f"{ARN}a/*/db-??????"],
        },
    ]
    with pytest.raises(ValidationError, match="wildcard in IAM"):
        grants_policy(
            (Grant(effect=Effect.ALLOW, actions=("read",), secrets=("a/d?",)),),
            region=REGION,
            account=ACCOUNT,
        )


def test_cli_errors_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(write_sample_policy(tmp_path))
    assert main([*BASE, "--from", path]) == 2
    assert "--from and --principal go together" in capsys.readouterr().err
    assert main([*BASE, "--from", path, "--principal", "nobody"]) == 2
    assert "allows principal 'nobody' anything" in capsys.readouterr().err
    assert main([*BASE, "--from", path, "--principal", "api", "--prefix", "shop"]) == 2
    assert "drop --prefix" in capsys.readouterr().err
    assert main([*BASE, "--prefix", "shop/prod"]) == 2
    assert "--kms-key-arn" in capsys.readouterr().err
    broken = tmp_path / "broken.toml"
    broken.write_text('[[statement]]\neffect = "allow"\n')
    assert main([*BASE, "--from", str(broken), "--principal", "api"]) != 0


def test_the_key_must_be_in_the_secrets_region() -> None:
    grants = (Grant(effect=Effect.ALLOW, actions=("read",), secrets=("a/b",)),)
    other = KEY.replace(REGION, "us-east-1")
    with pytest.raises(ValidationError, match="the secrets are in eu-west-1"):
        grants_policy(grants, region=REGION, account=ACCOUNT, kms_key_arn=other)
    with pytest.raises(ValidationError, match="not a KMS key ARN"):
        grants_policy(grants, region=REGION, account=ACCOUNT, kms_key_arn="alias/app")
