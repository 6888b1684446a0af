"""The KV v2 layout of values: JSON objects as fields, text as ``value``, binary as base64."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_adapter.errors import SecretFormatError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.vault_codec import decode_value, encode_value, same_stored_value
from tests.sentinel import SENTINEL

_chars = st.characters(exclude_categories=["Cs"])  # no lone surrogates: not UTF-8 text
_short = st.text(_chars, max_size=10)
_json_leaf = st.one_of(
    _short,
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_short, inner, max_size=3),
    max_leaves=8,
)


@given(st.binary(min_size=1, max_size=300))
def test_binary_round_trips(data: bytes) -> None:
    value = SecretValue(data)
    assert decode_value(encode_value(value), name="n") == value


@given(st.text(_chars, min_size=1, max_size=200))
def test_text_that_is_not_a_json_object_round_trips_byte_exact(text: str) -> None:
    value = SecretValue(text)
    assert decode_value(encode_value(value), name="n") == value


@given(st.dictionaries(_short.filter(bool), _json, min_size=1, max_size=6))
def test_any_json_object_is_fields_and_reads_back_as_the_same_object(
    data: dict[str, object],
) -> None:
    for text in (json.dumps(data), json.dumps(data, indent=2), json.dumps(data, sort_keys=True)):
        stored = encode_value(SecretValue(text))
        back = decode_value(stored, name="n")
        assert json.loads(back.reveal_text()) == data
        if set(data) - {"value", "encoding"}:
            assert stored == data  # the fields themselves, whatever the order or spacing


def test_key_order_and_spacing_do_not_change_the_layout() -> None:
    forms = [
        '{"username":"app","password":"p"}',
        '{"password": "p", "username": "app"}',
        '{\n  "username": "app",\n  "password": "p"\n}\n',
    ]
    layouts = [encode_value(SecretValue(form)) for form in forms]
    assert layouts == [{"password": "p", "username": "app"}] * 3
    assert same_stored_value(SecretValue(forms[0]), SecretValue(forms[1]))
    assert decode_value(layouts[0], name="n").reveal() == '{"password":"p","username":"app"}'


def test_non_string_fields_are_stored_as_json_values() -> None:
    text = '{"port": 5432, "tls": true, "hosts": ["a", "b"], "opts": {"x": null}}'
    assert encode_value(SecretValue(text)) == {
        "port": 5432,
        "tls": True,
        "hosts": ["a", "b"],
        "opts": {"x": None},
    }


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '{"value":"x"}',
        '{"value": "x", "encoding": "base64"}',
        '{"a":"1","a":"2"}',  # a repeated key: Python and Go keep different ones
        '{"n": NaN}',
        '{"n": 1e400}',
        '{"a":' + "[" * 5000,  # too deep for the parser
    ],
)
def test_objects_that_would_read_back_differently_are_stored_as_exact_text(text: str) -> None:
    stored = encode_value(SecretValue(text))
    assert stored["value"] == text
    assert decode_value(stored, name="n").reveal() == text


def test_plain_text_is_one_value_field() -> None:
    assert encode_value(SecretValue("postgresql://u:p@h/db")) == {"value": "postgresql://u:p@h/db"}
    assert encode_value(SecretValue("[1, 2]")) == {"value": "[1, 2]"}


def test_the_earlier_layout_still_reads() -> None:
    assert decode_value({"value": "t", "encoding": "utf-8"}, name="n").reveal() == "t"


def test_malformed_base64_is_a_format_error_without_the_value() -> None:
    with pytest.raises(SecretFormatError) as info:
        decode_value({"value": SENTINEL, "encoding": "base64"}, name="n")
    assert SENTINEL not in str(info.value)
    assert info.value.__cause__ is None


def test_unknown_encoding_is_a_format_error() -> None:
    with pytest.raises(SecretFormatError, match="unknown encoding") as info:
        decode_value({"value": "x", "encoding": "rot13"}, name="n")
    assert "rot13" not in str(info.value)  # another tool's field: it may be part of a value
