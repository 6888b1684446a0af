"""Envelope encryption under a Vault/OpenBao Transit key: the key never leaves the server.

``encrypt`` asks Transit for a fresh data key (``datakey/plaintext``), encrypts locally with
AES-256-GCM and keeps only the wrapped key (``vault:vN:...``) in the blob. ``decrypt`` sends the
wrapped key back to ``decrypt``. The Transit key is created ``derived``: the encryption context
(canonical JSON, base64) is Transit's ``context``, so the data key itself is bound to it — a
different context cannot unwrap it — and the same context is the AES-GCM associated data.

Key versions: ``rotate_key()`` makes a new version for new blobs; old blobs still decrypt;
``rewrap(blob, context)`` moves a blob's data key to the newest version (Transit ``rewrap``)
without changing the data; ``blob_key_version(blob)`` tells which version wrapped it.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import hvac
import hvac.exceptions

from secrets_adapter.config import VaultSettings
from secrets_adapter.envelope.base import canonical_context, open_blob, parse_blob, seal
from secrets_adapter.errors import IntegrityError, ProviderError
from secrets_adapter.providers.vault_client import session_from_settings
from secrets_adapter.providers.vault_errors import translate_errors
from secrets_adapter.providers.vault_session import VaultSession

__all__ = ["TransitEnvelope", "TransitKeyVersions"]

_SCHEME = "transit"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransitKeyVersions:
    """Which versions of a Transit key exist and which ones may still decrypt."""

    latest: int
    min_decryption: int
    versions: tuple[int, ...]


@contextlib.contextmanager
def _translate_transit(key: str, action: str) -> Iterator[None]:
    """Transit's 400 on a failed unwrap is a wrong context or a changed blob: an integrity error."""
    try:
        with translate_errors(None, f"transit {action} with key {key!r}"):
            yield
    except ProviderError as exc:
        cause = exc.__cause__
        if isinstance(cause, hvac.exceptions.InvalidRequest) and action in ("decrypt", "rewrap"):
            raise IntegrityError(
                f"Transit key {key!r} could not unwrap the data key: the encryption context "
                "differs from the one it was encrypted with, the blob was changed, or its key "
                "version is below the key's minimum decryption version."
            ) from None
        raise


class TransitEnvelope:
    """``EnvelopeEncryptor`` backed by Vault/OpenBao Transit (scheme ``transit``)."""

    def __init__(self, session: VaultSession, *, key: str, mount: str = "transit") -> None:
        self._session = session
        self._key = key
        self._mount = mount.strip("/")

    @classmethod
    def from_settings(cls, settings: VaultSettings, *, key: str) -> TransitEnvelope:
        return cls(session_from_settings(settings), key=key, mount=settings.transit_mount)

    @property
    def scheme(self) -> str:
        return _SCHEME

    @property
    def key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return f"TransitEnvelope(mount={self._mount!r}, key={self._key!r})"

    def _transit(self, client: hvac.Client) -> Any:
        return client.secrets.transit

    def create_key(self) -> None:
        """Create the key as a derived AES-256-GCM key (a no-op if it exists)."""
        with _translate_transit(self._key, "create key"):
            self._session.call(
                lambda c: self._transit(c).create_key(
                    name=self._key, key_type="aes256-gcm96", derived=True, mount_point=self._mount
                )
            )

    def rotate_key(self) -> int:
        """A new key version for new blobs; returns the latest version."""
        with _translate_transit(self._key, "rotate key"):
            self._session.call(
                lambda c: self._transit(c).rotate_key(name=self._key, mount_point=self._mount)
            )
        return self.key_versions().latest

    def key_versions(self) -> TransitKeyVersions:
        with _translate_transit(self._key, "read key"):
            data = self._session.call(
                lambda c: self._transit(c).read_key(name=self._key, mount_point=self._mount)
            )["data"]
        return TransitKeyVersions(
            latest=int(data["latest_version"]),
            min_decryption=int(data["min_decryption_version"]),
            versions=tuple(sorted(int(v) for v in data["keys"])),
        )

    def set_min_decryption_version(self, version: int) -> None:
        """Retire older key versions: blobs wrapped by them no longer decrypt."""
        with _translate_transit(self._key, "configure key"):
            self._session.call(
                lambda c: self._transit(c).update_key_configuration(
                    name=self._key, min_decryption_version=version, mount_point=self._mount
                )
            )

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        try:
            transit_context = _transit_context(context)
            with _translate_transit(self._key, "datakey"):
                data = self._session.call(
                    lambda c: self._transit(c).generate_data_key(
                        name=self._key,
                        key_type="plaintext",
                        context=transit_context,
                        mount_point=self._mount,
                    )
                )["data"]
        except Exception:
            del plaintext  # frames: an error reporter prints this frame's locals
            raise
        data_key = base64.b64decode(data["plaintext"])
        return seal(
            scheme=_SCHEME,
            key_id=self._key,
            data_key=data_key,
            wrapped_key=data["ciphertext"].encode("ascii"),
            plaintext=plaintext,
            context=context,
        )

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        try:
            parsed = parse_blob(blob, scheme=_SCHEME)
        except IntegrityError:
            del blob  # frames: not a blob, so maybe a value passed by mistake; locals get printed
            raise
        data_key = self._unwrap(parsed.key_id, parsed.wrapped_key, context)
        return open_blob(parsed, data_key=data_key, context=context)

    def rewrap(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        """The same data with its data key wrapped by the key's newest version."""
        parsed = parse_blob(blob, scheme=_SCHEME)
        data_key = self._unwrap(parsed.key_id, parsed.wrapped_key, context)
        plaintext = open_blob(parsed, data_key=data_key, context=context)
        transit_context = _transit_context(context)
        with _translate_transit(parsed.key_id, "rewrap"):
            data = self._session.call(
                lambda c: self._transit(c).rewrap_data(
                    name=parsed.key_id,
                    ciphertext=parsed.wrapped_key.decode("ascii"),
                    context=transit_context,
                    mount_point=self._mount,
                )
            )["data"]
        return seal(
            scheme=_SCHEME,
            key_id=parsed.key_id,
            data_key=data_key,
            wrapped_key=data["ciphertext"].encode("ascii"),
            plaintext=plaintext,
            context=context,
        )

    @staticmethod
    def blob_key_version(blob: bytes) -> int:
        """The Transit key version that wrapped this blob's data key (``vault:vN:``)."""
        wrapped = parse_blob(blob, scheme=_SCHEME).wrapped_key.decode("ascii", "replace")
        parts = wrapped.split(":")
        if len(parts) < 3 or not parts[1].startswith("v") or not parts[1][1:].isdigit():
            raise IntegrityError("The blob's wrapped key is not a Transit ciphertext.")
        return int(parts[1][1:])

    def _unwrap(self, key: str, wrapped: bytes, context: Mapping[str, str]) -> bytes:
        transit_context = _transit_context(context)
        with _translate_transit(key, "decrypt"):
            data = self._session.call(
                lambda c: self._transit(c).decrypt_data(
                    name=key,
                    ciphertext=wrapped.decode("ascii", "replace"),
                    context=transit_context,
                    mount_point=self._mount,
                )
            )["data"]
        return base64.b64decode(data["plaintext"])


def _transit_context(context: Mapping[str, str]) -> str:
    return base64.b64encode(canonical_context(context)).decode("ascii")
