"""AWS as AWS users type it, checked against what the official ``aws`` CLI shows (moto_server):
custom staging labels, the AWS stage names, ARNs as names, and managed rotation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from secrets_adapter import SecretsAdapter, SecretValue, Stage
from secrets_adapter.cli.main import cli
from secrets_adapter.errors import PolicyDeniedError, SecretNotFoundError
from tests.fixtures.aws import MotoServer


@pytest.fixture
def adapter(moto_server: MotoServer) -> Iterator[SecretsAdapter]:
    moto_server.reset()
    built = SecretsAdapter(
        backend="aws",
        region=moto_server.region,
        endpoint_url=moto_server.endpoint_url,
        prefix="gaara/prod",
        cache=False,
    )
    yield built
    built.close()


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the CLI runs in: the aws backend on moto_server."""
    monkeypatch.setenv("SECRETS_BACKEND", "aws")
    monkeypatch.setenv("AWS_REGION", moto_server.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    monkeypatch.setenv("SECRETS_ADAPTER_CACHE_TTL", "0")


def _two_versions(adapter: SecretsAdapter, name: str = "db") -> tuple[str, str]:
    first = adapter.put_secret(name, "v1").version_id
    second = adapter.put_secret(name, "v2").version_id
    return first, second


def test_custom_label_set_with_the_aws_cli_shows_and_reads(
    adapter: SecretsAdapter, moto_server: MotoServer, aws_env: None
) -> None:
    first, _ = _two_versions(adapter)
    moto_server.aws_cli(
        "secretsmanager", "update-secret-version-stage", "--secret-id", "gaara/prod/db",
        "--version-stage", "MYLABEL", "--move-to-version-id", first,
    )  # fmt: skip
    listed = moto_server.aws_cli(
        "secretsmanager", "list-secret-version-ids", "--secret-id", "gaara/prod/db"
    )
    aws_labels = {v["VersionId"]: set(v["VersionStages"]) for v in listed["Versions"]}
    assert aws_labels[first] == {"AWSPREVIOUS", "MYLABEL"}

    described = adapter.describe_secret("db")
    info = next(v for v in described.versions if v.version_id == first)
    assert info.stages == {Stage.PREVIOUS}
    assert info.labels == {"MYLABEL"}
    assert adapter.get("db", stage="MYLABEL").value == SecretValue("v1")

    result = CliRunner().invoke(cli, ["versions", "gaara/prod/db", "--json"])
    assert result.exit_code == 0, result.output
    shown = {v["version"]: v for v in json.loads(result.output)}
    assert shown[first]["labels"] == ["MYLABEL"]
    assert shown[first]["stages"] == ["previous"]
    text = CliRunner().invoke(cli, ["versions", "gaara/prod/db"])
    assert f"{first}  previous,MYLABEL" in text.output
    got = CliRunner().invoke(cli, ["get", "gaara/prod/db", "--stage", "MYLABEL"])
    assert got.exit_code == 0 and got.output == "v1\n"


def test_aws_stage_names_are_aliases(adapter: SecretsAdapter, aws_env: None) -> None:
    first, second = _two_versions(adapter)
    assert adapter.get("db", stage="AWSCURRENT").version_id == second
    assert adapter.get("db", stage="AWSPREVIOUS").version_id == first
    assert adapter.get_secret_value("db", stage="previous") == "v1"
    assert Stage("AWSPENDING") is Stage.PENDING
    for flag in ("AWSPREVIOUS", "previous"):
        result = CliRunner().invoke(cli, ["get", "gaara/prod/db", "--stage", flag])
        assert result.exit_code == 0, result.output
        assert result.output == "v1\n"


def test_an_unknown_label_is_secret_not_found_not_key_error(
    adapter: SecretsAdapter, aws_env: None
) -> None:
    _two_versions(adapter)
    with pytest.raises(SecretNotFoundError):
        adapter.get("db", stage="MYSTAGE")
    with pytest.raises(SecretNotFoundError):
        adapter.get("db", stage="AWSPENDING")  # no rotation: no pending version
    result = CliRunner().invoke(cli, ["get", "gaara/prod/db", "--stage", "AWSPENDING"])
    assert result.exit_code == 1
    assert "not found" in result.output.lower() or "does not exist" in result.output


def test_full_and_partial_arns_are_names_and_are_not_prefixed(
    adapter: SecretsAdapter, moto_server: MotoServer, aws_env: None
) -> None:
    adapter.put_secret("db", "v1")
    arn = moto_server.aws_cli("secretsmanager", "describe-secret", "--secret-id", "gaara/prod/db")[
        "ARN"
    ]
    partial = arn[: -len("-AbC123")]
    assert partial.endswith(":secret:gaara/prod/db")
    for secret_id in (arn, partial):
        assert adapter.qualify(secret_id) == secret_id
        assert adapter.get_secret_value(secret_id) == "v1"
    both = adapter.get_many([arn, partial, "db"])
    assert {key: secret.value.reveal_text() for key, secret in both.items()} == {
        arn: "v1",
        partial: "v1",
        "db": "v1",
    }
    result = CliRunner().invoke(cli, ["get", arn])
    assert result.exit_code == 0 and result.output == "v1\n"


def test_an_arn_is_judged_by_the_policy_on_the_name_inside(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    moto_server.reset()
    writer = SecretsAdapter(
        backend="aws", region=moto_server.region, endpoint_url=moto_server.endpoint_url
    )
    writer.put_secret("gaara/prod/admin-key", "v1")
    arn = moto_server.secretsmanager().describe_secret(SecretId="gaara/prod/admin-key")["ARN"]
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[statement]]\neffect = "allow"\nprincipals = ["*"]\nactions = ["read"]\n'
        'secrets = ["*"]\n\n[[statement]]\neffect = "deny"\nprincipals = ["*"]\n'
        'actions = ["read"]\nsecrets = ["gaara/prod/admin-*"]\n'
    )
    guarded = SecretsAdapter(
        backend="aws",
        region=moto_server.region,
        endpoint_url=moto_server.endpoint_url,
        policy=policy,
    )
    with pytest.raises(PolicyDeniedError):
        guarded.get_secret_value(arn)
    with pytest.raises(PolicyDeniedError):
        guarded.get_secret_value(arn[: -len("-AbC123")])


def test_rotation_configure_with_a_lambda_enables_managed_rotation(
    adapter: SecretsAdapter, moto_server: MotoServer, aws_env: None
) -> None:
    adapter.put_secret("db", "v1")
    function_arn = moto_server.create_rotation_lambda()
    before = moto_server.aws_cli(
        "secretsmanager", "describe-secret", "--secret-id", "gaara/prod/db"
    )
    assert not before.get("RotationEnabled")
    result = CliRunner().invoke(
        cli,
        [
            "rotation", "configure", "gaara/prod/db", "--rotator", "random", "--every", "30d",
            "--option", f"lambda-arn={function_arn}",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = moto_server.aws_cli("secretsmanager", "describe-secret", "--secret-id", "gaara/prod/db")
    assert shown["RotationEnabled"] is True
    assert shown["RotationLambdaARN"] == function_arn
    assert shown["RotationRules"]["AutomaticallyAfterDays"] == 30
