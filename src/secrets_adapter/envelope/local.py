"""Envelope encryption under a local 32-byte master key (the embedded store's), no cloud needed.

Each message gets a fresh data key, wrapped with AES-256-GCM under the master key; the blob's
key id says which master key, so retired keys can still decrypt old blobs after a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secrets_adapter.envelope.base import (
    DATA_KEY_BYTES,
    NONCE_BYTES,
    canonical_context,
    open_blob,
    parse_blob,
    seal,
)
from secrets_adapter.errors import IntegrityError, ValidationError

__all__ = ["LocalEnvelope", "local_key_id"]

MASTER_KEY_BYTES = 32
_SCHEME = "local"


def local_key_id(master_key: bytes) -> str:
    """A public fingerprint of a master key (HMAC, so it reveals nothing about the key)."""
    digest = hmac.new(master_key, b"secrets-adapter envelope key id", hashlib.sha256)
    return f"local:{digest.hexdigest()[:16]}"


def _check_key(key: bytes) -> bytes:
    if len(key) != MASTER_KEY_BYTES:
        raise ValidationError(
            f"A local envelope master key is exactly {MASTER_KEY_BYTES} bytes (got {len(key)})."
        )
    return bytes(key)


class LocalEnvelope:
    """``EnvelopeEncryptor`` over a local master key; ``retired_keys`` still decrypt."""

    def __init__(self, master_key: bytes, *, retired_keys: Sequence[bytes] = ()) -> None:
        self._key = _check_key(master_key)
        self._key_id = local_key_id(self._key)
        self._keys = {local_key_id(k): k for k in map(_check_key, retired_keys)}
        self._keys[self._key_id] = self._key

    @property
    def scheme(self) -> str:
        return _SCHEME

    @property
    def key_id(self) -> str:
        return self._key_id

    def __repr__(self) -> str:
        return f"LocalEnvelope(key_id={self._key_id!r})"

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        canonical = canonical_context(context)
        data_key = os.urandom(DATA_KEY_BYTES)
        wrap_nonce = os.urandom(NONCE_BYTES)
        wrapped = wrap_nonce + AESGCM(self._key).encrypt(
            wrap_nonce, data_key, self._wrap_aad(self._key_id, canonical)
        )
        return seal(
            scheme=_SCHEME,
            key_id=self._key_id,
            data_key=data_key,
            wrapped_key=wrapped,
            plaintext=plaintext,
            context=context,
        )

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        parsed = parse_blob(blob, scheme=_SCHEME)
        master = self._keys.get(parsed.key_id)
        if master is None:
            raise IntegrityError(
                f"The envelope blob was encrypted under master key {parsed.key_id!r}, which this "
                "LocalEnvelope does not hold (pass it in retired_keys after a rotation)."
            )
        canonical = canonical_context(context)
        wrap_nonce, wrapped = parsed.wrapped_key[:NONCE_BYTES], parsed.wrapped_key[NONCE_BYTES:]
        try:
            data_key = AESGCM(master).decrypt(
                wrap_nonce, wrapped, self._wrap_aad(parsed.key_id, canonical)
            )
        except (InvalidTag, ValueError):
            raise IntegrityError(
                "The envelope blob did not authenticate: the encryption context differs from "
                "the one it was encrypted with, or the blob was changed."
            ) from None
        return open_blob(parsed, data_key=data_key, context=context)

    @staticmethod
    def _wrap_aad(key_id: str, canonical: bytes) -> bytes:
        return b"secrets-adapter local data key\x00" + key_id.encode() + b"\x00" + canonical
