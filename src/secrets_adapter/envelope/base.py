"""The envelope-encryption protocol and its self-describing blob format, shared by every backend.

Application data (the design's ``ENCRYPTION_KEY`` use) is encrypted with a fresh 256-bit data key
under AES-256-GCM in process; only the small data key goes to the key service (KMS, Vault Transit)
or is wrapped under the local master key. Swapping the backend does not change application code::

    blob = envelope.encrypt(b"card number", {"table": "orders", "column": "card"})
    envelope.decrypt(blob, {"table": "orders", "column": "card"})  # -> b"card number"

The encryption context is required (non-empty), is authenticated with the data (AES-GCM
associated data, and the key service's own context where it has one) and must be given again,
exactly, to decrypt. It is not secret: never put a secret value in it.

Blob format, version 1 (all lengths big-endian)::

    magic  b"SAEV"        4 bytes
    version 0x01          1 byte
    scheme                1-byte length + ASCII     ("kms", "local", "transit", ...)
    key id                2-byte length + UTF-8     (which master key: KMS key ARN, local key id)
    wrapped data key      2-byte length + bytes     (as the key service returned it)
    nonce                 12 bytes
    ciphertext + GCM tag  the rest

The associated data is the header (magic to wrapped key, inclusive) followed by the canonical
context, so neither the header nor the context can be changed without the decryption failing.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secrets_adapter.errors import IntegrityError, ValidationError

__all__ = [
    "BLOB_MAGIC",
    "BLOB_VERSION",
    "DATA_KEY_BYTES",
    "NONCE_BYTES",
    "EnvelopeBlob",
    "EnvelopeEncryptor",
    "canonical_context",
    "open_blob",
    "parse_blob",
    "seal",
]

BLOB_MAGIC = b"SAEV"
BLOB_VERSION = 1
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16


@runtime_checkable
class EnvelopeEncryptor(Protocol):
    """Encrypts application data under a master key it never reveals; one per backend."""

    @property
    def scheme(self) -> str:
        """The short name written into every blob: ``kms``, ``local``, ``transit``."""
        ...

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        """A self-describing blob; ``context`` (non-empty, not secret) is bound to it."""
        ...

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        """The plaintext; a different context or a changed blob is an ``IntegrityError``."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeBlob:
    """The parsed parts of a blob. ``wrapped_key`` is encrypted; nothing here is plaintext."""

    scheme: str
    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    def header(self) -> bytes:
        """The bytes from the magic up to and including the wrapped key (part of the AAD)."""
        return _header(self.scheme, self.key_id, self.wrapped_key)

    def to_bytes(self) -> bytes:
        return self.header() + self.nonce + self.ciphertext

    def __repr__(self) -> str:
        return (
            f"EnvelopeBlob(scheme={self.scheme!r}, key_id={self.key_id!r}, "
            f"ciphertext={len(self.ciphertext)} bytes)"
        )


def canonical_context(context: Mapping[str, str]) -> bytes:
    """The one byte encoding of a context (sorted JSON); an empty or non-text context is refused."""
    if not context:
        raise ValidationError(
            "An encryption context is required: pass a non-empty mapping such as "
            "{'purpose': 'orders.card'}; the same mapping is needed to decrypt."
        )
    for key, value in context.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key:
            raise ValidationError("An encryption context maps non-empty text keys to text values.")
    return json.dumps(
        dict(context), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _header(scheme: str, key_id: str, wrapped_key: bytes) -> bytes:
    scheme_bytes = scheme.encode("ascii")
    key_id_bytes = key_id.encode("utf-8")
    if not 0 < len(scheme_bytes) < 256 or len(key_id_bytes) > 0xFFFF or len(wrapped_key) > 0xFFFF:
        raise ValidationError("Envelope scheme, key id or wrapped key is too long for the format.")
    return b"".join(
        (
            BLOB_MAGIC,
            bytes((BLOB_VERSION, len(scheme_bytes))),
            scheme_bytes,
            struct.pack(">H", len(key_id_bytes)),
            key_id_bytes,
            struct.pack(">H", len(wrapped_key)),
            wrapped_key,
        )
    )


def seal(
    *,
    scheme: str,
    key_id: str,
    data_key: bytes,
    wrapped_key: bytes,
    plaintext: bytes,
    context: Mapping[str, str],
) -> bytes:
    """Encrypt ``plaintext`` under ``data_key`` (AES-256-GCM) and build the blob around it."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValidationError(f"A data key is {DATA_KEY_BYTES} bytes (AES-256).")
    aad = _header(scheme, key_id, wrapped_key) + canonical_context(context)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, bytes(plaintext), aad)
    return EnvelopeBlob(
        scheme=scheme, key_id=key_id, wrapped_key=wrapped_key, nonce=nonce, ciphertext=ciphertext
    ).to_bytes()


def parse_blob(blob: bytes, *, scheme: str) -> EnvelopeBlob:
    """Split a blob into its parts; a foreign, truncated or other-scheme blob is refused."""
    data = bytes(blob)
    try:
        if data[:4] != BLOB_MAGIC:
            raise ValueError("magic")
        if data[4] != BLOB_VERSION:
            raise IntegrityError(
                f"Envelope blob format version {data[4]} is not supported (this library "
                f"reads version {BLOB_VERSION})."
            )
        offset = 5
        scheme_len = data[offset]
        found_scheme = data[offset + 1 : offset + 1 + scheme_len].decode("ascii")
        offset += 1 + scheme_len
        (key_id_len,) = struct.unpack_from(">H", data, offset)
        key_id = data[offset + 2 : offset + 2 + key_id_len].decode("utf-8")
        offset += 2 + key_id_len
        (wrapped_len,) = struct.unpack_from(">H", data, offset)
        wrapped_key = data[offset + 2 : offset + 2 + wrapped_len]
        offset += 2 + wrapped_len
        nonce = data[offset : offset + NONCE_BYTES]
        ciphertext = data[offset + NONCE_BYTES :]
        if len(wrapped_key) != wrapped_len or len(nonce) != NONCE_BYTES:
            raise ValueError("truncated")
        if len(ciphertext) < _TAG_BYTES:
            raise ValueError("truncated")
    except (ValueError, IndexError, struct.error, UnicodeDecodeError):
        del blob, data  # frames: not a blob, so maybe a value passed by mistake; locals get printed
        raise IntegrityError(
            "Not an envelope blob, or a truncated one: it does not parse as the "
            f"{BLOB_MAGIC.decode()} format."
        ) from None
    if found_scheme != scheme:
        raise IntegrityError(
            f"This envelope blob was made by the {found_scheme!r} scheme; decrypt it with that "
            f"backend, not {scheme!r}."
        )
    return EnvelopeBlob(
        scheme=found_scheme,
        key_id=key_id,
        wrapped_key=wrapped_key,
        nonce=nonce,
        ciphertext=ciphertext,
    )


def open_blob(parsed: EnvelopeBlob, *, data_key: bytes, context: Mapping[str, str]) -> bytes:
    """Decrypt the data of a parsed blob with its unwrapped data key; any change fails."""
    aad = parsed.header() + canonical_context(context)
    try:
        return AESGCM(data_key).decrypt(parsed.nonce, parsed.ciphertext, aad)
    except (InvalidTag, ValueError):
        raise IntegrityError(
            "The envelope blob did not authenticate: the encryption context differs from the "
            "one it was encrypted with, or the blob was changed."
        ) from None
