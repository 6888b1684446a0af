"""``aws-iam-access-key`` against moto_server over HTTP (IAM and STS), through the CLI: the pair
that ``migrate`` grouped from the demo's ``.env`` rotates, the old key is deactivated then deleted,
the two-keys limit is handled, and ``rollback``/``exec`` still give both variables."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from secrets_adapter.cli.main import cli
from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file
from secrets_adapter.errors import ProviderError, RotationError
from secrets_adapter.models import Secret, SecretValue
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.rotators.aws_access_key import AccessKeyPair, AwsAccessKeyRotator
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.testing import InMemoryProvider
from tests.fixtures.aws import MotoServer
from tests.unit.rotation.helpers import START, FakeClock

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gaara_store" / ".env.example"
NAME = "gaara/prod/aws-access-key"
USER = "gaara-store"


def sa(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _keys(moto: MotoServer, user: str = USER) -> dict[str, str]:
    listed = moto.iam().list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {key["AccessKeyId"]: key["Status"] for key in listed}


def _caller(moto: MotoServer, pair: dict[str, str]) -> str:
    sts = boto3.client(
        "sts",
        region_name=moto.region,
        endpoint_url=moto.endpoint_url,
        aws_access_key_id=pair["access_key_id"],
        aws_secret_access_key=pair["secret_access_key"],
    )
    return str(sts.get_caller_identity()["Arn"])


def _stored() -> dict[str, str]:
    got = sa("get", NAME)
    assert got.exit_code == 0, got.output
    data: dict[str, str] = json.loads(got.stdout)
    return data


@pytest.fixture
def migrated(moto_server: MotoServer, cli_store: Path, tmp_path: Path) -> dict[str, Any]:
    """A real IAM user and key, put into the demo's .env and migrated with --configure-rotation."""
    moto_server.reset()
    iam = moto_server.iam()
    iam.create_user(UserName=USER)
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    lines = [
        f"{line.partition('=')[0]}={env[line.partition('=')[0]]}"
        if line.partition("=")[0] in env
        else line
        for line in ENV_EXAMPLE.read_text().splitlines()
    ]
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    plan = sa(
        "migrate",
        "plan",
        "--no-interpolate",
        "--from",
        str(env_file),
        "--prefix",
        "gaara/prod",
        "--json",
    )
    rows = {row["name"]: row for row in json.loads(plan.stdout)["secrets"]}
    assert rows[NAME]["keys"] == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    assert rows[NAME]["rotator"] == "aws-iam-access-key"
    applied = sa(
        "migrate", "apply", "--no-interpolate", "--from", str(env_file), "--prefix", "gaara/prod",
        "--configure-rotation",
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert key["SecretAccessKey"] not in applied.output + plan.output
    endpoint = f"endpoint-url={moto_server.endpoint_url}"
    configured = sa(
        "rotation", "configure", NAME, "--rotator", "aws-iam-access-key", "--option", endpoint
    )
    assert configured.exit_code == 0, configured.output
    return {"env_file": env_file, "first": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def test_rotation_creates_tests_and_retires_access_keys(
    moto_server: MotoServer, migrated: dict[str, Any]
) -> None:
    first = migrated["first"]
    assert _stored() == {"access_key_id": first, "secret_access_key": migrated["secret"]}
    rotated = sa("rotate", NAME)
    assert rotated.exit_code == 0, rotated.output
    second = _stored()
    assert second["access_key_id"] != first and set(second) == {
        "access_key_id",
        "secret_access_key",
    }
    assert _caller(moto_server, second).endswith(f":user/{USER}")
    assert _keys(moto_server) == {first: "Inactive", second["access_key_id"]: "Active"}
    assert second["secret_access_key"] not in rotated.output
    again = sa("rotate", NAME)  # the limit of two: the inactive old key is deleted first
    assert again.exit_code == 0, again.output
    third = _stored()
    assert _keys(moto_server) == {
        second["access_key_id"]: "Inactive",
        third["access_key_id"]: "Active",
    }


def test_two_active_keys_refuse_and_keep_current(
    moto_server: MotoServer, migrated: dict[str, Any]
) -> None:
    other = moto_server.iam().create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    refused = sa("rotate", NAME)
    assert refused.exit_code != 0
    text = " ".join(refused.output.split())
    assert "already has two active access keys" in text and f"Deactivate {other}" in text
    assert _stored()["access_key_id"] == migrated["first"]
    assert _keys(moto_server) == {migrated["first"]: "Active", other: "Active"}


def test_rollback_and_exec_give_both_variables(
    moto_server: MotoServer, migrated: dict[str, Any], tmp_path: Path
) -> None:
    assert sa("rotate", NAME).exit_code == 0
    pair = _stored()
    rollback = tmp_path / "rollback.env"
    done = sa("rollback", "--no-interpolate", "--to", str(rollback), "--prefix", "gaara/prod")
    assert done.exit_code == 0, done.output
    restored = entries_as_dict(read_dotenv_file(rollback))
    assert restored["AWS_ACCESS_KEY_ID"] == pair["access_key_id"]
    assert restored["AWS_SECRET_ACCESS_KEY"] == pair["secret_access_key"]
    assert "AWS_ACCESS_KEY" not in restored
    original = entries_as_dict(read_dotenv_file(migrated["env_file"]))
    assert restored["STRIPE_API_KEY"] == original["STRIPE_API_KEY"]
    seen = tmp_path / "seen.json"
    program = (
        "import json, os, sys; json.dump({k: os.environ.get(k) for k in "
        "('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY')}, open(sys.argv[1], 'w'))"
    )
    child = ("--prefix", "gaara/prod", "--", sys.executable, "-c", program, str(seen))
    ran = sa("exec", "--override", *child)
    assert ran.exit_code == 0, ran.output
    assert json.loads(seen.read_text()) == {
        "AWS_ACCESS_KEY_ID": pair["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": pair["secret_access_key"],
        "AWS_ACCESS_KEY": None,
    }
    # without --override the caller's own credentials (an IRSA role's, here moto's) win, both
    # variables together: never the caller's key id beside the stored secret key
    assert os.environ["AWS_ACCESS_KEY_ID"] != pair["access_key_id"]
    ran = sa("exec", *child)
    assert ran.exit_code == 0, ran.output
    assert json.loads(seen.read_text()) == {
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "AWS_ACCESS_KEY": None,
    }


def test_the_test_step_refuses_a_key_of_another_user(moto_server: MotoServer) -> None:
    moto_server.reset()
    iam = moto_server.iam()
    for user in (USER, "someone-else"):
        iam.create_user(UserName=user)
    mine = iam.create_access_key(UserName=USER)["AccessKey"]
    theirs = iam.create_access_key(UserName="someone-else")["AccessKey"]

    def pair(key: Mapping[str, Any]) -> SecretValue:
        return AccessKeyPair(
            access_key_id=key["AccessKeyId"], secret_access_key=SecretValue(key["SecretAccessKey"])
        ).to_value()

    context = RotationContext(
        name=NAME,
        token="t-1",
        current=Secret(name=NAME, value=pair(mine), version_id="v1"),
        now=START,
        options={"endpoint-url": moto_server.endpoint_url, "test-seconds": "0"},
    )
    with pytest.raises(
        ProviderError, match="belongs to IAM user 'someone-else', not 'gaara-store'"
    ):
        AwsAccessKeyRotator().test(context, pair(theirs))


def test_the_old_key_is_deleted_only_after_its_grace(moto_server: MotoServer) -> None:
    moto_server.reset()
    iam = moto_server.iam()
    iam.create_user(UserName=USER)
    first = iam.create_access_key(UserName=USER)["AccessKey"]
    clock = FakeClock()
    provider = InMemoryProvider(clock=clock)
    provider.put(
        NAME,
        AccessKeyPair(
            access_key_id=first["AccessKeyId"],
            secret_access_key=SecretValue(first["SecretAccessKey"]),
            user_name=USER,  # where the key may not call sts:GetCallerIdentity for it
        ).to_value(),
    )
    options = {"endpoint-url": moto_server.endpoint_url, "grace": "7d"}
    provider.set_tags(
        NAME, rotation_config_tags(rotator="aws-iam-access-key", every=None, options=options)
    )
    engine = RotationEngine(provider, {"aws-iam-access-key": AwsAccessKeyRotator()}, clock=clock)
    engine.rotate(NAME)
    second = AccessKeyPair.from_value(provider.get(NAME).value).access_key_id
    assert provider.get(NAME).value.json()["user_name"] == USER, "kept in the new value"
    clock.advance(timedelta(days=6))
    with pytest.raises(RotationError) as refused:
        engine.rotate(NAME)
    assert refused.value.step == "create" and "in its grace of 7d" in refused.value.message
    assert _keys(moto_server) == {first["AccessKeyId"]: "Inactive", second: "Active"}
    assert AccessKeyPair.from_value(provider.get(NAME).value).access_key_id == second
    clock.advance(timedelta(days=1))
    engine.rotate(NAME)  # resumes at create, now past the grace
    third = AccessKeyPair.from_value(provider.get(NAME).value).access_key_id
    assert _keys(moto_server) == {second: "Inactive", third: "Active"}
