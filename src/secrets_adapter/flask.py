"""What a Flask app imports: ``from secrets_adapter.flask import FlaskSecrets, JwtVerifier``.

``FlaskSecrets`` fills ``app.config`` from the store and wires Flask-JWT-Extended to the rotated
JWT key set; the key-set types are re-exported so an app needs no deeper import.
"""

from __future__ import annotations

from secrets_adapter.integrations.flask import (
    EXTENSION_KEY,
    GAARA_STORE_MAPPING,
    FlaskSecrets,
    SecretReference,
)
from secrets_adapter.integrations.flask_jwt import wire_flask_jwt_extended
from secrets_adapter.rotation.jwt_verifier import JwtVerifier, sign_token
from secrets_adapter.rotation.keyring import Keyring
from secrets_adapter.rotation.rotators.jwt import JwtKey, JwtKeySet

__all__ = [
    "EXTENSION_KEY",
    "GAARA_STORE_MAPPING",
    "FlaskSecrets",
    "JwtKey",
    "JwtKeySet",
    "JwtVerifier",
    "Keyring",
    "SecretReference",
    "sign_token",
    "wire_flask_jwt_extended",
]
