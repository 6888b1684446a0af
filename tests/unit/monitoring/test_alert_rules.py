"""Every rule fires exactly at its threshold, not before; resolves when clear; never storms."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from secrets_adapter.events import Outcome
from secrets_adapter.monitoring import (
    AlertEngine,
    AlertNotification,
    AlertStatus,
    CountRule,
    EventMatch,
    LogSink,
    Severity,
    default_rules,
)
from tests.unit.monitoring.events import T0, FakeClock, access, cache, failed, rotation

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


class Recorder:
    def __init__(self) -> None:
        self.notes: list[AlertNotification] = []

    def __call__(self, note: AlertNotification) -> None:
        self.notes.append(note)

    def of(self, rule: str) -> list[tuple[AlertStatus, str]]:
        return [(n.status, n.key) for n in self.notes if n.rule_id == rule]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sink() -> Recorder:
    return Recorder()


@pytest.fixture
def engine(clock: FakeClock, sink: Recorder) -> AlertEngine:
    return AlertEngine(default_rules(), [sink], clock=clock)


FIRING, RESOLVED = AlertStatus.FIRING, AlertStatus.RESOLVED


def test_failed_retrievals_fire_on_the_eleventh_in_five_minutes(
    engine: AlertEngine, sink: Recorder
) -> None:
    for index in range(10):
        engine(failed(T0 + index * 20 * SEC))
    assert sink.of("failed-retrievals") == [], "10 failures is not 'more than 10'"
    engine(failed(T0 + 200 * SEC))
    assert sink.of("failed-retrievals") == [(FIRING, "*")]
    fired = sink.notes[-1]
    assert fired.count == 11 and fired.severity is Severity.WARNING
    for index in range(30):  # the episode goes on: no storm
        engine(failed(T0 + 201 * SEC + index * SEC))
    assert sink.of("failed-retrievals") == [(FIRING, "*")]


def test_failures_spread_wider_than_the_window_never_fire(
    engine: AlertEngine, sink: Recorder
) -> None:
    # 11 failures, 30 s apart: the first has left the 5-minute window when the 11th arrives.
    for index in range(11):
        engine(failed(T0 + index * 30 * SEC))
    assert sink.of("failed-retrievals") == []
    engine(failed(T0 + 301 * SEC))  # 11 within (T0+30s, T0+301s]
    assert sink.of("failed-retrievals") == [(FIRING, "*")]


def test_failed_retrievals_resolve_after_a_quiet_window_then_can_fire_again(
    engine: AlertEngine, sink: Recorder
) -> None:
    for index in range(11):
        engine(failed(T0 + index * SEC))
    last = T0 + 10 * SEC
    engine.evaluate(last + 5 * MIN - SEC)
    assert sink.of("failed-retrievals") == [(FIRING, "*")]
    engine.evaluate(last + 5 * MIN)
    assert sink.of("failed-retrievals") == [(FIRING, "*"), (RESOLVED, "*")]
    engine.evaluate(last + 10 * MIN)  # resolved once
    assert len(sink.of("failed-retrievals")) == 2
    later = last + 20 * MIN
    for index in range(11):
        engine(failed(later + index * SEC))
    assert sink.of("failed-retrievals")[-1] == (FIRING, "*")


def test_successes_and_writes_are_not_failed_retrievals(
    engine: AlertEngine, sink: Recorder
) -> None:
    for index in range(20):
        engine(access(T0 + index * SEC))
        engine(
            access(
                T0 + index * SEC, action="put", outcome=Outcome.ERROR, error_code="ConflictError"
            )
        )
    assert sink.of("failed-retrievals") == []


@pytest.mark.parametrize(
    "event",
    [
        access(T0, outcome=Outcome.DENIED, error_code="PolicyDeniedError"),
        failed(T0, code="AccessDeniedError"),
        failed(T0, code="DecryptionError"),
    ],
    ids=["policy-denial", "access-denied", "kms-refusal"],
)
def test_any_unauthorized_use_fires_at_once(
    engine: AlertEngine, sink: Recorder, event: object
) -> None:
    engine(failed(T0, code="SecretNotFoundError"))
    assert sink.of("unauthorized-use") == []
    engine(event)  # type: ignore[arg-type]
    assert sink.of("unauthorized-use") == [(FIRING, "*")]
    assert sink.notes[-1].severity is Severity.CRITICAL
    engine(access(T0 + MIN, outcome=Outcome.DENIED, error_code="PolicyDeniedError"))
    assert sink.of("unauthorized-use") == [(FIRING, "*")]
    engine.evaluate(T0 + 16 * MIN - SEC)
    assert sink.of("unauthorized-use") == [(FIRING, "*")]
    engine.evaluate(T0 + 16 * MIN)
    assert sink.of("unauthorized-use") == [(FIRING, "*"), (RESOLVED, "*")]


def test_rotation_failure_fires_per_secret_and_resolves_on_success(
    engine: AlertEngine, sink: Recorder
) -> None:
    engine(rotation(T0, "started"))
    engine(rotation(T0, "step_done", step="create"))
    assert sink.of("rotation-failure") == []
    engine(rotation(T0 + SEC, "failed", step="test"))
    engine(rotation(T0 + 2 * SEC, "failed", step="test"))
    engine(rotation(T0 + 3 * SEC, "failed", secret="gaara/prod/database-url", step="set"))
    assert sink.of("rotation-failure") == [
        (FIRING, "gaara/prod/jwt-secret-key"),
        (FIRING, "gaara/prod/database-url"),
    ]
    engine(rotation(T0 + MIN, "finished"))
    assert sink.of("rotation-failure")[-1] == (RESOLVED, "gaara/prod/jwt-secret-key")
    assert engine.firing() == [("rotation-failure", "gaara/prod/database-url")]
    engine.evaluate(T0 + 3 * SEC + timedelta(hours=24))
    assert sink.of("rotation-failure")[-1] == (RESOLVED, "gaara/prod/database-url")


def test_rotation_overdue_fires_only_past_max_age(
    engine: AlertEngine, sink: Recorder, clock: FakeClock
) -> None:
    engine.note_rotation("gaara/prod/stripe-api-key", T0)
    engine.evaluate(T0 + timedelta(days=90))
    assert sink.of("rotation-overdue") == [], "exactly 90 days is not overdue"
    engine.evaluate(T0 + timedelta(days=90) + SEC)
    assert sink.of("rotation-overdue") == [(FIRING, "gaara/prod/stripe-api-key")]
    (fired,) = sink.notes
    assert fired.description.endswith("(gaara/prod/stripe-api-key: 7776001 s)")
    assert (fired.started_at, fired.secrets) == (fired.at, ("gaara/prod/stripe-api-key",))
    engine.evaluate(T0 + timedelta(days=95))
    assert len(sink.of("rotation-overdue")) == 1
    engine(rotation(T0 + timedelta(days=96), "finished", secret="gaara/prod/stripe-api-key"))
    assert sink.of("rotation-overdue")[-1] == (RESOLVED, "gaara/prod/stripe-api-key")
    clock.now = T0 + timedelta(days=96, hours=1)
    assert engine.evaluate() == []


def test_stale_value_alerts_when_older_than_threshold(engine: AlertEngine, sink: Recorder) -> None:
    # The value was fetched 20 minutes before the first stale serve.
    engine(cache(T0, "stale", age_s=20 * 60))
    engine.evaluate(T0 + 10 * MIN)
    assert sink.of("stale-too-long") == [], "30 minutes old exactly is not longer than 30"
    engine(cache(T0 + 10 * MIN + SEC, "stale", age_s=30 * 60 + 1))
    assert sink.of("stale-too-long") == [(FIRING, "gaara/prod/jwt-secret-key")]
    engine(cache(T0 + 11 * MIN, "stale", age_s=31 * 60))
    assert len(sink.of("stale-too-long")) == 1
    engine(cache(T0 + 12 * MIN, "fetch"))
    assert sink.of("stale-too-long")[-1] == (RESOLVED, "gaara/prod/jwt-secret-key")


def test_a_failed_fetch_does_not_clear_staleness(engine: AlertEngine, sink: Recorder) -> None:
    engine(cache(T0, "stale", age_s=31 * 60))
    engine(cache(T0 + SEC, "error", error_code="ProviderUnavailableError"))
    engine(cache(T0 + 2 * SEC, "fetch", error_code="ProviderUnavailableError"))
    assert sink.of("stale-too-long") == [(FIRING, "gaara/prod/jwt-secret-key")]


def test_audit_sink_failure_fires(engine: AlertEngine, sink: Recorder) -> None:
    engine(failed(T0, code="AuditUnavailableError"))
    assert sink.of("audit-sink-failure") == [(FIRING, "*")]
    engine.evaluate(T0 + 5 * MIN)
    assert sink.of("audit-sink-failure") == [(FIRING, "*"), (RESOLVED, "*")]


def test_custom_rule_with_hysteresis(clock: FakeClock, sink: Recorder) -> None:
    rule = CountRule(
        id="misses",
        description="Many cache misses.",
        severity=Severity.INFO,
        matches=(EventMatch(event="access", actions=frozenset({"get"})),),
        threshold=3,
        window=MIN,
        clear_below=2,
    )
    engine = AlertEngine([rule], [sink], clock=clock)
    for index in range(3):
        engine(access(T0 + index * 10 * SEC))
    assert sink.of("misses") == [(FIRING, "*")]
    engine.evaluate(T0 + 60 * SEC)  # the first left: 2 remain, not below 2
    assert sink.of("misses") == [(FIRING, "*")]
    engine.evaluate(T0 + 70 * SEC)  # 1 remains
    assert sink.of("misses") == [(FIRING, "*"), (RESOLVED, "*")]


def test_rules_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="threshold"):
        CountRule(
            id="x", description="x", severity=Severity.INFO, matches=(), threshold=0, window=MIN
        )
    with pytest.raises(ValueError, match="event must be"):
        EventMatch(event="nonsense")
    with pytest.raises(ValueError, match="unique"):
        AlertEngine([*default_rules(), *default_rules()])


def test_a_failing_sink_never_breaks_the_caller_and_others_still_receive(
    clock: FakeClock, sink: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_note: AlertNotification) -> None:
        raise RuntimeError("sink down")

    engine = AlertEngine(default_rules(), [broken, sink], clock=clock)
    engine(failed(T0, code="AccessDeniedError"))  # does not raise
    assert sink.of("unauthorized-use") == [(FIRING, "*")]
    assert engine.sink_failures == 1
    assert "RuntimeError" in caplog.text


def test_log_sink_writes_structured_json(caplog: pytest.LogCaptureFixture) -> None:
    import json

    engine = AlertEngine(default_rules(), [LogSink()])
    with caplog.at_level(logging.INFO, logger="secrets_adapter.alerts"):
        engine(failed(T0, code="AccessDeniedError"))
        engine.evaluate(T0 + 15 * MIN)
    records = [r for r in caplog.records if r.name == "secrets_adapter.alerts"]
    assert [r.levelno for r in records] == [logging.ERROR, logging.INFO]
    first = json.loads(records[0].getMessage())
    assert first["rule"] == "unauthorized-use" and first["status"] == "firing"
    assert first["secrets"] == ["gaara/prod/jwt-secret-key"]


def test_notification_text_is_slack_ready_and_holds_no_error_message(
    engine: AlertEngine, sink: Recorder
) -> None:
    from tests.sentinel import SENTINEL

    engine(
        access(T0, outcome=Outcome.ERROR, error_code="AccessDeniedError", error_message=SENTINEL)
    )
    note = sink.notes[-1]
    assert note.text.startswith(":rotating_light: CRITICAL firing: unauthorized-use")
    assert SENTINEL not in note.text and SENTINEL not in str(note.as_dict())


def test_recent_failures_per_secret(engine: AlertEngine, clock: FakeClock) -> None:
    engine(failed(T0))
    engine(failed(T0 + MIN, secret="gaara/prod/database-url"))
    engine(access(T0 + MIN))
    clock.now = T0 + 30 * MIN
    assert engine.recent_failures("gaara/prod/jwt-secret-key") == 1
    assert engine.recent_failures("gaara/prod/database-url") == 1
    assert engine.recent_failures("gaara/prod/jwt-secret-key", T0 + timedelta(hours=2)) == 0


class FlakyAuditSink:
    def __init__(self) -> None:
        self.broken = True
        self.batches = 0

    def append(self, bodies: object) -> None:
        if self.broken:
            raise OSError("disk full")
        self.batches += 1

    def close(self) -> None:
        pass


def test_a_watched_audit_sink_reports_its_failures(clock: FakeClock, sink: Recorder) -> None:
    from secrets_adapter.monitoring import WatchedAuditSink

    engine = AlertEngine(default_rules(), [sink], clock=clock)
    inner = FlakyAuditSink()
    watched = WatchedAuditSink(inner, engine, clock=clock)
    with pytest.raises(OSError, match="disk full"):
        watched.append([{"action": "get"}])
    with pytest.raises(OSError, match="disk full"):
        watched.append([{"action": "get"}])
    assert sink.of("audit-sink-failure") == [(FIRING, "*")]
    assert sink.of("failed-retrievals") == []
    inner.broken = False
    watched.append([{"action": "get"}])
    assert inner.batches == 1
    engine.evaluate(T0 + 5 * MIN)
    assert sink.of("audit-sink-failure") == [(FIRING, "*"), (RESOLVED, "*")]


def test_ticker_evaluates_on_its_thread(clock: FakeClock) -> None:
    import threading

    from secrets_adapter.monitoring import Ticker

    resolved = threading.Event()

    def on_note(note: AlertNotification) -> None:
        if note.status is RESOLVED:
            resolved.set()

    engine = AlertEngine(default_rules(), [on_note], clock=clock)
    engine(failed(T0, code="AccessDeniedError"))
    clock.now = T0 + 16 * MIN  # the fake clock moves; the ticker's thread notices
    ticker = Ticker(engine, interval=timedelta(milliseconds=10)).start()
    try:
        assert resolved.wait(timeout=10)
    finally:
        ticker.stop()
    assert engine.firing() == []
