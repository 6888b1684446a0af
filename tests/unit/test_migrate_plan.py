"""Pure planning: classification, names, groups, actions and fingerprints."""

from __future__ import annotations

import json

import pytest

from secrets_adapter.dotenv_file import parse_dotenv
from secrets_adapter.errors import MigrationError, SecretScheduledForDeletionError
from secrets_adapter.migrate import (
    Action,
    Fingerprinter,
    KeyClass,
    MigrationRules,
    classify_key,
    desired_secrets,
    plan_migration,
)
from secrets_adapter.migrate.classify import propose_rotator
from secrets_adapter.models import Secret, SecretValue, Stage
from tests.sentinel import SENTINEL

GAARA_ENV = """\
ENVIRONMENT=development
FLASK_APP=gaara_store.app
LOG_LEVEL=info
DATABASE_URL=postgresql://gaara:pw@127.0.0.1:5432/gaara_store
JWT_SECRET_KEY=a
JWT_REFRESH_SECRET_KEY=b
ENCRYPTION_KEY=c
AWS_ACCESS_KEY_ID=d
AWS_SECRET_ACCESS_KEY=e
SENDGRID_API_KEY=f
STRIPE_API_KEY=g
OAUTH_CLIENT_SECRET=h
REDIS_URL=redis://:hunter2@cache:6379/0
PUBLIC_URL=https://shop.example
SECRETS_ADAPTER_MASTER_KEY=never-migrated
EMPTY_TOKEN=
"""


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("JWT_SECRET_KEY", "x", KeyClass.SECRET),
        ("AWS_ACCESS_KEY_ID", "x", KeyClass.SECRET),
        ("DB_PASSWORD", "x", KeyClass.SECRET),
        ("GITHUB_TOKEN", "x", KeyClass.SECRET),
        ("DATABASE_URL", "sqlite:///x.db", KeyClass.SECRET),
        ("REDIS_URL", "redis://user:pw@host/0", KeyClass.SECRET),
        ("PUBLIC_URL", "https://shop.example/a@b", KeyClass.CONFIG),
        ("LOG_LEVEL", "info", KeyClass.CONFIG),
        ("SECRETS_ADAPTER_MASTER_KEY", "x", KeyClass.CONFIG),
        ("KEYBOARD_LAYOUT", "fr", KeyClass.CONFIG),
    ],
)
def test_default_classification(key: str, value: str, kind: KeyClass) -> None:
    assert classify_key(key, value).kind is kind


def test_user_rules_come_first_and_config_wins() -> None:
    assert classify_key("LOG_LEVEL", "x", secret_patterns=("LOG_*",)).kind is KeyClass.SECRET
    verdict = classify_key("JWT_SECRET_KEY", "x", config_patterns=("JWT_*",))
    assert verdict.kind is KeyClass.CONFIG
    assert verdict.reason == "--config JWT_*"
    both = classify_key("A", "x", secret_patterns=("A",), config_patterns=("A",))
    assert both.kind is KeyClass.CONFIG


def test_the_gaara_store_env_maps_its_nine_secrets() -> None:
    desired, skipped = desired_secrets(parse_dotenv(GAARA_ENV), MigrationRules(prefix="gaara/prod"))
    assert [secret.name for secret in desired] == [
        "gaara/prod/aws-access-key",
        "gaara/prod/database-url",
        "gaara/prod/encryption-key",
        "gaara/prod/jwt-refresh-secret-key",
        "gaara/prod/jwt-secret-key",
        "gaara/prod/oauth-client-secret",
        "gaara/prod/redis-url",
        "gaara/prod/sendgrid-api-key",
        "gaara/prod/stripe-api-key",
    ]
    reasons = {skip.key: skip.reason for skip in skipped}
    assert set(reasons) == {
        "ENVIRONMENT",
        "FLASK_APP",
        "LOG_LEVEL",
        "PUBLIC_URL",
        "SECRETS_ADAPTER_MASTER_KEY",
        "EMPTY_TOKEN",
    }
    assert reasons["EMPTY_TOKEN"] == "empty value"
    assert {secret.name.removeprefix("gaara/prod/"): secret.rotator for secret in desired} == {
        "aws-access-key": "aws-iam-access-key",
        "database-url": "postgres",
        "encryption-key": "keyring",
        "jwt-refresh-secret-key": "jwt",
        "jwt-secret-key": "jwt",
        "oauth-client-secret": "external",
        "redis-url": "external",
        "sendgrid-api-key": "external",
        "stripe-api-key": "external",
    }


def test_the_aws_key_pair_is_one_json_secret() -> None:
    text = f"AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY={SENTINEL}\n"
    text += "BACKUP_AWS_ACCESS_KEY_ID=AKIABACKUP\nBACKUP_AWS_SECRET_ACCESS_KEY=b+s/k\n"
    desired, _ = desired_secrets(parse_dotenv(text), MigrationRules(prefix="p"))
    by_name = {secret.name: secret for secret in desired}
    assert set(by_name) == {"p/aws-access-key", "p/backup-aws-access-key"}
    pair = by_name["p/aws-access-key"]
    assert pair.keys == ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert pair.value.json() == {"access_key_id": "AKIAEXAMPLE", "secret_access_key": SENTINEL}
    assert by_name["p/backup-aws-access-key"].value.json()["secret_access_key"] == "b+s/k"
    assert SENTINEL not in repr(pair)


