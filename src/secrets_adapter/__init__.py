"""secrets-adapter: take every secret out of .env and serve it from a real secret store."""

from typing import TYPE_CHECKING

from secrets_adapter.access import SecretSnapshot
from secrets_adapter.adapter import SecretsAdapter, secret_as_dict
from secrets_adapter.async_adapter import AsyncSecretsAdapter
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
    from secrets_adapter.monitoring import (
        AlertEngine,
        BackgroundSink,
        LogSink,
        SecretsMetrics,
        Ticker,
        WebhookSink,
        default_rules,
    )
    from secrets_adapter.rotation.connections import (
        CredentialSource,
        RotatingConnector,
        database_credentials,
        rotating_sqlalchemy_engine,
    )
    from secrets_adapter.rotation.jwt_verifier import JwtVerifier, sign_token
    from secrets_adapter.rotation.keyring import Keyring
    from secrets_adapter.rotation.rotators.jwt import JwtKey, JwtKeySet
    from secrets_adapter.rotation.rotators.keyring import KeyRing
    from secrets_adapter.rotation.rotators.postgres import DatabaseCredentials

__version__ = "0.1.0"

# Rotation and monitoring types, loaded on first use: a reader never imports the rotators, and
# PyJWT (the ``jwt`` extra), psycopg (``postgres``) or prometheus-client (``metrics``) is needed
# only by whoever uses what needs it.
_LAZY = {
    "CredentialSource": "secrets_adapter.rotation.connections",
    "DatabaseCredentials": "secrets_adapter.rotation.rotators.postgres",
    "RotatingConnector": "secrets_adapter.rotation.connections",
    "database_credentials": "secrets_adapter.rotation.connections",
    "rotating_sqlalchemy_engine": "secrets_adapter.rotation.connections",
    "JwtKey": "secrets_adapter.rotation.rotators.jwt",
    "JwtKeySet": "secrets_adapter.rotation.rotators.jwt",
    "JwtVerifier": "secrets_adapter.rotation.jwt_verifier",
    "KeyRing": "secrets_adapter.rotation.rotators.keyring",
    "Keyring": "secrets_adapter.rotation.keyring",
    "sign_token": "secrets_adapter.rotation.jwt_verifier",
    # monitoring: prometheus-client (the ``metrics`` extra) only for whoever builds metrics
    "AlertEngine": "secrets_adapter.monitoring",
    "BackgroundSink": "secrets_adapter.monitoring",
    "LogSink": "secrets_adapter.monitoring",
    "SecretsMetrics": "secrets_adapter.monitoring",
    "Ticker": "secrets_adapter.monitoring",
    "WebhookSink": "secrets_adapter.monitoring",
    "default_rules": "secrets_adapter.monitoring",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'secrets_adapter' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AccessDeniedError",
    "AlertEngine",
    "AsyncSecretsAdapter",
    "AuditUnavailableError",
    "BackgroundSink",
    "ConfigurationError",
    "ConflictError",
    "CredentialSource",
    "DatabaseCredentials",
    "DecryptionError",
    "IntegrityError",
    "JwtKey",
    "JwtKeySet",
    "JwtVerifier",
    "KeyRing",
    "Keyring",
    "LogSink",
    "MigrationError",
    "PolicyDeniedError",
    "Provider",
    "ProviderError",
    "ProviderUnavailableError",
    "RotatingConnector",
    "RotationError",
    "Secret",
    "SecretFormatError",
    "SecretMetadata",
    "SecretNotFoundError",
    "SecretScheduledForDeletionError",
    "SecretSnapshot",
    "SecretValue",
    "SecretsAdapter",
    "SecretsAdapterError",
    "SecretsMetrics",
    "Stage",
    "Ticker",
    "ValidationError",
    "VersionInfo",
    "VersionedProvider",
    "WebhookSink",
    "WritableProvider",
    "__version__",
    "database_credentials",
    "default_rules",
    "rotating_sqlalchemy_engine",
    "secret_as_dict",
    "sign_token",
]
