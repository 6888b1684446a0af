"""Providers: one module per backend behind the protocols in ``base``."""

from secrets_adapter.providers.base import (
    BatchResult,
    Provider,
    VersionedProvider,
    WritableProvider,
)

__all__ = ["BatchResult", "Provider", "VersionedProvider", "WritableProvider"]
