"""What the cache holds per key (``CacheEntry``) and one backend call in progress (``Flight``).

Both are internal, mutable on purpose: an entry records when it was last used (for LRU) and how
its refreshes are failing; a flight is filled in once by the thread that made the backend call
and read by every thread that waited for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

from secrets_adapter.events import CacheResult
from secrets_adapter.models import Secret, Stage

__all__ = ["CacheEntry", "CacheKey", "Flight", "FlightPurpose", "cache_key", "name_of"]

CacheKey = str | tuple[str, str | None, Stage]
"""The current version is keyed by its bare name (a string hashes once and for all, which keeps the
hit path cheap); a pinned version or another stage by ``(name, version, stage)``. A string never
equals a tuple, so the two kinds of key cannot collide."""

_CURRENT = Stage.CURRENT


def cache_key(name: str, version: str | None, stage: Stage) -> CacheKey:
    """The key for a secret at a version or stage."""
    if version is None and stage is _CURRENT:
        return name
    return (name, version, stage)


def name_of(key: CacheKey) -> str:
    """The secret name a key belongs to."""
    return key if isinstance(key, str) else key[0]


@dataclass(slots=True, eq=False, kw_only=True)
class CacheEntry:
    """A fetched secret and its deadlines, all on the cache's monotonic clock (seconds).

    ``refresh_at`` ≤ ``expires_at`` ≤ ``stale_until``: before ``refresh_at`` a read is a plain
    hit; until ``expires_at`` a hit that also starts one background refresh; until
    ``stale_until`` the value may stand in for a backend that is unavailable.
    """

    secret: Secret
    hit: tuple[Secret, CacheResult]  # built once so a hit allocates nothing
    sequence: int  # order in which fetches started; an older fetch never replaces a newer one
    fetched_at: float
    refresh_at: float
    expires_at: float
    stale_until: float
    last_used: float
    failures: int = 0  # consecutive refreshes that failed with ProviderUnavailableError
    retry_at: float = 0.0  # no new refresh before this while failing (backoff)


class FlightPurpose(StrEnum):
    FETCH = "fetch"  # a reader had no usable value and waits for this call
    REFRESH = "refresh"  # refresh-ahead, an expired entry, or a forced refresh


class Flight:
    """One backend call for one key; every reader of that key meanwhile waits for this one."""

    __slots__ = (
        "cancelled",
        "done",
        "error",
        "forced",
        "key",
        "name",
        "purpose",
        "secret",
        "sequence",
        "stage",
        "started",
        "version",
    )

    def __init__(
        self,
        *,
        key: CacheKey,
        name: str,
        version: str | None,
        stage: Stage,
        sequence: int,
        started: float,
        purpose: FlightPurpose,
        forced: bool = False,
    ) -> None:
        self.key = key
        self.name = name
        self.version = version
        self.stage = stage
        self.sequence = sequence
        self.started = started
        self.purpose = purpose
        self.forced = forced
        self.cancelled = False  # invalidated meanwhile: the answer must not be cached
        self.done = threading.Event()
        self.secret: Secret | None = None
        self.error: Exception | None = None

    def result(self) -> Secret:
        """The fetched secret, or the fetch's error raised (the same object for every waiter)."""
        if self.error is not None:
            raise self.error
        if self.secret is None:  # pragma: no cover - a finished flight has one or the other
            raise RuntimeError("a finished flight has neither a secret nor an error")
        return self.secret
