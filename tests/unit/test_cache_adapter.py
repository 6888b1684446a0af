"""The adapter reads through the cache by default; writes invalidate (read-your-writes)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.config import CacheSettings, Settings
from secrets_adapter.errors import ProviderUnavailableError, SecretNotFoundError
from secrets_adapter.events import AccessEvent, CacheResult
from tests.sentinel import SENTINEL
from tests.unit.cache_doubles import WAIT, ControlledProvider, FakeClock, Recorder, join_all

GAARA = [
    "database-url",
    "jwt-secret-key",
    "jwt-refresh-secret-key",
    "encryption-key",
    "aws-access-key-id",
    "aws-secret-access-key",
    "sendgrid-api-key",
    "stripe-api-key",
    "oauth-client-secret",
]


@pytest.fixture
def provider() -> ControlledProvider:
    return ControlledProvider({f"gaara/prod/{name}": f"value-of-{name}" for name in GAARA})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _adapter(
    provider: ControlledProvider,
    clock: FakeClock,
    recorder: Recorder | None = None,
    **options: object,
) -> SecretsAdapter:
    return SecretsAdapter(
        provider=provider,
        prefix="gaara/prod",
        monotonic_clock=clock,
        listeners=[recorder] if recorder is not None else [],
        **options,  # type: ignore[arg-type]
    )


def _cache_results(recorder: Recorder) -> list[CacheResult | None]:
    return [event.cache for event in recorder.events if isinstance(event, AccessEvent)]


def test_reads_go_through_the_cache_by_default(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    adapter = _adapter(provider, clock)
    for _ in range(3):
        assert adapter.get_secret_value("database-url") == "value-of-database-url"
    assert provider.get_calls == 1
    assert adapter._cache is not None


def test_access_events_report_miss_hit_and_stale(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    recorder = Recorder()
    adapter = _adapter(provider, clock, recorder, cache_ttl=10)
    adapter.get("database-url")
    adapter.get("database-url")
    provider.failure = ProviderUnavailableError("down")
    clock.advance(11)
    assert adapter.get_secret_value("database-url") == "value-of-database-url"
    assert _cache_results(recorder) == [CacheResult.MISS, CacheResult.HIT, CacheResult.STALE]


def test_cache_false_reads_the_backend_every_time(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    recorder = Recorder()
    adapter = _adapter(provider, clock, recorder, cache=False)
    adapter.get("database-url")
    adapter.get("database-url")
    assert provider.get_calls == 2
    assert adapter._cache is None
    assert _cache_results(recorder) == [CacheResult.BYPASS, CacheResult.BYPASS]


def test_settings_can_turn_the_cache_off(provider: ControlledProvider) -> None:
    settings = Settings(prefix="gaara/prod", cache=CacheSettings(enabled=False))
    assert SecretsAdapter(provider=provider, settings=settings)._cache is None
    zero_ttl = Settings(cache=CacheSettings(ttl=timedelta(0)))
    assert SecretsAdapter(provider=provider, settings=zero_ttl)._cache is None


def test_cache_ttl_in_seconds_or_timedelta(provider: ControlledProvider, clock: FakeClock) -> None:
    for ttl in (30, timedelta(seconds=30)):
        adapter = _adapter(provider, clock, cache_ttl=ttl, refresh_ahead=0.0)
        assert adapter.settings.cache.ttl == timedelta(seconds=30)
        calls = provider.get_calls
        adapter.get("database-url")
        clock.advance(26)  # jitter shortens a TTL by at most 10%
        adapter.get("database-url")
        assert provider.get_calls == calls + 1
        clock.advance(5)
        adapter.get("database-url")
        assert provider.get_calls == calls + 2


def test_settings_reach_the_cache(provider: ControlledProvider, clock: FakeClock) -> None:
    adapter = _adapter(
        provider, clock, max_stale=timedelta(minutes=5), refresh_ahead=0.5, max_entries=2
    )
    assert adapter.settings.cache == CacheSettings(
        ttl=timedelta(minutes=5), max_stale=timedelta(minutes=5), refresh_ahead=0.5, max_entries=2
    )
    for name in GAARA[:3]:
        adapter.get(name)
    assert adapter._cache is not None
    assert len(adapter._cache) == 2


def test_per_secret_ttl(provider: ControlledProvider, clock: FakeClock) -> None:
    adapter = _adapter(provider, clock, cache_ttls={"jwt-secret-key": 5})
    adapter.get("jwt-secret-key")
    adapter.get("database-url")
    clock.advance(6)
    adapter.get("jwt-secret-key")
    adapter.get("database-url")
    assert provider.get_calls == 3


def test_a_write_is_visible_to_the_next_read(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    adapter = _adapter(provider, clock)
    assert adapter.get_secret_value("stripe-api-key") == "value-of-stripe-api-key"
    adapter.put_secret("stripe-api-key", "sk_live_new")
    assert adapter.get_secret_value("stripe-api-key") == "sk_live_new"


def test_a_rotation_is_visible_to_the_next_read(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    provider_inner = provider.inner
    adapter = SecretsAdapter(provider=provider_inner, prefix="gaara/prod", monotonic_clock=clock)
    before = adapter.get_secret_value("jwt-secret-key")
    adapter.configure_rotation("jwt-secret-key", rotator="random")  # rotation is opt-in
    adapter.rotate_secret("jwt-secret-key")
    after = adapter.get_secret_value("jwt-secret-key")
    assert after != before
    assert after == provider_inner.get("gaara/prod/jwt-secret-key").value.reveal()


def test_a_deleted_secret_is_not_served_from_the_cache(clock: FakeClock) -> None:
    provider = ControlledProvider({"gaara/prod/database-url": "x"})
    adapter = SecretsAdapter(provider=provider.inner, prefix="gaara/prod", monotonic_clock=clock)
    adapter.get("database-url")
    adapter.delete_secret("database-url", force=True)
    with pytest.raises(SecretNotFoundError):
        adapter.get("database-url")


def test_invalidate_takes_a_relative_name(provider: ControlledProvider, clock: FakeClock) -> None:
    adapter = _adapter(provider, clock)
    adapter.get("database-url")
    provider.set_value("gaara/prod/database-url", "changed elsewhere")
    assert adapter.get_secret_value("database-url") == "value-of-database-url"
    adapter.invalidate("database-url")
    assert adapter.get_secret_value("database-url") == "changed elsewhere"


def test_refresh_true_forces_a_backend_read(provider: ControlledProvider, clock: FakeClock) -> None:
    adapter = _adapter(provider, clock)
    adapter.get_secret("oauth-client-secret")
    provider.set_value("gaara/prod/oauth-client-secret", '{"client_secret": "new"}')
    clock.advance(2)  # past the minimum interval between forced refreshes
    assert adapter.get_secret("oauth-client-secret", refresh=True) == {"client_secret": "new"}
    assert adapter.get_secret_value("oauth-client-secret", "client_secret") == "new"


def test_preload_warms_every_secret_with_one_batch_call(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    adapter = _adapter(provider, clock)
    adapter.preload(GAARA)
    assert provider.batch_calls == 1
    for name in GAARA:
        assert adapter.get_secret_value(name) == f"value-of-{name}"
    assert provider.get_calls == 0


def test_preload_names_the_missing_and_keeps_the_rest(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    adapter = _adapter(provider, clock)
    with pytest.raises(SecretNotFoundError):
        adapter.preload(["database-url", "no-such-secret"])
    adapter.get("database-url")
    assert provider.get_calls == 0


def test_close_forgets_the_cache_and_closes_the_provider(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    with _adapter(provider, clock) as adapter:
        adapter.get("database-url")
    assert provider.closed
    assert adapter._cache is not None and len(adapter._cache) == 0


def test_close_without_a_cache_closes_the_provider(clock: FakeClock) -> None:
    provider = ControlledProvider({"gaara/prod/database-url": "v"})
    with _adapter(provider, clock, cache=False):
        pass
    assert provider.closed


def test_no_value_in_events_or_reprs(clock: FakeClock) -> None:
    provider = ControlledProvider({"gaara/prod/database-url": SENTINEL})
    recorder = Recorder()
    adapter = _adapter(provider, clock, recorder)
    adapter.get("database-url")
    adapter.get("database-url")
    shown = [repr(adapter), repr(adapter._cache), *map(repr, recorder.events)]
    assert not [text for text in shown if SENTINEL in text]


def test_qualify_still_validates(provider: ControlledProvider, clock: FakeClock) -> None:
    adapter = _adapter(provider, clock)
    with pytest.raises(ValueError, match="Invalid secret name"):
        adapter.get("bad name")
    with pytest.raises(ValueError, match="Invalid secret name"):
        adapter.get(["not", "a", "name"])  # type: ignore[arg-type]
    assert adapter.qualify("database-url") == adapter.qualify("database-url")
    assert adapter.qualify("other/full-name") == "other/full-name"


def test_batch_access_events_report_hit_miss_and_stale(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    recorder = Recorder()
    adapter = _adapter(provider, clock, recorder, cache_ttl=10, refresh_ahead=0.0)
    adapter.get("database-url")
    clock.advance(11)  # database-url expired; stale serves allowed
    adapter.get("stripe-api-key")  # fresh
    provider.failure = ProviderUnavailableError("down")
    names = ["database-url", "stripe-api-key"]
    recorder.events.clear()
    assert set(adapter.get_many(names)) == set(names)
    assert _cache_results(recorder) == [CacheResult.STALE, CacheResult.HIT]
    provider.failure = None
    recorder.events.clear()
    adapter.get_many(["sendgrid-api-key"])
    assert _cache_results(recorder) == [CacheResult.MISS]
    recorder.events.clear()
    _adapter(provider, clock, recorder, cache=False).get_many(["sendgrid-api-key"])
    assert _cache_results(recorder) == [CacheResult.BYPASS]


def test_stale_wait_and_min_refresh_interval_reach_the_cache(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    eager = Settings(prefix="gaara/prod", cache=CacheSettings(min_refresh_interval=timedelta(0)))
    adapter = SecretsAdapter(provider=provider, settings=eager, monotonic_clock=clock)
    adapter.get("database-url", refresh=True)
    adapter.get("database-url", refresh=True)
    assert provider.get_calls == 2  # no minimum interval: every forced read asks the backend
    calm = Settings(prefix="gaara/prod", cache=CacheSettings(min_refresh_interval=timedelta(60)))
    adapter = SecretsAdapter(provider=provider, settings=calm, monotonic_clock=clock)
    adapter.get("database-url", refresh=True)
    clock.advance(30)
    adapter.get("database-url", refresh=True)
    assert provider.get_calls == 3  # the second forced read came too soon after the first


def test_stale_wait_reaches_the_cache(provider: ControlledProvider, clock: FakeClock) -> None:
    patient = Settings(
        prefix="gaara/prod",
        cache=CacheSettings(ttl=timedelta(seconds=10), stale_wait=timedelta(hours=1)),
    )
    adapter = SecretsAdapter(provider=provider, settings=patient, monotonic_clock=clock)
    adapter.get("database-url")
    provider.hang()
    provider.set_value("gaara/prod/database-url", "new")
    clock.advance(9)  # refresh-ahead: a background refresh starts and hangs
    assert adapter.get_secret_value("database-url") == "value-of-database-url"
    assert provider.entered.wait(WAIT)
    clock.advance(2)  # expired 1 s ago; the refresh has run 2 s, far less than stale_wait
    seen: list[str] = []
    reads = clock.reads
    reader = threading.Thread(
        target=lambda: seen.append(adapter.get_secret_value("database-url")), daemon=True
    )
    reader.start()
    clock.wait_for_reads(reads + 2)  # the reader is past its look at the clock
    provider.release()
    join_all([reader])
    # With the default stale_wait (0.1 s < 2 s) it would have been served the old value at once.
    assert seen == ["new"]
