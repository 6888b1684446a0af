"""Single-flight: many threads missing one key make one backend call and share its answer."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from secrets_adapter.cache import SecretCache
from secrets_adapter.errors import (
    AccessDeniedError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.providers.base import BatchResult
from tests.unit.cache_doubles import (
    WAIT,
    ControlledProvider,
    FakeClock,
    join_all,
    make_cache,
    start_threads,
)

NAME = "gaara/prod/database-url"
THREADS = 32


def _race(
    count: int, read: object, clock: FakeClock, provider: ControlledProvider
) -> tuple[list[Secret], list[BaseException]]:
    """``count`` threads released together call ``read``; the backend is held until every one of
    them has read the clock (that is, is past its cache lookup), then released."""
    assert callable(read)
    barrier = threading.Barrier(count)
    results: list[Secret] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def reader() -> None:
        barrier.wait(WAIT)
        try:
            secret = read()
        except SecretsAdapterError as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(secret)

    provider.hang()
    reads_before = clock.reads
    threads = start_threads(count, reader)
    assert provider.entered.wait(WAIT)
    clock.wait_for_reads(reads_before + count)
    provider.release()
    join_all(threads)
    return results, errors


def test_32_threads_missing_one_key_make_one_backend_call() -> None:
    provider = ControlledProvider({NAME: "postgres://db"})
    clock = FakeClock()
    cache = make_cache(provider, clock)
    results, errors = _race(THREADS, lambda: cache.get(NAME), clock, provider)
    assert errors == []
    assert len(results) == THREADS
    assert provider.get_calls == 1
    assert len({id(secret) for secret in results}) == 1  # the very same Secret for everyone


@pytest.mark.parametrize(
    "error",
    [
        SecretNotFoundError("gone", secret_name=NAME),
        AccessDeniedError("denied", secret_name=NAME),
        ProviderUnavailableError("down", secret_name=NAME),
    ],
)
def test_every_waiter_gets_the_same_error(error: SecretsAdapterError) -> None:
    provider = ControlledProvider({NAME: "postgres://db"})
    clock = FakeClock()
    cache = make_cache(provider, clock)
    provider.failure = error
    results, errors = _race(THREADS, lambda: cache.get(NAME), clock, provider)
    assert results == []
    assert len(errors) == THREADS
    assert all(raised is error for raised in errors)
    assert provider.get_calls == 1
    assert len(cache) == 0  # an error is not cached: the next reader asks again
    provider.failure = None
    assert cache.get(NAME).value.reveal() == "postgres://db"
    assert provider.get_calls == 2


def test_different_keys_do_not_wait_for_each_other() -> None:
    provider = ControlledProvider({NAME: "a", "gaara/prod/other": "b"})
    clock = FakeClock()
    cache = make_cache(provider, clock)
    provider.hang_only = NAME
    provider.hang()
    held = threading.Thread(target=lambda: cache.get(NAME), daemon=True)
    held.start()
    assert provider.entered.wait(WAIT)
    assert cache.get("gaara/prod/other").value.reveal() == "b"  # not queued behind NAME
    provider.release()
    join_all([held])
    assert cache.get(NAME).value.reveal() == "a"


def test_forced_refreshes_share_one_call() -> None:
    provider = ControlledProvider({NAME: "old"})
    clock = FakeClock()
    cache = make_cache(provider, clock, min_refresh_interval=5)
    cache.get(NAME)
    provider.set_value(NAME, "new")
    clock.advance(6)
    results, errors = _race(16, lambda: cache.get(NAME, refresh=True), clock, provider)
    assert errors == []
    assert {secret.value.reveal() for secret in results} == {"new"}
    assert provider.get_calls == 2
    assert cache.get(NAME).value.reveal() == "new"


def test_forced_refresh_respects_the_minimum_interval() -> None:
    provider = ControlledProvider({NAME: "old"})
    clock = FakeClock()
    cache = make_cache(provider, clock, min_refresh_interval=5)
    cache.get(NAME)
    provider.set_value(NAME, "new")
    clock.advance(4)
    assert cache.read(NAME, refresh=True)[0].value.reveal() == "old"
    assert provider.get_calls == 1
    clock.advance(2)
    assert cache.read(NAME, refresh=True)[0].value.reveal() == "new"
    assert provider.get_calls == 2


def test_forced_refresh_failure_keeps_the_cached_value() -> None:
    provider = ControlledProvider({NAME: "old"})
    clock = FakeClock()
    cache = make_cache(provider, clock, min_refresh_interval=1)
    cache.get(NAME)
    clock.advance(2)
    provider.failure = ProviderUnavailableError("down", secret_name=NAME)
    with pytest.raises(ProviderUnavailableError):
        cache.get(NAME, refresh=True)
    assert cache.get(NAME).value.reveal() == "old"


def test_a_fetch_that_started_before_an_invalidation_is_not_cached() -> None:
    provider = ControlledProvider({NAME: "old"})
    clock = FakeClock()
    cache = make_cache(provider, clock)
    provider.hang()
    seen: list[str] = []
    reader = threading.Thread(
        target=lambda: seen.append(str(cache.get(NAME).value.reveal())), daemon=True
    )
    reader.start()
    assert provider.entered.wait(WAIT)
    cache.invalidate(NAME)  # a write happened while the read was on the wire
    provider.release()
    join_all([reader])
    assert seen == ["old"]
    assert len(cache) == 0
    provider.set_value(NAME, "new")
    assert cache.get(NAME).value.reveal() == "new"
    assert provider.get_calls == 2


class _SlowThenFast:
    """The first read answers the old value but only when released; later reads answer at once."""

    kind = "memory"

    def __init__(self) -> None:
        self.calls = 0
        self.first_entered = threading.Event()
        self.release_first = threading.Event()

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        self.calls += 1
        if self.calls == 1:
            self.first_entered.set()
            assert self.release_first.wait(WAIT)
            return Secret(name=name, value=SecretValue("old"), version_id="v1")
        return Secret(name=name, value=SecretValue("new"), version_id="v2")

    def get_many(self, names: Sequence[str]) -> BatchResult:
        raise NotImplementedError

    def list_names(self, prefix: str = "") -> list[str]:
        return []

    def close(self) -> None:
        """Nothing to release."""


def test_an_older_fetch_never_replaces_a_newer_one() -> None:
    provider = _SlowThenFast()
    cache = SecretCache(provider, clock=FakeClock(), jitter=0.0, min_refresh_interval=0)
    slow = threading.Thread(target=lambda: cache.get(NAME), daemon=True)
    slow.start()
    assert provider.first_entered.wait(WAIT)
    # While the first fetch is on the wire, a forced refresh starts after it and lands first.
    assert cache.get(NAME, refresh=True).value.reveal() == "new"
    provider.release_first.set()
    join_all([slow])
    assert cache.get(NAME).value.reveal() == "new"
    assert provider.calls == 2


def test_many_threads_reading_while_values_change_and_time_passes() -> None:
    names = [f"app/s{i}" for i in range(4)]
    provider = ControlledProvider(dict.fromkeys(names, "0"))
    clock = FakeClock()
    cache = make_cache(provider, clock, background=None, max_entries=3, ttl=10)
    stop = threading.Event()
    problems: list[str] = []
    written = {"0"}

    def reader(offset: int) -> None:
        index = offset
        while not stop.is_set():
            try:
                value = str(cache.get(names[index % len(names)]).value.reveal())
            except SecretsAdapterError as exc:
                problems.append(type(exc).__name__)
                return
            if value not in written:
                problems.append(f"never written: {value}")
                return
            index += 1

    threads = start_threads(16, lambda: reader(threading.get_ident()))
    for round_number in range(1, 200):
        name = names[round_number % len(names)]
        written.add(str(round_number))
        provider.set_value(name, str(round_number))
        if round_number % 3 == 0:
            cache.invalidate(name)
        clock.advance(round_number % 7)
    stop.set()
    join_all(threads)
    assert problems == []
    assert len(cache) <= 3