def test_half_an_aws_pair_stays_its_own_secret() -> None:
    desired, _ = desired_secrets(parse_dotenv("AWS_ACCESS_KEY_ID=AKIA\n"), MigrationRules())
    (only,) = desired
    assert (only.name, only.value.reveal_text()) == ("aws-access-key-id", "AKIA")
    assert "half an AWS key pair" in only.rotator_reason


@pytest.mark.parametrize(
    ("key", "value", "rotator"),
    [
        ("DATABASE_URL", "postgresql+psycopg://u:p@db/x?sslmode=require", "postgres"),
        ("DATABASE_URL", "sqlite:///gaara.db", None),
        ("DATABASE_URL", "mysql://u:p@db/x", "external"),
        ("ANALYTICS_DB", "postgres://u:p@db:5432/x", "postgres"),
        ("JWT_SECRET_KEY", "x", "jwt"),
        ("ENCRYPTION_KEY", "x", "keyring"),
        ("GITHUB_TOKEN", "x", "external"),
        ("OAUTH_CLIENT_SECRET", "x", "external"),
        ("SECRET_KEY", "x", "random"),
        ("SOME_PASSWORD", "x", "external"),
    ],
)
def test_proposed_rotator(key: str, value: str, rotator: str | None) -> None:
    assert propose_rotator(key, value).rotator == rotator


def test_group_makes_one_json_secret() -> None:
    text = "DATABASE_URL=postgres://x\nDATABASE_PASSWORD=pw\nDATABASE_POOL_SIZE=5\nJWT_KEY=j\n"
    desired, _ = desired_secrets(
        parse_dotenv(text), MigrationRules(prefix="gaara/prod", groups=("DATABASE",))
    )
    by_name = {secret.name: secret for secret in desired}
    database = by_name["gaara/prod/database"]
    assert database.keys == ("DATABASE_URL", "DATABASE_PASSWORD", "DATABASE_POOL_SIZE")
    assert json.loads(database.value.reveal_text()) == {
        "url": "postgres://x",
        "password": "pw",
        "pool_size": "5",
    }
    assert database.group == "DATABASE"
    assert "gaara/prod/jwt-key" in by_name


def test_unmappable_secret_keys_are_left_with_a_reason() -> None:
    _, skipped = desired_secrets(parse_dotenv("db_password=x\n"), MigrationRules())
    assert skipped[0].key == "db_password"
    assert "no secret name" in skipped[0].reason


def test_two_keys_for_one_name_is_an_error() -> None:
    text = "DATABASE=x\nDATABASE_URL=y\n"
    with pytest.raises(MigrationError, match="same secret: database"):
        desired_secrets(
            parse_dotenv(text),
            MigrationRules(secret_patterns=("DATABASE",), groups=("DATABASE",)),
        )


def test_bad_group_stem_is_an_error() -> None:
    with pytest.raises(MigrationError, match="upper-case variable stem"):
        desired_secrets(parse_dotenv("x_y=1\n"), MigrationRules(groups=("x",)))


def _secret(name: str, value: str, version: str) -> Secret:
    return Secret(
        name=name, value=SecretValue(value), version_id=version, stages=frozenset({Stage.CURRENT})
    )


def test_plan_actions_and_fingerprints() -> None:
    text = f"A_TOKEN=new\nB_TOKEN=same\nC_TOKEN={SENTINEL}\nD_TOKEN=gone\n"
    desired, _ = desired_secrets(parse_dotenv(text), MigrationRules())
    fingerprint = Fingerprinter(b"k" * 32)
    deleted = SecretScheduledForDeletionError("scheduled for deletion", secret_name="d-token")
    plan = plan_migration(
        desired,
        {
            "a-token": _secret("a-token", "old", "v1"),
            "b-token": _secret("b-token", "same", "v2"),
            "d-token": deleted,
        },
        fingerprint,
    )
    actions = {item.name: item for item in plan.items}
    assert actions["a-token"].action is Action.UPDATE
    assert actions["a-token"].current_version == "v1"
    assert actions["a-token"].current_fingerprint == fingerprint(SecretValue("old"))
    assert actions["b-token"].action is Action.UNCHANGED
    assert actions["c-token"].action is Action.CREATE
    assert actions["d-token"].action is Action.BLOCKED
    assert [item.name for item in plan.to_write] == ["a-token", "c-token"]
    assert plan.count(Action.UNCHANGED) == 1
    assert SENTINEL not in repr(plan)
    assert actions["c-token"].fingerprint.startswith("fp:")


def test_fingerprints_are_keyed() -> None:
    value = SecretValue("hunter2")
    assert Fingerprinter(b"a" * 32)(value) == Fingerprinter(b"a" * 32)(value)
    assert Fingerprinter(b"a" * 32)(value) != Fingerprinter(b"b" * 32)(value)
    assert Fingerprinter()(SecretValue(b"\x00")).startswith("fp:b")
    assert repr(Fingerprinter()) == "Fingerprinter()"
