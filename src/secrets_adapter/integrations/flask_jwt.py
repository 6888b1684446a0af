"""Flask-JWT-Extended on a rotated ``jwt`` key set: sign with the current key, verify any key
still in grace — through the extension's own hooks, so views keep ``@jwt_required()``.

- ``encode_key_loader`` → the current key (the HMAC secret text, or the PEM private key);
- ``additional_headers_loader`` → its ``kid``, so a verifier knows which key signed;
- ``decode_key_loader`` → the key the token's ``kid`` names, if the set still accepts it: the
  pending key published for the next rotation is accepted, so a token a peer worker signs right
  after it rotated never meets an unknown kid; a retired key
  past its grace, an unknown kid, ``alg: none`` or an algorithm other than the key's is refused
  (Flask-JWT-Extended answers with its invalid-token response). A token with no ``kid`` (signed
  before migration) is checked against the migrated key while it is in grace.

``JWT_ALGORITHM`` must be the key set's algorithm (``rotation configure --algorithm``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import g

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.rotation.jwt_verifier import JwtVerifier

if TYPE_CHECKING:
    from flask_jwt_extended import JWTManager

__all__ = ["wire_flask_jwt_extended"]

_SIGNING_KEY = "_secrets_adapter_jwt_signing_key"


def wire_flask_jwt_extended(
    manager: JWTManager,
    adapter: SecretsAdapter,
    name: str,
    *,
    reload_interval: timedelta = timedelta(seconds=1),
    max_age: timedelta = timedelta(seconds=30),
) -> JwtVerifier:
    """Install the key hooks on ``manager`` for the key set in secret ``name``; returns the
    verifier behind ``decode_key_loader`` (``max_age``: how soon a retirement is seen)."""
    if not hasattr(manager, "decode_key_loader"):
        raise ConfigurationError(
            "wire_flask_jwt_extended needs a flask_jwt_extended.JWTManager: "
            "pip install 'secrets-adapter[flask]'."
        )
    verifier = adapter.jwt_verifier(name, reload_interval=reload_interval, max_age=max_age)

    # Flask-JWT-Extended asks for the headers, then for the key: both must name one key even if
    # a rotation lands in between, so the headers hook picks it and the key hook takes it.
    @manager.additional_headers_loader
    def _headers(_identity: Any) -> dict[str, str]:
        key = adapter.jwt_keys(name).active
        setattr(g, _SIGNING_KEY, key)
        return {"kid": key.kid}

    @manager.encode_key_loader
    def _encode_key(_identity: Any) -> str:
        key = g.pop(_SIGNING_KEY, None) or adapter.jwt_keys(name).active
        return str(key.secret_text())

    @manager.decode_key_loader
    def _decode_key(header: dict[str, Any], _claims: dict[str, Any]) -> str:
        return verifier.key_for_header(header).verification_text()

    return verifier
