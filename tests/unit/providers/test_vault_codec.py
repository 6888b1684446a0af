"""The pure KV v2 translation: value encodings and stage bookkeeping in custom_metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_adapter.errors import SecretFormatError, ValidationError
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault_codec import (
    check_tag_key,
    check_token,
    decode_value,
    encode_value,
    parse_state,
    parse_vault_time,
    state_from_latest_read,
)
from tests.sentinel import SENTINEL

_chars = st.characters(exclude_categories=["Cs"])  # no lone surrogates: not UTF-8 text
_short = st.text(_chars, max_size=10)


@given(st.binary(min_size=1, max_size=300))
def test_binary_round_trips(data: bytes) -> None:
    value = SecretValue(data)
    assert decode_value(encode_value(value), name="n") == value


@given(st.text(_chars, min_size=1, max_size=200))
def test_text_round_trips(text: str) -> None:
    value = SecretValue(text)
    assert decode_value(encode_value(value), name="n") == value


@given(st.dictionaries(_short.filter(bool), _short, min_size=1))
def test_json_objects_round_trip_in_any_form(data: dict[str, str]) -> None:
    for text in (
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        json.dumps(data),
    ):
        value = SecretValue(text)
        assert decode_value(encode_value(value), name="n") == value


def test_a_flat_object_with_a_value_key_keeps_the_envelope() -> None:
    text = '{"value":"x"}'
    assert encode_value(SecretValue(text)) == {"value": text, "encoding": "utf-8"}


def test_a_value_nested_too_deep_to_parse_is_stored_as_text() -> None:
    text = '{"a":' + "[" * 5000  # the parser gives up with RecursionError, not ValueError
    value = SecretValue(text)
    assert encode_value(value) == {"value": text, "encoding": "utf-8"}
    assert decode_value(encode_value(value), name="n") == value


def test_malformed_base64_is_a_format_error_without_the_value() -> None:
    with pytest.raises(SecretFormatError) as info:
        decode_value({"value": SENTINEL, "encoding": "base64"}, name="n")
    assert SENTINEL not in str(info.value)
    assert info.value.__cause__ is None


def test_unknown_encoding_is_a_format_error() -> None:
    with pytest.raises(SecretFormatError, match="rot13"):
        decode_value({"value": "x", "encoding": "rot13"}, name="n")


def _metadata(custom: dict[str, str], versions: dict[str, dict[str, object]]) -> dict[str, object]:
    return {
        "current_version": max(int(v) for v in versions),
        "custom_metadata": custom,
        "versions": versions,
        "created_time": "2026-01-02T03:04:05.123456789Z",
        "updated_time": "2026-01-02T03:04:05Z",
    }


_LIVE = {"created_time": "2026-01-02T03:04:05.5Z", "deletion_time": "", "destroyed": False}


def test_current_defaults_to_the_newest_live_version() -> None:
    state = parse_state(_metadata({}, {"1": _LIVE, "2": _LIVE}))
    assert state.holder(Stage.CURRENT) == 2
    assert state.holder(Stage.PREVIOUS) is None


def test_recorded_stages_and_tokens_are_read_back() -> None:
    custom = {
        "secrets-adapter.stage.current": "1",
        "secrets-adapter.stage.pending": "2",
        "secrets-adapter.token.abc": "2",
        "team": "shop",
    }
    state = parse_state(_metadata(custom, {"1": _LIVE, "2": _LIVE}))
    assert state.id_labels() == {"1": {Stage.CURRENT}, "abc": {Stage.PENDING}}
    assert state.tags == {"team": "shop"}
    assert state.custom_metadata() == custom


def test_destroyed_and_deleted_versions_are_not_live() -> None:
    versions = {
        "1": {**_LIVE, "destroyed": True},
        "2": {**_LIVE, "deletion_time": "2026-01-03T00:00:00Z"},
        "3": _LIVE,
    }
    state = parse_state(_metadata({"secrets-adapter.stage.previous": "1"}, versions))
    assert list(state.versions) == [3]
    assert state.soft_deleted == (2,)
    assert state.id_labels() == {"3": {Stage.CURRENT}}


def test_current_on_the_newest_version_is_not_written() -> None:
    state = parse_state(_metadata({"secrets-adapter.stage.current": "2"}, {"1": _LIVE, "2": _LIVE}))
    assert "secrets-adapter.stage.current" not in state.custom_metadata()


def test_vault_times_keep_microseconds_and_utc() -> None:
    assert parse_vault_time("2026-01-02T03:04:05.123456789Z") == datetime(
        2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC
    )
    assert parse_vault_time("") is None


@pytest.mark.parametrize("token", ["", "123", "x" * 200])
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValidationError):
        check_token(token, name="n")


def test_reserved_tag_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        check_tag_key("secrets-adapter.stage.current", name="n")
    assert check_tag_key("team", name="n") == "team"


def test_a_latest_read_is_enough_only_when_that_version_is_current() -> None:
    plain = {"version": 3, "created_time": "2026-01-02T03:04:05Z", "deletion_time": ""}
    state = state_from_latest_read({**plain, "custom_metadata": {"secrets-adapter.token.t": "3"}})
    assert state is not None
    assert state.id_labels() == {"t": {Stage.CURRENT}}
    rotating = {"secrets-adapter.stage.current": "2", "secrets-adapter.stage.pending": "3"}
    assert state_from_latest_read({**plain, "custom_metadata": rotating}) is None
    deleting = {"secrets-adapter.deletion-date": "2026-02-01T00:00:00+00:00"}
    assert state_from_latest_read({**plain, "custom_metadata": deleting}) is None
    assert state_from_latest_read({**plain, "deletion_time": "2026-01-03T00:00:00Z"}) is None
