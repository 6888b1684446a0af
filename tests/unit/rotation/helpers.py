"""Test doubles for the rotation tests: a fake clock, a rotator that fails or blocks on demand,
a provider whose stage moves fail on demand, and an event recorder."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from secrets_adapter.errors import ProviderUnavailableError
from secrets_adapter.events import Event, RotationEvent
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.rotators.random import RandomRotator
from secrets_adapter.testing import InMemoryProvider

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Ticker:
    """A fake monotonic clock (seconds)."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    events: list[RotationEvent] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RotationEvent):
            self.events.append(event)

    def statuses(self) -> list[str]:
        return [f"{e.status}:{e.step}" if e.step else e.status for e in self.events]


class ScriptedRotator(RandomRotator):
    """The random rotator, but a step can be told to fail once or to block until released."""

    def __init__(self) -> None:
        self.fail_once: str | None = None
        self.block_in_set = threading.Event()
        self.entered_set = threading.Event()
        self.blocking = False
        self.calls: dict[str, int] = {}

    def _step(self, step: str) -> None:
        self.calls[step] = self.calls.get(step, 0) + 1
        if self.fail_once == step:
            self.fail_once = None
            raise ProviderUnavailableError(f"injected failure in {step}")

    def create(self, context: RotationContext) -> SecretValue:
        self._step("create")
        return super().create(context)

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        self._step("set")
        if self.blocking:
            self.entered_set.set()
            assert self.block_in_set.wait(timeout=10)

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        self._step("test")
        super().test(context, pending)


class FlakyProvider(InMemoryProvider):
    """Fails the next ``move_stage`` of one stage once (to break *finish* at a chosen point)."""

    fail_move: Stage | None = None

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        if self.fail_move is stage:
            self.fail_move = None
            raise ProviderUnavailableError("injected failure moving a stage")
        super().move_stage(name, stage, to_version=to_version, from_version=from_version)
