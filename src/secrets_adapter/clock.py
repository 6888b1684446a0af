"""Injected time: wall clock for timestamps, monotonic clock for durations. Tests pass fakes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["MonotonicClock", "WallClock", "monotonic", "utcnow"]

WallClock = Callable[[], datetime]
MonotonicClock = Callable[[], float]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


monotonic: MonotonicClock = time.monotonic
"""Seconds on a clock that never goes back (for TTLs and timeouts). The C function itself, not a
wrapper: the cache reads it on every hit."""
