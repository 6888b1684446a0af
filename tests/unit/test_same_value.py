"""``same_value``: a JSON object compared as an object, anything else byte-exact."""

from __future__ import annotations

import pytest

from secrets_adapter.models import SecretValue, same_value, value_for_comparison


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('{"b": 1, "a": "x"}', '{"a":"x","b":1}'),  # spacing and key order: Vault's canonical form
        ('{ "n": {"z": [1, 2], "y": null} }', '{"n":{"y":null,"z":[1,2]}}'),
        ('{"é": "ü"}', '{"\\u00e9":"\\u00fc"}'),  # escapes are the same characters
        ("plain text", "plain text"),
    ],
)
def test_the_same_secret_in_another_form_is_the_same(first: str, second: str) -> None:
    assert same_value(SecretValue(first), SecretValue(second))
    assert value_for_comparison(SecretValue(first)) == value_for_comparison(SecretValue(second))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('{"a": "x", "b": 1}', '{"a": "x", "b": 2}'),  # a value differs
        ('{"a": "x"}', '{"a": "x", "b": 1}'),  # a key more
        ('{"a": true}', '{"a": 1}'),  # Python's True == 1 must not make them equal
        ('{"a": 1}', '{"a": "1"}'),
        ("[1, 2]", "[1,2]"),  # JSON but not an object: byte-exact
        ('"x"', '"x" '),
        ("text ", "text"),
        ('{"a": 1, "a": 2}', '{"a":2}'),  # a repeated key reads differently in Go: text
        ('{"a": NaN}', '{"a":NaN}'),
    ],
)
def test_a_different_secret_is_different(first: str, second: str) -> None:
    assert not same_value(SecretValue(first), SecretValue(second))


def test_an_object_whose_canonical_form_would_be_too_long_is_compared_as_text() -> None:
    grows = "{" + ",".join(f'"{index}":1e5' for index in range(5_000)) + "}"  # 1e5 → 100000.0
    assert same_value(SecretValue(grows), SecretValue(grows))
    assert not same_value(SecretValue(grows), SecretValue(grows.replace(",", ", ")))


def test_binary_is_compared_as_bytes_and_never_equals_text() -> None:
    assert same_value(SecretValue(b"\x00\x01"), SecretValue(b"\x00\x01"))
    assert not same_value(SecretValue(b'{"a":1}'), SecretValue('{"a":1}'))


def test_an_unparsable_value_is_compared_as_text_without_raising() -> None:
    deep = "{" * 60_000
    assert same_value(SecretValue(deep), SecretValue(deep))
    assert not same_value(SecretValue(deep), SecretValue(deep + " "))
