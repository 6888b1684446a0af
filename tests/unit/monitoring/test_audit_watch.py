"""``WatchedAuditSink`` fires ``audit-sink-failure`` for a sink that hangs, not only one that
raises: the alert comes while the write still hangs."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from secrets_adapter.monitoring import (
    AlertEngine,
    AlertNotification,
    WatchedAuditSink,
    default_rules,
)
from tests.unit.audit.faulty import wait_until
from tests.unit.monitoring.events import FakeClock


class HungSink:
    def __init__(self) -> None:
        self.release = threading.Event()

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        self.release.wait()

    def close(self) -> None:
        self.release.set()


def test_a_hung_append_fires_the_alert_while_it_hangs() -> None:
    notes: list[AlertNotification] = []
    clock = FakeClock()
    engine = AlertEngine(default_rules(), [notes.append], clock=clock)
    inner = HungSink()
    watched = WatchedAuditSink(inner, engine, clock=clock, hang_after=timedelta(milliseconds=50))
    writer = threading.Thread(target=watched.append, args=([{"eventName": "x"}],))
    writer.start()
    try:
        wait_until(lambda: any(n.rule_id == "audit-sink-failure" for n in notes))
        assert writer.is_alive()  # reported before the write returned
        assert [(n.rule_id, n.status.value) for n in notes] == [("audit-sink-failure", "firing")]
    finally:
        watched.close()
        writer.join(10)
