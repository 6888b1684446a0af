"""What an app reads from a key-set secret: its current key, as the plain string it always had.

A ``jwt`` or ``keyring`` secret holds a set of keys (JSON) so that rotations keep older keys; an
app configured like ``app.config["JWT_SECRET_KEY"] = secrets.get_secret_value(...)`` or an
``ENCRYPTION_KEY`` variable wants one key. ``app_value`` gives it the current one — for a JWT set
the HMAC secret (or PEM key) that signs, for a key ring the primary key — and every other value
unchanged. ``get_secret_value``, ``exec``, ``rollback`` and ``secret://`` references use it; the
typed APIs (``get``, ``jwt_keys``, ``keyring``) see the whole set.

The check is a prefix test on the text, so reading any other secret costs nothing.
"""

from __future__ import annotations

from secrets_adapter.models import SecretValue

__all__ = ["app_value", "key_set_kind"]

_JWT_PREFIXES = ('{"format": "secrets-adapter/jwt-keys"', '{"keys": [{"kid": ')
_KEYRING_PREFIX = '{"format": "secrets-adapter/keyring"'


def key_set_kind(value: SecretValue) -> str | None:
    """``"jwt"``, ``"keyring"`` or None: whether ``value`` is a key set this package wrote."""
    if value.is_binary:
        return None
    text = value.reveal_text()
    if text.startswith(_JWT_PREFIXES):
        return "jwt"
    if text.startswith(_KEYRING_PREFIX):
        return "keyring"
    return None


def app_value(value: SecretValue) -> SecretValue:
    """The current key of a key-set secret as plain text; any other value as it is."""
    kind = key_set_kind(value)
    if kind == "jwt":
        from secrets_adapter.rotation.rotators.jwt import JwtKeySet

        return SecretValue(JwtKeySet.from_value(value).active.secret_text())
    if kind == "keyring":
        from secrets_adapter.rotation.rotators.keyring import KeyRing

        return SecretValue(KeyRing.from_value(value).primary.key)
    return value
