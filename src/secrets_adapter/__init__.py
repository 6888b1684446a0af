"""secrets-adapter: take every secret out of .env and serve it from a real secret store."""

from typing import TYPE_CHECKING

from secrets_adapter.adapter import SecretsAdapter, secret_as_dict
from secrets_adapter.errors import (
    AccessDeniedError,
    AuditUnavailableError,
    ConfigurationError,
    ConflictError,
    DecryptionError,
    IntegrityError,
    MigrationError,
    PolicyDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RotationError,
    SecretFormatError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import Secret, SecretMetadata, SecretValue, Stage, VersionInfo
from secrets_adapter.providers.base import Provider, VersionedProvider, WritableProvider

if TYPE_CHECKING:
    from secrets_adapter.rotation.jwt_verifier import JwtVerifier, sign_token
    from secrets_adapter.rotation.keyring import Keyring
    from secrets_adapter.rotation.rotators.jwt import JwtKey, JwtKeySet
    from secrets_adapter.rotation.rotators.keyring import KeyRing

__version__ = "0.1.0"

# Key-set types, loaded on first use: a reader never imports the rotators, and PyJWT (the ``jwt``
# extra) is needed only by whoever uses JwtVerifier / sign_token.
_LAZY = {
    "JwtKey": "secrets_adapter.rotation.rotators.jwt",
    "JwtKeySet": "secrets_adapter.rotation.rotators.jwt",
    "JwtVerifier": "secrets_adapter.rotation.jwt_verifier",
    "KeyRing": "secrets_adapter.rotation.rotators.keyring",
    "Keyring": "secrets_adapter.rotation.keyring",
    "sign_token": "secrets_adapter.rotation.jwt_verifier",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'secrets_adapter' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AccessDeniedError",
    "AuditUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "DecryptionError",
    "IntegrityError",
    "JwtKey",
    "JwtKeySet",
    "JwtVerifier",
    "KeyRing",
    "Keyring",
    "MigrationError",
    "PolicyDeniedError",
    "Provider",
    "ProviderError",
    "ProviderUnavailableError",
    "RotationError",
    "Secret",
    "SecretFormatError",
    "SecretMetadata",
    "SecretNotFoundError",
    "SecretScheduledForDeletionError",
    "SecretValue",
    "SecretsAdapter",
    "SecretsAdapterError",
    "Stage",
    "ValidationError",
    "VersionInfo",
    "VersionedProvider",
    "WritableProvider",
    "__version__",
    "secret_as_dict",
    "sign_token",
]
