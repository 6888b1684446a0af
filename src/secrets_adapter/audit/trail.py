"""``AuditTrail``: the adapter's fail-closed recorder in front of a sink.

Not an ``EventBus`` listener, because it must be able to refuse the access: ``record`` raises
``AuditUnavailableError`` when the record could not be written (durable mode) or queued
(buffered mode), and the adapter then returns no value.

One writer thread drains a bounded queue into the sink, so a sink that hangs cannot hang the
caller: a durable caller waits at most ``timeout`` for its record to be written (records of
concurrent callers share one write and one fsync); a buffered caller only waits for room in the
queue, and the writer flushes every ``flush_interval``, when ``batch_size`` records are waiting,
on ``flush()``/``close()`` and at interpreter exit. A buffered batch the sink refused is kept and
retried; until a write succeeds again, new accesses are refused (fail closed).

A process forked after the trail started (gunicorn's ``preload_app``) gets a fresh queue and
writer of its own on its first record; records still queued in the parent stay the parent's.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from secrets_adapter.audit.fingerprint import fingerprint
from secrets_adapter.audit.records import rotation_record, to_record
from secrets_adapter.audit.sinks import AuditSink
from secrets_adapter.errors import AuditUnavailableError, ConfigurationError
from secrets_adapter.events import AccessEvent, Event, Listener, RotationEvent
from secrets_adapter.models import SecretValue

__all__ = ["AuditMode", "AuditTrail"]

_log = logging.getLogger(__name__)


class AuditMode(StrEnum):
    DURABLE = "durable"  # the record is on disk before the value is returned
    BUFFERED = "buffered"  # the record is queued before the value is returned


@dataclass(slots=True)
class _Ticket:
    """A durable caller's wait for its batch to be written."""

    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class _RotationStep:
    event: RotationEvent
    principal: str
    provider: str


@dataclass(frozen=True, slots=True)
class _Pending:
    event: AccessEvent | _RotationStep
    value_hmac: str | None
    ticket: _Ticket | None

    def body(self) -> dict[str, Any]:
        if isinstance(self.event, _RotationStep):
            step = self.event
            return rotation_record(step.event, principal=step.principal, provider=step.provider)
        return to_record(self.event, value_hmac=self.value_hmac)


