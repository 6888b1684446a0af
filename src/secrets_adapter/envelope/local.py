"""Envelope encryption under a local 32-byte master key (the embedded store's), no cloud needed.

Each message gets a fresh data key, wrapped with AES-256-GCM under the master key; the blob's
key id says which master key, so retired keys can still decrypt old blobs after a rotation.

``LocalEnvelope.from_adapter(adapter)`` (or ``from_store(provider)`` below an adapter) keeps that
key in the store itself, as a binary secret
sealed under the store's master key: ``rotate-master-key`` re-wraps it like any other secret (so
blobs stay readable, which a key derived from the master key would not), and a new version of the
secret is a new envelope key while the older versions still decrypt.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from typing import Protocol

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
from secrets_adapter.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.base import Provider, VersionedProvider

__all__ = ["ENVELOPE_KEY_SECRET", "GuardedKeyStore", "LocalEnvelope", "local_key_id"]

MASTER_KEY_BYTES = 32
ENVELOPE_KEY_SECRET = "secrets-adapter/envelope-key"  # noqa: S105  (a name, not a value)
_SCHEME = "local"
# The first version's token: every process that finds no key proposes its own random key under
# this one token, so exactly one proposal is stored and the others read it back.
_FIRST_KEY_TOKEN = "secrets-adapter-envelope-key-first-version"  # noqa: S105


class _KeyVersions(Protocol):
    @property
    def versions(self) -> tuple[tuple[str, SecretValue], ...]: ...
    @property
    def current_version(self) -> str | None: ...


class GuardedKeyStore(Protocol):
    """What ``from_adapter`` needs of a ``SecretsAdapter``: reads and writes it checks against
    its policy and records in its audit log."""

    def snapshot_secret(self, name: str) -> _KeyVersions: ...
    def put_secret(self, name: str, value: SecretValue) -> object: ...


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


def _stored_key(value: SecretValue, name: str) -> bytes:
    key = value.reveal_bytes()
    if len(key) != MASTER_KEY_BYTES:
        raise IntegrityError(
            f"Secret {name!r} is not an envelope key ({MASTER_KEY_BYTES} random bytes): it was "
            "changed outside secrets-adapter; restore the version that was there."
        )
    return key


class LocalEnvelope:
    """``EnvelopeEncryptor`` over a local master key; ``retired_keys`` still decrypt."""

    def __init__(self, master_key: bytes, *, retired_keys: Sequence[bytes] = ()) -> None:
        self._key = _check_key(master_key)
        self._key_id = local_key_id(self._key)
        self._keys = {local_key_id(k): k for k in map(_check_key, retired_keys)}
        self._keys[self._key_id] = self._key

    @classmethod
    def from_adapter(
        cls, adapter: GuardedKeyStore, *, name: str = ENVELOPE_KEY_SECRET
    ) -> LocalEnvelope:
        """``from_store`` through an adapter: the key's versions are one audited read (the
        policy's ``read``), its creation on first use one audited write (``write``). Two
        processes creating it at once each store a key; the later is current and the other still
        decrypts."""
        try:
            snapshot = adapter.snapshot_secret(name)
        except SecretScheduledForDeletionError:
            raise
        except SecretNotFoundError:
            adapter.put_secret(name, SecretValue(os.urandom(MASTER_KEY_BYTES)))
            snapshot = adapter.snapshot_secret(name)
        keys = {version: _stored_key(value, name) for version, value in snapshot.versions}
        current = keys.pop(snapshot.current_version or "", None)
        if current is None:
            raise IntegrityError(
                f"Secret {name!r} has no current version: restore one (describe lists them)."
            )
        return cls(current, retired_keys=list(keys.values()))

    @classmethod
    def from_store(cls, provider: Provider, *, name: str = ENVELOPE_KEY_SECRET) -> LocalEnvelope:
        """An envelope whose key is the secret ``name`` in a versioned store, created on first
        use: the current version encrypts, every older version still decrypts."""
        if not isinstance(provider, VersionedProvider):
            raise ConfigurationError(
                f"The {provider.kind} backend keeps no versions: the envelope key needs a store "
                "(local, aws or vault)."
            )
        try:
            current = provider.get(name)
        except SecretScheduledForDeletionError:
            raise
        except SecretNotFoundError:
            proposed = SecretValue(os.urandom(MASTER_KEY_BYTES))
            with contextlib.suppress(ConflictError):  # another process stored its key first
                provider.put_version(name, proposed, token=_FIRST_KEY_TOKEN, stage=Stage.CURRENT)
            current = provider.get(name)
        retired = [
            provider.get(name, version=info.version_id).value
            for info in provider.describe(name).versions
            if info.version_id != current.version_id
        ]
        return cls(
            _stored_key(current.value, name),
            retired_keys=[_stored_key(value, name) for value in retired],
        )

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
        try:
            parsed = parse_blob(blob, scheme=_SCHEME)
        except IntegrityError:
            del blob  # frames: not a blob, so maybe a value passed by mistake; locals get printed
            raise
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
