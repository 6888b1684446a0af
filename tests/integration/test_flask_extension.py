"""The Flask extension: config from the store, fail-fast start, rotation without restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, current_app

from secrets_adapter import ConfigurationError, SecretsAdapter, ValidationError
from secrets_adapter.cli.main import cli
from secrets_adapter.integrations.flask import (
    EXTENSION_KEY,
    GAARA_STORE_SECRETS,
    FlaskSecrets,
)
from secrets_adapter.references import SecretReference, parse_mapping_reference
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL

PREFIX = "gaara/prod"


def _adapter(**values: str) -> SecretsAdapter:
    provider = InMemoryProvider({f"{PREFIX}/{name}": value for name, value in values.items()})
    return SecretsAdapter(provider=provider, prefix=PREFIX)


def _all_nine(**override: str) -> SecretsAdapter:
    values = {name: f"value-of-{name}" for name in GAARA_STORE_SECRETS}
    values["aws-access-key"] = '{"access_key_id": "AKIA1", "secret_access_key": "s"}'
    values.update(override)
    return _adapter(**values)


def test_config_values_come_from_the_store() -> None:
    app = Flask(__name__)
    FlaskSecrets(app, adapter=_all_nine(**{"jwt-secret-key": SENTINEL}))
    assert app.config["JWT_SECRET_KEY"] == SENTINEL
    assert app.config.get("SQLALCHEMY_DATABASE_URI") == "value-of-database-url"
    assert app.extensions[EXTENSION_KEY].adapter.prefix == PREFIX
    assert SENTINEL not in repr(app.config)


def test_start_fails_fast_naming_every_missing_secret() -> None:
    app = Flask(__name__)
    adapter = _adapter(**{"database-url": "x"})
    with pytest.raises(ConfigurationError) as info:
        FlaskSecrets(app, adapter=adapter)
    message = str(info.value)
    assert "JWT_SECRET_KEY <- gaara/prod/jwt-secret-key" in message
    assert "STRIPE_API_KEY <- gaara/prod/stripe-api-key" in message
    assert "SQLALCHEMY_DATABASE_URI" not in message


def test_a_rotated_value_is_seen_without_restart() -> None:
    app = Flask(__name__)
    adapter = _all_nine()
    FlaskSecrets(app, adapter=adapter)
    with app.app_context():
        before = current_app.config["STRIPE_API_KEY"]
        adapter.put_secret("stripe-api-key", "sk_rotated")
        assert before == "value-of-stripe-api-key"
        assert current_app.config["STRIPE_API_KEY"] == "sk_rotated"


def test_json_key_references() -> None:
    app = Flask(__name__)
    adapter = _adapter(database='{"url": "postgresql://db", "password": "pw"}')
    FlaskSecrets(app, adapter=adapter, mapping={"DB_URL": "database#url"})
    assert app.config["DB_URL"] == "postgresql://db"
    with pytest.raises(ConfigurationError, match=r"DB_PW <- gaara/prod/database#pw"):
        FlaskSecrets(Flask(__name__), adapter=adapter, mapping={"DB_PW": "database#pw"})


def test_mapping_values_are_parsed_by_the_one_reference_parser() -> None:
    assert parse_mapping_reference("secret://a/b#k") == SecretReference(name="a/b", key="k")
    assert parse_mapping_reference("name") == SecretReference(name="name")
    assert str(SecretReference(name="a", key="k")) == "secret://a#k"
    with pytest.raises(ValidationError, match="empty key"):
        FlaskSecrets(Flask(__name__), adapter=_all_nine(), mapping={"DB": "database#"})
    with pytest.raises(ValidationError, match="Invalid secret name"):
        FlaskSecrets(Flask(__name__), adapter=_all_nine(), mapping={"DB": "bad name"})


def test_plain_config_keys_are_untouched() -> None:
    app = Flask(__name__)
    app.config["DEBUG_TOOLBAR"] = False
    FlaskSecrets(app, adapter=_all_nine())
    assert app.config["DEBUG_TOOLBAR"] is False
    assert dict(app.config.items())["ENCRYPTION_KEY"] == "value-of-encryption-key"


@pytest.fixture
def app_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process environment ``FlaskSecrets(app)`` reads when given no adapter."""
    for variable in list(os.environ):
        if variable.startswith("SECRETS_") or variable == "ENVIRONMENT":
            monkeypatch.delenv(variable)
    monkeypatch.setenv("SECRETS_MANAGER_PREFIX", PREFIX)
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgresql://from-dotenv\n")
    monkeypatch.setenv("SECRETS_ADAPTER_ENV_FILE", str(env_file))
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(tmp_path / "store"))
    return tmp_path


MAPPING = {"SQLALCHEMY_DATABASE_URI": "database-url"}


def test_development_reads_the_env_file(app_environment: Path) -> None:
    app = Flask(__name__)
    secrets = FlaskSecrets(app, mapping=MAPPING)
    assert secrets.adapter.backend == "env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql://from-dotenv"


def test_production_uses_the_configured_store_and_never_the_env_file(
    app_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError, match="SECRETS_BACKEND is not set"):
        FlaskSecrets(Flask(__name__), mapping=MAPPING)
    monkeypatch.setenv("SECRETS_BACKEND", "local")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    put = runner.invoke(cli, ["put", f"{PREFIX}/database-url"], input="postgresql://from-store")
    assert put.exit_code == 0, put.output
    app = Flask(__name__)
    secrets = FlaskSecrets(app, mapping=MAPPING)
    assert secrets.adapter.backend == "local"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql://from-store"
