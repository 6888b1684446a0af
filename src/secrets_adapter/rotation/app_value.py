"""What an app reads from a key-set secret: its current key, as the plain string it always had.

A ``jwt`` or ``keyring`` secret holds a set of keys (JSON) so that rotations keep older keys; an
app configured like ``app.config["JWT_SECRET_KEY"] = secrets.get_secret_value(...)`` or an
``ENCRYPTION_KEY`` variable wants one key. ``app_value`` gives it the current one — for a JWT set
the HMAC secret (or PEM key) that signs, for a key ring the primary key — and every other value
unchanged. ``get_secret_value``, ``exec``, ``rollback`` and ``secret://`` references use it; the
typed APIs (``get``, ``jwt_keys``, ``keyring``) see the whole set.

The check looks at the text's first characters, so reading any other secret costs next to
nothing; ``get_secret_value`` also keeps the text it served while the cached value is fresh.
"""

from __future__ import annotations

from secrets_adapter.models import SecretValue, json_object

__all__ = ["app_value", "key_set_kind"]

_JWT_FORMAT = "secrets-adapter/jwt-keys"
_KEYRING_FORMAT = "secrets-adapter/keyring"


def key_set_kind(value: SecretValue) -> str | None:
    """``"jwt"``, ``"keyring"`` or None: whether ``value`` is a key set this package wrote.

    Judged on the parsed object, not its spelling: Vault gives a JSON object back with sorted
    keys and no spaces. Only a JSON object that names one of the formats is parsed to the end
    of this check; any other value costs a look at its first characters."""
    if value.is_binary:
        return None
    text = value.reveal_text()
    if not text.startswith("{"):
        return None
    if _JWT_FORMAT not in text and _KEYRING_FORMAT not in text and '"kid"' not in text:
        return None  # '"kid"': the first JWT sets had no format field
    data = json_object(value)
    if data is None:
        return None
    if data.get("format") == _KEYRING_FORMAT:
        return "keyring"
    if data.get("format") == _JWT_FORMAT:
        return "jwt"
    keys = data.get("keys")
    if set(data) != {"keys"} or not isinstance(keys, list) or not keys:
        return None
    return "jwt" if all(isinstance(key, dict) and "kid" in key for key in keys) else None


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
