"""Envelope encryption: each version's value under its own AES-256-GCM data key, wrapped by the
master key.

The associated data of both the value and its wrapped data key binds the store id, the secret's
name, the version id and whether the value is text or binary. A ciphertext (or a whole row) copied
to another secret, version or store therefore fails authentication and raises ``IntegrityError``;
it never returns bytes. Rotating the master key re-wraps the small data keys and leaves every
value's ciphertext untouched.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secrets_adapter.errors import IntegrityError
from secrets_adapter.localstore.keys import KEY_BYTES, MasterKey

__all__ = [
    "Binding",
    "Sealed",
    "make_key_check",
    "rewrap",
    "seal",
    "unseal",
    "verify_key_check",
]

NONCE_BYTES = 12
_FORMAT = b"secrets-adapter/1"
_KEY_CHECK_PLAINTEXT = b"secrets-adapter master key check"


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """Where a ciphertext belongs; authenticated as associated data, not encrypted."""

    store_id: str
    name: str
    version_id: str
    binary: bool

    def associated_data(self, purpose: bytes) -> bytes:
        return _frame(
            purpose,
            self.store_id.encode(),
            self.name.encode(),
            self.version_id.encode(),
            b"binary" if self.binary else b"text",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Sealed:
    """One encrypted value as stored: the wrapped data key, the value's nonce and ciphertext."""

    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


_LENGTH = struct.Struct(">I").pack


def _frame(*fields: bytes) -> bytes:
    """Length-prefixed fields, so no two different bindings share an encoding."""
    return _FORMAT + b"".join([part for field in fields for part in (_LENGTH(len(field)), field)])


def _encrypt(key: bytes, plaintext: bytes, associated_data: bytes) -> tuple[bytes, bytes]:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, associated_data)


def _wrap(master: MasterKey, data_key: bytes, binding: Binding) -> bytes:
    nonce, wrapped = _encrypt(master.raw(), data_key, binding.associated_data(b"data-key"))
    return nonce + wrapped


def _unwrap(master: MasterKey, wrapped_key: bytes, binding: Binding) -> bytes:
    nonce, body = wrapped_key[:NONCE_BYTES], wrapped_key[NONCE_BYTES:]
    try:
        data_key = AESGCM(master.raw()).decrypt(nonce, body, binding.associated_data(b"data-key"))
    except (InvalidTag, ValueError):
        raise _tampered(binding, "its data key") from None
    if len(data_key) != KEY_BYTES:
        raise _tampered(binding, "its data key")
    return data_key


def _tampered(binding: Binding, part: str) -> IntegrityError:
    return IntegrityError(
        f"Version {binding.version_id!r} of secret {binding.name!r} failed authentication "
        f"({part}): the store was modified outside secrets-adapter, or the ciphertext was "
        "copied from another secret, version or store. Restore the store from a backup.",
        secret_name=binding.name,
        provider="local",
    )


def seal(master: MasterKey, binding: Binding, plaintext: bytes) -> Sealed:
    """Encrypt ``plaintext`` under a fresh data key and wrap that key with ``master``."""
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    nonce, ciphertext = _encrypt(data_key, plaintext, binding.associated_data(b"value"))
    return Sealed(wrapped_key=_wrap(master, data_key, binding), nonce=nonce, ciphertext=ciphertext)


def unseal(master: MasterKey, binding: Binding, sealed: Sealed) -> bytes:
    """The plaintext, or ``IntegrityError`` if anything about the row was changed or moved."""
    data_key = _unwrap(master, sealed.wrapped_key, binding)
    try:
        return AESGCM(data_key).decrypt(
            sealed.nonce, sealed.ciphertext, binding.associated_data(b"value")
        )
    except (InvalidTag, ValueError):
        raise _tampered(binding, "its value") from None


def rewrap(old: MasterKey, new: MasterKey, binding: Binding, wrapped_key: bytes) -> bytes:
    """The data key re-wrapped under ``new``; the value's ciphertext does not change."""
    return _wrap(new, _unwrap(old, wrapped_key, binding), binding)


def make_key_check(master: MasterKey, store_id: str) -> bytes:
    """A value only ``master`` can open: a wrong key is detected before any secret is read."""
    nonce, check = _encrypt(
        master.raw(), _KEY_CHECK_PLAINTEXT, _frame(b"key-check", store_id.encode())
    )
    return nonce + check


def verify_key_check(master: MasterKey, store_id: str, key_check: bytes) -> bool:
    """True if ``master`` is the key this store was sealed with."""
    nonce, body = key_check[:NONCE_BYTES], key_check[NONCE_BYTES:]
    try:
        plaintext = AESGCM(master.raw()).decrypt(
            nonce, body, _frame(b"key-check", store_id.encode())
        )
    except (InvalidTag, ValueError):
        return False
    return plaintext == _KEY_CHECK_PLAINTEXT
