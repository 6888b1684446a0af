"""secret:// references: parsing, resolution through the adapter, errors without values."""

from __future__ import annotations

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import (
    PolicyDeniedError,
    SecretFormatError,
    SecretNotFoundError,
    ValidationError,
)
from secrets_adapter.policy import parse_policy
from secrets_adapter.references import SecretReference, parse_reference, resolve_references
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL


def test_parse() -> None:
    assert parse_reference("plain") is None
    assert parse_reference("secrets://x") is None
    assert parse_reference("secret://gaara/prod/db") == SecretReference(name="gaara/prod/db")
    reference = parse_reference("secret://db#url")
    assert reference == SecretReference(name="db", key="url")
    assert str(reference) == "secret://db#url"
    with pytest.raises(ValidationError, match="1-512 characters"):
        parse_reference("secret://bad name")
    with pytest.raises(ValidationError, match="empty key"):
        parse_reference("secret://db#")


@pytest.fixture
def adapter() -> SecretsAdapter:
    provider = InMemoryProvider(
        {
            "gaara/prod/database": '{"url": "postgres://db", "port": 5432}',
            "gaara/prod/jwt-secret-key": SENTINEL,
        }
    )
    return SecretsAdapter(provider=provider, prefix="gaara/prod")


def test_resolve_env(adapter: SecretsAdapter) -> None:
    environ = {
        "PATH": "/usr/bin",
        "JWT_SECRET_KEY": "secret://jwt-secret-key",
        "DATABASE_URL": "secret://gaara/prod/database#url",
        "DATABASE_PORT": "secret://database#port",
        "NOT_A_REFERENCE": "see secret://x",
    }
    resolved = adapter.resolve_env(environ)
    assert resolved == {
        "PATH": "/usr/bin",
        "JWT_SECRET_KEY": SENTINEL,
        "DATABASE_URL": "postgres://db",
        "DATABASE_PORT": "5432",
        "NOT_A_REFERENCE": "see secret://x",
    }
    assert environ["JWT_SECRET_KEY"] == "secret://jwt-secret-key"


def test_resolve_env_defaults_to_the_process_environment(
    adapter: SecretsAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_FROM_ENV", "secret://jwt-secret-key")
    assert adapter.resolve_env()["JWT_FROM_ENV"] == SENTINEL


def test_unresolvable_reference_names_the_variable(adapter: SecretsAdapter) -> None:
    with pytest.raises(SecretNotFoundError) as info:
        adapter.resolve_env({"A": "secret://missing"})
    assert str(info.value).startswith("A=secret://missing: ")
    with pytest.raises(SecretFormatError, match=r"DB=secret://database#user: .*no key 'user'"):
        adapter.resolve_env({"DB": "secret://database#user"})
    with pytest.raises(SecretFormatError) as not_json:
        adapter.resolve_env({"K": "secret://jwt-secret-key#x"})
    assert SENTINEL not in str(not_json.value)


def test_resolve_references_with_any_lookup() -> None:
    calls: list[tuple[str, str | None]] = []

    def lookup(name: str, key: str | None) -> str:
        calls.append((name, key))
        return "v"

    assert resolve_references({"A": "secret://n#k", "B": "b"}, lookup) == {"A": "v", "B": "b"}
    assert calls == [("n", "k")]


def test_a_denied_reference_keeps_who_was_refused_what() -> None:
    allow_a = {"effect": "allow", "principals": ["api"], "actions": ["read"], "secrets": ["a"]}
    policy = parse_policy({"statement": [allow_a]})
    adapter = SecretsAdapter(provider=InMemoryProvider({"b": "v"}), principal="api", policy=policy)
    with pytest.raises(PolicyDeniedError) as denied:
        adapter.resolve_env({"B": "secret://b"})
    assert str(denied.value).startswith("B=secret://b: ")
    assert (denied.value.principal, denied.value.action) == ("api", "read")
