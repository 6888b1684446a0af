"""``AsyncSecretCache``: the synchronous ``SecretCache`` behind an event loop, never blocking it.

One cache logic serves both faces (TTL, jitter, refresh-ahead, max_stale, backoff, LRU live in
``SecretCache`` only), so the two cannot drift. What this module adds is what an event loop needs:

- the hit path stays on the loop: ``SecretCache.read_nowait`` is a dict lookup and a clock read
  (a hit in the refresh-ahead window also hands one refresh to the thread pool, and returns);
- everything that may wait on the backend runs in a bounded thread pool;
- single-flight across tasks: every task missing the same key awaits one shared ``asyncio.Task``
  (so 1,000 tasks on a cold secret cost one pool job and one backend call);
- cancellation-safe: callers await the shared task through ``asyncio.shield``, so a cancelled
  caller never cancels the fetch the others wait for;
- bounded stale-on-error: a caller holding an expired value waits at most ``stale_wait`` for the
  shared fetch (even when the pool is saturated by a hung backend), then gets the stale value.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

from secrets_adapter.cache.secret_cache import SecretCache
from secrets_adapter.events import CacheResult
from secrets_adapter.models import Secret, Stage
from secrets_adapter.providers.base import BatchResult

__all__ = ["AsyncSecretCache"]

R = TypeVar("R")
_CURRENT = Stage.CURRENT
FlightKey = tuple[str, str | None, Stage, bool]


class AsyncSecretCache:
    """Awaitable reads through a ``SecretCache`` whose backend calls run in ``executor``."""

    __slots__ = ("_cache", "_executor", "_flights", "_stale_wait", "read_nowait")

    def __init__(self, cache: SecretCache, executor: Executor, *, stale_wait: float) -> None:
        self._cache = cache
        self._executor = executor
        self._stale_wait = stale_wait
        self._flights: dict[FlightKey, asyncio.Task[tuple[Secret, CacheResult]]] = {}
        self.read_nowait: Callable[..., tuple[Secret, CacheResult] | None] = cache.read_nowait
        """The hit path (``SecretCache.read_nowait``, bound: no extra call layer): a fresh or
        refreshing-ahead current value, None on a miss."""

    @property
    def sync(self) -> SecretCache:
        """The synchronous cache underneath (writes and invalidation in the pool use it)."""
        return self._cache

    async def read(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage = _CURRENT,
        refresh: bool = False,
    ) -> tuple[Secret, CacheResult]:
        """A secret through the cache; a miss joins (or starts) the one fetch for its key."""
        current = version is None and stage is _CURRENT and not refresh
        if current:
            hit = self._cache.read_nowait(name)
            if hit is not None:
                return hit
        key = (name, version, stage, refresh)
        flight = self._flights.get(key)
        loop = asyncio.get_running_loop()
        if flight is None or flight.get_loop() is not loop:  # none, or left by a closed loop
            call = functools.partial(
                self._cache.read, name, version=version, stage=stage, refresh=refresh
            )
            flight = loop.create_task(self.in_pool(call))
            self._flights[key] = flight
            flight.add_done_callback(functools.partial(self._landed, key))
        if current and name in self._cache:  # an expired value may stand in: wait boundedly
            done, _ = await asyncio.wait({flight}, timeout=self._stale_wait)
            if not done:
                stale = self._cache.read_nowait(name, stale=True)
                if stale is not None:
                    return stale
        return await asyncio.shield(flight)

    async def read_many(self, names: Sequence[str]) -> tuple[BatchResult, dict[str, CacheResult]]:
        """``SecretCache.read_many`` off the loop, unless every name is a hit."""
        result: BatchResult = {}
        served: dict[str, CacheResult] = {}
        for name in names:
            hit = self._cache.read_nowait(name)
            if hit is None:
                break
            result[name], served[name] = hit
        else:
            return result, served
        return await self.in_pool(functools.partial(self._cache.read_many, list(names)))

    async def in_pool(self, call: Callable[[], R]) -> R:
        """``call()`` in the pool; the loop meanwhile serves others."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def invalidate(self, name: str) -> None:
        """Forget ``name``: its entries, and the shared fetches under way (a task asking after
        this starts a fresh one; the tasks already waiting get the old fetch's answer)."""
        self._cache.invalidate(name)
        for key in [key for key in self._flights if key[0] == name]:
            del self._flights[key]

    def clear(self) -> None:
        self._cache.clear()
        self._flights.clear()

    def __len__(self) -> int:
        return len(self._cache)

    def __contains__(self, name: object) -> bool:
        return name in self._cache

    def _landed(self, key: FlightKey, flight: asyncio.Task[tuple[Secret, CacheResult]]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: a fetch nobody waits for any more logs nothing
