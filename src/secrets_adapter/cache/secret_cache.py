"""``SecretCache``: an in-process read-through cache that is itself a ``Provider``.

Secrets are read on every request while the store is remote, slow, billed per call and sometimes
down. So the cache

- serves a fresh entry from a dict without a lock (the hit path: a dict lookup, a clock read and
  one comparison);
- lets any number of threads that miss the same key share one backend call (single-flight);
- refreshes in the background during the last ``refresh_ahead`` part of the TTL, so readers of a
  hot key never wait on the network;
- serves the last good value for up to ``max_stale`` past expiry while the backend is unavailable
  (``ProviderUnavailableError``) or hung, and never to hide not-found, access-denied or integrity
  errors;
- holds at most ``max_entries`` entries, evicting the least recently used.

TTLs run on an injected monotonic clock; a key's first TTL is shortened by a random ``jitter``
so that many processes started together do not refresh together. Events (``CacheEvent``) report
fetches, refreshes, stale serves, errors and evictions; a hit emits nothing, so it stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from secrets_adapter.cache.core import CacheCore, Duration, Spawner
from secrets_adapter.cache.entry import (
    CacheEntry,
    CacheKey,
    Flight,
    FlightPurpose,
    cache_key,
    name_of,
)
from secrets_adapter.errors import ProviderUnavailableError, SecretsAdapterError
from secrets_adapter.events import CacheResult
from secrets_adapter.models import Secret, Stage
from secrets_adapter.providers.base import BatchResult

__all__ = ["Duration", "SecretCache", "Spawner"]

_CURRENT = Stage.CURRENT
_HIT = CacheResult.HIT
_MISS = CacheResult.MISS
_STALE = CacheResult.STALE


class SecretCache(CacheCore):
    """A ``Provider`` that caches another provider's reads; see the module docstring. Its
    settings, table and backend calls are in ``CacheCore``."""

    def get(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage = _CURRENT,
        refresh: bool = False,
    ) -> Secret:
        """A secret through the cache; ``refresh=True`` goes to the backend (see ``read``)."""
        if version is None and stage is _CURRENT and not refresh:
            entry = self._entries.get(name)
            if entry is not None:
                now = self._clock()
                if now < entry.refresh_at:
                    entry.last_used = now
                    return entry.secret
        return self._read(name, version, stage, refresh)[0]

    def read(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage = _CURRENT,
        refresh: bool = False,
    ) -> tuple[Secret, CacheResult]:
        """``get`` that also says whether the value was a hit, a miss or a stale serve.

        ``refresh=True`` is for a caller that just saw the value fail (an authentication error):
        it fetches anew, sharing one call with other forced readers of the key, unless the value
        was fetched less than ``min_refresh_interval`` ago.
        """
        if version is None and stage is _CURRENT and not refresh:
            entry = self._entries.get(name)
            if entry is not None:
                now = self._clock()
                if now < entry.refresh_at:
                    entry.last_used = now
                    return entry.hit
        return self._read(name, version, stage, refresh)

    def read_nowait(self, name: str, *, stale: bool = False) -> tuple[Secret, CacheResult] | None:
        """The current version of ``name`` if it can be served without waiting on the backend:
        fresh, or in its refresh-ahead window (a background refresh is then started); with
        ``stale=True`` also an expired value still within ``max_stale`` (a stale serve). None:
        the caller must ``read``, which may wait. For an asynchronous face's hit path."""
        entry = self._entries.get(name)
        if entry is None:
            return None
        now = self._clock()
        if now < entry.refresh_at:
            entry.last_used = now
            return entry.hit
        if now < entry.expires_at:
            entry.last_used = now
            self._start_refresh(entry, name, None, _CURRENT, now)
            return entry.hit
        if stale and now < entry.stale_until:
            return self._serve_stale(entry, now)
        return None

    def get_many(self, names: Sequence[str]) -> BatchResult:
        """Fresh entries from the cache, the rest in ONE call to the provider's ``get_many``;
        what it returns fills the cache. Keys already being fetched are waited for instead."""
        return self.read_many(names)[0]

    def read_many(self, names: Sequence[str]) -> tuple[BatchResult, dict[str, CacheResult]]:
        """``get_many`` that also says, per name served, whether it was a hit, a miss or a stale
        serve (names that failed have no entry in the second mapping)."""
        now = self._clock()
        result: BatchResult = {}
        served: dict[str, CacheResult] = {}
        pending: list[tuple[str, CacheEntry | None]] = []
        for name in dict.fromkeys(names):
            entry = self._entries.get(name)
            if entry is not None and now < entry.expires_at:
                entry.last_used = now
                result[name] = entry.secret
                served[name] = _HIT
                if now >= entry.refresh_at:
                    self._start_refresh(entry, name, None, _CURRENT, now)
            else:
                pending.append((name, entry))
        if not pending:
            return result, served
        # Names with a usable (stale) value are refreshed in the background, so a slow or hung
        # backend never holds their reader; the caller itself fetches only what it lacks.
        waited_for: list[Flight] = []
        refreshed: list[Flight] = []
        flights: list[Flight | None] = []
        with self._lock:
            for name, entry in pending:
                usable = entry is not None and now < entry.stale_until
                flight = self._inflight.get(name)
                if flight is None and entry is not None and usable and now < entry.retry_at:
                    flights.append(None)  # refreshes of this key are failing: back off
                    continue
                if flight is None:
                    purpose = FlightPurpose.REFRESH if usable else FlightPurpose.FETCH
                    flight = self._register(name, name, None, _CURRENT, now=now, purpose=purpose)
                    (refreshed if usable else waited_for).append(flight)
                flights.append(flight)
        if refreshed:
            self._spawn_or_fail(refreshed, lambda: self._fetch_batch(refreshed))
        if waited_for:
            self._fetch_batch(waited_for)
        for (name, entry), flight in zip(pending, flights, strict=True):
            try:
                if entry is not None and now < entry.stale_until:
                    if flight is None:
                        result[name], served[name] = self._serve_stale(entry, now)
                    else:
                        result[name], served[name] = self._await_or_stale(flight, entry, now)
                else:
                    assert flight is not None  # noqa: S101 - only usable entries back off
                    flight.done.wait()
                    result[name], served[name] = flight.result(), _MISS
            except SecretsAdapterError as exc:
                result[name] = exc
        return result, served

    def list_names(self, prefix: str = "") -> list[str]:
        """Not cached: listings are rare and must see new secrets at once."""
        return self._provider.list_names(prefix)

    def close(self) -> None:
        """Forget every value and close the wrapped provider."""
        self.clear()
        self._provider.close()

    # --- invalidation --------------------------------------------------------------------------

    def invalidate(self, name: str) -> None:
        """Forget every version of ``name``; fetches already under way are not cached."""
        with self._lock:
            for key in [key for key in self._entries if name_of(key) == name]:
                del self._entries[key]
            for table in (self._inflight, self._forced):
                for key, flight in list(table.items()):
                    if flight.name == name:
                        flight.cancelled = True
                        del table[key]

    def clear(self) -> None:
        """Forget everything; fetches already under way are not cached."""
        with self._lock:
            self._entries.clear()
            for table in (self._inflight, self._forced):
                for flight in table.values():
                    flight.cancelled = True
                table.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __repr__(self) -> str:
        return f"SecretCache({self._provider.kind}, entries={len(self._entries)})"

    # --- the slow path -------------------------------------------------------------------------

    def _read(
        self, name: str, version: str | None, stage: Stage, refresh: bool
    ) -> tuple[Secret, CacheResult]:
        key = cache_key(name, version, stage)
        now = self._clock()
        if refresh:
            return self._forced_read(key, name, version, stage, now)
        entry = self._entries.get(key)
        if entry is not None:
            entry.last_used = now
            if now < entry.refresh_at:
                return entry.hit
            if now < entry.expires_at:
                self._start_refresh(entry, key, version, stage, now)
                return entry.hit
            if now < entry.stale_until:
                flight = self._start_refresh(entry, key, version, stage, now)
                if flight is not None:
                    return self._await_or_stale(flight, entry, now)
                fresher = self._entries.get(key)
                if fresher is not None and fresher is not entry and now < fresher.expires_at:
                    return fresher.hit
                return self._serve_stale(entry, now)
        return self._fetch(key, name, version, stage, now)

    def _fetch(
        self, key: CacheKey, name: str, version: str | None, stage: Stage, now: float
    ) -> tuple[Secret, CacheResult]:
        """No usable value: one caller calls the backend, the others wait for its answer."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.expires_at:
                return entry.hit  # a flight landed between our look and the lock
            flight = self._inflight.get(key)
            leader = flight is None
            if flight is None:
                flight = self._register(
                    key, name, version, stage, now=now, purpose=FlightPurpose.FETCH
                )
        if leader:
            self._run(flight)
        else:
            flight.done.wait()
        return flight.result(), _MISS

    def _forced_read(
        self, key: CacheKey, name: str, version: str | None, stage: Stage, now: float
    ) -> tuple[Secret, CacheResult]:
        """A fetch that skips the TTL, unless the value is younger than the minimum interval."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.fetched_at < self._min_refresh_interval:
                entry.last_used = now
                return entry.hit
            flight = self._forced.get(key)
            leader = flight is None
            if flight is None:
                flight = self._register(
                    key, name, version, stage, now=now, purpose=FlightPurpose.REFRESH, forced=True
                )
        if leader:
            self._run(flight)
        else:
            flight.done.wait()
        return flight.result(), _MISS

    def _start_refresh(
        self, entry: CacheEntry, key: CacheKey, version: str | None, stage: Stage, now: float
    ) -> Flight | None:
        """The flight refreshing ``key`` — the one under way, or a new one in the background.
        None while a failing key backs off."""
        with self._lock:
            flight = self._inflight.get(key)
            if flight is not None:
                return flight
            if self._entries.get(key) is not entry or now < entry.retry_at:
                # Replaced meanwhile (a refresh landed while this reader held the old entry:
                # refreshing again would call the backend for a value 0 s old) or backing off.
                return None
            flight = self._register(
                key, name_of(key), version, stage, now=now, purpose=FlightPurpose.REFRESH
            )
        self._spawn_or_fail([flight], lambda: self._run(flight))
        return flight

    def _spawn_or_fail(self, flights: Sequence[Flight], task: Callable[[], None]) -> None:
        """Run ``task`` in the background; if no thread can be had, the flights fail as
        unavailable (so their readers get the stale value, not a hang)."""
        try:
            self._spawn(task)
        except Exception as exc:  # noqa: BLE001 - no thread to spare: count it as unavailable
            for flight in flights:
                self._complete(
                    flight,
                    ProviderUnavailableError(
                        f"Could not start a background refresh of secret {flight.name!r} "
                        f"({type(exc).__name__}).",
                        secret_name=flight.name,
                        provider=self._provider.kind,
                    ),
                    duration=0.0,
                )

    def _await_or_stale(
        self, flight: Flight, entry: CacheEntry, now: float
    ) -> tuple[Secret, CacheResult]:
        """Wait for ``flight`` at most ``stale_wait`` from its start (not at all while the key's
        refreshes are failing), then serve the old value; an error other than unavailability is
        raised, never hidden."""
        remaining = flight.started + self._stale_wait - now
        if entry.failures or self._stalled(now):
            remaining = 0.0
        if remaining > 0:
            flight.done.wait(remaining)
        if flight.done.is_set() and not isinstance(flight.error, ProviderUnavailableError):
            return flight.result(), _MISS
        return self._serve_stale(entry, now)

    def _stalled(self, now: float) -> bool:
        """Whether some backend call has run past ``stale_wait``: the backend looks hung, so
        a reader holding a usable old value is served it at once instead of waiting too."""
        deadline = now - self._stale_wait
        return any(flight.started < deadline for flight in list(self._inflight.values()))

    def _serve_stale(self, entry: CacheEntry, now: float) -> tuple[Secret, CacheResult]:
        if self._events:
            self._emit("stale", entry.secret.name, age_s=now - entry.fetched_at)
        return entry.secret, _STALE
