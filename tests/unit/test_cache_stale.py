"""Refresh-ahead, stale-on-error (bounded, only for unavailability) and a hung backend."""

from __future__ import annotations

import threading

import pytest

from secrets_adapter.errors import (
    AccessDeniedError,
    DecryptionError,
    IntegrityError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.events import CacheEvent, CacheResult
from tests.unit.cache_doubles import (
    WAIT,
    ControlledProvider,
    FakeClock,
    ManualSpawner,
    Recorder,
    join_all,
    make_cache,
)

NAME = "gaara/prod/stripe-api-key"
UNAVAILABLE = ProviderUnavailableError("throttled", secret_name=NAME)
NEVER_MASKED = [
    SecretNotFoundError("gone", secret_name=NAME),
    AccessDeniedError("denied", secret_name=NAME),
    DecryptionError("key disabled", secret_name=NAME),
    IntegrityError("tampered", secret_name=NAME),
]


@pytest.fixture
def provider() -> ControlledProvider:
    return ControlledProvider({NAME: "old"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- refresh ahead -------------------------------------------------------------------------------


def test_a_read_near_expiry_returns_at_once_and_starts_one_refresh(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    spawner = ManualSpawner()
    cache = make_cache(provider, clock, background=spawner)
    cache.get(NAME)
    provider.set_value(NAME, "new")
    clock.advance(95)  # in the last 10% of the 100 s TTL
    for _ in range(10):
        secret, result = cache.read(NAME)
        assert (secret.value.reveal(), result) == ("old", CacheResult.HIT)
    assert len(spawner.tasks) == 1
    assert provider.get_calls == 1
    spawner.run_all()
    assert provider.get_calls == 2
    assert cache.get(NAME).value.reveal() == "new"
    clock.advance(95)  # the refreshed entry's TTL counts from the refresh
    assert cache.get(NAME).value.reveal() == "new"
    assert len(spawner.tasks) == 1


def test_a_reader_near_expiry_is_not_held_by_a_hung_backend(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    recorder = Recorder()
    cache = make_cache(provider, clock, background=None, recorder=recorder)  # real threads
    cache.get(NAME)
    provider.hang()
    clock.advance(90)
    assert cache.get(NAME).value.reveal() == "old"  # returns while the refresh is held
    assert provider.entered.wait(WAIT)
    assert cache.get(NAME).value.reveal() == "old"
    provider.set_value(NAME, "new")
    provider.release()
    recorder.wait_for("refresh")  # the background thread landed the new value
    assert cache.get(NAME).value.reveal() == "new"
    assert provider.get_calls == 2


def test_refresh_ahead_zero_means_no_background_refresh(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    spawner = ManualSpawner()
    cache = make_cache(provider, clock, background=spawner, refresh_ahead=0.0)
    cache.get(NAME)
    clock.advance(99)
    cache.get(NAME)
    assert spawner.tasks == []


# --- stale on error ------------------------------------------------------------------------------


def test_unavailable_backend_serves_the_last_value_until_max_stale(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    recorder = Recorder()
    cache = make_cache(provider, clock, recorder=recorder, min_refresh_interval=10)
    cache.get(NAME)
    provider.failure = UNAVAILABLE
    clock.advance(101)
    secret, result = cache.read(NAME)
    assert (secret.value.reveal(), result) == ("old", CacheResult.STALE)
    assert recorder.kinds()[-2:] == ["error", "stale"]
    clock.advance(1000 - 2)  # still inside max_stale (1000 s) past expiry
    assert cache.read(NAME)[1] is CacheResult.STALE
    clock.advance(2)  # now past it: the error surfaces
    with pytest.raises(ProviderUnavailableError):
        cache.get(NAME)


def test_stale_serves_back_off_instead_of_calling_the_backend_every_read(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock, min_refresh_interval=10)
    cache.get(NAME)
    provider.failure = UNAVAILABLE
    clock.advance(101)
    cache.get(NAME)
    calls = provider.get_calls
    for _ in range(50):
        assert cache.read(NAME)[1] is CacheResult.STALE
    assert provider.get_calls == calls  # backing off for 10 s
    clock.advance(10)
    cache.get(NAME)
    assert provider.get_calls == calls + 1
    clock.advance(10)  # the second failure doubled the backoff to 20 s
    cache.get(NAME)
    assert provider.get_calls == calls + 1
    clock.advance(10)
    provider.failure = None
    provider.set_value(NAME, "new")
    secret, result = cache.read(NAME)
    assert (secret.value.reveal(), result) == ("new", CacheResult.MISS)


def test_a_failed_refresh_ahead_keeps_the_fresh_value(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    provider.failure = UNAVAILABLE
    clock.advance(90)
    assert cache.read(NAME)[1] is CacheResult.HIT
    assert cache.read(NAME)[1] is CacheResult.HIT
    assert provider.get_calls == 2  # one refresh, then backoff


@pytest.mark.parametrize("error", NEVER_MASKED, ids=lambda e: type(e).__name__)
def test_errors_other_than_unavailable_are_never_masked_after_expiry(
    provider: ControlledProvider, clock: FakeClock, error: SecretsAdapterError
) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    provider.failure = error
    clock.advance(101)
    with pytest.raises(type(error)):
        cache.get(NAME)
    assert NAME not in cache
    with pytest.raises(type(error)):
        cache.get(NAME)


@pytest.mark.parametrize("error", NEVER_MASKED, ids=lambda e: type(e).__name__)
def test_a_refresh_ahead_that_finds_the_secret_gone_drops_the_value(
    provider: ControlledProvider, clock: FakeClock, error: SecretsAdapterError
) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    provider.failure = error
    clock.advance(90)
    cache.get(NAME)  # still fresh: served, and the refresh learns the bad news
    with pytest.raises(type(error)):
        cache.get(NAME)


def test_an_unexpected_exception_is_raised_not_masked(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock)
    cache.get(NAME)
    provider.failure = RuntimeError("a bug in an SDK")
    clock.advance(101)
    with pytest.raises(RuntimeError):
        cache.get(NAME)


def test_a_miss_with_no_value_raises_unavailable(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock)
    provider.failure = UNAVAILABLE
    with pytest.raises(ProviderUnavailableError):
        cache.get(NAME)


# --- a slow or hung backend ----------------------------------------------------------------------


def test_expired_value_is_served_while_the_refresh_hangs(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    spawner = ManualSpawner()
    recorder = Recorder()
    cache = make_cache(provider, clock, background=spawner, recorder=recorder)
    cache.get(NAME)
    clock.advance(101)
    secret, result = cache.read(NAME)  # the refresh was started but has not run
    assert (secret.value.reveal(), result) == ("old", CacheResult.STALE)
    assert len(spawner.tasks) == 1
    stale = [e for e in recorder.events if isinstance(e, CacheEvent) and e.kind == "stale"]
    assert stale[-1].age_s == pytest.approx(101)


def test_a_refresh_running_longer_than_stale_wait_no_longer_holds_readers(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    spawner = ManualSpawner()
    cache = make_cache(provider, clock, background=spawner, stale_wait=5.0)
    cache.get(NAME)
    clock.advance(95)
    cache.get(NAME)  # refresh-ahead starts a refresh that never finishes
    clock.advance(16)  # expired; the refresh has run 16 s > stale_wait
    assert cache.read(NAME)[1] is CacheResult.STALE
    assert len(spawner.tasks) == 1


def test_an_expired_reader_waits_up_to_stale_wait_for_a_healthy_backend(
    provider: ControlledProvider, clock: FakeClock
) -> None:
    cache = make_cache(provider, clock, background=None, stale_wait=WAIT)
    cache.get(NAME)
    provider.set_value(NAME, "new")
    provider.hang()
    clock.advance(101)
    seen: list[tuple[str, CacheResult]] = []

    def reader() -> None:
        secret, result = cache.read(NAME)
        seen.append((str(secret.value.reveal()), result))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert provider.entered.wait(WAIT)
    provider.release()
    join_all([thread])
    assert seen == [("new", CacheResult.MISS)]


def test_get_many_serves_stale_for_unavailable_and_errors_for_the_rest(
    clock: FakeClock,
) -> None:
    provider = ControlledProvider({"app/a": "a", "app/b": "b"})
    cache = make_cache(provider, clock)
    assert set(cache.get_many(["app/a", "app/b"])) == {"app/a", "app/b"}
    provider.failure = UNAVAILABLE
    clock.advance(101)
    result = cache.get_many(["app/a", "app/missing"])
    first = result["app/a"]
    assert not isinstance(first, Exception)
    assert first.value.reveal() == "a"
    assert result["app/missing"] is UNAVAILABLE


def test_get_many_of_an_expired_value_is_not_held_by_a_hung_backend(clock: FakeClock) -> None:
    provider = ControlledProvider({"app/a": "a", "app/b": "b"})
    recorder = Recorder()
    cache = make_cache(provider, clock, background=None, recorder=recorder)  # real threads
    cache.get_many(["app/a"])
    provider.hang()
    provider.set_value("app/a", "a2")
    clock.advance(101)
    secrets, served = cache.read_many(["app/a"])  # returns while the batch refresh is held
    first = secrets["app/a"]
    assert not isinstance(first, Exception)
    assert (first.value.reveal(), served["app/a"]) == ("a", CacheResult.STALE)
    assert provider.batch_entered.wait(WAIT)
    provider.release()
    recorder.wait_for("refresh")
    again = cache.get_many(["app/a"])["app/a"]
    assert not isinstance(again, Exception)
    assert again.value.reveal() == "a2"
    assert provider.batch_calls == 2


def test_get_many_mixing_expired_and_unknown_names_serves_both(clock: FakeClock) -> None:
    provider = ControlledProvider({"app/a": "a", "app/b": "b"})
    spawner = ManualSpawner()
    cache = make_cache(provider, clock, background=spawner)
    cache.get_many(["app/a"])
    clock.advance(101)
    _, served = cache.read_many(["app/a", "app/b"])
    assert served == {"app/a": CacheResult.STALE, "app/b": CacheResult.MISS}
    assert provider.batch_names[-1] == ["app/b"]  # the caller waited only for what it lacked
    assert spawner.run_all() == 1  # the expired one is refreshed in the background
    assert provider.batch_names[-1] == ["app/a"]
    assert cache.read_many(["app/a", "app/b"])[1] == {
        "app/a": CacheResult.HIT,
        "app/b": CacheResult.HIT,
    }


def test_get_many_of_a_failing_key_backs_off_like_get(clock: FakeClock) -> None:
    provider = ControlledProvider({"app/a": "a"})
    cache = make_cache(provider, clock, min_refresh_interval=10)
    cache.get_many(["app/a"])
    provider.failure = UNAVAILABLE
    clock.advance(101)
    for _ in range(3):
        assert cache.read_many(["app/a"])[1] == {"app/a": CacheResult.STALE}
    assert provider.batch_calls == 2  # one failed refresh; then it backs off
    clock.advance(11)
    assert cache.read_many(["app/a"])[1] == {"app/a": CacheResult.STALE}
    assert provider.batch_calls == 3
