"""What the audit trail queues, and how the writer turns it into a record body.

The caller's side queues an ``Entry``; the writer's ``RecordMaker`` makes its body: the value's
keyed fingerprint (remembered per value object, so a cached value is fingerprinted once, not per
read), a refused read rewritten as refused, and the fast canonical formatting of ``lines``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secrets_adapter.audit.fingerprint import fingerprint
from secrets_adapter.audit.lines import AccessLineFormatter
from secrets_adapter.audit.records import (
    AccessFields,
    fields_of_event,
    new_request_id,
    rotation_record,
)
from secrets_adapter.errors import AuditUnavailableError
from secrets_adapter.events import Outcome, RotationEvent
from secrets_adapter.models import SecretValue

__all__ = [
    "Entry",
    "RecordMaker",
    "RotationStep",
    "State",
    "Ticket",
    "refused_if_waiting",
    "with_id",
]

_FINGERPRINT_MEMO = 4096  # value objects whose fingerprint is remembered (a cache's worth)
_READ_ACTIONS = frozenset({"get", "get_many", "describe", "list"})


class State:
    QUEUED = 0  # waiting in the queue
    CLAIMED = 1  # taken by the writer, being written as it is
    REFUSED = 2  # the caller was refused before the writer took it: written as refused
    LATE = 3  # the caller was refused while it was being written: a correction follows


class Ticket:
    """A durable caller's wait for its record; ``state`` changes under the trail's lock."""

    __slots__ = ("done", "error", "reason", "request_id", "state")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.state = State.QUEUED
        self.reason = ""
        self.request_id: str | None = None


@dataclass(frozen=True, slots=True)
class RotationStep:
    event: RotationEvent
    principal: str
    provider: str


# A queued entry: (what happened, the value or None, refusal reason or "", ticket or None).
# "What happened" is an ``AccessFields`` tuple, an ``AccessEvent`` or a ``RotationStep``.
Entry = tuple[Any, SecretValue | None, str, Ticket | None]


def with_id(source: Any, ticket: Ticket) -> Any:
    """``source`` carrying the request id its first writing attempt gave it."""
    if isinstance(source, tuple) and ticket.request_id is not None:
        return (*source[:12], ticket.request_id)
    return source


def refused_if_waiting(entry: Entry, error: BaseException) -> Entry:
    """After a failed write: a durable caller still waiting is refused, so its record says so."""
    source, value, _, ticket = entry
    if ticket is None or ticket.done.is_set():
        return entry
    reason = f"The audit sink failed ({type(error).__name__})"
    return (with_id(source, ticket), value, reason, None)


class RecordMaker:
    """The writer's formatter: entry in, record body out. Not shared between threads."""

    def __init__(self, fingerprint_key: bytes | None) -> None:
        self._key = fingerprint_key
        self._fingerprints: dict[int, tuple[SecretValue, str]] = {}
        self._formatter = AccessLineFormatter()

    def body(self, entry: Entry) -> Mapping[str, Any]:
        source, value, reason, ticket = entry
        if isinstance(source, RotationStep):
            return rotation_record(
                source.event, principal=source.principal, provider=source.provider
            )
        fields: AccessFields = source if isinstance(source, tuple) else fields_of_event(source)
        if ticket is not None:
            if ticket.state == State.REFUSED:
                reason = ticket.reason
            if ticket.request_id is None:  # kept: a late record's correction repeats it
                ticket.request_id = fields[12] or new_request_id()
            fields = (*fields[:12], ticket.request_id)
        if reason and fields[1] in _READ_ACTIONS and fields[5] is Outcome.SUCCESS:
            refused: AccessFields = (
                *fields[:5],
                Outcome.ERROR,
                *fields[6:9],
                AuditUnavailableError.__name__,
                f"{reason}; the access was refused.",
                *fields[11:],
            )
            return self._formatter.format(refused)
        value_hmac = self._fingerprint(value) if value is not None else None
        return self._formatter.format(fields, value_hmac=value_hmac)

    def _fingerprint(self, value: SecretValue) -> str | None:
        if self._key is None:
            return None
        memo = self._fingerprints
        known = memo.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        made = fingerprint(self._key, value.reveal_bytes())
        if len(memo) >= _FINGERPRINT_MEMO:
            memo.clear()
        memo[id(value)] = (value, made)
        return made
