"""``get_secret_value``'s hot path on both faces (access.served_text): the text served is reused
only while its cache entry is the fresh one and nobody is listening."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from secrets_adapter import AsyncSecretsAdapter, SecretsAdapter, SecretValue
from secrets_adapter.events import AccessEvent, Event
from secrets_adapter.testing import InMemoryProvider
from tests.unit.cache_doubles import FakeClock

NAME = "gaara/prod/stripe-api-key"


def _read(adapter: Any) -> str:
    if isinstance(adapter, AsyncSecretsAdapter):
        text: str = asyncio.run(adapter.get_secret_value(NAME))
        return text
    value: str = adapter.get_secret_value(NAME)
    return value


def _put(adapter: Any, value: str) -> None:
    if isinstance(adapter, AsyncSecretsAdapter):
        asyncio.run(adapter.put_secret(NAME, value))
    else:
        adapter.put_secret(NAME, value)


@pytest.mark.parametrize("face", [SecretsAdapter, AsyncSecretsAdapter])
def test_the_served_text_follows_writes_expiry_and_listeners(face: type[Any]) -> None:
    provider = InMemoryProvider()
    provider.put(NAME, SecretValue("first"))
    clock = FakeClock()
    adapter = face(provider=provider, cache_ttl=100, monotonic_clock=clock)
    assert _read(adapter) == "first"
    assert _read(adapter) == "first"  # served from the kept text
    provider.put(NAME, SecretValue("changed elsewhere"))
    assert _read(adapter) == "first"  # within the TTL: the cached value, as any cache hit
    clock.advance(101)
    _read(adapter)  # expired: a fresh read (or a stale serve while it lands)
    assert _read(adapter) == "changed elsewhere"
    _put(adapter, "written here")
    assert _read(adapter) == "written here"  # a write through the face forgets at once
    heard: list[Event] = []
    adapter.events.subscribe(heard.append)
    assert _read(adapter) == "written here"
    assert [e.action for e in heard if isinstance(e, AccessEvent)] == ["get"]  # not skipped
