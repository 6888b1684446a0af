"""Alert rules as data: which events count, how many in what window, how loud, when it clears.

Three shapes cover the design's alerts and more:

- ``CountRule``: at least ``threshold`` matching events within a sliding ``window`` (per secret or
  for all together) fires; the episode resolves when the count in the window falls below
  ``clear_below`` (default 1: a quiet window), or at once on an event matching ``clear_on``.
- ``RotationOverdueRule``: a secret's last rotation is older than ``max_age``.
- ``StaleTooLongRule``: the cache is serving a value older than ``max_age`` because the backend
  cannot be reached; clears on the next successful fetch.

Evaluation lives in ``monitoring.engine``; this module is pure values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from secrets_adapter.events import AccessEvent, CacheEvent, Event, Outcome, RotationEvent
from secrets_adapter.monitoring.severity import Severity

__all__ = [
    "READ_ACTIONS",
    "UNAUTHORIZED_ERRORS",
    "AlertRule",
    "CountRule",
    "EventMatch",
    "RotationOverdueRule",
    "StaleTooLongRule",
    "default_rules",
]

READ_ACTIONS = frozenset({"get", "get_many"})
UNAUTHORIZED_ERRORS = frozenset({"PolicyDeniedError", "AccessDeniedError", "DecryptionError"})
"""Our policy refused; the backend said AccessDenied; KMS refused to decrypt."""

_EVENT_TYPES: dict[str, type] = {
    "access": AccessEvent,
    "cache": CacheEvent,
    "rotation": RotationEvent,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EventMatch:
    """Which events count: an event type plus optional filters (an empty set matches anything)."""

    event: str  # access | cache | rotation
    actions: frozenset[str] = frozenset()
    outcomes: frozenset[Outcome] = frozenset()
    error_codes: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    cache_kinds: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.event not in _EVENT_TYPES:
            raise ValueError(f"event must be one of {', '.join(_EVENT_TYPES)}")

    def __call__(self, event: Event) -> bool:
        if not isinstance(event, _EVENT_TYPES[self.event]):
            return False
        if isinstance(event, AccessEvent):
            return (
                (not self.actions or event.action in self.actions)
                and (not self.outcomes or event.outcome in self.outcomes)
                and (not self.error_codes or event.error_code in self.error_codes)
            )
        if isinstance(event, CacheEvent):
            return (not self.cache_kinds or event.kind in self.cache_kinds) and (
                not self.error_codes or event.error_code in self.error_codes
            )
        if not isinstance(event, RotationEvent):
            return False
        return (not self.statuses or event.status in self.statuses) and (
            not self.error_codes or event.error_code in self.error_codes
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CountRule:
    id: str
    description: str
    severity: Severity
    matches: tuple[EventMatch, ...]
    threshold: int
    window: timedelta
    per_secret: bool = False
    clear_below: int = 1
    clear_on: EventMatch | None = None

    def __post_init__(self) -> None:
        if self.threshold < 1 or not 0 < self.clear_below <= self.threshold:
            raise ValueError("threshold must be >= 1 and 0 < clear_below <= threshold")
        if self.window <= timedelta(0):
            raise ValueError("the window must be positive")

    def counts(self, event: Event) -> bool:
        return any(match(event) for match in self.matches)


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationOverdueRule:
    id: str
    description: str
    severity: Severity
    max_age: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class StaleTooLongRule:
    id: str
    description: str
    severity: Severity
    max_age: timedelta


AlertRule = CountRule | RotationOverdueRule | StaleTooLongRule


def default_rules(
    *,
    failed_retrievals: int = 10,
    failed_window: timedelta = timedelta(minutes=5),
    unauthorized_window: timedelta = timedelta(minutes=15),
    rotation_failure_window: timedelta = timedelta(hours=24),
    rotation_max_age: timedelta = timedelta(days=90),
    stale_max_age: timedelta = timedelta(minutes=30),
    audit_window: timedelta = timedelta(minutes=5),
) -> tuple[AlertRule, ...]:
    """The design's three alerts (failed retrievals, unauthorized use, rotation failure) and three
    more (rotation overdue, stale too long, audit sink failure). Ids match the CloudWatch alarms'
    ``rule_id`` where the same rule exists on the AWS side."""
    return (
        CountRule(
            id="failed-retrievals",
            description=f"More than {failed_retrievals} failed secret retrievals in "
            f"{_human(failed_window)}.",
            severity=Severity.WARNING,
            matches=(
                EventMatch(
                    event="access", actions=READ_ACTIONS, outcomes=frozenset({Outcome.ERROR})
                ),
            ),
            threshold=failed_retrievals + 1,
            window=failed_window,
        ),
        CountRule(
            id="unauthorized-use",
            description="Unauthorized secret or key use: policy denial, AccessDenied or a KMS "
            "refusal.",
            severity=Severity.CRITICAL,
            matches=(
                EventMatch(event="access", outcomes=frozenset({Outcome.DENIED})),
                EventMatch(event="access", error_codes=UNAUTHORIZED_ERRORS),
            ),
            threshold=1,
            window=unauthorized_window,
        ),
        CountRule(
            id="rotation-failure",
            description="A secret rotation failed.",
            severity=Severity.CRITICAL,
            matches=(EventMatch(event="rotation", statuses=frozenset({"failed"})),),
            threshold=1,
            window=rotation_failure_window,
            per_secret=True,
            clear_on=EventMatch(event="rotation", statuses=frozenset({"finished"})),
        ),
        RotationOverdueRule(
            id="rotation-overdue",
            description=f"A secret was last rotated more than {_human(rotation_max_age)} ago.",
            severity=Severity.WARNING,
            max_age=rotation_max_age,
        ),
        StaleTooLongRule(
            id="stale-too-long",
            description=f"A cached value older than {_human(stale_max_age)} is being served "
            "because the backend cannot be reached.",
            severity=Severity.WARNING,
            max_age=stale_max_age,
        ),
        CountRule(
            id="audit-sink-failure",
            description="The audit log could not be written (accesses are refused while it "
            "fails closed).",
            severity=Severity.CRITICAL,
            matches=(EventMatch(event="access", error_codes=frozenset({"AuditUnavailableError"})),),
            threshold=1,
            window=audit_window,
        ),
    )


def _human(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
