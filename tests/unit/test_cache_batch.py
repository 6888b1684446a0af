"""get_many: one batch call for what is not cached; it fills the cache and shares flights."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from secrets_adapter.errors import SecretNotFoundError
from secrets_adapter.models import Secret
from tests.unit.cache_doubles import (
    WAIT,
    ControlledProvider,
    FakeClock,
    ManualSpawner,
    join_all,
    make_cache,
)

NAMES = [f"gaara/prod/s{i}" for i in range(9)]


def _provider() -> ControlledProvider:
    return ControlledProvider({name: f"v-{name}" for name in NAMES})


def _values(result: Mapping[str, Secret | Exception]) -> dict[str, str]:
    return {
        name: str(item.value.reveal()) for name, item in result.items() if isinstance(item, Secret)
    }


def test_one_batch_call_fills_the_cache() -> None:
    provider = _provider()
    cache = make_cache(provider, FakeClock())
    result = cache.get_many(NAMES)
    assert _values(result) == {name: f"v-{name}" for name in NAMES}
    assert provider.batch_calls == 1
    for name in NAMES:
        cache.get(name)
    assert provider.get_calls == 0


def test_only_what_is_not_fresh_is_asked_for() -> None:
    provider = _provider()
    clock = FakeClock()
    cache = make_cache(provider, clock, ttl_overrides={NAMES[0]: 10})
    cache.get_many(NAMES)
    provider.set_value(NAMES[0], "changed")
    provider.set_value(NAMES[1], "changed")
    clock.advance(11)
    result = cache.get_many(NAMES[:2])
    assert _values(result) == {NAMES[0]: "changed", NAMES[1]: f"v-{NAMES[1]}"}
    assert provider.batch_calls == 2


def test_a_missing_name_is_an_error_in_the_result_and_not_cached() -> None:
    provider = _provider()
    cache = make_cache(provider, FakeClock())
    result = cache.get_many([NAMES[0], "gaara/prod/nope", NAMES[0]])
    assert set(result) == {NAMES[0], "gaara/prod/nope"}
    assert isinstance(result["gaara/prod/nope"], SecretNotFoundError)
    assert "gaara/prod/nope" not in cache
    assert NAMES[0] in cache


def test_a_batch_in_the_refresh_ahead_window_starts_background_refreshes() -> None:
    provider = _provider()
    clock = FakeClock()
    spawner = ManualSpawner()
    cache = make_cache(provider, clock, background=spawner)
    cache.get_many(NAMES[:3])
    clock.advance(90)
    result = cache.get_many(NAMES[:3])
    assert len(_values(result)) == 3
    assert provider.batch_calls == 1
    assert spawner.run_all() == 3
    assert provider.get_calls == 3


def test_a_batch_waits_for_a_fetch_already_under_way_instead_of_repeating_it() -> None:
    provider = _provider()
    cache = make_cache(provider, FakeClock())
    provider.hang_only = NAMES[0]
    provider.hang()
    single = threading.Thread(target=lambda: cache.get(NAMES[0]), daemon=True)
    single.start()
    assert provider.entered.wait(WAIT)
    results: list[dict[str, Secret | Exception]] = []
    batch = threading.Thread(
        target=lambda: results.append(dict(cache.get_many(NAMES[:2]))), daemon=True
    )
    batch.start()
    assert provider.batch_entered.wait(WAIT)  # the batch has asked for what no one is fetching
    provider.release()
    join_all([single, batch])
    assert _values(results[0]) == {NAMES[0]: f"v-{NAMES[0]}", NAMES[1]: f"v-{NAMES[1]}"}
    assert provider.get_calls == 1  # NAMES[0] once, by the single read
    assert provider.batch_names == [[NAMES[1]]]
