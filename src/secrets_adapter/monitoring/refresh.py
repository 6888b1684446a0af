"""Rotation ages for ``metrics serve``, from metadata (never values), at a bounded call rate.

A scrape every 15 s that described every secret would itself be a Secrets Manager bill
(``secrets-adapter cost``); so the metadata is read at most once per ``interval``. When a secret
was last rotated is ``last_rotated``'s to say (``rotation.schedule`` reads it from the tags, a
layer this module does not import), so the metrics page and ``status`` agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from secrets_adapter.clock import MonotonicClock, monotonic
from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.models import SecretMetadata
from secrets_adapter.monitoring.metrics import SecretsMetrics

__all__ = ["RotationAgeRefresher"]


class RotationAgeRefresher:
    """Call it before each scrape; it lists and describes at most once per ``interval``."""

    def __init__(
        self,
        metrics: SecretsMetrics,
        names: Callable[[], Iterable[str]],
        describe: Callable[[str], SecretMetadata],
        *,
        last_rotated: Callable[[SecretMetadata], datetime | None],
        interval: timedelta = timedelta(minutes=5),
        clock: MonotonicClock = monotonic,
    ) -> None:
        self._metrics = metrics
        self._names = names
        self._describe = describe
        self._last_rotated = last_rotated
        self._interval = interval.total_seconds()
        self._clock = clock
        self._last: float | None = None

    def __call__(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            return
        self._last = now
        for name in self._names():
            try:
                when = self._last_rotated(self._describe(name))
            except SecretsAdapterError:
                continue
            if when is not None:
                self._metrics.note_rotation(name, when)
