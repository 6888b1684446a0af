"""SecretCache: one backend call per expiry under concurrent readers, a kept phase, and no wait
behind a backend that already looks hung."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from secrets_adapter.cache import SecretCache
from secrets_adapter.cache.entry import CacheEntry, CacheKey
from secrets_adapter.events import CacheResult
from tests.unit.cache_doubles import ControlledProvider, FakeClock, ManualSpawner, make_cache

NAME = "gaara/prod/jwt-secret-key"
OTHER = "gaara/prod/database-url"


class _LandsOnLook(dict[CacheKey, CacheEntry]):
    """The entry table; on the armed look-up it hands out the old entry and then lets the
    pending background refresh land, as when a reader is preempted between the two."""

    def __init__(self, entries: dict[CacheKey, CacheEntry]) -> None:
        super().__init__(entries)
        self.looks_until_landing = -1
        self.land: Callable[[], object] = lambda: None

    def get(self, key: CacheKey, default: object = None) -> CacheEntry | None:  # type: ignore[override]
        entry = super().get(key)
        self.looks_until_landing -= 1
        if self.looks_until_landing == 0:
            self.land()
        return entry


def test_a_refresh_that_lands_under_a_reader_is_not_repeated() -> None:
    provider = ControlledProvider({NAME: "old"})
    clock = FakeClock()
    spawner = ManualSpawner()
    cache = make_cache(provider, clock, background=spawner)
    cache.get(NAME)
    clock.advance(95)  # the refresh-ahead window
    assert cache.read(NAME)[1] is CacheResult.HIT  # starts the one refresh
    assert len(spawner.tasks) == 1
    provider.set_value(NAME, "new")
    table = _LandsOnLook(cache._entries)
    cache._entries = table
    table.land = spawner.run_all
    table.looks_until_landing = 2  # the reader's second look (in the slow path) sees it land
    cache.read(NAME)
    spawner.run_all()  # anything the reader started
    assert provider.get_calls == 2, "a second refresh was started for a value 0 s old"
    assert cache.get(NAME).value.reveal() == "new"


def test_refreshes_keep_the_full_ttl_jitter_only_sets_the_phase() -> None:
    provider = ControlledProvider({NAME: "v"})
    clock = FakeClock(0.0)
    cache = make_cache(provider, clock, jitter=0.1, rng=lambda: 1.0, refresh_ahead=0.0)
    cache.get(NAME)
    assert cache._entries[NAME].expires_at == 90.0  # the first TTL: 100 s less 10%
    clock.advance(90.0)
    cache.get(NAME)  # expired: refreshed
    assert provider.get_calls == 2
    assert cache._entries[NAME].expires_at == 190.0  # a refresh keeps the whole period


def test_behind_a_backend_that_looks_hung_an_expired_value_is_served_at_once() -> None:
    provider = ControlledProvider({NAME: "a", OTHER: "b"})
    clock = FakeClock()
    cache = SecretCache(
        provider,
        ttl=10,
        jitter=0.0,
        refresh_ahead=0.0,
        stale_wait=60,  # a patient reader would wait a minute for a fresh value
        clock=clock,
    )
    cache.get(NAME)
    cache.get(OTHER)
    provider.hang()
    clock.advance(11)
    first = threading.Thread(target=lambda: cache.get(NAME), daemon=True)
    first.start()  # its refresh hangs; this reader waits (up to stale_wait)
    assert provider.entered.wait(5)
    clock.advance(61)  # that refresh has now run longer than stale_wait: the backend looks hung
    started = time.perf_counter()
    secret, result = cache.read(OTHER)
    waited = time.perf_counter() - started
    assert (secret.value.reveal(), result) == ("b", CacheResult.STALE)
    assert waited < 1.0, f"the reader waited {waited:.2f} s behind a backend known to hang"
    provider.release()
    first.join(5)
    assert not first.is_alive()
