"""Alerts on audit sink failures without the audit package knowing about monitoring.

The audit trail refuses an access it cannot record (fail closed) and emits no event for it, so
the alert engine learns of the failure from the sink itself: wrap the sink the trail writes to
(``AuditTrail(WatchedAuditSink(sink, engine), ...)``). Duck-typed: anything with
``append(bodies)`` and ``close()``.

Both kinds of failure are reported: an ``append`` that raises (at once), and one that has not
returned after ``hang_after`` (by a watchdog thread, while it still hangs: the writer thread
stuck in the sink cannot report anything itself). Use the trail's ``timeout`` (2 s by default),
the bound after which the trail refuses reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.events import AccessEvent, Outcome
from secrets_adapter.monitoring.engine import AlertEngine

__all__ = ["AUDIT_EVENT_NAME", "WatchedAuditSink"]

AUDIT_EVENT_NAME = "audit-log"


class _Sink(Protocol):
    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...


class WatchedAuditSink:
    """Passes every call through; a failing ``append`` is reported, then re-raised unchanged; an
    ``append`` still running after ``hang_after`` is reported once while it hangs."""

    def __init__(
        self,
        sink: _Sink,
        engine: AlertEngine,
        *,
        clock: WallClock = utcnow,
        hang_after: timedelta = timedelta(seconds=2),
    ) -> None:
        self._sink = sink
        self._engine = engine
        self._clock = clock
        self._hang_after = hang_after.total_seconds()
        self._started = 0.0  # monotonic start of the append in progress; 0 when idle
        self._hang_reported = False
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        if self._watchdog is None:
            self._start_watchdog()
        self._hang_reported = False
        self._started = time.monotonic()
        try:
            self._sink.append(bodies)
        except Exception as exc:
            self._report(f"the audit sink failed ({type(exc).__name__})")
            raise
        finally:
            self._started = 0.0

    def close(self) -> None:
        self._stop.set()
        self._sink.close()

    def _start_watchdog(self) -> None:
        with self._lock:
            if self._watchdog is not None:
                return
            self._watchdog = threading.Thread(
                target=self._watch, name="secrets-adapter-audit-watchdog", daemon=True
            )
            self._watchdog.start()

    def _watch(self) -> None:
        while not self._stop.wait(max(self._hang_after / 4, 0.005)):
            started = self._started
            if started and not self._hang_reported:
                stuck = time.monotonic() - started
                if stuck > self._hang_after:
                    self._hang_reported = True
                    self._report(f"the audit sink has not returned for {stuck:.1f}s (hung)")

    def _report(self, message: str) -> None:
        self._engine(
            AccessEvent(
                time=self._clock(),
                action="audit",
                secret_name=AUDIT_EVENT_NAME,
                provider="audit",
                principal="audit",
                outcome=Outcome.ERROR,
                request_id="audit-sink",
                error_code="AuditUnavailableError",
                error_message=message,
            )
        )
