"""The random rotator: length, alphabet, bytes; refusal to flatten a JSON secret."""

from __future__ import annotations

import base64
import string

import pytest

from secrets_adapter.errors import ConfigurationError, RotationError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.testing import InMemoryProvider


def _rotate(options: dict[str, str], initial: str = "initial-value-of-the-key") -> str:
    provider = InMemoryProvider({"app/key": initial})
    provider.set_tags(
        "app/key", rotation_config_tags(rotator="random", every=None, options=options)
    )
    RotationEngine(provider, builtin_rotators()).rotate("app/key")
    return provider.get("app/key").value.reveal_text()


@pytest.mark.parametrize(
    ("alphabet", "chars"),
    [
        ("hex", set("0123456789abcdef")),
        ("alphanumeric", set(string.ascii_letters + string.digits)),
        ("digits", set(string.digits)),
        ("xyz", set("xyz")),
    ],
)
def test_length_and_alphabet_are_followed(alphabet: str, chars: set[str]) -> None:
    value = _rotate({"length": "64", "alphabet": alphabet})
    assert len(value) == 64 and set(value) <= chars


def test_bytes_gives_a_fernet_style_key() -> None:
    value = _rotate({"bytes": "32"})
    assert len(base64.urlsafe_b64decode(value)) == 32


def test_defaults_are_forty_url_safe_characters() -> None:
    value = _rotate({})
    assert len(value) == 40 and set(value) <= set(string.ascii_letters + string.digits + "-_")


@pytest.mark.parametrize("options", [{"length": "8"}, {"length": "many"}, {"alphabet": "a"}])
def test_bad_options_fail_the_create_step(options: dict[str, str]) -> None:
    with pytest.raises(RotationError) as caught:
        _rotate(options)
    assert caught.value.step == "create"
    assert isinstance(caught.value.__cause__, ConfigurationError)


def test_a_json_secret_is_not_replaced_by_a_random_string() -> None:
    provider = InMemoryProvider({"app/db": '{"username": "u", "password": "p"}'})
    with pytest.raises(RotationError):
        RotationEngine(provider, builtin_rotators(), default_rotator="random").rotate("app/db")
    assert provider.get("app/db").value == SecretValue('{"username": "u", "password": "p"}')
