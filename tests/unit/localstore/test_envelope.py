"""Envelope encryption: authenticated binding, tamper detection, re-wrapping, key check."""

from __future__ import annotations

import dataclasses
import traceback

import pytest

from secrets_adapter.errors import IntegrityError
from secrets_adapter.localstore.envelope import (
    Binding,
    Sealed,
    make_key_check,
    rewrap,
    seal,
    unseal,
    verify_key_check,
)
from secrets_adapter.localstore.keys import generate_master_key
from tests.sentinel import SENTINEL_BYTES

BINDING = Binding(store_id="store-1", name="app/db", version_id="v1", binary=False)
MASTER = generate_master_key()


def _flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _chain_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


def test_seal_round_trips_and_hides_the_plaintext() -> None:
    sealed = seal(MASTER, BINDING, SENTINEL_BYTES)
    assert SENTINEL_BYTES not in sealed.ciphertext + sealed.wrapped_key
    assert unseal(MASTER, BINDING, sealed) == SENTINEL_BYTES


def test_each_value_gets_its_own_data_key_and_nonce() -> None:
    first, second = seal(MASTER, BINDING, b"same"), seal(MASTER, BINDING, b"same")
    assert first.ciphertext != second.ciphertext
    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce


@pytest.mark.parametrize(
    "moved",
    [
        {"store_id": "store-2"},
        {"name": "app/other"},
        {"version_id": "v2"},
        {"binary": True},
    ],
)
def test_ciphertext_moved_to_another_binding_fails(moved: dict[str, object]) -> None:
    sealed = seal(MASTER, BINDING, SENTINEL_BYTES)
    elsewhere = dataclasses.replace(BINDING, **moved)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError, match="failed authentication") as info:
        unseal(MASTER, elsewhere, sealed)
    assert SENTINEL_BYTES.decode() not in _chain_text(info.value)


@pytest.mark.parametrize("part", ["wrapped_key", "nonce", "ciphertext"])
@pytest.mark.parametrize("index", [0, -1])
def test_any_flipped_bit_fails(part: str, index: int) -> None:
    sealed = seal(MASTER, BINDING, SENTINEL_BYTES)
    original = getattr(sealed, part)
    tampered = dataclasses.replace(sealed, **{part: _flip(original, index % len(original))})
    with pytest.raises(IntegrityError) as info:
        unseal(MASTER, BINDING, tampered)
    assert SENTINEL_BYTES.decode() not in _chain_text(info.value)


def test_truncated_parts_fail_as_integrity_errors() -> None:
    sealed = seal(MASTER, BINDING, b"value")
    for tampered in (
        Sealed(wrapped_key=b"", nonce=sealed.nonce, ciphertext=sealed.ciphertext),
        Sealed(wrapped_key=sealed.wrapped_key, nonce=b"", ciphertext=sealed.ciphertext),
        Sealed(wrapped_key=sealed.wrapped_key, nonce=sealed.nonce, ciphertext=b""),
    ):
        with pytest.raises(IntegrityError):
            unseal(MASTER, BINDING, tampered)


def test_wrong_master_key_fails() -> None:
    sealed = seal(MASTER, BINDING, b"value")
    with pytest.raises(IntegrityError):
        unseal(generate_master_key(), BINDING, sealed)


def test_rewrap_changes_only_the_wrapped_key() -> None:
    new = generate_master_key()
    sealed = seal(MASTER, BINDING, SENTINEL_BYTES)
    rewrapped = dataclasses.replace(
        sealed, wrapped_key=rewrap(MASTER, new, BINDING, sealed.wrapped_key)
    )
    assert rewrapped.ciphertext == sealed.ciphertext
    assert rewrapped.nonce == sealed.nonce
    assert unseal(new, BINDING, rewrapped) == SENTINEL_BYTES
    with pytest.raises(IntegrityError):
        unseal(MASTER, BINDING, rewrapped)


def test_key_check_accepts_only_its_key_and_store() -> None:
    check = make_key_check(MASTER, "store-1")
    assert verify_key_check(MASTER, "store-1", check)
    assert not verify_key_check(generate_master_key(), "store-1", check)
    assert not verify_key_check(MASTER, "store-2", check)
    assert not verify_key_check(MASTER, "store-1", _flip(check, 20))
    assert not verify_key_check(MASTER, "store-1", b"")
