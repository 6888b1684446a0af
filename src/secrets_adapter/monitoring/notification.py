"""What an alert sink receives: a rule firing or resolving. Names, counts and times; no values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from secrets_adapter.monitoring.severity import Severity

__all__ = ["AlertNotification", "AlertStatus", "AlertSink"]


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertNotification:
    """One transition of one episode. ``key`` is the secret for per-secret rules, else ``*``."""

    rule_id: str
    status: AlertStatus
    severity: Severity
    description: str
    key: str
    at: datetime
    started_at: datetime
    count: int = 0
    secrets: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """One line a person reads in Slack or a pager (Slack's ``text`` field)."""
        icon = ":rotating_light:" if self.status is AlertStatus.FIRING else ":white_check_mark:"
        scope = f" [{self.key}]" if self.key != "*" else ""
        tail = f" Secrets: {', '.join(self.secrets)}." if self.secrets else ""
        counted = f" ({self.count} events in the window)" if self.count else ""
        return (
            f"{icon} {self.severity.value.upper()} {self.status.value}: {self.rule_id}{scope} — "
            f"{self.description}{counted}{tail}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "status": self.status.value,
            "severity": self.severity.value,
            "description": self.description,
            "key": self.key,
            "at": self.at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "count": self.count,
            "secrets": list(self.secrets),
        }


AlertSink = Callable[[AlertNotification], None]
"""A sink is any callable: ``LogSink``, ``WebhookSink`` or an application's function."""
