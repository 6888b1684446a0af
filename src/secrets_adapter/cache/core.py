"""The state every ``SecretCache`` keeps and the backend calls that fill it.

``SecretCache`` (secret_cache.py) is the reading side: its hit path, the slow path and
invalidation. This module holds what sits behind them: the settings checked once, the table of
entries and of flights under way, one backend call per flight (``_run``, ``_fetch_batch``), how
an answer lands in the table (``_complete``, ``_record``), eviction, and the ``CacheEvent``s.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta

from secrets_adapter.cache.compact import compact
from secrets_adapter.cache.entry import (
    CacheEntry,
    CacheKey,
    Flight,
    FlightPurpose,
    name_of,
)
from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.errors import (
    ConfigurationError,
    ProviderUnavailableError,
    SecretsAdapterError,
)
from secrets_adapter.events import CacheEvent, CacheResult, EventBus
from secrets_adapter.models import Secret, Stage
from secrets_adapter.providers.base import Provider

__all__ = ["CacheCore", "Duration", "Spawner", "as_seconds", "spawn_daemon_thread"]

_log = logging.getLogger(__name__)

Duration = timedelta | float
"""A duration as a ``timedelta`` or a number of seconds."""

Spawner = Callable[[Callable[[], None]], object]
"""Runs a task in the background: ``executor.submit`` fits, as does a test's ``list.append``."""

_HIT = CacheResult.HIT


