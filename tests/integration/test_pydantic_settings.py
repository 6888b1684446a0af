"""``SecretsAdapterSettingsSource`` with pydantic-settings itself, on a real embedded store:
``SecretStr`` fields filled from a prefix, the environment ahead of the store (the source order
pydantic-settings documents), a missing secret left to pydantic's "Field required", a failure
named, and every read audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from secrets_adapter import PolicyDeniedError, SecretsAdapter
from secrets_adapter.localstore import init_store
from secrets_adapter.pydantic import SecretsAdapterSettingsSource
from tests.sentinel import SENTINEL


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("STRIPE_API_KEY", "SENDGRID_API_KEY", "DB_PASSWORD", "PORT"):
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "store"
    init_store(path)
    with SecretsAdapter("local", path=path) as admin:
        admin.put_secret("payments/stripe-api-key", SENTINEL)
        admin.put_secret("payments/sendgrid-api-key", "sg-from-the-store")
        admin.put_secret("payments/database", {"user": "gaara", "password": "db-from-the-store"})
    return path


def _settings_class(adapter: SecretsAdapter) -> type[BaseSettings]:
    class PaymentSettings(BaseSettings):
        model_config = SettingsConfigDict(env_file=None)

        stripe_api_key: SecretStr
        sendgrid_api_key: SecretStr | None = None
        db_password: SecretStr
        port: int = 8000  # plain configuration: never looked up in the store

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            store = SecretsAdapterSettingsSource(
                settings_cls,
                adapter,
                prefix="payments",
                names={"db_password": "payments/database#password"},
            )
            return init_settings, env_settings, dotenv_settings, store, file_secret_settings

    return PaymentSettings


def test_secret_fields_come_from_the_prefix_as_secret_str(store: Path, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with SecretsAdapter("local", path=store, audit_log=log) as adapter:
        settings = _settings_class(adapter)()
    values = settings.model_dump()
    assert isinstance(values["stripe_api_key"], SecretStr)
    assert values["stripe_api_key"].get_secret_value() == SENTINEL
    assert values["sendgrid_api_key"].get_secret_value() == "sg-from-the-store"
    assert values["db_password"].get_secret_value() == "db-from-the-store"
    assert values["port"] == 8000
    assert SENTINEL not in repr(settings) and SENTINEL not in str(settings)
    read = [
        json.loads(line)["requestParameters"]["secretId"] for line in log.read_text().splitlines()
    ]
    assert sorted(read) == [
        "payments/database",
        "payments/sendgrid-api-key",
        "payments/stripe-api-key",
    ]


def test_the_environment_wins_over_the_store_and_is_not_read(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_from_the_environment")
    monkeypatch.setenv("PORT", "9000")
    log = tmp_path / "audit.jsonl"
    with SecretsAdapter("local", path=store, audit_log=log) as adapter:
        settings = _settings_class(adapter)()
    values = settings.model_dump()
    assert values["stripe_api_key"].get_secret_value() == "sk_from_the_environment"
    assert values["port"] == 9000
    assert "payments/stripe-api-key" not in log.read_text()  # a field set ahead is not read
    # an explicit argument wins over both, as pydantic-settings documents
    with SecretsAdapter("local", path=store) as adapter:
        explicit = _settings_class(adapter)(stripe_api_key="sk_from_the_caller")
    assert explicit.model_dump()["stripe_api_key"].get_secret_value() == "sk_from_the_caller"


def test_a_missing_secret_is_pydantics_field_required(store: Path) -> None:
    with SecretsAdapter("local", path=store) as adapter:
        adapter.delete_secret("payments/stripe-api-key", force=True)
        adapter.delete_secret("payments/sendgrid-api-key", force=True)
        with pytest.raises(ValidationError) as failure:
            _settings_class(adapter)()
    errors = failure.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [(("stripe_api_key",), "missing")]


def test_a_denied_read_raises_naming_the_field_and_the_secret(store: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[statement]]\neffect = "allow"\nprincipals = ["payments"]\nactions = ["read"]\n'
        'secrets = ["payments/stripe-api-key", "payments/sendgrid-api-key"]\n'
    )
    with (
        SecretsAdapter("local", path=store, principal="payments", policy=policy) as adapter,
        pytest.raises(PolicyDeniedError) as failure,
    ):
        _settings_class(adapter)()
    assert "db_password" in failure.value.message
    assert "payments/database#password" in failure.value.message
    assert SENTINEL not in failure.value.message
