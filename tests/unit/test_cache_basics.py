"""SecretCache: TTL on the injected clock, jitter, keys, LRU bound, invalidation, events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from secrets_adapter.cache import SecretCache
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.events import CacheEvent, CacheResult
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.providers.base import BatchResult, Provider
from tests.sentinel import SENTINEL
from tests.unit.cache_doubles import (
    ControlledProvider,
    FakeClock,
    Recorder,
    make_cache,
    run_inline,
)

NAME = "gaara/prod/jwt-secret-key"


@pytest.fixture
def provider() -> ControlledProvider:
    return ControlledProvider({NAME: "first", "gaara/prod/database-url": "postgres://db"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_the_cache_is_a_provider(provider: ControlledProvider, clock: FakeClock) -> None:
    cache = make_cache(provider, clock)
    assert isinstance(cache, Provider)
    assert cache.kind == "memory"
    assert cache.list_names("gaara/") == sorted([NAME, "gaara/prod/database-url"])


def test_a_fresh_value_is_served_without_a_backend_call(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock)
    assert cache.get(NAME).value.reveal() == "first"
    provider.set_value(NAME, "second")
    clock.advance(89)  # before the refresh-ahead window (last 10% of 100 s)
    for _ in range(5):
        assert cache.get(NAME).value.reveal() == "first"
    assert provider.get_calls == 1


def test_after_the_ttl_the_backend_is_asked_again(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock, refresh_ahead=0.0)
    cache.get(NAME)
    provider.set_value(NAME, "second")
    clock.advance(99.9)
    assert cache.get(NAME).value.reveal() == "first"
    clock.advance(0.2)
    assert cache.read(NAME)[0].value.reveal() == "second"
    assert provider.get_calls == 2


def test_read_reports_miss_then_hit(provider: ControlledProvider, clock: FakeClock) -> None:
    cache = make_cache(provider, clock)
    assert cache.read(NAME)[1] is CacheResult.MISS
    assert cache.read(NAME)[1] is CacheResult.HIT


def test_jitter_only_shortens_the_ttl(provider: ControlledProvider, clock: FakeClock) -> None:
    cache = make_cache(provider, clock, jitter=0.1, rng=lambda: 1.0, refresh_ahead=0.0)
    cache.get(NAME)
    clock.advance(89.9)
    cache.get(NAME)
    assert provider.get_calls == 1
    clock.advance(0.2)  # 90 s = 100 s less the full 10% jitter
    cache.get(NAME)
    assert provider.get_calls == 2


def test_default_jitter_spreads_expiry_within_the_ttl(provider: ControlledProvider) -> None:
    expiries = set()
    for _ in range(20):
        clock = FakeClock(0.0)
        cache = SecretCache(provider, ttl=100, clock=clock, refresh_ahead=0.0)
        cache.get(NAME)
        entry = cache._entries[NAME]
        assert 90.0 <= entry.expires_at <= 100.0
        expiries.add(entry.expires_at)
    assert len(expiries) > 1


def test_ttl_per_secret(provider: ControlledProvider, clock: FakeClock) -> None:
    cache = make_cache(provider, clock, ttl_overrides={NAME: timedelta(seconds=10)})
    cache.get(NAME)
    cache.get("gaara/prod/database-url")
    clock.advance(11)
    cache.get(NAME)
    cache.get("gaara/prod/database-url")
    assert provider.get_calls == 3


def test_version_stage_and_current_are_separate_entries(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    old_version = provider.inner.get(NAME).version_id
    provider.set_value(NAME, "second")
    cache = make_cache(provider, clock)
    reads = [
        cache.get(NAME),
        cache.get(NAME, stage=Stage.PREVIOUS),
        cache.get(NAME, version=old_version),
    ]
    assert [secret.value.reveal() for secret in reads] == ["second", "first", "first"]
    assert provider.get_calls == 3
    for _ in range(2):
        assert cache.get(NAME).value.reveal() == "second"
        assert cache.get(NAME, stage=Stage.PREVIOUS).value.reveal() == "first"
        assert cache.get(NAME, version=old_version).value.reveal() == "first"
    assert provider.get_calls == 3
    assert len(cache) == 3


def test_least_recently_used_entry_is_evicted(clock: FakeClock) -> None:
    names = [f"app/s{i}" for i in range(4)]
    provider = ControlledProvider(dict.fromkeys(names, "v"))
    recorder = Recorder()
    cache = make_cache(provider, clock, max_entries=3, recorder=recorder)
    for name in names[:3]:
        cache.get(name)
        clock.advance(1)
    cache.get(names[0])  # s0 is now the most recently used; s1 the least
    clock.advance(1)
    cache.get(names[3])
    assert len(cache) == 3
    assert names[1] not in cache
    assert all(name in cache for name in (names[0], names[2], names[3]))
    assert [e.secret_name for e in recorder.events if isinstance(e, CacheEvent)][-1] == names[1]
    assert recorder.kinds()[-1] == "evict"
    calls = provider.get_calls
    cache.get(names[0])
    assert provider.get_calls == calls
    cache.get(names[1])
    assert provider.get_calls == calls + 1


def test_invalidate_forgets_every_version_of_one_name(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    cache.get(NAME, stage=Stage.CURRENT, version=provider.inner.get(NAME).version_id)
    cache.get("gaara/prod/database-url")
    provider.set_value(NAME, "second")
    cache.invalidate(NAME)
    assert len(cache) == 1
    assert cache.get(NAME).value.reveal() == "second"


def test_clear_forgets_everything(provider: ControlledProvider, clock: FakeClock) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    cache.get("gaara/prod/database-url")
    cache.clear()
    assert len(cache) == 0
    cache.get(NAME)
    assert provider.get_calls == 3


def test_close_clears_and_closes_the_provider(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    cache.close()
    assert provider.closed
    assert len(cache) == 0


def test_events_for_a_miss_and_none_for_a_hit(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    recorder = Recorder()
    cache = make_cache(provider, clock, recorder=recorder)
    cache.get(NAME)
    cache.get(NAME)
    cache.get(NAME)
    assert recorder.kinds() == ["fetch"]
    event = recorder.events[0]
    assert isinstance(event, CacheEvent)
    assert event.secret_name == NAME
    assert event.duration_s >= 0


def test_nothing_the_cache_shows_holds_the_value(clock: FakeClock) -> None:
    provider = ControlledProvider({NAME: SENTINEL})
    recorder = Recorder()
    cache = make_cache(provider, clock, recorder=recorder)
    cache.get(NAME)
    shown = [repr(cache), repr(cache._entries[NAME]), *map(repr, recorder.events)]
    assert not [text for text in shown if SENTINEL in text]


@pytest.mark.parametrize(
    "options",
    [
        {"ttl": 0},
        {"ttl": -1},
        {"max_stale": timedelta(seconds=-1)},
        {"refresh_ahead": 1.0},
        {"refresh_ahead": -0.1},
        {"jitter": 1.0},
        {"max_entries": 0},
    ],
)
def test_bad_settings_are_configuration_errors(
    provider: ControlledProvider, options: dict[str, object]
) -> None:
    with pytest.raises(ConfigurationError):
        SecretCache(provider, **options)  # type: ignore[arg-type]


class _AliasingProvider:
    """Answers under a canonical name, as AWS does for an ARN: the cache must key and refresh by
    the name it was asked for."""

    kind = "memory"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        self.asked.append(name)
        return Secret(name="canonical/name", value=SecretValue("v"), version_id="v1")

    def get_many(self, names: Sequence[str]) -> BatchResult:
        raise NotImplementedError

    def list_names(self, prefix: str = "") -> list[str]:
        return []

    def close(self) -> None:
        """Nothing to release."""


def test_entries_are_keyed_and_refreshed_by_the_name_asked_for(clock: FakeClock) -> None:
    provider = _AliasingProvider()
    cache = SecretCache(
        provider,
        clock=clock,
        jitter=0.0,
        ttl=100,
        ttl_overrides={"alias": 10},
        background=run_inline,
    )
    cache.get("alias")
    clock.advance(9)  # the override's refresh-ahead window
    cache.get("alias")
    clock.advance(11)
    cache.get("alias")
    assert provider.asked == ["alias", "alias", "alias"]
    cache.invalidate("alias")
    assert len(cache) == 0