def as_seconds(value: Duration, what: str) -> float:
    """Seconds from a ``timedelta`` or a number; negative durations are a configuration error."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 0:
        raise ConfigurationError(f"The cache's {what} must not be negative (got {value!r}).")
    return seconds


def spawn_daemon_thread(task: Callable[[], None]) -> None:
    """The default background runner: a daemon thread per refresh (at most one per key), so a
    hung backend never delays interpreter exit."""
    threading.Thread(target=task, name="secret-cache-refresh", daemon=True).start()


class CacheCore:
    """Settings, entries, flights and backend calls: the half of ``SecretCache`` no reader
    touches on a hit."""

    def __init__(
        self,
        provider: Provider,
        *,
        ttl: Duration = timedelta(minutes=5),
        max_stale: Duration = timedelta(hours=1),
        refresh_ahead: float = 0.1,
        max_entries: int = 1024,
        jitter: float = 0.1,
        ttl_overrides: Mapping[str, Duration] | None = None,
        min_refresh_interval: Duration = timedelta(seconds=1),
        stale_wait: Duration = timedelta(milliseconds=100),
        clock: MonotonicClock = monotonic,
        wall_clock: WallClock = utcnow,
        events: EventBus | None = None,
        background: Spawner | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        """
        ``ttl``: how long a fetched value is fresh (per secret: ``ttl_overrides[name]``).
        ``jitter``: a key's first TTL is shortened by a random fraction up to this (0 turns it
        off); refreshes then keep the key's phase.
        ``refresh_ahead``: the last fraction of the TTL in which a hit starts a background refresh.
        ``max_stale``: how long past expiry the last good value may be served while the backend
        is unavailable. ``stale_wait``: how long a reader holding an expired value waits for the
        backend before being served that value instead. ``min_refresh_interval``: a forced
        refresh of a value fetched more recently than this returns that value; it is also the
        first backoff step after a failed refresh.
        """
        self._provider = provider
        self._ttl = as_seconds(ttl, "ttl")
        if self._ttl <= 0:
            raise ConfigurationError("The cache's ttl must be positive; use cache=False instead.")
        self._ttl_overrides = {
            name: as_seconds(value, f"ttl for {name!r}")
            for name, value in (ttl_overrides or {}).items()
        }
        self._max_stale = as_seconds(max_stale, "max_stale")
        if not 0 <= refresh_ahead < 1:
            raise ConfigurationError(
                f"The cache's refresh_ahead is a fraction of the TTL in [0, 1), got {refresh_ahead}"
            )
        if not 0 <= jitter < 1:
            raise ConfigurationError(f"The cache's jitter is a fraction in [0, 1), got {jitter}.")
        if max_entries < 1:
            raise ConfigurationError(f"The cache's max_entries must be ≥ 1, got {max_entries}.")
        self._refresh_ahead = refresh_ahead
        self._jitter = jitter
        self._max_entries = max_entries
        self._min_refresh_interval = as_seconds(min_refresh_interval, "min_refresh_interval")
        self._stale_wait = as_seconds(stale_wait, "stale_wait")
        self._clock = clock
        self._wall_clock = wall_clock
        self._events = events if events is not None else EventBus()
        self._spawn: Spawner = background or spawn_daemon_thread
        # Jitter spreads refreshes over time; it guards nothing, so a plain PRNG is right here.
        self._rng = rng or random.Random().random  # noqa: S311
        self._lock = threading.Lock()
        self._entries: dict[CacheKey, CacheEntry] = {}
        # Read-only for faces: a face may keep what it derived from an entry (the decoded text)
        # for as long as ``hot_entries.get(key) is entry`` and the entry is before refresh_at.
        self.hot_entries: Mapping[CacheKey, CacheEntry] = self._entries
        self._inflight: dict[CacheKey, Flight] = {}
        self._forced: dict[CacheKey, Flight] = {}
        self._sequence = 0

    # --- Provider ------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """The wrapped backend's kind: the cache is transparent."""
        return self._provider.kind

    @property
    def provider(self) -> Provider:
        return self._provider

    # --- backend calls -------------------------------------------------------------------------

    def _register(
        self,
        key: CacheKey,
        name: str,
        version: str | None,
        stage: Stage,
        *,
        now: float,
        purpose: FlightPurpose,
        forced: bool = False,
    ) -> Flight:
        """A new flight for ``key``; the caller holds the lock."""
        self._sequence += 1
        flight = Flight(
            key=key,
            name=name,
            version=version,
            stage=stage,
            sequence=self._sequence,
            started=now,
            purpose=purpose,
            forced=forced,
        )
        (self._forced if forced else self._inflight)[key] = flight
        return flight

    def _run(self, flight: Flight) -> None:
        """Make the flight's backend call; whatever happens, its waiters are released."""
        outcome: Secret | Exception = ProviderUnavailableError(
            f"The fetch of secret {flight.name!r} was interrupted.",
            secret_name=flight.name,
            provider=self._provider.kind,
        )
        started = time.perf_counter()
        try:
            outcome = self._provider.get(flight.name, version=flight.version, stage=flight.stage)
        except Exception as exc:  # noqa: BLE001 - handed to every waiter, raised there
            outcome = exc
        finally:
            self._complete(flight, outcome, duration=time.perf_counter() - started)

    def _fetch_batch(self, flights: Sequence[Flight]) -> None:
        """One ``get_many`` for every flight; each is completed with its own answer."""
        outcomes: dict[str, Secret | Exception] = {}
        started = time.perf_counter()
        try:
            batch = self._provider.get_many([flight.name for flight in flights])
            outcomes.update(batch)
        except Exception as exc:  # noqa: BLE001 - the batch failed as a whole: each waiter gets it
            outcomes = {flight.name: exc for flight in flights}
        finally:
            duration = time.perf_counter() - started
            for flight in flights:
                outcome = outcomes.get(flight.name)
                if outcome is None:
                    outcome = ProviderUnavailableError(
                        f"The batch read returned nothing for secret {flight.name!r}.",
                        secret_name=flight.name,
                        provider=self._provider.kind,
                    )
                self._complete(flight, outcome, duration=duration)

    def _complete(self, flight: Flight, outcome: Secret | Exception, *, duration: float) -> None:
        """Record the answer (unless invalidated meanwhile) and release the waiters."""
        if isinstance(outcome, Secret):
            outcome = compact(outcome)  # what the waiters get is what later hits return
        now = self._clock()
        evicted: list[str] = []
        with self._lock:
            table = self._forced if flight.forced else self._inflight
            if table.get(flight.key) is flight:
                del table[flight.key]
            if not flight.cancelled:
                evicted = self._record(flight, outcome, now)
        if isinstance(outcome, Secret):
            flight.secret = outcome
        else:
            flight.error = outcome
        flight.done.set()
        if not isinstance(outcome, SecretsAdapterError | Secret):
            # Not ours: a bug or an SDK surprise. Its message could quote anything; log the type.
            _log.warning("fetching secret %r raised %s", flight.name, type(outcome).__name__)
        if self._events:
            self._emit_outcome(flight, outcome, duration, evicted)

    def _record(self, flight: Flight, outcome: Secret | Exception, now: float) -> list[str]:
        """Update the table after a fetch; the caller holds the lock. Returns evicted names."""
        current = self._entries.get(flight.key)
        if current is not None and current.sequence > flight.sequence:
            return []  # a fetch that started later has already landed
        if isinstance(outcome, Secret):
            self._entries[flight.key] = self._new_entry(outcome, flight, now)
            return self._evict_overflow(flight.key)
        if current is None:
            return []
        if isinstance(outcome, ProviderUnavailableError):
            current.failures += 1
            backoff = self._min_refresh_interval * 2 ** (current.failures - 1)
            current.retry_at = now + min(backoff, max(self._ttl, self._min_refresh_interval))
        else:
            del self._entries[flight.key]  # not found, denied, tampered: never served again
        return []

    def _new_entry(self, secret: Secret, flight: Flight, now: float) -> CacheEntry:
        ttl = self._ttl_overrides.get(flight.name, self._ttl)
        if self._jitter and flight.purpose is FlightPurpose.FETCH:
            # Jitter sets each key's phase once, on its first fetch: processes started together
            # then refresh apart for good, and a refresh keeps the full period (fewer calls).
            ttl *= 1.0 - self._jitter * self._rng()
        expires_at = now + ttl
        return CacheEntry(
            secret=secret,
            hit=(secret, _HIT),
            sequence=flight.sequence,
            fetched_at=now,
            refresh_at=now + ttl * (1.0 - self._refresh_ahead),
            expires_at=expires_at,
            stale_until=expires_at + self._max_stale,
            last_used=now,
        )

    def _evict_overflow(self, keep: CacheKey) -> list[str]:
        """Drop least recently used entries beyond ``max_entries`` (ties: the oldest first)."""
        evicted: list[str] = []
        while len(self._entries) > self._max_entries:
            victim = min(
                (key for key in self._entries if key != keep),
                key=lambda key: self._entries[key].last_used,
            )
            del self._entries[victim]
            evicted.append(name_of(victim))
        return evicted

    # --- events --------------------------------------------------------------------------------

    def _emit_outcome(
        self, flight: Flight, outcome: Secret | Exception, duration: float, evicted: Iterable[str]
    ) -> None:
        if isinstance(outcome, Secret):
            self._emit(flight.purpose.value, flight.name, duration_s=duration)
        else:
            self._emit("error", flight.name, duration_s=duration, error_code=type(outcome).__name__)
        for name in evicted:
            self._emit("evict", name)

    def _emit(
        self,
        kind: str,
        name: str,
        *,
        duration_s: float = 0.0,
        age_s: float = 0.0,
        error_code: str | None = None,
    ) -> None:
        self._events.emit(
            CacheEvent(
                time=self._wall_clock(),
                kind=kind,
                secret_name=name,
                duration_s=duration_s,
                age_s=age_s,
                error_code=error_code,
            )
        )
