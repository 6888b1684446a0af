"""EnvProvider beyond the contract: prefix mapping, environment precedence, what it lists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.config import EnvSettings, Settings, load_settings
from secrets_adapter.dotenv_file import DotenvSyntaxError
from secrets_adapter.errors import ConfigurationError, SecretNotFoundError, ValidationError
from secrets_adapter.models import Stage
from secrets_adapter.providers.base import Provider, WritableProvider
from secrets_adapter.providers.env import EnvProvider
from secrets_adapter.providers.factory import build_provider
from tests.sentinel import SENTINEL


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text(
        "DATABASE_URL='postgresql://u:p@db/gaara'\n"
        "JWT_SECRET_KEY=jwt\n"
        "DEBUG=\n"
        "database_url=lowercase-is-configuration\n"
        "DB__REPLICA_URL=replica\n",
        encoding="utf-8",
    )
    return path


def test_names_map_with_the_prefix(env_file: Path) -> None:
    provider = EnvProvider(env_file=env_file, prefix="gaara/prod", include_environ=False)
    assert provider.get("gaara/prod/database-url").value.reveal() == "postgresql://u:p@db/gaara"
    assert provider.get("gaara/prod/db/replica-url").value.reveal() == "replica"
    with pytest.raises(SecretNotFoundError, match="outside the prefix"):
        provider.get("database-url")
    assert provider.list_names() == [
        "gaara/prod/database-url",
        "gaara/prod/db/replica-url",
        "gaara/prod/jwt-secret-key",
    ]
    assert provider.list_names("gaara/prod/db/") == ["gaara/prod/db/replica-url"]


def test_without_prefix_names_are_bare(env_file: Path) -> None:
    provider = EnvProvider(env_file=env_file, include_environ=False)
    assert provider.get("jwt-secret-key").value.reveal() == "jwt"
    assert "database-url" in provider.list_names()


def test_empty_variable_is_absent_and_not_listed(env_file: Path) -> None:
    provider = EnvProvider(env_file=env_file, include_environ=False)
    with pytest.raises(SecretNotFoundError, match="DEBUG is absent or empty"):
        provider.get("debug")
    assert "debug" not in provider.list_names()


def test_only_current_stage_and_its_version(env_file: Path) -> None:
    provider = EnvProvider(env_file=env_file, include_environ=False)
    secret = provider.get("jwt-secret-key")
    assert secret.stages == frozenset({Stage.CURRENT})
    assert provider.get("jwt-secret-key", version=secret.version_id).value.reveal() == "jwt"
    for stage in (Stage.PENDING, Stage.PREVIOUS):
        with pytest.raises(SecretNotFoundError, match="stage"):
            provider.get("jwt-secret-key", stage=stage)
    with pytest.raises(SecretNotFoundError, match="no version"):
        provider.get("jwt-secret-key", version="v1")


def test_version_id_changes_with_the_value(env_file: Path) -> None:
    provider = EnvProvider(env_file=env_file, include_environ=False)
    first = provider.get("jwt-secret-key").version_id
    assert provider.get("jwt-secret-key").version_id == first
    env_file.write_text("JWT_SECRET_KEY=rotated-value\n", encoding="utf-8")
    secret = provider.get("jwt-secret-key")
    assert secret.value.reveal() == "rotated-value"
    assert secret.version_id != first


def test_environment_wins_over_the_file_but_is_not_listed(env_file: Path) -> None:
    environ = {"JWT_SECRET_KEY": "from-env", "HOME": "/root", "STRIPE_API_KEY": "sk"}
    provider = EnvProvider(env_file=env_file, environ=environ)
    assert provider.get("jwt-secret-key").value.reveal() == "from-env"
    assert provider.get("stripe-api-key").value.reveal() == "sk"
    assert "home" not in provider.list_names()
    assert "stripe-api-key" not in provider.list_names()


def test_listed_environment_variables_are_opt_in(env_file: Path) -> None:
    environ = {"STRIPE_API_KEY": "sk", "SENDGRID_API_KEY": ""}
    provider = EnvProvider(
        env_file=env_file, environ=environ, list_environ=["STRIPE_API_KEY", "SENDGRID_API_KEY"]
    )
    names = provider.list_names()
    assert "stripe-api-key" in names
    assert "sendgrid-api-key" not in names


def test_include_environ_false_ignores_the_environment(env_file: Path) -> None:
    provider = EnvProvider(
        env_file=env_file,
        include_environ=False,
        environ={"STRIPE_API_KEY": "sk", "JWT_SECRET_KEY": "env"},
        list_environ=["STRIPE_API_KEY"],
    )
    assert provider.get("jwt-secret-key").value.reveal() == "jwt"
    with pytest.raises(SecretNotFoundError):
        provider.get("stripe-api-key")
    assert "stripe-api-key" not in provider.list_names()


def test_missing_file_is_empty_and_environment_still_reads(tmp_path: Path) -> None:
    provider = EnvProvider(env_file=tmp_path / "absent.env", environ={"API_KEY": "k"})
    assert provider.list_names() == []
    assert provider.get("api-key").value.reveal() == "k"
    assert EnvProvider(env_file=None, environ={}).list_names() == []


def test_malformed_file_is_a_configuration_error_without_the_value(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"A={SENTINEL}\nA='{SENTINEL}'\n", encoding="utf-8")
    provider = EnvProvider(env_file=env_file, include_environ=False)
    with pytest.raises(DotenvSyntaxError) as info:
        provider.get("a")
    assert "duplicate key A" in str(info.value)
    assert SENTINEL not in str(info.value)


def test_interpolation_only_when_configured(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("HOST=db\nDATABASE_URL=postgresql://${HOST}/x\n", encoding="utf-8")
    literal = EnvProvider(env_file=env_file, include_environ=False)
    assert literal.get("database-url").value.reveal() == "postgresql://${HOST}/x"
    expanding = EnvProvider(env_file=env_file, include_environ=False, interpolate=True)
    assert expanding.get("database-url").value.reveal() == "postgresql://db/x"


def test_oversized_value_is_a_validation_error_naming_the_variable(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BIG=" + "x" * 70_000 + "\n", encoding="utf-8")
    provider = EnvProvider(env_file=env_file, include_environ=False)
    with pytest.raises(ValidationError, match="Variable BIG for secret 'big'"):
        provider.get("big")


def test_unreadable_file_is_a_configuration_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n", encoding="utf-8")
    env_file.chmod(0)
    with pytest.raises(ConfigurationError, match="Cannot read the env file"):
        EnvProvider(env_file=env_file, include_environ=False).get("a")


def test_is_a_read_only_provider(env_file: Path) -> None:
    provider = EnvProvider(env_file=env_file)
    assert isinstance(provider, Provider)
    assert not isinstance(provider, WritableProvider)
    assert provider.kind == "env"
    assert repr(provider) == f"EnvProvider(env_file={env_file!r}, prefix='')"


def test_from_settings_and_the_factory(env_file: Path) -> None:
    settings = EnvSettings(env_file=env_file, prefix="/gaara/prod/", include_environ=False)
    provider = EnvProvider.from_settings(settings)
    assert provider.prefix == "gaara/prod"
    built = build_provider(Settings(backend="env", env=settings))
    assert isinstance(built, EnvProvider)
    assert built.get("gaara/prod/jwt-secret-key").value.reveal() == "jwt"


def test_adapter_reads_through_the_env_backend(env_file: Path) -> None:
    adapter = SecretsAdapter(backend="env", env_file=env_file, prefix="gaara/prod")
    assert adapter.get_secret_value("database-url") == "postgresql://u:p@db/gaara"
    assert adapter.get_secret("jwt-secret-key") == {"value": "jwt"}


def test_from_env_in_development_defaults_to_the_env_file(env_file: Path) -> None:
    settings = load_settings(
        {"SECRETS_ADAPTER_ENV_FILE": str(env_file), "SECRETS_MANAGER_PREFIX": "gaara/prod"}
    )
    adapter = SecretsAdapter(settings=settings)
    assert adapter.backend == "env"
    assert adapter.get_secret_value("jwt-secret-key") == "jwt"
