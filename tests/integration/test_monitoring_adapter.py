"""Metrics and alerts fed by a real adapter and its cache while the backend goes down and back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from secrets_adapter import ProviderUnavailableError, Secret, SecretsAdapter, Stage
from secrets_adapter.monitoring import AlertEngine, AlertNotification, SecretsMetrics
from secrets_adapter.providers.base import BatchResult
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.monitoring.events import SECRET, T0, FakeClock


class FlakyProvider:
    """InMemoryProvider that answers ProviderUnavailableError while ``down``."""

    def __init__(self, inner: InMemoryProvider) -> None:
        self.inner = inner
        self.down = False

    @property
    def kind(self) -> str:
        return "flaky"

    def _check(self, name: str) -> None:
        if self.down:
            raise ProviderUnavailableError("backend down", secret_name=name, provider="flaky")

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        self._check(name)
        return self.inner.get(name, version=version, stage=stage)

    def get_many(self, names: Sequence[str]) -> BatchResult:
        self._check(names[0] if names else "")
        return self.inner.get_many(names)

    def list_names(self, prefix: str = "") -> list[str]:
        return self.inner.list_names(prefix)

    def close(self) -> None:
        self.inner.close()


class Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stale_serving_alerts_and_resolves_through_the_real_cache() -> None:
    wall, mono = FakeClock(), Seconds()
    notes: list[AlertNotification] = []
    engine = AlertEngine(sinks=[notes.append], clock=wall)
    metrics = SecretsMetrics(clock=wall)
    flaky = FlakyProvider(InMemoryProvider({SECRET: SENTINEL}))
    adapter = SecretsAdapter(
        provider=flaky,
        listeners=[metrics, engine],
        clock=wall,
        monotonic_clock=mono,
        cache_ttl=timedelta(minutes=1),
        max_stale=timedelta(hours=2),
    )
    assert adapter.get_secret_value(SECRET) == SENTINEL
    flaky.down = True
    for minutes in (10, 20, 31):
        mono.now = minutes * 60.0
        wall.now = T0 + timedelta(minutes=minutes)
        assert adapter.get_secret_value(SECRET) == SENTINEL  # served stale
    fired = [(n.rule_id, n.status.value) for n in notes]
    assert ("stale-too-long", "firing") in fired
    assert fired.count(("stale-too-long", "firing")) == 1
    page = metrics.render()[0].decode()
    assert f'secrets_adapter_stale_served_total{{secret="{SECRET}"}} 3.0' in page
    assert SENTINEL not in page

    flaky.down = False
    mono.now = 40 * 60.0
    wall.now = T0 + timedelta(minutes=40)
    adapter.get_secret_value(SECRET)
    adapter.get_secret_value(SECRET)
    assert ("stale-too-long", "resolved") in [(n.rule_id, n.status.value) for n in notes]
    assert engine.firing() == []


class BrokenAuditSink:
    """An audit sink whose disk is gone."""

    def append(self, bodies: object) -> None:
        raise OSError("read-only file system")

    def close(self) -> None:
        pass


def test_audit_sink_failure_alerts_while_the_trail_fails_closed() -> None:
    from secrets_adapter.audit import AuditTrail
    from secrets_adapter.errors import AuditUnavailableError
    from secrets_adapter.monitoring import WatchedAuditSink

    notes: list[AlertNotification] = []
    engine = AlertEngine(sinks=[notes.append])
    trail = AuditTrail(WatchedAuditSink(BrokenAuditSink(), engine), mode="durable")
    adapter = SecretsAdapter(
        provider=InMemoryProvider({SECRET: SENTINEL}), listeners=[engine], audit_log=trail
    )
    try:
        with pytest.raises(AuditUnavailableError):  # an access that cannot be recorded is refused
            adapter.get_secret_value(SECRET)
    finally:
        adapter.close()
    assert [(n.rule_id, n.status.value) for n in notes] == [("audit-sink-failure", "firing")]
    assert SENTINEL not in repr(notes)


def test_a_policy_denial_is_an_unauthorized_use_alert_and_a_metric() -> None:
    from secrets_adapter import PolicyDeniedError
    from secrets_adapter.policy import parse_policy

    policy = parse_policy(
        {
            "statement": [
                {
                    "effect": "allow",
                    "principals": ["api"],
                    "actions": ["read"],
                    "secrets": ["gaara/prod/database-url"],
                }
            ]
        }
    )
    notes: list[AlertNotification] = []
    engine = AlertEngine(sinks=[notes.append])
    metrics = SecretsMetrics()
    provider = InMemoryProvider({SECRET: SENTINEL, "gaara/prod/database-url": "postgres://x"})
    adapter = SecretsAdapter(
        provider=provider, listeners=[engine, metrics], policy=policy, principal="api"
    )
    assert adapter.get_secret_value("gaara/prod/database-url") == "postgres://x"
    assert notes == []
    with pytest.raises(PolicyDeniedError):
        adapter.get_secret_value(SECRET)
    assert [(n.rule_id, n.status.value) for n in notes] == [("unauthorized-use", "firing")]
    assert notes[0].secrets == (SECRET,)
    page = metrics.render()[0].decode()
    assert f'secrets_adapter_policy_denials_total{{principal="api",secret="{SECRET}"}} 1.0' in page
    assert SENTINEL not in page
