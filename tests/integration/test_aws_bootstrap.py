"""``secrets-adapter aws bootstrap`` against moto_server over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from secrets_adapter.bootstrap import bootstrap, qualified_names
from secrets_adapter.cli.main import main
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS
from secrets_adapter.policy.aws_iam import app_policy_for_arns
from tests.deploy.paths import REPO_ROOT
from tests.fixtures.aws import MotoServer
from tests.sentinel import SENTINEL


def run(moto_server: MotoServer, *args: str) -> int:
    return main(
        [
            "aws",
            "bootstrap",
            "--region",
            moto_server.region,
            "--endpoint-url",
            moto_server.endpoint_url,
            *args,
        ]
    )


def test_bootstrap_creates_key_secrets_and_prints_the_policy(
    moto_server: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"gaara/prod-{uuid.uuid4().hex[:8]}"
    assert run(moto_server, "--prefix", prefix, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["key_created"] is True and report["rotation_enabled"] is True
    names = sorted(item["name"] for item in report["secrets"])
    assert names == sorted(f"{prefix}/{name}" for name in GAARA_STORE_SECRETS)
    assert len(names) == 8 and all(item["created"] for item in report["secrets"])

    kms, sm = moto_server.kms(), moto_server.secretsmanager()
    key_arn = report["key_arn"]
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    assert kms.describe_key(KeyId=report["alias"])["KeyMetadata"]["Arn"] == key_arn
    key_policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    assert key_policy["Statement"][0]["Sid"] == "AccountAdministration"
    for item in report["secrets"]:
        described = sm.describe_secret(SecretId=item["name"])
        assert described["KmsKeyId"] == key_arn
        assert "AWSCURRENT" not in json.dumps(described.get("VersionIdsToStages", {})), (
            "created empty: migrate apply writes the value"
        )

    read, decrypt = report["policy"]["Statement"]
    assert sorted(read["Resource"]) == sorted(item["arn"] for item in report["secrets"])
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert decrypt["Resource"] == key_arn
    via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == f"secretsmanager.{moto_server.region}.amazonaws.com"


def test_bootstrap_is_idempotent_and_keeps_existing_values(
    moto_server: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"gaara/prod-{uuid.uuid4().hex[:8]}"
    args = ("--prefix", prefix, "--name", "jwt-secret-key", "--name", "database-url")
    assert run(moto_server, *args, "--json") == 0
    first = json.loads(capsys.readouterr().out)
    sm = moto_server.secretsmanager()
    sm.put_secret_value(SecretId=f"{prefix}/jwt-secret-key", SecretString="already-set")
    assert run(moto_server, *args) == 0
    captured = capsys.readouterr()
    assert "(found)" in captured.err and "created " not in captured.err
    assert json.loads(captured.out) == first["policy"]
    value = sm.get_secret_value(SecretId=f"{prefix}/jwt-secret-key")["SecretString"]
    assert value == "already-set"
    assert "already-set" not in captured.out + captured.err


def test_bootstrap_function_with_an_app_role(moto_server: MotoServer) -> None:
    prefix = f"gaara/prod-{uuid.uuid4().hex[:8]}"
    role = "arn:aws:iam::123456789012:role/gaara-prod-app"
    report = bootstrap(
        moto_server.kms(),
        moto_server.secretsmanager(),
        names=qualified_names(prefix, ["stripe-api-key"]),
        alias=f"alias/{prefix.replace('/', '-')}",
        region=moto_server.region,
        app_role_arn=role,
    )
    policy = json.loads(
        moto_server.kms().get_key_policy(KeyId=report.key_arn, PolicyName="default")["Policy"]
    )
    app = policy["Statement"][1]
    assert app["Principal"] == {"AWS": role} and app["Action"] == "kms:Decrypt"


def test_bootstrap_needs_a_prefix_and_region(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("SECRETS_MANAGER_PREFIX", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["aws", "bootstrap", "--region", "us-east-1"]) == 3
    assert main(["aws", "bootstrap", "--prefix", "gaara/prod"]) == 3


def test_policy_refuses_wildcards() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd"
    with pytest.raises(ValueError, match="wildcard"):
        app_policy_for_arns(
            ["arn:aws:secretsmanager:us-east-1:123456789012:secret:*"],
            kms_key_arn=key,
            region="us-east-1",
        )
    with pytest.raises(ValueError, match="at least one"):
        app_policy_for_arns([], kms_key_arn=key, region="us-east-1")


def test_bootstrap_from_the_migration_plan_of_a_dotenv(
    moto_server: MotoServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    prefix = f"gaara/prod-{uuid.uuid4().hex[:8]}"
    example = REPO_ROOT / "examples" / "gaara_store" / ".env.example"
    dotenv = tmp_path / ".env"
    dotenv.write_text(example.read_text() + f"\nEXTRA_API_KEY={SENTINEL}\n")
    assert run(moto_server, "--prefix", prefix, "--from", str(dotenv), "--json") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    names = sorted(item["name"] for item in report["secrets"])
    expected = {f"{prefix}/{name}" for name in GAARA_STORE_SECRETS}
    assert set(names) == expected | {f"{prefix}/extra-api-key"}
    assert not any(name.endswith(("/environment", "/log-level", "/flask-app")) for name in names)
    assert SENTINEL not in captured.out + captured.err
    stored = moto_server.secretsmanager().describe_secret(SecretId=f"{prefix}/extra-api-key")
    assert "AWSCURRENT" not in json.dumps(stored.get("VersionIdsToStages", {}))


def test_a_refusal_says_what_failed_and_what_to_check(
    moto_server: MotoServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert run(moto_server, "--prefix", f"gaara/prod-{uuid.uuid4().hex[:8]}") == 1
    error = capsys.readouterr().err
    assert "AWS refused the bootstrap (NoCredentialsError)" in error
    assert "--region" in error and "administrator" in error


def test_an_alias_without_its_prefix_is_a_usage_error(
    moto_server: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(moto_server, "--prefix", "gaara/prod", "--alias", "gaara-prod") == 2
    assert "starts with alias/" in capsys.readouterr().err
