"""Access events for audit tests: fixed times, no clock, no values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from secrets_adapter.events import AccessEvent, CacheResult, Outcome

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def access(
    number: int = 0,
    *,
    action: str = "get",
    secret: str = "gaara/prod/db",  # noqa: S107 - a name, not a value
    principal: str = "api",
    outcome: Outcome = Outcome.SUCCESS,
    cache: CacheResult | None = CacheResult.HIT,
    error_code: str | None = None,
) -> AccessEvent:
    return AccessEvent(
        time=T0 + timedelta(seconds=number),
        action=action,
        secret_name=secret,
        provider="memory",
        principal=principal,
        outcome=outcome,
        request_id=f"req-{number}",
        version_id=f"v{number}",
        stage="current",
        cache=cache,
        error_code=error_code,
        error_message=None if error_code is None else "refused",
    )
