"""SecretsAdapter over the in-memory provider: the design-compatible API and its honest errors."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from secrets_adapter import (
    ConfigurationError,
    SecretFormatError,
    SecretNotFoundError,
    SecretsAdapter,
    SecretValue,
    Stage,
    ValidationError,
)
from secrets_adapter.config import LocalSettings, Settings
from secrets_adapter.events import AccessEvent, Event, Outcome
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL


def _adapter(seed: Mapping[str, str | bytes] | None = None, /, **secrets: str) -> SecretsAdapter:
    prefix = "gaara/prod"
    everything = {**(seed or {}), **secrets}
    provider = InMemoryProvider({f"{prefix}/{k}": v for k, v in everything.items()})
    return SecretsAdapter(provider=provider, prefix=prefix)


def test_get_secret_shapes_match_the_design() -> None:
    seed: dict[str, str | bytes] = {
        "database": '{"url": "postgresql://u:p@h/db", "port": 5432}',
        "jwt-secret-key": "abc",
        "blob": b"\x00\x01",
    }
    adapter = _adapter(seed)
    assert adapter.get_secret("database") == {"url": "postgresql://u:p@h/db", "port": 5432}
    assert adapter.get_secret("jwt-secret-key") == {"value": "abc"}
    assert adapter.get_secret("blob") == {"value": b"\x00\x01"}


def test_relative_names_get_the_prefix_and_full_names_pass_through() -> None:
    adapter = _adapter(**{"stripe-api-key": "sk_test"})
    assert adapter.get_secret_value("stripe-api-key") == "sk_test"
    assert adapter.get_secret_value("gaara/prod/stripe-api-key") == "sk_test"


def test_get_secret_value_by_key() -> None:
    adapter = _adapter(database='{"url": "postgresql://x", "port": 5432}')
    assert adapter.get_secret_value("database", "url") == "postgresql://x"
    assert adapter.get_secret_value("database", "port") == "5432"


def test_missing_key_is_an_error_naming_secret_and_key_never_empty() -> None:
    adapter = _adapter(database='{"url": "' + SENTINEL + '"}')
    with pytest.raises(SecretFormatError, match="no key 'password'") as info:
        adapter.get_secret_value("database", "password")
    assert "gaara/prod/database" in str(info.value)
    assert SENTINEL not in str(info.value)


def test_key_on_a_non_json_secret_is_a_format_error_without_the_value() -> None:
    adapter = _adapter(plain=SENTINEL)
    with pytest.raises(SecretFormatError) as info:
        adapter.get_secret_value("plain", "url")
    assert SENTINEL not in str(info.value)
    assert info.value.__cause__ is None


def test_key_on_malformed_json_names_the_secret_and_the_way_out() -> None:
    adapter = _adapter({"broken": "{" + SENTINEL, "literal-null": "null"})
    with pytest.raises(SecretFormatError) as info:
        adapter.get_secret_value("broken", "url")
    message = str(info.value)
    assert "'gaara/prod/broken' is not valid JSON" in message
    assert "without a key" in message
    assert info.value.secret_name == "gaara/prod/broken"
    assert SENTINEL not in message
    with pytest.raises(SecretFormatError, match="not a JSON object"):
        adapter.get_secret_value("literal-null", "url")


def test_deeply_nested_json_is_served_as_a_plain_string() -> None:
    nested = '{"a":' * 10_000  # past the parser's recursion limit, within 64 KiB
    assert _adapter(deep=nested).get_secret("deep") == {"value": nested}


def test_a_bad_value_error_names_the_secret_not_the_value() -> None:
    adapter = _adapter()
    with pytest.raises(ValidationError) as info:
        adapter.put_secret("empty", "")
    assert str(info.value).startswith("Secret 'gaara/prod/empty': Invalid secret value: a value")
    assert info.value.secret_name == "gaara/prod/empty"
    with pytest.raises(SecretFormatError) as surrogate:
        adapter.put_secret("lone", SENTINEL + "\udcff")
    assert "'gaara/prod/lone'" in str(surrogate.value)
    assert SENTINEL not in repr(surrogate.value)


def test_get_many_answers_every_spelling_asked() -> None:
    adapter = _adapter(a="1")
    result = adapter.get_many(["a", "gaara/prod/a", "a"])
    assert set(result) == {"a", "gaara/prod/a"}
    assert result["a"] is result["gaara/prod/a"]
    assert result["a"].value.reveal() == "1"


def test_get_many_returns_all_or_names_every_failure() -> None:
    adapter = _adapter(a="1", b="2")
    found = adapter.get_many(["a", "b"])
    assert {k: v.value.reveal() for k, v in found.items()} == {"a": "1", "b": "2"}
    with pytest.raises(SecretNotFoundError, match=r"2 secrets could not be read.*x.*y"):
        adapter.get_many(["a", "x", "y"])


def test_put_then_get_returns_the_new_value_and_dicts_become_json() -> None:
    adapter = _adapter(a="old")
    adapter.put_secret("a", "new")
    assert adapter.get_secret_value("a") == "new"
    adapter.put_secret("db", {"url": "postgresql://h/db"})
    assert adapter.get_secret("db") == {"url": "postgresql://h/db"}


def test_a_dict_json_cannot_encode_is_a_format_error_naming_the_secret() -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    with pytest.raises(SecretFormatError, match=r"'gaara/prod/db': .*encode bytes first") as info:
        adapter.put_secret("db", {"password": SENTINEL.encode()})
    assert SENTINEL not in str(info.value)
    assert "put" not in provider.calls


def test_rotate_secret_makes_a_new_current_and_keeps_previous() -> None:
    adapter = _adapter(**{"encryption-key": "k" * 44})
    before = adapter.get("encryption-key")
    adapter.configure_rotation("encryption-key", rotator="random")  # rotation is opt-in
    info = adapter.rotate_secret("encryption-key")
    after = adapter.get("encryption-key")
    assert after.version_id == info.version_id != before.version_id
    assert after.value != before.value
    previous = adapter.get("encryption-key", stage=Stage.PREVIOUS)
    assert previous.value == before.value


def test_delete_restore_list_describe() -> None:
    adapter = _adapter(a="1", b="2")
    assert adapter.list_secrets() == ["gaara/prod/a", "gaara/prod/b"]
    adapter.delete_secret("a")
    assert adapter.list_secrets() == ["gaara/prod/b"]
    assert adapter.describe_secret("a").scheduled_for_deletion
    adapter.restore_secret("a")
    assert adapter.get_secret_value("a") == "1"


def test_events_carry_names_and_outcomes_never_values() -> None:
    seen: list[Event] = []
    provider = InMemoryProvider({"app/s": SENTINEL})
    adapter = SecretsAdapter(provider=provider, listeners=[seen.append], principal="api")
    adapter.get("app/s")
    with pytest.raises(SecretNotFoundError):
        adapter.get("app/missing")
    access = [e for e in seen if isinstance(e, AccessEvent)]
    assert [(e.secret_name, e.outcome) for e in access] == [
        ("app/s", Outcome.SUCCESS),
        ("app/missing", Outcome.ERROR),
    ]
    assert access[1].error_code == "SecretNotFoundError"
    assert all(e.principal == "api" for e in access)
    assert SENTINEL not in repr(seen)


def test_a_failing_listener_never_breaks_a_read() -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    adapter = SecretsAdapter(provider=InMemoryProvider({"s": "v"}), listeners=[broken])
    assert adapter.get_secret_value("s") == "v"


def test_production_never_falls_back_to_env_silently() -> None:
    with pytest.raises(ConfigurationError, match="SECRETS_BACKEND is not set"):
        SecretsAdapter.from_env({"ENVIRONMENT": "production"})


def test_unknown_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="choose one of"):
        SecretsAdapter("nosuch")


def test_repr_shows_backend_not_secrets() -> None:
    settings = Settings(local=LocalSettings(master_key=SecretValue("k" * 44)))
    adapter = SecretsAdapter(provider=InMemoryProvider({"s": SENTINEL}), settings=settings)
    assert SENTINEL not in repr(adapter)
    assert "k" * 44 not in repr(adapter.settings)
    assert isinstance(adapter.settings.local.master_key, SecretValue)
