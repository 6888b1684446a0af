"""``AuditTrail``: the adapter's fail-closed recorder in front of a sink.

Not an ``EventBus`` listener, because it must be able to refuse the access: ``record`` raises
``AuditUnavailableError`` when the record could not be written (durable mode) or queued
(buffered mode), and the adapter then returns no value.

The caller's thread only appends a compact entry (the event's fields and the value object) to a
queue; formatting, the value's fingerprint (once per value object), hashing, chaining and
writing happen on one writer thread. What a caller is promised:

- durable: the record is written (and fsynced by the file sink) before ``record`` returns;
  concurrent callers' records share one write and one fsync (group commit). A caller waits at
  most ``timeout``.
- buffered: the record is queued; the writer writes every ``flush_interval``, when
  ``batch_size`` records wait, on ``flush()``/``close()`` and at interpreter exit.
- both modes refuse (``AuditUnavailableError``) while the last write failed, once one write has
  been stuck in the sink for longer than ``timeout``, when the queue holds ``max_pending``
  records for ``timeout``, and after ``close()``.
- a refused read is still recorded, as refused (``outcome: error``, ``errorCode:
  AuditUnavailableError``), once the sink works again; a durable read whose record was being
  written when its wait ran out gets a second record with the same ``requestID`` saying so.

A process forked after the trail started (gunicorn's ``preload_app``) gets a fresh queue and
writer of its own on its first record; records still queued in the parent stay the parent's.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import time
import weakref
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any

from secrets_adapter.audit.entries import (
    Entry,
    RecordMaker,
    RotationStep,
    State,
    Ticket,
)
from secrets_adapter.audit.records import HitFields
from secrets_adapter.audit.sinks import AuditSink
from secrets_adapter.audit.writer import TrailWriter
from secrets_adapter.errors import AuditUnavailableError, ConfigurationError
from secrets_adapter.events import AccessEvent, CacheResult, Event, Listener, Outcome, RotationEvent
from secrets_adapter.models import SecretValue

__all__ = ["AuditMode", "AuditTrail", "HitFields", "HitRecorder", "ReadRecorder"]

_log = logging.getLogger(__name__)
_monotonic = time.monotonic
_now = time.time


class AuditMode(StrEnum):
    DURABLE = "durable"  # the record is on disk before the value is returned
    BUFFERED = "buffered"  # the record is queued before the value is returned


ReadRecorder = Callable[
    [str, str, str | None, str | None, CacheResult | None, SecretValue | None, float], None
]
HitRecorder = Callable[[HitFields, SecretValue], None]


class AuditTrail(TrailWriter):
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
        self._durable = self._mode is AuditMode.DURABLE
        self._sink = sink
        self._timeout = timeout.total_seconds()
        self._interval = flush_interval.total_seconds()
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._fail_open = fail_open
        self._maker = RecordMaker(fingerprint_key)  # the writer's alone
        self._fresh_state()
        reference = weakref.ref(self)

        def start_over_in_child() -> None:
            trail = reference()
            if trail is not None:
                trail._after_fork()

        os.register_at_fork(after_in_child=start_over_in_child)

    @property
    def mode(self) -> AuditMode:
        return self._mode

    @property
    def sink(self) -> AuditSink:
        return self._sink

    @property
    def problem(self) -> str | None:
        """Why accesses are being refused right now (for health checks), or None."""
        return self._refusal() or None

    def __repr__(self) -> str:
        return f"AuditTrail(mode={self._mode.value!r}, sink={type(self._sink).__name__})"

    # --- the caller's side -------------------------------------------------------------------

    def record(self, event: AccessEvent, *, value: SecretValue | None = None) -> None:
        """Write (durable) or queue (buffered) ``event``; raise if that failed, unless fail-open.

        ``value``, when given and a fingerprint key is configured, is recorded as its keyed
        HMAC only (computed on the writer, once per value object).
        """
        self._submit(event, value, event.secret_name, event.action)

    def record_access(
        self,
        action: str,
        name: str,
        *,
        principal: str,
        provider: str,
        outcome: Outcome = Outcome.SUCCESS,
        version_id: str | None = None,
        stage: str | None = None,
        cache: CacheResult | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        duration_s: float = 0.0,
        value: SecretValue | None = None,
    ) -> None:
        """``record`` without building an ``AccessEvent``: the read path's compact hand-over."""
        fields = (
            _now(),
            action,
            name,
            provider,
            principal,
            outcome,
            version_id,
            stage,
            cache,
            error_code,
            error_message,
            duration_s,
            None,
        )
        self._submit(fields, value, name, action)

    def read_recorder(self, *, principal: str, provider: str) -> ReadRecorder:
        """``record_access`` for one adapter's successful reads, as a plain function of
        positional arguments ``(action, name, version_id, stage, cache, value, duration_s)``:
        the hit path's hand-over, a few hundred nanoseconds. Anything but the common case (a
        buffered trail with room, no failure, no hang) takes ``record_access``'s path."""
        success = Outcome.SUCCESS
        limit = self._max_pending

        def record_read(
            action: str,
            name: str,
            version_id: str | None,
            stage: str | None,
            cache: CacheResult | None,
            value: SecretValue | None,
            duration_s: float,
        ) -> None:
            queue = self._queue
            if not self._fast or self._busy_since or len(queue) >= limit:
                self.record_access(
                    action,
                    name,
                    principal=principal,
                    provider=provider,
                    version_id=version_id,
                    stage=stage,
                    cache=cache,
                    duration_s=duration_s,
                    value=value,
                )
                return
            fields = (
                _now(),
                action,
                name,
                provider,
                principal,
                success,
                version_id,
                stage,
                cache,
                None,
                None,
                duration_s,
                None,
            )
            entry = (fields, value, "", None)
            queue.append(entry)
            if self._sealed:  # close() ended between the check and the append
                self._unqueue_sealed(entry, name)
            if len(queue) >= self._batch_size:
                self._wake.set()

        return record_read

    def hit_recorder(self) -> HitRecorder:
        """The served-text hot path's hand-over: a hit's record from fields made once per served
        value, plus the time. Anything but a buffered trail with room, no failure and no sink
        call in progress takes ``_submit``'s path (which waits in durable mode, and refuses)."""
        limit = self._max_pending

        def record_hit(fields: HitFields, value: SecretValue) -> None:
            queue = self._queue
            if self._fast and not self._busy_since and len(queue) < limit:
                entry = ((_now(), *fields), value, "", None)
                queue.append(entry)
                if self._sealed:  # close() ended between the check and the append
                    self._unqueue_sealed(entry, fields[1])
                if len(queue) >= self._batch_size:
                    self._wake.set()
                return
            self._submit((_now(), *fields), value, fields[1], fields[0])

        return record_hit

    def rotation_listener(self, *, principal: str, provider: str) -> Listener:
        """An ``EventBus`` listener that records rotation steps (started, each step, finished,
        failed). Best effort: a rotation is not a read, and the bus logs a failure rather than
        raising it; the rotation's own access record is fail-closed like any other."""

        def record_rotation(event: Event) -> None:
            if isinstance(event, RotationEvent):
                step = RotationStep(event, principal, provider)
                self._submit(step, None, event.secret_name, "rotate", fail_open=True)

        return record_rotation

    def _submit(
        self,
        source: Any,
        value: SecretValue | None,
        name: str,
        action: str,
        *,
        fail_open: bool = False,
    ) -> None:
        reason = self._refusal()
        queue = self._queue
        if not reason and len(queue) >= self._max_pending:
            reason = self._wait_for_room()
        if reason:
            self._refuse(source, name, action, reason, fail_open=fail_open)
            return
        if self._writer is None:
            self._start_writer()
        if not self._durable:
            entry = (source, value, "", None)
            queue.append(entry)
            if self._sealed:  # close() ended between the check and the append
                self._unqueue_sealed(entry, name)
            if len(queue) >= self._batch_size:
                self._wake.set()
            return
        ticket = Ticket()
        queue.append((source, value, "", ticket))
        self._wake.set()
        if ticket.done.wait(self._timeout):
            if ticket.error is None:
                return
            reason = f"The audit sink failed ({type(ticket.error).__name__})"
        else:
            reason = self._give_up(ticket)
            if not reason:
                return
        message = f"{reason}; the access to {name!r} was refused."
        if fail_open or self._fail_open:
            _log.warning("audit record not written (fail-open): %s", message)
            return
        raise AuditUnavailableError(message, secret_name=name) from ticket.error

    def _unqueue_sealed(self, entry: Entry, name: str) -> None:
        """A record queued after ``close()`` wrote the last of the queue would never be written:
        take it back and refuse the access, rather than serve a value with no record."""
        with contextlib.suppress(ValueError):
            self._queue.remove(entry)
        raise AuditUnavailableError(
            f"The audit trail is closed; the access to {name!r} was refused.", secret_name=name
        )

    def _refusal(self) -> str:
        """Why a new access must be refused right now, or ""."""
        if self._closing:
            return "The audit trail is closed"
        failure = self._failure
        if failure is not None:
            return f"The audit sink is failing ({type(failure).__name__})"
        busy = self._busy_since
        if busy and _monotonic() - busy > self._timeout:
            return f"The audit sink has not finished a write for over {self._timeout:g}s"
        return ""

    def _wait_for_room(self) -> str:
        with self._settled:
            roomy = self._settled.wait_for(
                lambda: len(self._queue) < self._max_pending or self._closing,
                timeout=self._timeout,
            )
        if not roomy:
            return f"The audit queue stayed full for {self._timeout:g}s"
        return self._refusal()

    def _give_up(self, ticket: Ticket) -> str:
        """A durable wait ran out: mark the record refused (or late), or "" if it just landed."""
        with self._lock:
            if ticket.done.is_set():
                if ticket.error is None:
                    return ""
                return f"The audit sink failed ({type(ticket.error).__name__})"
            reason = f"The audit sink did not write the record within {self._timeout:g}s"
            ticket.reason = reason
            ticket.state = State.REFUSED if ticket.state == State.QUEUED else State.LATE
            return reason

    def _refuse(self, source: Any, name: str, action: str, reason: str, *, fail_open: bool) -> None:
        """Queue a record saying the access was refused (if there is room), then refuse it."""
        if fail_open or self._fail_open:
            _log.warning("audit record not written (fail-open): %s", reason)
            if not self._closing:
                self._queue.append((source, None, "", None))
            return
        if self._closing:
            pass  # nothing will write it any more
        elif len(self._queue) < self._max_pending + self._batch_size:
            self._queue.append((source, None, reason, None))
        else:
            self._lost_refusals += 1
        raise AuditUnavailableError(
            f"{reason}; the access to {name!r} was refused.", secret_name=name
        ) from self._failure

    def flush(self, timeout: timedelta | None = None) -> bool:
        """Write everything queued; True if the queue drained within ``timeout``."""
        limit = self._timeout if timeout is None else timeout.total_seconds()
        with self._settled:
            if self._writer is None:
                return not self._queue
            self._flush_requested = True
            self._wake.set()
            return self._settled.wait_for(
                lambda: not self._queue and not self._writing, timeout=limit
            )

    def close(self) -> None:
        """Flush what is queued (waiting at most ``timeout``), stop the writer, close the sink."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._update()
            writer = self._writer
        self._wake.set()
        self._stop.set()
        if writer is not None:
            writer.join(self._timeout)
        if writer is None or not writer.is_alive():
            self._write_the_rest()
        lost = len(self._queue) + self._writing
        if lost:
            _log.error("%d audit record(s) could not be written before close", lost)
        if self._at_exit is not None:
            atexit.unregister(self._at_exit)
            self._at_exit = None
        self._sink.close()
