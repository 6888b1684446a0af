"""The event bus: listeners subscribed after the adapter was built are heard, and unsubscribed
ones are not; a failing listener never breaks the read."""

from __future__ import annotations

import logging

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.events import AccessEvent, CacheResult, Event, EventBus
from secrets_adapter.testing import InMemoryProvider


def test_a_listener_subscribed_later_hears_cache_hits_until_it_unsubscribes() -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider({"app/a": "v"}))
    adapter.get("app/a")  # cached while nobody listens
    heard: list[Event] = []
    adapter.events.subscribe(heard.append)
    adapter.get("app/a")
    assert [(e.action, e.cache) for e in heard if isinstance(e, AccessEvent)] == [
        ("get", CacheResult.HIT)
    ]
    adapter.events.unsubscribe(heard.append)  # a new bound method, equal to the subscribed one
    assert not adapter.events.active and not adapter.events
    adapter.get("app/a")
    assert len(heard) == 1


def test_a_failing_listener_is_logged_by_type_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    heard: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    adapter = SecretsAdapter(provider=InMemoryProvider({"app/a": "v"}), listeners=[broken])
    adapter.events.subscribe(heard.append)
    with caplog.at_level(logging.WARNING, logger="secrets_adapter.events"):
        assert adapter.get_secret_value("app/a") == "v"
    assert heard  # the listener after the broken one still ran
    assert "RuntimeError" in caplog.text and "listener bug" not in caplog.text


def test_a_bus_without_listeners_is_inactive() -> None:
    bus = EventBus()
    assert not bus.active and not bus
