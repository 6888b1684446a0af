"""Events the adapter emits for audit, metrics and alerts. No field can hold a secret value.

A listener is ``Callable[[Event], None]``. Listeners run inline, so they must be quick; a listener
that raises is logged and skipped, never breaking the read that produced the event (the audit
log's fail-closed mode is enforced by the adapter itself, not through a listener).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = [
    "AccessEvent",
    "CacheEvent",
    "CacheResult",
    "Event",
    "EventBus",
    "EventSource",
    "Listener",
    "Outcome",
    "RotationEvent",
    "ThrottleEvent",
]

_log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    DENIED = "denied"


class CacheResult(StrEnum):
    HIT = "hit"
    MISS = "miss"
    STALE = "stale"
    BYPASS = "bypass"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessEvent:
    """One access to one secret through the adapter: a read, a batch item, a write, a denial."""

    time: datetime
    action: str  # get, get_many, put, delete, restore, describe, list, rotate
    secret_name: str
    provider: str
    principal: str
    outcome: Outcome
    request_id: str
    version_id: str | None = None
    stage: str | None = None
    cache: CacheResult | None = None
    error_code: str | None = None
    error_message: str | None = None
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEvent:
    """What the cache did: a backend fetch, a background refresh, a stale serve, an eviction."""

    time: datetime
    kind: str  # fetch, refresh, stale, evict, error
    secret_name: str
    duration_s: float = 0.0
    age_s: float = 0.0
    error_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationEvent:
    """A rotation's progress: started, step_done, failed, finished."""

    time: datetime
    secret_name: str
    status: str
    step: str | None = None
    version_id: str | None = None
    rotator: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleEvent:
    """The backend answered "slow down" (AWS throttling, HTTP 429), whether or not the SDK then
    retried: ``retry_after_s`` is the wait it asked for, if any."""

    time: datetime
    provider: str
    operation: str
    secret_name: str = ""
    retry_after_s: float | None = None
    retried: bool = False


Event = AccessEvent | CacheEvent | RotationEvent | ThrottleEvent
Listener = Callable[[Event], None]


@runtime_checkable
class EventSource(Protocol):
    """Something below the adapter (a provider) that reports events of its own, e.g. throttling."""

    def subscribe(self, listener: Listener) -> None: ...


class EventBus:
    """Delivers events to listeners; a failing listener is logged (type only) and skipped."""

    __slots__ = ("_listeners", "active")

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self._listeners: tuple[Listener, ...] = tuple(listeners)
        self.active = bool(self._listeners)
        """True when someone listens: a plain attribute, cheap to test on the hit path."""

    def subscribe(self, listener: Listener) -> None:
        self._listeners = (*self._listeners, listener)
        self.active = True

    def unsubscribe(self, listener: Listener) -> None:
        """Stop delivering to ``listener``. Compared by equality: ``obj.method`` is a new object at
        every access, but equal to the one subscribed."""
        self._listeners = tuple(item for item in self._listeners if item != listener)
        self.active = bool(self._listeners)

    def __bool__(self) -> bool:
        return bool(self._listeners)

    def emit(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - a listener must never break a read
                _log.warning("event listener %r failed with %s", listener, type(exc).__name__)
