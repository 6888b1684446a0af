"""A state machine drives the cache through random time, writes, failures and invalidations and
checks after every read that what was served is as fresh as promised and never hides an error."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from secrets_adapter.errors import (
    AccessDeniedError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.events import CacheResult
from secrets_adapter.models import Secret, Stage
from tests.unit.cache_doubles import ControlledProvider, FakeClock, make_cache

NAMES = ("app/a", "app/b")
TTL = 100.0
MAX_STALE = 300.0
FAILURES: dict[str, type[SecretsAdapterError] | None] = {
    "none": None,
    "unavailable": ProviderUnavailableError,
    "not-found": SecretNotFoundError,
    "denied": AccessDeniedError,
}


class RecordingProvider(ControlledProvider):
    """Remembers how the backend last answered for each name."""

    def __init__(self) -> None:
        super().__init__({name: f"{name}#0" for name in NAMES})
        self.last_answer: dict[str, str] = {}

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        try:
            secret = super().get(name, version=version, stage=stage)
        except SecretsAdapterError as exc:
            self.last_answer[name] = type(exc).__name__
            raise
        self.last_answer[name] = "ok"
        return secret


class CacheModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(0.0)
        self.provider = RecordingProvider()
        self.cache = make_cache(
            self.provider, self.clock, ttl=TTL, max_stale=MAX_STALE, min_refresh_interval=5
        )
        self.history: dict[str, list[tuple[float, str]]] = {n: [(0.0, f"{n}#0")] for n in NAMES}
        self.writes = 0
        self._last_read: str | None = None

    def _was_current_since(self, name: str, value: str, oldest: float) -> bool:
        """``value`` was the backend's value for ``name`` at some moment in [oldest, now]."""
        periods = self.history[name]
        for index, (start, stored) in enumerate(periods):
            end = periods[index + 1][0] if index + 1 < len(periods) else float("inf")
            if stored == value and end >= oldest and start <= self.clock.now:
                return True
        return False

    @rule(seconds=st.floats(min_value=0, max_value=150))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(name=st.sampled_from(NAMES), invalidate=st.booleans())
    def another_process_writes(self, name: str, invalidate: bool) -> None:
        self.writes += 1
        value = f"{name}#{self.writes}"
        self.provider.set_value(name, value)
        self.history[name].append((self.clock.now, value))
        if invalidate:  # a write through this adapter: read-your-writes
            self.cache.invalidate(name)
            self.read(name)
            assert self.provider.failure is not None or self._last_read == value

    @rule(failure=st.sampled_from(sorted(FAILURES)))
    def backend_changes_health(self, failure: str) -> None:
        error = FAILURES[failure]
        self.provider.failure = error("simulated") if error is not None else None

    @rule(name=st.sampled_from(NAMES))
    def read(self, name: str) -> None:
        self._last_read = None
        calls_before = self.provider.get_calls
        try:
            secret, result = self.cache.read(name)
        except SecretsAdapterError as exc:
            # An error surfaces only as the backend's own answer, from a call made for this read.
            assert self.provider.get_calls > calls_before
            assert self.provider.last_answer[name] == type(exc).__name__
            return
        value = str(secret.value.reveal())
        self._last_read = value
        if result is CacheResult.STALE:
            assert self.provider.last_answer[name] == "ProviderUnavailableError"
            assert self._was_current_since(name, value, self.clock.now - TTL - MAX_STALE)
        else:
            assert self._was_current_since(name, value, self.clock.now - TTL)

    @invariant()
    def bounded(self) -> None:
        assert len(self.cache) <= len(NAMES)


TestCacheModel = CacheModel.TestCase
TestCacheModel.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
