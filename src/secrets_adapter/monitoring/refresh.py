"""Rotation ages for ``metrics serve``, from metadata (never values), at a bounded call rate.

A scrape every 15 s that described every secret would itself be a Secrets Manager bill
(``secrets-adapter cost``); so the metadata is read at most once per ``interval``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from secrets_adapter.clock import MonotonicClock, monotonic
from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.models import SecretMetadata, Stage
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
        interval: timedelta = timedelta(minutes=5),
        clock: MonotonicClock = monotonic,
    ) -> None:
        self._metrics = metrics
        self._names = names
        self._describe = describe
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
                current = self._describe(name).version_for(Stage.CURRENT)
            except SecretsAdapterError:
                continue
            if current is not None and current.created_at is not None:
                self._metrics.note_rotation(name, current.created_at)
