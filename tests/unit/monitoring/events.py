"""Event factories and a fake clock for the monitoring tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from secrets_adapter.events import AccessEvent, CacheEvent, CacheResult, Outcome, RotationEvent

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SECRET = "gaara/prod/jwt-secret-key"


@dataclass
class FakeClock:
    now: datetime = T0
    calls: list[datetime] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, span: timedelta) -> datetime:
        self.now += span
        return self.now


def access(
    at: datetime,
    *,
    outcome: Outcome = Outcome.SUCCESS,
    error_code: str | None = None,
    action: str = "get",
    secret: str = SECRET,
    cache: CacheResult | None = CacheResult.MISS,
    error_message: str | None = None,
) -> AccessEvent:
    return AccessEvent(
        time=at,
        action=action,
        secret_name=secret,
        provider="memory",
        principal="app",
        outcome=outcome,
        request_id="r",
        cache=cache,
        error_code=error_code,
        error_message=error_message,
        duration_s=0.002,
    )


def failed(
    at: datetime, *, secret: str = SECRET, code: str = "ProviderUnavailableError"
) -> AccessEvent:
    return access(at, outcome=Outcome.ERROR, error_code=code, secret=secret)


def rotation(
    at: datetime, status: str, *, secret: str = SECRET, step: str | None = None
) -> RotationEvent:
    return RotationEvent(time=at, secret_name=secret, status=status, step=step)


def cache(
    at: datetime,
    kind: str,
    *,
    secret: str = SECRET,
    age_s: float = 0.0,
    error_code: str | None = None,
) -> CacheEvent:
    return CacheEvent(
        time=at, kind=kind, secret_name=secret, age_s=age_s, duration_s=0.01, error_code=error_code
    )
