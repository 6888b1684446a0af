"""Noticing changes: which events are writes, and which served versions have moved."""

from __future__ import annotations

from datetime import UTC, datetime

from secrets_adapter import SecretsAdapter
from secrets_adapter.events import AccessEvent, Outcome, RotationEvent
from secrets_adapter.models import SecretValue
from secrets_adapter.policy import parse_policy
from secrets_adapter.testing import InMemoryProvider
from secrets_adapter.watch import VersionWatch, written_secret

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _access(action: str, outcome: Outcome = Outcome.SUCCESS) -> AccessEvent:
    return AccessEvent(
        time=NOW,
        action=action,
        secret_name="app/a",
        provider="memory",
        principal="p",
        outcome=outcome,
        request_id="r",
    )


def test_successful_writes_and_finished_rotations_name_their_secret() -> None:
    assert written_secret(_access("put")) == "app/a"
    assert written_secret(_access("rotate")) == "app/a"
    assert written_secret(_access("get")) is None
    assert written_secret(_access("put", Outcome.DENIED)) is None
    finished = RotationEvent(time=NOW, secret_name="app/a", status="finished")
    assert written_secret(finished) == "app/a"
    assert written_secret(RotationEvent(time=NOW, secret_name="app/a", status="started")) is None


def test_a_moved_version_is_reported_once_noted_again() -> None:
    provider = InMemoryProvider({"app/a": "one", "app/b": "two"})
    adapter = SecretsAdapter(provider=provider, cache=False)
    watch = VersionWatch(adapter)
    for name in ("app/a", "app/b"):
        watch.note(name, adapter.get(name).version_id)
    assert watch.changed() == []
    provider.put("app/a", SecretValue("three"))
    assert watch.changed() == ["app/a"]
    watch.note("app/a", adapter.get("app/a").version_id)
    assert watch.changed() == []


def test_a_principal_without_describe_is_checked_by_reading() -> None:
    policy = parse_policy(
        {
            "statement": [
                {"effect": "allow", "principals": ["reader"], "actions": ["read"], "secrets": ["*"]}
            ]
        }
    )
    provider = InMemoryProvider({"app/a": "one"})
    adapter = SecretsAdapter(provider=provider, cache=False, principal="reader", policy=policy)
    watch = VersionWatch(adapter)
    watch.note("app/a", adapter.get("app/a").version_id)
    assert watch.changed() == []
    provider.put("app/a", SecretValue("two"))
    assert watch.changed() == ["app/a"]
