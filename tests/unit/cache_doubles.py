"""Test doubles for the cache: a fake monotonic clock, a provider that can fail or hang on
demand, and background runners the test controls. No sleeps: threads meet on Events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from secrets_adapter.cache import SecretCache
from secrets_adapter.events import Event, EventBus
from secrets_adapter.models import Secret, SecretValue, Stage, VersionInfo
from secrets_adapter.providers.base import BatchResult
from secrets_adapter.testing import InMemoryProvider

WAIT = 10.0  # seconds: a generous bound on a wait that should end at once; hit only on a bug


class FakeClock:
    """A monotonic clock moved by hand; counts reads so a test can wait until N threads got in."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.reads = 0
        self._changed = threading.Condition()

    def __call__(self) -> float:
        with self._changed:
            self.reads += 1
            self._changed.notify_all()
            return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def wait_for_reads(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.reads >= count, timeout=WAIT)


class ControlledProvider:
    """An ``InMemoryProvider`` whose reads can be made to fail or to block until released."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self.inner = InMemoryProvider(secrets)
        self.failure: Exception | None = None
        self.gate = threading.Event()
        self.gate.set()  # open: reads go straight through
        self.entered = threading.Event()
        self.get_calls = 0
        self.batch_calls = 0
        self.batch_names: list[list[str]] = []
        self.batch_entered = threading.Event()
        self.closed = False
        self.hang_only: str | None = None  # when set, only reads of this name are held
        self._lock = threading.Lock()

    @property
    def kind(self) -> str:
        return "memory"

    def hang(self) -> None:
        """From now on reads block until ``release``."""
        self.entered.clear()
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def set_value(self, name: str, value: str) -> str:
        """Change the value behind the cache's back (another process wrote it)."""
        return self.inner.put(name, SecretValue(value)).version_id

    def put(
        self, name: str, value: SecretValue, *, expected_current: str | None = None
    ) -> VersionInfo:
        return self.inner.put(name, value, expected_current=expected_current)

    def delete(
        self, name: str, *, recovery_window: timedelta = timedelta(days=30), force: bool = False
    ) -> None:
        self.inner.delete(name, recovery_window=recovery_window, force=force)

    def restore(self, name: str) -> None:
        self.inner.restore(name)

    def _enter(self, names: Sequence[str]) -> None:
        if self.hang_only is not None and self.hang_only not in names:
            return
        self.entered.set()
        assert self.gate.wait(WAIT), "the test never released the provider"
        if self.failure is not None:
            raise self.failure

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        with self._lock:
            self.get_calls += 1
        self._enter([name])
        return self.inner.get(name, version=version, stage=stage)

    def get_many(self, names: Sequence[str]) -> BatchResult:
        with self._lock:
            self.batch_calls += 1
            self.batch_names.append(list(names))
        self.batch_entered.set()
        self._enter(names)
        return self.inner.get_many(names)

    def list_names(self, prefix: str = "") -> list[str]:
        return self.inner.list_names(prefix)

    def close(self) -> None:
        self.closed = True


class ManualSpawner:
    """Collects background tasks; the test runs them when it chooses."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run_all(self) -> int:
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task()
        return len(tasks)


def run_inline(task: Callable[[], None]) -> None:
    """A background runner that runs the task at once, in the caller's thread."""
    task()


class Recorder:
    """An event listener that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    def wait_for(self, kind: str) -> None:
        """Block until an event of ``kind`` arrives (from a background thread, say)."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: kind in self.kinds(), timeout=WAIT)

    def kinds(self) -> list[str]:
        return [getattr(event, "kind", type(event).__name__) for event in self.events]


def make_cache(
    provider: ControlledProvider,
    clock: FakeClock,
    *,
    background: Callable[[Callable[[], None]], object] | None = run_inline,
    recorder: Recorder | None = None,
    **options: Any,
) -> SecretCache:
    """A cache with test-friendly defaults: no jitter, TTL 100 s, stale for 1000 s, no waits."""
    settings: dict[str, Any] = {
        "ttl": timedelta(seconds=100),
        "max_stale": timedelta(seconds=1000),
        "jitter": 0.0,
        "stale_wait": 0.0,
    }
    settings.update(options)
    return SecretCache(
        provider,
        clock=clock,
        background=background,
        events=EventBus([recorder]) if recorder is not None else None,
        **settings,
    )


def start_threads(count: int, target: Callable[[], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def join_all(threads: Sequence[threading.Thread]) -> None:
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a reader thread is stuck"
