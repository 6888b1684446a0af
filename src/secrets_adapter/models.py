"""Values of the domain: a masked secret value, a secret, its versions, stages and metadata."""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

from secrets_adapter.errors import SecretFormatError
from secrets_adapter.validation import MAX_VALUE_BYTES, value_size_error

__all__ = [
    "DEFAULT_RECOVERY_WINDOW",
    "Secret",
    "SecretMetadata",
    "SecretValue",
    "Stage",
    "VersionInfo",
    "json_object",
    "plain_json_object",
    "same_value",
    "stage_or_label",
    "value_for_comparison",
]

DEFAULT_RECOVERY_WINDOW = timedelta(days=30)


class Stage(StrEnum):
    """A label on one version of a secret: AWSCURRENT/AWSPENDING/AWSPREVIOUS in AWS terms."""

    CURRENT = "current"
    PENDING = "pending"
    PREVIOUS = "previous"

    @classmethod
    def _missing_(cls, value: object) -> Stage | None:
        """AWS users type the AWS names: ``Stage("AWSPENDING") is Stage.PENDING``."""
        if isinstance(value, str) and value.startswith("AWS"):
            for stage in cls:
                if value == "AWS" + stage.value.upper():
                    return stage
        return None


def stage_or_label(value: Stage | str) -> Stage | str:
    """A ``Stage`` for ``current``/``pending``/``previous`` and their AWS names (``AWSCURRENT``
    …); any other text is kept as a backend's own label (an AWS custom staging label)."""
    if isinstance(value, Stage):
        return value
    try:
        return Stage(value)
    except ValueError:
        return value


LEASE_LABEL = "secrets-adapter-lease."
"""The start of the label of a version that holds a rotation lease (on AWS, where the lease's
version carries ``AWSPENDING`` as the lock): not a rotation's pending version."""

_KINDS = {True: "binary", False: "text"}


class SecretValue:
    """A secret's bytes behind a masked ``repr``/``str``; ``reveal()`` is the only way out.

    Text values keep their text-ness so that a string round-trips as a string and binary as bytes.
    Equality runs in constant time; the object cannot be pickled or hashed, so it does not end up
    in a cache key, a pickle on disk or a log line by accident.
    """

    __slots__ = ("_binary", "_data")

    _data: bytes
    _binary: bool

    def __init__(self, value: str | bytes | SecretValue, *, binary: bool | None = None) -> None:
        data, is_binary, error = _wrap(value, binary)
        if error is not None:
            del value, data  # frames: an error reporter prints this frame's locals
            raise error
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_binary", is_binary)

    @classmethod
    def from_stored(cls, data: bytes, *, binary: bool) -> SecretValue:
        """Rebuild a value read from a backend (text must decode as UTF-8)."""
        try:
            return cls(data, binary=binary)
        except SecretFormatError:
            del data  # frames: an error reporter prints this frame's locals
            raise

    @property
    def is_binary(self) -> bool:
        return self._binary

    def reveal(self) -> str | bytes:
        """The plain value: ``str`` for a text secret, ``bytes`` for a binary one."""
        return self._data if self._binary else self._data.decode("utf-8")

    def reveal_text(self) -> str:
        """The value as text; a binary value that is not UTF-8 is a ``SecretFormatError``."""
        return _require_utf8(self._data)

    def reveal_bytes(self) -> bytes:
        """The exact stored bytes (UTF-8 for text values)."""
        return self._data

    def json(self) -> Any:
        """Parse the value as JSON. The error is raised outside the ``except`` block, so not even
        its suppressed ``__context__`` holds the parser's error (``JSONDecodeError.doc`` is the
        whole value)."""
        try:
            return json.loads(self._data)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            pass
        raise SecretFormatError("The secret value is not valid JSON.")

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return NotImplemented
        return self._binary == other._binary and hmac.compare_digest(self._data, other._data)

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SecretValue is immutable")

    def __repr__(self) -> str:
        # Never raises, even half-built (an error in __init__ formatted with its frame's locals).
        kind = getattr(self, "_binary", None)
        return f"SecretValue('**********', {'unset' if kind is None else _KINDS[kind]})"

    def __str__(self) -> str:
        return "**********"

    def __format__(self, format_spec: str) -> str:
        return "**********"

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretValue cannot be pickled: secrets never go to disk by accident")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("SecretValue cannot be pickled: secrets never go to disk by accident")

    def __copy__(self) -> SecretValue:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> SecretValue:
        return self


