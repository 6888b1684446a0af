"""Alerts on audit sink failures without the audit package knowing about monitoring.

The audit trail refuses an access it cannot record (fail closed) and emits no event for it, so
the alert engine learns of the failure from the sink itself: wrap the sink the trail writes to
(``AuditTrail(WatchedAuditSink(sink, engine), ...)``). Duck-typed: anything with
``append(bodies)`` and ``close()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    """Passes every call through; a failing ``append`` is reported, then re-raised unchanged."""

    def __init__(self, sink: _Sink, engine: AlertEngine, *, clock: WallClock = utcnow) -> None:
        self._sink = sink
        self._engine = engine
        self._clock = clock

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        try:
            self._sink.append(bodies)
        except Exception:
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
                )
            )
            raise

    def close(self) -> None:
        self._sink.close()
