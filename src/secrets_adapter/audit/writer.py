"""The writer's side of ``AuditTrail``: one thread that formats, chains and writes the queued
records, in batches (group commit in durable mode), and settles each waiting caller.

``AuditTrail`` (trail.py) is the callers' side: it queues compact entries and waits or refuses.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from secrets_adapter.audit.entries import (
    Entry,
    RecordMaker,
    State,
    refused_if_waiting,
    with_id,
)
from secrets_adapter.audit.sinks import AuditSink

__all__ = ["TrailWriter"]

_log = logging.getLogger("secrets_adapter.audit.trail")
_monotonic = time.monotonic

_MAX_GATHER_S = 0.002  # the longest a durable write waits for more records to join it


class TrailWriter:
    """The queue, its writer thread and what a batch's outcome does to the callers waiting."""

    # set by AuditTrail.__init__
    _durable: bool
    _sink: AuditSink
    _timeout: float
    _interval: float
    _batch_size: int
    _max_pending: int
    _maker: RecordMaker

    if TYPE_CHECKING:

        def close(self) -> None: ...

    def _fresh_state(self) -> None:
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)  # a batch was settled
        self._wake = threading.Event()  # the writer has work
        self._stop = threading.Event()  # set by close(): ends a back-off at once
        self._queue: deque[Entry] = deque()
        self._writing = 0  # entries handed to the sink and not yet settled
        self._busy_since = 0.0  # monotonic time the current sink call started; 0 when idle
        self._failure: BaseException | None = None  # the last write's error, until one succeeds
        self._flush_requested = False
        self._closing = False
        self._lost_refusals = 0  # refusals not recorded because the queue was full
        self._writer: threading.Thread | None = None
        self._at_exit: Callable[[], None] | None = None
        self._fast = False  # buffered, writer running, no failure, not closing: see _update
        # set by close() once the writer is gone: nothing queued after this is ever written
        self._sealed = False
        self._last_batch = 0  # records in the last write, and how long it took (group commit)
        self._last_write = 0.0

    def _after_fork(self) -> None:
        """In a forked child: the parent's writer thread and queue are not ours (its lock may
        even have been held at the fork), so start over with empty ones."""
        self._fresh_state()

    def _start_writer(self) -> None:
        with self._lock:
            if self._writer is not None:
                return
            self._writer = threading.Thread(
                target=self._run, name="secrets-adapter-audit", daemon=True
            )
            self._writer.start()
            self._update()
        reference = weakref.ref(self)

        def close_at_exit() -> None:
            trail = reference()
            if trail is not None:
                trail.close()

        self._at_exit = close_at_exit
        atexit.register(close_at_exit)

    def _update(self) -> None:
        """Whether ``read_recorder``'s short path may be taken (state changes call this)."""
        self._fast = (
            not self._durable
            and self._writer is not None
            and self._failure is None
            and not self._closing
        )

    def _write_the_rest(self) -> None:
        """``close()``, once the writer thread has ended: seal the queue, then write what readers
        queued while the writer was stopping. A reader that queues after the seal sees it and
        is refused (``AuditTrail._unqueue_sealed``), so no read is served without its record."""
        self._sealed = True
        batch = self._take()
        if batch:
            self._settle(batch, self._write(batch))

    def _urgent(self) -> bool:
        return self._closing or self._flush_requested or len(self._queue) >= self._batch_size

    def _run(self) -> None:
        while True:
            if self._failure is not None:
                self._stop.wait(self._interval)  # back off before retrying a failing sink
            elif not self._durable:
                if not self._urgent():
                    self._wake.wait(self._interval)
            elif not self._queue and not self._closing:
                self._wake.wait()
            self._wake.clear()
            if self._durable:
                self._gather()
            batch = self._take()
            if not batch:
                if self._closing:
                    return
                continue
            started = _monotonic()
            self._settle(batch, self._write(batch))
            self._last_batch, self._last_write = len(batch), _monotonic() - started
            if self._closing and self._failure is not None:
                return  # closing with a broken sink: give up rather than spin

    def _gather(self) -> None:
        """Group commit: the callers the last write released are likely reading again; give
        them up to one write's time (at most 2 ms) to join the next one, so a write carries
        many records rather than only the first to arrive. A caller waits at most that much
        longer; a lone caller (last write of one record) never waits."""
        wanted = self._last_batch
        if wanted < 2 or self._closing:
            return
        deadline = _monotonic() + min(self._last_write, _MAX_GATHER_S)
        while len(self._queue) < wanted and not self._closing:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                return
            self._wake.wait(remaining)
            self._wake.clear()

    def _take(self) -> list[Entry]:
        """Everything queued, with each durable ticket claimed (or its refusal noted)."""
        queue = self._queue
        with self._lock:
            batch = [queue.popleft() for _ in range(len(queue))]
            for _, _, _, ticket in batch:
                if ticket is not None and ticket.state == State.QUEUED:
                    ticket.state = State.CLAIMED
            self._writing = len(batch)
            self._flush_requested = False
        return batch

    def _write(self, batch: list[Entry]) -> BaseException | None:
        bodies = [self._maker.body(entry) for entry in batch]
        self._busy_since = _monotonic()
        try:
            self._sink.append(bodies)
        except Exception as exc:  # noqa: BLE001 - any sink failure must refuse, not crash
            _log.error("audit sink %s failed: %s", type(self._sink).__name__, type(exc).__name__)
            return exc
        finally:
            self._busy_since = 0.0
        return None

    def _settle(self, batch: list[Entry], error: BaseException | None) -> None:
        corrections: list[Entry] = []
        with self._lock:
            self._writing = 0
            self._failure = error
            self._update()
            if error is not None:
                # nothing was written: keep every record, in order; a refused caller's says so
                kept = [refused_if_waiting(entry, error) for entry in batch]
                self._queue.extendleft(reversed(kept))
            else:
                for source, _, _, ticket in batch:
                    if ticket is not None and ticket.state == State.LATE:
                        corrections.append((with_id(source, ticket), None, ticket.reason, None))
                self._queue.extend(corrections)
                if self._lost_refusals:
                    _log.error(
                        "%d refused access(es) went unrecorded: the audit queue was full",
                        self._lost_refusals,
                    )
                    self._lost_refusals = 0
            self._settled.notify_all()
        for _, _, _, ticket in batch:
            if ticket is not None and not ticket.done.is_set():
                ticket.error = error
                ticket.done.set()
