"""The exception tree. Every error names the secret and provider, never a value.

::

    SecretsAdapterError            .secret_name, .provider — never a value
    ├── ConfigurationError         bad/missing settings, missing extra (says which pip install fixes it)
    ├── ValidationError            a name or value breaks the rules; nothing was sent or written
    ├── PolicyDeniedError          our policy refused; no backend call was made
    ├── SecretFormatError          not the JSON/key/encoding asked for — raised ``from None``
    ├── ProviderError              backend failure (``from exc``)
    │   ├── SecretNotFoundError
    │   │   └── SecretScheduledForDeletionError
    │   ├── AccessDeniedError
    │   ├── DecryptionError        the backend could not decrypt (KMS key disabled, ...): not retried
    │   ├── ConflictError          exists already, check-and-set mismatch, stage moved meanwhile
    │   └── ProviderUnavailableError   network, timeout, throttling, 5xx: the only one stale-on-error absorbs
    ├── IntegrityError             tampered store or audit chain, wrong master key
    ├── AuditUnavailableError      the audit record could not be written: the access is refused
    ├── RotationError              .step, .version_id
    └── MigrationError

``ValidationError`` is also a ``ValueError`` so that callers who catch the builtin keep working.
"""

from __future__ import annotations

import copy
from typing import Self

__all__ = [
    "AccessDeniedError",
    "AuditUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "DecryptionError",
    "IntegrityError",
    "MigrationError",
    "PolicyDeniedError",
    "ProviderError",
    "ProviderUnavailableError",
    "RotationError",
    "SecretFormatError",
    "SecretNotFoundError",
    "SecretScheduledForDeletionError",
    "SecretsAdapterError",
    "ValidationError",
]


class SecretsAdapterError(Exception):
    """Root of every error this library raises. Carries the secret's name, never its value."""

    def __init__(
        self, message: str, *, secret_name: str | None = None, provider: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.secret_name = secret_name
        self.provider = provider

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def reworded(
        self, message: str, *, secret_name: str | None = None, provider: str | None = None
    ) -> Self:
        """A copy with ``message`` (and, if given, another secret name or provider), of the same
        type and with every other field kept (a denial's principal, a rotation's step): for a
        caller that adds where the error happened. No cause or traceback is copied."""
        error = copy.copy(self)
        error.args = (message,)
        error.message = message
        if secret_name is not None:
            error.secret_name = secret_name
        if provider is not None:
            error.provider = provider
        return error


class ConfigurationError(SecretsAdapterError):
    """Settings are missing or wrong, or an optional extra is not installed."""


class ValidationError(SecretsAdapterError, ValueError):
    """A secret name or value breaks the rules; raised before any I/O."""


class PolicyDeniedError(SecretsAdapterError):
    """The in-process access policy refused the request; no backend call was made."""

    def __init__(
        self,
        message: str,
        *,
        secret_name: str | None = None,
        provider: str | None = None,
        principal: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message, secret_name=secret_name, provider=provider)
        self.principal = principal
        self.action = action


class SecretFormatError(SecretsAdapterError):
    """Not the JSON, key or encoding asked for. Raised ``from None``: parsers echo their input."""


class ProviderError(SecretsAdapterError):
    """The backend failed; the SDK's exception is chained as ``__cause__``."""


class SecretNotFoundError(ProviderError):
    """No such secret, version or stage."""


class SecretScheduledForDeletionError(SecretNotFoundError):
    """The secret exists but is scheduled for deletion; ``restore`` brings it back."""


class AccessDeniedError(ProviderError):
    """The backend refused the caller's identity (IAM, Vault policy, KMS key policy)."""


class DecryptionError(ProviderError):
    """The backend could not decrypt the value (key disabled or missing); retrying will not help."""


class ConflictError(ProviderError):
    """A concurrent change won: exists already, check-and-set mismatch, stage moved meanwhile."""


class ProviderUnavailableError(ProviderError):
    """Network, timeout, throttling or a server error: transient; stale-on-error may absorb it."""


class IntegrityError(SecretsAdapterError):
    """Stored data failed authentication: tampering, a swapped ciphertext or a wrong master key."""


class AuditUnavailableError(SecretsAdapterError):
    """The access's audit record could not be written or queued (sink failed or timed out).

    In fail-closed mode the read is refused: no value is returned for an unrecorded access.
    """


class RotationError(SecretsAdapterError):
    """A rotation step failed; ``current`` still serves the old value."""

    def __init__(
        self,
        message: str,
        *,
        secret_name: str | None = None,
        provider: str | None = None,
        step: str | None = None,
        version_id: str | None = None,
    ) -> None:
        super().__init__(message, secret_name=secret_name, provider=provider)
        self.step = step
        self.version_id = version_id


class MigrationError(SecretsAdapterError):
    """A migration or rollback could not be planned, applied or verified."""