def json_object(value: SecretValue) -> dict[str, Any] | None:
    """The value's JSON object, or None when it is binary, not JSON (nested too deep to parse
    included) or JSON but not an object. Never raises: a parser's error would hold the value."""
    if value.is_binary:
        return None
    text = value.reveal_text()
    if not text.lstrip().startswith("{"):  # most values are not JSON: skip the parser
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _wrap(value: object, binary: bool | None) -> tuple[bytes, bool, Exception | None]:
    """``SecretValue``'s bytes and kind, or the error to raise: never raised here, so the frames
    of the traceback (this one's locals hold the value) are only the caller's, which clears them."""
    if isinstance(value, SecretValue):
        data, is_binary = value._data, value._binary
    elif isinstance(value, str):
        encoded = _encode_utf8(value)
        if encoded is None:
            return (
                b"",
                False,
                SecretFormatError(
                    "A text secret value must be valid Unicode (it has a lone surrogate); "
                    "pass bytes for binary data."
                ),
            )
        data, is_binary = encoded, False
    elif isinstance(value, bytes | bytearray | memoryview):
        data, is_binary = bytes(value), True
    else:
        return b"", False, TypeError(f"SecretValue takes str or bytes, not {type(value).__name__}")
    if binary is not None:
        if not binary and _decode_utf8(data) is None:
            return b"", False, _not_utf8()
        is_binary = binary
    return data, is_binary, value_size_error(len(data))


def same_value(first: SecretValue, second: SecretValue) -> bool:
    """Whether two values hold the same secret: a JSON object as an object (same keys and
    values, whatever the key order or spacing: Vault keeps one as KV fields and reads it back
    sorted and compact), anything else byte-exact. Migration checks, drift and copy use it."""
    return value_for_comparison(first) == value_for_comparison(second)


def value_for_comparison(value: SecretValue) -> SecretValue:
    """The form ``same_value`` compares (and a fingerprint should hash): a JSON object in one
    canonical text (sorted keys, no spaces), anything else unchanged. JSON that two readers could
    read differently (a repeated key, ``NaN``, an overflowing number) stays text, byte-exact."""
    parsed = _plain_json_object(value)
    if parsed is None:
        return value
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(canonical.encode("utf-8")) > MAX_VALUE_BYTES:  # ``1e5`` grows to ``100000.0``
        return value
    return SecretValue(canonical)


class _AmbiguousJsonError(Exception):
    """JSON whose meaning depends on the reader: compared as text."""


def _plain_json_object(value: SecretValue) -> dict[str, Any] | None:
    """Like ``json_object``, but None for JSON two readers could read differently."""
    return None if value.is_binary else plain_json_object(value.reveal_text())


def plain_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object ``text`` holds, or None: not an object, or JSON two readers (Python, Go's
    Vault, a JavaScript client) could read differently — a repeated key, ``NaN``, a number too
    big for a float. Never raises: a parser's error would hold the text."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except (ValueError, RecursionError, _AmbiguousJsonError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _AmbiguousJsonError
    return result


def _refuse_constant(_: str) -> Any:
    raise _AmbiguousJsonError


def _finite_float(literal: str) -> float:
    number = float(literal)
    if math.isinf(number):
        raise _AmbiguousJsonError
    return number


def _encode_utf8(text: str) -> bytes | None:
    """``text`` as UTF-8, or None: a ``UnicodeEncodeError`` holds the whole text, so it must not
    become the ``__context__`` of the error we raise."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _decode_utf8(data: bytes) -> str | None:
    """``data`` as text, or None (a ``UnicodeDecodeError`` holds the whole value in ``.object``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _not_utf8() -> SecretFormatError:
    return SecretFormatError(
        "The secret value is not valid UTF-8 text; store it as binary or read it as bytes."
    )


def _require_utf8(data: bytes) -> str:
    """The bytes as text, else ``SecretFormatError`` (raised outside any ``except`` block, with
    no ``UnicodeDecodeError`` behind it)."""
    text = _decode_utf8(data)
    if text is None:
        del data  # frames: an error reporter prints this frame's locals
        raise _not_utf8()
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionInfo:
    """One version of a secret, without its value."""

    name: str
    version_id: str
    stages: frozenset[Stage] = frozenset()
    created_at: datetime | None = None
    token: str | None = None
    """The ``put_version`` token that made it, where the backend's id is another (Vault)."""

    def named(self, version_id: str) -> bool:
        """Is this the version ``version_id`` names (its id, or the token that made it)?"""
        return version_id in (self.version_id, self.token)

    labels: frozenset[str] = frozenset()
    """The backend's labels beyond the three stages (AWS custom staging labels), as spelled."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret:
    """A secret's value at one version, with the stages that version carries."""

    name: str
    value: SecretValue
    version_id: str
    stages: frozenset[Stage] = frozenset()
    created_at: datetime | None = None

    @property
    def version(self) -> VersionInfo:
        return VersionInfo(
            name=self.name,
            version_id=self.version_id,
            stages=self.stages,
            created_at=self.created_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretMetadata:
    """What a backend knows of a secret besides its values: versions, stages, tags, deletion."""

    name: str
    versions: tuple[VersionInfo, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deletion_date: datetime | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def version_for(self, stage: Stage) -> VersionInfo | None:
        """The version carrying ``stage``, or None."""
        for info in self.versions:
            if stage in info.stages:
                return info
        return None

    @property
    def current_version(self) -> str | None:
        info = self.version_for(Stage.CURRENT)
        return info.version_id if info else None

    @property
    def scheduled_for_deletion(self) -> bool:
        return self.deletion_date is not None
