"""The managing half of the asynchronous face: writes, deletion, restore, rotation, cache
invalidation — awaited.

``AsyncSecretsAdapter`` inherits these, as ``SecretsAdapter`` inherits ``SecretsManagement``. Each
runs the synchronous management code (its policy check, provider call, audit record and
invalidation) in the face's thread pool, so the loop never waits on the backend and the two faces
cannot differ in what a write checks or records; afterwards the fetches under way for the name
are dropped too (read-your-writes across tasks).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from secrets_adapter.access import AccessPipeline, ValueInput
from secrets_adapter.cache import SecretCache
from secrets_adapter.cache.async_cache import AsyncSecretCache
from secrets_adapter.clock import WallClock
from secrets_adapter.events import EventBus
from secrets_adapter.management import SecretsManagement
from secrets_adapter.models import DEFAULT_RECOVERY_WINDOW, SecretMetadata, VersionInfo
from secrets_adapter.providers.base import Provider

if TYPE_CHECKING:
    from secrets_adapter.rotation.engine import RotationEngine

__all__ = ["AsyncSecretsManagement", "SyncManagement"]

R = TypeVar("R")


class SyncManagement(SecretsManagement):
    """The synchronous management code over the async face's pipeline, provider and cache; its
    methods run in the face's thread pool."""

    def __init__(
        self,
        access: AccessPipeline,
        provider: Provider,
        cache: SecretCache | None,
        events: EventBus,
        clock: WallClock,
    ) -> None:
        self._access = access
        self._provider = provider
        self._cache = cache
        self._events = events
        self._clock = clock
        self._rotation: RotationEngine | None = None

    def describe_secret(self, name: str) -> SecretMetadata:
        """``SecretsAdapter.describe_secret``: authorise, describe, record."""
        return self._guarded(
            "describe", name, lambda full: self._versioned("describe").describe(full)
        )


class AsyncSecretsManagement:
    """Awaited writes over ``SyncManagement`` in the pool; see the module docstring."""

    _access: AccessPipeline
    _cache: AsyncSecretCache | None
    _manage: SyncManagement
    _pool: ThreadPoolExecutor

    def qualify(self, name: str) -> str:
        """A relative name gets the configured prefix: ``db`` → ``gaara/prod/db``."""
        return self._access.qualify(name)

    # --- writes (the synchronous management code, in the pool) --------------------------------

    async def put_secret(
        self, name: str, value: ValueInput, *, expected_current: str | None = None
    ) -> VersionInfo:
        """Store a new current version (a dict is stored as a JSON object)."""
        call = functools.partial(
            self._manage.put_secret, name, value, expected_current=expected_current
        )
        return await self._write(name, call)

    async def delete_secret(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        """Schedule deletion (``delete``) or, with ``force``, delete now (``force-delete``)."""
        call = functools.partial(
            self._manage.delete_secret, name, recovery_window=recovery_window, force=force
        )
        await self._write(name, call)

    async def restore_secret(self, name: str) -> None:
        """Cancel a scheduled deletion."""
        await self._write(name, functools.partial(self._manage.restore_secret, name))

    async def configure_rotation(
        self,
        name: str,
        *,
        rotator: str,
        every: timedelta | None = None,
        options: Mapping[str, str] | None = None,
    ) -> SecretMetadata:
        """Choose how ``name`` rotates and how often (stored in its tags)."""
        call = functools.partial(
            self._manage.configure_rotation, name, rotator=rotator, every=every, options=options
        )
        return await self._write(name, call)

    async def rotate_secret(self, name: str, *, restart: bool = False) -> VersionInfo:
        """Rotate through the four steps; the cached value is forgotten at once."""
        call = functools.partial(self._manage.rotate_secret, name, restart=restart)
        return await self._write(name, call)

    def invalidate(self, name: str) -> None:
        """Forget what the adapter holds for ``name`` (its entries and the fetches under way);
        the next read goes to the backend, checked and recorded."""
        if self._cache is not None:
            self._cache.invalidate(self.qualify(name))

    # --- internals -----------------------------------------------------------------------------

    async def _in_pool(self, call: Callable[[], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def _write(self, name: str, call: Callable[[], R]) -> R:
        """A management call in the pool; then the fetches under way for ``name`` are dropped
        too, so no task started after the write is handed the value from before it."""
        try:
            return await self._in_pool(call)
        finally:
            self.invalidate(name)
