"""secrets-adapter: take every secret out of .env and serve it from a real secret store."""

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

__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "AsyncSecretsAdapter",
    "AuditUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "DecryptionError",
    "IntegrityError",
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
    "SecretSnapshot",
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
]
