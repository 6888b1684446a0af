"""The blob format and the local-key envelope backend: round trip, bound context, tamper checks."""

from __future__ import annotations

import os

import pytest

from secrets_adapter.envelope.base import (
    BLOB_MAGIC,
    EnvelopeEncryptor,
    canonical_context,
    parse_blob,
)
from secrets_adapter.envelope.local import LocalEnvelope
from secrets_adapter.errors import IntegrityError, ValidationError
from tests.sentinel import SENTINEL_BYTES

CONTEXT = {"table": "orders", "column": "card"}


@pytest.fixture
def envelope() -> LocalEnvelope:
    return LocalEnvelope(os.urandom(32))


def test_round_trip_is_byte_exact(envelope: LocalEnvelope) -> None:
    data = b"\x00\xff binary \x80" + SENTINEL_BYTES
    blob = envelope.encrypt(data, CONTEXT)
    assert SENTINEL_BYTES not in blob
    assert blob.startswith(BLOB_MAGIC)
    assert envelope.decrypt(blob, dict(reversed(CONTEXT.items()))) == data


def test_satisfies_the_protocol(envelope: LocalEnvelope) -> None:
    assert isinstance(envelope, EnvelopeEncryptor)
    assert envelope.scheme == "local"


def test_each_encryption_uses_a_fresh_data_key_and_nonce(envelope: LocalEnvelope) -> None:
    assert envelope.encrypt(b"same", CONTEXT) != envelope.encrypt(b"same", CONTEXT)


@pytest.mark.parametrize(
    "wrong",
    [
        {"table": "orders", "column": "email"},
        {"table": "orders"},
        {"table": "orders", "column": "card", "extra": "x"},
    ],
)
def test_wrong_context_is_rejected(envelope: LocalEnvelope, wrong: dict[str, str]) -> None:
    blob = envelope.encrypt(b"data", CONTEXT)
    with pytest.raises(IntegrityError, match="context"):
        envelope.decrypt(blob, wrong)


def test_context_is_required() -> None:
    with pytest.raises(ValidationError, match="required"):
        canonical_context({})
    with pytest.raises(ValidationError, match="required"):
        LocalEnvelope(os.urandom(32)).encrypt(b"x", {})


def test_every_flipped_byte_is_detected(envelope: LocalEnvelope) -> None:
    blob = envelope.encrypt(b"payload", CONTEXT)
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(IntegrityError):
            envelope.decrypt(bytes(tampered), CONTEXT)


def test_truncated_and_foreign_blobs_are_refused(envelope: LocalEnvelope) -> None:
    blob = envelope.encrypt(b"payload", CONTEXT)
    for cut in (0, 3, 10, len(blob) - 1):
        with pytest.raises(IntegrityError):
            envelope.decrypt(blob[:cut], CONTEXT)
    with pytest.raises(IntegrityError, match="'local' scheme"):
        parse_blob(blob, scheme="kms")


def test_a_different_master_key_cannot_decrypt(envelope: LocalEnvelope) -> None:
    blob = envelope.encrypt(b"payload", CONTEXT)
    with pytest.raises(IntegrityError, match="does not hold"):
        LocalEnvelope(os.urandom(32)).decrypt(blob, CONTEXT)


def test_retired_keys_still_decrypt_after_rotation() -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    blob = LocalEnvelope(old_key).encrypt(b"payload", CONTEXT)
    rotated = LocalEnvelope(new_key, retired_keys=[old_key])
    assert rotated.decrypt(blob, CONTEXT) == b"payload"
    assert parse_blob(rotated.encrypt(b"p", CONTEXT), scheme="local").key_id == rotated.key_id


def test_master_key_must_be_32_bytes() -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        LocalEnvelope(b"short")


def test_repr_shows_no_key_material() -> None:
    key = os.urandom(32)
    envelope = LocalEnvelope(key)
    assert key.hex() not in repr(envelope)
    blob = parse_blob(envelope.encrypt(b"x", CONTEXT), scheme="local")
    assert "ciphertext=" in repr(blob)
    assert blob.wrapped_key.hex() not in repr(blob)
