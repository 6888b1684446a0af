"""load_settings: pure, explicit, and strict where a silent default would hurt."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from secrets_adapter.config import load_settings
from secrets_adapter.errors import ConfigurationError
from tests.sentinel import SENTINEL


def test_development_defaults_to_the_env_provider() -> None:
    settings = load_settings({})
    assert settings.backend == "env"
    assert settings.environment == "development"


def test_production_requires_an_explicit_backend() -> None:
    with pytest.raises(ConfigurationError, match="never falls back"):
        load_settings({"ENVIRONMENT": "production"})
    assert load_settings({"ENVIRONMENT": "production", "SECRETS_BACKEND": "aws"}).is_production


def test_all_variables_are_read() -> None:
    settings = load_settings(
        {
            "SECRETS_BACKEND": "local",
            "SECRETS_MANAGER_PREFIX": "gaara/prod/",
            "SECRETS_ADAPTER_PATH": "/srv/store",
            "SECRETS_ADAPTER_MASTER_KEY": SENTINEL,
            "SECRETS_ADAPTER_CACHE_TTL": "60",
            "SECRETS_ADAPTER_MAX_STALE": "600",
            "SECRETS_ADAPTER_MIN_REFRESH_INTERVAL": "2.5",
            "AWS_REGION": "eu-west-1",
            "VAULT_ADDR": "http://127.0.0.1:8201",
            "VAULT_TOKEN": SENTINEL,
        }
    )
    assert settings.prefix == "gaara/prod"
    assert settings.local.path == Path("/srv/store")
    assert settings.aws.region == "eu-west-1"
    assert settings.aws.prefix == settings.vault.prefix == settings.env.prefix == "gaara/prod"
    assert settings.cache.ttl == timedelta(seconds=60)
    assert settings.cache.max_stale == timedelta(minutes=10)
    assert settings.cache.min_refresh_interval == timedelta(seconds=2.5)
    assert settings.vault.url == "http://127.0.0.1:8201"
    assert SENTINEL not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SECRETS_BACKEND": "s3"}, "not one of"),
        ({"ENVIRONMENT": "prod"}, "not one of"),
        ({"SECRETS_ADAPTER_CACHE_TTL": "five"}, "number of seconds"),
        ({"SECRETS_ADAPTER_CACHE_TTL": "-1"}, "negative"),
        ({"SECRETS_ADAPTER_MAX_STALE": "1h"}, "SECRETS_ADAPTER_MAX_STALE must be a number"),
    ],
)
def test_bad_values_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ)
