"""Filters of ``audit query``: by time, principal, secret, event name and outcome. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from secrets_adapter.audit.records import event_name
from secrets_adapter.errors import ValidationError
from secrets_adapter.policy.model import compile_pattern

__all__ = ["RecordFilter", "parse_moment"]

_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(text: str, *, now: datetime) -> datetime:
    """``2026-11-29T12:00:00Z``, ``2026-11-29`` or a duration ago: ``90s``, ``15m``, ``2h``,
    ``7d``."""
    raw = text.strip()
    relative = _RELATIVE.fullmatch(raw)
    if relative is not None:
        amount, unit = float(relative.group(1)), relative.group(2)
        return now - timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{text!r} is neither an ISO 8601 time (2026-11-29T12:00:00Z) nor a duration "
            "ago (90s, 15m, 2h, 7d)."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordFilter:
    """Every given criterion must hold; ``secret`` and ``principal`` accept ``*`` wildcards as
    policies do (``compile_pattern``); ``event`` is a CloudTrail name (GetSecretValue) or an
    adapter action (get)."""

    since: datetime | None = None
    until: datetime | None = None
    secret: str | None = None
    principal: str | None = None
    event: str | None = None
    outcome: str | None = None

    def matches(self, record: Mapping[str, Any]) -> bool:
        if self.since is not None or self.until is not None:
            try:
                moment = datetime.fromisoformat(str(record.get("eventTime")))
            except ValueError:
                return False
            if self.since is not None and moment < self.since:
                return False
            if self.until is not None and moment > self.until:
                return False
        if self.secret is not None:
            parameters = record.get("requestParameters") or {}
            if not compile_pattern(self.secret).fullmatch(str(parameters.get("secretId", ""))):
                return False
        if self.principal is not None:
            identity = record.get("userIdentity") or {}
            if not compile_pattern(self.principal).fullmatch(str(identity.get("principalId", ""))):
                return False
        if self.event is not None:
            wanted = {self.event.lower(), event_name(self.event).lower()}
            if str(record.get("eventName", "")).lower() not in wanted:
                return False
        # a record without ``outcome`` succeeded (left out since record version 1.2)
        return self.outcome is None or record.get("outcome", "success") == self.outcome.lower()
