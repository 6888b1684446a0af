"""Sinks for fault injection: one that records, fails on demand, or hangs until released."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any


class MemorySink:
    """Keeps what it is given; can be made to fail or to hang (on an Event) until released."""

    def __init__(self) -> None:
        self.batches: list[list[Mapping[str, Any]]] = []
        self.failing = False
        self.hang: threading.Event | None = None
        self.entered = threading.Event()
        self.closed = False

    @property
    def records(self) -> list[Mapping[str, Any]]:
        return [record for batch in self.batches for record in batch]

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        self.entered.set()
        if self.hang is not None:
            self.hang.wait()
        if self.failing:
            raise OSError("disk full")
        self.batches.append(list(bodies))

    def close(self) -> None:
        self.closed = True


def wait_until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait for another thread to bring ``condition`` about (not a wait for time to pass)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.002)
