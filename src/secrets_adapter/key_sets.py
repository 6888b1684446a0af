"""The typed face of key-set secrets: ``keyring``, ``jwt_keys``, ``jwt_verifier``, ``retire_key``,
and the plain current key an app reads from ``get_secret_value``.

``SecretsAdapter`` inherits these. They read and write only through the adapter's own guarded
methods (``get``, ``put_secret``), so policy, audit and cache apply as for any other read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from secrets_adapter.access import ValueInput
from secrets_adapter.clock import MonotonicClock, WallClock
from secrets_adapter.errors import SecretsAdapterError, ValidationError
from secrets_adapter.models import Secret, Stage, VersionInfo
from secrets_adapter.redaction import ServedValues
from secrets_adapter.rotation.app_value import app_value, key_set_kind

if TYPE_CHECKING:
    from secrets_adapter.rotation.jwt_verifier import JwtVerifier
    from secrets_adapter.rotation.keyring import Keyring
    from secrets_adapter.rotation.rotators.jwt import JwtKeySet

__all__ = ["KeySetMethods", "app_text"]


def app_text(secret: Secret, served: ServedValues) -> str:
    """The text an app reads (``get_secret_value``, every face): a key set's current key, any
    other value as it is; the plain key is remembered for the redaction filter like the set."""
    text = secret.value.reveal_text()
    if not text.startswith("{"):  # the common case: no key set, nothing more to do
        return text
    value = app_value(secret.value)
    if value is not secret.value:
        served.remember(value)
    return value.reveal_text()


class KeySetMethods:
    """What an app needs of a ``jwt`` or ``keyring`` secret (see ``rotation.app_value``)."""

    if TYPE_CHECKING:  # provided by SecretsAdapter, which inherits these methods
        _clock: WallClock
        _monotonic: MonotonicClock
        _served: ServedValues

        def qualify(self, name: str) -> str: ...

        def get(
            self,
            name: str,
            *,
            version: str | None = None,
            stage: Stage | str = Stage.CURRENT,
            refresh: bool = False,
        ) -> Secret: ...

        def put_secret(
            self, name: str, value: ValueInput, *, expected_current: str | None = None
        ) -> VersionInfo: ...

    def _app_text(self, secret: Secret) -> str:
        """The text an app reads: a key set's current key, any other value as it is."""
        return app_text(secret, self._served)

    def jwt_keys(self, name: str, *, refresh: bool = False) -> JwtKeySet:
        """The JWT key set of ``name``: ``active`` signs; the pending key (published one
        rotation ahead) and previous keys in grace verify. Read through the cache."""
        from secrets_adapter.rotation.rotators.jwt import JwtKeySet

        return JwtKeySet.from_value(self.get(name, refresh=refresh).value)

    def jwt_verifier(self, name: str, **options: Any) -> JwtVerifier:
        """A ``JwtVerifier`` over ``jwt_keys(name)`` (options: audience, issuer, leeway, ...)."""
        from secrets_adapter.rotation.jwt_verifier import JwtVerifier

        options.setdefault("clock", self._clock)  # grace windows on the adapter's clocks
        options.setdefault("monotonic_clock", self._monotonic)
        options.setdefault("peek", lambda: self.jwt_keys(name))  # the cached set, no refresh
        return JwtVerifier(lambda: self.jwt_keys(name, refresh=True), **options)

    def keyring(self, name: str) -> Keyring:
        """``encrypt`` / ``decrypt`` / ``reencrypt`` with the key ring in ``name`` (a plain key,
        such as a migrated ``ENCRYPTION_KEY``, is a ring of one). Reads go through the cache."""
        from secrets_adapter.rotation.keyring import Keyring
        from secrets_adapter.rotation.rotators.keyring import KeyRing

        def reload() -> KeyRing:
            # A plain key put by hand (not rotated) still lets the previous version's keys
            # decrypt, as a .env-era app that kept "the previous key" did.
            current = self.get(name, refresh=True).value
            ring = KeyRing.from_value(current)
            if key_set_kind(current) is None:
                with contextlib.suppress(SecretsAdapterError):
                    older = KeyRing.from_value(self.get(name, stage=Stage.PREVIOUS).value)
                    ring = KeyRing(keys=(*older.keys, *ring.keys))
            return ring

        return Keyring(lambda: KeyRing.from_value(self.get(name).value), reload=reload)

    def retire_key(
        self,
        name: str,
        key_id: str,
        *,
        still_in_use: Iterable[bytes] = (),
        force: bool = False,
    ) -> VersionInfo:
        """Remove ``key_id`` from the key ring ``name`` (a new version; the old one stays
        ``previous``). The primary key is never retired. ``still_in_use``: tokens the app still
        stores — if one needs the key, the retire is refused unless ``force``."""
        from secrets_adapter.rotation.keyring import Keyring
        from secrets_adapter.rotation.rotators.keyring import KeyRing

        full = self.qualify(name)
        secret = self.get(full, refresh=True)
        smaller = KeyRing.from_value(secret.value).without(key_id, name=full)
        users = sum(1 for token in still_in_use if Keyring.key_id(token) == key_id)
        if users and not force:
            raise ValidationError(
                f"Key {key_id!r} of {full!r} still protects {users} of the given tokens: "
                "re-encrypt them (keyring(name).reencrypt) first, or retire with force=True "
                "to make them undecryptable.",
                secret_name=full,
            )
        # expected_current: a rotation that finished meanwhile is not undone
        return self.put_secret(full, smaller.to_value(), expected_current=secret.version_id)