class AuditTrail:
    """Records access events through ``sink``; see the module docstring for the guarantees."""

    def __init__(
        self,
        sink: AuditSink,
        *,
        mode: AuditMode | str = AuditMode.DURABLE,
        timeout: timedelta = timedelta(seconds=2),
        flush_interval: timedelta = timedelta(milliseconds=200),
        batch_size: int = 256,
        max_pending: int = 10_000,
        fail_open: bool = False,
        fingerprint_key: bytes | None = None,
    ) -> None:
        try:
            self._mode = AuditMode(mode)
        except ValueError:
            raise ConfigurationError(
                f"Audit mode {mode!r} is not one of {', '.join(m.value for m in AuditMode)}."
            ) from None
        self._sink = sink
        self._timeout = timeout.total_seconds()
        self._interval = flush_interval.total_seconds()
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._fail_open = fail_open
        self._key = fingerprint_key
        self._cond = threading.Condition()
        self._pending: list[_Pending] = []
        self._writing = 0  # records handed to the sink and not yet settled
        self._flush_requested = False
        self._broken: BaseException | None = None  # last buffered write failure
        self._closing = False
        self._writer: threading.Thread | None = None
        self._at_exit: Callable[[], None] | None = None
        self._pid = os.getpid()

    @property
    def mode(self) -> AuditMode:
        return self._mode

    @property
    def sink(self) -> AuditSink:
        return self._sink

    def __repr__(self) -> str:
        return f"AuditTrail(mode={self._mode.value!r}, sink={type(self._sink).__name__})"

    # --- the caller's side -------------------------------------------------------------------

    def record(self, event: AccessEvent, *, value: SecretValue | None = None) -> None:
        """Write (durable) or queue (buffered) ``event``; raise if that failed, unless fail-open.

        ``value``, when given and a fingerprint key is configured, is recorded as its keyed
        HMAC only.
        """
        try:
            self._record(event, value)
        except AuditUnavailableError as exc:
            if not self._fail_open:
                raise
            _log.warning("audit record not written (fail-open): %s", exc.message)

    def rotation_listener(self, *, principal: str, provider: str) -> Listener:
        """An ``EventBus`` listener that records rotation steps (started, each step, finished,
        failed). Best effort: a rotation is not a read, and the bus logs a failure rather than
        raising it; the rotation's own access record is fail-closed like any other."""

        def record_rotation(event: Event) -> None:
            if isinstance(event, RotationEvent):
                self._record(_RotationStep(event, principal, provider), None)

        return record_rotation

    def _record(self, event: AccessEvent | _RotationStep, value: SecretValue | None) -> None:
        value_hmac = (
            fingerprint(self._key, value.reveal_bytes())
            if self._key is not None and value is not None
            else None
        )
        name = event.event.secret_name if isinstance(event, _RotationStep) else event.secret_name
        ticket = _Ticket() if self._mode is AuditMode.DURABLE else None
        if self._pid != os.getpid():
            self._after_fork()
        with self._cond:
            if self._closing:
                raise AuditUnavailableError(
                    "The audit trail is closed; the access was refused.",
                    secret_name=name,
                )
            if self._broken is not None:
                raise AuditUnavailableError(
                    "The audit sink is failing "
                    f"({type(self._broken).__name__}); the access was refused.",
                    secret_name=name,
                ) from self._broken
            if len(self._pending) >= self._max_pending and not self._cond.wait_for(
                lambda: len(self._pending) < self._max_pending or self._closing,
                timeout=self._timeout,
            ):
                raise AuditUnavailableError(
                    f"The audit queue stayed full for {self._timeout:g}s; the access was refused.",
                    secret_name=name,
                )
            self._start_writer()
            self._pending.append(_Pending(event, value_hmac, ticket))
            if ticket is not None or len(self._pending) >= self._batch_size:
                self._cond.notify_all()
        if ticket is None:
            return
        if not ticket.done.wait(self._timeout):
            raise AuditUnavailableError(
                f"The audit sink did not write the record within {self._timeout:g}s; the "
                "access was refused.",
                secret_name=name,
            )
        if ticket.error is not None:
            raise AuditUnavailableError(
                f"The audit sink failed ({type(ticket.error).__name__}); the access was refused.",
                secret_name=name,
            ) from ticket.error

    def flush(self, timeout: timedelta | None = None) -> bool:
        """Write everything queued; True if the queue drained within ``timeout``."""
        limit = self._timeout if timeout is None else timeout.total_seconds()
        with self._cond:
            if self._writer is None:
                return not self._pending
            self._flush_requested = True
            self._cond.notify_all()
            drained = self._cond.wait_for(
                lambda: (not self._pending and not self._writing) or self._broken is not None,
                timeout=limit,
            )
            return drained and not self._pending and not self._writing

    def close(self) -> None:
        """Flush what is queued (waiting at most ``timeout``), stop the writer, close the sink."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
            writer = self._writer
        if writer is not None:
            writer.join(self._timeout)
        with self._cond:
            lost = len(self._pending) + self._writing
        if lost:
            _log.error("%d audit record(s) could not be written before close", lost)
        if self._at_exit is not None:
            atexit.unregister(self._at_exit)
            self._at_exit = None
        self._sink.close()

    # --- the writer's side -------------------------------------------------------------------

    def _after_fork(self) -> None:
        """In a forked child: the parent's writer thread and queue are not ours (its lock may
        even have been held at the fork), so start over with empty ones."""
        self._cond = threading.Condition()
        self._pending = []
        self._writing = 0
        self._flush_requested = False
        self._broken = None
        self._writer = None
        self._at_exit = None
        self._pid = os.getpid()

    def _start_writer(self) -> None:
        if self._writer is not None:
            return
        self._writer = threading.Thread(target=self._run, name="secrets-adapter-audit", daemon=True)
        self._writer.start()
        reference = weakref.ref(self)

        def close_at_exit() -> None:
            trail = reference()
            if trail is not None:
                trail.close()

        self._at_exit = close_at_exit
        atexit.register(close_at_exit)

    def _ready(self) -> bool:
        if self._closing or self._flush_requested or len(self._pending) >= self._batch_size:
            return True
        return any(item.ticket is not None for item in self._pending)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending) or self._closing)
                if not self._pending and self._closing:
                    return
                if not self._ready():
                    self._cond.wait_for(self._ready, timeout=self._interval)
                batch, self._pending = self._pending, []
                self._writing = len(batch)
                self._flush_requested = False
            error = self._write(batch)
            with self._cond:
                self._writing = 0
                if error is not None and self._mode is AuditMode.BUFFERED:
                    self._pending = batch + self._pending  # kept, in order, for a retry
                    self._broken = error
                else:
                    self._broken = None
                self._cond.notify_all()
            for item in batch:
                if item.ticket is not None:
                    item.ticket.error = error
                    item.ticket.done.set()
            if error is not None:
                with self._cond:
                    if self._closing:
                        return
                    self._cond.wait(self._interval)  # back off before retrying

    def _write(self, batch: list[_Pending]) -> BaseException | None:
        try:
            self._sink.append([item.body() for item in batch])
        except Exception as exc:  # noqa: BLE001 - any sink failure must refuse, not crash
            _log.error("audit sink %s failed: %s", type(self._sink).__name__, type(exc).__name__)
            return exc
        return None
