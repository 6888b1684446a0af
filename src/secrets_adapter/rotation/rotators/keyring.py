"""The ``keyring`` rotator: data-encryption keys (``ENCRYPTION_KEY``) that never orphan data.

The secret holds an ordered set of keys, oldest first; the last one is the **primary** (it
encrypts). A rotation adds a new primary and keeps every older key, so data encrypted before any
number of rotations still decrypts; a key leaves the set only when the app retires it — by count
(option ``keep``), by age (option ``retire-after``: keys replaced longer ago than that) or by an
explicit ``retire`` once its data was re-encrypted. Count and age retirement never drop the key
that was primary until this rotation: everything written until now is under it.

    {"format": "secrets-adapter/keyring",
     "keys": [{"id": "k1a2b…", "key": "<base64 of 32 bytes>", "created_at": "…",
               "replaced_at": "…" | null}, …]}

Each ``key`` is text in the form ``ENCRYPTION_KEY`` had in ``.env`` (standard base64 of 32
bytes), and a plain string value is the ring's first key: ``get_secret_value`` still hands an
app its current key as that string. Key ids are a fingerprint (HMAC) of the key, so the
migrated key keeps one id for ever and reveals nothing about the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from secrets_adapter.errors import ConfigurationError, SecretFormatError, ValidationError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.schedule import parse_interval

__all__ = [
    "KEYRING_FORMAT",
    "KEY_BYTES",
    "KeyRing",
    "KeyringKey",
    "KeyringRotator",
    "decode_key",
    "key_id_for",
]

KEYRING_FORMAT = "secrets-adapter/keyring"
KEY_BYTES = 32  # AES-256-GCM; what the Gaara app's ENCRYPTION_KEY holds ("base64 of 32 bytes")
_MIGRATED_AT = datetime(1970, 1, 1, tzinfo=UTC)


def decode_key(text: str) -> bytes | None:
    """The 32 key bytes of standard or URL-safe base64 text, or None if it is not that."""
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def key_id_for(text: str) -> str:
    """A key's id: a public fingerprint (HMAC under the key, so it reveals nothing)."""
    material = decode_key(text) or text.encode()
    return (
        "k" + hmac.new(material, b"secrets-adapter keyring key id", hashlib.sha256).hexdigest()[:15]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyringKey:
    """One key of a ring; ``replaced_at`` is when it stopped being the primary."""

    id: str
    key: str
    created_at: datetime
    replaced_at: datetime | None = None

    def __repr__(self) -> str:
        return f"KeyringKey(id={self.id!r}, replaced_at={self.replaced_at!r})"

    def key_bytes(self) -> bytes:
        raw = decode_key(self.key)
        if raw is None:
            raise SecretFormatError(
                f"Key {self.id!r} of the key ring is not base64 of {KEY_BYTES} bytes."
            )
        return raw

    def to_json(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "key": self.key,
            "created_at": self.created_at.isoformat(),
            "replaced_at": self.replaced_at.isoformat() if self.replaced_at else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRing:
    """The keys of one secret, oldest first; the last is the primary."""

    keys: tuple[KeyringKey, ...]

    def __repr__(self) -> str:
        return f"KeyRing(ids={[key.id for key in self.keys]!r})"

    @classmethod
    def from_value(cls, value: SecretValue) -> KeyRing:
        """Parse a key ring; a plain string is a one-key ring. Errors never carry the value."""
        text = "" if value.is_binary else value.reveal_text()
        if not text.lstrip().startswith("{"):
            if not text.strip():
                raise SecretFormatError("The secret is empty or binary: it is not a key ring.")
            plain = text.strip()
            first = KeyringKey(id=key_id_for(plain), key=plain, created_at=_MIGRATED_AT)
            return cls(keys=(first,))
        data = value.json()
        try:
            if data.get("format") == KEYRING_FORMAT and data["keys"]:
                return cls(keys=tuple(_key_from_json(item) for item in data["keys"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a parser's error may quote a field: raise outside the ``except``
        raise SecretFormatError("The secret is not a key ring.")

    def to_value(self) -> SecretValue:
        keys = [key.to_json() for key in self.keys]
        return SecretValue(json.dumps({"format": KEYRING_FORMAT, "keys": keys}))

    @property
    def primary(self) -> KeyringKey:
        return self.keys[-1]

    def by_id(self) -> Mapping[str, KeyringKey]:
        return {key.id: key for key in self.keys}

    def rotated(
        self,
        new: KeyringKey,
        *,
        now: datetime,
        keep: int | None = None,
        retire_after: timedelta | None = None,
    ) -> KeyRing:
        """``new`` becomes the primary; the old primary is kept; ``keep``/``retire_after``
        drop the oldest keys, never the one that was primary until now."""
        old_primary = replace(self.primary, replaced_at=now)
        older = list(self.keys[:-1])
        if retire_after is not None:
            older = [
                k for k in older if k.replaced_at is None or now - k.replaced_at < retire_after
            ]
        if keep is not None:
            older = older[max(0, len(older) - (keep - 2)) :] if keep > 2 else []
        return KeyRing(keys=(*older, old_primary, new))

    def without(self, key_id: str, *, name: str) -> KeyRing:
        """The ring minus ``key_id``; the primary cannot go (rotate first)."""
        if key_id not in self.by_id():
            raise ValidationError(
                f"Key ring {name!r} has no key {key_id!r} (keys: "
                f"{', '.join(key.id for key in self.keys)}).",
                secret_name=name,
            )
        if key_id == self.primary.id:
            raise ValidationError(
                f"Key {key_id!r} is the primary key of {name!r}: every new encryption uses it. "
                f"Rotate first ('secrets-adapter rotate {name}'), re-encrypt, then retire it.",
                secret_name=name,
            )
        return KeyRing(keys=tuple(key for key in self.keys if key.id != key_id))


def _key_from_json(item: Mapping[str, Any]) -> KeyringKey:
    replaced = item.get("replaced_at")
    return KeyringKey(
        id=str(item["id"]),
        key=str(item["key"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        replaced_at=datetime.fromisoformat(replaced) if replaced else None,
    )


def new_keyring_key(now: datetime) -> KeyringKey:
    """A fresh 32-byte key as standard base64 text (the form ``ENCRYPTION_KEY`` had)."""
    text = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    return KeyringKey(id=key_id_for(text), key=text, created_at=now)


def _options(context: RotationContext) -> tuple[int | None, timedelta | None]:
    keep = context.int_option("keep", 0) or None
    if keep is not None and keep < 2:
        raise ConfigurationError(
            f"Option keep of secret {context.name!r} must be at least 2: the key that was "
            "primary until a rotation still protects the data written before it.",
            secret_name=context.name,
        )
    raw_age = context.option("retire-after", "")
    return keep, parse_interval(raw_age) if raw_age else None


class KeyringRotator:
    """Adds a new primary key and keeps the older ones (retired only by count, age or
    ``retire``); the test step proves the ring decrypts what each kept key encrypted."""

    name = "keyring"

    def create(self, context: RotationContext) -> SecretValue:
        keep, retire_after = _options(context)
        ring = KeyRing.from_value(context.current.value)
        new = new_keyring_key(context.now)
        return ring.rotated(new, now=context.now, keep=keep, retire_after=retire_after).to_value()

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        """Applications read the ring from the secret: nothing to apply."""

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        """The new primary is base64 of 32 bytes and new; ids are unique and match their keys;
        the old primary is kept; a round trip through the new primary works."""
        from secrets_adapter.rotation.keyring import Keyring

        name = context.name
        problems: list[str] = []
        try:
            ring = KeyRing.from_value(pending)
        except SecretFormatError:
            ring = None
        if ring is None or not pending.reveal_text().lstrip().startswith("{"):
            raise SecretFormatError(
                f"The new value of secret {name!r} is not a key ring.", secret_name=name
            )
        old = KeyRing.from_value(context.current.value)
        ids = [key.id for key in ring.keys]
        if len(set(ids)) != len(ids):
            problems.append("two keys share an id")
        if any(key.id != key_id_for(key.key) for key in ring.keys):
            problems.append("a key id does not match its key")
        if decode_key(ring.primary.key) is None:
            problems.append(f"the new primary key is not base64 of {KEY_BYTES} bytes")
        if ring.primary.id in old.by_id():
            problems.append("the primary key did not change")
        if old.primary.id not in ring.by_id():
            problems.append("the key that was primary until now is gone")
        if not problems:
            probe = context.token.encode()
            keyring = Keyring(lambda: ring)
            if keyring.decrypt(keyring.encrypt(probe)) != probe:
                problems.append("an encrypt/decrypt round trip failed")
        if problems:
            raise SecretFormatError(
                f"The new key ring of secret {name!r} is not usable: {'; '.join(problems)}.",
                secret_name=name,
            )
