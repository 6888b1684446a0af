"""SecretValue hygiene and the model types."""

from __future__ import annotations

import copy
import pickle
import traceback

import pytest

from secrets_adapter.errors import SecretFormatError, ValidationError
from secrets_adapter.models import (
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
    json_object,
)
from tests.sentinel import SENTINEL


def test_repr_str_and_format_are_masked() -> None:
    value = SecretValue(SENTINEL)
    for shown in (repr(value), str(value), f"{value}", f"{value!r}", "%s" % value):  # noqa: UP031
        assert SENTINEL not in shown
    secret = Secret(name="n", value=value, version_id="v1", stages=frozenset({Stage.CURRENT}))
    assert SENTINEL not in repr(secret)


def test_reveal_returns_the_exact_value() -> None:
    assert SecretValue(SENTINEL).reveal() == SENTINEL
    assert SecretValue(b"\x00\xff").reveal() == b"\x00\xff"
    assert SecretValue("é").reveal_bytes() == "é".encode()


def test_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(SecretValue(SENTINEL))


def test_is_immutable_and_unhashable() -> None:
    value = SecretValue("x")
    with pytest.raises(AttributeError):
        value._data = b"y"
    with pytest.raises(TypeError):
        hash(value)
    assert copy.deepcopy(value) is value


def test_equality_compares_value_and_kind() -> None:
    assert SecretValue("abc") == SecretValue("abc")
    assert SecretValue("abc") != SecretValue("abd")
    assert SecretValue("abc") != SecretValue(b"abc")
    assert SecretValue("abc") != "abc"


@pytest.mark.parametrize("size", [0, 65_537])
def test_size_rule_counts_bytes(size: int) -> None:
    with pytest.raises(ValidationError, match="65,536 bytes"):
        SecretValue(b"a" * size)


def test_multibyte_characters_count_as_bytes() -> None:
    SecretValue("€" * 21_845)  # 65,535 bytes
    with pytest.raises(ValidationError):
        SecretValue("€" * 21_846)  # 65,538 bytes in fewer characters than the limit


def test_binary_that_is_not_utf8_is_a_format_error_as_text() -> None:
    value = SecretValue(b"\xff\xfe")
    with pytest.raises(SecretFormatError, match="not valid UTF-8"):
        value.reveal_text()
    with pytest.raises(SecretFormatError):
        SecretValue(b"\xff", binary=False)


def test_json_errors_do_not_carry_the_value() -> None:
    with pytest.raises(SecretFormatError) as info:
        SecretValue(SENTINEL + "{").json()
    assert SENTINEL not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None  # not even a suppressed JSONDecodeError (.doc = value)


def test_metadata_finds_versions_by_stage() -> None:
    meta = SecretMetadata(
        name="n",
        versions=(
            VersionInfo(name="n", version_id="a", stages=frozenset({Stage.PREVIOUS})),
            VersionInfo(name="n", version_id="b", stages=frozenset({Stage.CURRENT})),
        ),
    )
    assert meta.current_version == "b"
    previous = meta.version_for(Stage.PREVIOUS)
    assert previous is not None
    assert previous.version_id == "a"
    assert meta.version_for(Stage.PENDING) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            SecretValue('  {"url": "postgres://db", "port": 5432}'),
            {"url": "postgres://db", "port": 5432},
        ),
        (SecretValue("[1, 2]"), None),
        (SecretValue('"{"'), None),
        (SecretValue("{not json"), None),
        (SecretValue('{"a":' + "[" * 5000), None),
        (SecretValue(b'{"a": "b"}'), None),
    ],
)
def test_json_object_answers_without_raising(value: SecretValue, expected: object) -> None:
    assert json_object(value) == expected


def test_repr_of_a_half_built_value_does_not_raise() -> None:
    """A traceback formatted with its frames' locals shows the SecretValue whose __init__ failed."""
    half_built = SecretValue.__new__(SecretValue)
    assert repr(half_built) == "SecretValue('**********', unset)"
    with pytest.raises(SecretFormatError) as caught:
        SecretValue(b"\xff\xfe", binary=False)
    shown = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "SecretValue('**********'" in shown
