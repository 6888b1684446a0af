"""The AWS key pair: two variables ⇄ one JSON secret, for migrate, rollback, exec and the env
backend (an app reads ``aws-access-key#access_key_id`` in development and production alike)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_adapter.aws_key_pair import expand_pair, pair_stem, pair_value, pair_variables
from secrets_adapter.errors import SecretNotFoundError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.env import EnvProvider
from tests.sentinel import SENTINEL


def test_pair_round_trip() -> None:
    value = pair_value("AKIA1", SENTINEL)
    assert expand_pair("AWS_ACCESS_KEY", value) == [
        ("AWS_ACCESS_KEY_ID", "AKIA1"),
        ("AWS_SECRET_ACCESS_KEY", SENTINEL),
    ]
    assert expand_pair("BACKUP_AWS_ACCESS_KEY", value) == [
        ("BACKUP_AWS_ACCESS_KEY_ID", "AKIA1"),
        ("BACKUP_AWS_SECRET_ACCESS_KEY", SENTINEL),
    ]
    assert pair_variables("AWS_ACCESS_KEY") == ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert (pair_stem("AWS_ACCESS_KEY_ID"), pair_stem("X_AWS_SECRET_ACCESS_KEY")) == ("", "X_")
    assert pair_stem("MY_AWS_ACCESS_KEY_IDS") is None and pair_variables("AWS_KEY") is None


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("AWS_ACCESS_KEY", "plain-string"),
        ("AWS_ACCESS_KEY", '{"access_key_id": "A"}'),
        ("AWS_ACCESS_KEY", '["access_key_id", "secret_access_key"]'),
        ("AWS_ACCESS_KEY", '{"access_key_id": "A", "secret_access_key": 5}'),
        ("OTHER_KEY", '{"access_key_id": "A", "secret_access_key": "s"}'),
    ],
)
def test_what_is_not_a_pair_stays_one_variable(key: str, text: str) -> None:
    assert expand_pair(key, SecretValue(text)) is None


def test_the_env_backend_serves_the_pair_from_its_two_variables(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"AWS_ACCESS_KEY_ID=AKIA1\nAWS_SECRET_ACCESS_KEY={SENTINEL}\n")
    provider = EnvProvider(env_file=env_file, prefix="gaara/prod", include_environ=False)
    pair = provider.get("gaara/prod/aws-access-key").value.json()
    assert pair == {"access_key_id": "AKIA1", "secret_access_key": SENTINEL}
    assert provider.get("gaara/prod/aws-access-key-id").value.reveal_text() == "AKIA1"
    env_file.write_text("AWS_ACCESS_KEY_ID=AKIA1\n")
    with pytest.raises(SecretNotFoundError):
        provider.get("gaara/prod/aws-access-key")
